//! Plain `go test` / `go test -v` text, as a terminal or a CI log shows it.
//!
//! The reader first cleans each line of what CI systems add: GitHub Actions
//! and GitLab timestamp prefixes, Jenkins `[time]` prefixes, ANSI colour and
//! cursor sequences, carriage returns and test2json's `^V` marker. Blank
//! lines (double-spaced logs) carry no meaning and are dropped, and so are
//! the CI runner's own lines: GitHub Actions' `##[error]`, `##[group]`, …
//! (a `##[group]` of gotestsum's github-actions format reads as its
//! `::group::`), GitLab's `section_start:`/`section_end:` markers. An emoji
//! before a result line (`❌ FAIL\tpkg\t3.3s`) is dropped too. Bazel's
//! `Executing tests from //p:t` and `Test output for //p:t (shard 1 of 2):`
//! banners name the package of the test binary output that follows (`p`,
//! relative to the workspace).
//!
//! It then does what `go tool test2json` does: `=== RUN/CONT/NAME/PAUSE`
//! lines name the test that the following lines belong to; `--- PASS/FAIL/SKIP`
//! lines end a test, and the lines indented under them (non-verbose output,
//! 4 spaces per nesting level) are that test's output. A framing line
//! printed right after output without a newline (`done--- PASS: TestX
//! (0.00s)`) starts where its marker does, as test2json splits such a line
//! at `-json` mode's `^V`. Text names a package
//! only at its end (`ok  \tpkg`, `FAIL\tpkg`), so a package's events carry a
//! provisional key until [`Event::PackageEnd`] gives the name. Output of a
//! bare test binary (Bazel, `stress`) ends with `PASS`/`FAIL` and no name.

use std::borrow::Cow;
use std::ops::ControlFlow;

use super::gotestsum::{self, GtsLine};
use super::{loc, lossy, IngestError, InputSummary, LineReader, Lines, Refill};
use crate::events::{Event, Outcome, Sink};

/// Reads plain text output.
pub(crate) fn read<S: Refill>(
    index: usize,
    lines: Lines<S>,
    summary: &mut InputSummary,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut conv = Converter::new(index);
    super::read_lines(lines, &mut conv, summary, sink)?;
    conv.finish(summary.lines, sink);
    Ok(())
}

impl LineReader for Converter {
    fn read_block(
        &mut self,
        first: u64,
        bytes: &[u8],
        _: &mut InputSummary,
        sink: &mut dyn Sink,
    ) -> u64 {
        self.block(first, bytes, sink)
    }

    fn read_line(
        &mut self,
        line: super::Line<'_>,
        summary: &mut InputSummary,
        sink: &mut dyn Sink,
    ) -> ControlFlow<()> {
        if line.cut {
            summary.warn(format!(
                "line {}: longer than {} bytes; cut",
                line.no,
                super::MAX_LINE_BYTES
            ));
        }
        let raw = lossy(line.bytes);
        let cleaned = clean_line(&raw);
        self.line(line.no, &cleaned, sink);
        ControlFlow::Continue(())
    }
}

/// Removes CI-log decoration from one line: a trailing `\r`, everything up
/// to the last lone `\r` (progress redraws), ANSI escape sequences, a
/// leading `^V`, and timestamp prefixes.
///
/// Only a line with escape sequences is copied; everything else is cut out
/// of `line` by slicing.
pub fn clean_line(line: &str) -> Cow<'_, str> {
    let mut s = line.strip_suffix('\r').unwrap_or(line);
    // Most lines have neither: one search tells.
    if memchr::memchr2(b'\r', b'\x1b', s.as_bytes()).is_none() {
        return Cow::Borrowed(strip_decoration(s));
    }
    if let Some(i) = memchr::memrchr(b'\r', s.as_bytes()) {
        s = &s[i + 1..];
    }
    if memchr::memchr(b'\x1b', s.as_bytes()).is_some() {
        let mut owned = strip_ansi(s);
        let cut = owned.len() - strip_decoration(&owned).len();
        owned.drain(..cut);
        return Cow::Owned(owned);
    }
    Cow::Borrowed(strip_decoration(s))
}

/// A timestamp prefix, then a leading `^V`.
fn strip_decoration(s: &str) -> &str {
    let s = strip_prefixes(s);
    s.strip_prefix('\u{16}').unwrap_or(s)
}

/// Removes CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ESC \`) and two-byte
/// escape sequences.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Strips one timestamp prefix: `2024-05-01T10:00:00.1234567Z ` (GitHub
/// Actions), the same followed by a GitLab stream tag (`00O `, `01E+ `), or
/// a bracketed time (`[2024-05-01T10:00:00.123Z] `, `[10:00:00] `, Jenkins).
fn strip_prefixes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() > 20 && b[0].is_ascii_digit() && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' {
        if let Some(sp) = s.find(' ') {
            let ts = &s[..sp];
            if ts.ends_with('Z') || ts.contains('+') {
                let mut rest = &s[sp + 1..];
                // GitLab: `00O ` / `00E+ ` stream tags.
                let rb = rest.as_bytes();
                if rb.len() >= 4
                    && rb[0].is_ascii_digit()
                    && rb[1].is_ascii_digit()
                    && (rb[2] == b'O' || rb[2] == b'E')
                {
                    let tag_end = if rb[3] == b'+' { 4 } else { 3 };
                    if rb.get(tag_end) == Some(&b' ') {
                        rest = &rest[tag_end + 1..];
                    } else if rb.len() == tag_end {
                        rest = "";
                    }
                }
                return rest;
            }
        }
    }
    if b.first() == Some(&b'[') && b.get(1).is_some_and(u8::is_ascii_digit) {
        if let Some(close) = s.find("] ") {
            let inner = &s[1..close];
            if inner.len() >= 5
                && inner
                    .bytes()
                    .all(|c| c.is_ascii_digit() || b":.-TZ +".contains(&c))
            {
                return &s[close + 2..];
            }
        }
    }
    s
}

struct Pending {
    indent: usize,
    /// Reused: see [`Converter::spare`].
    test: String,
    outcome: Outcome,
    elapsed: Option<f64>,
}

struct Converter {
    index: usize,
    /// Inside gotestsum's `=== Failed` summary.
    summary: bool,
    /// The summary entry being read: (short package, test).
    replay: Option<(String, String)>,
    /// The full name of the package `replay` is in, from go test's result
    /// line replayed in it.
    replay_full: Option<String>,
    /// Full package names seen in this input, for gotestsum's short names.
    seen_packages: Vec<String>,
    /// Inside gotestsum's `::group::FAIL pkg.TestX` … `::endgroup::`.
    group: Option<(String, String, Outcome)>,
    block: u64,
    /// The provisional package key of the block being read, kept up to
    /// date with `block` and `replay` (see [`Converter::refresh_key`]).
    key: String,
    open: bool,
    /// The test the following lines belong to (when `has_current`); the
    /// string is reused.
    current: String,
    has_current: bool,
    pending: Vec<Pending>,
    /// Test names of ended [`Pending`] entries, for reuse.
    spare: Vec<String>,
    final_line: Option<Outcome>,
    bazel_target: Option<String>,
    /// Bazel's verdicts on targets that did not pass (`FAIL: //p:t (see
    /// …)`, `//p:t   TIMEOUT in 60.0s`): line number, package, line; a
    /// package may be named more than once. Applied at the end of the
    /// input ([`Converter::bazel_verdicts`]).
    bazel_failed: Vec<(u64, String, String)>,
    /// Ended blocks of Bazel targets, their results held back until the
    /// input ends (Bazel's summary comes after every target's output):
    /// line number, block key, outcome, package.
    bazel_blocks: Vec<(u64, String, Outcome, String)>,
    /// A gotestsum line was read: `PASS name` is then a package result
    /// even when the name is module-relative.
    in_gotestsum: bool,
    /// The module gotestsum's relative names are under, looked for on
    /// first use (see [`gotestsum::module_at`]).
    module: Option<Option<String>>,
}

enum Line<'a> {
    /// `ok`, `FAIL\tpkg`, `?   \tpkg`.
    PackageEnd {
        package: &'a str,
        outcome: Outcome,
        build_failed: bool,
    },
    /// `=== RUN   name` and friends.
    Update { action: &'a str, test: &'a str },
    /// `--- FAIL: name (0.1s)`.
    Report {
        indent: usize,
        test: &'a str,
        outcome: Option<Outcome>,
        elapsed: Option<f64>,
    },
    /// Bare `PASS` / `FAIL`.
    Final(Outcome),
    /// Anything else.
    Plain,
}

/// The first byte of `line` that is not ASCII white space.
fn first_byte(line: &str) -> Option<u8> {
    line.bytes().find(|&b| !matches!(b, b' ' | b'\t'..=b'\r'))
}

#[cfg(test)]
fn classify(line: &str) -> Line<'_> {
    classify_from(line, first_byte(line).unwrap_or(b' '))
}

/// What `line` is; `first` is its [`first_byte`] (a space if none).
#[inline(always)]
fn classify_from(line: &str, first: u8) -> Line<'_> {
    // Every kind but `Plain` is told by the first byte that is not white
    // space: look at it before doing any work. (A byte over 0x7f may
    // start Unicode white space, which `split_whitespace` below skips.)
    match first {
        b'P' | b'F' | b'o' | b'?' | b'=' | b'-' => {}
        b if b.is_ascii() => return Line::Plain,
        _ => {}
    }
    let t = line.trim_end();
    if t == "PASS" {
        return Line::Final(Outcome::Pass);
    }
    if t == "FAIL" {
        return Line::Final(Outcome::Fail);
    }
    if first == b'=' || first == b'-' {
        return classify_framing(line, t);
    }
    let mut words = t.split_whitespace();
    let first = words.next().unwrap_or_default();
    let has_ws_after = |w: &str| t.len() > w.len() && t.as_bytes()[w.len()].is_ascii_whitespace();
    if (first == "ok" || first == "FAIL" || first == "?") && has_ws_after(first) {
        if let Some(pkg) = words.next() {
            let rest: Vec<&str> = words.collect();
            // `FAIL\tpkg\t0.45s`, `ok  \tpkg\t(cached)`, `FAIL\tpkg [build
            // failed]`, `?   \tpkg\t[no test files]`; not gotestsum's
            // `FAIL pkg.TestX (0.45s)`.
            let third_ok = match rest.first() {
                None => first == "FAIL",
                Some(w) => {
                    w.starts_with('[')
                        || *w == "(cached)"
                        || w.strip_suffix('s').is_some_and(|n| {
                            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                        })
                }
            };
            let plausible = third_ok && !pkg.starts_with('(') && !pkg.ends_with(':');
            if plausible {
                let outcome = match first {
                    "ok" => Outcome::Pass,
                    "?" => Outcome::Skip,
                    _ => Outcome::Fail,
                };
                let joined = rest.join(" ");
                if first == "?" && !joined.contains("[no test files]") {
                    return Line::Plain;
                }
                return Line::PackageEnd {
                    package: pkg,
                    outcome,
                    build_failed: joined.contains("[build failed]")
                        || joined.contains("[setup failed]"),
                };
            }
        }
    }
    classify_framing(line, t)
}

/// `=== RUN   name` and `--- FAIL: name (0.1s)`; `t` is `line` without
/// trailing white space.
/// `s.rsplit_once(" (")`, searching for the `(` with `memrchr`.
fn rsplit_paren(s: &str) -> Option<(&str, &str)> {
    let mut end = s.len();
    while let Some(i) = memchr::memrchr(b'(', &s.as_bytes()[..end]) {
        if i > 0 && s.as_bytes()[i - 1] == b' ' {
            return Some((&s[..i - 1], &s[i + 1..]));
        }
        end = i;
    }
    None
}

fn classify_framing<'a>(line: &'a str, t: &'a str) -> Line<'a> {
    if let Some(rest) = t.strip_prefix("=== ") {
        let (action, name) = rest.split_once(' ').unwrap_or((rest, ""));
        let name = name.trim();
        if matches!(action, "RUN" | "CONT" | "NAME" | "PAUSE") && !name.is_empty() {
            return Line::Update { action, test: name };
        }
    }
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    let content = &t[indent..];
    if let Some(rest) = content.strip_prefix("--- ") {
        // (Prefix tests: a `&str` pattern builds a substring searcher.)
        let word = [
            ("PASS: ", Some(Outcome::Pass)),
            ("FAIL: ", Some(Outcome::Fail)),
            ("SKIP: ", Some(Outcome::Skip)),
            ("BENCH: ", None),
        ]
        .into_iter()
        .find_map(|(word, outcome)| Some((rest.strip_prefix(word)?, outcome)));
        if let Some((rest, outcome)) = word {
            let (name, elapsed) = match rsplit_paren(rest) {
                Some((n, d)) if d.ends_with("s)") => {
                    let mut d = d;
                    while let Some(x) = d.strip_suffix("s)") {
                        d = x;
                    }
                    (n, d.parse().ok())
                }
                _ => (rest, None),
            };
            return Line::Report {
                indent,
                test: name.trim(),
                outcome,
                elapsed,
            };
        }
    }
    Line::Plain
}

/// Where a framing line starts in the middle of `line`, after text a test
/// printed without a trailing newline: `done--- PASS: TestX (0.00s)`,
/// `inner done    --- FAIL: TestX/inner (0.01s)` (the spaces before the
/// marker are its indentation), `partial=== RUN   TestY`. Only test2json's
/// markers, followed by exactly what `testing` prints (one test name, and
/// for a result its duration), end the line; and not after a `file.go:12: `
/// message, which `t.Log` always ends with a newline of its own.
#[cold]
#[inline(never)]
fn mid_line_framing(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut from = 1;
    while from < b.len() {
        let i = from + memchr::memchr2(b'-', b'=', &b[from..])?;
        from = i + 1;
        let rest = &line[i..];
        let framing = match classify_framing(rest, rest.trim_end()) {
            Line::Report {
                indent: 0,
                test,
                outcome: Some(_),
                elapsed: Some(_),
            } => !test.contains(char::is_whitespace) && !test.is_empty(),
            Line::Update { action, test } => {
                rest.starts_with(UPDATE_PREFIXES[action_index(action)])
                    && !test.contains(char::is_whitespace)
            }
            _ => false,
        };
        if !framing {
            continue;
        }
        let head = &line[..i];
        if looks_like_log_message(head) {
            return None;
        }
        // A report's indentation: the spaces right before it, in fours.
        let spaces = head.len() - head.trim_end_matches(' ').len();
        let at = if b[i] == b'-' { i - spaces / 4 * 4 } else { i };
        return (at > 0).then_some(at);
    }
    None
}

/// The target of a Bazel banner line: `Executing tests from //p:t`,
/// `==================== Test output for //p:t (shard 2 of 2):`.
#[cold]
fn bazel_banner(line: &str) -> Option<&str> {
    let t = line.trim();
    if let Some(target) = t.strip_prefix("Executing tests from ") {
        return Some(target.trim());
    }
    let rest = t.trim_start_matches('=').trim_start();
    if rest.len() == t.len() && !t.starts_with("Test output for ") {
        return None;
    }
    let rest = rest.strip_prefix("Test output for ")?.strip_suffix(':')?;
    let target = match rest.split_once(" (shard ") {
        Some((target, shard)) if shard.ends_with(')') => target,
        _ => rest,
    };
    (target.starts_with("//") || target.starts_with('@')).then_some(target.trim())
}

/// The package a Bazel label names, relative to the workspace, as the
/// label writes it: `//pkg/foo:foo_test` and `//pkg/foo` are `pkg/foo`.
/// A label of the workspace root (`//:t`) or another repository
/// (`@repo//p:t`) stays as printed.
fn bazel_package(label: &str) -> String {
    let Some(rest) = label.strip_prefix("//") else {
        return label.to_string();
    };
    let package = rest.split_once(':').map_or(rest, |(p, _)| p);
    if package.is_empty() {
        return label.to_string();
    }
    package.to_string()
}

/// A Bazel status line: the label and whether it says the target did not
/// pass. `FAIL: //p:t (see …/test.log)`, `TIMEOUT: //p:t (see …)`,
/// `FLAKY: //p:t (see …)` before a target's output; `//p:t  (cached)
/// PASSED in 0.1s`, `FAILED in 2 out of 2 in 0.5s`, `TIMEOUT in 60.0s`,
/// `FLAKY, failed in 1 out of 2 in 0.4s`, `NO STATUS`, `FAILED TO BUILD`,
/// `INCOMPLETE`, `SKIPPED` in the summary. A flaky target failed at least
/// once: Bazel's own rerun is not leakgate's retry policy, so it counts.
#[cold]
fn bazel_status(line: &str) -> Option<(&str, bool)> {
    let t = line.trim_end();
    for prefix in ["FAIL: ", "TIMEOUT: ", "FLAKY: "] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let label = rest.split_once(' ').map_or(rest, |(l, _)| l);
            return is_label(label).then_some((label, true));
        }
    }
    let (label, rest) = t.split_once([' ', '\t'])?;
    if !is_label(label) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("(cached)").unwrap_or(rest).trim_start();
    let word = |w: &str| rest == w || rest.starts_with(&format!("{w} "));
    if word("PASSED") || word("SKIPPED") {
        return Some((label, false));
    }
    let failed = word("FAILED")
        || word("TIMEOUT")
        || rest.starts_with("FLAKY,")
        || word("FLAKY")
        || rest == "NO STATUS"
        || rest == "INCOMPLETE"
        || rest == "FAILED TO BUILD";
    failed.then_some((label, true))
}

/// `//p:t`, `//p`, `@repo//p:t`: no spaces, a `//`.
fn is_label(s: &str) -> bool {
    (s.starts_with("//") || (s.starts_with('@') && s.contains("//")))
        && !s.bytes().any(|b| b.is_ascii_whitespace())
}

/// GitLab's collapsible-section markers, `section_start:1700000000:name`
/// (optionally `[collapsed=true]`) and `section_end:1700000000:name`, when
/// what surrounded them (`\r`, `ESC[0K`) is gone; at the start of the line
/// (indented, it is a test's output).
#[cold]
fn is_gitlab_section(line: &str) -> bool {
    let t = line.trim_end();
    let Some(rest) = t
        .strip_prefix("section_start:")
        .or_else(|| t.strip_prefix("section_end:"))
    else {
        return false;
    };
    let Some((time, name)) = rest.split_once(':') else {
        return false;
    };
    !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
}

/// `line` without a leading symbol (an emoji, `✔`, `✗`, …, with its
/// variation selector) and the white space after it; `None` if it does not
/// start with one.
#[cold]
fn strip_symbol(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let end = t
        .char_indices()
        .find(|&(_, c)| c.is_ascii() || c.is_alphanumeric())
        .map_or(t.len(), |(i, _)| i);
    let rest = &t[end..];
    let body = rest.trim_start();
    (end > 0 && body.len() < rest.len() && !body.is_empty()).then_some(body)
}

/// What `testing` prints before a test name in an update line.
const UPDATE_PREFIXES: [&str; 4] = ["=== RUN   ", "=== CONT  ", "=== NAME  ", "=== PAUSE "];

fn action_index(action: &str) -> usize {
    match action {
        "RUN" => 0,
        "CONT" => 1,
        "NAME" => 2,
        _ => 3,
    }
}

/// `    file_test.go:12: ` at the start of `s`: a `t.Log`/`t.Error` message.
fn looks_like_log_message(s: &str) -> bool {
    let t = s.trim_start();
    let Some(colon) = t.find(": ") else {
        return false;
    };
    let Some((file, line)) = t[..colon].rsplit_once(':') else {
        return false;
    };
    file.ends_with(".go") && !line.is_empty() && line.bytes().all(|c| c.is_ascii_digit())
}

impl Converter {
    fn new(index: usize) -> Self {
        let mut conv = Converter {
            index,
            summary: false,
            replay: None,
            replay_full: None,
            seen_packages: Vec::new(),
            group: None,
            block: 0,
            key: String::new(),
            open: false,
            current: String::new(),
            has_current: false,
            pending: Vec::new(),
            spare: Vec::new(),
            final_line: None,
            bazel_target: None,
            bazel_failed: Vec::new(),
            bazel_blocks: Vec::new(),
            in_gotestsum: false,
            module: None,
        };
        conv.refresh_key();
        conv
    }

    /// Rebuilds `key` after `block` or `replay` changed.
    fn refresh_key(&mut self) {
        use std::fmt::Write as _;
        // Replayed summary entries get their own key prefix so that their
        // tests are not counted twice.
        let kind = if self.replay.is_some() {
            "replay"
        } else {
            "text"
        };
        self.key.clear();
        let _ = write!(self.key, "\u{0}{kind}#{}#{}", self.index, self.block);
    }

    fn set_current(&mut self, test: &str) {
        self.current.clear();
        self.current.push_str(test);
        self.has_current = true;
    }

    fn ensure_open(&mut self, no: u64, sink: &mut dyn Sink) {
        if !self.open {
            self.open = true;
            sink.event(
                loc(self.index, no),
                Event::PackageStart {
                    package: Cow::Borrowed(&self.key),
                },
            );
        }
    }

    fn output(&mut self, no: u64, test: Option<&str>, text: &str, sink: &mut dyn Sink) {
        emit(self.index, &self.key, no, test, text, sink);
    }

    /// Emits the deferred ends of tests reported at `indent` or deeper.
    fn flush(&mut self, no: u64, min_indent: usize, sink: &mut dyn Sink) {
        while self.pending.last().is_some_and(|p| p.indent >= min_indent) {
            let Some(p) = self.pending.pop() else { break };
            sink.event(
                loc(self.index, no),
                Event::TestEnd {
                    package: Cow::Borrowed(&self.key),
                    test: Cow::Borrowed(&p.test),
                    outcome: p.outcome,
                    elapsed: p.elapsed,
                },
            );
            if self.spare.len() < 64 {
                self.spare.push(p.test);
            }
        }
    }

    fn close_block(
        &mut self,
        no: u64,
        outcome: Outcome,
        name: Option<String>,
        failed: bool,
        sink: &mut dyn Sink,
    ) {
        self.close_block_as(no, outcome, name, failed, false, sink);
    }

    fn close_block_as(
        &mut self,
        no: u64,
        outcome: Outcome,
        name: Option<String>,
        failed: bool,
        replay: bool,
        sink: &mut dyn Sink,
    ) {
        self.flush(no, 0, sink);
        let target = self.bazel_target.take();
        if let Some(t) = target.filter(|_| name.is_none() && !replay) {
            if self.bazel_blocks.len() < 100_000 {
                if self.seen_packages.len() < 100_000 {
                    self.seen_packages.push(t.clone());
                }
                self.bazel_blocks.push((no, self.key.clone(), outcome, t));
                self.next_block();
                return;
            }
            return self.close_block_as(no, outcome, Some(t), failed, replay, sink);
        }
        if let Some(n) = &name {
            if !replay && self.seen_packages.len() < 100_000 {
                self.seen_packages.push(n.clone());
            }
        }
        sink.event(
            loc(self.index, no),
            Event::PackageEnd {
                package: Cow::Borrowed(&self.key),
                outcome,
                elapsed: None,
                failed_build: if failed {
                    name.as_deref().map(Cow::Borrowed)
                } else {
                    None
                },
                name: name.as_deref().map(Cow::Borrowed),
                replay,
                summary: self.replay.is_some(),
            },
        );
        self.next_block();
    }

    /// After a block ended: the next one starts closed, with its own key.
    fn next_block(&mut self) {
        self.block += 1;
        self.refresh_key();
        self.open = false;
        self.has_current = false;
        self.final_line = None;
    }

    /// Whole lines (each ending with `\n`), the first numbered `first`:
    /// UTF-8 is checked, and carriage returns and escape sequences looked
    /// for, once for all of them.
    /// Reads a block of whole lines; returns how many there were.
    fn block(&mut self, first: u64, bytes: &[u8], sink: &mut dyn Sink) -> u64 {
        let Ok(text) = std::str::from_utf8(bytes) else {
            // Some line is not UTF-8: each line on its own, as `read` does.
            let mut no = first;
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                let raw = lossy(&line[..line.len() - 1]);
                self.line(no, &clean_line(&raw), sink);
                no += 1;
            }
            return no - first;
        };
        // The next `\r` or ESC at or after `start` is at `special`: lines
        // that end before it need only their prefixes stripped.
        let mut special = memchr::memchr2(b'\r', b'\x1b', bytes).unwrap_or(bytes.len());
        let mut start = 0;
        let mut no = first;
        while let Some(i) = crate::bytes::find_byte(b'\n', &bytes[start..]) {
            let end = start + i;
            if special < start {
                special = memchr::memchr2(b'\r', b'\x1b', &bytes[start..])
                    .map_or(bytes.len(), |j| start + j);
            }
            let line = &text[start..end];
            if end < special {
                self.line(no, strip_decoration(line), sink);
            } else {
                self.line(no, &clean_line(line), sink);
            }
            start = end + 1;
            no += 1;
        }
        no - first
    }

    fn line(&mut self, no: u64, line: &str, sink: &mut dyn Sink) {
        // Blank lines are dropped; CI systems' own lines are told by their
        // first byte.
        let Some(first) = first_byte(line) else {
            return;
        };
        if !first.is_ascii() && line.trim().is_empty() {
            return;
        }
        // Bazel's verdict on a target, outside a test's output.
        if matches!(first, b'/' | b'@' | b'F' | b'T') && (!self.open || self.bazel_target.is_some())
        {
            if let Some((label, failed)) = bazel_status(line) {
                self.bazel_status(no, label, failed, line, sink);
                return;
            }
        }
        match first {
            // Bazel's banners name the target whose output follows.
            // (Not `=== RUN` and the like.)
            b'E' | b'=' | b'T' if !line.trim_start().starts_with("=== ") => {
                if let Some(target) = bazel_banner(line) {
                    self.bazel_banner(no, target, sink);
                    return;
                }
                // The rule of `=` under a target's output.
                let t = line.trim();
                if self.bazel_target.is_some() && t.len() >= 40 && t.bytes().all(|b| b == b'=') {
                    return;
                }
            }
            // GitHub Actions' raw log: `##[group]`, `##[error]`, ….
            b'#' if self.github_command(no, line, sink) => return,
            // GitLab's `section_start:…`/`section_end:…` markers.
            b's' if is_gitlab_section(line) => return,
            b if !b.is_ascii() => {
                if let Some(t) = line.trim().strip_prefix("Executing tests from ") {
                    self.bazel_banner(no, t.trim(), sink);
                    return;
                }
                // A result line behind an emoji (`❌ FAIL\tpkg\t3.3s` from a
                // Makefile): the line without it.
                if let Some(rest) = strip_symbol(line) {
                    let kind = classify_from(rest, first_byte(rest).unwrap_or(b' '));
                    if !matches!(kind, Line::Plain) {
                        self.line(no, rest, sink);
                        return;
                    }
                }
            }
            _ => {}
        }
        // gotestsum's summary opens with `=== Failed` or `=== Errors`.
        if (self.summary || first == b'=') && self.summary_line(no, line, sink) {
            return;
        }
        // gotestsum's lines start with PASS, FAIL, SKIP, EMPTY or `::`.
        let maybe_gotestsum = matches!(first, b'P' | b'F' | b'S' | b'E' | b':' | 0xE2);
        if let Some(g) = maybe_gotestsum
            .then(|| gotestsum::classify_in(line, self.in_gotestsum))
            .flatten()
        {
            self.gotestsum_line(no, line, g, sink);
            return;
        }
        match classify_from(line, first) {
            Line::PackageEnd {
                package,
                outcome,
                build_failed,
            } => {
                self.ensure_open(no, sink);
                self.flush(no, 0, sink);
                self.output(no, None, line, sink);
                self.close_block(no, outcome, Some(package.to_string()), build_failed, sink);
            }
            Line::Update { action, test } => {
                if let Some(outcome) = self.final_line {
                    // A bare binary's output ended; another run starts.
                    self.close_block(no, outcome, None, false, sink);
                }
                self.flush(no, 0, sink);
                self.ensure_open(no, sink);
                self.set_current(test);
                if action == "RUN" {
                    sink.event(
                        loc(self.index, no),
                        Event::TestRun {
                            package: Cow::Borrowed(&self.key),
                            test: Cow::Borrowed(test),
                        },
                    );
                }
                self.output(no, Some(test), line, sink);
            }
            Line::Report {
                indent,
                test,
                outcome,
                elapsed,
            } => {
                self.ensure_open(no, sink);
                self.flush(no, indent, sink);
                self.output(no, Some(test), line, sink);
                if let Some(outcome) = outcome {
                    let mut name = self.spare.pop().unwrap_or_default();
                    name.clear();
                    name.push_str(test);
                    self.pending.push(Pending {
                        indent,
                        test: name,
                        outcome,
                        elapsed,
                    });
                }
                self.set_current(test);
            }
            Line::Final(outcome) => {
                if !self.open && self.bazel_target.is_some() {
                    // The whole output of a Bazel target that printed no
                    // test lines (`go test` without `-v`).
                    self.ensure_open(no, sink);
                }
                if !self.open {
                    sink.event(
                        loc(self.index, no),
                        Event::Stray {
                            text: Cow::Borrowed(line),
                        },
                    );
                    return;
                }
                self.flush(no, 0, sink);
                self.output(no, None, line, sink);
                self.has_current = false;
                self.final_line = Some(outcome);
            }
            Line::Plain => {
                // Output a test printed without a newline starts at the
                // line's start: an indented line is `t.Log` text (which
                // always ends with a newline) or a stack in it.
                let at_start = !matches!(line.as_bytes().first(), Some(b' ' | b'\t'));
                if at_start && crate::bytes::has_dash_or_equals(line.as_bytes()) {
                    if let Some(at) = mid_line_framing(line) {
                        self.split_line(no, line, at, sink);
                        return;
                    }
                }
                if !self.open {
                    // A failing package's own output can come before any
                    // framing line: VerifyTestMain's report, a panic in
                    // TestMain or init.
                    let t = line.trim_start();
                    let opens = t.starts_with("goleak: Errors on ")
                        || t.starts_with("panic: ")
                        || t.starts_with("fatal error: ");
                    if !opens {
                        sink.event(
                            loc(self.index, no),
                            Event::Stray {
                                text: Cow::Borrowed(line),
                            },
                        );
                        return;
                    }
                    self.ensure_open(no, sink);
                }
                let indent = line.bytes().take_while(|&b| b == b' ').count() / 4;
                if indent > 0 && indent <= self.pending.len() {
                    self.current.clear();
                    self.current.push_str(&self.pending[indent - 1].test);
                    self.has_current = true;
                }
                let test = self.has_current.then_some(self.current.as_str());
                emit(self.index, &self.key, no, test, line, sink);
            }
        }
    }

    /// Bazel names the target whose output follows (`Executing tests from
    /// //pkg/foo:foo_test` in a `test.log`, `==== Test output for
    /// //pkg/foo:foo_test (shard 2 of 2):` on the console). A test binary's
    /// output that ended (its bare `PASS`/`FAIL`) belongs to the target
    /// before; so does the output of the target before that did not end
    /// (a crash: go test would print `FAIL\tpkg` here, Bazel prints
    /// everything there was).
    #[cold]
    fn bazel_banner(&mut self, no: u64, target: &str, sink: &mut dyn Sink) {
        if self.open {
            match self.final_line {
                Some(outcome) => self.close_block(no, outcome, None, false, sink),
                None if self.bazel_target.is_some() => {
                    self.close_block(no, Outcome::Fail, None, false, sink);
                }
                None => {}
            }
        }
        self.bazel_target = Some(bazel_package(target));
    }

    /// A Bazel status line. The target's output before it, if any, is
    /// over; a status other than a pass is a failure the input shows.
    #[cold]
    fn bazel_status(
        &mut self,
        no: u64,
        label: &str,
        failed: bool,
        line: &str,
        sink: &mut dyn Sink,
    ) {
        if self.open && self.bazel_target.is_some() {
            let outcome = self.final_line.unwrap_or(Outcome::Fail);
            self.close_block(no, outcome, None, false, sink);
        }
        if failed && self.bazel_failed.len() < 100_000 {
            self.bazel_failed
                .push((no, bazel_package(label), line.trim().to_string()));
        }
    }

    /// At the end of the input, the results of Bazel targets' output
    /// blocks. A target Bazel failed whose blocks all ended in `PASS` (a
    /// `TestMain` that failed after its tests, goleak's `VerifyTestMain`)
    /// failed in its last block, as `go test` would have said; a target
    /// Bazel failed whose output is not in the input is a failed package
    /// run of its own, at its status line.
    fn bazel_verdicts(&mut self, sink: &mut dyn Sink) {
        let blocks = std::mem::take(&mut self.bazel_blocks);
        let failed = std::mem::take(&mut self.bazel_failed);
        let said_failed: rustc_hash::FxHashSet<&str> =
            failed.iter().map(|(_, p, _)| p.as_str()).collect();
        // Per package: its last block, and whether a block showed a failure.
        let mut targets: rustc_hash::FxHashMap<&str, (usize, bool)> = Default::default();
        for (i, (_, _, o, p)) in blocks.iter().enumerate() {
            let t = targets.entry(p.as_str()).or_insert((i, false));
            t.0 = i;
            t.1 |= *o == Outcome::Fail;
        }
        for (i, (no, key, outcome, package)) in blocks.iter().enumerate() {
            let (last, shown) = targets[package.as_str()];
            let outcome = if last == i && !shown && said_failed.contains(package.as_str()) {
                Outcome::Fail
            } else {
                *outcome
            };
            sink.event(
                loc(self.index, *no),
                Event::PackageEnd {
                    package: Cow::Borrowed(key),
                    outcome,
                    elapsed: None,
                    failed_build: None,
                    name: Some(Cow::Borrowed(package)),
                    replay: false,
                    summary: false,
                },
            );
        }
        if self.open {
            return;
        }
        // The first status line of each target without output.
        let mut done = rustc_hash::FxHashSet::default();
        for (no, package, line) in &failed {
            if targets.contains_key(package.as_str()) || !done.insert(package.as_str()) {
                continue;
            }
            self.ensure_open(*no, sink);
            self.output(*no, None, line, sink);
            self.close_block(*no, Outcome::Fail, Some(package.clone()), false, sink);
        }
    }

    /// A GitHub Actions raw-log command line (`##[group]title`,
    /// `##[endgroup]`, `##[error]text`, …: what the runner made of workflow
    /// commands and its own step headers). gotestsum's github-actions
    /// groups (`::group::FAIL pkg.TestX (0.45s)`) read as themselves; the
    /// rest is the runner's, not test output, and is dropped. Only at the
    /// start of a line: indented, it is a test's output. Returns whether
    /// the line was one.
    #[cold]
    fn github_command(&mut self, no: u64, line: &str, sink: &mut dyn Sink) -> bool {
        let Some(rest) = line.strip_prefix("##[") else {
            return false;
        };
        let Some((command, text)) = rest.split_once(']') else {
            return false;
        };
        match command {
            "group" => {
                let as_printed = format!("::group::{text}");
                if let Some(g @ GtsLine::GroupStart { .. }) = gotestsum::classify(&as_printed) {
                    self.gotestsum_line(no, &as_printed, g, sink);
                }
                true
            }
            "endgroup" => {
                self.end_group(no, sink);
                true
            }
            "error" | "warning" | "notice" | "debug" | "command" | "section" => true,
            _ => false,
        }
    }

    /// A line that is test output without its newline, then a framing
    /// line (`done--- PASS: TestX (0.00s)`): `go test -v` prints the result
    /// right after whatever the test printed last. test2json splits such a
    /// line at the `^V` marker that `-json` mode puts before framing lines;
    /// plain text has none, so [`mid_line_framing`] found where the framing
    /// starts (`at`). The text before it is output of the test running (or,
    /// with none named yet, of the test the line reports), then the framing
    /// line is read as if it were a line of its own.
    #[cold]
    fn split_line(&mut self, no: u64, line: &str, at: usize, sink: &mut dyn Sink) {
        let (head, framing) = line.split_at(at);
        self.ensure_open(no, sink);
        if !self.has_current {
            if let Line::Report { test, .. } = classify_framing(framing, framing.trim_end()) {
                self.set_current(test);
            }
        }
        let test = self.has_current.then_some(self.current.as_str());
        emit(self.index, &self.key, no, test, head, sink);
        self.line(no, framing, sink);
    }

    /// gotestsum repeats failed tests after `=== Failed`, as
    /// `=== FAIL: <short package> <test> (<d>)` and the test's output,
    /// up to `DONE …`. Returns whether the line was consumed.
    fn summary_line(&mut self, no: u64, line: &str, sink: &mut dyn Sink) -> bool {
        let t = line.trim_end();
        if !self.summary {
            if t == "=== Failed" || t == "=== Errors" {
                if self.open {
                    let outcome = self.final_line.unwrap_or(Outcome::Fail);
                    if self.final_line.is_some() {
                        self.close_block(no, outcome, None, false, sink);
                    }
                }
                self.summary = !self.open;
                return self.summary;
            }
            return false;
        }
        let header = t.strip_prefix("=== FAIL: ");
        let done = t.starts_with("DONE ") || t == "=== Errors" || t == "=== Skipped";
        if header.is_some() || done {
            self.end_replay(no, sink);
        }
        if done {
            self.summary = t == "=== Errors";
            return true;
        }
        if let Some(h) = header {
            let h = match h.rsplit_once(" (") {
                Some((head, d)) if d.ends_with(')') => head,
                _ => h,
            };
            let (short, test) = h.split_once(' ').unwrap_or((h, ""));
            let test = test.trim();
            // An empty test name is the package's own output (TestMain,
            // VerifyTestMain); gotestsum's github-actions format prints it
            // only here.
            self.replay = Some((short.to_string(), test.to_string()));
            self.refresh_key();
            self.ensure_open(no, sink);
            if !test.is_empty() {
                sink.event(
                    loc(self.index, no),
                    Event::TestRun {
                        package: Cow::Borrowed(&self.key),
                        test: Cow::Borrowed(test),
                    },
                );
            }
            return true;
        }
        if let Some((short, test)) = &self.replay {
            // The package's own entry replays go test's result line, which
            // names the package in full (`FAIL\tgithub.com/p/tsdb\t3.3s`):
            // its name when the input showed none for it before.
            if let Some(first) = first_byte(line) {
                if let Line::PackageEnd { package, .. } = classify_from(line, first) {
                    if package.len() > short.len()
                        && package.ends_with(short.as_str())
                        && package[..package.len() - short.len()].ends_with('/')
                    {
                        self.replay_full = Some(package.to_string());
                    }
                }
            }
            let test = (!test.is_empty()).then_some(test.as_str());
            emit(self.index, &self.key, no, test, line, sink);
        }
        true
    }

    /// gotestsum's `testname` and `github-actions` lines name the package
    /// of every test and package result.
    fn gotestsum_line(&mut self, no: u64, line: &str, g: GtsLine<'_>, sink: &mut dyn Sink) {
        self.in_gotestsum = true;
        let full = g.package().and_then(|p| self.module_relative(p));
        let g = match &full {
            Some(p) => g.with_package(p),
            None => g,
        };
        match g {
            GtsLine::GroupStart {
                package,
                test,
                outcome,
            } => {
                self.end_group(no, sink);
                self.ensure_open(no, sink);
                self.group = Some((package.to_string(), test.to_string(), outcome));
                self.set_current(test);
                sink.event(
                    loc(self.index, no),
                    Event::TestRun {
                        package: Cow::Borrowed(&self.key),
                        test: Cow::Owned(test.to_string()),
                    },
                );
            }
            GtsLine::GroupEnd => self.end_group(no, sink),
            GtsLine::Test {
                package,
                test,
                outcome,
            } => {
                if self.open && self.group.is_none() {
                    // The output just read was this test's (testname).
                    self.flush(no, 0, sink);
                    self.close_block_as(no, outcome, Some(package.to_string()), false, true, sink);
                } else {
                    for event in [
                        Event::TestRun {
                            package: Cow::Owned(package.to_string()),
                            test: Cow::Owned(test.to_string()),
                        },
                        Event::TestEnd {
                            package: Cow::Owned(package.to_string()),
                            test: Cow::Owned(test.to_string()),
                            outcome,
                            elapsed: None,
                        },
                    ] {
                        sink.event(loc(self.index, no), event);
                    }
                }
            }
            GtsLine::Symbol { package, outcome } => {
                // The failed tests printed before it may belong to other
                // packages; the `=== Failed` summary names them later.
                if self.open {
                    self.flush(no, 0, sink);
                    self.close_block_as(no, outcome, None, false, true, sink);
                }
                self.package_result(no, line, package, outcome, sink);
            }
            GtsLine::Package { package, outcome } => {
                self.end_group(no, sink);
                if self.open {
                    // The package's own output (VerifyTestMain) came first.
                    self.flush(no, 0, sink);
                    self.close_block_as(no, outcome, Some(package.to_string()), false, true, sink);
                }
                self.package_result(no, line, package, outcome, sink);
            }
        }
    }

    /// The import path of a package gotestsum named relative to the
    /// module it ran in, when it differs from `name`: the module is that of
    /// the nearest `go.mod` at or above the current directory, where
    /// gotestsum (and then leakgate) runs in CI. Without one, names stay
    /// as printed. An import path (a dot in its first element) needs no
    /// look-up.
    fn module_relative(&mut self, name: &str) -> Option<String> {
        if name.split('/').next().is_some_and(|f| f.contains('.')) && name != "." {
            return None;
        }
        let module = self.module.get_or_insert_with(|| {
            std::env::current_dir()
                .ok()
                .and_then(|d| gotestsum::module_at(&d))
        });
        match gotestsum::full_package(name, module.as_deref()) {
            Cow::Owned(full) => Some(full),
            Cow::Borrowed(_) => None,
        }
    }

    /// A package's result line naming the package: its own start and end.
    fn package_result(
        &mut self,
        no: u64,
        line: &str,
        package: &str,
        outcome: Outcome,
        sink: &mut dyn Sink,
    ) {
        let key: Cow<'_, str> = Cow::Owned(package.to_string());
        sink.event(
            loc(self.index, no),
            Event::PackageStart {
                package: key.clone(),
            },
        );
        sink.event(
            loc(self.index, no),
            Event::Output {
                package: Some(key.clone()),
                test: None,
                text: Cow::Owned(format!("{}\n", line.trim())),
                kind: None,
            },
        );
        sink.event(
            loc(self.index, no),
            Event::PackageEnd {
                package: key,
                outcome,
                elapsed: None,
                failed_build: None,
                name: None,
                replay: false,
                summary: false,
            },
        );
        if self.seen_packages.len() < 100_000 {
            self.seen_packages.push(package.to_string());
        }
    }

    fn end_group(&mut self, no: u64, sink: &mut dyn Sink) {
        let Some((package, test, outcome)) = self.group.take() else {
            return;
        };
        self.flush(no, 0, sink);
        sink.event(
            loc(self.index, no),
            Event::TestEnd {
                package: Cow::Borrowed(&self.key),
                test: Cow::Owned(test),
                outcome,
                elapsed: None,
            },
        );
        self.close_block_as(no, outcome, Some(package), false, true, sink);
    }

    fn end_replay(&mut self, no: u64, sink: &mut dyn Sink) {
        let Some((short, test)) = self.replay.clone() else {
            return;
        };
        if !test.is_empty() {
            sink.event(
                loc(self.index, no),
                Event::TestEnd {
                    package: Cow::Borrowed(&self.key),
                    test: Cow::Borrowed(&test),
                    outcome: Outcome::Fail,
                    elapsed: None,
                },
            );
        }
        let suffix = format!("/{short}");
        let named = self.replay_full.take();
        let full = self
            .seen_packages
            .iter()
            .find(|p| **p == short || p.ends_with(&suffix))
            .cloned()
            .or(named)
            .unwrap_or(short);
        self.close_block_as(no, Outcome::Fail, Some(full), false, true, sink);
        self.replay = None;
        self.refresh_key();
    }

    fn finish(&mut self, no: u64, sink: &mut dyn Sink) {
        self.end_replay(no, sink);
        self.flush(no, 0, sink);
        if self.open {
            if let Some(outcome) = self.final_line {
                self.close_block(no, outcome, None, false, sink);
            }
        }
        self.bazel_verdicts(sink);
    }
}

/// Sends one output line (it holds no `\n`: lines were split at them).
fn emit(index: usize, key: &str, no: u64, test: Option<&str>, line: &str, sink: &mut dyn Sink) {
    sink.event(
        loc(index, no),
        Event::OutputLine {
            package: Cow::Borrowed(key),
            test: test.map(Cow::Borrowed),
            line: Cow::Borrowed(line),
            kind: None,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Loc;

    #[test]
    fn cleans_ci_noise() {
        assert_eq!(
            clean_line("2024-05-01T10:00:00.1234567Z     x.go:1: hi\r"),
            "    x.go:1: hi"
        );
        assert_eq!(
            clean_line("2024-05-01T10:00:00.123456Z 00O+ === RUN   TestA"),
            "=== RUN   TestA"
        );
        assert_eq!(
            clean_line("[2024-05-01T10:00:00.123Z] --- FAIL: TestA (0.00s)"),
            "--- FAIL: TestA (0.00s)"
        );
        assert_eq!(clean_line("[10:00:00] ok  \tp\t0.1s"), "ok  \tp\t0.1s");
        assert_eq!(
            clean_line("\x1b[31m--- FAIL\x1b[0m: TestA (0.00s)"),
            "--- FAIL: TestA (0.00s)"
        );
        assert_eq!(
            clean_line("\x1b]0;title\x07\u{16}=== RUN   T"),
            "=== RUN   T"
        );
        assert_eq!(clean_line("progress 10%\rdone"), "done");
        assert_eq!(
            clean_line("[Goroutine 8 in state x"),
            "[Goroutine 8 in state x"
        );
    }

    fn run(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut summary = InputSummary::new("t.txt", super::super::Format::Text);
        let mut sink = |_: Loc, e: Event<'_>| {
            out.push(match e {
                Event::PackageStart { .. } => "start".to_string(),
                Event::TestRun { test, .. } => format!("run {test}"),
                Event::Output { test, text, .. } => {
                    format!("out[{}] {}", test.unwrap_or_default(), text.trim_end())
                }
                Event::OutputLine { test, line, .. } => {
                    format!("out[{}] {}", test.unwrap_or_default(), line.trim_end())
                }
                Event::TestEnd { test, outcome, .. } => format!("end {test} {outcome:?}"),
                Event::PackageEnd {
                    outcome,
                    name,
                    replay,
                    ..
                } => {
                    format!(
                        "pkg {} {outcome:?}{}",
                        name.unwrap_or_default(),
                        if replay { " replay" } else { "" }
                    )
                }
                Event::Stray { text } => format!("stray {text}"),
                other => format!("{other:?}"),
            })
        };
        read(0, Lines::new(text.as_bytes()), &mut summary, &mut sink).unwrap();
        out
    }

    /// Events as text, read line by line, without blocks.
    fn per_line(input: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let mut sink = |l: Loc, e: Event<'_>| out.push(format!("{} {e:?}", l.line));
        let mut conv = Converter::new(0);
        let mut no = 0;
        for line in input.split_inclusive(|&b| b == b'\n') {
            no += 1;
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            conv.line(no, &clean_line(&lossy(line)), &mut sink);
        }
        conv.finish(no, &mut sink);
        out
    }

    fn blockwise(input: &[u8], chunk: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut sink = |l: Loc, e: Event<'_>| out.push(format!("{} {e:?}", l.line));
        let mut summary = InputSummary::new("t.txt", super::super::Format::Text);
        let reader = std::io::BufReader::with_capacity(chunk, input);
        read(0, Lines::new(reader), &mut summary, &mut sink).unwrap();
        assert_eq!(summary.bytes, input.len() as u64);
        out
    }

    #[test]
    fn rsplit_paren_is_rsplit_once() {
        for s in [
            "",
            "(",
            " (",
            "a (b",
            "a(b (c",
            "a (b(c",
            "Test (0.00s)",
            "T (x) (0.01s)",
            "(0.00s)",
            "é (ü",
        ] {
            assert_eq!(rsplit_paren(s), s.rsplit_once(" ("), "{s:?}");
        }
    }

    #[test]
    fn blocks_read_as_lines_do() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for dir in std::fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "txt" || e == "out") {
                    inputs.push(std::fs::read(&f).unwrap());
                }
            }
        }
        assert!(inputs.len() > 10);
        // CI decoration, bad UTF-8, and both on one line, in one input.
        let mut mixed = Vec::new();
        for (i, line) in inputs[0].split_inclusive(|&b| b == b'\n').enumerate() {
            match i % 5 {
                0 => mixed.extend_from_slice(b"2024-05-01T10:00:00.1234567Z "),
                1 => mixed.extend_from_slice(b"\x1b[31m"),
                2 => mixed.extend_from_slice(b"\xff"),
                3 => mixed.extend_from_slice(b"x\r"),
                _ => {}
            }
            mixed.extend_from_slice(line);
        }
        inputs.push(mixed);
        for input in &inputs {
            let want = per_line(input);
            for chunk in [7, 4096, 1 << 20] {
                assert_eq!(blockwise(input, chunk), want);
            }
        }
    }

    #[test]
    fn non_verbose_nested_failure_is_attributed() {
        let ev = run("--- FAIL: TestSub (0.45s)\n    --- FAIL: TestSub/inner (0.45s)\n        x_test.go:24: boom\nFAIL\nFAIL\tex.com/p\t1.3s\nok  \tex.com/q\t0.1s\n");
        assert_eq!(
            ev,
            vec![
                "start",
                "out[TestSub] --- FAIL: TestSub (0.45s)",
                "out[TestSub/inner]     --- FAIL: TestSub/inner (0.45s)",
                "out[TestSub/inner]         x_test.go:24: boom",
                "end TestSub/inner Fail",
                "end TestSub Fail",
                "out[] FAIL",
                "out[] FAIL\tex.com/p\t1.3s",
                "pkg ex.com/p Fail",
                "start",
                "out[] ok  \tex.com/q\t0.1s",
                "pkg ex.com/q Pass",
            ]
        );
    }

    #[test]
    fn gotestsum_testname_lines_are_not_package_results() {
        assert!(matches!(
            classify("FAIL ex.com/p.TestX (0.45s)"),
            Line::Plain
        ));
        assert!(matches!(
            classify("ok  \tex.com/p\t0.012s\tcoverage: 50.0% of statements"),
            Line::PackageEnd { .. }
        ));
        assert!(matches!(
            classify("ok  \tex.com/p\t(cached)"),
            Line::PackageEnd { .. }
        ));
        assert!(matches!(
            classify("FAIL\tex.com/p [build failed]"),
            Line::PackageEnd {
                build_failed: true,
                ..
            }
        ));
        assert!(matches!(
            classify("FAIL ex.com/p 1.2s"),
            Line::PackageEnd { .. }
        ));
        assert!(matches!(
            classify("?   \tex.com/p\t[no test files]"),
            Line::PackageEnd { .. }
        ));
    }

    #[test]
    fn stray_lines_outside_packages() {
        let ev = run("Run go test ./...\n=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\nok  \tp\t0.1s\nError: Process completed with exit code 1.\n");
        assert_eq!(ev[0], "stray Run go test ./...");
        assert_eq!(
            ev.last().unwrap(),
            "stray Error: Process completed with exit code 1."
        );
    }

    #[test]
    fn bare_binary_output_closes_at_eof() {
        let ev = run("Executing tests from //pkg/foo:foo_test\n=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\n");
        assert_eq!(ev.last().unwrap(), "pkg pkg/foo Pass");
    }

    #[test]
    fn bazel_banners_and_labels() {
        for (line, want) in [
            (
                "Executing tests from //pkg/foo:foo_test",
                Some("//pkg/foo:foo_test"),
            ),
            (
                "==================== Test output for //pkg/foo:foo_test (shard 2 of 2):",
                Some("//pkg/foo:foo_test"),
            ),
            ("==================== Test output for //a:b:", Some("//a:b")),
            ("Test output for @r//a:b:", Some("@r//a:b")),
            ("==================== Test output for something:", None),
            ("=== RUN   TestA", None),
            ("Test output for //a:b is below", None),
        ] {
            assert_eq!(bazel_banner(line), want, "{line}");
        }
        assert_eq!(bazel_package("//pkg/foo:foo_test"), "pkg/foo");
        assert_eq!(bazel_package("//pkg/foo"), "pkg/foo");
        assert_eq!(bazel_package("//:root_test"), "//:root_test");
        assert_eq!(bazel_package("@repo//p:t"), "@repo//p:t");
    }

    #[test]
    fn bazel_shards_are_package_runs() {
        let ev = run("==================== Test output for //a/b:b_test (shard 1 of 2):\n=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\n================================================================================\n==================== Test output for //a/b:b_test (shard 2 of 2):\n=== RUN   TestB\npanic: boom\n==================== Test output for //c:c_test:\n=== RUN   TestC\n--- FAIL: TestC (0.00s)\nFAIL\n");
        let ends: Vec<&str> = ev
            .iter()
            .map(String::as_str)
            .filter(|e| e.starts_with("pkg"))
            .collect();
        assert_eq!(ends, ["pkg a/b Pass", "pkg a/b Fail", "pkg c Fail"]);
        assert!(!ev.iter().any(|e| e.contains("====")), "{ev:?}");
    }

    #[test]
    fn bazel_statuses() {
        for (line, want) in [
            (
                "FAIL: //p/q:q_test (see /x/test.log)",
                Some(("//p/q:q_test", true)),
            ),
            ("TIMEOUT: //p:t (see /x/test.log)", Some(("//p:t", true))),
            ("FLAKY: //p:t (see /x/test.log)", Some(("//p:t", true))),
            (
                "//p:t          (cached) PASSED in 0.1s",
                Some(("//p:t", false)),
            ),
            (
                "//p:t                   FAILED in 2 out of 2 in 0.5s",
                Some(("//p:t", true)),
            ),
            ("//p:t\tTIMEOUT in 60.0s", Some(("//p:t", true))),
            (
                "//p:t   FLAKY, failed in 1 out of 2 in 0.4s",
                Some(("//p:t", true)),
            ),
            ("//p:t   NO STATUS", Some(("//p:t", true))),
            ("@r//p:t   FAILED TO BUILD", Some(("@r//p:t", true))),
            ("//p:t   SKIPPED", Some(("//p:t", false))),
            ("FAIL: TestX", None),
            ("FAIL\tex.com/p\t0.1s", None),
            ("// a comment FAILED in", None),
            ("//p:t is fine", None),
        ] {
            assert_eq!(bazel_status(line), want, "{line}");
        }
    }

    /// Layouts from Bazel's console output (Bazel is not on this machine):
    /// a target Bazel failed whose output said `PASS`, one whose output
    /// is not in the log, and one whose output showed its own failure.
    #[test]
    fn bazel_failures_the_output_does_not_show_are_package_failures() {
        let ev = run("FAIL: //a:a_test (see /x/a/test.log)\n==================== Test output for //a:a_test:\nPASS\n================================================================================\n==================== Test output for //c:c_test:\n--- FAIL: TestC (0.00s)\nFAIL\n================================================================================\n//a:a_test   FAILED in 0.5s\n//b:b_test   TIMEOUT in 60.0s\n//c:c_test   FAILED in 0.1s\n//d:d_test   (cached) PASSED in 0.1s\n");
        let ends: Vec<&str> = ev
            .iter()
            .map(String::as_str)
            .filter(|e| e.starts_with("pkg"))
            .collect();
        // Held back to the end: `a` failed in its block, as go test would
        // have said; `b` failed where Bazel said so.
        assert_eq!(ends, ["pkg a Fail", "pkg c Fail", "pkg b Fail"]);
        // Inside a plain test's output, the same text is the test's.
        let ev = run("=== RUN   TestA\n//a:a_test   FAILED in 0.5s\n--- PASS: TestA (0.00s)\nPASS\nok  \tp\t0.1s\n");
        assert_eq!(ev.last().unwrap(), "pkg p Pass");
        assert!(!ev.iter().any(|e| e == "pkg a Fail"), "{ev:?}");
    }

    #[test]
    fn ci_runner_lines_are_transparent() {
        let ev = run("##[group]Run go test ./...\n##[endgroup]\n=== RUN   TestA\n##[warning]slow\n    a_test.go:1: hi\nsection_start:1700000000:tests[collapsed=true]\n--- PASS: TestA (0.00s)\nsection_end:1700000001:tests\nPASS\nok  \tp\t0.1s\n##[error]Process completed with exit code 1.\n");
        assert!(
            !ev.iter()
                .any(|e| e.contains("##[") || e.contains("section_")),
            "{ev:?}"
        );
        assert_eq!(ev.last().unwrap(), "pkg p Pass");
        assert!(!is_gitlab_section("section_start:abc:x"));
        assert!(!is_gitlab_section("section_start:12:"));
        assert!(!is_gitlab_section("    section_start:12:x"));
        // Unknown commands stay.
        assert_eq!(run("##[foo]bar\n"), ["stray ##[foo]bar"]);
    }

    #[test]
    fn emoji_before_result_lines() {
        assert_eq!(strip_symbol("❌ FAIL\tp\t3.3s"), Some("FAIL\tp\t3.3s"));
        assert_eq!(strip_symbol("✔️  ok  \tp\t0.1s"), Some("ok  \tp\t0.1s"));
        assert_eq!(strip_symbol("❌FAIL"), None);
        assert_eq!(strip_symbol("é FAIL"), None);
        let ev = run("✅ ok  \tex.com/q\t0.1s\n❌ FAIL\tex.com/p\t3.3s\n🎉 all done\n");
        assert_eq!(
            ev,
            [
                "start",
                "out[] ok  \tex.com/q\t0.1s",
                "pkg ex.com/q Pass",
                "start",
                "out[] FAIL\tex.com/p\t3.3s",
                "pkg ex.com/p Fail",
                "stray 🎉 all done",
            ]
        );
    }

    #[test]
    fn summary_entry_takes_the_full_name_from_the_result_line() {
        let ev = run("=== Failed\n=== FAIL: tsdb  (0.00s)\nPASS\nFAIL\tgithub.com/p/p/tsdb\t174.7s\n\nDONE 1 tests, 1 failure in 1s\n");
        assert_eq!(ev.last().unwrap(), "pkg github.com/p/p/tsdb Fail replay");
    }

    #[test]
    fn gotestsum_failure_summary_is_replayed() {
        let ev = run("FAIL\nFAIL\tex.com/m/assertfail\t0.4s\n\n=== Failed\n=== FAIL: assertfail TestAdd (0.00s)\n    math_test.go:11: bad\n\n=== FAIL: assertfail  (0.00s)\nPASS\n\nDONE 3 tests, 1 failure in 1.0s\n");
        let tail: Vec<&str> = ev
            .iter()
            .map(String::as_str)
            .skip_while(|e| !e.starts_with("run"))
            .collect();
        assert_eq!(
            tail,
            vec![
                "run TestAdd",
                "out[TestAdd]     math_test.go:11: bad",
                "end TestAdd Fail",
                "pkg ex.com/m/assertfail Fail replay",
                // The package's own entry: its output at package level.
                "start",
                "out[] PASS",
                "pkg ex.com/m/assertfail Fail replay"
            ]
        );
    }

    #[test]
    fn goleak_testmain_report_opens_a_package() {
        let ev = run("ok  \tex.com/a\t0.1s\ngoleak: Errors on successful test run: found unexpected goroutines:\n[Goroutine 1 in state x, with f on top of the stack:\n]\nFAIL\tex.com/b\t0.4s\n");
        assert_eq!(ev.iter().filter(|e| *e == "start").count(), 2);
        assert_eq!(ev.last().unwrap(), "pkg ex.com/b Fail");
    }

    #[test]
    fn framing_in_the_middle_of_a_line() {
        for (line, at) in [
            ("done--- PASS: TestDone (0.00s)", Some(4)),
            (
                "inner doneouter done--- PASS: TestSubDone (0.00s)",
                Some(20),
            ),
            ("x    --- FAIL: TestA/b (0.01s)", Some(1)),
            ("x  --- FAIL: TestA/b (0.01s)", Some(3)),
            ("partial=== RUN   TestNext", Some(7)),
            ("partial=== CONT  TestNext", Some(7)),
            ("a-b=c--- SKIP: TestS (1.50s)", Some(5)),
            // Not framing: no duration, a name with spaces, BENCH, other
            // actions, one space too few, at the start, after a t.Log.
            ("done--- PASS: TestDone", None),
            ("done--- PASS: a b (0.00s)", None),
            ("done--- BENCH: BenchmarkX (0.00s)", None),
            ("done=== PASSX TestA", None),
            ("done=== RUN  TestA", None),
            ("--- PASS: TestDone (0.00s)", None),
            ("    x_test.go:12: got --- FAIL: TestY (0.00s)", None),
            ("a --- b", None),
            ("", None),
        ] {
            assert_eq!(mid_line_framing(line), at, "{line:?}");
        }
    }

    #[test]
    fn output_then_result_on_one_line() {
        let ev = run("=== RUN   TestA\ndone--- PASS: TestA (0.00s)\n=== RUN   TestB\nx=== NAME  TestB\nPASS\nok  \tp\t0.1s\n");
        assert_eq!(
            ev,
            vec![
                "start",
                "run TestA",
                "out[TestA] === RUN   TestA",
                "out[TestA] done",
                "out[TestA] --- PASS: TestA (0.00s)",
                "end TestA Pass",
                "run TestB",
                "out[TestB] === RUN   TestB",
                "out[TestB] x",
                "out[TestB] === NAME  TestB",
                "out[] PASS",
                "out[] ok  \tp\t0.1s",
                "pkg p Pass",
            ]
        );
    }

    #[test]
    fn unfinished_package_stays_open() {
        let ev = run("=== RUN   TestA\n    a_test.go:1: hi\n");
        assert!(!ev.iter().any(|e| e.starts_with("pkg")));
    }
}
