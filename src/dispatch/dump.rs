//! `leakgate dump INPUT` and `leakgate diff BEFORE AFTER`: goroutine dumps
//! of a running service, grouped by `go` statement, judged, reported.

use std::io::Write;
use std::time::Duration;

use leakgate::dump::{self, diff};
use leakgate::exit;
use leakgate::paths;
use leakgate::report::dump as render;
use leakgate::run::display_duration;
use miette::Result;

use super::args::{DiffArgs, DumpArgs, DumpOutput, DumpReportArgs, WatchArgs};
use super::load_policy;

fn read_one(
    input: &str,
    repo: &paths::Repo,
    policy: &leakgate::policy::Policy,
) -> Result<dump::Dump> {
    let dump = if input == "-" {
        dump::read("-", std::io::stdin().lock(), repo, policy)
    } else if input.starts_with("http://") || input.starts_with("https://") {
        dump::fetch::open(input).and_then(|body| dump::read(input, body, repo, policy))
    } else {
        match std::fs::File::open(input) {
            Ok(f) => dump::read(input, f, repo, policy),
            Err(source) => Err(dump::DumpError::Unreadable {
                name: input.to_string(),
                source,
            }),
        }
    };
    dump.map_err(miette::Report::new)
}

fn emit(d: &diff::Diff, command: &'static str, args: &DumpReportArgs) -> Result<i32> {
    let env = super::settings::Env::read();
    let mut ctx = env.ctx.clone();
    ctx.max_annotations = args.max_annotations;
    // In GitHub Actions the job summary gets the whole table, so that what
    // the annotations' cap leaves out is still shown (unless the Markdown
    // report is what standard output was asked for: then it is the user's).
    if let Some(summary) = env
        .step_summary
        .as_ref()
        .filter(|_| !matches!(args.report, DumpOutput::Markdown))
    {
        let mut text = Vec::new();
        render::markdown(d, &mut text).map_err(|e| miette::miette!("{e}"))?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(summary)
            .and_then(|mut f| f.write_all(&text))
            .map_err(|e| {
                miette::miette!("cannot write the job summary {}: {e}", summary.display())
            })?;
    }
    let mut out = std::io::stdout().lock();
    let r = match args.report {
        DumpOutput::Terminal => render::terminal(d, args.verbose, &mut out),
        DumpOutput::Json => render::json(d, command, &mut out),
        DumpOutput::Markdown => render::markdown(d, &mut out),
        DumpOutput::Github => render::github(d, &ctx, &mut out).and_then(|_| {
            let mut err = std::io::stderr().lock();
            render::terminal(d, args.verbose, &mut err)
        }),
    };
    r.and_then(|_| out.flush())
        .map_err(|e| miette::miette!("cannot write the report: {e}"))?;
    Ok(if d.failing() > 0 {
        exit::FAIL
    } else if d.stopped.is_some() {
        exit::ERROR
    } else {
        exit::PASS
    })
}

pub(crate) fn dump(args: DumpArgs) -> Result<i32> {
    let root = args.root.unwrap_or_else(paths::default_root);
    let policy = load_policy(&root, &args.policy)?;
    let repo = paths::Repo::discover(&root);
    let d = read_one(&args.input, &repo, &policy)?;
    emit(&diff::single(d), "dump", &args.report)
}

pub(crate) fn diff(args: DiffArgs) -> Result<i32> {
    let root = args.root.unwrap_or_else(paths::default_root);
    let policy = load_policy(&root, &args.policy)?;
    let repo = paths::Repo::discover(&root);
    let before = read_one(&args.before, &repo, &policy)?;
    let after = read_one(&args.after, &repo, &policy)?;
    diff::comparable(&before, &after).map_err(miette::Report::new)?;
    let mut settings = policy.dumps.unwrap_or_default();
    settings.update(args.grow_by, args.grow_percent);
    emit(&diff::diff(before, after, settings), "diff", &args.report)
}

pub(crate) fn watch(args: WatchArgs) -> Result<i32> {
    let root = args.root.unwrap_or_else(paths::default_root);
    let policy = load_policy(&root, &args.policy)?;
    let repo = paths::Repo::discover(&root);
    let mut settings = policy.dumps.unwrap_or_default();
    settings.update(args.grow_by, args.grow_percent);
    let interrupt = leakgate::run::interrupt_flag()
        .map_err(|e| miette::miette!("cannot handle Ctrl-C: {e}"))?;
    let wanted_samples = dump::watch::samples(args.every, args.duration);
    if wanted_samples > dump::watch::MAX_SAMPLES {
        // Cut short silently, a day's watch would pass after hours.
        return Err(miette::miette!(
            help = format!(
                "sample less often: --every {} or more",
                display_duration(Duration::from_secs(
                    args.duration
                        .as_secs()
                        .div_ceil(dump::watch::MAX_SAMPLES as u64 - 1)
                ))
            ),
            "--for {} with --every {} takes {wanted_samples} samples; watch takes at most {}",
            display_duration(args.duration),
            display_duration(args.every),
            dump::watch::MAX_SAMPLES
        ));
    }
    if wanted_samples < dump::watch::MIN_SAMPLES {
        // Steady growth needs three samples: fewer could never fail, and a
        // soak test that cannot fail is not one.
        return Err(miette::miette!(
            help = "make --for at least twice --every",
            "--for {} with --every {} takes {wanted_samples} sample{}; watch needs at least {} to tell steady growth from a spike",
            display_duration(args.duration),
            display_duration(args.every),
            if wanted_samples == 1 { "" } else { "s" },
            dump::watch::MIN_SAMPLES
        ));
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let wanted = wanted_samples as u64;
    bar.set_length(wanted);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:20} {pos}/{len} samples  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut series = dump::watch::Series::default();
    let sampled = dump::watch::watch(
        args.every,
        args.duration,
        &interrupt,
        &mut series,
        || {
            if args.url.starts_with("http://") {
                dump::read(&args.url, dump::fetch::open(&args.url)?, &repo, &policy)
            } else {
                let file = std::fs::File::open(&args.url).map_err(|source| {
                    dump::DumpError::Unreadable {
                        name: args.url.clone(),
                        source,
                    }
                })?;
                dump::read(&args.url, file, &repo, &policy)
            }
        },
        |series, last| {
            bar.set_position(series.samples as u64);
            let top: Vec<String> = last
                .groups
                .iter()
                .take(3)
                .map(|g| format!("{} {}", g.count, g.key.entry))
                .collect();
            bar.set_message(format!("{} goroutines; {}", last.total, top.join(", ")));
            if bar.is_hidden() {
                eprintln!(
                    "sample {}/{wanted}: {} goroutines; {}",
                    series.samples,
                    last.total,
                    top.join(", ")
                );
            }
        },
    );
    bar.finish_and_clear();
    let stopped = interrupt.load(std::sync::atomic::Ordering::SeqCst);
    let taken = series.samples;
    if let Err(e) = sampled {
        // What was sampled before the failure is still shown; the gate
        // cannot pass.
        if let Some(mut d) = series.judge(settings) {
            d.stopped = Some(format!(
                "sample {} of {wanted} could not be taken",
                taken + 1
            ));
            let _ = emit(&d, "watch", &args.report);
        }
        return Err(miette::Report::new(e));
    }
    let Some(mut d) = series.judge(settings) else {
        return Err(miette::miette!("no sample was taken"));
    };
    if stopped {
        eprintln!("interrupted: the report covers the samples taken so far");
        // Cut short: not the soak test that was asked for (exit 2, or 1
        // when a group already failed).
        d.stopped = Some(format!("interrupted after {taken} of {wanted} samples"));
    }
    emit(&d, "watch", &args.report)
}
