//! The command line's definitions (clap): what `main` parses and the
//! commands in `dispatch/` read.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use leakgate::report;

/// What `--version` and `-V` print after `leakgate `: `X.Y.Z (COMMIT DATE)`,
/// stamped by build.rs from the git checkout it was built in, else `X.Y.Z`.
/// scripts/action-install.sh, the GitLab template and the tests read only
/// the first two words of the line.
const VERSION: &str = env!("LEAKGATE_VERSION_LINE");

/// A CI gate for goroutine leaks reported by go.uber.org/goleak.
#[derive(Parser, Debug)]
#[command(name = "leakgate", version = VERSION, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Read Go test output, find every goleak leak, give a verdict.
    ///
    /// Exit codes: 0 pass, 1 the gate failed (new leaks or other test
    /// failures), 2 leakgate could not judge (bad usage, unreadable, empty,
    /// cut or incomplete input).
    Check(CheckArgs),
    /// Run `go test` (adding -json), show progress, judge its output like
    /// `check`. Ctrl-C or --timeout ends its whole process group and exits 2.
    ///
    /// Example: leakgate run --retries 2 -- go test -race ./...
    Run(RunArgs),
    /// Validate the policy file and print the rules it holds.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Write an allow rule for each distinct leak of a run (adopting
    /// leakgate on a codebase that already leaks).
    ///
    /// Rules match on the leak's top function and creator. They are
    /// appended to the policy file without touching what is there; leaks
    /// an existing rule matches get none, so running it again on the same
    /// input changes nothing. Without --write the merged file is printed.
    Baseline(BaselineArgs),
    /// Write a commented starter .leakgate.yml at the repository root.
    Init(InitArgs),
    /// Group a running service's goroutine dump by the `go` statement that
    /// started each goroutine, most goroutines first (pprof's `top`, by
    /// creator).
    ///
    /// Reads /debug/pprof/goroutine with ?debug=2, ?debug=1 or ?debug=0,
    /// /debug/pprof/goroutineleak, runtime.Stack(buf, true) output and
    /// SIGQUIT dumps, from a file, - or an http:// URL. Exit 1 when the
    /// runtime proved goroutines leaked (the goroutineleak profile) that
    /// the policy does not allow; 2 when the dump cannot be read.
    ///
    /// Example: leakgate dump http://127.0.0.1:6060/debug/pprof/goroutine?debug=2
    Dump(DumpArgs),
    /// Compare two goroutine dumps of a service: which groups grew,
    /// shrank, appeared, vanished. Exit 1 when a group the policy does not
    /// allow grew by more than --grow-by goroutines and --grow-percent.
    ///
    /// Example: leakgate diff before.txt after.txt
    Diff(DiffArgs),
    /// Sample a service's goroutine dump every --every for --for, show the
    /// live count per group, and report the groups that grew steadily
    /// across the samples (not a single spike). Ctrl-C reports what was
    /// sampled so far.
    ///
    /// Example: leakgate watch http://127.0.0.1:6060/debug/pprof/goroutine?debug=2 --every 10s --for 5m
    Watch(WatchArgs),
    /// Manage the local pre-push check.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Print a shell completion script.
    ///
    /// Example: leakgate completions bash > ~/.local/share/bash-completion/completions/leakgate
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command.
    ///
    /// Example: leakgate man | man -l -
    Man {
        /// Write leakgate.1 and a page per command (leakgate-check.1, ...)
        /// to DIR instead of printing leakgate.1.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum HookCommand {
    /// Write a pre-push hook that runs the leak gate on the commits a push
    /// sends (honours core.hooksPath). The hook runs this binary, or
    /// `leakgate` on PATH once this binary's path no longer exists.
    Install {
        /// Replace a pre-push hook that leakgate did not write.
        #[arg(long)]
        force: bool,
        /// The policy the hook applies: a relative path is a file of each
        /// pushed commit's tree, an absolute one that file [default: the
        /// pushed tree's .leakgate.yml; none: allows no leak].
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Remove the pre-push hook leakgate wrote.
    Uninstall,
    /// What the hook runs: read git's pre-push input on stdin; check out
    /// each pushed tip in a temporary worktree, test its changed packages
    /// and their dependents there, and judge them by that tree's policy.
    Run {
        /// The policy: a relative path is a file of each pushed commit's
        /// tree, an absolute one that file [default: the pushed tree's
        /// .leakgate.yml; none: allows no leak].
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// The day rule expiry is judged against (reproducible runs).
        #[arg(long, env = "LEAKGATE_TODAY", hide = true, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        today: Option<jiff::civil::Date>,
        /// Passed by git: the remote's name.
        remote: Option<String>,
        /// Passed by git: the remote's URL.
        url: Option<String>,
    },
}

/// How a dump report is written.
#[derive(clap::Args, Debug)]
pub(crate) struct DumpReportArgs {
    /// The report on standard output.
    #[arg(long, value_enum, default_value = "terminal")]
    pub(crate) report: DumpOutput,
    /// Show unchanged groups too.
    #[arg(long, short)]
    pub(crate) verbose: bool,
    /// GitHub annotations at most (`--report github`); the last one says
    /// how many more there are. GitHub shows 10 per level per step; in
    /// GitHub Actions the job summary gets every group.
    #[arg(long, value_name = "N", default_value_t = leakgate::report::DEFAULT_MAX_ANNOTATIONS)]
    pub(crate) max_annotations: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(crate) enum DumpOutput {
    /// For a person.
    Terminal,
    /// The `leakgate-dump/1` JSON report.
    Json,
    /// A Markdown table (the GitHub job summary).
    Markdown,
    /// GitHub annotations at each failing group's `go` statement (the
    /// terminal report goes to standard error).
    Github,
}

#[derive(clap::Args, Debug)]
pub(crate) struct DumpArgs {
    /// The dump: a file, - for standard input, or an http:// URL.
    pub(crate) input: String,
    /// Repository root, where .leakgate.yml is looked for and `go`
    /// statements are placed.
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    #[command(flatten)]
    pub(crate) report: DumpReportArgs,
}

#[derive(clap::Args, Debug)]
pub(crate) struct DiffArgs {
    /// The first dump (a file, - or an http:// URL).
    pub(crate) before: String,
    /// The second.
    pub(crate) after: String,
    /// A group fails when it grew by more than this many goroutines
    /// [default: `dumps.grow_by` of .leakgate.yml, else 5]...
    #[arg(long, value_name = "N")]
    pub(crate) grow_by: Option<u64>,
    /// ...and by more than this percentage of its count before [default:
    /// `dumps.grow_percent`, else 10].
    #[arg(long, value_name = "PERCENT")]
    pub(crate) grow_percent: Option<u64>,
    /// Repository root.
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    #[command(flatten)]
    pub(crate) report: DumpReportArgs,
}

#[derive(clap::Args, Debug)]
pub(crate) struct WatchArgs {
    /// The dump to sample: an http:// URL (or a file rewritten by
    /// something else).
    pub(crate) url: String,
    /// Time between samples (`10s`, `1m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub(crate) every: std::time::Duration,
    /// How long to sample (`5m`, `1h`).
    #[arg(long = "for", default_value = "1m", value_parser = parse_duration)]
    pub(crate) duration: std::time::Duration,
    /// A group fails when it grew by more than this many goroutines from
    /// the first sample to the last [default: `dumps.grow_by`, else 5]...
    #[arg(long, value_name = "N")]
    pub(crate) grow_by: Option<u64>,
    /// ...and by more than this percentage [default: `dumps.grow_percent`,
    /// else 10], rising in at least half of the steps.
    #[arg(long, value_name = "PERCENT")]
    pub(crate) grow_percent: Option<u64>,
    /// Repository root.
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    #[command(flatten)]
    pub(crate) report: DumpReportArgs,
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let d = leakgate::config::parse_duration(text)?;
    if d.is_zero() {
        return Err("must be more than 0".to_string());
    }
    Ok(d)
}

#[derive(Subcommand, Debug)]
pub(crate) enum ConfigCommand {
    /// Validate the policy file without input; print the rules understood.
    Check(ConfigCheckArgs),
    /// Print the JSON Schema of .leakgate.yml, for editors
    /// (yaml-language-server, VS Code, JetBrains); see docs/editors.md.
    Schema,
}

/// Where the policy is and what day it is.
#[derive(clap::Args, Debug)]
pub(crate) struct PolicyArgs {
    /// The policy file [default: .leakgate.yml at the repository root; none:
    /// the default policy, which allows no leak].
    #[arg(long, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// The day rule expiry is judged against (reproducible runs).
    #[arg(long, env = "LEAKGATE_TODAY", hide = true, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub(crate) today: Option<jiff::civil::Date>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ConfigCheckArgs {
    /// Repository root, where .leakgate.yml is looked for.
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
}

#[derive(clap::Args, Debug)]
pub(crate) struct BaselineArgs {
    /// Input files, as for `check`; `-` or nothing for standard input.
    pub(crate) inputs: Vec<PathBuf>,
    /// The inputs' format.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) format: FormatArg,
    /// Repository root (see `check`).
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    /// Write the merged policy to PATH [default: the policy file].
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    pub(crate) write: Option<Option<PathBuf>>,
    /// Give every new rule this expiry date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub(crate) expires: Option<jiff::civil::Date>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct InitArgs {
    /// Repository root, where .leakgate.yml is written.
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    /// Write to PATH instead.
    #[arg(long, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub(crate) force: bool,
}

fn parse_date(s: &str) -> std::result::Result<jiff::civil::Date, String> {
    s.parse()
        .map_err(|e| format!("not a date (YYYY-MM-DD): {e}"))
}

#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) opts: Options,
    /// Also write the command's raw output (the `go test -json` stream) here.
    #[arg(long, value_name = "PATH")]
    pub(crate) jsonfile: Option<PathBuf>,
    /// Stop the command after this long (`90s`, `10m`) and exit 2.
    #[arg(long, value_parser = leakgate::config::parse_duration)]
    pub(crate) timeout: Option<std::time::Duration>,
    /// The command, after `--`: `go test [args...]`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// Input files (`go test -json`, JUnit XML or `go test -v` text); `-` or
    /// nothing for standard input. Several inputs make one verdict.
    pub(crate) inputs: Vec<PathBuf>,
    /// The command that produced the input, as a shell line
    /// (`go test -json -race -tags integration ./...`), run in the current
    /// directory: retries repeat it there, changing only which tests run
    /// and the files it would overwrite; without -failfast in it, a failed
    /// last test stopped nothing. Without it, retries run
    /// `go test -json -count=N {run} {package}` in the package's module and
    /// say so.
    #[arg(long, value_name = "COMMAND")]
    pub(crate) test_command: Option<String>,
    #[command(flatten)]
    pub(crate) opts: Options,
}

/// Options shared by `check` and `run`.
#[derive(clap::Args, Debug)]
pub(crate) struct Options {
    /// The inputs' format.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) format: FormatArg,
    /// Repository root, to make paths relative [default: $GITHUB_WORKSPACE,
    /// $CI_PROJECT_DIR, the git top level, else the current directory].
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    /// A report to write, `KIND` or `KIND=PATH` (repeatable). Kinds:
    /// terminal (always on, to stderr, unless given a path), json, github
    /// (annotations), markdown, junit, codequality, sarif. Without a path
    /// (or with `-`) a report goes to standard output. In GitHub Actions, github is on by
    /// default, and markdown goes to (and is on by default for)
    /// $GITHUB_STEP_SUMMARY; step outputs go to $GITHUB_OUTPUT.
    #[arg(long = "report", value_name = "KIND[=PATH]")]
    pub(crate) reports: Vec<String>,
    /// GitHub annotations per level (error, warning, notice); the last one
    /// says how many more there are. GitHub shows 10 per level per step.
    #[arg(long, value_name = "N", default_value_t = report::DEFAULT_MAX_ANNOTATIONS)]
    pub(crate) max_annotations: usize,
    /// Show full stacks and all kept output.
    #[arg(long, short)]
    pub(crate) verbose: bool,
    /// Colour in the terminal report.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) color: ColorArg,
    /// Rerun each test (or package) whose new leaks all look transient up
    /// to N times; a leak gone on a rerun is flaky.
    #[arg(long, value_name = "N")]
    pub(crate) retries: Option<u32>,
    /// Rerun command, with {run}, {count}, {package} and {test}; turns
    /// retries on [default for `check`: its --test-command, else
    /// `go test -json -count={count} {run} {package}` in the package's
    /// module; `run` reruns its own command].
    #[arg(long, value_name = "COMMAND")]
    pub(crate) retry_command: Option<String>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    /// Fail when a rule of the policy matched nothing (for a full run,
    /// where every rule should match).
    #[arg(long)]
    pub(crate) strict: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum FormatArg {
    Auto,
    #[value(name = "go-json")]
    GoJson,
    Junit,
    Text,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}
