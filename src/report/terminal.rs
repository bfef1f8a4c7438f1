//! The terminal report: for a person in a hurry.
//!
//! One block per distinct leak, headed by the `go` statement that started
//! it, then other failures, then one summary line. Stacks are trimmed to
//! the user's own frames unless `--verbose`. Every piece of input text is
//! stripped of control characters, so test output cannot move the cursor,
//! recolour or retitle the terminal.
//!
//! In CI logs ([`Context`]): under GitHub Actions the whole report sits
//! between `::stop-commands::TOKEN` and `::TOKEN::` with a fresh random
//! token, because the runner reads any log line that starts (after
//! spaces) with `::`, or holds `##[` anywhere, as a command; under GitLab
//! CI long stacks and outputs are collapsible sections, and `section_` in
//! echoed text is broken up so it cannot open or close one.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style as Ansi};

pub use super::helpers::clean;
use super::{Context, Style};
use crate::findings::{LeakFrame, LeakedGoroutine, SourceRef};
use crate::policy::RuleOutcome;
use crate::retry::RetryOutcome;
use crate::verdict::{Analysis, Class, JudgedLeak, Verdict};

/// Frames shown per stack when not verbose.
pub const SHORT_STACK: usize = 6;
/// Output lines shown per failure when not verbose.
pub const SHORT_OUTPUT: usize = 12;

struct Paint {
    on: bool,
}

impl Paint {
    fn p(&self, style: Ansi, text: &str) -> String {
        if self.on {
            format!("{}{}{}", style.render(), text, style.render_reset())
        } else {
            text.to_string()
        }
    }
}

const RED: Ansi = Ansi::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const YELLOW: Ansi = Ansi::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const GREEN: Ansi = Ansi::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)))
    .effects(Effects::BOLD);
const DIM: Ansi = Ansi::new().effects(Effects::DIMMED);
const BOLD: Ansi = Ansi::new().effects(Effects::BOLD);

fn place(src: &Option<SourceRef>) -> String {
    match src {
        Some(s) => clean(&format!("{}:{}", s.file, s.line)),
        None => "(unknown origin)".to_string(),
    }
}

/// Where the block points: the `go` statement in the repository, else the
/// first frame in it, else the test's `VerifyNone` call, else the
/// creator's file as printed.
fn headline_place(d: &JudgedLeak) -> String {
    let g = &d.leak.example;
    if let Some(anchor) = g.anchor() {
        return place(&Some(anchor.clone()));
    }
    match d.leak.place() {
        Some(v) => format!(
            "{} (the leak check; the goroutine was started outside the repository)",
            place(&Some(v.clone()))
        ),
        None => place(&g.origin),
    }
}

fn who(package: Option<&str>, test: Option<&str>) -> String {
    let p = super::package_label(package);
    match test {
        Some(t) => clean(&format!("{p} {t}")),
        None => clean(&format!("{p} (package level, VerifyTestMain)")),
    }
}

fn who_failed(package: Option<&str>, test: Option<&str>) -> String {
    clean(&super::failure_name(package, test))
}

/// Lines in a stack or output excerpt above which GitLab sections fold it.
pub const SECTION_MIN_LINES: usize = 4;

/// Section markers are written as placeholders that input text cannot
/// contain (NUL: [`clean`] replaces every control character), then
/// replaced after `section_` in the text has been broken up.
const MARK: char = '\0';

/// A word joiner: invisible, but `section_start` no longer matches.
const SECTION_BREAK: &str = "section\u{2060}_";

/// Writes the terminal report outside any CI.
pub fn write(a: &Analysis, style: Style, out: &mut dyn Write) -> io::Result<()> {
    write_with(a, style, &Context::default(), out)
}

/// Writes the terminal report for the CI system in `ctx`.
pub fn write_with(
    a: &Analysis,
    style: Style,
    ctx: &Context,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut buf = Vec::new();
    write_body(a, style, ctx.gitlab_ci, &mut buf)?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if ctx.gitlab_ci {
        text = text.replace("section_", SECTION_BREAK);
        text = gitlab_sections(&text, ctx.now);
    }
    if ctx.github_actions && !ctx.stop_token.is_empty() {
        writeln!(out, "::stop-commands::{}", ctx.stop_token)?;
        out.write_all(text.as_bytes())?;
        writeln!(out, "::{}::", ctx.stop_token)
    } else {
        out.write_all(text.as_bytes())
    }
}

/// Turns the placeholders `\0S<name>\0<header>` and `\0E<name>\0` into
/// GitLab's `section_start` / `section_end` markers.
fn gitlab_sections(text: &str, now: u64) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let Some(rest) = line.strip_prefix(MARK) else {
            out.push_str(line);
            continue;
        };
        let rest = rest.trim_end_matches('\n');
        let (what, header) = rest.split_once(MARK).unwrap_or((rest, ""));
        if let Some(name) = what.strip_prefix('S') {
            out.push_str(&format!(
                "\x1b[0Ksection_start:{now}:{name}[collapsed=true]\r\x1b[0K{header}\n"
            ));
        } else if let Some(name) = what.strip_prefix('E') {
            out.push_str(&format!("\x1b[0Ksection_end:{now}:{name}\r\x1b[0K\n"));
        }
    }
    out
}

fn section_start(out: &mut dyn Write, on: bool, name: &str, header: &str) -> io::Result<()> {
    if on {
        writeln!(out, "{MARK}S{name}{MARK}{header}")?;
    }
    Ok(())
}

fn section_end(out: &mut dyn Write, on: bool, name: &str) -> io::Result<()> {
    if on {
        writeln!(out, "{MARK}E{name}{MARK}")?;
    }
    Ok(())
}

fn write_body(a: &Analysis, style: Style, gitlab: bool, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { on: style.color };
    for (n, d) in a.leaks().iter().enumerate() {
        leak_block(d, a, style, &paint, gitlab.then_some(n + 1), out)?;
    }
    for (n, f) in a.other_failures().enumerate() {
        let tag = match f.kind {
            crate::findings::FailureKind::Incomplete => paint.p(RED, "INCOMPLETE"),
            _ => paint.p(RED, "FAIL"),
        };
        writeln!(
            out,
            "{tag} {} [{}]: {}",
            paint.p(BOLD, &who_failed(f.package.as_deref(), f.test.as_deref())),
            f.kind.name(),
            clean(&f.message)
        )?;
        if let Some(at) = a.failure_place(f) {
            writeln!(out, "    at {}", place(&Some(at.clone())))?;
        }
        let limit = if style.verbose {
            usize::MAX
        } else {
            SHORT_OUTPUT
        };
        let shown = f.excerpt.iter().filter(|l| !l.trim().is_empty()).count();
        let fold = gitlab && shown.min(limit) > SECTION_MIN_LINES;
        let name = format!("leakgate_output_{}", n + 1);
        section_start(
            out,
            fold,
            &name,
            &format!("    output ({} lines)", shown.min(limit)),
        )?;
        for line in f
            .excerpt
            .iter()
            .filter(|l| !l.trim().is_empty())
            .take(limit)
        {
            writeln!(out, "    {}", clean(line))?;
        }
        section_end(out, fold, &name)?;
        if shown > limit {
            writeln!(
                out,
                "    {}",
                paint.p(
                    DIM,
                    &format!("… {} more lines (--verbose shows all)", shown - limit)
                )
            )?;
        }
        writeln!(out)?;
    }
    for input in &a.findings.inputs {
        for w in &input.warnings {
            writeln!(
                out,
                "{} {}: {}",
                paint.p(YELLOW, "warning:"),
                clean(&input.path),
                clean(w)
            )?;
        }
        if input.more_warnings > 0 {
            writeln!(
                out,
                "{} {}: {} more warnings",
                paint.p(YELLOW, "warning:"),
                clean(&input.path),
                input.more_warnings
            )?;
        }
    }
    if a.default_policy && !a.findings.leaks.is_empty() {
        writeln!(
            out,
            "{}",
            paint.p(
                DIM,
                "note: no .leakgate.yml found; using the default policy, which allows no leak"
            )
        )?;
    }
    policy_lines(a, &paint, out)?;
    summary(a, &paint, out)
}

fn leak_block(
    d: &JudgedLeak,
    a: &Analysis,
    style: Style,
    paint: &Paint,
    section: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let g = &d.leak.example;
    let (tag, color) = match d.class() {
        Class::Harness => ("HARNESS", DIM),
        Class::New => ("LEAK", RED),
        Class::Allowed => ("ALLOWED", YELLOW),
        Class::Flaky => ("FLAKY", YELLOW),
    };
    let count = super::count_text(d);
    let mut state = g.goroutine.state.status.clone();
    if let Some(m) = g.goroutine.state.wait_minutes {
        state.push_str(&format!(", {m} minutes"));
    }
    writeln!(
        out,
        "{} {}  {}  [{}]",
        paint.p(color, tag),
        paint.p(BOLD, &headline_place(d)),
        count,
        clean(&state)
    )?;
    if let Some(c) = &g.goroutine.created_by {
        writeln!(out, "    started by  {}", clean(&c.function))?;
    }
    if let Some(top) = g.goroutine.top_function() {
        let at = g
            .blocked_at
            .as_ref()
            .map(|b| format!(" at {}", place(&Some(b.clone()))))
            .unwrap_or_default();
        writeln!(out, "    blocked in  {}{}", clean(top), at)?;
    }
    let reporters: Vec<String> = d
        .leak
        .reporters
        .iter()
        .map(|r| who(r.package.as_deref(), r.test.as_deref()))
        .collect();
    let shown = if style.verbose {
        reporters.len()
    } else {
        reporters.len().min(4)
    };
    write!(out, "    reported by {}", reporters[..shown].join("; "))?;
    if reporters.len() > shown {
        write!(out, " and {} more", reporters.len() - shown)?;
    }
    writeln!(out)?;
    if let Some(again) = super::seen_again_text(d) {
        if style.verbose {
            let names: Vec<String> = d
                .leak
                .seen_again
                .iter()
                .map(|r| who(r.package.as_deref(), r.test.as_deref()))
                .collect();
            writeln!(out, "    {again}: {}", names.join("; "))?;
        } else {
            writeln!(out, "    {}", paint.p(DIM, &again))?;
        }
    }
    if d.class() == Class::Allowed {
        writeln!(out, "    allowed by  {}", clean(&d.rules.join(", ")))?;
    }
    for r in expired_rules(d, a) {
        let on = r
            .rule
            .expires
            .map(|e| format!(" on {e}"))
            .unwrap_or_default();
        writeln!(
            out,
            "    {}",
            paint.p(
                YELLOW,
                &clean(&format!(
                    "rule `{}` ({}) expired{on}; it no longer allows this leak",
                    r.rule.id,
                    r.rule.place()
                ))
            )
        )?;
    }
    retry_lines(d, a, paint, out)?;
    if d.leak.harness {
        if let Some(why) = g.harness {
            writeln!(out, "    {}", paint.p(DIM, &format!("not a leak: {why}")))?;
        }
    }
    stack_lines(g, style, paint, section, out)?;
    writeln!(out)
}

/// Expired rules that would have allowed `d`.
fn expired_rules<'a>(d: &JudgedLeak, a: &'a Analysis) -> Vec<&'a RuleOutcome> {
    d.expired_rules
        .iter()
        .filter_map(|id| a.policy.rule(id))
        .collect()
}

/// The policy in use, expired rules and rules that matched nothing.
fn policy_lines(a: &Analysis, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let p = &a.policy;
    let Some(source) = &p.source else {
        return Ok(());
    };
    let own = p.rules.iter().filter(|r| r.rule.extends.is_none()).count();
    let mut line = format!(
        "policy: {} ({own} rule{})",
        source,
        if own == 1 { "" } else { "s" }
    );
    if !p.extends.is_empty() {
        line.push_str(&format!(", extends {}", p.extends.join(", ")));
    }
    writeln!(out, "{}", paint.p(DIM, &clean(&line)))?;
    for r in &p.rules {
        let place = r.rule.place();
        if r.usage.expired {
            let on = r
                .rule
                .expires
                .map(|e| format!(" on {e}"))
                .unwrap_or_default();
            let what = if r.usage.unused() {
                "and matched nothing; delete it".to_string()
            } else {
                format!(
                    "and no longer applies to the {} goroutine{} it matched",
                    r.usage.matched,
                    if r.usage.matched == 1 { "" } else { "s" }
                )
            };
            writeln!(
                out,
                "{} rule `{}` ({place}) expired{on} {what}",
                paint.p(YELLOW, "warning:"),
                clean(&r.rule.id)
            )?;
        } else if r.strict_failure() {
            let tag = if p.strict {
                paint.p(RED, "error:")
            } else {
                paint.p(YELLOW, "warning:")
            };
            let hint = if p.strict {
                ""
            } else {
                " (--strict fails on this)"
            };
            writeln!(
                out,
                "{tag} rule `{}` ({place}) matched nothing in this run{hint}",
                clean(&r.rule.id)
            )?;
        }
    }
    Ok(())
}

/// What retrying did for this leak: for each test or package that
/// reported it, its own reason or the rerun and its attempts; then the
/// leak's conclusion.
fn retry_lines(d: &JudgedLeak, a: &Analysis, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let Some(retry) = &d.retry else {
        return Ok(());
    };
    let records: Vec<_> = a.retry_records(d.key()).collect();
    let several = records.len() > 1;
    for r in &records {
        let whose = if several {
            format!("{}: ", who(r.package.as_deref(), r.test.as_deref()))
        } else {
            String::new()
        };
        if !r.retried() {
            writeln!(
                out,
                "    {}",
                paint.p(DIM, &format!("{whose}{}", clean(r.reason_of(d.key()))))
            )?;
            continue;
        }
        if let Some(cmd) = r.command() {
            writeln!(
                out,
                "    {whose}retried     {}",
                clean(&crate::retry::rerun::display(cmd))
            )?;
        }
        for t in &r.attempts {
            writeln!(
                out,
                "      attempt {}: {} ({:.1}s)",
                t.number,
                clean(&t.message),
                t.duration.as_secs_f64()
            )?;
        }
        if several {
            writeln!(out, "    {}", outcome_text(r.outcome_of(d.key()), a, paint))?;
        }
    }
    if !several || !matches!(retry.outcome, RetryOutcome::NotRetried) {
        let text = outcome_text(retry.outcome, a, paint);
        if !text.is_empty() {
            writeln!(out, "    {text}")?;
        }
    }
    Ok(())
}

fn outcome_text(outcome: RetryOutcome, a: &Analysis, paint: &Paint) -> String {
    match outcome {
        RetryOutcome::Flaky { attempt } => paint.p(
            YELLOW,
            &format!(
                "flaky: gone on attempt {attempt} (retry.flaky: {})",
                a.flaky.name()
            ),
        ),
        RetryOutcome::Reproduced => paint.p(RED, "real: leaked again in every attempt"),
        RetryOutcome::NewLeak { attempt } => {
            paint.p(RED, &format!("attempt {attempt} leaked something new"))
        }
        RetryOutcome::Inconclusive => paint.p(RED, "inconclusive: the leak stays new"),
        RetryOutcome::NotRetried => String::new(),
    }
}

fn stack_lines(
    g: &LeakedGoroutine,
    style: Style,
    paint: &Paint,
    section: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let frames = &g.frames;
    let user: Vec<&LeakFrame> = frames
        .iter()
        .filter(|f| style.verbose || !f.stdlib)
        .collect();
    let limit = if style.verbose {
        usize::MAX
    } else {
        SHORT_STACK
    };
    let lines = user.len().min(limit) * 2;
    let fold = section.is_some() && lines > SECTION_MIN_LINES;
    let name = format!("leakgate_stack_{}", section.unwrap_or(0));
    section_start(
        out,
        fold,
        &name,
        &format!("      stack of goroutine {}", g.goroutine.id),
    )?;
    for f in user.iter().take(limit) {
        writeln!(out, "      {}", clean(&f.function))?;
        writeln!(
            out,
            "        {}",
            paint.p(DIM, &clean(&format!("{}:{}", f.place.file, f.place.line)))
        )?;
    }
    section_end(out, fold, &name)?;
    let hidden = frames.len() - user.len().min(limit);
    if hidden > 0 {
        writeln!(
            out,
            "      {}",
            paint.p(DIM, &format!("({hidden} more frames; --verbose shows all)"))
        )?;
    }
    Ok(())
}

fn summary(a: &Analysis, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let head = match a.verdict {
        Verdict::Pass => paint.p(GREEN, "PASS"),
        Verdict::Fail => paint.p(RED, "FAIL"),
        Verdict::Error => paint.p(RED, "ERROR"),
    };
    if a.verdict == Verdict::Error {
        for r in &a.reasons {
            writeln!(out, "{} {}", paint.p(RED, "error:"), clean(r))?;
        }
    } else {
        // Failed on what an incomplete input shows: say where it ends.
        for r in &a.incomplete {
            writeln!(out, "{} {}", paint.p(YELLOW, "warning:"), clean(r))?;
        }
    }
    writeln!(
        out,
        "leakgate: {head}: {}; {}",
        super::tally_phrases(&a.tally()).join(", "),
        super::counts_text(&a.findings.counts),
    )
}
