//! Events → the run tree: per input, package runs → test attempts, each
//! with the outcome the input states and the evidence in its own output.
//!
//! The [`Collector`] is an [`events::Sink`](crate::events::Sink). It keeps
//! output only for tests and packages that are still running, feeds it
//! through a [`Scanner`] as it arrives, and when a test ends keeps what
//! its output proves ([`Evidence`]: goleak reports, synctest leaks, panics,
//! timeouts, `file:line:` messages, a bounded excerpt) if it failed, and
//! only its name, outcome and duration if it passed. So memory grows with
//! the number of tests, never with the amount of passing output.
//!
//! Nothing here decides what a failure *means*: the tree only records what
//! the input says. [`crate::attribution`] turns the finished tree into
//! findings in one pass.
//!
//! Text outside any package (a pasted excerpt that is only a goleak
//! report, lines a reader cannot place) is scanned too: a goleak report
//! found there is a report kept, as the package-level evidence of a package
//! run that no reader named and that never reported a result.
//!
//! Identity is by key: a package run is `(input, run)`, a test attempt is
//! `(package run, test path, attempt)`. A package whose name arrives late
//! (plain text names a package only on its last line) is a node whose name
//! is filled in when it arrives.

use std::borrow::Cow;
use std::collections::VecDeque;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::events::InputSummary;
use crate::events::{Event, Loc, Outcome, Sink};
use crate::findings::Problem;
use crate::ingest::text::is_go_test_line;
use crate::passed::{Block, Encoder, Store};
use crate::scan::{Found, Scanner};

mod excerpt;
mod names;
mod stream;

use excerpt::{push_bounded, Excerpt, Meta};
use names::{Running, Tests};
use stream::{same, same_bytes, Piece, Stream, SPARE_STREAMS, SPARE_TEST_MAPS};

/// Lines kept from the start of a failing test's output.
pub const EXCERPT_HEAD: usize = 40;
/// Lines kept from the end of a failing test's output.
pub const EXCERPT_TAIL: usize = 80;
/// A partial output line is cut at this length.
pub const MAX_PARTIAL_LINE: usize = crate::ingest::MAX_LINE_BYTES;
/// Stray lines remembered for context (build errors of old Go versions).
pub const STRAY_CONTEXT: usize = 50;
/// `file:line:` messages kept per test; later ones are counted.
pub const MAX_MESSAGES: usize = 64;
/// Continuation lines kept per message (testify's block, a diff); later
/// ones are dropped.
pub const MAX_CONTINUATION_LINES: usize = 24;
/// Lines of package-level output outside any test kept as evidence.
pub const MAX_OWN_LINES: usize = 20;
/// A kept output line is cut at this length (with a marker).
pub const EXCERPT_LINE_BYTES: usize = 4096;

/// A message a test printed through the testing package's decoration:
/// `    file_test.go:12: text` (`t.Log`, `t.Error`, `t.Fatal` all look so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The file as printed (a base name, or a path with `-fullpath`).
    pub file: String,
    /// Its line.
    pub line: u32,
    /// The text after `file:line: `.
    pub text: String,
    /// The lines after the first (`t.Errorf("a\nb")`, testify's whole
    /// block after an empty first line), each as printed: the lines right
    /// after it indented deeper than it, at most
    /// [`MAX_CONTINUATION_LINES`], joined by `\n`.
    pub continuation: String,
    /// Go 1.27+ `-json` marked it `OutputType: error` (`t.Error`,
    /// `t.Fatal`). Only meaningful when [`Evidence::typed`].
    pub error: bool,
    /// Where it was read.
    pub at: Loc,
}

/// What a test's (or a package's) own output proves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// goleak reports, synctest leaks, panics, timeouts, goleak errors.
    pub found: Vec<(Found, Loc)>,
    /// `file:line:` messages outside goleak's reports, at most
    /// [`MAX_MESSAGES`].
    pub messages: Vec<Message>,
    /// Messages beyond [`MAX_MESSAGES`], counted only.
    pub more_messages: usize,
    /// The output carried Go 1.27 `OutputType`s, so `t.Error` lines are
    /// told from `t.Log` lines.
    pub typed: bool,
    /// The bounded excerpt of the output (framing and goleak reports left
    /// out).
    pub excerpt: Vec<String>,
    /// Package level: lines that are not `go test`'s own (`PASS`, `FAIL`,
    /// `ok`, `exit status`, `coverage:`), nor a goleak report, at most
    /// [`MAX_OWN_LINES`].
    pub own_lines: Vec<String>,
    /// Package level: how many such lines there were.
    pub own_line_count: usize,
    /// The output's last line, trimmed, when it is neither a message nor
    /// one of its lines, nor `go test`'s own (`exit status 1`, `signal:
    /// killed`): what a test printed last before the binary exited
    /// (`log.Fatal`'s line).
    pub last_output: Option<String>,
}

/// One run of one test (a subtest is a test with a `/` path).
#[derive(Debug, Clone, PartialEq)]
pub struct TestRun {
    /// Full name, `TestA/sub_case`.
    pub name: String,
    /// 1 for the first run of this name in its package run, 2 for the
    /// second (`-count=2`, a rerun in the same stream), …
    pub attempt: u32,
    /// The result the input states; `None` when the test never finished.
    pub outcome: Option<Outcome>,
    /// Seconds, when stated.
    pub elapsed: Option<f64>,
    /// Where it started.
    pub start: Loc,
    /// Where its result was read.
    pub end: Option<Loc>,
    /// The number of the event that started it (JUnit events carry no
    /// line numbers: order is by event).
    pub start_seq: u64,
    /// The number of the event that ended it.
    pub end_seq: Option<u64>,
    /// What its output proves; kept only when it failed or never finished.
    pub evidence: Option<Box<Evidence>>,
    /// The start of its last direct subtest that passed within its run
    /// (passed tests move to [`RunTree::passed`]; this is what the tree
    /// still needs to know of them here).
    pub last_passed_child: Option<u64>,
}

impl TestRun {
    /// Whether it failed or never finished.
    pub fn failed(&self) -> bool {
        !matches!(self.outcome, Some(Outcome::Pass | Outcome::Skip))
    }
}

/// A package whose build failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildFailure {
    /// The package whose build failed (Go 1.24+ `FailedBuild`; else the
    /// package itself).
    pub package: String,
    /// Compiler output.
    pub excerpt: Vec<String>,
}

/// One run of one package's test binary in one input.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRun {
    /// Key: the n-th package run of the whole tree, in order of start.
    pub run: u32,
    /// The input it was read from.
    pub input: usize,
    /// The reader's key for it (the import path, or a provisional key).
    pub key: String,
    /// The import path; filled in when a reader names it late.
    pub name: Option<String>,
    /// The stated result; `None` when it never reported one.
    pub outcome: Option<Outcome>,
    /// Seconds.
    pub elapsed: Option<f64>,
    /// A fragment whose package result repeats one stated elsewhere
    /// (gotestsum's per-test blocks and failure summary).
    pub replay: bool,
    /// An entry of a failure summary (gotestsum's `=== Failed`): its tests
    /// may be copies of tests read in full.
    pub summary: bool,
    /// Where it started.
    pub start: Loc,
    /// Where its result was read.
    pub end: Option<Loc>,
    /// Its tests that failed or never finished, in order of start.
    pub tests: Vec<TestRun>,
    /// Its tests that passed or were skipped, in [`RunTree::passed`]
    /// (one block per fragment of the run).
    pub passed: Vec<PassedBlock>,
    /// Package-level output (outside any test): `VerifyTestMain`, panics
    /// outside tests, timeouts, TestMain's own lines.
    pub own: Evidence,
    /// Its build failed.
    pub build: Option<BuildFailure>,
}

impl PackageRun {
    /// A package run that started at `at` and has shown nothing yet.
    fn started(run: u32, key: String, at: Loc) -> PackageRun {
        PackageRun {
            run,
            input: at.input,
            key,
            name: None,
            outcome: None,
            elapsed: None,
            replay: false,
            summary: false,
            start: at,
            end: None,
            tests: Vec::new(),
            passed: Vec::new(),
            own: Evidence::default(),
            build: None,
        }
    }

    /// The import path for people (`None` when no reader named it).
    pub fn display_name(&self) -> Option<&str> {
        if let Some(n) = &self.name {
            return Some(n);
        }
        if self.key.starts_with('\u{0}') || self.key.is_empty() {
            None
        } else {
            Some(&self.key)
        }
    }
}

/// One package run's passed and skipped tests in the store, and what the
/// attribution needs to know of them without reading them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PassedBlock {
    /// Where they are.
    pub block: Block,
    /// Tests that passed.
    pub passed: u32,
    /// Tests that were skipped.
    pub skipped: u32,
    /// The start of the last top-level test among them.
    pub last_top_start: Option<u64>,
    /// The last event number among them.
    pub last_seq: u64,
}

/// A `FAIL\tpkg [build failed]` line outside any package (Go ≤ 1.23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrayBuild {
    /// The package.
    pub package: String,
    /// `[build failed]` or `[setup failed]`.
    pub marker: String,
    /// The stray lines before it (compiler output).
    pub excerpt: Vec<String>,
    /// Where.
    pub at: Loc,
}

/// Everything the inputs said, as a tree.
#[derive(Debug, Default)]
pub struct RunTree {
    /// The inputs read.
    pub inputs: Vec<InputSummary>,
    /// Every package run, in order of start.
    pub packages: Vec<PackageRun>,
    /// Build failures printed outside any package.
    pub stray_builds: Vec<StrayBuild>,
    /// Reasons the run cannot be judged.
    pub problems: Vec<Problem>,
    /// Events read.
    pub events: u64,
    /// Every package run's passed and skipped tests ([`PackageRun::passed`]).
    pub passed: Store,
}

/// A package run being read.
struct Pkg {
    node: PackageRun,
    tests: Tests,
    /// Its passed and skipped tests so far, for the store.
    passed: Encoder,
    /// What is known of them.
    passed_block: PassedBlock,
    output: Stream,
}

impl Pkg {
    /// A test passed or was skipped: it goes to the store, and its running
    /// parent learns that a subtest of its passed.
    fn passed_test(
        &mut self,
        name: &str,
        attempt: u32,
        outcome: Outcome,
        elapsed: Option<f64>,
        start_seq: u64,
        end_seq: u64,
    ) {
        let skipped = outcome == Outcome::Skip;
        let b = &mut self.passed_block;
        if skipped {
            b.skipped += 1;
        } else {
            b.passed += 1;
        }
        b.last_seq = b.last_seq.max(end_seq);
        match memchr::memrchr(b'/', name.as_bytes()).map(|i| (&name[..i], &name[i + 1..])) {
            None => {
                b.last_top_start = Some(b.last_top_start.map_or(start_seq, |s| s.max(start_seq)))
            }
            Some((parent, _)) => {
                if let Some(p) = self.tests.peek_mut(parent) {
                    p.last_passed_child =
                        Some(p.last_passed_child.map_or(start_seq, |s| s.max(start_seq)));
                }
            }
        }
        self.passed.push(name, attempt, skipped, elapsed, start_seq);
    }

    /// Moves its passed and skipped tests into the store.
    fn store_passed(&mut self, store: &mut Store) {
        let enc = std::mem::take(&mut self.passed);
        if enc.count() > 0 {
            let mut b = self.passed_block;
            b.block = store.append(enc);
            self.node.passed.push(b);
        }
    }
}

/// Builds the [`RunTree`] from events.
pub struct Collector {
    /// Running packages by key: their slots in `slots`.
    pkgs: FxHashMap<String, usize>,
    slots: Vec<Option<Pkg>>,
    /// Slots of ended packages, for reuse.
    free: Vec<usize>,
    /// The package looked up last, and its slot.
    last: Option<(String, usize)>,
    strays: VecDeque<String>,
    build_output: FxHashMap<String, Excerpt>,
    failed_builds: FxHashSet<String>,
    tree: RunTree,
    /// Text outside any package read since the last test or package result
    /// of its input (plain text shows a failing TestMain's own lines
    /// between the last test's result and the package's line).
    loose: Vec<String>,
    loose_input: Option<usize>,
    next_run: u32,
    leaks_seen: usize,
    /// Streams of passed tests, reset, for the next tests to reuse. Boxed:
    /// a stream moves between this list, a package's tests and back, one
    /// pointer instead of the whole scanner state each time.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Stream>>,
    /// Test tables of ended packages, cleared, for the next packages (they
    /// keep their capacity: no rehashing as each package's tests arrive).
    spare_tests: Vec<Tests>,
    /// Text outside any package is scanned too: a goleak report there (an
    /// excerpt that is only the report, its lines read as no package's)
    /// is kept, as a package run of its own that no reader named.
    strays_scan: Scanner,
    /// What that found in the input being read, where that text began,
    /// and where its first goleak report began.
    stray_found: Vec<(Found, Loc)>,
    stray_start: Option<Loc>,
    stray_report: Option<Loc>,
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new()
    }
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Collector {
            pkgs: FxHashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            last: None,
            strays: VecDeque::new(),
            build_output: FxHashMap::default(),
            failed_builds: FxHashSet::default(),
            tree: RunTree::default(),
            loose: Vec::new(),
            loose_input: None,
            next_run: 0,
            leaks_seen: 0,
            spare: Vec::new(),
            spare_tests: Vec::new(),
            strays_scan: Scanner::new(),
            stray_found: Vec::new(),
            stray_start: None,
            stray_report: None,
        }
    }

    /// Leak reports found so far in tests that ended (for live progress).
    pub fn leaks_so_far(&self) -> usize {
        self.leaks_seen
    }

    /// Records a summary of an input that was read.
    pub fn input_done(&mut self, summary: InputSummary) {
        self.strays_done(summary.lines);
        self.loose.clear();
        self.loose_input = None;
        self.tree.inputs.push(summary);
    }

    /// The end of an input's text outside any package (its last line is
    /// `end`): goleak reports found in it become the package-level evidence
    /// of a package run that no reader named and that reported no result.
    fn strays_done(&mut self, end: u64) {
        let Some(start) = self.stray_start.take() else {
            return;
        };
        let mut out = Vec::new();
        self.strays_scan.finish(&mut out);
        self.strays_scan = Scanner::new();
        self.stray_found.extend(out.into_iter().map(|f| (f, start)));
        let found: Vec<(Found, Loc)> = std::mem::take(&mut self.stray_found)
            .into_iter()
            .filter(|(f, _)| matches!(f, Found::Leak(_) | Found::SynctestLeak { .. }))
            .collect();
        if found.is_empty() {
            self.stray_report = None;
            return;
        }
        self.leaks_seen += found.len();
        let first = self
            .stray_report
            .take()
            .or(found.first().map(|(_, at)| *at))
            .unwrap_or(start);
        self.tree.problems.push(Problem {
            at: Some(Loc {
                input: start.input,
                line: end.max(first.line),
            }),
            message: format!(
                "the input ends without a result for the package that printed the goleak report at line {}",
                first.line
            ),
        });
        let mut node = PackageRun::started(self.next_run, String::new(), start);
        self.next_run += 1;
        node.own.found = found;
        self.tree.packages.push(node);
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
        let run = self.next_run;
        self.next_run += 1;
        let pkg = Pkg {
            node: PackageRun::started(run, key.to_string(), at),
            tests: self.spare_tests.pop().unwrap_or_default(),
            passed: Encoder::default(),
            passed_block: PassedBlock::default(),
            output: Stream {
                package_level: true,
                ..Stream::default()
            },
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

    /// Forgets a package, its slot free for the next one.
    fn remove_pkg(&mut self, key: &str) -> Option<Pkg> {
        let slot = self.pkgs.remove(key)?;
        if self.last.as_ref().is_some_and(|(_, s)| *s == slot) {
            self.last = None;
        }
        self.free.push(slot);
        self.slots.get_mut(slot)?.take()
    }

    /// Ends collection: the finished tree, for
    /// [`crate::attribution::attribute`].
    pub fn finish(mut self) -> RunTree {
        let end = self
            .stray_start
            .and_then(|s| self.tree.inputs.get(s.input))
            .map_or(0, |i| i.lines);
        self.strays_done(end);
        let mut open: Vec<(u32, String)> = self
            .pkgs
            .iter()
            .filter_map(|(k, &slot)| {
                let p = self.slots.get(slot)?.as_ref()?;
                Some((p.node.run, k.clone()))
            })
            .collect();
        open.sort();
        for (_, key) in open {
            let Some(mut pkg) = self.remove_pkg(&key) else {
                continue;
            };
            let at = pkg.node.start;
            let mut running: Vec<String> = Vec::new();
            let mut tests: Vec<(String, Running)> = pkg.tests.drain_running();
            tests.sort_by(|a, b| a.1.start_seq.cmp(&b.1.start_seq).then(a.0.cmp(&b.0)));
            for (name, mut r) in tests {
                running.push(name.clone());
                r.stream.finish(r.start);
                let evidence = r.stream.evidence();
                pkg.node.tests.push(TestRun {
                    name,
                    attempt: r.attempt,
                    outcome: None,
                    elapsed: None,
                    start: r.start,
                    end: None,
                    start_seq: r.start_seq,
                    end_seq: None,
                    evidence: Some(Box::new(evidence)),
                    last_passed_child: r.last_passed_child,
                });
            }
            pkg.node.tests.sort_by_key(|t| t.start_seq);
            pkg.store_passed(&mut self.tree.passed);
            pkg.output.finish(at);
            pkg.node.own = pkg.output.evidence();
            // Named where the input ends: the last line read of it.
            let end = self
                .tree
                .inputs
                .get(at.input)
                .map_or(0, |i| i.lines)
                .max(at.line);
            let what = match pkg.node.display_name() {
                Some(name) => format!("package {name}"),
                None => "an unnamed package".to_string(),
            };
            let mut message = format!(
                "the input ends before {what} reported a result (started at line {})",
                at.line
            );
            if !running.is_empty() {
                running.sort();
                message.push_str(&format!("; still running: {}", running.join(", ")));
            }
            self.tree.problems.push(Problem {
                at: Some(Loc {
                    input: at.input,
                    line: end,
                }),
                message,
            });
            self.tree.packages.push(pkg.node);
        }
        self.tree.packages.sort_by_key(|p| p.run);
        let results = self
            .tree
            .packages
            .iter()
            .any(|p| p.outcome.is_some() || !p.tests.is_empty() || !p.passed.is_empty())
            || !self.tree.stray_builds.is_empty();
        if self.tree.events == 0 || !results {
            self.tree.problems.push(Problem {
                at: None,
                message: "no test results found in the input: neither a test nor a package reported a result".to_string(),
            });
        }
        self.tree
    }

    fn stray(&mut self, text: &str, at: Loc) {
        let t = text.trim_end();
        if self.stray_start.is_some_and(|s| s.input != at.input) {
            // (An input read without `input_done`.)
            self.strays_done(0);
        }
        self.stray_start.get_or_insert(at);
        let mut out = Vec::new();
        self.strays_scan.line(t, &mut out);
        if self.stray_report.is_none() && (self.strays_scan.in_report() || !out.is_empty()) {
            self.stray_report = Some(at);
        }
        self.stray_found.extend(out.into_iter().map(|f| (f, at)));
        // Go ≤ 1.23 report build and setup failures as plain text.
        if let Some(rest) = t.strip_prefix("FAIL\t") {
            for marker in [" [build failed]", " [setup failed]"] {
                if let Some(pkg) = rest.strip_suffix(marker) {
                    if self.failed_builds.insert(pkg.to_string()) {
                        self.tree.stray_builds.push(StrayBuild {
                            package: pkg.to_string(),
                            marker: marker.trim().to_string(),
                            excerpt: self.strays.iter().cloned().collect(),
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
        // An input's first lines, before any result, are loose too (the
        // first package's TestMain that exits before its tests).
        if self.loose_input.is_none() {
            self.loose_input = Some(at.input);
        }
        if self.loose_input == Some(at.input)
            && self.loose.len() < MAX_OWN_LINES
            && !is_go_test_line(t)
            && !t.starts_with("go: ")
            && !t.starts_with("# ")
        {
            self.loose.push(t.to_string());
        }
    }

    /// A test or package result was read: loose text starts anew.
    fn result_read(&mut self, at: Loc) {
        self.loose.clear();
        self.loose_input = Some(at.input);
    }

    fn test_run(&mut self, key: &str, test: &str, at: Loc) {
        let seq = self.tree.events;
        let fresh = self.spare.pop();
        let pkg = self.pkg(key, at);
        let mut fresh = Some(fresh.unwrap_or_default());
        let started = pkg.tests.start(test, |attempt| Running {
            stream: fresh.take().unwrap_or_default(),
            start: at,
            start_seq: seq,
            attempt,
            last_passed_child: None,
        });
        if !started {
            // Already running (a repeated `run` line): the stream goes back.
            if let Some(s) = fresh {
                self.spare.push(s);
            }
        }
    }

    fn test_end(&mut self, key: &str, test: &str, outcome: Outcome, elapsed: Option<f64>, at: Loc) {
        let seq = self.tree.events;
        self.result_read(at);
        let pkg = self.pkg(key, at);
        let Some(mut r) = pkg.tests.finish(test) else {
            // A result for a test that never said `run` (JUnit, summaries).
            let attempt = pkg.tests.unannounced(test);
            if outcome == Outcome::Fail {
                pkg.node.tests.push(TestRun {
                    name: test.to_string(),
                    attempt,
                    outcome: Some(outcome),
                    elapsed,
                    start: at,
                    end: Some(at),
                    start_seq: seq,
                    end_seq: Some(seq),
                    evidence: Some(Box::default()),
                    last_passed_child: None,
                });
            } else {
                pkg.passed_test(test, attempt, outcome, elapsed, seq, seq);
            }
            return;
        };
        if outcome != Outcome::Fail {
            // Only its name, outcome and duration are kept (in the store);
            // its buffers are reused by the next test.
            pkg.passed_test(test, r.attempt, outcome, elapsed, r.start_seq, seq);
            if self.spare.len() < SPARE_STREAMS {
                r.stream.reset();
                self.spare.push(r.stream);
            }
            return;
        }
        r.stream.finish(at);
        let e = r.stream.evidence();
        self.leaks_seen += e
            .found
            .iter()
            .filter(|(f, _)| matches!(f, Found::Leak(_) | Found::SynctestLeak { .. }))
            .count();
        let pkg = self.pkg(key, at);
        pkg.node.tests.push(TestRun {
            name: test.to_string(),
            attempt: r.attempt,
            outcome: Some(outcome),
            elapsed,
            start: r.start,
            end: Some(at),
            start_seq: r.start_seq,
            end_seq: Some(seq),
            evidence: Some(Box::new(e)),
            last_passed_child: r.last_passed_child,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn package_end(
        &mut self,
        key: &str,
        outcome: Outcome,
        elapsed: Option<f64>,
        failed_build: Option<&str>,
        name: Option<&str>,
        replay: bool,
        summary: bool,
        at: Loc,
    ) {
        // (Creates the package when it ends without having started.)
        self.pkg(key, at);
        let Some(mut pkg) = self.remove_pkg(key) else {
            return;
        };
        pkg.node.outcome = Some(outcome);
        pkg.node.elapsed = elapsed;
        pkg.node.replay = replay;
        pkg.node.summary = summary;
        pkg.node.end = Some(at);
        if let Some(n) = name {
            pkg.node.name = Some(n.to_string());
        }
        // Unfinished tests: a crash, a timeout, os.Exit or a signal.
        let mut unfinished: Vec<(String, Running)> = pkg.tests.drain_running();
        unfinished.sort_by(|a, b| a.1.start_seq.cmp(&b.1.start_seq).then(a.0.cmp(&b.0)));
        for (test, mut r) in unfinished {
            r.stream.finish(at);
            let evidence = r.stream.evidence();
            pkg.node.tests.push(TestRun {
                name: test,
                attempt: r.attempt,
                outcome: None,
                elapsed: None,
                start: r.start,
                end: None,
                start_seq: r.start_seq,
                end_seq: None,
                evidence: Some(Box::new(evidence)),
                last_passed_child: r.last_passed_child,
            });
        }
        pkg.node
            .tests
            .sort_by_key(|t| (t.start.input, t.start.line));
        pkg.store_passed(&mut self.tree.passed);
        pkg.output.finish(at);
        let build_line = pkg.output.build_failed;
        pkg.node.own = pkg.output.evidence();
        if outcome == Outcome::Fail && self.loose_input == Some(at.input) {
            // Lines printed outside any block just before a failed
            // package's result are its own (TestMain's).
            for l in self.loose.drain(..) {
                pkg.node.own.own_line_count += 1;
                if pkg.node.own.own_lines.len() < MAX_OWN_LINES {
                    pkg.node.own.own_lines.push(l);
                }
            }
        }
        self.result_read(at);
        let own_name = pkg.node.display_name().map(str::to_string);
        if failed_build.is_some()
            || self.failed_builds.contains(key)
            || own_name
                .as_deref()
                .is_some_and(|n| self.failed_builds.contains(n))
            || build_line
        {
            let fb = failed_build
                .map(str::to_string)
                .or_else(|| own_name.clone())
                .unwrap_or_else(|| key.to_string());
            let mut excerpt = self
                .build_output
                .get(&fb)
                .map(Excerpt::lines)
                .unwrap_or_default();
            if excerpt.is_empty() {
                // Compiler output on stderr mixed into the stream (Go ≤ 1.23,
                // or GODEBUG=gotestjsonbuildtext=1): `# pkg` and what follows.
                let label = own_name.as_deref().unwrap_or(key);
                let header = format!("# {label}");
                if let Some(start) = self
                    .strays
                    .iter()
                    .rposition(|l| l == &header || l.starts_with(&format!("{header} ")))
                {
                    excerpt = self.strays.iter().skip(start).cloned().collect();
                }
                excerpt.extend(pkg.node.own.excerpt.iter().cloned());
            }
            // A stray `FAIL pkg [build failed]` line already made a node.
            self.tree
                .stray_builds
                .retain(|s| s.package != fb && Some(s.package.as_str()) != own_name.as_deref());
            pkg.node.build = Some(BuildFailure {
                package: fb,
                excerpt,
            });
        }
        // gotestsum's `testname` format names a package on its own line
        // after per-test blocks, and its `PASS pkg.TestX` lines opened a
        // run under that name: it is the same binary, ended here too.
        if let Some(n) = name.filter(|n| *n != key) {
            if self.pkgs.contains_key(n) {
                self.package_end(n, outcome, elapsed, None, None, true, false, at);
            }
        }
        let own_leaks = pkg
            .node
            .own
            .found
            .iter()
            .filter(|(f, _)| matches!(f, Found::Leak(_) | Found::SynctestLeak { .. }))
            .count();
        self.leaks_seen += own_leaks;
        self.tree.packages.push(pkg.node);
        let mut tests = pkg.tests;
        if self.spare_tests.len() < SPARE_TEST_MAPS && tests.names.capacity() <= 1 << 20 {
            tests.clear();
            self.spare_tests.push(tests);
        }
    }
}

impl Collector {
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
                if let Some(r) = pkg.tests.get_mut(&test) {
                    r.stream.piece(&piece, at);
                    return;
                }
                // Output of a test that never said `run`.
                self.test_run(&package, &test, at);
                let pkg = self.pkg(&package, at);
                if let Some(r) = pkg.tests.get_mut(&test) {
                    r.stream.piece(&piece, at);
                }
            }
            None => pkg.output.piece(&piece, at),
        }
    }
}

impl Sink for Collector {
    fn event(&mut self, at: Loc, event: Event<'_>) {
        self.tree.events += 1;
        match event {
            Event::PackageStart { package } => {
                self.pkg(&package, at);
            }
            Event::TestRun { package, test } => self.test_run(&package, &test, at),
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
                elapsed,
            } => self.test_end(&package, &test, outcome, elapsed, at),
            Event::PackageEnd {
                package,
                outcome,
                elapsed,
                failed_build,
                name,
                replay,
                summary,
            } => self.package_end(
                &package,
                outcome,
                elapsed,
                failed_build.as_deref(),
                name.as_deref(),
                replay,
                summary,
                at,
            ),
            Event::BuildOutput { import_path, text } => {
                let e = self
                    .build_output
                    .entry(import_path.into_owned())
                    .or_default();
                for line in text.lines() {
                    e.push(line, Meta::default());
                }
            }
            Event::BuildFail { import_path } => {
                self.failed_builds.insert(import_path.into_owned());
            }
            Event::Stray { text } => self.stray(&text, at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // Every length up to five words, differing at every position (the
        // last word is compared first and may overlap the others).
        for n in 0..40usize {
            let a: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert!(same(&a, &a.clone()), "{a:?}");
            for at in 0..n {
                let mut b = a.clone().into_bytes();
                b[at] = b'#';
                let b = String::from_utf8(b).unwrap();
                assert!(!same(&a, &b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn excerpt_is_bounded() {
        let mut e = Excerpt::default();
        for i in 0..1000 {
            e.push(&format!("line {i}"), Meta::default());
        }
        let lines = e.lines();
        assert_eq!(lines.len(), EXCERPT_HEAD + 1 + EXCERPT_TAIL);
        assert_eq!(lines.last().unwrap(), "line 999");
    }

    #[test]
    fn messages_are_found_in_order_wherever_the_excerpt_drops_them() {
        let at = |line| Loc { input: 0, line };
        // Messages only in the middle, which the excerpt does not keep.
        let mut st = Stream::default();
        for i in 0..400u64 {
            let line = if (100..110).contains(&i) {
                format!("    a_test.go:{i}: middle {i}")
            } else {
                format!("plain {i}")
            };
            st.line(&line, None, at(i));
        }
        let ev = st.evidence();
        let got: Vec<(u32, u64)> = ev.messages.iter().map(|m| (m.line, m.at.line)).collect();
        let want: Vec<(u32, u64)> = (100..110).map(|i| (i as u32, i)).collect();
        assert_eq!(got, want);
        assert_eq!(ev.more_messages, 0);
        // Every line a message: the first MAX_MESSAGES in order, the rest
        // counted; Go 1.27 marks kept, `error-continue` lines skipped.
        let mut st = Stream::default();
        for i in 0..500u64 {
            let kind = match i % 3 {
                0 => Some("error"),
                1 => None,
                _ => Some("error-continue"),
            };
            st.line(&format!("    a_test.go:{i}: m"), kind, at(i));
        }
        let ev = st.evidence();
        let kept: Vec<u64> = (0..500).filter(|i| i % 3 != 2).collect();
        assert_eq!(
            ev.messages.iter().map(|m| m.at.line).collect::<Vec<_>>(),
            kept[..MAX_MESSAGES].to_vec()
        );
        assert!(ev.messages.iter().all(|m| m.error == (m.at.line % 3 == 0)));
        assert_eq!(ev.more_messages, kept.len() - MAX_MESSAGES);
    }

    #[test]
    fn a_message_keeps_its_deeper_indented_lines_wherever_the_excerpt_drops_them() {
        let at = |line| Loc { input: 0, line };
        let block = [
            "    a_test.go:7: ",
            "        \tError Trace:\t/src/a_test.go:7",
            "        \tError:      \tShould be true",
            "        \tMessages:   \tit should",
        ];
        // In the head, across the head and the evicted lines, in the
        // evicted lines, across the evicted lines and the tail, in the tail.
        for start in [0u64, 38, 100, 198, 380] {
            let mut st = Stream::default();
            for i in 0..400u64 {
                let line = match i.checked_sub(start) {
                    Some(k) if k < block.len() as u64 => block[k as usize].to_string(),
                    _ => format!("plain {i}"),
                };
                st.line(&line, None, at(i));
            }
            let ev = st.evidence();
            assert_eq!(ev.messages.len(), 1, "block at {start}");
            assert_eq!(ev.messages[0].text, "", "block at {start}");
            assert_eq!(
                ev.messages[0].continuation,
                block[1..].join("\n"),
                "block at {start}"
            );
        }
        // A line not indented deeper ends a message; the continuation is
        // bounded.
        let mut st = Stream::default();
        st.line("    a_test.go:1: first", None, at(0));
        for i in 0..100u64 {
            st.line(&format!("        more {i}"), None, at(i + 1));
        }
        st.line("    ends", None, at(101));
        st.line("        not the message's", None, at(102));
        let ev = st.evidence();
        assert_eq!(ev.messages[0].text, "first");
        assert_eq!(
            ev.messages[0].continuation.lines().count(),
            MAX_CONTINUATION_LINES
        );
        assert!(!ev.messages[0].continuation.contains("not the message's"));
    }

    #[test]
    fn a_goleak_report_outside_any_package_is_kept() {
        let mut c = Collector::new();
        let report = [
            "    a_test.go:9: found unexpected goroutines:",
            "        [Goroutine 8 in state select, with ex.com/p.loop on top of the stack:",
            "        ex.com/p.loop()",
            "        \t/r/p/p.go:27 +0x1",
            "        created by ex.com/p.Start in goroutine 7",
            "        \t/r/p/p.go:21 +0x1",
            "        ]",
        ];
        for (i, line) in report.iter().enumerate() {
            c.event(
                Loc {
                    input: 0,
                    line: i as u64 + 3,
                },
                Event::Stray {
                    text: (*line).into(),
                },
            );
        }
        let mut summary = InputSummary::new("paste.txt", crate::ingest::Format::Text);
        summary.lines = 9;
        c.input_done(summary);
        let tree = c.finish();
        assert_eq!(tree.packages.len(), 1);
        let p = &tree.packages[0];
        assert_eq!((p.display_name(), p.outcome), (None, None));
        assert!(
            matches!(&p.own.found[..], [(Found::Leak(r), at)] if r.goroutines.len() == 1 && at.line == 9)
        );
        let ends = tree
            .problems
            .iter()
            .find(|p| p.message.contains("goleak report at line 3"));
        assert_eq!(ends.and_then(|p| p.at), Some(Loc { input: 0, line: 9 }));
    }

    #[test]
    fn attempts_are_numbered_per_name() {
        let mut c = Collector::new();
        let at = |line| Loc { input: 0, line };
        for (i, outcome) in [Outcome::Fail, Outcome::Pass].into_iter().enumerate() {
            let l = i as u64 * 2 + 1;
            c.event(
                at(l),
                Event::TestRun {
                    package: "p".into(),
                    test: "TestA".into(),
                },
            );
            c.event(
                at(l + 1),
                Event::TestEnd {
                    package: "p".into(),
                    test: "TestA".into(),
                    outcome,
                    elapsed: None,
                },
            );
        }
        c.event(
            at(9),
            Event::PackageEnd {
                package: "p".into(),
                outcome: Outcome::Fail,
                elapsed: None,
                failed_build: None,
                name: None,
                replay: false,
                summary: false,
            },
        );
        let tree = c.finish();
        let p = &tree.packages[0];
        assert_eq!(
            p.tests
                .iter()
                .map(|t| (t.attempt, t.outcome))
                .collect::<Vec<_>>(),
            vec![(1, Some(Outcome::Fail))]
        );
        // The passed attempt is in the store.
        assert_eq!(p.passed.len(), 1);
        let d = tree.passed.read(p.passed[0].block).unwrap();
        let passed = d.refs(p.passed[0].block.count).unwrap();
        assert_eq!(
            passed
                .iter()
                .map(|t| (t.name, t.attempt, t.skipped))
                .collect::<Vec<_>>(),
            vec![("TestA", 2, false)]
        );
    }
}
