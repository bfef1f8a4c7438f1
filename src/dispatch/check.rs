//! `leakgate check`: judge Go test output that already exists.

use leakgate::paths::{self, Repo};
use leakgate::retry::rerun::{self, DEFAULT_COMMAND};
use leakgate::retry::{Base, Invocation, RerunDir, RetryConfig};
use leakgate::run;
use miette::{miette, IntoDiagnostic, Result};

use super::args::CheckArgs;
use super::reports::write_reports;
use super::settings::{CommandLine, Env, Settings};
use super::{attempt_runner, input_list, load_policy};

/// How `check` reruns: the policy's or `--retry-command`'s template, else
/// `--test-command`, else the default template; in the current directory
/// when `--test-command` says the tests ran there, else in each package's
/// module. What had to be assumed is said on stderr and in every plan.
pub(crate) fn check_invocation(
    check: &CheckArgs,
    config: &RetryConfig,
    repo: &Repo,
) -> Result<Invocation> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let module_dir = RerunDir::ModuleOf {
        root: repo.root().to_path_buf(),
        modules: repo.modules().to_vec(),
        fallback: cwd.clone(),
    };
    let given =
        match &check.test_command {
            Some(text) => Some(rerun::split_shell_command(text).ok_or_else(|| {
                miette!("--test-command {text:?}: unbalanced quotes or no command")
            })?),
            None => None,
        };
    let invocation = match (&config.command, given) {
        (Some(template), given) => Invocation {
            command: Base::Template(template.clone()),
            dir: Some(if given.is_some() {
                RerunDir::Fixed(cwd.clone())
            } else {
                module_dir
            }),
            env: given.map(|g| g.env).unwrap_or_default(),
            assumed: None,
        },
        (None, Some(g)) if rerun::is_go_test(&g.argv) => Invocation {
            command: Base::GoTest(g.argv),
            dir: Some(RerunDir::Fixed(cwd.clone())),
            env: g.env,
            assumed: None,
        },
        (None, _) => Invocation {
            command: Base::Template(DEFAULT_COMMAND.to_string()),
            dir: Some(module_dir),
            env: Vec::new(),
            assumed: Some(format!(
                "{}: reruns assumed `{DEFAULT_COMMAND}` in the package's module directory, without the first run's flags (-race, -tags, …) or environment; give --test-command with the command the tests ran with (or retry.command)",
                if check.test_command.is_some() {
                    "--test-command is not a plain `go test` line"
                } else {
                    "the command that produced the input is not known"
                }
            )),
        },
    };
    if let Some(a) = &invocation.assumed {
        eprintln!("leakgate: note: {a}");
    }
    Ok(invocation)
}

/// Standard input is a terminal: someone is about to paste a log. Say what
/// is expected and how to end it (nothing is read until they do).
fn paste_prompt(inputs: &[leakgate::Input]) {
    use std::io::IsTerminal;
    if inputs.contains(&leakgate::Input::Stdin) && std::io::stdin().is_terminal() {
        let end = if cfg!(windows) {
            "Ctrl-Z, then Enter"
        } else {
            "Ctrl-D"
        };
        eprintln!(
            "leakgate: paste the failing test output (go test -json, go test -v, a CI log or an excerpt of goleak's report), then press {end}"
        );
    }
}

pub(crate) fn check(check: CheckArgs) -> Result<i32> {
    let cli = CommandLine::check(&check)?;
    let inputs = input_list(&check.inputs)?;
    let root = check.opts.root.clone().unwrap_or_else(paths::default_root);
    let repo = Repo::discover(&root);
    let mut policy = load_policy(&root, &check.opts.policy)?;
    let settings = Settings::layered(&policy, Env::read(), cli);
    settings.print_warnings();
    settings.print_notes();
    paste_prompt(&inputs);
    policy.strict = settings.strict;
    policy.verdict.no_failfast = settings.no_failfast;
    let format = settings.format;
    let analysis = match &settings.retry {
        None => leakgate::analyze(&inputs, format, &repo, &policy)?,
        Some(config) => {
            let findings = leakgate::collect(&inputs, format, &repo)?;
            let invocation = check_invocation(&check, config, &repo)?;
            let interrupt = run::interrupt_flag().into_diagnostic()?;
            let mut runner = attempt_runner(config, &repo, &interrupt);
            leakgate::judge(
                findings,
                &policy,
                Some(leakgate::Retries {
                    config,
                    invocation: &invocation,
                    runner: &mut runner,
                }),
            )
        }
    };
    write_reports(&settings, &analysis)
}
