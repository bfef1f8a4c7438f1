//! One module per command: `main.rs` parses the command line and
//! dispatches here.

pub(crate) mod args;
pub(crate) mod baseline;
pub(crate) mod check;
pub(crate) mod config;
pub(crate) mod docs;
pub(crate) mod dump;
pub(crate) mod hook;
pub(crate) mod init;
pub(crate) mod reports;
pub(crate) mod run;
pub(crate) mod settings;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use leakgate::config::RetryConfig;
use leakgate::ingest::{Format, FormatChoice};
use leakgate::paths::Repo;
use leakgate::policy;
use leakgate::report;
use leakgate::run::AttemptRunner;
use leakgate::Input;
use miette::{miette, Result};

use args::{FormatArg, PolicyArgs};

pub(crate) fn input_list(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let inputs: Vec<Input> = if paths.is_empty() {
        vec![Input::Stdin]
    } else {
        paths
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    Input::Stdin
                } else {
                    Input::File(p.clone())
                }
            })
            .collect()
    };
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return Err(miette!("standard input (-) can be read only once"));
    }
    Ok(inputs)
}

pub(crate) fn load_policy(root: &std::path::Path, args: &PolicyArgs) -> Result<policy::Policy> {
    let today = args.today.unwrap_or_else(policy::today);
    policy::config::load(root, args.config.as_deref(), today).map_err(miette::Report::new)
}

pub(crate) fn format_of(format: FormatArg) -> FormatChoice {
    match format {
        FormatArg::Auto => FormatChoice::Auto,
        FormatArg::GoJson => FormatChoice::Fixed(Format::GoJson),
        FormatArg::Junit => FormatChoice::Fixed(Format::Junit),
        FormatArg::Text => FormatChoice::Fixed(Format::Text),
    }
}

/// Reruns through `leakgate::run`, telling stderr about each attempt.
pub(crate) fn attempt_runner<'a>(
    config: &RetryConfig,
    repo: &'a Repo,
    interrupt: &Arc<AtomicBool>,
) -> AttemptRunner<'a> {
    AttemptRunner {
        cwd: None,
        timeout: config.timeout,
        repo,
        interrupt: Arc::clone(interrupt),
        on_start: Box::new(|target, argv, n, of| {
            eprintln!("{}", report::progress::attempt_line(target, argv, n, of))
        }),
        on_progress: Box::new(|_| {}),
    }
}
