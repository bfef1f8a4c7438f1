//! Report destinations and writing the reports of `check` and `run`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use leakgate::report::{self, Context, ReportKind, Style};
use leakgate::verdict::Analysis;
use miette::{miette, IntoDiagnostic, Result, WrapErr};

use crate::{ColorArg, Options};

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

pub(crate) fn report_specs(args: &Options) -> Result<Vec<(ReportKind, Dest)>> {
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

pub(crate) fn write_reports(
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
pub(crate) fn is_broken_pipe(e: &std::io::Error) -> bool {
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
pub(crate) fn open_report(path: &std::path::Path, append: bool) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    if append {
        o.create(true).append(true);
    } else {
        o.create(true).write(true).truncate(true);
    }
    o.open(path)
}

pub(crate) fn write_file(
    path: &std::path::Path,
    bytes: &[u8],
    append: bool,
) -> std::io::Result<()> {
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
pub(crate) fn ci_defaults(
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
