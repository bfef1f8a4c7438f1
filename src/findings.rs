//! Events → findings: which tests and packages failed, why, and every
//! goroutine leak that goleak (or synctest) reported.
//!
//! The [`Collector`] is an [`events::Sink`](crate::events::Sink). It keeps
//! state only for tests and packages that are still running, feeds their
//! output through a [`crate::scan::Scanner`] as it arrives, and forgets a passing
//! test's output the moment it passes, so memory stays flat however much
//! passing output flows through. What it keeps of a failing test's plain
//! output is bounded ([`EXCERPT_HEAD`], [`EXCERPT_TAIL`]).
//!
//! It decides what a failure *is* (leak, ordinary test failure, panic,
//! timeout, build failure, incomplete) but not what it means for the gate:
//! that is [`crate::policy`] and [`crate::verdict`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};

use sha2::{Digest, Sha256};

use crate::events::{Event, Loc, Outcome, Sink};
use crate::ingest::InputSummary;
use crate::paths::{Repo, SourceRef};
use crate::scan::{Found, LeakReport, ReportOrigin, Scanner};
use crate::stack::{self, Goroutine};

/// Lines kept from the start of a failing test's output.
pub const EXCERPT_HEAD: usize = 40;
/// Lines kept from the end of a failing test's output.
pub const EXCERPT_TAIL: usize = 80;
/// A partial output line is cut at this length.
pub const MAX_PARTIAL_LINE: usize = crate::ingest::MAX_LINE_BYTES;
/// Stray lines remembered for context (build errors of old Go versions).
pub const STRAY_CONTEXT: usize = 50;

/// What kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureKind {
    /// goleak (or synctest) reported leaked goroutines.
    Leak,
    /// An ordinary test failure (assertion, `t.Fatal`, TestMain exit).
    Test,
    /// A panic or fatal error crashed the test binary.
    Panic,
    /// `go test -timeout` expired.
    Timeout,
    /// The package did not build.
    Build,
    /// A package or test started and never reported a result.
    Incomplete,
}

impl FailureKind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Leak => "leak",
            FailureKind::Test => "test",
            FailureKind::Panic => "panic",
            FailureKind::Timeout => "timeout",
            FailureKind::Build => "build",
            FailureKind::Incomplete => "incomplete",
        }
    }
}

/// A failed test or package.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Package import path (`None` when the output named none).
    pub package: Option<String>,
    /// Test name, `None` for package level.
    pub test: Option<String>,
    /// What failed.
    pub kind: FailureKind,
    /// One line for a person.
    pub message: String,
    /// Output lines that explain it (bounded).
    pub excerpt: Vec<String>,
    /// Where in the input it was concluded.
    pub at: Loc,
}

/// Which mechanism reported a leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeakSource {
    /// A goleak report.
    Goleak(ReportOrigin),
    /// A `testing/synctest` bubble exited with goroutines still blocked.
    Synctest,
}

/// One goroutine of a leak report, resolved against the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct LeakedGoroutine {
    /// The goroutine as printed.
    pub goroutine: Goroutine,
    /// Stable across runs and machines: state and function names only.
    pub fingerprint: String,
    /// The `go` statement that started it.
    pub origin: Option<SourceRef>,
    /// The first frame inside the repository: where it is blocked.
    pub blocked_at: Option<SourceRef>,
    /// Every frame's file resolved, parallel to `goroutine.frames`.
    pub frames: Vec<SourceRef>,
    /// Why this goroutine is the testing framework's or a sibling test's
    /// rather than a leak (goleak cannot tell them apart under `t.Parallel`).
    pub harness: Option<&'static str>,
}

/// One leak report: one goleak report, or one synctest bubble.
#[derive(Debug, Clone, PartialEq)]
pub struct Leak {
    /// Package import path.
    pub package: Option<String>,
    /// Test that reported it; `None` for `VerifyTestMain`.
    pub test: Option<String>,
    /// What reported it.
    pub source: LeakSource,
    /// The `file:line` of the `VerifyNone` call, when printed.
    pub location: Option<(String, u32)>,
    /// That call resolved against the repository.
    pub verify_at: Option<SourceRef>,
    /// Every goroutine, in report order.
    pub goroutines: Vec<LeakedGoroutine>,
    /// Goroutines beyond the per-report limit, counted only.
    pub dropped: usize,
    /// The report was cut before its end.
    pub truncated: bool,
    /// Where the report was found.
    pub at: Loc,
}

impl LeakedGoroutine {
    /// Where a person should look, inside the repository: the `go`
    /// statement when it is there, else the first frame that is.
    pub fn anchor(&self) -> Option<&SourceRef> {
        self.origin
            .as_ref()
            .filter(|o| o.in_repo)
            .or_else(|| self.blocked_at.as_ref().filter(|b| b.in_repo))
    }
}

impl Leak {
    /// Goroutines that are not test-harness goroutines.
    pub fn real_goroutines(&self) -> impl Iterator<Item = &LeakedGoroutine> {
        self.goroutines.iter().filter(|g| g.harness.is_none())
    }
}

/// Test counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tests (and subtests) that passed.
    pub passed: u64,
    /// That failed.
    pub failed: u64,
    /// That were skipped.
    pub skipped: u64,
    /// Packages that reported a result.
    pub packages: u64,
}

/// Something that keeps the run from being judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where (input index and line; line 0 when not known).
    pub at: Option<Loc>,
    /// What.
    pub message: String,
}

/// Everything found in all inputs.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// The inputs read.
    pub inputs: Vec<InputSummary>,
    /// Test counts.
    pub counts: Counts,
    /// Failures, in the order they were concluded.
    pub failures: Vec<Failure>,
    /// Leak reports, in order.
    pub leaks: Vec<Leak>,
    /// Reasons the run cannot be judged.
    pub problems: Vec<Problem>,
}

/// A failing test's output as kept: its first [`EXCERPT_HEAD`] and last
/// [`EXCERPT_TAIL`] lines, each cut at [`EXCERPT_LINE_BYTES`], with a marker
/// where lines were dropped. Storage is reused: the head is one string, the
/// tail a ring of strings, so passing output costs copies, not allocations.
#[derive(Default)]
struct Excerpt {
    head: String,
    head_ends: Vec<usize>,
    tail: VecDeque<String>,
    dropped: usize,
    /// Tail strings of earlier tests, cleared, for reuse.
    free: Vec<String>,
}

/// A kept output line is cut at this length (with a marker).
pub const EXCERPT_LINE_BYTES: usize = 4096;

/// Appends `line` to `to`, cut at [`EXCERPT_LINE_BYTES`] with a marker.
fn push_bounded(to: &mut String, line: &str) {
    if line.len() <= EXCERPT_LINE_BYTES {
        to.push_str(line);
        return;
    }
    let mut end = EXCERPT_LINE_BYTES;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    to.push_str(&line[..end]);
    to.push_str(&format!(" [… {} bytes not kept]", line.len() - end));
}

impl Excerpt {
    fn push(&mut self, line: &str) {
        if self.head_ends.len() < EXCERPT_HEAD {
            push_bounded(&mut self.head, line);
            self.head_ends.push(self.head.len());
            return;
        }
        let mut slot = if self.tail.len() == EXCERPT_TAIL {
            self.dropped += 1;
            self.tail.pop_front().unwrap_or_default()
        } else {
            self.free.pop().unwrap_or_default()
        };
        slot.clear();
        push_bounded(&mut slot, line);
        self.tail.push_back(slot);
    }

    fn lines(&self) -> Vec<String> {
        let mut v = Vec::with_capacity(self.head_ends.len() + 1 + self.tail.len());
        let mut start = 0;
        for &end in &self.head_ends {
            v.push(self.head[start..end].to_string());
            start = end;
        }
        if self.dropped > 0 {
            v.push(format!("[… {} lines not kept …]", self.dropped));
        }
        v.extend(self.tail.iter().cloned());
        v
    }

    fn clear(&mut self) {
        if self.head.capacity() > 64 * 1024 {
            self.head = String::new();
        }
        self.head.clear();
        self.head_ends.clear();
        // Short strings are kept for the next test's tail (at most
        // EXCERPT_TAIL of them: the tail never holds more).
        for s in self.tail.drain(..) {
            if s.capacity() <= 256 {
                self.free.push(s);
            }
        }
        self.dropped = 0;
    }
}

#[derive(Default)]
struct Stream {
    scanner: Scanner,
    partial: String,
    found: Vec<(Found, Loc)>,
    excerpt: Excerpt,
    /// Go 1.27: `error`-typed output outside a goleak report.
    other_error: bool,
    /// `FAIL\tpkg [build failed]` / `[setup failed]` (Go 1.22–1.23 JSON).
    build_failed: bool,
    in_leak_error: bool,
}

/// Streams of passed tests kept for reuse, at most.
const SPARE_STREAMS: usize = 32;

impl Stream {
    /// Back to the state of `Stream::default()`, keeping small buffers.
    fn reset(&mut self) {
        self.scanner = Scanner::new();
        if self.partial.capacity() > 64 * 1024 {
            self.partial = String::new();
        }
        self.partial.clear();
        self.found.clear();
        self.excerpt.clear();
        self.other_error = false;
        self.in_leak_error = false;
    }

    fn text(&mut self, text: &str, kind: Option<&str>, at: Loc) {
        let mut rest = text;
        // (`rest` is usually empty after the first line: no second search.)
        while !rest.is_empty() {
            let Some(i) = crate::bytes::find_byte(b'\n', rest.as_bytes()) else {
                break;
            };
            self.whole_line(&rest[..i], kind, at);
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() && self.partial.len() < MAX_PARTIAL_LINE {
            self.partial.push_str(rest);
        }
    }

    /// `text(line + "\n", kind)`, without looking for line ends: the
    /// line, completing what an earlier piece began.
    fn whole_line(&mut self, line: &str, kind: Option<&str>, at: Loc) {
        if self.partial.is_empty() {
            self.line(line, kind, at);
        } else {
            let mut whole = std::mem::take(&mut self.partial);
            whole.push_str(line);
            self.line(&whole, kind, at);
        }
    }

    fn line(&mut self, line: &str, kind: Option<&str>, at: Loc) {
        match kind {
            Some("error") => {
                self.in_leak_error = line.contains("found unexpected goroutines:");
                if !self.in_leak_error {
                    self.other_error = true;
                }
            }
            Some("error-continue") => {}
            _ => self.in_leak_error = false,
        }
        if line.starts_with("FAIL")
            && (line.ends_with(" [build failed]") || line.ends_with(" [setup failed]"))
        {
            self.build_failed = true;
        }
        let mut out = Vec::new();
        self.scanner.line(line, &mut out);
        if !out.is_empty() {
            self.found.extend(out.into_iter().map(|f| (f, at)));
        }
        let framing = kind == Some("frame")
            || line.starts_with("=== ")
            || trim_start(line).starts_with("--- ");
        if !framing && !self.scanner.is_busy() {
            self.excerpt.push(line);
        }
    }

    fn finish(&mut self, at: Loc) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, None, at);
        }
        let mut out = Vec::new();
        self.scanner.finish(&mut out);
        self.found.extend(out.into_iter().map(|f| (f, at)));
    }
}

/// `s.trim_start()`, without decoding characters while the bytes are ASCII
/// (the ASCII white space of `char::is_whitespace` is ` ` and `\t`..`\r`).
fn trim_start(s: &str) -> &str {
    let i = s
        .bytes()
        .position(|b| !matches!(b, b' ' | b'\t'..=b'\r'))
        .unwrap_or(s.len());
    match s.as_bytes().get(i) {
        Some(b) if !b.is_ascii() => s[i..].trim_start(),
        _ => &s[i..],
    }
}

/// The Fx hash (rustc's): package and test names are looked up once per
/// event, and SipHash's DoS resistance buys nothing for a CI log.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// `a == b` for the package keys and test names compared on every event,
/// eight bytes at a time in line (a `memcmp` call for a string of a few
/// dozen bytes costs more than the comparison itself).
#[inline]
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let word = |s: &[u8]| s.try_into().map(u64::from_ne_bytes).ok();
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    x.by_ref().zip(y.by_ref()).all(|(p, q)| word(p) == word(q))
        && x.remainder().iter().zip(y.remainder()).all(|(p, q)| p == q)
}

/// A package's running tests by name. The test looked up last is kept
/// out of the map: a test's output lines mostly come one after another, so
/// most lookups compare one string instead of hashing one.
#[derive(Default)]
struct Tests {
    map: FxMap<String, (Box<Stream>, Loc)>,
    hot: Option<(String, (Box<Stream>, Loc))>,
}

impl Tests {
    fn is_hot(&self, name: &str) -> bool {
        self.hot.as_ref().is_some_and(|(n, _)| same(n, name))
    }

    fn contains_key(&self, name: &str) -> bool {
        self.is_hot(name) || self.map.contains_key(name)
    }

    /// Adds a test that is not there yet (it becomes the hot one).
    fn insert(&mut self, name: String, value: (Box<Stream>, Loc)) -> &mut (Box<Stream>, Loc) {
        if let Some((k, v)) = self.hot.take() {
            self.map.insert(k, v);
        }
        &mut self.hot.insert((name, value)).1
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut (Box<Stream>, Loc)> {
        if !self.is_hot(name) {
            let entry = self.map.remove_entry(name)?;
            if let Some((k, v)) = self.hot.replace(entry) {
                self.map.insert(k, v);
            }
        }
        self.hot.as_mut().map(|(_, v)| v)
    }

    fn remove_entry(&mut self, name: &str) -> Option<(String, (Box<Stream>, Loc))> {
        if self.is_hot(name) {
            return self.hot.take();
        }
        self.map.remove_entry(name)
    }

    fn keys(&self) -> impl Iterator<Item = &String> {
        self.hot.iter().map(|(k, _)| k).chain(self.map.keys())
    }

    fn drain(&mut self) -> impl Iterator<Item = (String, (Box<Stream>, Loc))> + '_ {
        self.hot.take().into_iter().chain(self.map.drain())
    }
}

struct Pkg {
    /// Index of the first failure / leak recorded while this package ran,
    /// so a text reader's late package name can be given to them.
    first_failure: usize,
    first_leak: usize,
    tests: Tests,
    failed_tests: HashSet<String>,
    output: Stream,
    start: Loc,
    ended: bool,
}

/// Builds [`Findings`] from events.
pub struct Collector<'r> {
    repo: &'r Repo,
    /// Running packages by key: their slots in `slots`.
    pkgs: FxMap<String, usize>,
    slots: Vec<Option<Pkg>>,
    /// Slots of ended packages, for reuse.
    free: Vec<usize>,
    /// The package looked up last, and its slot.
    last: Option<(String, usize)>,
    order: Vec<String>,
    strays: VecDeque<String>,
    build_output: HashMap<String, Excerpt>,
    failed_builds: HashSet<String>,
    findings: Findings,
    events: u64,
    /// Packages that failed with no failure of their own, decided at the
    /// end (a later shard or gotestsum's summary may still explain them).
    unexplained: Vec<Failure>,
    /// Streams of passed tests, reset, for the next tests to reuse. Boxed:
    /// a stream moves between this list, a package's tests and back, one
    /// pointer instead of the whole scanner state each time.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Stream>>,
    /// Names of passed tests, for the next tests' keys.
    spare_names: Vec<String>,
}

impl<'r> Collector<'r> {
    /// A collector resolving files against `repo`.
    pub fn new(repo: &'r Repo) -> Self {
        Collector {
            repo,
            pkgs: FxMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            last: None,
            order: Vec::new(),
            strays: VecDeque::new(),
            build_output: HashMap::new(),
            failed_builds: HashSet::new(),
            findings: Findings::default(),
            events: 0,
            unexplained: Vec::new(),
            spare: Vec::new(),
            spare_names: Vec::new(),
        }
    }

    /// Leak reports found so far (for live progress).
    pub fn leaks_so_far(&self) -> usize {
        self.findings.leaks.len()
    }

    /// Records a summary of an input that was read.
    pub fn input_done(&mut self, summary: InputSummary) {
        self.findings.inputs.push(summary);
    }

    fn pkg(&mut self, key: &str, at: Loc) -> &mut Pkg {
        // Consecutive events are mostly of one package: one string
        // comparison instead of a hash lookup.
        let slot = match &self.last {
            Some((k, slot)) if same(k, key) => *slot,
            _ => {
                let slot = match self.pkgs.get(key) {
                    Some(&slot) => slot,
                    None => self.new_pkg(key, at),
                };
                let (k, s) = self.last.get_or_insert_with(Default::default);
                k.clear();
                k.push_str(key);
                *s = slot;
                slot
            }
        };
        match self.slots.get_mut(slot).and_then(Option::as_mut) {
            Some(p) => p,
            None => unreachable!("a mapped slot holds a package"),
        }
    }

    fn new_pkg(&mut self, key: &str, at: Loc) -> usize {
        self.order.push(key.to_string());
        let pkg = Pkg {
            first_failure: self.findings.failures.len(),
            first_leak: self.findings.leaks.len(),
            tests: Tests::default(),
            failed_tests: HashSet::new(),
            output: Stream::default(),
            start: at,
            ended: false,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(pkg);
                slot
            }
            None => {
                self.slots.push(Some(pkg));
                self.slots.len() - 1
            }
        };
        self.pkgs.insert(key.to_string(), slot);
        slot
    }

    fn get_pkg(&self, key: &str) -> Option<&Pkg> {
        let slot = *self.pkgs.get(key)?;
        self.slots.get(slot)?.as_ref()
    }

    /// Forgets a package, its slot free for the next one.
    fn remove_pkg(&mut self, key: &str) -> Option<Pkg> {
        let slot = self.pkgs.remove(key)?;
        if self.last.as_ref().is_some_and(|(_, s)| *s == slot) {
            self.last = None;
        }
        self.free.push(slot);
        self.slots.get_mut(slot)?.take()
    }

    /// Ends collection: packages still running become problems.
    pub fn finish(mut self) -> Findings {
        for f in std::mem::take(&mut self.unexplained) {
            let explained = self
                .findings
                .failures
                .iter()
                .any(|g| g.package == f.package)
                || self.findings.leaks.iter().any(|l| l.package == f.package);
            if !explained {
                self.findings.failures.push(f);
            }
        }
        let open: Vec<String> = self
            .order
            .iter()
            .filter(|k| self.get_pkg(k).is_some_and(|p| !p.ended))
            .cloned()
            .collect();
        for key in open {
            let Some(mut pkg) = self.remove_pkg(&key) else {
                continue;
            };
            let name = display_name(&key, None);
            let mut running: Vec<String> = pkg.tests.keys().cloned().collect();
            running.sort();
            let at = pkg.start;
            // Leaks already printed are still leaks.
            pkg.output.finish(at);
            let mut tests: Vec<(String, (Box<Stream>, Loc))> = pkg.tests.drain().collect();
            tests.sort_by(|a, b| a.0.cmp(&b.0));
            for (test, (mut st, tat)) in tests {
                st.finish(tat);
                for (f, fat) in std::mem::take(&mut st.found) {
                    if let Found::Leak(r) = f {
                        self.add_leak(name.clone(), Some(test.clone()), r, fat);
                    }
                }
            }
            let message = if running.is_empty() {
                format!(
                    "package {} started and never reported a result: the output ends early",
                    name.as_deref().unwrap_or("(unnamed)")
                )
            } else {
                format!(
                    "package {} never reported a result; still running: {}",
                    name.as_deref().unwrap_or("(unnamed)"),
                    running.join(", ")
                )
            };
            self.findings.problems.push(Problem {
                at: Some(at),
                message: message.clone(),
            });
            self.findings.failures.push(Failure {
                package: name,
                test: None,
                kind: FailureKind::Incomplete,
                message,
                excerpt: pkg.output.excerpt.lines(),
                at,
            });
        }
        if self.events == 0
            || (self.findings.counts.packages == 0 && self.findings.failures.is_empty())
        {
            self.findings.problems.push(Problem {
                at: None,
                message: "no test results found in the input: neither a test nor a package reported a result".to_string(),
            });
        }
        self.findings
    }

    fn stray(&mut self, text: &str, at: Loc) {
        let t = text.trim_end();
        // Go ≤ 1.23 report build and setup failures as plain text.
        if let Some(rest) = t.strip_prefix("FAIL\t") {
            for marker in [" [build failed]", " [setup failed]"] {
                if let Some(pkg) = rest.strip_suffix(marker) {
                    let pkg = pkg.to_string();
                    if self.failed_builds.insert(pkg.clone()) {
                        self.findings.counts.packages += 1;
                        let excerpt: Vec<String> = self.strays.iter().cloned().collect();
                        self.findings.failures.push(Failure {
                            package: Some(pkg.clone()),
                            test: None,
                            kind: FailureKind::Build,
                            message: format!("package {pkg}{marker}"),
                            excerpt,
                            at,
                        });
                    }
                    return;
                }
            }
        }
        if self.strays.len() == STRAY_CONTEXT {
            self.strays.pop_front();
        }
        self.strays.push_back(t.to_string());
    }

    fn test_end(&mut self, key: &str, test: &str, outcome: Outcome, at: Loc) {
        match outcome {
            Outcome::Pass => self.findings.counts.passed += 1,
            Outcome::Fail => self.findings.counts.failed += 1,
            Outcome::Skip => self.findings.counts.skipped += 1,
        }
        if key.starts_with("\u{0}replay#") {
            // Counted when the replay is merged (see `merge_replay`).
            match outcome {
                Outcome::Pass => self.findings.counts.passed -= 1,
                Outcome::Fail => self.findings.counts.failed -= 1,
                Outcome::Skip => self.findings.counts.skipped -= 1,
            }
        }
        let pkg = self.pkg(key, at);
        let Some((name, (mut st, _))) = pkg.tests.remove_entry(test) else {
            if outcome == Outcome::Fail {
                pkg.failed_tests.insert(test.to_string());
                let child_failed = has_failed_child(&pkg.failed_tests, test);
                let name = display_name(key, None);
                if !child_failed && !self.child_reported(name.as_deref(), test) {
                    self.findings.failures.push(Failure {
                        package: name,
                        test: Some(test.to_string()),
                        kind: FailureKind::Test,
                        message: format!("{test} failed"),
                        excerpt: Vec::new(),
                        at,
                    });
                }
            }
            return;
        };
        if outcome != Outcome::Fail {
            // A passing test's output is dropped here; its buffers are
            // reused by the next test.
            if self.spare.len() < SPARE_STREAMS {
                st.reset();
                self.spare.push(st);
            }
            if self.spare_names.len() < SPARE_STREAMS {
                self.spare_names.push(name);
            }
            return;
        }
        pkg.failed_tests.insert(test.to_string());
        let child_failed = has_failed_child(&pkg.failed_tests, test);
        st.finish(at);
        let name = display_name(key, None);
        let child_failed = child_failed || self.child_reported(name.as_deref(), test);
        self.conclude_test(name, test, *st, child_failed, false, at);
    }

    /// Whether a subtest of `test` already has a failure or leak recorded
    /// under the package's name (a reader that names packages per line
    /// reports subtests in blocks of their own).
    fn child_reported(&self, package: Option<&str>, test: &str) -> bool {
        let Some(package) = package else { return false };
        let is_child = |p: &Option<String>, t: &Option<String>| {
            p.as_deref() == Some(package)
                && t.as_deref().is_some_and(|t| {
                    t.len() > test.len() && t.starts_with(test) && t.as_bytes()[test.len()] == b'/'
                })
        };
        self.findings
            .failures
            .iter()
            .any(|f| is_child(&f.package, &f.test))
            || self
                .findings
                .leaks
                .iter()
                .any(|l| is_child(&l.package, &l.test))
    }

    /// Turns what a failed (or unfinished) test printed into findings.
    fn conclude_test(
        &mut self,
        package: Option<String>,
        test: &str,
        mut st: Stream,
        child_failed: bool,
        unfinished: bool,
        at: Loc,
    ) {
        let mut recorded = false;
        let found = std::mem::take(&mut st.found);
        let has_synctest = found
            .iter()
            .any(|(f, _)| matches!(f, Found::SynctestLeak { .. }));
        let mut leak_seen = false;
        for (f, fat) in found {
            match f {
                Found::Leak(r) => {
                    leak_seen = true;
                    recorded = true;
                    self.add_leak(package.clone(), Some(test.to_string()), r, fat);
                }
                Found::SynctestLeak { goroutines } => {
                    leak_seen = true;
                    recorded = true;
                    self.add_synctest_leak(
                        package.clone(),
                        Some(test.to_string()),
                        goroutines,
                        fat,
                    );
                }
                Found::Timeout { after, running } => {
                    recorded = true;
                    self.findings.failures.push(Failure {
                        package: package.clone(),
                        test: Some(test.to_string()),
                        kind: FailureKind::Timeout,
                        message: if running.is_empty() {
                            format!("test timed out after {after}")
                        } else {
                            format!(
                                "test timed out after {after}; running: {}",
                                running.join(", ")
                            )
                        },
                        excerpt: st.excerpt.lines(),
                        at: fat,
                    });
                }
                Found::Panic(msg) => {
                    if has_synctest {
                        continue;
                    }
                    recorded = true;
                    self.findings.failures.push(Failure {
                        package: package.clone(),
                        test: Some(test.to_string()),
                        kind: FailureKind::Panic,
                        message: msg,
                        excerpt: st.excerpt.lines(),
                        at: fat,
                    });
                }
                Found::GoleakError(msg) => {
                    recorded = true;
                    self.findings.failures.push(Failure {
                        package: package.clone(),
                        test: Some(test.to_string()),
                        kind: FailureKind::Test,
                        message: format!("goleak could not check for leaks: {msg}"),
                        excerpt: st.excerpt.lines(),
                        at: fat,
                    });
                }
            }
        }
        if leak_seen {
            self.record_leak_failure(package.clone(), Some(test), at);
        }
        // Go 1.27 marks `t.Error` output: a leak test that also failed an
        // assertion failed twice.
        let plain_failure = !recorded && (!child_failed || st.other_error);
        if (plain_failure || (st.other_error && leak_seen)) && !unfinished {
            let excerpt = st.excerpt.lines();
            let message = first_message(&excerpt).unwrap_or_else(|| format!("{test} failed"));
            self.findings.failures.push(Failure {
                package: package.clone(),
                test: Some(test.to_string()),
                kind: FailureKind::Test,
                message,
                excerpt,
                at,
            });
        }
        if unfinished && !recorded {
            self.findings.failures.push(Failure {
                package,
                test: Some(test.to_string()),
                kind: FailureKind::Incomplete,
                message: format!("{test} started and never finished: the test binary exited early (crash, os.Exit or signal)"),
                excerpt: st.excerpt.lines(),
                at,
            });
        }
    }

    fn record_leak_failure(&mut self, package: Option<String>, test: Option<&str>, at: Loc) {
        let dup = self.findings.failures.iter().any(|f| {
            f.kind == FailureKind::Leak && f.package == package && f.test.as_deref() == test
        });
        if dup {
            return;
        }
        let n = self
            .findings
            .leaks
            .iter()
            .filter(|l| l.package == package && l.test.as_deref() == test)
            .map(|l| l.goroutines.len() + l.dropped)
            .sum::<usize>();
        self.findings.failures.push(Failure {
            package,
            test: test.map(str::to_string),
            kind: FailureKind::Leak,
            message: format!("{n} leaked goroutine{}", if n == 1 { "" } else { "s" }),
            excerpt: Vec::new(),
            at,
        });
    }

    /// A synctest bubble's blocked goroutines, as a leak of its own kind.
    fn add_synctest_leak(
        &mut self,
        package: Option<String>,
        test: Option<String>,
        goroutines: Vec<Goroutine>,
        at: Loc,
    ) {
        let report = LeakReport {
            origin: ReportOrigin::Other,
            location: None,
            goroutines,
            dropped: 0,
            layout: None,
            truncated: false,
        };
        let n = self.findings.leaks.len();
        self.add_leak(package, test, report, at);
        if let Some(l) = self.findings.leaks.get_mut(n) {
            l.source = LeakSource::Synctest;
        }
    }

    fn add_leak(
        &mut self,
        package: Option<String>,
        test: Option<String>,
        report: LeakReport,
        at: Loc,
    ) {
        let goroutines = report
            .goroutines
            .into_iter()
            .map(|g| resolve_goroutine(self.repo, g))
            .collect();
        // `leaky_test.go:14` is a base name: find it through the package.
        let verify_at = report.location.as_ref().map(|(file, line)| {
            let function = package.as_deref().map(|p| format!("{p}.Test"));
            self.repo.resolve(file, *line, function.as_deref())
        });
        self.findings.leaks.push(Leak {
            package,
            test,
            source: LeakSource::Goleak(report.origin),
            location: report.location,
            verify_at,
            goroutines,
            dropped: report.dropped,
            truncated: report.truncated,
            at,
        });
    }

    fn package_end(
        &mut self,
        key: &str,
        outcome: Outcome,
        failed_build: Option<&str>,
        name: Option<&str>,
        replay: bool,
        at: Loc,
    ) {
        let display = display_name(key, name);
        let repo_failed_build = {
            let pkg = self.pkg(key, at);
            pkg.ended = true;
            pkg.output.finish(at);
            failed_build.is_some()
        };
        if !replay {
            self.findings.counts.packages += 1;
        }
        let Some(mut pkg) = self.remove_pkg(key) else {
            return;
        };
        if let (Some(n), true) = (name, key.starts_with('\u{0}')) {
            for f in &mut self.findings.failures[pkg.first_failure..] {
                if f.package.is_none() {
                    f.package = Some(n.to_string());
                }
            }
            for l in &mut self.findings.leaks[pkg.first_leak..] {
                if l.package.is_none() {
                    l.package = Some(n.to_string());
                }
            }
        }
        // Unfinished tests: a crash, a timeout, or os.Exit.
        let mut unfinished: Vec<(String, (Box<Stream>, Loc))> = pkg.tests.drain().collect();
        unfinished.sort_by(|a, b| a.1 .1.line.cmp(&b.1 .1.line).then(a.0.cmp(&b.0)));
        let before = self.findings.failures.len();
        let before_leaks = self.findings.leaks.len();
        let pkg_found = std::mem::take(&mut pkg.output.found);
        let pkg_timeout = pkg_found
            .iter()
            .any(|(f, _)| matches!(f, Found::Timeout { .. }));
        let pkg_synctest = pkg_found
            .iter()
            .any(|(f, _)| matches!(f, Found::SynctestLeak { .. }));
        for (test, (mut st, tat)) in unfinished {
            st.finish(at);
            let child_failed = has_failed_child(&pkg.failed_tests, &test);
            let timed_out = st
                .found
                .iter()
                .any(|(f, _)| matches!(f, Found::Timeout { .. }))
                || pkg_timeout;
            if timed_out
                && !st
                    .found
                    .iter()
                    .any(|(f, _)| matches!(f, Found::Timeout { .. }))
            {
                // Named by another test's timeout dump.
                self.findings.failures.push(Failure {
                    package: display.clone(),
                    test: Some(test.clone()),
                    kind: FailureKind::Timeout,
                    message: format!("{test} was still running when the test binary timed out"),
                    excerpt: st.excerpt.lines(),
                    at: tat,
                });
                continue;
            }
            if child_failed && st.found.is_empty() {
                continue;
            }
            self.conclude_test(display.clone(), &test, *st, child_failed, true, tat);
        }
        if repo_failed_build || self.failed_builds.contains(key) || pkg.output.build_failed {
            let fb = failed_build.unwrap_or(key).to_string();
            let mut excerpt = self
                .build_output
                .get(&fb)
                .map(Excerpt::lines)
                .unwrap_or_default();
            if excerpt.is_empty() {
                // Compiler output on stderr mixed into the stream (Go ≤ 1.23,
                // or GODEBUG=gotestjsonbuildtext=1): `# pkg` and what follows.
                let name = display.as_deref().unwrap_or(key);
                let header = format!("# {name}");
                if let Some(start) = self
                    .strays
                    .iter()
                    .rposition(|l| l == &header || l.starts_with(&format!("{header} ")))
                {
                    excerpt = self.strays.iter().skip(start).cloned().collect();
                }
                excerpt.extend(pkg.output.excerpt.lines());
            }
            self.findings.failures.push(Failure {
                package: display.clone(),
                test: None,
                kind: FailureKind::Build,
                message: format!("build failed: {fb}"),
                excerpt,
                at,
            });
        }
        for (f, fat) in pkg_found {
            match f {
                Found::Leak(r) => {
                    self.add_leak(display.clone(), None, r, fat);
                    self.record_leak_failure(display.clone(), None, fat);
                }
                Found::SynctestLeak { goroutines } => {
                    self.add_synctest_leak(display.clone(), None, goroutines, fat);
                    self.record_leak_failure(display.clone(), None, fat);
                }
                Found::Timeout { after, running } => {
                    let any_test_timeout = self.findings.failures[before..]
                        .iter()
                        .any(|f| f.kind == FailureKind::Timeout);
                    if !any_test_timeout {
                        self.findings.failures.push(Failure {
                            package: display.clone(),
                            test: None,
                            kind: FailureKind::Timeout,
                            message: format!(
                                "test binary timed out after {after}; running: {}",
                                running.join(", ")
                            ),
                            excerpt: pkg.output.excerpt.lines(),
                            at: fat,
                        });
                    }
                }
                Found::Panic(_) if pkg_synctest => {}
                Found::Panic(msg) => self.findings.failures.push(Failure {
                    package: display.clone(),
                    test: None,
                    kind: FailureKind::Panic,
                    message: msg,
                    excerpt: pkg.output.excerpt.lines(),
                    at: fat,
                }),
                Found::GoleakError(msg) => self.findings.failures.push(Failure {
                    package: display.clone(),
                    test: None,
                    kind: FailureKind::Test,
                    message: format!("goleak could not check for leaks: {msg}"),
                    excerpt: pkg.output.excerpt.lines(),
                    at: fat,
                }),
            }
        }
        self.explain_silent_failures(&pkg, before_leaks);
        if replay {
            // gotestsum's summary entries (`replay#` keys) were not counted
            // as they came; its per-test blocks were.
            let count = key.starts_with("\u{0}replay#");
            self.merge_replay(pkg.first_failure, pkg.first_leak, count);
            return;
        }
        // Test failures of this package concluded earlier count as well.
        let earlier = self
            .findings
            .failures
            .iter()
            .any(|f| f.package == display && f.kind != FailureKind::Incomplete)
            || !pkg.failed_tests.is_empty();
        let anything = self.findings.failures.len() > before
            || self.findings.leaks.len() > before_leaks
            || earlier;
        if outcome == Outcome::Fail && !anything && !replay {
            let excerpt = pkg.output.excerpt.lines();
            self.unexplained.push(Failure {
                package: display,
                test: None,
                kind: FailureKind::Test,
                message: "the package failed, but no test failed: TestMain or the test binary exited non-zero".to_string(),
                excerpt,
                at,
            });
        }
    }
}

impl Collector<'_> {
    /// gotestsum's failure summary repeats tests that a verbose log already
    /// showed in full: keep a replayed failure only when it is new, and
    /// count it then.
    fn merge_replay(&mut self, first_failure: usize, first_leak: usize, count: bool) {
        // Failures read earlier without a package name (gotestsum's
        // `pkgname-and-test-fails` prints a failed test's output before,
        // and apart from, its package's line) take the name the summary
        // gives them; the replayed copies are then duplicates.
        let named: Vec<(Option<String>, Option<String>)> = self.findings.failures[first_failure..]
            .iter()
            .map(|f| (f.package.clone(), f.test.clone()))
            .chain(
                self.findings.leaks[first_leak..]
                    .iter()
                    .map(|l| (l.package.clone(), l.test.clone())),
            )
            .filter(|(p, t)| p.is_some() && t.is_some())
            .collect();
        for (package, test) in named {
            for f in self.findings.failures[..first_failure]
                .iter_mut()
                .filter(|f| f.package.is_none() && f.test == test)
            {
                f.package = package.clone();
            }
            for l in self.findings.leaks[..first_leak]
                .iter_mut()
                .filter(|l| l.package.is_none() && l.test == test)
            {
                l.package = package.clone();
            }
        }
        let key = |p: &Option<String>, t: &Option<String>| (p.clone(), t.clone());
        let known: HashSet<(Option<String>, Option<String>)> = self.findings.failures
            [..first_failure]
            .iter()
            .map(|f| key(&f.package, &f.test))
            .chain(
                self.findings.leaks[..first_leak]
                    .iter()
                    .map(|l| key(&l.package, &l.test)),
            )
            .collect();
        let parent_of_known = |f: &Failure| {
            f.kind == FailureKind::Test
                && f.excerpt.is_empty()
                && f.test.as_ref().is_some_and(|t| {
                    let prefix = format!("{t}/");
                    known.iter().any(|(p, k)| {
                        *p == f.package && k.as_ref().is_some_and(|k| k.starts_with(&prefix))
                    })
                })
        };
        let mut new_tests: HashSet<(Option<String>, Option<String>)> = HashSet::new();
        let mut i = first_failure;
        while i < self.findings.failures.len() {
            let f = &self.findings.failures[i];
            let k = key(&f.package, &f.test);
            if known.contains(&k) || parent_of_known(f) {
                self.findings.failures.remove(i);
            } else {
                new_tests.insert(k);
                i += 1;
            }
        }
        let mut i = first_leak;
        while i < self.findings.leaks.len() {
            if known.contains(&key(
                &self.findings.leaks[i].package,
                &self.findings.leaks[i].test,
            )) {
                self.findings.leaks.remove(i);
            } else {
                i += 1;
            }
        }
        if count {
            self.findings.counts.failed +=
                new_tests.iter().filter(|(_, t)| t.is_some()).count() as u64;
        }
    }

    /// JUnit readers lose what text-based formats keep: a parent testcase
    /// can come before its failed children, and go-junit-report moves a
    /// crash's output from the test to the suite. A failure with no output
    /// of its own that another finding explains is dropped here.
    fn explain_silent_failures(&mut self, pkg: &Pkg, first_leak: usize) {
        let silent = |f: &Failure| {
            f.kind == FailureKind::Test
                && f.excerpt.is_empty()
                && f.test
                    .as_ref()
                    .is_some_and(|t| f.message == format!("{t} failed"))
        };
        let start = pkg.first_failure;
        // A parent whose child failed.
        let mut i = start;
        while i < self.findings.failures.len() {
            let f = &self.findings.failures[i];
            if silent(f)
                && f.test
                    .as_ref()
                    .is_some_and(|t| has_failed_child(&pkg.failed_tests, t))
            {
                self.findings.failures.remove(i);
            } else {
                i += 1;
            }
        }
        // A package-level crash or synctest leak and exactly one silent
        // failed test: the finding is that test's.
        let silent_tests: Vec<usize> = (start..self.findings.failures.len())
            .filter(|&i| silent(&self.findings.failures[i]))
            .collect();
        if silent_tests.len() != 1 {
            return;
        }
        let idx = silent_tests[0];
        let test = self.findings.failures[idx].test.clone();
        let mut moved = false;
        for l in &mut self.findings.leaks[first_leak..] {
            if l.test.is_none() && l.source == LeakSource::Synctest {
                l.test = test.clone();
                moved = true;
            }
        }
        let package = self.findings.failures[idx].package.clone();
        moved |= self.findings.failures[start..].iter().any(|f| {
            f.test.is_none()
                && matches!(
                    f.kind,
                    FailureKind::Panic | FailureKind::Timeout | FailureKind::Leak
                )
                && f.package == package
        });
        if moved {
            let removed = self.findings.failures.remove(idx);
            for f in &mut self.findings.failures[start..] {
                if f.test.is_none()
                    && f.package == removed.package
                    && matches!(
                        f.kind,
                        FailureKind::Panic | FailureKind::Timeout | FailureKind::Leak
                    )
                {
                    f.test = removed.test.clone();
                }
            }
        }
    }
}

fn has_failed_child(failed: &HashSet<String>, test: &str) -> bool {
    let prefix = format!("{test}/");
    failed.iter().any(|t| t.starts_with(&prefix))
}

/// The name shown for a package key: the reader's real name when given;
/// text readers' provisional keys have none otherwise.
fn display_name(key: &str, name: Option<&str>) -> Option<String> {
    if let Some(n) = name {
        return Some(n.to_string());
    }
    if key.starts_with('\u{0}') || key.is_empty() {
        None
    } else {
        Some(key.to_string())
    }
}

/// The first line of an excerpt that looks like a `t.Error` message.
fn first_message(excerpt: &[String]) -> Option<String> {
    excerpt
        .iter()
        .map(|l| l.trim())
        .find(|l| {
            let mut parts = l.splitn(3, ':');
            let file = parts.next().unwrap_or("");
            let line = parts.next().unwrap_or("");
            file.ends_with(".go") && !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit())
        })
        .or_else(|| excerpt.iter().map(|l| l.trim()).find(|l| !l.is_empty()))
        .map(str::to_string)
}

/// Output text as an event carries it.
enum Piece<'a> {
    /// Text that may hold several lines or part of one, and its Go 1.27
    /// `OutputType`.
    Text(&'a str, Option<&'a str>),
    /// One whole line, without its `\n`, and its `OutputType`.
    Line(&'a str, Option<&'a str>),
}

impl Stream {
    fn piece(&mut self, piece: &Piece<'_>, at: Loc) {
        match *piece {
            Piece::Text(text, kind) => self.text(text, kind, at),
            Piece::Line(line, kind) => self.whole_line(line, kind, at),
        }
    }
}

impl Collector<'_> {
    /// Output of a test, of a package, or of neither (stray text).
    fn output(
        &mut self,
        package: Option<Cow<'_, str>>,
        test: Option<Cow<'_, str>>,
        piece: Piece<'_>,
        at: Loc,
    ) {
        let Some(package) = package else {
            match piece {
                Piece::Text(text, _) => {
                    for line in text.lines() {
                        self.stray(line, at);
                    }
                }
                // (As `lines()` reads `line` and its `\n`.)
                Piece::Line(line, _) => self.stray(line.strip_suffix('\r').unwrap_or(line), at),
            }
            return;
        };
        let pkg = self.pkg(&package, at);
        match test {
            Some(test) => {
                if let Some((st, _)) = pkg.tests.get_mut(&test) {
                    st.piece(&piece, at);
                    return;
                }
                // Output of a test that never said `run`.
                let fresh = self.spare.pop().unwrap_or_default();
                let pkg = self.pkg(&package, at);
                let (st, _) = pkg.tests.insert(test.into_owned(), (fresh, at));
                st.piece(&piece, at);
            }
            None => pkg.output.piece(&piece, at),
        }
    }
}

impl Sink for Collector<'_> {
    fn event(&mut self, at: Loc, event: Event<'_>) {
        self.events += 1;
        match event {
            Event::PackageStart { package } => {
                let pkg = self.pkg(&package, at);
                if pkg.ended {
                    // The same package again (another shard or attempt).
                    pkg.ended = false;
                    pkg.start = at;
                }
            }
            Event::TestRun { package, test } => {
                let fresh = self.spare.pop().unwrap_or_default();
                let mut name = self.spare_names.pop().unwrap_or_default();
                let pkg = self.pkg(&package, at);
                if pkg.tests.contains_key(&test) {
                    self.spare.push(fresh);
                    self.spare_names.push(name);
                } else {
                    name.clear();
                    name.push_str(&test);
                    pkg.tests.insert(name, (fresh, at));
                }
            }
            Event::Output {
                package,
                test,
                text,
                kind,
            } => self.output(package, test, Piece::Text(&text, kind.as_deref()), at),
            Event::OutputLine {
                package,
                test,
                line,
                kind,
            } => self.output(Some(package), test, Piece::Line(&line, kind.as_deref()), at),
            Event::TestEnd {
                package,
                test,
                outcome,
                ..
            } => self.test_end(&package, &test, outcome, at),
            Event::PackageEnd {
                package,
                outcome,
                failed_build,
                name,
                replay,
                ..
            } => self.package_end(
                &package,
                outcome,
                failed_build.as_deref(),
                name.as_deref(),
                replay,
                at,
            ),
            Event::BuildOutput { import_path, text } => {
                let e = self
                    .build_output
                    .entry(import_path.into_owned())
                    .or_default();
                for line in text.lines() {
                    e.push(line);
                }
            }
            Event::BuildFail { import_path } => {
                self.failed_builds.insert(import_path.into_owned());
            }
            Event::Stray { text } => self.stray(&text, at),
        }
    }
}

/// Resolves one goroutine: fingerprint, origin, blocked-at, harness.
pub fn resolve_goroutine(repo: &Repo, goroutine: Goroutine) -> LeakedGoroutine {
    let fingerprint = fingerprint(&goroutine);
    let origin = goroutine
        .created_by
        .as_ref()
        .filter(|c| !c.file.is_empty())
        .map(|c| repo.resolve(&c.file, c.line, Some(&c.function)));
    let resolved: Vec<SourceRef> = goroutine
        .frames
        .iter()
        .filter(|f| !f.file.is_empty())
        .map(|f| repo.resolve(&f.file, f.line, Some(&f.function)))
        .collect();
    let blocked_at = resolved.iter().find(|r| r.in_repo).cloned().or_else(|| {
        goroutine
            .frames
            .iter()
            .zip(resolved.iter())
            .find(|(f, _)| !stack::is_stdlib_function(&f.function))
            .map(|(_, r)| r.clone())
    });
    let harness = harness_reason(&goroutine);
    LeakedGoroutine {
        goroutine,
        fingerprint,
        origin,
        blocked_at,
        frames: resolved,
        harness,
    }
}

/// Why a goroutine belongs to the testing framework, if it does.
///
/// Under `t.Parallel`, `VerifyNone` sees every goroutine of the process:
/// other tests still running (created by `testing.(*T).Run`, running
/// `testing.tRunner`) and the framework's own. goleak filters only a few of
/// them (goleak issue #16).
pub fn harness_reason(g: &Goroutine) -> Option<&'static str> {
    let created = g
        .created_by
        .as_ref()
        .map(|c| c.function.as_str())
        .unwrap_or("");
    let runs_test = g.frames.iter().any(|f| f.function == "testing.tRunner");
    if created.starts_with("testing.") || runs_test {
        return Some(
            "a test of the same binary still running (a t.Parallel sibling or the testing framework): goleak lists every goroutine of the process, not the test's own (goleak#16)",
        );
    }
    if g.frames
        .iter()
        .all(|f| f.function.starts_with("testing.") || f.function.starts_with("runtime."))
        && !g.frames.is_empty()
    {
        return Some("the testing framework's own goroutine");
    }
    None
}

/// A goroutine's fingerprint: its status and the names of its functions
/// and creator. No ids, arguments, offsets, line numbers or paths, so it
/// stays the same across runs, machines and unrelated edits.
pub fn fingerprint(g: &Goroutine) -> String {
    let mut h = Sha256::new();
    h.update(b"leakgate-fp-v1\n");
    h.update(g.state.status.as_bytes());
    h.update(b"\n");
    for f in &g.frames {
        h.update(f.function.as_bytes());
        h.update(b"\n");
    }
    h.update(b"created by ");
    if let Some(c) = &g.created_by {
        h.update(c.function.as_bytes());
    }
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Goroutines of a report grouped by identity (fingerprint and frame
/// lines): (index of the first, count), in order of first appearance.
pub fn group(goroutines: &[LeakedGoroutine]) -> Vec<(usize, usize)> {
    let mut seen: HashMap<(String, Vec<u32>), usize> = HashMap::new();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (i, g) in goroutines.iter().enumerate() {
        let key = (
            g.fingerprint.clone(),
            g.goroutine
                .frames
                .iter()
                .map(|f| f.line)
                .collect::<Vec<_>>(),
        );
        match seen.get(&key) {
            Some(&gi) => groups[gi].1 += 1,
            None => {
                seen.insert(key, groups.len());
                groups.push((i, 1));
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str) -> Goroutine {
        stack::parse_dump(text).into_iter().next().unwrap()
    }

    /// A whole-line output event means what the same line as text with its
    /// `\n` means: every text and `go test -json` fixture gives the same
    /// findings either way.
    #[test]
    fn output_line_is_output_with_its_newline() {
        struct AsText<'c, 'r>(&'c mut Collector<'r>);
        impl Sink for AsText<'_, '_> {
            fn event(&mut self, at: Loc, event: Event<'_>) {
                match event {
                    Event::OutputLine {
                        package,
                        test,
                        line,
                        kind,
                    } => self.0.event(
                        at,
                        Event::Output {
                            package: Some(package),
                            test,
                            text: Cow::Owned(format!("{line}\n")),
                            kind,
                        },
                    ),
                    other => self.0.event(at, other),
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let repo = Repo::discover(root);
        let mut compared = 0;
        for dir in std::fs::read_dir(root.join("tests/fixtures")).unwrap() {
            let dir = dir.unwrap().path();
            for f in std::fs::read_dir(&dir).into_iter().flatten() {
                let f = f.unwrap().path();
                use crate::ingest::Format;
                let format = match f.extension().and_then(|e| e.to_str()) {
                    Some("txt" | "out") => Format::Text,
                    Some("json") => Format::GoJson,
                    _ => continue,
                };
                let read = |sink: &mut dyn Sink| {
                    let data = std::fs::read(&f).unwrap();
                    let choice = crate::ingest::FormatChoice::Fixed(format);
                    crate::ingest::ingest(0, "t", &data[..], choice, sink).unwrap()
                };
                let mut lines = Collector::new(&repo);
                let summary = read(&mut lines);
                lines.input_done(summary);
                let mut texts = Collector::new(&repo);
                let summary = read(&mut AsText(&mut texts));
                texts.input_done(summary);
                let (a, b) = (lines.finish(), texts.finish());
                assert!(
                    a.counts.packages > 0 || !a.failures.is_empty(),
                    "{}",
                    f.display()
                );
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{}", f.display());
                compared += 1;
            }
        }
        assert!(compared > 20, "{compared}");
    }

    #[test]
    fn fingerprint_ignores_ids_args_offsets_paths() {
        let a = g("goroutine 7 [chan receive, 3 minutes]:\nex.com/a.F.func1(0xc000012345)\n\t/home/a/f.go:9 +0x19\ncreated by ex.com/a.F in goroutine 6\n\t/home/a/f.go:8 +0x67\n");
        let b = g("goroutine 99 [chan receive]:\nex.com/a.F.func1(...)\n\tC:/b/f.go:10\ncreated by ex.com/a.F in goroutine 1\n\tC:/b/f.go:8 +0x1\n");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = g("goroutine 7 [select]:\nex.com/a.F.func1()\n\t/home/a/f.go:9 +0x19\n");
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert_eq!(fingerprint(&a).len(), 16);
    }

    #[test]
    fn harness_goroutines() {
        let sibling = g("goroutine 9 [chan receive]:\nex.com/p.TestB(0xc0001)\n\t/p/p_test.go:20 +0x1\ntesting.tRunner(0xc0001, 0x2)\n\t/go/testing.go:1 +0x1\ncreated by testing.(*T).Run in goroutine 1\n\t/go/testing.go:2 +0x1\n");
        assert!(harness_reason(&sibling).is_some());
        let leak = g("goroutine 9 [chan receive]:\nex.com/p.TestB.func1()\n\t/p/p_test.go:20 +0x1\ncreated by ex.com/p.TestB in goroutine 8\n\t/p/p_test.go:19 +0x1\n");
        assert!(harness_reason(&leak).is_none());
    }

    #[test]
    fn same_is_string_equality() {
        let words = [
            "",
            "a",
            "ab",
            "abcdefgh",
            "abcdefgi",
            "abcdefghi",
            "abcdefghj",
            "x/y.TestA_1",
        ];
        for a in words {
            for b in words {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
            }
        }
        let long = "example.com/mono/svc00042/clean";
        let copy: String = long.chars().collect();
        assert!(same(long, &copy));
        assert!(!same(long, "example.com/mono/svc00042/cleam"));
        assert!(!same(long, "fxample.com/mono/svc00042/clean"));
    }

    #[test]
    fn excerpt_is_bounded() {
        let mut e = Excerpt::default();
        for i in 0..1000 {
            e.push(&format!("line {i}"));
        }
        let lines = e.lines();
        assert_eq!(lines.len(), EXCERPT_HEAD + 1 + EXCERPT_TAIL);
        assert_eq!(lines.last().unwrap(), "line 999");
    }
}
