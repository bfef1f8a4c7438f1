//! The `leakgate` command.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use leakgate::ingest::{Format, FormatChoice};
use leakgate::paths::{self, Repo};
use leakgate::policy::{self, baseline, config};
use leakgate::report::{self, Context, ReportKind, Style};
use leakgate::retry::rerun::{self, DEFAULT_COMMAND};
use leakgate::retry::{Base, Invocation, RerunDir, RetryConfig};
use leakgate::run::{self, AttemptRunner, Spawn};
use leakgate::verdict::Analysis;
use leakgate::{exit, Input};
use miette::{miette, IntoDiagnostic, Result, WrapErr};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A CI gate for goroutine leaks reported by go.uber.org/goleak.
#[derive(Parser, Debug)]
#[command(name = "leakgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
    /// Manage the local pre-push check.
    #[command(subcommand)]
    Hook(HookCommand),
}

#[derive(Subcommand, Debug)]
enum HookCommand {
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

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Validate the policy file without input; print the rules understood.
    Check(ConfigCheckArgs),
}

/// Where the policy is and what day it is.
#[derive(clap::Args, Debug)]
struct PolicyArgs {
    /// The policy file [default: .leakgate.yml at the repository root; none:
    /// the default policy, which allows no leak].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The day rule expiry is judged against (reproducible runs).
    #[arg(long, env = "LEAKGATE_TODAY", hide = true, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<jiff::civil::Date>,
}

#[derive(clap::Args, Debug)]
struct ConfigCheckArgs {
    /// Repository root, where .leakgate.yml is looked for.
    #[arg(long)]
    root: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(clap::Args, Debug)]
struct BaselineArgs {
    /// Input files, as for `check`; `-` or nothing for standard input.
    inputs: Vec<PathBuf>,
    /// The inputs' format.
    #[arg(long, value_enum, default_value = "auto")]
    format: FormatArg,
    /// Repository root (see `check`).
    #[arg(long)]
    root: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Write the merged policy to PATH [default: the policy file].
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    write: Option<Option<PathBuf>>,
    /// Give every new rule this expiry date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    expires: Option<jiff::civil::Date>,
}

#[derive(clap::Args, Debug)]
struct InitArgs {
    /// Repository root, where .leakgate.yml is written.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Write to PATH instead.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
}

fn parse_date(s: &str) -> std::result::Result<jiff::civil::Date, String> {
    s.parse()
        .map_err(|e| format!("not a date (YYYY-MM-DD): {e}"))
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    opts: Options,
    /// Also write the command's raw output (the `go test -json` stream) here.
    #[arg(long, value_name = "PATH")]
    jsonfile: Option<PathBuf>,
    /// Stop the command after this long (`90s`, `10m`) and exit 2.
    #[arg(long, value_parser = leakgate::retry::parse_duration)]
    timeout: Option<std::time::Duration>,
    /// The command, after `--`: `go test [args...]`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Input files (`go test -json`, JUnit XML or `go test -v` text); `-` or
    /// nothing for standard input. Several inputs make one verdict.
    inputs: Vec<PathBuf>,
    /// The command that produced the input, as a shell line
    /// (`go test -json -race -tags integration ./...`), run in the current
    /// directory: retries repeat it there, changing only which tests run
    /// and the files it would overwrite; without -failfast in it, a failed
    /// last test stopped nothing. Without it, retries run
    /// `go test -json -count=1 {run} {package}` in the package's module and
    /// say so.
    #[arg(long, value_name = "COMMAND")]
    test_command: Option<String>,
    #[command(flatten)]
    opts: Options,
}

/// Options shared by `check` and `run`.
#[derive(clap::Args, Debug)]
struct Options {
    /// The inputs' format.
    #[arg(long, value_enum, default_value = "auto")]
    format: FormatArg,
    /// Repository root, to make paths relative [default: $GITHUB_WORKSPACE,
    /// $CI_PROJECT_DIR, the git top level, else the current directory].
    #[arg(long)]
    root: Option<PathBuf>,
    /// A report to write, `KIND` or `KIND=PATH` (repeatable). Kinds:
    /// terminal (always on, to stderr, unless given a path), json, github
    /// (annotations), markdown, junit, codequality, sarif. Without a path
    /// (or with `-`) a report goes to standard output. In GitHub Actions, github is on by
    /// default, and markdown goes to (and is on by default for)
    /// $GITHUB_STEP_SUMMARY; step outputs go to $GITHUB_OUTPUT.
    #[arg(long = "report", value_name = "KIND[=PATH]")]
    reports: Vec<String>,
    /// GitHub annotations per level (error, warning, notice); the last one
    /// says how many more there are. GitHub shows 10 per level per step.
    #[arg(long, value_name = "N", default_value_t = report::DEFAULT_MAX_ANNOTATIONS)]
    max_annotations: usize,
    /// Show full stacks and all kept output.
    #[arg(long, short)]
    verbose: bool,
    /// Colour in the terminal report.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
    /// Rerun each test (or package) whose new leaks all look transient up
    /// to N times; a leak gone on a rerun is flaky.
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    /// Rerun command, with {run}, {count}, {package} and {test}; turns
    /// retries on [default for `check`: its --test-command, else
    /// `go test -json -count={count} {run} {package}` in the package's
    /// module; `run` reruns its own command].
    #[arg(long, value_name = "COMMAND")]
    retry_command: Option<String>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Fail when a rule of the policy matched nothing (for a full run,
    /// where every rule should match).
    #[arg(long)]
    strict: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FormatArg {
    Auto,
    #[value(name = "go-json")]
    GoJson,
    Junit,
    Text,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::ERROR as u8 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(exit::ERROR as u8)
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Run(args) => run_command(args),
        Command::Hook(cmd) => hook(cmd),
        Command::Config(ConfigCommand::Check(args)) => config_check(args),
        Command::Baseline(args) => baseline(args),
        Command::Init(args) => init(args),
    }
}

fn hook(cmd: HookCommand) -> Result<i32> {
    use leakgate::hook;
    let cwd = std::env::current_dir().into_diagnostic()?;
    match cmd {
        HookCommand::Install { force, config } => {
            let exe = std::env::current_exe().into_diagnostic()?;
            let path = hook::install(&cwd, &exe, config.as_deref(), force)?;
            eprintln!("leakgate: installed {}", path.display());
            Ok(exit::PASS)
        }
        HookCommand::Uninstall => {
            if hook::uninstall(&cwd)? {
                eprintln!("leakgate: removed the pre-push hook");
            } else {
                eprintln!("leakgate: no pre-push hook to remove");
            }
            Ok(exit::PASS)
        }
        HookCommand::Run { config, today, .. } => {
            let input = hook::read_push_input(std::io::stdin().lock());
            let refs = hook::parse_push_refs(&input);
            let check = hook::PushCheck {
                config,
                today: today.unwrap_or_else(policy::today),
                interrupt: run::interrupt_flag().into_diagnostic()?,
            };
            let color = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let style = Style {
                verbose: false,
                color,
            };
            let result = hook::check_push(&cwd, &check, &refs, &mut |n| match n {
                hook::Note::Line(line) => eprintln!("{line}"),
                hook::Note::Analysis(analysis) => {
                    let mut buf = Vec::new();
                    if report::write(ReportKind::Terminal, analysis, style, &mut buf).is_ok() {
                        let _ = std::io::stderr().write_all(&buf);
                    }
                }
            });
            let code = match result {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("{:?}", miette::Report::new(e));
                    exit::ERROR
                }
            };
            if code != exit::PASS {
                eprintln!("leakgate: push refused; fix the leak or push with --no-verify");
            }
            Ok(code)
        }
    }
}

fn input_list(paths: &[PathBuf]) -> Result<Vec<Input>> {
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

fn load_policy(root: &std::path::Path, args: &PolicyArgs) -> Result<policy::Policy> {
    let today = args.today.unwrap_or_else(policy::today);
    config::load(root, args.config.as_deref(), today).map_err(miette::Report::new)
}

fn config_check(args: ConfigCheckArgs) -> Result<i32> {
    let root = args.root.unwrap_or_else(paths::default_root);
    let policy = load_policy(&root, &args.policy)?;
    print!("{}", config::describe(&policy));
    for w in &policy.warnings {
        eprintln!("{:?}", miette::Report::new(w.clone()));
    }
    Ok(exit::PASS)
}

fn baseline(args: BaselineArgs) -> Result<i32> {
    let inputs = input_list(&args.inputs)?;
    let root = args.root.unwrap_or_else(paths::default_root);
    let repo = Repo::discover(&root);
    let today = args.policy.today.unwrap_or_else(policy::today);
    let target = args
        .policy
        .config
        .clone()
        .unwrap_or_else(|| root.join(policy::FILE_NAME));
    let existing = if target.is_file() {
        Some(config::read(&target).map_err(miette::Report::new)?)
    } else if args.policy.config.is_some() {
        return Err(miette!("the policy {} does not exist", target.display()));
    } else {
        None
    };
    let findings = leakgate::collect(&inputs, format_of(args.format), &repo)?;
    for p in &findings.problems {
        eprintln!("warning: {}", p.message);
    }
    let name = config::display_name(&root, &target);
    let merged = baseline::merge(existing.as_deref(), &name, &findings, today, args.expires)
        .map_err(miette::Report::new)?;
    for (c, rule) in &merged.covered {
        let what = c
            .created_by
            .as_deref()
            .or(c.top_function.as_deref())
            .unwrap_or("?");
        eprintln!("already allowed by `{rule}`: {what}");
    }
    match args.write {
        Some(path) => {
            let path = path.unwrap_or(target);
            if merged.added.is_empty() && path.is_file() {
                eprintln!("baseline: nothing to add to {}", path.display());
            } else {
                std::fs::write(&path, &merged.text)
                    .into_diagnostic()
                    .wrap_err_with(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "baseline: added {} rule{} to {}",
                    merged.added.len(),
                    if merged.added.len() == 1 { "" } else { "s" },
                    path.display()
                );
            }
        }
        None => {
            print!("{}", merged.text);
            eprintln!(
                "baseline: {} new rule{} (--write saves them)",
                merged.added.len(),
                if merged.added.len() == 1 { "" } else { "s" }
            );
        }
    }
    Ok(exit::PASS)
}

fn init(args: InitArgs) -> Result<i32> {
    let root = args.root.unwrap_or_else(paths::default_root);
    let path = args.config.unwrap_or_else(|| root.join(policy::FILE_NAME));
    if path.exists() && !args.force {
        return Err(miette!(
            "{} already exists; --force overwrites it",
            path.display()
        ));
    }
    std::fs::write(&path, config::STARTER)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(exit::PASS)
}

fn format_of(format: FormatArg) -> FormatChoice {
    match format {
        FormatArg::Auto => FormatChoice::Auto,
        FormatArg::GoJson => FormatChoice::Fixed(Format::GoJson),
        FormatArg::Junit => FormatChoice::Fixed(Format::Junit),
        FormatArg::Text => FormatChoice::Fixed(Format::Text),
    }
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dest {
    /// Standard output (`--report KIND`, or `KIND=-`).
    Stdout,
    /// Standard error (the terminal report by default, annotations when
    /// standard output is taken).
    Stderr,
    /// A file (`KIND=PATH`); the step summary is appended to.
    File(PathBuf),
}

impl Dest {
    fn file(&self) -> Option<&std::path::Path> {
        match self {
            Dest::File(p) => Some(p),
            Dest::Stdout | Dest::Stderr => None,
        }
    }
}

fn parse_report(spec: &str) -> Result<(ReportKind, Dest)> {
    let (kind, dest) = match spec.split_once('=') {
        Some((k, "-")) => (k, Dest::Stdout),
        Some((k, p)) => (k, Dest::File(PathBuf::from(p))),
        None => (spec, Dest::Stdout),
    };
    let kind = <ReportKind as clap::ValueEnum>::from_str(kind, true).map_err(|_| {
        let names: Vec<&str> = <ReportKind as clap::ValueEnum>::value_variants()
            .iter()
            .map(|k| k.name())
            .collect();
        miette!(
            "unknown report kind {kind:?}; known kinds: {}",
            names.join(", ")
        )
    })?;
    Ok((kind, dest))
}

fn format_choice(args: &Options) -> FormatChoice {
    match args.format {
        FormatArg::Auto => FormatChoice::Auto,
        FormatArg::GoJson => FormatChoice::Fixed(Format::GoJson),
        FormatArg::Junit => FormatChoice::Fixed(Format::Junit),
        FormatArg::Text => FormatChoice::Fixed(Format::Text),
    }
}

fn report_specs(args: &Options) -> Result<Vec<(ReportKind, Dest)>> {
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
    if !reports.iter().any(|(k, _)| *k == ReportKind::Terminal) {
        reports.insert(0, (ReportKind::Terminal, Dest::Stderr));
    }
    Ok(reports)
}

/// The retry settings: the policy's `retry:` section, with `--retries`
/// and `--retry-command` taking precedence; either flag alone turns
/// retries on with the defaults of `retry:`. `None`: no retries.
fn retry_config(args: &Options, policy: &leakgate::policy::Policy) -> Option<RetryConfig> {
    let mut config = policy.retry.clone();
    if let Some(attempts) = args.retries {
        config.get_or_insert_with(RetryConfig::default).attempts = attempts;
    }
    if let Some(command) = &args.retry_command {
        let c = config.get_or_insert_with(|| {
            let c = RetryConfig::default();
            eprintln!(
                "leakgate: --retry-command without --retries or a retry: section: up to {} retries (the default)",
                c.attempts
            );
            c
        });
        c.command = Some(command.clone());
    }
    config.filter(|c| c.attempts > 0)
}

/// How `check` reruns: the policy's or `--retry-command`'s template, else
/// `--test-command`, else the default template; in the current directory
/// when `--test-command` says the tests ran there, else in each package's
/// module. What had to be assumed is said on stderr and in every plan.
fn check_invocation(check: &CheckArgs, config: &RetryConfig, repo: &Repo) -> Result<Invocation> {
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

/// Reruns through `leakgate::run`, telling stderr about each attempt.
fn attempt_runner<'a>(
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

fn check(check: CheckArgs) -> Result<i32> {
    let args = &check.opts;
    let format = format_choice(args);
    let reports = report_specs(args)?;
    let inputs = input_list(&check.inputs)?;
    let root = args.root.clone().unwrap_or_else(paths::default_root);
    let repo = Repo::discover(&root);
    let mut policy = load_policy(&root, &args.policy)?;
    policy.strict = args.strict;
    // A known `go test` command shows whether -failfast could have stopped
    // tests after a failure, as for `run`.
    let tested = check
        .test_command
        .as_deref()
        .and_then(rerun::split_shell_command)
        .filter(|c| rerun::is_go_test(&c.argv));
    if tested.is_some_and(|c| !rerun::uses_failfast(&c.argv)) {
        policy.verdict.no_failfast = true;
    }
    let analysis = match retry_config(args, &policy) {
        None => leakgate::analyze(&inputs, format, &repo, &policy)?,
        Some(config) => {
            let findings = leakgate::collect(&inputs, format, &repo)?;
            let invocation = check_invocation(&check, &config, &repo)?;
            let interrupt = run::interrupt_flag().into_diagnostic()?;
            let mut runner = attempt_runner(&config, &repo, &interrupt);
            leakgate::judge_with_retries_as(findings, &policy, &config, &invocation, &mut runner)
        }
    };
    write_reports(args, &reports, &analysis)
}

fn run_command(args: RunArgs) -> Result<i32> {
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
        format_choice(check)
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

fn write_reports(
    args: &Options,
    reports: &[(ReportKind, Dest)],
    analysis: &Analysis,
) -> Result<i32> {
    let mut reports = reports.to_vec();
    let mut ctx = Context::from_env();
    ctx.max_annotations = args.max_annotations;
    let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|_| ctx.github_actions)
        .map(PathBuf::from);
    ci_defaults(&mut reports, &ctx, step_summary.as_deref());
    ctx.json_report = reports
        .iter()
        .find_map(|(k, d)| (*k == ReportKind::Json).then(|| d.file()).flatten())
        .map(|p| p.display().to_string());
    let color_ok = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for (kind, dest) in &reports {
        let stderr_terminal = *dest == Dest::Stderr;
        let color = match args.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => color_ok && stderr_terminal && std::io::stderr().is_terminal(),
        };
        let style = Style {
            verbose: args.verbose,
            color: color && *kind == ReportKind::Terminal,
        };
        let append = *kind == ReportKind::Markdown
            && dest.file().is_some()
            && dest.file() == step_summary.as_deref();
        // Reports are written as they are rendered (a JSON report lists
        // every test: no copy of it is held in memory).
        let render = |out: &mut dyn Write| -> std::io::Result<()> {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
            report::write_with(*kind, analysis, style, &ctx, &mut out)?;
            out.flush()
        };
        match dest {
            Dest::Stderr => {
                let _ = render(&mut std::io::stderr().lock());
            }
            Dest::File(p) => open_report(p, append)
                .and_then(|mut f| render(&mut f))
                .into_diagnostic()
                .wrap_err_with(|| {
                    format!("cannot write the {} report to {}", kind.name(), p.display())
                })?,
            Dest::Stdout => {
                if let Err(e) = render(&mut std::io::stdout().lock()) {
                    if !is_broken_pipe(&e) {
                        return Err(e).into_diagnostic();
                    }
                }
            }
        }
    }
    if ctx.github_actions {
        if let Some(out) = std::env::var_os("GITHUB_OUTPUT").filter(|v| !v.is_empty()) {
            let text = report::github::step_outputs(
                analysis,
                ctx.json_report.as_deref(),
                &report::random_token(),
            );
            write_file(std::path::Path::new(&out), text.as_bytes(), true)
                .into_diagnostic()
                .wrap_err("cannot write the step outputs to $GITHUB_OUTPUT")?;
        }
    }
    Ok(analysis.verdict.exit_code())
}

/// Whether a write failed because the reader went away (`| head`), also
/// when a serializer wrapped that error.
fn is_broken_pipe(e: &std::io::Error) -> bool {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return true;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e
        .get_ref()
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    while let Some(err) = cur {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(is_broken_pipe)
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// A report's file: appended to (the step summary) or written anew.
fn open_report(path: &std::path::Path, append: bool) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    if append {
        o.create(true).append(true);
    } else {
        o.create(true).write(true).truncate(true);
    }
    o.open(path)
}

fn write_file(path: &std::path::Path, bytes: &[u8], append: bool) -> std::io::Result<()> {
    if append {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(bytes)
    } else {
        std::fs::write(path, bytes)
    }
}

/// CI defaults: in GitHub Actions, annotations (to standard output, or
/// standard error when a report already takes it; the runner reads both)
/// and the job summary; annotations go last, after the terminal report has
/// closed its `::stop-commands::` block.
fn ci_defaults(
    reports: &mut Vec<(ReportKind, Dest)>,
    ctx: &Context,
    step_summary: Option<&std::path::Path>,
) {
    if ctx.github_actions {
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
        if let Some(summary) = step_summary {
            match reports.iter_mut().find(|(k, _)| *k == ReportKind::Markdown) {
                Some((_, d @ Dest::Stdout)) => *d = Dest::File(summary.to_path_buf()),
                Some(_) => {}
                None => reports.push((ReportKind::Markdown, Dest::File(summary.to_path_buf()))),
            }
        }
    }
    // Stable: keeps the order given, GitHub annotations last.
    reports.sort_by_key(|(k, _)| *k == ReportKind::Github);
}
