//! Findings: which tests and packages failed, why, and every goroutine
//! leak that goleak (or synctest) reported, each tied to its node of the
//! run tree by a [`NodeKey`].
//!
//! [`crate::tree`] builds the run tree from events; [`crate::attribution`]
//! turns it into these values in one pass. They say what a failure *is*
//! (leak, ordinary test failure, panic, timeout, build failure,
//! incomplete) and whether it is certain or only shown by the format's
//! limits ([`Condition`]), but not what it means for the gate: that is
//! [`crate::policy`] and [`crate::verdict`].

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::events::InputSummary;
pub use crate::events::{Loc, Outcome};
use crate::scan::ReportOrigin;
use crate::stack::Goroutine;

pub mod distinct;
pub use distinct::{distinct_leaks, DistinctLeak, LeakKey, Reporter, Sighting};

/// How every report names a package the input did not name (an excerpt
/// without its package lines).
pub const UNKNOWN_PACKAGE: &str = "(unknown package)";

/// A file and line, resolved against the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    /// Relative to the root (with `/`) when `in_repo`, else as printed.
    pub file: String,
    /// Line number.
    pub line: u32,
    /// Whether `file` is a path inside the repository.
    pub in_repo: bool,
}

/// One frame of a leaked goroutine as reports show it: decided here, so
/// reporters never look at function names or paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakFrame {
    /// The function as printed.
    pub function: String,
    /// Its file and line, resolved against the repository (an empty file
    /// when the report printed no position line).
    pub place: SourceRef,
    /// The Go standard library's (or the runtime's) frame, not the user's.
    pub stdlib: bool,
}

/// What kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureKind {
    /// A leak report did not show every goroutine (cut short, or past
    /// its limit): those goroutines could be anything, so they fail their
    /// test or package in their own right. (The goroutines it did show are
    /// distinct leaks, not failures.)
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

/// Which node of the run tree something belongs to: a package run of one
/// input, and a test attempt in it (`test: None` for the package level).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeKey {
    /// The input.
    pub input: usize,
    /// The package run ([`crate::tree::PackageRun::run`]).
    pub run: u32,
    /// The test path, `None` for the package level (shared with the
    /// test's record: a run has hundreds of thousands).
    pub test: Option<Arc<str>>,
    /// The attempt of that test in its package run (1-based; 0 for the
    /// package level).
    pub attempt: u32,
}

impl NodeKey {
    /// The package level of the same package run.
    pub fn package_level(&self) -> NodeKey {
        NodeKey {
            input: self.input,
            run: self.run,
            test: None,
            attempt: 0,
        }
    }

    /// Whether `other` is this node or below it (same package run; a
    /// package level holds every test, a test attempt the subtests of the
    /// same attempt: under `-count=2` the second run of `TestA` runs the
    /// second `TestA/sub`).
    pub fn contains(&self, other: &NodeKey) -> bool {
        if self.input != other.input || self.run != other.run {
            return false;
        }
        match (&self.test, &other.test) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => {
                self.attempt == other.attempt
                    && (a == b
                        || (b.len() > a.len()
                            && b.starts_with(&**a)
                            && b.as_bytes()[a.len()] == b'/'))
            }
        }
    }
}

/// A failure that the input shows only because of what the format cannot
/// say: it fails the gate when nothing else in its node (and below) does,
/// so an allowed leak never passes a run that may have failed for another
/// reason. Each names the policy setting that declares it harmless, where
/// there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Condition {
    /// The test printed `file:line:` messages of its own beside goleak's
    /// report, and the format cannot tell `t.Log` from `t.Error`.
    OwnMessages,
    /// goleak's report is located in the runtime (`panic.go`): the deferred
    /// check ran while the test was already stopping (`t.FailNow`,
    /// `t.Fatal`, a `runtime.Goexit`), so it had failed before.
    FailedBeforeCheck,
    /// A synctest bubble's deadlock panic ended the test binary: the
    /// package's later tests never ran.
    BinaryStopped,
    /// The package's last test failed: under `-failfast` the tests after
    /// it never ran, and the output cannot show it.
    StoppedEarly,
    /// A parent's last subtest failed: a parent that returns when `t.Run`
    /// reports a failure (`if !t.Run(…) { return }`) skips its later
    /// subtests, and the output cannot show it.
    ReturnedEarly,
    /// The package failed and printed output outside any test (TestMain's
    /// own, such as a teardown error before `os.Exit(1)`).
    OutputOutsideTests,
}

impl Condition {
    /// Why it may be a failure, for a person.
    pub fn why(self) -> &'static str {
        match self {
            Condition::OwnMessages => "it printed messages of its own beside goleak's report, and this format cannot tell t.Log from t.Error output (go test -json of Go 1.27 or later can: it marks t.Error lines)",
            Condition::FailedBeforeCheck => "goleak's report is located in the runtime (panic.go): the deferred leak check ran while the test was already stopping after t.FailNow, t.Fatal or runtime.Goexit, so it had failed before",
            Condition::BinaryStopped => "a synctest bubble's deadlock panic ended the test binary, so the package's later tests never ran",
            Condition::StoppedEarly => "under -failfast a failure stops every later test, and the output cannot show tests that never ran",
            Condition::ReturnedEarly => "a parent that returns when t.Run reports a failure (`if !t.Run(...) { return }`) skips its later subtests, and the output cannot show subtests that never ran",
            Condition::OutputOutsideTests => "the package failed and printed output outside any test (TestMain's own, such as a teardown error before os.Exit(1))",
        }
    }

    /// The `.leakgate.yml` setting (under `verdict:`) that declares it
    /// harmless, if any.
    pub fn setting(self) -> Option<&'static str> {
        match self {
            Condition::OwnMessages | Condition::OutputOutsideTests => Some("messages_are_logs"),
            Condition::StoppedEarly => Some("no_failfast"),
            Condition::ReturnedEarly => Some("subtests_never_return_early"),
            Condition::FailedBeforeCheck | Condition::BinaryStopped => None,
        }
    }

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Condition::OwnMessages => "own-messages",
            Condition::FailedBeforeCheck => "failed-before-check",
            Condition::BinaryStopped => "binary-stopped",
            Condition::StoppedEarly => "stopped-early",
            Condition::ReturnedEarly => "returned-early",
            Condition::OutputOutsideTests => "output-outside-tests",
        }
    }
}

/// A failed test or package.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Its key among the run's failures.
    pub id: u32,
    /// Package import path (`None` when the output named none).
    pub package: Option<String>,
    /// Test name, `None` for package level.
    pub test: Option<String>,
    /// The node of the run tree it belongs to.
    pub node: NodeKey,
    /// What failed.
    pub kind: FailureKind,
    /// One line for a person.
    pub message: String,
    /// Where in the repository: the assertion's `file:line`, the compile
    /// error, the line a timed-out test was stuck at.
    pub location: Option<SourceRef>,
    /// `None`: a failure the input states. `Some`: a failure only where
    /// nothing else in its node fails the gate (see [`Condition`]).
    pub condition: Option<Condition>,
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

impl LeakSource {
    /// The check that reported it, as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            LeakSource::Goleak(ReportOrigin::VerifyNone) => "goleak.VerifyNone",
            LeakSource::Goleak(ReportOrigin::VerifyTestMain) => "goleak.VerifyTestMain",
            LeakSource::Goleak(ReportOrigin::Other) => "goleak.Find",
            LeakSource::Synctest => "testing/synctest",
        }
    }
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
    /// Every frame, in order, as reports show it (a frame printed without
    /// its position line has an empty, not-in-repository file).
    pub frames: Vec<LeakFrame>,
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
    /// The node of the run tree that reported it.
    pub node: NodeKey,
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

/// How a test attempt ended, as the input says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestOutcome {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Skipped.
    Skip,
    /// Started and never reported a result.
    Unfinished,
}

impl TestOutcome {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            TestOutcome::Pass => "pass",
            TestOutcome::Fail => "fail",
            TestOutcome::Skip => "skip",
            TestOutcome::Unfinished => "unfinished",
        }
    }
}

/// One test attempt of the run, passed or not.
#[derive(Debug, Clone, PartialEq)]
pub struct TestRecord {
    /// The number of the event that started it (order in its package run).
    pub seq: u64,
    /// Its node.
    pub node: NodeKey,
    /// Package import path (shared by the package's tests).
    pub package: Option<Arc<str>>,
    /// Full test name (shared with `node.test`).
    pub test: Arc<str>,
    /// How it ended.
    pub outcome: TestOutcome,
    /// Seconds.
    pub elapsed: Option<f64>,
}

/// One package run.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRecord {
    /// Its node (package level).
    pub node: NodeKey,
    /// Import path.
    pub package: Option<String>,
    /// Its result; `None` when it never reported one.
    pub outcome: Option<crate::events::Outcome>,
    /// Seconds.
    pub elapsed: Option<f64>,
    /// Its passed and skipped tests in [`Findings::passed`].
    pub passed: Vec<crate::passed::Block>,
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
    /// Every test attempt that failed or never finished, in order
    /// (replayed copies left out); [`Findings::all_tests`] adds the passed
    /// and skipped ones.
    pub tests: Vec<TestRecord>,
    /// Every package run, in order.
    pub packages: Vec<PackageRecord>,
    /// The passed and skipped test attempts, out of memory.
    pub passed: Arc<crate::passed::Store>,
}

/// One test attempt as [`Findings::for_each_test`] gives it: borrowed, so a
/// run's million passed tests cost no allocation each.
#[derive(Debug, Clone, Copy)]
pub struct TestItem<'a> {
    /// Package import path.
    pub package: Option<&'a str>,
    /// The input it was read from.
    pub input: usize,
    /// Its package run.
    pub run: u32,
    /// Full test name.
    pub test: &'a str,
    /// Its attempt in its package run.
    pub attempt: u32,
    /// How it ended.
    pub outcome: TestOutcome,
    /// Seconds.
    pub elapsed: Option<f64>,
    /// The number of the event that started it.
    pub seq: u64,
    /// The record of a failed or unfinished attempt (`None`: it passed or
    /// was skipped, and is in the store).
    pub record: Option<&'a TestRecord>,
}

impl<'a> TestItem<'a> {
    fn passed(p: &'a PackageRecord, t: crate::passed::PassedRef<'a>) -> Self {
        TestItem {
            package: p.package.as_deref(),
            input: p.node.input,
            run: p.node.run,
            test: t.name,
            attempt: t.attempt,
            outcome: if t.skipped {
                TestOutcome::Skip
            } else {
                TestOutcome::Pass
            },
            elapsed: t.elapsed,
            seq: t.start_seq,
            record: None,
        }
    }

    fn failed(p: &'a PackageRecord, r: &'a TestRecord) -> Self {
        TestItem {
            package: p.package.as_deref(),
            input: r.node.input,
            run: r.node.run,
            test: &r.test,
            attempt: r.node.attempt,
            outcome: r.outcome,
            elapsed: r.elapsed,
            seq: r.seq,
            record: Some(r),
        }
    }
}

impl Findings {
    /// Whether a failure is only where the input stops: a test still
    /// running in a package run that never reported a result. Nothing in
    /// the input says it failed; the input just ends (see
    /// [`crate::verdict`]: incomplete input with no other failure cannot be
    /// judged).
    pub fn cut_off(&self, f: &Failure) -> bool {
        f.kind == FailureKind::Incomplete
            && self.packages.iter().any(|p| {
                p.node.input == f.node.input && p.node.run == f.node.run && p.outcome.is_none()
            })
    }

    /// Calls `f` with every test attempt of the run, passed or not: package
    /// run by package run, each in order of start. The passed ones are read
    /// back from [`Findings::passed`] one package run at a time.
    pub fn for_each_test(
        &self,
        mut f: impl FnMut(&TestItem<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut failed = self.tests.iter().peekable();
        for p in &self.packages {
            let mine: Vec<&TestRecord> = std::iter::from_fn(|| {
                failed.next_if(|t| t.node.input == p.node.input && t.node.run == p.node.run)
            })
            .collect();
            let blocks = p
                .passed
                .iter()
                .map(|&b| self.passed.read(b).map(|d| (d, b.count)))
                .collect::<std::io::Result<Vec<_>>>()?;
            let mut passed = Vec::new();
            for (d, count) in &blocks {
                passed.extend(d.refs(*count)?);
            }
            // (Stored in order of end.)
            passed.sort_by_key(|t| t.start_seq);
            let mut passed = passed.into_iter().peekable();
            for r in mine {
                while let Some(t) = passed.next_if(|t| t.start_seq < r.seq) {
                    f(&TestItem::passed(p, t))?;
                }
                f(&TestItem::failed(p, r))?;
            }
            for t in passed {
                f(&TestItem::passed(p, t))?;
            }
        }
        Ok(())
    }

    /// Every test attempt of the run as records (see
    /// [`Findings::for_each_test`]); holds them all at once.
    pub fn all_tests(&self) -> impl Iterator<Item = std::io::Result<TestRecord>> + '_ {
        let mut out: Vec<std::io::Result<TestRecord>> = Vec::new();
        let mut shared: Option<(usize, u32, Option<Arc<str>>)> = None;
        let res = self.for_each_test(|t| {
            if let Some(r) = t.record {
                out.push(Ok(r.clone()));
                return Ok(());
            }
            let package = match &shared {
                Some((i, run, p)) if *i == t.input && *run == t.run => p.clone(),
                _ => {
                    let p: Option<Arc<str>> = t.package.map(Into::into);
                    shared = Some((t.input, t.run, p.clone()));
                    p
                }
            };
            let test: Arc<str> = t.test.into();
            out.push(Ok(TestRecord {
                seq: t.seq,
                node: NodeKey {
                    input: t.input,
                    run: t.run,
                    test: Some(test.clone()),
                    attempt: t.attempt,
                },
                package,
                test,
                outcome: t.outcome,
                elapsed: t.elapsed,
            }));
            Ok(())
        });
        if let Err(e) = res {
            out.push(Err(e));
        }
        out.into_iter()
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
    use crate::events::{Event, Sink};
    use crate::paths::Repo;
    use crate::stack;
    use crate::tree::Collector;
    use std::borrow::Cow;

    fn g(text: &str) -> Goroutine {
        stack::parse_dump(text).into_iter().next().unwrap()
    }

    #[test]
    fn a_test_attempt_holds_the_subtests_of_its_own_attempt() {
        let k = |test: Option<&str>, attempt| NodeKey {
            input: 0,
            run: 3,
            test: test.map(Into::into),
            attempt,
        };
        let parent2 = k(Some("TestA"), 2);
        assert!(parent2.contains(&k(Some("TestA"), 2)));
        assert!(parent2.contains(&k(Some("TestA/sub"), 2)));
        assert!(parent2.contains(&k(Some("TestA/sub/deeper"), 2)));
        // The first run's subtest is not below the second run.
        assert!(!parent2.contains(&k(Some("TestA/sub"), 1)));
        assert!(!parent2.contains(&k(Some("TestA"), 1)));
        assert!(!parent2.contains(&k(Some("TestAB"), 2)));
        assert!(!parent2.contains(&k(None, 0)));
        // The package level holds every attempt.
        assert!(k(None, 0).contains(&k(Some("TestA/sub"), 1)));
        let other_run = NodeKey {
            run: 4,
            ..k(Some("TestA/sub"), 2)
        };
        assert!(!parent2.contains(&other_run));
    }

    /// A whole-line output event means what the same line as text with its
    /// `\n` means: every text and `go test -json` fixture gives the same
    /// findings either way.
    #[test]
    fn output_line_is_output_with_its_newline() {
        struct AsText<'c>(&'c mut Collector);
        impl Sink for AsText<'_> {
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
                if f.file_name().is_some_and(|n| n == "cases.json") {
                    // The verdict cases' manifest, not a capture.
                    continue;
                }
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
                let mut lines = Collector::new();
                let summary = read(&mut lines);
                lines.input_done(summary);
                let mut texts = Collector::new();
                let summary = read(&mut AsText(&mut texts));
                texts.input_done(summary);
                let (a, b) = (
                    crate::attribution::attribute(lines.finish(), &repo),
                    crate::attribution::attribute(texts.finish(), &repo),
                );
                // Whole captured runs give something to compare (excerpts
                // and look-alikes may give nothing: they are compared all
                // the same).
                let whole_run = dir
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("go1.") || n == "extra");
                assert!(
                    !whole_run || a.counts.packages > 0 || !a.failures.is_empty(),
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
}
