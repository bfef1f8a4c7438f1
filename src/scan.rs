//! Recognizes what matters in the output of one Go test (or one package):
//! goleak reports, `testing/synctest` leak panics, test timeouts and panics.
//!
//! A [`Scanner`] is fed the output lines of *one* test or package, in order,
//! and returns [`Found`] items. It extracts; it does not decide what a
//! finding means for the verdict (that is [`crate::findings`]).
//!
//! goleak's report text (all releases v1.0.0 – v1.3.0 and master):
//!
//! ```text
//!     leaky_test.go:14: found unexpected goroutines:
//!         [Goroutine 6 in state chan receive, with pkg.F.func1 on top of the stack:
//!         goroutine 6 [chan receive]:            <- only up to v1.2.1
//!         pkg.F.func1()
//!         <TAB>/src/pkg/f.go:9 +0x19
//!         created by pkg.F in goroutine 5
//!         <TAB>/src/pkg/f.go:8 +0x67
//!                                                <- blank separator up to v1.2.1
//!          Goroutine 7 in state select, with ... on top of the stack:
//!         ...
//!         ]
//! ```
//!
//! or, from `VerifyTestMain`, unindented after the package's `PASS` line and
//! introduced by `goleak: Errors on successful test run: ` (master: no space
//! after the colon, or `unsuccessful`).
//!
//! Pasted and logged excerpts of it are read too: an entry header standing
//! alone opens a report (an excerpt that starts inside the list, with or
//! without its `[`); a header cut short (`[Goroutine 12 in state chan rec`)
//! is an entry as far as it goes; the top function goleak names stands for
//! the first frame when the frames are cut; and the report is found under
//! any common prefix every line shares (testify's `Error:` column, klog's
//! `err=<` block, Gomega's indentation, leading spaces or TABs), under
//! Markdown quote markers (`> `), and with blank lines between its lines.

use crate::stack::{self, Goroutine};

/// Goroutines kept per report at most; the rest are counted, not kept.
pub const MAX_GOROUTINES_PER_REPORT: usize = 200_000;
/// Lines of one goroutine entry kept at most (deep stacks are elided by the
/// runtime at 100 frames, so this only bounds hostile input).
pub const MAX_ENTRY_LINES: usize = 4_096;
/// Lines of a panic dump kept at most.
pub const MAX_DUMP_LINES: usize = 1_000_000;
/// Goroutines running a test kept per timeout dump at most.
pub const MAX_STUCK_TESTS: usize = 64;

/// Which goleak entry point produced a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOrigin {
    /// `VerifyNone(t)`, or `Find` printed through `t.Error`: the report
    /// starts with the caller's `file:line: ` prefix.
    VerifyNone,
    /// `VerifyTestMain(m)`: `goleak: Errors on successful test run: …`.
    VerifyTestMain,
    /// `found unexpected goroutines:` printed some other way.
    Other,
}

/// goleak's text layout, which changed in v1.3.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Up to v1.2.1: each entry repeats the runtime header.
    RepeatsHeader,
    /// v1.3.0 and later.
    Compact,
}

/// One goleak report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakReport {
    /// Which entry point printed it.
    pub origin: ReportOrigin,
    /// The `file:line` of the `t.Error` call (the test's `VerifyNone` line
    /// from goleak v1.2.0 on; goleak's own `leaks.go:78` before).
    pub location: Option<(String, u32)>,
    /// The goroutines, in goleak's order.
    pub goroutines: Vec<Goroutine>,
    /// Goroutines beyond [`MAX_GOROUTINES_PER_REPORT`], counted only.
    pub dropped: usize,
    /// The layout seen (`None` when there were no entries).
    pub layout: Option<Layout>,
    /// The report ended before its closing `]`.
    pub truncated: bool,
}

/// What the scanner found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A goleak report.
    Leak(LeakReport),
    /// `goleak: Errors on … test run: <not a leak report>`, or goleak's own
    /// `Failed to parse stack trace` panic: goleak failed, nothing is known.
    GoleakError(String),
    /// `panic: test timed out after <d>` with the tests still running.
    Timeout {
        /// The duration text, e.g. `2s`.
        after: String,
        /// Names listed under `running tests:` (Go 1.21+).
        running: Vec<String>,
        /// The dump's goroutines that run a test, in the dump's order (at
        /// most [`MAX_STUCK_TESTS`]): where each test was when time ran out.
        /// Empty when there was no dump (`*** Test killed`).
        stuck: Vec<StuckTest>,
    },
    /// A Go 1.25+ synctest bubble whose main goroutine exited while others
    /// stayed blocked: those goroutines leaked.
    SynctestLeak {
        /// The bubble's blocked goroutines.
        goroutines: Vec<Goroutine>,
    },
    /// Any other `panic: …` or `fatal error: …` (the first line).
    Panic(String),
}

/// A goroutine of a timeout dump that runs a test: its outermost frame is
/// `testing.tRunner` (or, when an old runtime cut the stack's bottom off, it
/// was created by `testing.(*T).Run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckTest {
    /// The test's name, when the frame `testing.tRunner` called is a test
    /// function (`pkg.TestFlushHangs` → `TestFlushHangs`). `None` for a
    /// subtest (its function is a closure, `pkg.TestX.func1`), or when the
    /// frame is not in the dump.
    pub test: Option<String>,
    /// The goroutine as the runtime printed it, innermost frame first.
    pub goroutine: Goroutine,
}

impl StuckTest {
    /// `Some` when `goroutine` runs a test.
    fn from_goroutine(goroutine: Goroutine) -> Option<StuckTest> {
        let runs_test = match goroutine.frames.last() {
            Some(f) if f.function == T_RUNNER => true,
            // Go < 1.21 prints only the innermost 100 frames.
            _ => {
                goroutine.elided.is_some()
                    && goroutine
                        .created_by
                        .as_ref()
                        .is_some_and(|c| c.function == "testing.(*T).Run")
            }
        };
        if !runs_test {
            return None;
        }
        let mut st = StuckTest {
            test: None,
            goroutine,
        };
        st.test = st
            .test_frame()
            .and_then(|f| test_function_name(&f.function))
            .map(str::to_string);
        Some(st)
    }

    /// The frame `testing.tRunner` called: the test function (or the
    /// subtest's closure) and the line it was at, e.g. `queue_test.go:24`.
    pub fn test_frame(&self) -> Option<&stack::Frame> {
        let frames = &self.goroutine.frames;
        match frames.len() {
            n if n >= 2 && frames[n - 1].function == T_RUNNER => Some(&frames[n - 2]),
            _ => None,
        }
    }

    /// The innermost frame outside the Go standard library: where the
    /// test's own code (or a dependency's) was blocked, e.g.
    /// `pkg.(*Queue).Flush` at `queue.go:30`.
    pub fn first_non_stdlib_frame(&self) -> Option<&stack::Frame> {
        self.goroutine
            .frames
            .iter()
            .find(|f| !stack::is_stdlib_function(&f.function))
    }
}

const T_RUNNER: &str = "testing.tRunner";

/// `example.com/m/pkg.TestX` → `TestX`; `None` for closures
/// (`pkg.TestX.func1`), methods and functions not named `Test…`.
fn test_function_name(function: &str) -> Option<&str> {
    let pkg = stack::function_package(function);
    let name = function.get(pkg.len()..)?.strip_prefix('.')?;
    (name.starts_with("Test") && !name.contains(['.', '(', '['])).then_some(name)
}

#[derive(Debug)]
enum Mode {
    Idle,
    /// Inside a goleak report.
    Report(ReportState),
    /// After `panic:`/`fatal error:` lines: collecting a runtime dump.
    Dump(DumpState),
}

#[derive(Debug)]
struct ReportState {
    report: LeakReport,
    /// The white space before the report's body (spaces from the testing
    /// package, plus TABs when testify wraps the error), known from the
    /// body's first line; every body line starts with it.
    body_prefix: Option<String>,
    /// Lines of the entry being read: goleak header first.
    entry: Vec<String>,
}

/// A runtime dump being read, one goroutine at a time.
#[derive(Debug)]
struct DumpState {
    kind: DumpKind,
    /// Lines of the dump seen; those after [`MAX_DUMP_LINES`] are ignored.
    seen: usize,
    /// The header of the goroutine being read, if it is wanted.
    header: Option<stack::Header>,
    /// Its body lines so far (at most [`MAX_ENTRY_LINES`]).
    body: Vec<String>,
}

impl DumpState {
    fn new(kind: DumpKind) -> Self {
        DumpState {
            kind,
            seen: 0,
            header: None,
            body: Vec::new(),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum DumpKind {
    Timeout {
        after: String,
        running: Vec<String>,
        in_running: bool,
        stuck: Vec<StuckTest>,
    },
    Synctest {
        goroutines: Vec<Goroutine>,
    },
}

/// Streams one test's (or package's) output lines into findings.
#[derive(Debug)]
pub struct Scanner {
    mode: Mode,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

const FOUND: &str = "found unexpected goroutines:";
/// How goleak's entry header ends.
const ENTRY_END: &str = " on top of the stack:";
const TESTMAIN_PREFIX: &str = "goleak: Errors on ";

impl Scanner {
    /// A scanner in its initial state.
    pub fn new() -> Self {
        Scanner { mode: Mode::Idle }
    }

    /// Whether the scanner is in the middle of something (a report or a
    /// dump) that the next lines may continue.
    pub fn is_busy(&self) -> bool {
        !matches!(self.mode, Mode::Idle)
    }

    /// Whether the scanner is inside a goleak report (not a panic or
    /// timeout dump): the lines it is reading belong to a [`Found::Leak`].
    pub fn in_report(&self) -> bool {
        matches!(self.mode, Mode::Report(_))
    }

    /// Feeds one line (without its line terminator). Returns what it
    /// completed, if anything (at most two items: an ended report and a
    /// finding started and completed on this line).
    pub fn line(&mut self, line: &str, out: &mut Vec<Found>) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // A report pasted into a Markdown quote (`> ` before every line,
        // `>` alone on its blank ones; `> > ` when quoted again).
        let line = match line.as_bytes().first() {
            Some(b'>') => strip_quote_markers(line),
            _ => line,
        };
        match &mut self.mode {
            Mode::Idle => self.idle_line(line, out),
            Mode::Report(st) => {
                if let Some(done) = report_line(st, line) {
                    let Mode::Report(st) = std::mem::replace(&mut self.mode, Mode::Idle) else {
                        return;
                    };
                    out.push(Found::Leak(finish_report(st, done == Done::Truncated)));
                    if done == Done::Truncated {
                        // The line that broke the report may start something.
                        self.idle_line(line, out);
                    }
                }
            }
            Mode::Dump(st) => {
                if dump_ends(line) {
                    let Mode::Dump(st) = std::mem::replace(&mut self.mode, Mode::Idle) else {
                        return;
                    };
                    finish_dump(st, out);
                    self.idle_line(line, out);
                } else {
                    dump_line(st, line);
                }
            }
        }
    }

    /// Ends the stream: a report still open is returned as truncated.
    pub fn finish(&mut self, out: &mut Vec<Found>) {
        match std::mem::replace(&mut self.mode, Mode::Idle) {
            Mode::Idle => {}
            Mode::Report(st) => out.push(Found::Leak(finish_report(st, true))),
            Mode::Dump(st) => finish_dump(st, out),
        }
    }

    fn idle_line(&mut self, line: &str, out: &mut Vec<Found>) {
        let indent = indent_of(line);
        let content = &line[indent..];
        if cannot_start_anything(content) {
            return;
        }
        // testify and klog indent wrapped text with TABs.
        let goleak_content = content.trim_start_matches(['\t', ' ']);
        if let Some(rest) = find_testmain(goleak_content) {
            let rest = rest.trim_start();
            if rest.starts_with(FOUND) {
                self.start_report(ReportOrigin::VerifyTestMain, None);
            } else {
                out.push(Found::GoleakError(goleak_content.trim_end().to_string()));
            }
            return;
        }
        // An excerpt that starts inside goleak's list: an entry header
        // standing alone opens a report.
        let goleak_trimmed = goleak_content.trim_end();
        if goleak_trimmed.ends_with(ENTRY_END) {
            let header = entry_header(goleak_trimmed).filter(|h| parse_entry_header(h).is_some());
            if let Some(header) = header {
                let ws = line.len() - goleak_content.len();
                let mut prefix = &line[..ws];
                // A later entry carries one space of goleak's own (the
                // slice's separator) before `Goroutine`.
                if !goleak_content.starts_with('[') {
                    prefix = prefix.strip_suffix(' ').unwrap_or(prefix);
                }
                self.start_report(ReportOrigin::Other, None);
                if let Mode::Report(st) = &mut self.mode {
                    st.body_prefix = Some(prefix.to_string());
                    st.entry.push(header.to_string());
                }
                return;
            }
        }
        // A report opens with FOUND at the end of the line: a cheap test
        // before the search (which finds the first FOUND, as before).
        let found = match content.trim_end().ends_with(FOUND) {
            true => found_in(content),
            false => None,
        };
        if let Some(pos) = found {
            if content[pos + FOUND.len()..].trim().is_empty() {
                let prefix = content[..pos].trim_end();
                let location = parse_location_prefix(prefix);
                let origin = if location.is_some() {
                    ReportOrigin::VerifyNone
                } else {
                    ReportOrigin::Other
                };
                self.start_report(origin, location);
                return;
            }
        }
        let trimmed = content.trim_end();
        if let Some(p) = trimmed.strip_prefix("panic: ") {
            if p.contains("Failed to parse stack trace") {
                out.push(Found::GoleakError(trimmed.to_string()));
                out.push(Found::Panic(trimmed.to_string()));
                return;
            }
            if let Some(after) = p.strip_prefix("test timed out after ") {
                let after = after
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                self.mode = Mode::Dump(DumpState::new(DumpKind::Timeout {
                    after,
                    running: Vec::new(),
                    in_running: false,
                    stuck: Vec::new(),
                }));
                return;
            }
            if p.starts_with(
                "deadlock: main bubble goroutine has exited but blocked goroutines remain",
            ) {
                out.push(Found::Panic(trimmed.to_string()));
                self.mode = Mode::Dump(DumpState::new(DumpKind::Synctest {
                    goroutines: Vec::new(),
                }));
                return;
            }
            out.push(Found::Panic(trimmed.to_string()));
            return;
        }
        // `go test` killed a binary that ignored its own -timeout.
        if let Some(rest) = trimmed.strip_prefix("*** Test killed") {
            let after = rest
                .rsplit_once("ran too long (")
                .map(|(_, d)| d.trim_end_matches(").").trim_end_matches(')').to_string())
                .unwrap_or_default();
            out.push(Found::Timeout {
                after,
                running: Vec::new(),
                stuck: Vec::new(),
            });
            return;
        }
        if trimmed.starts_with("fatal error: ") {
            out.push(Found::Panic(trimmed.to_string()));
        }
    }

    fn start_report(&mut self, origin: ReportOrigin, location: Option<(String, u32)>) {
        self.mode = Mode::Report(ReportState {
            report: LeakReport {
                origin,
                location,
                goroutines: Vec::new(),
                dropped: 0,
                layout: None,
                truncated: false,
            },
            body_prefix: None,
            entry: Vec::new(),
        });
    }
}

/// Whether an idle line surely starts nothing: everything [`Scanner::idle_line`]
/// looks for starts with `g` ([`TESTMAIN_PREFIX`]), `p` (`panic: `), `*`
/// (`*** Test killed`) or `f` (`fatal error: `), or ends with the `:` of
/// [`FOUND`] (before trailing white space). Checked first on every output
/// line, so it looks at two bytes (and gives up on non-ASCII ones, which
/// may be Unicode white space).
fn cannot_start_anything(content: &str) -> bool {
    let b = content.as_bytes();
    let Some(&first) = b.first() else {
        return true;
    };
    if matches!(first, b'g' | b'p' | b'*' | b'f') || !first.is_ascii() {
        return false;
    }
    match b
        .iter()
        .rev()
        .find(|&&c| !matches!(c, b' ' | b'\t'..=b'\r'))
    {
        Some(&last) => last != b':' && last.is_ascii(),
        None => true,
    }
}

/// Where [`FOUND`] is in `content`: checked on every output line, so the
/// searcher is built once.
fn found_in(content: &str) -> Option<usize> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(FOUND));
    if content.len() < FOUND.len() {
        return None;
    }
    FINDER.find(content.as_bytes())
}

fn find_testmain(content: &str) -> Option<&str> {
    let rest = content.strip_prefix(TESTMAIN_PREFIX)?;
    let rest = rest
        .strip_prefix("successful test run:")
        .or_else(|| rest.strip_prefix("unsuccessful test run:"))?;
    Some(rest)
}

/// `leaky_test.go:14:` → (`leaky_test.go`, 14). Accepts full paths
/// (`-test.fullpath`) and Windows drive letters.
fn parse_location_prefix(prefix: &str) -> Option<(String, u32)> {
    let p = prefix.strip_suffix(':')?;
    let (file, line) = p.rsplit_once(':')?;
    if file.is_empty() || file.contains(' ') && !file.contains('/') && !file.contains('\\') {
        return None;
    }
    if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((file.to_string(), line.parse().ok()?))
}

fn indent_of(line: &str) -> usize {
    line.bytes().take_while(|&b| b == b' ').count()
}

#[derive(Debug, PartialEq, Eq)]
enum Done {
    Closed,
    Truncated,
}

/// Handles one line inside a report; `Some` when the report ended.
fn report_line(st: &mut ReportState, line: &str) -> Option<Done> {
    if line.trim().is_empty() {
        return None; // v1.2.1 separators, CI double spacing
    }
    let prefix = match &st.body_prefix {
        Some(p) => p.as_str(),
        None => {
            // The first body line must open the list.
            let ws = line.len() - line.trim_start_matches([' ', '\t']).len();
            let c = line[ws..].trim_end();
            if c.starts_with("[Goroutine ") || c == "[]" || c == "[" {
                st.body_prefix = Some(line[..ws].to_string());
                &line[..ws]
            } else {
                return Some(Done::Truncated);
            }
        }
    };
    // Position lines keep their own TAB after the prefix; an entry
    // separator keeps one space. Strip exactly the prefix.
    let Some(rel) = line.strip_prefix(prefix) else {
        return Some(Done::Truncated);
    };
    let content = rel.trim_end();
    if content == "]" || content == "[]" {
        flush_entry(st);
        return Some(Done::Closed);
    }
    if let Some(header) = entry_header(content).or_else(|| cut_entry_header(content)) {
        flush_entry(st);
        st.entry.push(header.to_string());
        return None;
    }
    if st.entry.is_empty() {
        // Text between the list's start and its first entry: not goleak's.
        return Some(Done::Truncated);
    }
    if st.entry.len() < MAX_ENTRY_LINES {
        st.entry.push(rel.to_string());
    }
    None
}

/// Recognizes `[Goroutine 6 in state S, with F on top of the stack:` (first
/// entry) and ` Goroutine 7 in state …` (later entries); returns the text
/// from `Goroutine`.
fn entry_header(content: &str) -> Option<&str> {
    let c = content
        .strip_prefix('[')
        .or_else(|| content.strip_prefix(' '))
        .unwrap_or(content);
    if c.starts_with("Goroutine ") && c.ends_with(ENTRY_END) && c.contains(" in state ") {
        Some(c)
    } else {
        None
    }
}

/// Recognizes an entry header cut short (the last line of an excerpt cut
/// in the middle of `[Goroutine 12 in state chan rec`): `Goroutine`, an id,
/// then the start of ` in state …`. Returns the text from `Goroutine`.
fn cut_entry_header(content: &str) -> Option<&str> {
    let c = content
        .strip_prefix('[')
        .or_else(|| content.strip_prefix(' '))
        .unwrap_or(content);
    let rest = c.strip_prefix("Goroutine ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = &rest[digits..];
    (rest.is_empty() || rest.starts_with(" in state ") || " in state ".starts_with(rest))
        .then_some(c)
}

/// Parses an entry header as far as it goes: the whole header, or one cut
/// short ([`cut_entry_header`]). The top function is `None` when the cut
/// came before it.
fn parse_entry_header_lenient(text: &str) -> Option<(u64, &str, Option<&str>)> {
    if let Some((id, state, top)) = parse_entry_header(text) {
        return Some((id, state, Some(top)));
    }
    let rest = text.strip_prefix("Goroutine ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id: u64 = rest[..digits].parse().ok()?;
    let Some(rest) = rest[digits..].strip_prefix(" in state ") else {
        return Some((id, "", None));
    };
    match rest.rsplit_once(", with ") {
        Some((state, top)) => {
            // `pkg.F on top of the st`: a function name has no spaces.
            let top = top.split(' ').next().unwrap_or_default();
            Some((id, state, (!top.is_empty()).then_some(top)))
        }
        None => {
            // `chan send, 1 minutes, wi`: drop the start of `, with`.
            let mut state = rest;
            for cut in [", with", ", wit", ", wi", ", w", ", ", ","] {
                if let Some(s) = state.strip_suffix(cut) {
                    state = s;
                    break;
                }
            }
            Some((id, state, None))
        }
    }
}

/// `> > text` → `text`; `>` → ``.
fn strip_quote_markers(mut line: &str) -> &str {
    while let Some(rest) = line.strip_prefix('>') {
        line = rest.strip_prefix(' ').unwrap_or(rest);
    }
    line
}

/// Parses the goleak entry header `Goroutine N in state S, with F on top of
/// the stack:` into (id, state, top function).
pub fn parse_entry_header(text: &str) -> Option<(u64, &str, &str)> {
    let rest = text.strip_prefix("Goroutine ")?;
    let (id, rest) = rest.split_once(" in state ")?;
    let id: u64 = id.parse().ok()?;
    let rest = rest.strip_suffix(" on top of the stack:")?;
    // The state may contain ", with " only inside a quoted label value,
    // while a function name never does: split at the last one.
    let (state, func) = rest.rsplit_once(", with ")?;
    Some((id, state, func))
}

fn flush_entry(st: &mut ReportState) {
    if st.entry.is_empty() {
        return;
    }
    let entry = std::mem::take(&mut st.entry);
    if st.report.goroutines.len() >= MAX_GOROUTINES_PER_REPORT {
        st.report.dropped += 1;
        return;
    }
    let Some((id, state_text, top)) = parse_entry_header_lenient(&entry[0]) else {
        return;
    };
    let mut body: &[String] = &entry[1..];
    let mut state = stack::parse_state(state_text);
    // Up to v1.2.1 the body starts with the runtime header.
    let first_body = body.iter().find(|l| !l.trim().is_empty());
    let layout = match first_body.and_then(|l| stack::parse_header(l.trim())) {
        Some(h) => {
            if let Some(pos) = body.iter().position(|l| !l.trim().is_empty()) {
                body = &body[pos + 1..];
            }
            // The runtime header is the more precise (goleak drops the
            // labels' bracket in 1.27); keep goleak's raw text though.
            let raw = state.raw.clone();
            state = h.state;
            state.raw = raw;
            Layout::RepeatsHeader
        }
        None => Layout::Compact,
    };
    if st.report.layout.is_none() {
        st.report.layout = Some(layout);
    }
    let (mut frames, elided, created_by) = stack::parse_body(body.iter().map(String::as_str));
    // goleak names the top function itself: it stands for the first frame
    // when the frames are missing or cut, and for a first frame whose
    // arguments were mangled (`f(0x14a5[34](https://…)c0)` in a paste).
    if let Some(top) = top.filter(|t| !t.is_empty()) {
        match frames.first_mut() {
            None => frames.push(stack::Frame::named(top)),
            Some(f) => {
                if f.function != top
                    && f.function
                        .strip_prefix(top)
                        .is_some_and(|r| r.starts_with('('))
                {
                    f.function = top.to_string();
                }
            }
        }
    }
    st.report.goroutines.push(Goroutine {
        id,
        state,
        frames,
        elided,
        created_by,
    });
}

fn finish_report(mut st: ReportState, truncated: bool) -> LeakReport {
    flush_entry(&mut st);
    st.report.truncated = truncated;
    st.report
}

fn dump_ends(line: &str) -> bool {
    let t = line.trim_end();
    t == "FAIL"
        || t == "PASS"
        || t.starts_with("FAIL\t")
        || t.starts_with("ok  \t")
        || t.starts_with("exit status ")
        || t.starts_with("=== ")
        || t.starts_with("--- ")
}

fn dump_line(st: &mut DumpState, line: &str) {
    if st.seen >= MAX_DUMP_LINES {
        return;
    }
    let first = st.seen == 0;
    st.seen += 1;
    if let DumpKind::Timeout {
        running,
        in_running,
        ..
    } = &mut st.kind
    {
        if first || *in_running {
            let t = line.trim();
            if t == "running tests:" {
                *in_running = true;
                return;
            }
            if *in_running {
                if t.is_empty() {
                    *in_running = false;
                } else if let Some((name, _)) = t.rsplit_once(" (") {
                    running.push(name.to_string());
                    return;
                }
            }
        }
    }
    if let Some(h) = stack::parse_header(line) {
        flush_dump_goroutine(st);
        let wanted = match &st.kind {
            DumpKind::Timeout { stuck, .. } => stuck.len() < MAX_STUCK_TESTS,
            DumpKind::Synctest { .. } => h.state.synctest_bubble.is_some(),
        };
        if wanted {
            st.header = Some(h);
        }
        return;
    }
    if st.header.is_some() && st.body.len() < MAX_ENTRY_LINES {
        st.body.push(line.to_string());
    }
}

/// Parses the goroutine being read, if any, and keeps it if it matters.
fn flush_dump_goroutine(st: &mut DumpState) {
    let Some(header) = st.header.take() else {
        return;
    };
    let (frames, elided, created_by) = stack::parse_body(st.body.iter().map(String::as_str));
    st.body.clear();
    let g = Goroutine {
        id: header.id,
        state: header.state,
        frames,
        elided,
        created_by,
    };
    match &mut st.kind {
        DumpKind::Timeout { stuck, .. } => {
            if stuck.len() < MAX_STUCK_TESTS {
                stuck.extend(StuckTest::from_goroutine(g));
            }
        }
        DumpKind::Synctest { goroutines } => goroutines.push(g),
    }
}

fn finish_dump(mut st: DumpState, out: &mut Vec<Found>) {
    flush_dump_goroutine(&mut st);
    match st.kind {
        DumpKind::Timeout {
            after,
            running,
            stuck,
            ..
        } => out.push(Found::Timeout {
            after,
            running,
            stuck,
        }),
        DumpKind::Synctest { goroutines } => out.push(Found::SynctestLeak { goroutines }),
    }
}

/// Scans a whole text at once (tests and tools).
pub fn scan_text(text: &str) -> Vec<Found> {
    let mut s = Scanner::new();
    let mut out = Vec::new();
    for line in text.lines() {
        s.line(line, &mut out);
    }
    s.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const V130: &str = "=== RUN   TestLeak
    leaky_test.go:14: found unexpected goroutines:
        [Goroutine 6 in state chan receive, with example.com/leakdemo/leaky.BlockOnChan.func1 on top of the stack:
        example.com/leakdemo/leaky.BlockOnChan.func1()
        \t/home/dev/leakdemo/leaky/leaky.go:9 +0x19
        created by example.com/leakdemo/leaky.BlockOnChan in goroutine 5
        \t/home/dev/leakdemo/leaky/leaky.go:8 +0x67
         Goroutine 7 in state select, with example.com/leakdemo/leaky.(*Server).loop on top of the stack:
        example.com/leakdemo/leaky.(*Server).loop(...)
        \t/home/dev/leakdemo/leaky/leaky.go:17
        created by example.com/leakdemo/leaky.StartServer in goroutine 5
        \t/home/dev/leakdemo/leaky/leaky.go:28 +0xb6
        ]
--- FAIL: TestLeak (0.45s)";

    const V121: &str = "    leaky_test.go:14: found unexpected goroutines:
        [Goroutine 19 in state chan receive, with example.com/leakdemo/leaky.BlockOnChan.func1 on top of the stack:
        goroutine 19 [chan receive]:
        example.com/leakdemo/leaky.BlockOnChan.func1()
        \t/home/dev/leakdemo/leaky/leaky.go:9 +0x1f
        created by example.com/leakdemo/leaky.BlockOnChan
        \t/home/dev/leakdemo/leaky/leaky.go:8 +0x6a
        
         Goroutine 20 in state select, with example.com/leakdemo/leaky.(*Server).loop on top of the stack:
        goroutine 20 [select]:
        example.com/leakdemo/leaky.(*Server).loop(0xc000092028, 0x0?)
        \t/home/dev/leakdemo/leaky/leaky.go:17 +0x7a
        created by example.com/leakdemo/leaky.StartServer
        \t/home/dev/leakdemo/leaky/leaky.go:28 +0x99
        ]";

    fn only_leak(found: Vec<Found>) -> LeakReport {
        let leaks: Vec<_> = found
            .into_iter()
            .filter_map(|f| match f {
                Found::Leak(l) => Some(l),
                _ => None,
            })
            .collect();
        assert_eq!(leaks.len(), 1, "{leaks:?}");
        leaks.into_iter().next().unwrap()
    }

    #[test]
    fn goleak_130_verify_none() {
        let r = only_leak(scan_text(V130));
        assert_eq!(r.origin, ReportOrigin::VerifyNone);
        assert_eq!(r.location, Some(("leaky_test.go".into(), 14)));
        assert_eq!(r.layout, Some(Layout::Compact));
        assert!(!r.truncated);
        assert_eq!(r.goroutines.len(), 2);
        let g = &r.goroutines[1];
        assert_eq!(g.id, 7);
        assert_eq!(g.state.status, "select");
        assert_eq!(
            g.top_function(),
            Some("example.com/leakdemo/leaky.(*Server).loop")
        );
        assert_eq!(g.created_by.as_ref().unwrap().line, 28);
    }

    #[test]
    fn goleak_121_repeats_header() {
        let r = only_leak(scan_text(V121));
        assert_eq!(r.layout, Some(Layout::RepeatsHeader));
        assert_eq!(r.goroutines.len(), 2);
        assert_eq!(r.goroutines[0].frames.len(), 1);
        assert_eq!(r.goroutines[0].created_by.as_ref().unwrap().goroutine, None);
        assert_eq!(r.goroutines[1].frames[0].line, 17);
    }

    #[test]
    fn verify_test_main_all_spellings() {
        for intro in [
            "goleak: Errors on successful test run: found unexpected goroutines:",
            "goleak: Errors on successful test run:found unexpected goroutines:",
            "goleak: Errors on unsuccessful test run: found unexpected goroutines:",
        ] {
            let text = format!(
                "PASS\n{intro}\n[Goroutine 8 in state chan receive, with m.T.func1 on top of the stack:\n\
m.T.func1()\n\t/m/m_test.go:15 +0x19\ncreated by m.T in goroutine 7\n\t/m/m_test.go:15 +0x76\n]\nFAIL\tm\t0.4s\n"
            );
            let r = only_leak(scan_text(&text));
            assert_eq!(r.origin, ReportOrigin::VerifyTestMain);
            assert_eq!(r.goroutines.len(), 1);
        }
    }

    #[test]
    fn goleak_usage_error_is_not_a_leak() {
        let f = scan_text(
            "goleak: Errors on unsuccessful test run: RunOnFailure can only be passed to VerifyTestMain\n",
        );
        assert!(matches!(&f[..], [Found::GoleakError(_)]));
    }

    #[test]
    fn truncated_report() {
        let cut: String = V130.lines().take(6).collect::<Vec<_>>().join("\n");
        let r = only_leak(scan_text(&cut));
        assert!(r.truncated);
        assert_eq!(r.goroutines.len(), 1);
    }

    #[test]
    fn nested_non_verbose_indent() {
        let text = "--- FAIL: TestSub (0.45s)
    --- FAIL: TestSub/inner (0.45s)
        leaky_test.go:24: found unexpected goroutines:
            [Goroutine 27 in state sleep, with time.Sleep on top of the stack:
            time.Sleep(0x34630b8a000)
            \t/usr/lib/go-1.27/src/runtime/time.go:368 +0x165
            created by example.com/leakdemo/leaky.Sleeper in goroutine 26
            \t/home/dev/leakdemo/leaky/leaky.go:41 +0x1a
            ]
FAIL";
        let r = only_leak(scan_text(text));
        assert_eq!(r.goroutines[0].state.status, "sleep");
        assert_eq!(r.goroutines[0].frames[0].function, "time.Sleep");
    }

    #[test]
    fn timeout_and_synctest() {
        let f = scan_text(
            "panic: test timed out after 2s\n\trunning tests:\n\t\tTestHang (2s)\n\ngoroutine 5 [running]:\nx.F()\n\t/x.go:1\nFAIL\tx\t2.0s\n",
        );
        assert_eq!(
            f,
            vec![Found::Timeout {
                after: "2s".into(),
                running: vec!["TestHang".into()],
                stuck: vec![],
            }]
        );
        let f = scan_text(
            "panic: deadlock: main bubble goroutine has exited but blocked goroutines remain [recovered, repanicked]\n\n\
goroutine 19 [running]:\ntesting.tRunner.func1.2({0x1, 0x2})\n\t/t.go:1 +0x1\n\n\
goroutine 22 [chan receive (durable), synctest bubble 1]:\nx.TestBubbleLeak.func1.1()\n\t/x_test.go:13 +0x19\n\
created by x.TestBubbleLeak.func1 in goroutine 21\n\t/x_test.go:13 +0x5f\n",
        );
        match &f[..] {
            [Found::Panic(_), Found::SynctestLeak { goroutines }] => {
                assert_eq!(goroutines.len(), 1);
                assert_eq!(goroutines[0].id, 22);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn killed_binary_is_a_timeout() {
        let f = scan_text("*** Test killed with quit: ran too long (11m0s).\n");
        assert_eq!(
            f,
            vec![Found::Timeout {
                after: "11m0s".into(),
                running: vec![],
                stuck: vec![],
            }]
        );
    }

    #[test]
    fn entry_header_with_labels_and_commas() {
        let (id, state, f) = parse_entry_header(
            r#"Goroutine 20 in state chan receive] {w: "a, with b"}, with pkg.F on top of the stack:"#,
        )
        .unwrap();
        assert_eq!((id, f), (20, "pkg.F"));
        assert!(state.starts_with("chan receive]"));
    }

    #[test]
    fn report_wrapped_by_testify_require() {
        // require.NoError(t, goleak.Find()) prints the error under testify's
        // `Error:` column, every line prefixed with TAB-aligned padding.
        let text = "    leak_test.go:12: \n\
        \tError Trace:\t/src/p/leak_test.go:12\n\
        \tError:      \tReceived unexpected error:\n\
        \t            \tfound unexpected goroutines:\n\
        \t            \t[Goroutine 7 in state chan receive, with p.F.func1 on top of the stack:\n\
        \t            \tp.F.func1()\n\
        \t            \t\t/src/p/f.go:9 +0x19\n\
        \t            \tcreated by p.F in goroutine 6\n\
        \t            \t\t/src/p/f.go:8 +0x67\n\
        \t            \t]\n\
        \tTest:       \tTestX\n";
        let r = only_leak(scan_text(text));
        assert!(!r.truncated);
        assert_eq!(r.origin, ReportOrigin::Other);
        assert_eq!(r.goroutines.len(), 1);
        assert_eq!(r.goroutines[0].created_by.as_ref().unwrap().line, 8);
    }

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/go1.26-goleak1.3.0")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn only_timeout(found: &[Found]) -> (&str, &[String], &[StuckTest]) {
        match found {
            [Found::Timeout {
                after,
                running,
                stuck,
            }] => (after, running, stuck),
            other => panic!("{other:?}"),
        }
    }

    /// The goroutine of `TestFlushHangs` in the real `go test -timeout 5s
    /// ./hangs` dump (testdata/go/hangs): blocked in `(*Queue).Flush`,
    /// called from queue_test.go:24.
    fn assert_flush_hangs(stuck: &[StuckTest], id: u64) {
        // Goroutine 1 (runTests calls tRunner too), the alarm goroutine and
        // the two blocked publishers are not tests.
        assert_eq!(stuck.len(), 1, "{stuck:?}");
        let s = &stuck[0];
        assert_eq!(s.test.as_deref(), Some("TestFlushHangs"));
        assert_eq!(s.goroutine.id, id);
        assert_eq!(s.goroutine.state.status, "sync.WaitGroup.Wait");
        let functions: Vec<&str> = s
            .goroutine
            .frames
            .iter()
            .map(|f| f.function.as_str())
            .collect();
        assert_eq!(
            functions,
            [
                "sync.runtime_SemacquireWaitGroup",
                "sync.(*WaitGroup).Wait",
                "example.com/leakgate/fixtures/hangs.(*Queue).Flush",
                "example.com/leakgate/fixtures/hangs.TestFlushHangs",
                "testing.tRunner",
            ]
        );
        let t = s.test_frame().unwrap();
        assert_eq!(
            t.function,
            "example.com/leakgate/fixtures/hangs.TestFlushHangs"
        );
        assert!(t.file.ends_with("testdata/go/hangs/queue_test.go"), "{t:?}");
        assert_eq!(t.line, 24);
        let own = s.first_non_stdlib_frame().unwrap();
        assert_eq!(
            own.function,
            "example.com/leakgate/fixtures/hangs.(*Queue).Flush"
        );
        assert!(own.file.ends_with("testdata/go/hangs/queue.go"), "{own:?}");
        assert_eq!((own.line, own.inlined), (30, true));
        let c = s.goroutine.created_by.as_ref().unwrap();
        assert_eq!(
            (c.function.as_str(), c.goroutine),
            ("testing.(*T).Run", Some(1))
        );
    }

    #[test]
    fn timeout_keeps_stuck_test_of_real_text_fixture() {
        let text = fixture("hangs.txt");
        let f = scan_text(&text);
        let (after, running, stuck) = only_timeout(&f);
        assert_eq!(after, "5s");
        assert_eq!(running, ["TestFlushHangs"]);
        assert_flush_hangs(stuck, 8);
    }

    #[test]
    fn timeout_keeps_stuck_test_of_real_json_fixture() {
        // The test's own output lines, as the caller feeds them; the dump
        // ends with the test's output (`Scanner::finish`).
        let mut s = Scanner::new();
        let mut out = Vec::new();
        let mut in_dump = 0;
        for ev in fixture("hangs.json").lines() {
            let v: serde_json::Value = serde_json::from_str(ev).unwrap();
            if v["Action"] != "output" || v["Test"] != "TestFlushHangs" {
                continue;
            }
            let o = v["Output"].as_str().unwrap();
            s.line(o.strip_suffix('\n').unwrap_or(o), &mut out);
            assert!(!s.in_report());
            in_dump += usize::from(s.is_busy());
        }
        assert!(in_dump > 40, "{in_dump}");
        s.finish(&mut out);
        let (after, running, stuck) = only_timeout(&out);
        assert_eq!(
            (after, running),
            ("5s", &["TestFlushHangs".to_string()][..])
        );
        assert_flush_hangs(stuck, 20);
    }

    #[test]
    fn timeout_stuck_subtests_and_parents() {
        // Frames as Go 1.26 prints a parent test waiting in t.Run, its
        // subtest, a parallel test paused in t.Parallel, and a Go 1.20
        // stack whose bottom (tRunner) the runtime cut off.
        let mut text = String::from(
            "panic: test timed out after 1s\n\trunning tests:\n\t\tTestX/sub (1s)\n\n\
goroutine 6 [chan receive]:\ntesting.(*T).Run(0xc0001, {0x1, 0x2}, 0x3)\n\t/go/src/testing/testing.go:2109 +0x4e5\n\
example.com/p.TestX(0xc0001)\n\t/src/p/x_test.go:9 +0x2a\ntesting.tRunner(0xc0001, 0x3)\n\t/go/src/testing/testing.go:2036 +0xea\n\
created by testing.(*T).Run in goroutine 1\n\t/go/src/testing/testing.go:2101 +0x4c5\n\n\
goroutine 7 [select (no cases)]:\nexample.com/p.TestX.func1(0xc0002)\n\t/src/p/x_test.go:10 +0x11\n\
testing.tRunner(0xc0002, 0x4)\n\t/go/src/testing/testing.go:2036 +0xea\n\
created by testing.(*T).Run in goroutine 6\n\t/go/src/testing/testing.go:2101 +0x4c5\n\n\
goroutine 8 [chan receive]:\ntesting.(*T).Parallel(0xc0003)\n\t/go/src/testing/testing.go:1700 +0x1\n\
example.com/p.TestPar(0xc0003)\n\t/src/p/x_test.go:20 +0x2\ntesting.tRunner(0xc0003, 0x5)\n\t/go/src/testing/testing.go:2036 +0xea\n\
created by testing.(*T).Run in goroutine 1\n\t/go/src/testing/testing.go:2101 +0x4c5\n\n\
goroutine 9 [chan receive]:\nexample.com/p.deep(0x1)\n\t/src/p/x_test.go:30 +0x2\n...additional frames elided...\n\
created by testing.(*T).Run\n\t/go/src/testing/testing.go:1629 +0x3ea\n",
        );
        text.push_str("FAIL\texample.com/p\t1.0s\n");
        let f = scan_text(&text);
        let (_, running, stuck) = only_timeout(&f);
        assert_eq!(running, ["TestX/sub"]);
        let got: Vec<(u64, Option<&str>, Option<u32>)> = stuck
            .iter()
            .map(|s| {
                (
                    s.goroutine.id,
                    s.test.as_deref(),
                    s.test_frame().map(|f| f.line),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (6, Some("TestX"), Some(9)),
                (7, None, Some(10)),
                (8, Some("TestPar"), Some(20)),
                (9, None, None),
            ]
        );
        assert_eq!(stuck[3].first_non_stdlib_frame().unwrap().line, 30);
    }

    #[test]
    fn timeout_stuck_tests_are_bounded() {
        let mut text = String::from("panic: test timed out after 1s\n\n");
        for i in 0..MAX_STUCK_TESTS + 10 {
            text.push_str(&format!(
                "goroutine {i} [select]:\nm/p.TestN{i}(0x1)\n\t/p/p_test.go:{i} +0x1\n\
testing.tRunner(0x1, 0x2)\n\t/t.go:1 +0x1\ncreated by testing.(*T).Run in goroutine 1\n\t/t.go:2 +0x1\n\n"
            ));
        }
        let f = scan_text(&text);
        let (_, _, stuck) = only_timeout(&f);
        assert_eq!(stuck.len(), MAX_STUCK_TESTS);
        assert_eq!(stuck[MAX_STUCK_TESTS - 1].test.as_deref(), Some("TestN63"));
    }

    #[test]
    fn in_report_only_inside_goleak_reports() {
        let mut s = Scanner::new();
        let mut out = Vec::new();
        let mut states = Vec::new();
        for line in V130.lines().chain(fixture("hangs.txt").lines()) {
            s.line(line, &mut out);
            states.push((s.in_report(), s.is_busy()));
        }
        let report_lines = V130.lines().count() - 3; // RUN, FOUND..`]`, --- FAIL
        assert_eq!(states.iter().filter(|(r, _)| *r).count(), report_lines);
        assert!(states.iter().any(|&(r, b)| b && !r), "dump lines");
        assert!(states.iter().all(|&(r, b)| b || !r));
        s.finish(&mut out);
        assert!(matches!(&out[..], [Found::Leak(_), Found::Timeout { .. }]));
    }

    #[test]
    fn test_function_names() {
        assert_eq!(test_function_name("example.com/m/p.TestA"), Some("TestA"));
        assert_eq!(test_function_name("m/p.TestA.func1"), None);
        assert_eq!(test_function_name("m/p.(*T).TestA"), None);
        assert_eq!(test_function_name("testing.tRunner.func1"), None);
        assert_eq!(test_function_name("testing.runTests.func1"), None);
        assert_eq!(test_function_name("main.Test"), Some("Test"));
    }

    /// The list of V130 (from `[Goroutine` to `]`) without the testing
    /// package's indentation.
    fn v130_list() -> Vec<&'static str> {
        V130.lines()
            .filter_map(|l| l.strip_prefix("        "))
            .collect()
    }

    /// (id, status, wait, top function, frames' functions, creator, `go`
    /// statement line) of each goroutine.
    type Seen = (
        u64,
        String,
        Option<u64>,
        Option<String>,
        Vec<String>,
        Option<(String, u32)>,
    );

    fn seen(found: Vec<Found>) -> Vec<Seen> {
        found
            .into_iter()
            .filter_map(|f| match f {
                Found::Leak(l) => Some(l.goroutines),
                _ => None,
            })
            .flatten()
            .map(|g| {
                (
                    g.id,
                    g.state.status.clone(),
                    g.state.wait_minutes,
                    g.top_function().map(str::to_string),
                    g.frames.iter().map(|f| f.function.clone()).collect(),
                    g.created_by.map(|c| (c.function, c.line)),
                )
            })
            .collect()
    }

    #[test]
    fn excerpt_starting_inside_the_list() {
        let all = seen(scan_text(V130));
        assert_eq!(all.len(), 2);
        // From the opening `[`: no `found unexpected goroutines:` line.
        let from_open = v130_list().join("\n");
        assert_eq!(seen(scan_text(&from_open)), all);
        // Indented as `go test` printed it, from the first entry.
        let indented: Vec<&str> = V130.lines().skip(2).collect();
        assert_eq!(seen(scan_text(&indented.join("\n"))), all);
        // From the second entry: no `[`, goleak's separator space kept.
        let second: Vec<&str> = V130.lines().skip(7).collect();
        assert!(
            second[0].starts_with("         Goroutine 7 "),
            "{}",
            second[0]
        );
        assert_eq!(seen(scan_text(&second.join("\n"))), all[1..]);
        let bare: Vec<&str> = v130_list().into_iter().skip(5).collect();
        assert!(bare[0].starts_with(" Goroutine 7 "), "{}", bare[0]);
        assert_eq!(seen(scan_text(&bare.join("\n"))), all[1..]);
        let r = only_leak(scan_text(&bare.join("\n")));
        assert_eq!(
            (r.origin, r.location, r.truncated),
            (ReportOrigin::Other, None, false)
        );
        // goleak 1.2: the entry repeats the runtime header.
        let v121: Vec<&str> = V121.lines().skip(8).collect();
        assert!(v121[0].starts_with("         Goroutine 20 "), "{}", v121[0]);
        let g = seen(scan_text(&v121.join("\n")));
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].0, g[0].1.as_str()), (20, "select"));
        assert_eq!(
            g[0].5,
            Some(("example.com/leakdemo/leaky.StartServer".into(), 28))
        );
    }

    #[test]
    fn a_lone_header_line_is_not_enough_to_be_anything_else() {
        // Text that mentions goleak's words without its header is no report.
        for text in [
            "Goroutine 7 in state select on top of the stack:\n",
            "see Goroutine 7 in state select, with f on top of the stack:\n",
            "Goroutine x in state select, with f on top of the stack:\n",
        ] {
            assert!(scan_text(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn top_function_from_goleaks_header_when_frames_are_cut() {
        // Cut right after the header, and in the middle of the first frame.
        for cut in [3, 4] {
            let text: Vec<&str> = V130.lines().take(cut).collect();
            let mut text = text.join("\n");
            if cut == 4 {
                text.truncate(text.len() - 20);
            }
            let r = only_leak(scan_text(&text));
            assert!(r.truncated);
            assert_eq!(r.goroutines.len(), 1, "{text}");
            let g = &r.goroutines[0];
            assert_eq!(
                g.top_function(),
                Some("example.com/leakdemo/leaky.BlockOnChan.func1")
            );
            assert_eq!((g.frames[0].file.as_str(), g.frames[0].line), ("", 0));
            assert_eq!(g.created_by, None);
        }
        // No frames at all, and no `created by`: kept with what it has.
        let r = only_leak(scan_text(
            "found unexpected goroutines:\n[Goroutine 9 in state select, with pkg.loop on top of the stack:\n\
 Goroutine 10 in state chan send, with pkg.send on top of the stack:\npkg.send()\n\t/p/s.go:3 +0x1\n]\n",
        ));
        assert!(!r.truncated);
        let g: Vec<(u64, Option<&str>, usize)> = r
            .goroutines
            .iter()
            .map(|g| (g.id, g.top_function(), g.frames.len()))
            .collect();
        assert_eq!(g, [(9, Some("pkg.loop"), 1), (10, Some("pkg.send"), 1)]);
        assert_eq!(r.goroutines[1].frames[0].line, 3);
        // goleak says `panic`, the frame list says runtime.gopanic.
        let r = only_leak(scan_text(
            "found unexpected goroutines:\n[Goroutine 9 in state running, with panic on top of the stack:\n]\n",
        ));
        assert_eq!(r.goroutines[0].top_function(), Some("runtime.gopanic"));
        // An empty top function (`with  on top`) names nothing.
        let r = only_leak(scan_text(
            "found unexpected goroutines:\n[Goroutine 9 in state running, with  on top of the stack:\n]\n",
        ));
        assert_eq!(r.goroutines[0].frames, []);
    }

    #[test]
    fn mangled_first_frame_is_goleaks_top_function() {
        // A Markdown link pasted into the argument list (open-telemetry
        // collector-contrib PR 30494).
        let text = "found unexpected goroutines:\n\
[Goroutine 3 in state chan receive, with k8s.io/klog.(*loggingT).flushDaemon on top of the stack:\n\
k8s.io/klog.(*loggingT).flushDaemon(0x14a5[34](https://github.com/x#step:8:35)c0)\n\
\t/home/runner/go/pkg/mod/k8s.io/klog@v1.0.0/klog.go:1010 +0x8b\n]\n";
        let r = only_leak(scan_text(text));
        let f = &r.goroutines[0].frames[0];
        assert_eq!(f.function, "k8s.io/klog.(*loggingT).flushDaemon");
        assert_eq!(f.line, 1010);
        // A first frame that is another function is left alone.
        let text = "found unexpected goroutines:\n[Goroutine 3 in state select, with a.F on top of the stack:\n\
a.G()\n\t/a.go:1 +0x1\n]\n";
        assert_eq!(
            only_leak(scan_text(text)).goroutines[0].top_function(),
            Some("a.G")
        );
    }

    #[test]
    fn header_cut_mid_name_is_kept_as_far_as_it_goes() {
        let head: Vec<&str> = V130.lines().take(7).collect();
        let head = head.join("\n");
        for (tail, id, status, top) in [
            (
                "         Goroutine 12 in state chan rec",
                12,
                "chan rec",
                None,
            ),
            (
                "         Goroutine 12 in state chan send, with github.com/aqua/te",
                12,
                "chan send",
                Some("github.com/aqua/te"),
            ),
            (
                "         Goroutine 12 in state chan send, 1 minutes, wi",
                12,
                "chan send",
                None,
            ),
            (
                "         Goroutine 12 in state select, with a.F on top of the st",
                12,
                "select",
                Some("a.F"),
            ),
            ("         Goroutine 12 in st", 12, "", None),
            ("         Goroutine 12", 12, "", None),
        ] {
            let r = only_leak(scan_text(&format!("{head}\n{tail}")));
            assert!(r.truncated);
            assert_eq!(r.goroutines.len(), 2, "{tail}");
            let g = &r.goroutines[1];
            assert_eq!(
                (g.id, g.state.status.as_str(), g.top_function()),
                (id, status, top),
                "{tail}"
            );
            assert_eq!(g.created_by, None);
        }
        let r = only_leak(scan_text(&format!(
            "{head}\n         Goroutine 12 in state chan send, 1 minutes, wi"
        )));
        assert_eq!(r.goroutines[1].state.wait_minutes, Some(1));
        // Not a cut header: kept as the entry's body.
        let r = only_leak(scan_text(&format!(
            "{head}\n         Goroutines 12\n        ]"
        )));
        assert_eq!(r.goroutines.len(), 1);
    }

    #[test]
    fn wait_is_its_own_field() {
        let text = "found unexpected goroutines:\n\
[Goroutine 13 in state chan send, 1 minutes, with a.F on top of the stack:\na.F()\n\t/a.go:1 +0x1\n\
 Goroutine 14 in state select, 3 minutes, locked to thread, with a.G on top of the stack:\n\
goroutine 14 [select, 3 minutes, locked to thread]:\na.G()\n\t/a.go:2 +0x1\n]\n";
        let r = only_leak(scan_text(text));
        let s = &r.goroutines[0].state;
        assert_eq!(
            (s.status.as_str(), s.wait_minutes, s.without_wait().as_ref()),
            ("chan send", Some(1), "chan send")
        );
        let s = &r.goroutines[1].state;
        assert_eq!((s.status.as_str(), s.wait_minutes), ("select", Some(3)));
        assert_eq!(s.without_wait(), "select, locked to thread");
        assert!(s.locked_to_thread);
    }

    /// Each wrapper around the same goleak report (the layouts klog,
    /// Gomega, testify, GitHub quotes and CI logs give it; built here from
    /// V130's list by the rules of each format, since these tools are not
    /// run by the test suite) gives the same goroutines as the plain report.
    #[test]
    fn wrapped_reports_give_the_same_goroutines() {
        let plain = format!(
            "goleak: Errors on successful test run: found unexpected goroutines:\n{}\n",
            v130_list().join("\n")
        );
        let want = seen(scan_text(&plain));
        assert_eq!(want.len(), 2);
        let indent = |prefix: &str| -> String {
            v130_list()
                .iter()
                .map(|l| format!("{prefix}{l}\n"))
                .collect()
        };
        let cases = [
            // klog: `err=<`, the value's lines after a TAB (or 4 spaces), ` >`.
            (
                "klog tab",
                format!(
                    "E1203 10:00:00.000000   42 main.go:10] \"leak check\" err=<\n\tfound unexpected goroutines:\n{} >\n",
                    indent("\t")
                ),
            ),
            (
                "klog spaces",
                format!(
                    "E1203 10:00:00.000000   42 main.go:10] \"leak check\" err=<\n    found unexpected goroutines:\n{} >\n",
                    indent("    ")
                ),
            ),
            // Gomega's Expect(goleak.Find()).To(Succeed()) inside Ginkgo.
            (
                "gomega",
                format!(
                    "  [FAILED] Expected success, but got an error:\n      <*errors.errorString | 0xc000120f30>: \n      found unexpected goroutines:\n{}      {{\n          s: \"found unexpected goroutines:\\n[Goroutine 6 in state chan receive, with example.com/leakdemo/leaky.BlockOnChan.func1 on top of the stack:\\n...\",\n      }}\n  In [It] at: /src/p/p_test.go:12\n",
                    indent("      ")
                ),
            ),
            // testify's assert.Fail(t, err.Error()): the text under `Error:`.
            (
                "testify",
                format!(
                    "    leak_test.go:12: \n        \tError Trace:\t/src/p/leak_test.go:12\n        \tError:      \tfound unexpected goroutines:\n{}        \tTest:       \tTestX\n",
                    indent("        \t            \t")
                ),
            ),
            // Quoted in a GitHub comment, blank lines as `>`.
            (
                "markdown",
                format!(
                    "> goleak: Errors on successful test run: found unexpected goroutines:\n{}>\n",
                    indent("> ")
                ),
            ),
            (
                "markdown nested",
                format!(
                    "> > goleak: Errors on successful test run: found unexpected goroutines:\n{}",
                    indent("> > ")
                ),
            ),
            // A log viewer that doubles every line break.
            (
                "double spaced",
                plain.lines().map(|l| format!("{l}\n\n")).collect(),
            ),
            // Pasted with leading spaces, tab-indented.
            (
                "leading spaces",
                plain.lines().map(|l| format!("   {l}\n")).collect(),
            ),
            (
                "leading tab",
                plain.lines().map(|l| format!("\t{l}\n")).collect(),
            ),
        ];
        for (name, text) in cases {
            let found = scan_text(&text);
            assert_eq!(seen(found.clone()), want, "{name}:\n{text}");
            let r = only_leak(found);
            assert!(!r.truncated, "{name}");
        }
    }

    /// Whether `line`, read outside any report, opens goleak text: a
    /// `found unexpected goroutines:` line, `goleak: Errors on … test run:`, or
    /// one of goleak's entry headers standing alone (an excerpt that starts
    /// inside the list).
    fn opens_goleak_text(line: &str) -> bool {
        let mut s = Scanner::new();
        let mut out = Vec::new();
        s.line(line, &mut out);
        s.in_report() || out.iter().any(|f| matches!(f, Found::GoleakError(_)))
    }

    #[test]
    fn what_opens_goleak_text() {
        for line in [
            "    integration.go:269: found unexpected goroutines:",
            "goleak: Errors on successful test run: found unexpected goroutines:",
            "goleak: Errors on unsuccessful test run: RunOnFailure can only be passed to VerifyTestMain",
            "[Goroutine 6 in state chan receive, with pkg.F on top of the stack:",
            "         Goroutine 7 in state select, with pkg.(*S).loop on top of the stack:",
            "> [Goroutine 6 in state chan receive, with pkg.F on top of the stack:",
        ] {
            assert!(opens_goleak_text(line), "{line}");
        }
        for line in [
            "    main_test.go:12: started worker",
            "goroutine 6 [chan receive]:",
            "[Goroutine 6 in state chan rec",
            "panic: boom",
            "",
        ] {
            assert!(!opens_goleak_text(line), "{line}");
        }
    }

    #[test]
    fn quote_markers() {
        assert_eq!(strip_quote_markers("> a"), "a");
        assert_eq!(strip_quote_markers(">"), "");
        assert_eq!(strip_quote_markers("> > \tb"), "\tb");
        assert_eq!(strip_quote_markers(">> c"), "c");
    }

    #[test]
    fn race_report_is_not_goleak() {
        assert!(scan_text("Goroutine 7 (running) created at:\n  main.main()\n").is_empty());
    }
}
