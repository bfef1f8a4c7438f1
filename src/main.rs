//! The `leakgate` command.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use leakgate::ingest::{Format, FormatChoice};
use leakgate::paths::{self, Repo};
use leakgate::policy::Policy;
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
    }
}

fn parse_report(spec: &str) -> Result<(ReportKind, Option<PathBuf>)> {
    let (kind, path) = match spec.split_once('=') {
        Some((k, p)) => (k, Some(PathBuf::from(p))),
        None => (spec, None),
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
    Ok((kind, path))
}

fn check(args: CheckArgs) -> Result<i32> {
    let format = match args.format {
        FormatArg::Auto => FormatChoice::Auto,
        FormatArg::GoJson => FormatChoice::Fixed(Format::GoJson),
        FormatArg::Junit => FormatChoice::Fixed(Format::Junit),
        FormatArg::Text => FormatChoice::Fixed(Format::Text),
    };
    let mut reports = Vec::new();
    for spec in &args.reports {
        reports.push(parse_report(spec)?);
    }
    let to_stdout = reports.iter().filter(|(_, p)| p.is_none()).count();
    if to_stdout > 1 {
        return Err(miette!(
            "only one report can go to standard output; give the others a path (KIND=PATH)"
        ));
    }
    if !reports.iter().any(|(k, _)| *k == ReportKind::Terminal) {
        reports.insert(
            0,
            (ReportKind::Terminal, Some(PathBuf::from("/dev/stderr"))),
        );
    }
    let inputs: Vec<Input> = if args.inputs.is_empty() {
        vec![Input::Stdin]
    } else {
        args.inputs
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
    let root = args.root.clone().unwrap_or_else(paths::default_root);
    let repo = Repo::discover(&root);
    let policy = Policy::default();
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
                .wrap_err_with(|| {
                    format!("cannot write the {} report to {}", kind.name(), p.display())
                })?,
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
