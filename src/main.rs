//! The `leakgate` command.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use leakgate::ingest::{Format, FormatChoice};
use leakgate::paths::{self, Repo};
use leakgate::policy::{self, baseline, config};
use leakgate::report::{self, ReportKind, Style};
use leakgate::{exit, Input};
use miette::{miette, IntoDiagnostic, Result, WrapErr};

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
struct CheckArgs {
    /// Input files (`go test -json`, JUnit XML or `go test -v` text); `-` or
    /// nothing for standard input. Several inputs make one verdict.
    inputs: Vec<PathBuf>,
    /// The inputs' format.
    #[arg(long, value_enum, default_value = "auto")]
    format: FormatArg,
    /// Repository root, to make paths relative [default: $GITHUB_WORKSPACE,
    /// $CI_PROJECT_DIR, the git top level, else the current directory].
    #[arg(long)]
    root: Option<PathBuf>,
    /// A report to write, `KIND` or `KIND=PATH` (repeatable). Kinds:
    /// terminal (always on, to stderr, unless given a path), json. Without
    /// a path a report goes to standard output.
    #[arg(long = "report", value_name = "KIND[=PATH]")]
    reports: Vec<String>,
    /// Show full stacks and all kept output.
    #[arg(long, short)]
    verbose: bool,
    /// Colour in the terminal report.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
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
        Command::Config(ConfigCommand::Check(args)) => config_check(args),
        Command::Baseline(args) => baseline(args),
        Command::Init(args) => init(args),
    }
}

fn parse_report(spec: &str) -> Result<(ReportKind, Option<PathBuf>)> {
    let (kind, path) = match spec.split_once('=') {
        Some((k, p)) => (k, Some(PathBuf::from(p))),
        None => (spec, None),
    };
    let kind = <ReportKind as clap::ValueEnum>::from_str(kind, true).map_err(|_| {
        let names: Vec<&str> = <ReportKind as clap::ValueEnum>::value_variants().iter().map(|k| k.name()).collect();
        miette!("unknown report kind {kind:?}; known kinds: {}", names.join(", "))
    })?;
    Ok((kind, path))
}

fn format_choice(format: FormatArg) -> FormatChoice {
    match format {
        FormatArg::Auto => FormatChoice::Auto,
        FormatArg::GoJson => FormatChoice::Fixed(Format::GoJson),
        FormatArg::Junit => FormatChoice::Fixed(Format::Junit),
        FormatArg::Text => FormatChoice::Fixed(Format::Text),
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
    let findings = leakgate::collect(&inputs, format_choice(args.format), &repo)?;
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

fn check(args: CheckArgs) -> Result<i32> {
    let format = format_choice(args.format);
    let mut reports = Vec::new();
    for spec in &args.reports {
        reports.push(parse_report(spec)?);
    }
    let to_stdout = reports.iter().filter(|(_, p)| p.is_none()).count();
    if to_stdout > 1 {
        return Err(miette!("only one report can go to standard output; give the others a path (KIND=PATH)"));
    }
    if !reports.iter().any(|(k, _)| *k == ReportKind::Terminal) {
        reports.insert(0, (ReportKind::Terminal, Some(PathBuf::from("/dev/stderr"))));
    }
    let inputs = input_list(&args.inputs)?;
    let root = args.root.clone().unwrap_or_else(paths::default_root);
    let repo = Repo::discover(&root);
    let mut policy = load_policy(&root, &args.policy)?;
    policy.strict = args.strict;
    let analysis = leakgate::analyze(&inputs, format, &repo, &policy)?;

    let color_ok = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for (kind, path) in &reports {
        let stderr_terminal = path.as_deref() == Some(std::path::Path::new("/dev/stderr"));
        let color = match args.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => color_ok && stderr_terminal && std::io::stderr().is_terminal(),
        };
        let style = Style {
            verbose: args.verbose,
            color: color && *kind == ReportKind::Terminal,
        };
        let mut buf = Vec::new();
        report::write(*kind, &analysis, style, &mut buf).into_diagnostic()?;
        match path {
            Some(p) if stderr_terminal && p == std::path::Path::new("/dev/stderr") => {
                let _ = std::io::stderr().write_all(&buf);
            }
            Some(p) => std::fs::write(p, &buf)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot write the {} report to {}", kind.name(), p.display()))?,
            None => {
                let mut out = std::io::stdout().lock();
                if let Err(e) = out.write_all(&buf).and_then(|()| out.flush()) {
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        return Err(e).into_diagnostic();
                    }
                }
            }
        }
    }
    Ok(analysis.verdict.exit_code())
}
