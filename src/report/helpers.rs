//! What every reporter shares: counts and names in words, stacks as text,
//! escaping for each medium, and capping. Reporters format with these and
//! never count, parse or decide: every number and status comes from the
//! judged view ([`crate::verdict::View`]).

use std::fmt::Write as _;

use crate::findings::{Counts, Failure, FailureKind, LeakedGoroutine, Reporter, SourceRef};
use crate::verdict::{JudgedLeak, Tally};

/// The tally as the summaries state it, one phrase per count: new leaks,
/// allowed, flaky, other failures, and test-harness goroutines when there
/// are any. The terminal and Markdown summaries both write these, so they
/// cannot disagree; every number is the judged view's
/// ([`Analysis::tally`]): reporters never count on their own.
pub fn tally_phrases(t: &Tally) -> Vec<String> {
    let mut v = vec![
        format!("{} new leak{}", t.new, plural(t.new)),
        format!("{} allowed", t.allowed),
        format!("{} flaky", t.flaky),
        format!(
            "{} other failure{}",
            t.other_failures,
            plural(t.other_failures)
        ),
    ];
    if t.harness > 0 {
        v.push(format!("{} test-harness (not leaks)", t.harness));
    }
    v
}

/// The test counts as the summaries state them: "3 passed, 1 failed, 0
/// skipped in 2 packages".
pub fn counts_text(c: &Counts) -> String {
    format!(
        "{} passed, {} failed, {} skipped in {} package{}",
        c.passed,
        c.failed,
        c.skipped,
        c.packages,
        plural(c.packages as usize)
    )
}

/// "s" unless one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "also seen by N later checks": the goleak checks of the same test
/// binary that only listed this leak's goroutines again after another
/// test had reported them ([`crate::findings::DistinctLeak::seen_again`]).
/// They are not leaks of their own and are never counted as such.
pub fn seen_again_text(j: &JudgedLeak) -> Option<String> {
    let n = j.leak.seen_again.len();
    (n > 0).then(|| format!("also seen by {n} later check{}", plural(n)))
}

/// The label of a package for people: its import path, or
/// "(unknown package)" when the output named none.
pub fn package_label(package: Option<&str>) -> &str {
    package.unwrap_or(UNNAMED_PACKAGE)
}

/// The label of a package whose name the output did not give.
pub const UNNAMED_PACKAGE: &str = crate::findings::UNKNOWN_PACKAGE;

/// A person's headline for a failure of this kind.
pub fn failure_title(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Build => "Build failed",
        FailureKind::Panic => "Test panicked",
        FailureKind::Timeout => "Test timed out",
        FailureKind::Incomplete => "Test did not finish",
        FailureKind::Test => "Test failed",
        FailureKind::Leak => "Goroutines not shown",
    }
}

/// A failure's title for one line: what failed, who, and its headline
/// (cut at [`TITLE_BYTES`]): `Test failed: pkg TestX: Should be true: …`.
pub fn failure_headline(f: &Failure) -> String {
    let mut s = format!(
        "{}: {}",
        failure_title(f.kind),
        failure_name(f.package.as_deref(), f.test.as_deref())
    );
    if !f.message.is_empty() {
        s.push_str(": ");
        s.push_str(&f.message);
    }
    cut_line(s, TITLE_BYTES)
}

/// How long a one-line title may be.
pub const TITLE_BYTES: usize = 240;

/// A failure's fingerprint for machines that track findings across runs
/// (Code Quality, SARIF): its kind, package, test and attempt (beyond the
/// first); no messages, lines or paths, so it survives unrelated edits.
pub fn failure_fingerprint(f: &Failure) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"leakgate-failure-v1\n");
    h.update(f.kind.name().as_bytes());
    h.update(b"\n");
    h.update(f.package.as_deref().unwrap_or("").as_bytes());
    h.update(b"\n");
    match &f.test {
        Some(t) => h.update(t.as_bytes()),
        None => h.update(b"\0package"),
    }
    if f.node.attempt > 1 {
        h.update(format!("\n#{}", f.node.attempt).as_bytes());
    }
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Where a distinct leak is placed: the `go` statement in the repository,
/// else its first frame in the repository, else the leak check
/// (`VerifyNone`) of a test that reported it, when that is in the
/// repository. `None` when nothing of it is in the repository.
pub fn leak_place(j: &JudgedLeak) -> Option<&SourceRef> {
    j.leak.place()
}

/// The name of a test that reported, for a person: `pkg TestX`, or
/// `pkg TestMain (goleak.VerifyTestMain)` for a package-level report.
pub fn reporter_name(package: Option<&str>, test: Option<&str>) -> String {
    let p = package_label(package);
    match test {
        Some(t) => format!("{p} {t}"),
        None => format!("{p} {PACKAGE_LEVEL_TEST}"),
    }
}

/// The name of a failed test or package, for a person: `pkg TestX`, or
/// `pkg (package)` for a failure at the package level (TestMain's own, a
/// panic outside tests, a build failure).
pub fn failure_name(package: Option<&str>, test: Option<&str>) -> String {
    let p = package_label(package);
    match test {
        Some(t) => format!("{p} {t}"),
        None => format!("{p} (package)"),
    }
}

/// The test name given to a package-level leak (goleak's `VerifyTestMain`).
pub const PACKAGE_LEVEL_TEST: &str = "TestMain (goleak.VerifyTestMain)";

/// Short test names for a title: the first few, then "and N more".
pub fn test_list(j: &JudgedLeak, max: usize) -> String {
    short_names(&j.leak.reporters, max)
}

/// Short names of reporters: the first `max`, then "and N more".
pub fn short_names(who: &[Reporter], max: usize) -> String {
    let names: Vec<String> = who
        .iter()
        .map(|r| match &r.test {
            Some(t) => t.clone(),
            None => format!(
                "{} {}",
                package_label(r.package.as_deref()),
                PACKAGE_LEVEL_TEST
            ),
        })
        .collect();
    let shown = names.len().min(max);
    let mut s = names[..shown].join(", ");
    if names.len() > shown {
        s.push_str(&format!(" and {} more", names.len() - shown));
    }
    s
}

/// The goroutine's state as printed, with its wait.
pub fn state_text(g: &LeakedGoroutine) -> String {
    let mut state = g.goroutine.state.status.clone();
    if let Some(m) = g.goroutine.state.wait_minutes {
        state.push_str(&format!(", {m} minutes"));
    }
    state
}

/// "1 goroutine", "3 goroutines", "50 goroutines (50 in one report)".
pub fn count_text(j: &JudgedLeak) -> String {
    let d = &j.leak;
    if d.max_in_report > 1 && d.max_in_report != d.goroutines {
        format!(
            "{} goroutines ({} in one report)",
            d.goroutines, d.max_in_report
        )
    } else if d.goroutines > 1 {
        format!("{} goroutines", d.goroutines)
    } else {
        "1 goroutine".to_string()
    }
}

/// One frame as reports show it: function and `file:line` (repo-relative
/// when in the repository).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownFrame<'a> {
    /// Function name.
    pub function: &'a str,
    /// `file:line`.
    pub place: String,
}

/// `file:line` of a frame, or a note when the report gave no position
/// (an excerpt cut after the function line, or goleak's header only).
fn frame_place(file: &str, line: u32) -> String {
    if file.is_empty() {
        "(no position in the report)".to_string()
    } else {
        format!("{file}:{line}")
    }
}

/// The user's frames (not the standard library's), at most `max`, then
/// the `created by` line; and how many frames were left out.
pub fn user_frames(g: &LeakedGoroutine, max: usize) -> (Vec<ShownFrame<'_>>, usize) {
    let frames = &g.frames;
    let mut shown = Vec::new();
    for f in frames.iter().filter(|f| !f.stdlib) {
        if shown.len() == max {
            break;
        }
        shown.push(ShownFrame {
            function: &f.function,
            place: frame_place(&f.place.file, f.place.line),
        });
    }
    let hidden = frames.len() - shown.len();
    (shown, hidden)
}

/// The stack as text (indented with spaces: some formats drop tabs):
/// the user's frames, or every frame when `verbose`, then `created by`.
pub fn stack_text(g: &LeakedGoroutine, verbose: bool, max: usize) -> String {
    let mut s = format!(
        "goroutine {} [{}]:\n",
        g.goroutine.id, g.goroutine.state.raw
    );
    if verbose {
        for f in &g.frames {
            s.push_str(&format!(
                "{}\n    {}\n",
                f.function,
                frame_place(&f.place.file, f.place.line)
            ));
        }
    } else {
        let (frames, hidden) = user_frames(g, max);
        for f in &frames {
            s.push_str(&format!("{}\n    {}\n", f.function, f.place));
        }
        if hidden > 0 {
            s.push_str(&format!(
                "({hidden} standard-library or further frames not shown)\n"
            ));
        }
    }
    if let Some(c) = &g.goroutine.created_by {
        let place = g.origin.as_ref().map_or_else(
            || format!("{}:{}", c.file, c.line),
            |o| format!("{}:{}", o.file, o.line),
        );
        s.push_str(&format!("created by {}\n    {}\n", c.function, place));
    }
    s
}

// ---------------------------------------------------------------- escaping

/// Replaces control characters (ESC, CR, BEL, …) in input-derived text.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Escapes text for a table cell, heading or link text: every ASCII
/// punctuation Markdown or HTML reads, and line breaks, become entities
/// or spaces.
pub fn markdown_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            '&' | '<' | '>' | '"' | '\'' | '|' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#'
            | '!' | '\\' | '~' | '@' | '{' | '}' | '+' | '-' | '=' | ':' | '$' | '^' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for the inside of `<pre>` (HTML, plus backticks, so no
/// line can open a Markdown code fence whatever the renderer).
pub fn markdown_pre(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push_str("&#96;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a GitHub workflow command's data (the message).
pub fn workflow_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a GitHub workflow command property's value.
pub fn workflow_property(s: &str) -> String {
    workflow_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// SARIF messages are plain text in which `[text](target)` is a link;
/// literal brackets are escaped with a backslash (SARIF 2.1.0, 3.11.6).
pub fn sarif_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

// ---------------------------------------------------------------- capping

/// Caps one line at `max` bytes (on a character boundary), ending it with
/// `…` when cut.
pub fn cut_line(s: String, max: usize) -> String {
    cut_marking(s, max, "…")
}

/// Caps text at `max` bytes (on a character boundary), marking the cut on
/// a line of its own.
pub fn cut(s: String, max: usize) -> String {
    cut_marking(s, max, "\n…")
}

fn cut_marking(mut s: String, max: usize, mark: &str) -> String {
    let kept = crate::bytes::at_most(&s, max).len();
    if kept < s.len() {
        s.truncate(kept);
        s.push_str(mark);
    }
    s
}
