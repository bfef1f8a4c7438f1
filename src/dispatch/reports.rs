//! Writing the reports of `check` and `run` to their destinations.

use std::io::Write;

use leakgate::report::{self, Style};
use leakgate::verdict::Analysis;
use miette::{IntoDiagnostic, Result, WrapErr};

use super::settings::{Dest, Settings};

/// Writes the reports `settings` name, and in GitHub Actions the step
/// outputs; the verdict's exit code.
pub(crate) fn write_reports(settings: &Settings, analysis: &Analysis) -> Result<i32> {
    let mut ctx = settings.ctx.clone();
    ctx.now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for (kind, dest) in &settings.reports {
        let style = Style {
            verbose: settings.verbose,
            color: settings.color_for(*kind, dest),
        };
        let append = settings.appends(*kind, dest);
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
    if let Some(out) = &settings.github_output {
        let text = report::github::step_outputs(
            analysis,
            ctx.json_report.as_deref(),
            &report::random_token(),
        );
        write_file(out, text.as_bytes(), true)
            .into_diagnostic()
            .wrap_err("cannot write the step outputs to $GITHUB_OUTPUT")?;
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
