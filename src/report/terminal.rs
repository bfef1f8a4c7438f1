//! The terminal report: for a person in a hurry.
//!
//! One block per distinct leak, headed by the `go` statement that started
//! it, then other failures, then one summary line. Stacks are trimmed to
//! the user's own frames unless `--verbose`. Every piece of input text is
//! stripped of control characters, so test output cannot move the cursor,
//! recolour or retitle the terminal.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style as Ansi};

use super::Style;
use crate::findings::LeakedGoroutine;
use crate::policy::{LeakStatus, RuleOutcome};
use crate::stack;
use crate::verdict::{Analysis, DistinctLeak, Verdict};

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

const RED: Ansi = Ansi::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red))).effects(Effects::BOLD);
const YELLOW: Ansi = Ansi::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const GREEN: Ansi = Ansi::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green))).effects(Effects::BOLD);
const DIM: Ansi = Ansi::new().effects(Effects::DIMMED);
const BOLD: Ansi = Ansi::new().effects(Effects::BOLD);

/// Replaces control characters (ESC, CR, BEL, …) in input-derived text.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() && c != '\t' { '\u{FFFD}' } else { c })
        .collect()
}

fn place(src: &Option<crate::paths::SourceRef>) -> String {
    match src {
        Some(s) => clean(&format!("{}:{}", s.file, s.line)),
        None => "(unknown origin)".to_string(),
    }
}

/// Where the block points: the `go` statement in the repository, else the
/// first frame in it, else the test's `VerifyNone` call, else the
/// creator's file as printed.
fn headline_place(g: &LeakedGoroutine, d: &DistinctLeak<'_>, a: &Analysis) -> String {
    if let Some(anchor) = g.anchor() {
        return place(&Some(anchor.clone()));
    }
    let verify = a
        .findings
        .leaks
        .iter()
        .filter(|l| d.reporters.contains(&(l.package.as_deref(), l.test.as_deref())))
        .find_map(|l| l.verify_at.clone().filter(|v| v.in_repo));
    match verify {
        Some(v) => format!("{} (the leak check; the goroutine was started outside the repository)", place(&Some(v))),
        None => place(&g.origin),
    }
}

fn who(package: Option<&str>, test: Option<&str>) -> String {
    let p = package.unwrap_or("(unnamed package)");
    match test {
        Some(t) => clean(&format!("{p} {t}")),
        None => clean(&format!("{p} (package level, VerifyTestMain)")),
    }
}

/// Writes the terminal report.
pub fn write(a: &Analysis, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { on: style.color };
    let distinct = a.distinct_leaks();
    for d in &distinct {
        leak_block(d, a, style, &paint, out)?;
    }
    for f in a.other_failures() {
        let tag = match f.kind {
            crate::findings::FailureKind::Incomplete => paint.p(RED, "INCOMPLETE"),
            _ => paint.p(RED, "FAIL"),
        };
        writeln!(
            out,
            "{tag} {} [{}]: {}",
            paint.p(BOLD, &who(f.package.as_deref(), f.test.as_deref())),
            f.kind.name(),
            clean(&f.message)
        )?;
        let limit = if style.verbose { usize::MAX } else { SHORT_OUTPUT };
        for line in f.excerpt.iter().filter(|l| !l.trim().is_empty()).take(limit) {
            writeln!(out, "    {}", clean(line))?;
        }
        let shown = f.excerpt.iter().filter(|l| !l.trim().is_empty()).count();
        if shown > limit {
            writeln!(out, "    {}", paint.p(DIM, &format!("… {} more lines (--verbose shows all)", shown - limit)))?;
        }
        writeln!(out)?;
    }
    for input in &a.findings.inputs {
        for w in &input.warnings {
            writeln!(out, "{} {}: {}", paint.p(YELLOW, "warning:"), clean(&input.path), clean(w))?;
        }
        if input.more_warnings > 0 {
            writeln!(out, "{} {}: {} more warnings", paint.p(YELLOW, "warning:"), clean(&input.path), input.more_warnings)?;
        }
    }
    if a.default_policy && !a.findings.leaks.is_empty() {
        writeln!(out, "{}", paint.p(DIM, "note: no .leakgate.yml found; using the default policy, which allows no leak"))?;
    }
    policy_lines(a, &paint, out)?;
    summary(a, &distinct, &paint, out)
}

fn leak_block(d: &DistinctLeak<'_>, a: &Analysis, style: Style, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let g = d.example;
    let (tag, color) = match (d.status, d.harness) {
        (_, true) => ("HARNESS", DIM),
        (LeakStatus::New, _) => ("LEAK", RED),
        (LeakStatus::Allowed { .. }, _) => ("ALLOWED", YELLOW),
    };
    let count = if d.max_in_report > 1 {
        format!("{} goroutines ({} in one report)", d.goroutines, d.max_in_report)
    } else if d.goroutines > 1 {
        format!("{} goroutines", d.goroutines)
    } else {
        "1 goroutine".to_string()
    };
    let mut state = g.goroutine.state.status.clone();
    if let Some(m) = g.goroutine.state.wait_minutes {
        state.push_str(&format!(", {m} minutes"));
    }
    writeln!(
        out,
        "{} {}  {}  [{}]",
        paint.p(color, tag),
        paint.p(BOLD, &headline_place(g, d, a)),
        count,
        clean(&state)
    )?;
    if let Some(c) = &g.goroutine.created_by {
        writeln!(out, "    started by  {}", clean(&c.function))?;
    }
    if let Some(top) = g.goroutine.top_function() {
        let at = g.blocked_at.as_ref().map(|b| format!(" at {}", place(&Some(b.clone())))).unwrap_or_default();
        writeln!(out, "    blocked in  {}{}", clean(top), at)?;
    }
    let reporters: Vec<String> = d.reporters.iter().map(|(p, t)| who(*p, *t)).collect();
    let shown = if style.verbose { reporters.len() } else { reporters.len().min(4) };
    write!(out, "    reported by {}", reporters[..shown].join("; "))?;
    if reporters.len() > shown {
        write!(out, " and {} more", reporters.len() - shown)?;
    }
    writeln!(out)?;
    if let LeakStatus::Allowed { rules } = d.status {
        writeln!(out, "    allowed by  {}", clean(&rules.join(", ")))?;
    }
    for r in expired_rules(d, a) {
        let on = r.rule.expires.map(|e| format!(" on {e}")).unwrap_or_default();
        writeln!(
            out,
            "    {}",
            paint.p(YELLOW, &clean(&format!("rule `{}` ({}) expired{on}; it no longer allows this leak", r.rule.id, r.rule.place())))
        )?;
    }
    if d.harness {
        if let Some(why) = g.harness {
            writeln!(out, "    {}", paint.p(DIM, &format!("not a leak: {why}")))?;
        }
    }
    stack_lines(g, style, paint, out)?;
    let _ = a;
    writeln!(out)
}

/// Expired rules that would have allowed the reports listing `d`.
fn expired_rules<'a>(d: &DistinctLeak<'_>, a: &'a Analysis) -> Vec<&'a RuleOutcome> {
    let mut out: Vec<&RuleOutcome> = Vec::new();
    for (i, leak) in a.findings.leaks.iter().enumerate() {
        if !leak.goroutines.iter().any(|g| g.fingerprint == d.fingerprint) {
            continue;
        }
        for &r in a.policy.expired_matches.get(i).into_iter().flatten() {
            if let Some(rule) = a.policy.rules.get(r) {
                if !out.iter().any(|o| o.rule.id == rule.rule.id) {
                    out.push(rule);
                }
            }
        }
    }
    out
}

/// The policy in use, expired rules and rules that matched nothing.
fn policy_lines(a: &Analysis, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let p = &a.policy;
    let Some(source) = &p.source else {
        return Ok(());
    };
    let own = p.rules.iter().filter(|r| r.rule.extends.is_none()).count();
    let mut line = format!("policy: {} ({own} rule{})", source, if own == 1 { "" } else { "s" });
    if !p.extends.is_empty() {
        line.push_str(&format!(", extends {}", p.extends.join(", ")));
    }
    writeln!(out, "{}", paint.p(DIM, &clean(&line)))?;
    for r in &p.rules {
        let place = r.rule.place();
        if r.usage.expired {
            let on = r.rule.expires.map(|e| format!(" on {e}")).unwrap_or_default();
            let what = if r.usage.unused() {
                "and matched nothing; delete it".to_string()
            } else {
                format!("and no longer applies to the {} goroutine{} it matched", r.usage.matched, if r.usage.matched == 1 { "" } else { "s" })
            };
            writeln!(out, "{} rule `{}` ({place}) expired{on} {what}", paint.p(YELLOW, "warning:"), clean(&r.rule.id))?;
        } else if r.strict_failure() {
            let tag = if p.strict { paint.p(RED, "error:") } else { paint.p(YELLOW, "warning:") };
            let hint = if p.strict { "" } else { " (--strict fails on this)" };
            writeln!(out, "{tag} rule `{}` ({place}) matched nothing in this run{hint}", clean(&r.rule.id))?;
        }
    }
    Ok(())
}

fn stack_lines(g: &LeakedGoroutine, style: Style, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let frames = &g.goroutine.frames;
    let user: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| style.verbose || !stack::is_stdlib_function(&f.function))
        .map(|(i, _)| i)
        .collect();
    let limit = if style.verbose { usize::MAX } else { SHORT_STACK };
    for &i in user.iter().take(limit) {
        let f = &frames[i];
        let file = g.frames.get(i).map_or(f.file.as_str(), |r| r.file.as_str());
        writeln!(out, "      {}", clean(&f.function))?;
        writeln!(out, "        {}", paint.p(DIM, &clean(&format!("{}:{}", file, f.line))))?;
    }
    let hidden = frames.len() - user.len().min(limit);
    if hidden > 0 {
        writeln!(out, "      {}", paint.p(DIM, &format!("({hidden} more frames; --verbose shows all)")))?;
    }
    Ok(())
}

fn summary(a: &Analysis, distinct: &[DistinctLeak<'_>], paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let c = &a.findings.counts;
    let new = distinct.iter().filter(|d| matches!(d.status, LeakStatus::New) && !d.harness).count();
    let allowed = distinct.iter().filter(|d| matches!(d.status, LeakStatus::Allowed { .. })).count();
    let others = a.other_failures().count();
    let head = match a.verdict {
        Verdict::Pass => paint.p(GREEN, "PASS"),
        Verdict::Fail => paint.p(RED, "FAIL"),
        Verdict::Error => paint.p(RED, "ERROR"),
    };
    if a.verdict == Verdict::Error {
        for r in &a.reasons {
            writeln!(out, "{} {}", paint.p(RED, "error:"), clean(r))?;
        }
    }
    writeln!(
        out,
        "leakgate: {head}: {new} new leak{}, {allowed} allowed, {others} other failure{}; {} passed, {} failed, {} skipped in {} package{}",
        if new == 1 { "" } else { "s" },
        if others == 1 { "" } else { "s" },
        c.passed,
        c.failed,
        c.skipped,
        c.packages,
        if c.packages == 1 { "" } else { "s" },
    )
}
