//! `leakgate run`: run `go test`, show progress, judge its output.

use std::io::IsTerminal;

use leakgate::ingest::{Format, FormatChoice};
use leakgate::paths::{self, Repo};
use leakgate::report;
use leakgate::retry::rerun;
use leakgate::retry::{Base, Invocation, RerunDir};
use leakgate::run::{self, Spawn};
use miette::{IntoDiagnostic, Result};

use super::reports::{report_specs, write_reports};
use super::{attempt_runner, format_of, load_policy, retry_config};
use crate::RunArgs;

pub(crate) fn run_command(args: RunArgs) -> Result<i32> {
    let check = &args.opts;
    let reports = report_specs(check)?;
    let root = check.root.clone().unwrap_or_else(paths::default_root);
    let repo = Repo::discover(&root);
    let mut policy = load_policy(&root, &check.policy)?;
    policy.strict = check.strict;
    let argv = rerun::ensure_json(&args.command);
    // A `go test` command leakgate runs itself shows whether -failfast
    // could have stopped tests after a failure.
    if rerun::is_go_test(&argv) && !rerun::uses_failfast(&argv) {
        policy.verdict.no_failfast = true;
    }
    let format = if rerun::is_go_test(&argv) {
        FormatChoice::Fixed(Format::GoJson)
    } else {
        format_of(check.format)
    };
    let spawn = Spawn {
        name: rerun::display(&argv),
        argv: argv.clone(),
        cwd: None,
        timeout: args.timeout,
        jsonfile: args.jsonfile.clone(),
        format,
    };
    let interrupt = run::interrupt_flag().into_diagnostic()?;
    // A status line on an interactive terminal; plain lines in CI logs.
    let live = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = live.then(|| {
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
    let analysis = match retry_config(check, &policy) {
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
            let mut runner = attempt_runner(&config, &repo, &interrupt);
            leakgate::judge_with_retries_as(
                out.findings,
                &policy,
                &config,
                &invocation,
                &mut runner,
            )
        }
        None => leakgate::judge(out.findings, &policy),
    };
    write_reports(check, &reports, &analysis)
}
