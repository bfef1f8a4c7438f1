//! `leakgate run`: run `go test`, show progress, judge its output.

use leakgate::paths::{self, Repo};
use leakgate::report;
use leakgate::retry::rerun;
use leakgate::retry::{Base, Invocation, RerunDir};
use leakgate::run::{self, Spawn};
use miette::{IntoDiagnostic, Result};

use super::args::RunArgs;
use super::reports::write_reports;
use super::settings::{CommandLine, Env, Settings};
use super::{attempt_runner, load_policy};

pub(crate) fn run_command(args: RunArgs) -> Result<i32> {
    let argv = rerun::ensure_json(&args.command);
    let cli = CommandLine::run(&args, &argv)?;
    let root = args.opts.root.clone().unwrap_or_else(paths::default_root);
    let repo = Repo::discover(&root);
    let mut policy = load_policy(&root, &args.opts.policy)?;
    let settings = Settings::layered(&policy, Env::read(), cli);
    settings.print_warnings();
    policy.strict = settings.strict;
    policy.verdict.no_failfast = settings.no_failfast;
    let spawn = Spawn {
        name: rerun::display(&argv),
        argv: argv.clone(),
        cwd: None,
        timeout: args.timeout,
        jsonfile: args.jsonfile.clone(),
        format: settings.format,
    };
    let interrupt = run::interrupt_flag().into_diagnostic()?;
    // A status line on an interactive terminal; plain lines in CI logs.
    let bar = settings.live_progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar.set_message(format!("running {}", spawn.name));
        bar
    });
    let out = run::run(&spawn, &repo, &interrupt, &mut |p| match &bar {
        Some(bar) => {
            if report::progress::last_failed(p) {
                bar.println(report::progress::package_line(p));
            }
            bar.set_message(report::progress::status(p));
        }
        None => eprintln!("{}", report::progress::package_line(p)),
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let out = out?;
    settings.print_notes();
    let analysis = match &settings.retry {
        Some(config) => {
            // Reruns repeat the command where it ran, with leakgate's (and
            // so its) environment.
            let invocation = Invocation {
                command: match &config.command {
                    Some(template) => Base::Template(template.clone()),
                    None => Base::GoTest(argv),
                },
                dir: Some(RerunDir::Fixed(std::env::current_dir().into_diagnostic()?)),
                env: Vec::new(),
                assumed: None,
            };
            let mut runner = attempt_runner(config, &repo, &interrupt);
            leakgate::judge(
                out.findings,
                &policy,
                Some(leakgate::Retries {
                    config,
                    invocation: &invocation,
                    runner: &mut runner,
                }),
            )
        }
        None => leakgate::judge(out.findings, &policy, None),
    };
    write_reports(&settings, &analysis)
}
