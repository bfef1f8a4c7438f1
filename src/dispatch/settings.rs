//! The settings of `check` and `run`, resolved in one place.
//!
//! [`Settings::layered`] builds them in layers, each an `update_*` method,
//! a later layer winning over an earlier one: the defaults
//! ([`Settings::default`]), the policy file (`.leakgate.yml`: its `retry:`
//! section and `verdict.no_failfast`), the environment ([`Env`]: GitHub
//! Actions' variables, `NO_COLOR`, `CI`, whether standard error is a
//! terminal), then the command line ([`CommandLine`], parsed before
//! anything is read so that its mistakes are found first). Reports are the
//! one list the layers merge rather than replace: the terminal report
//! (a default) and the GitHub Actions reports (the environment) are added
//! for the kinds the command line did not name.
//!
//! Nothing given is dropped silently: a setting that the chosen command
//! path cannot use is a warning ([`Settings::warnings`]), and what had to
//! be assumed is a note ([`Settings::notes`]).

use std::io::IsTerminal;
use std::path::PathBuf;

use leakgate::config::RetryConfig;
use leakgate::ingest::{Format, FormatChoice};
use leakgate::policy::Policy;
use leakgate::report::{self, Context, ReportKind};
use leakgate::retry::rerun;
use miette::{miette, Result};

use super::args::{CheckArgs, ColorArg, FormatArg, Options, RunArgs};
use super::format_of;

/// What leakgate reads from its environment.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    /// GitHub Actions, GitLab CI, source links ([`Context::from_env`]).
    pub ctx: Context,
    /// `$GITHUB_STEP_SUMMARY`, in GitHub Actions.
    pub step_summary: Option<PathBuf>,
    /// `$GITHUB_OUTPUT` when not empty, in GitHub Actions.
    pub github_output: Option<PathBuf>,
    /// `NO_COLOR` is unset or empty.
    pub color_ok: bool,
    /// `CI` is set: plain progress lines, no status line.
    pub ci: bool,
    /// Standard error is a terminal.
    pub stderr_terminal: bool,
}

impl Env {
    /// Reads the process's environment.
    pub(crate) fn read() -> Env {
        let ctx = Context::from_env();
        let github_actions = ctx.github_actions;
        Env {
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|_| github_actions)
                .map(PathBuf::from),
            github_output: std::env::var_os("GITHUB_OUTPUT")
                .filter(|v| github_actions && !v.is_empty())
                .map(PathBuf::from),
            color_ok: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            ci: std::env::var_os("CI").is_some(),
            stderr_terminal: std::io::stderr().is_terminal(),
            ctx,
        }
    }

    /// Whether a report on standard error may be coloured by default.
    pub(crate) fn terminal_color(&self) -> bool {
        self.stderr_terminal && self.color_ok
    }
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dest {
    /// Standard output (`--report KIND`, or `KIND=-`).
    Stdout,
    /// Standard error (the terminal report by default, annotations when
    /// standard output is taken).
    Stderr,
    /// A file (`KIND=PATH`); the step summary is appended to.
    File(PathBuf),
}

impl Dest {
    pub(crate) fn file(&self) -> Option<&std::path::Path> {
        match self {
            Dest::File(p) => Some(p),
            Dest::Stdout | Dest::Stderr => None,
        }
    }
}

pub(crate) fn parse_report(spec: &str) -> Result<(ReportKind, Dest)> {
    let (kind, dest) = match spec.split_once('=') {
        Some((k, "-")) => (k, Dest::Stdout),
        Some((k, p)) => (k, Dest::File(PathBuf::from(p))),
        None => (spec, Dest::Stdout),
    };
    let kind: ReportKind = kind.parse().map_err(|e| miette!("{e}"))?;
    Ok((kind, dest))
}

/// The command line's layer: the options of `check` or `run`, parsed.
#[derive(Debug)]
pub(crate) struct CommandLine {
    format: FormatArg,
    reports: Vec<(ReportKind, Dest)>,
    max_annotations: usize,
    verbose: bool,
    color: ColorArg,
    retries: Option<u32>,
    retry_command: Option<String>,
    strict: bool,
    /// The `go test` command the input came from, when known (`check
    /// --test-command`, `run`'s own command).
    go_test: Option<Vec<String>>,
    /// `run` runs `go test` itself: its output is `go test -json`.
    runs_go_test: bool,
}

impl CommandLine {
    /// `check`'s command line.
    pub(crate) fn check(args: &CheckArgs) -> Result<CommandLine> {
        let mut cli = CommandLine::options(&args.opts)?;
        // Without retries, a command that is not a plain `go test` line
        // (the action passes `cat saved.json` as readily as `go test`) tells
        // nothing and is no mistake: it is not warned about.
        cli.go_test = args
            .test_command
            .as_deref()
            .and_then(rerun::split_shell_command)
            .map(|c| c.argv)
            .filter(|argv| rerun::is_go_test(argv));
        Ok(cli)
    }

    /// `run`'s command line; `argv` is the command it runs.
    pub(crate) fn run(args: &RunArgs, argv: &[String]) -> Result<CommandLine> {
        let mut cli = CommandLine::options(&args.opts)?;
        if rerun::is_go_test(argv) {
            cli.go_test = Some(argv.to_vec());
            cli.runs_go_test = true;
        }
        Ok(cli)
    }

    fn options(args: &Options) -> Result<CommandLine> {
        let mut reports = Vec::new();
        for spec in &args.reports {
            reports.push(parse_report(spec)?);
        }
        let to_stdout = reports.iter().filter(|(_, d)| *d == Dest::Stdout).count();
        if to_stdout > 1 {
            return Err(miette!(
                "only one report can go to standard output; give the others a path (KIND=PATH)"
            ));
        }
        Ok(CommandLine {
            format: args.format,
            reports,
            max_annotations: args.max_annotations,
            verbose: args.verbose,
            color: args.color,
            retries: args.retries,
            retry_command: args.retry_command.clone(),
            strict: args.strict,
            go_test: None,
            runs_go_test: false,
        })
    }
}

/// The resolved settings of `check` and `run`.
#[derive(Debug)]
pub(crate) struct Settings {
    /// How the inputs are read.
    pub format: FormatChoice,
    /// The reports to write, in order, each with its destination.
    pub reports: Vec<(ReportKind, Dest)>,
    /// Full stacks and all kept output.
    pub verbose: bool,
    /// Colour in the terminal report.
    pub color: ColorArg,
    /// The report context: CI, source links, annotations per level, the
    /// JSON report's path.
    pub ctx: Context,
    /// The GitHub job summary, appended to.
    pub step_summary: Option<PathBuf>,
    /// Where GitHub step outputs go.
    pub github_output: Option<PathBuf>,
    /// A status line on an interactive terminal (`run`); plain lines in CI.
    pub live_progress: bool,
    /// Retries; `None`: off.
    pub retry: Option<RetryConfig>,
    /// Unused rules fail the gate.
    pub strict: bool,
    /// A failed last test stopped nothing (`verdict.no_failfast`).
    pub no_failfast: bool,
    /// Settings given that cannot be used, said on stderr.
    pub warnings: Vec<String>,
    /// What was assumed, said on stderr.
    pub notes: Vec<String>,
    color_ok: bool,
    stderr_terminal: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            format: FormatChoice::Auto,
            reports: vec![(ReportKind::Terminal, Dest::Stderr)],
            verbose: false,
            color: ColorArg::Auto,
            ctx: Context::default(),
            step_summary: None,
            github_output: None,
            live_progress: false,
            retry: None,
            strict: false,
            no_failfast: false,
            warnings: Vec::new(),
            notes: Vec::new(),
            color_ok: true,
            stderr_terminal: false,
        }
    }
}

impl Settings {
    /// Defaults, then the policy file, then the environment, then the
    /// command line.
    pub(crate) fn layered(policy: &Policy, env: Env, cli: CommandLine) -> Settings {
        let mut s = Settings::default();
        s.update_file(policy);
        s.update_env(env);
        s.update_cli(cli);
        s
    }

    /// The policy file's layer.
    fn update_file(&mut self, policy: &Policy) {
        if let Some(retry) = &policy.retry {
            self.retry = Some(retry.clone());
        }
        self.no_failfast = policy.verdict.no_failfast;
    }

    /// The environment's layer.
    fn update_env(&mut self, env: Env) {
        self.ctx = env.ctx;
        self.step_summary = env.step_summary;
        self.github_output = env.github_output;
        self.color_ok = env.color_ok;
        self.stderr_terminal = env.stderr_terminal;
        self.live_progress = env.stderr_terminal && !env.ci;
    }

    /// The command line's layer, and what it leaves unused.
    fn update_cli(&mut self, cli: CommandLine) {
        self.format = match (cli.runs_go_test, cli.format) {
            (false, f) => format_of(f),
            (true, f) => {
                if matches!(f, FormatArg::Junit | FormatArg::Text) {
                    self.warnings.push(format!(
                        "--format {} is unused: `leakgate run` reads the -json output of the `go test` command it runs",
                        if matches!(f, FormatArg::Junit) { "junit" } else { "text" }
                    ));
                }
                FormatChoice::Fixed(Format::GoJson)
            }
        };
        self.verbose = cli.verbose;
        self.color = cli.color;
        self.strict = cli.strict;
        self.ctx.max_annotations = cli.max_annotations;
        // A known `go test` command shows whether -failfast could have
        // stopped tests after a failure.
        if cli
            .go_test
            .as_deref()
            .is_some_and(|argv| !rerun::uses_failfast(argv))
        {
            self.no_failfast = true;
        }
        self.update_retry(cli.retries, cli.retry_command);
        self.update_reports(cli.reports);
        if cli.max_annotations != report::DEFAULT_MAX_ANNOTATIONS
            && !self.reports.iter().any(|(k, _)| *k == ReportKind::Github)
        {
            self.warnings.push(
                "--max-annotations is unused: no github report is written (--report github, or GitHub Actions)"
                    .to_string(),
            );
        }
    }

    /// The retry settings: the policy's `retry:` section, with `--retries`
    /// and `--retry-command` taking precedence; either flag alone turns
    /// retries on with the defaults of `retry:`. Off when no retry is left.
    fn update_retry(&mut self, retries: Option<u32>, retry_command: Option<String>) {
        if let Some(attempts) = retries {
            self.retry.get_or_insert_with(RetryConfig::default).attempts = attempts;
        }
        if let Some(command) = retry_command {
            let c = self.retry.get_or_insert_with(|| {
                let c = RetryConfig::default();
                self.notes.push(format!(
                    "--retry-command without --retries or a retry: section: up to {} retries (the default)",
                    c.attempts
                ));
                c
            });
            c.command = Some(command);
            if c.attempts == 0 {
                self.warnings.push(format!(
                    "--retry-command is unused: {} turns retries off",
                    if retries.is_some() {
                        "--retries 0"
                    } else {
                        "the policy's retry.attempts: 0"
                    }
                ));
            }
        }
        self.retry = self.retry.take().filter(|c| c.attempts > 0);
    }

    /// The reports: those given, the terminal report on standard error
    /// unless given, and in GitHub Actions annotations (to standard output,
    /// or standard error when a report already takes it; the runner reads
    /// both) and the job summary; annotations go last, after the terminal
    /// report has closed its `::stop-commands::` block.
    fn update_reports(&mut self, given: Vec<(ReportKind, Dest)>) {
        let mut reports = given;
        if !reports.iter().any(|(k, _)| *k == ReportKind::Terminal) {
            reports.insert(0, (ReportKind::Terminal, Dest::Stderr));
        }
        if self.ctx.github_actions {
            if !reports.iter().any(|(k, _)| *k == ReportKind::Github) {
                let stdout_taken = reports.iter().any(|(_, d)| *d == Dest::Stdout);
                reports.push((
                    ReportKind::Github,
                    if stdout_taken {
                        Dest::Stderr
                    } else {
                        Dest::Stdout
                    },
                ));
            }
            if let Some(summary) = &self.step_summary {
                match reports.iter_mut().find(|(k, _)| *k == ReportKind::Markdown) {
                    Some((_, d @ Dest::Stdout)) => *d = Dest::File(summary.clone()),
                    Some(_) => {}
                    None => reports.push((ReportKind::Markdown, Dest::File(summary.clone()))),
                }
            }
        }
        // Stable: keeps the order given, GitHub annotations last.
        reports.sort_by_key(|(k, _)| *k == ReportKind::Github);
        self.ctx.json_report = reports
            .iter()
            .find_map(|(k, d)| (*k == ReportKind::Json).then(|| d.file()).flatten())
            .map(|p| p.display().to_string());
        self.reports = reports;
    }

    /// Whether a report of `kind` written to `dest` is coloured.
    pub(crate) fn color_for(&self, kind: ReportKind, dest: &Dest) -> bool {
        let color = match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => self.color_ok && *dest == Dest::Stderr && self.stderr_terminal,
        };
        color && kind == ReportKind::Terminal
    }

    /// Whether a report of `kind` written to `dest` is appended to (the
    /// job summary) rather than written anew.
    pub(crate) fn appends(&self, kind: ReportKind, dest: &Dest) -> bool {
        kind == ReportKind::Markdown
            && dest.file().is_some()
            && dest.file() == self.step_summary.as_deref()
    }

    /// Says the warnings on stderr.
    pub(crate) fn print_warnings(&self) {
        for w in &self.warnings {
            eprintln!("leakgate: warning: {w}");
        }
    }

    /// Says the notes on stderr.
    pub(crate) fn print_notes(&self) {
        for n in &self.notes {
            eprintln!("leakgate: {n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::dispatch::args::{Cli, Command};

    fn env(github_actions: bool) -> Env {
        Env {
            ctx: Context {
                github_actions,
                ..Context::default()
            },
            step_summary: github_actions.then(|| PathBuf::from("summary.md")),
            github_output: None,
            color_ok: true,
            ci: false,
            stderr_terminal: false,
        }
    }

    fn settings(policy: &Policy, env: Env, args: &[&str]) -> Settings {
        let cli = Cli::try_parse_from(std::iter::once("leakgate").chain(args.iter().copied()))
            .expect("parses");
        let cli = match cli.command {
            Command::Check(a) => CommandLine::check(&a),
            Command::Run(a) => CommandLine::run(&a, &rerun::ensure_json(&a.command)),
            _ => panic!("check or run"),
        }
        .expect("valid");
        Settings::layered(policy, env, cli)
    }

    fn retry_policy(attempts: u32) -> Policy {
        let mut policy = Policy::default();
        policy.retry = Some(RetryConfig {
            attempts,
            command: Some("from the file".into()),
            ..RetryConfig::default()
        });
        policy
    }

    #[test]
    fn command_line_wins_over_the_file() {
        let s = settings(
            &retry_policy(5),
            env(false),
            &["check", "--retries", "1", "--retry-command", "cli {run}"],
        );
        let retry = s.retry.expect("on");
        assert_eq!(retry.attempts, 1);
        assert_eq!(retry.command.as_deref(), Some("cli {run}"));
        assert!(s.warnings.is_empty() && s.notes.is_empty());
        let s = settings(&retry_policy(5), env(false), &["check"]);
        assert_eq!(
            s.retry.expect("on").command.as_deref(),
            Some("from the file")
        );
    }

    #[test]
    fn retry_command_alone_turns_retries_on_and_says_so() {
        let s = settings(
            &Policy::default(),
            env(false),
            &["check", "--retry-command", "x"],
        );
        assert_eq!(s.retry.expect("on").attempts, 2);
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
    }

    #[test]
    fn a_retry_command_that_cannot_run_is_a_warning() {
        let s = settings(
            &Policy::default(),
            env(false),
            &["check", "--retries", "0", "--retry-command", "x"],
        );
        assert!(s.retry.is_none());
        assert!(s.warnings[0].contains("--retries 0"), "{:?}", s.warnings);
        let s = settings(
            &retry_policy(0),
            env(false),
            &["check", "--retry-command", "x"],
        );
        assert!(s.retry.is_none());
        assert!(
            s.warnings[0].contains("retry.attempts: 0"),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn unused_flags_are_warnings() {
        let s = settings(
            &Policy::default(),
            env(false),
            &["run", "--format", "junit", "--", "go", "test", "./..."],
        );
        assert_eq!(s.format, FormatChoice::Fixed(Format::GoJson));
        assert!(s.warnings[0].contains("--format junit"), "{:?}", s.warnings);
        let s = settings(
            &Policy::default(),
            env(false),
            &["check", "--max-annotations", "3"],
        );
        assert!(
            s.warnings[0].contains("--max-annotations"),
            "{:?}",
            s.warnings
        );
        let s = settings(
            &Policy::default(),
            env(true),
            &["check", "--max-annotations", "3"],
        );
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let s = settings(
            &Policy::default(),
            env(false),
            &["check", "--test-command", "cat saved.json"],
        );
        assert!(s.warnings.is_empty() && !s.no_failfast);
        let s = settings(
            &Policy::default(),
            env(false),
            &["check", "--test-command", "go test -json ./..."],
        );
        assert!(s.warnings.is_empty() && s.no_failfast);
    }

    #[test]
    fn reports_get_the_environment_defaults_for_kinds_not_given() {
        let s = settings(&Policy::default(), env(false), &["check"]);
        assert_eq!(s.reports, vec![(ReportKind::Terminal, Dest::Stderr)]);
        let s = settings(
            &Policy::default(),
            env(true),
            &["check", "--report", "json", "--report", "markdown=m.md"],
        );
        assert_eq!(
            s.reports,
            vec![
                (ReportKind::Terminal, Dest::Stderr),
                (ReportKind::Json, Dest::Stdout),
                (ReportKind::Markdown, Dest::File("m.md".into())),
                (ReportKind::Github, Dest::Stderr),
            ]
        );
        let s = settings(
            &Policy::default(),
            env(true),
            &["check", "--report", "markdown"],
        );
        assert_eq!(
            s.reports,
            vec![
                (ReportKind::Terminal, Dest::Stderr),
                (ReportKind::Markdown, Dest::File("summary.md".into())),
                // Placed while markdown still held standard output.
                (ReportKind::Github, Dest::Stderr),
            ]
        );
    }
}
