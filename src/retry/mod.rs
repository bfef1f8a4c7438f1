//! Retries: rerun what led to a leak when it may be a startup or shutdown
//! flake, and never let a leak that happens on every run through.
//!
//! The unit is the distinct leak ([`LeakKey`]). After a run, every distinct
//! leak the policy left *new* is grouped under each test (or package, for
//! `VerifyTestMain`) that reported it, not only listed it again after
//! another test of the same binary did. [`plan`] decides for each group,
//! before anything runs, a [`Plan`]: `Skip { why }`, or `Rerun { target,
//! argv, dir, env }`. A group is rerun only when every new leak it reported
//! is retryable, by the default [`classify`] rules or by `retry.when` (a
//! leak that is not fails the gate whatever a rerun shows); ordinary test
//! failures are never retried. Each leak keeps its own reason
//! ([`RetriedLeak`]). The rerun repeats what led to the report ([`rerun`]):
//! the tests of that package run up to and including the reporting one
//! (goleak reports a goroutine in whichever check runs next, so the test
//! that started it may be an earlier one), or the whole package; with the
//! first run's directory, environment and flags, only the test selection
//! and the files it would overwrite changed. [`execute`] runs it up to
//! `retry.attempts` times and judges each attempt:
//!
//! * the same goroutines again (by their `go` statement), reported by any
//!   test of the package → those leaks reproduced; a leak of the group that
//!   such an attempt did not report again, while everything that led to the
//!   report ran and nothing but leaks failed, is gone: **flaky**;
//! * a goroutine not seen before, in the reporting test → a **new
//!   finding**, added to the findings;
//! * everything that led to the report ran again (each of
//!   [`Rerun::must_run`]), nothing failed, the package passed → every leak
//!   of the group is **flaky**;
//! * anything else (another failure, a timeout, a test that did not run:
//!   a rerun without `-tags` or with `-run ^$` runs nothing) →
//!   **inconclusive**: the leak stays new.
//!
//! Flaky is never stored: [`RetryRecord::outcome_of`] derives it for each
//! leak from the attempts, and [`outcome_of`] across every record about a
//! leak (flaky only when it was gone in each). Records name reports by
//! [`ReportKey`] and leaks by [`LeakKey`], never by position. Running
//! commands is the [`Runner`]'s business (see [`crate::run`]), so the logic
//! is tested without Go.

pub mod classify;
pub mod rerun;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use crate::events::{Loc, Outcome};
use rustc_hash::FxHashSet;

use crate::findings::{FailureKind, Findings, Leak, LeakKey, LeakedGoroutine, NodeKey};
use classify::Class;
use rerun::{Selection, Target};

pub use crate::config::{parse_duration, FlakyMode, RetryConfig, When};

impl When {
    /// Classifies one goroutine of `leak` by this rule.
    pub fn classify(&self, leak: &Leak, g: &LeakedGoroutine) -> Class {
        let state_ok = self.state.is_empty() || self.state.contains(&g.goroutine.state.status);
        let patterns = self.patterns();
        let functions_ok = patterns.is_empty()
            || crate::matching::matcher::Matcher::new(&[patterns.as_slice()])
                .map(|m| {
                    let s = crate::matching::subject(leak, g);
                    !m.matching(&s, &mut Default::default()).is_empty()
                })
                .unwrap_or(false);
        if state_ok && functions_ok {
            Class {
                retryable: true,
                rule: "retry.when",
                reason: "it matches retry.when",
            }
        } else {
            Class {
                retryable: false,
                rule: "retry.when",
                reason: "it does not match retry.when",
            }
        }
    }
}

impl RetryConfig {
    /// Classifies one goroutine of `leak` under this configuration.
    pub fn classify(&self, leak: &Leak, g: &LeakedGoroutine) -> Class {
        match &self.when {
            Some(w) => w.classify(leak, g),
            None => classify::classify(&g.goroutine),
        }
    }
}

/// A leak report by key: the run-tree node that reported it and where in
/// the input its report is. Stable while leaks are added (an attempt's new
/// findings go to the end of `findings.leaks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    /// The reporting node.
    pub node: NodeKey,
    /// Input and line of the report.
    pub at: Loc,
}

impl ReportKey {
    /// The key of `leak`.
    pub fn of(leak: &Leak) -> ReportKey {
        ReportKey {
            node: leak.node.clone(),
            at: leak.at,
        }
    }
}

/// Where reruns run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RerunDir {
    /// The first run's directory (`leakgate run`, `check --test-command`).
    Fixed(PathBuf),
    /// The directory of the Go module that holds the package, found among
    /// `modules` (module path, directory relative to `root`) under the
    /// repository root; `fallback` when none does.
    ModuleOf {
        /// The repository root.
        root: PathBuf,
        /// [`crate::paths::Repo::modules`].
        modules: Vec<(String, String)>,
        /// Otherwise.
        fallback: PathBuf,
    },
}

impl RerunDir {
    /// The directory a rerun of `package` runs in.
    pub fn for_package(&self, package: &str) -> PathBuf {
        match self {
            RerunDir::Fixed(d) => d.clone(),
            RerunDir::ModuleOf {
                root,
                modules,
                fallback,
            } => modules
                .iter()
                .find(|(m, _)| {
                    package == m
                        || package
                            .strip_prefix(m.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                })
                .map_or_else(|| fallback.clone(), |(_, dir)| root.join(dir)),
        }
    }
}

/// How a rerun's command line is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// The user's own `go test …` command line.
    GoTest(Vec<String>),
    /// A `retry.command` template.
    Template(String),
}

impl Base {
    /// The command for one target.
    pub fn command(&self, target: &Target) -> Result<Vec<String>, rerun::RerunError> {
        match self {
            Base::GoTest(argv) => rerun::from_go_test(argv, target),
            Base::Template(t) => rerun::from_template(t, target),
        }
    }

    fn shuffles(&self) -> bool {
        match self {
            Base::GoTest(argv) => rerun::uses_shuffle(argv),
            Base::Template(t) => shlex::split(t).is_some_and(|w| rerun::uses_shuffle(&w)),
        }
    }

    fn dropped(&self) -> Vec<String> {
        match self {
            Base::GoTest(argv) => rerun::dropped_outputs(argv),
            Base::Template(_) => Vec::new(),
        }
    }
}

/// How reruns repeat the first run: the command, its directory and its
/// environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The command.
    pub command: Base,
    /// Where it runs; `None`: the [`Runner`]'s own directory.
    pub dir: Option<RerunDir>,
    /// Variables set on top of leakgate's own environment (which reruns
    /// inherit, as the first run's command did).
    pub env: Vec<(String, String)>,
    /// What had to be assumed because the first run's command is not
    /// known; shown with every plan.
    pub assumed: Option<String>,
}

impl Invocation {
    /// `command`, run in the runner's directory, nothing assumed.
    pub fn new(command: Base) -> Invocation {
        Invocation {
            command,
            dir: None,
            env: Vec::new(),
            assumed: None,
        }
    }
}

/// A rerun, decided before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rerun {
    /// What it reruns.
    pub target: Target,
    /// The command line.
    pub argv: Vec<String>,
    /// Its working directory; `None`: the [`Runner`]'s own.
    pub dir: Option<PathBuf>,
    /// Variables set for it on top of leakgate's environment.
    pub env: Vec<(String, String)>,
    /// Top-level tests it must run (each `target.count()` times) for an
    /// attempt to tell anything: those of the first run that led to the
    /// report.
    pub must_run: Vec<String>,
    /// Why it is rerun, and why this way.
    pub why: String,
}

/// What retrying does for one test or package: decided by [`plan`]
/// before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Rerun it.
    Rerun(Rerun),
    /// Do not.
    Skip {
        /// Why not.
        why: String,
    },
}

/// What one attempt showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// Everything it had to run ran and passed, no leak.
    Passed,
    /// The same leak again.
    SameLeak,
    /// A leak with goroutines not seen in the first run.
    DifferentLeak,
    /// Could not tell: another failure, a timeout, a test did not run.
    Failed,
}

impl AttemptResult {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            AttemptResult::Passed => "passed",
            AttemptResult::SameLeak => "same-leak",
            AttemptResult::DifferentLeak => "different-leak",
            AttemptResult::Failed => "failed",
        }
    }
}

/// One rerun.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// 1-based.
    pub number: u32,
    /// What it showed.
    pub result: AttemptResult,
    /// Fingerprints of the (non-harness) goroutines it reported that the
    /// first run also did, sorted.
    pub fingerprints: Vec<String>,
    /// The command's exit code (`None`: killed by a signal or not started).
    pub exit_code: Option<i32>,
    /// How long it took.
    pub duration: Duration,
    /// One line for a person.
    pub message: String,
    /// Leak reports this attempt added to the findings.
    pub new_leaks: Vec<ReportKey>,
    /// The record's distinct leaks whose goroutines (by their `go`
    /// statement) this attempt reported again.
    pub again: Vec<LeakKey>,
    /// Everything that led to the first run's report ran again and nothing
    /// but leaks failed: a leak it did not report again is gone.
    pub conclusive: bool,
}

/// The conclusion for one retried test or package, derived from its
/// attempts ([`RetryRecord::outcome`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Not retried (see the plan).
    NotRetried,
    /// Gone in this attempt.
    Flaky {
        /// 1-based attempt it passed in.
        attempt: u32,
    },
    /// Leaked again in every attempt: a real leak.
    Reproduced,
    /// An attempt leaked something new.
    NewLeak {
        /// 1-based attempt.
        attempt: u32,
    },
    /// An attempt could not tell (other failure, timeout, did not run), or
    /// retrying was interrupted.
    Inconclusive,
}

impl RetryOutcome {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            RetryOutcome::NotRetried => "not-retried",
            RetryOutcome::Flaky { .. } => "flaky",
            RetryOutcome::Reproduced => "reproduced",
            RetryOutcome::NewLeak { .. } => "new-leak",
            RetryOutcome::Inconclusive => "inconclusive",
        }
    }
}

/// One distinct leak of a [`RetryRecord`], with why it was (not) retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetriedLeak {
    /// The distinct leak.
    pub key: LeakKey,
    /// Why it was retried or not, for this leak alone.
    pub why: String,
    /// Whether its own goroutines are worth a rerun.
    pub retryable: bool,
}

/// What retrying did for the new distinct leaks first reported by one test
/// or package: one rerun serves them all, and each leak gets its own
/// outcome ([`RetryRecord::outcome_of`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryRecord {
    /// Package import path.
    pub package: Option<String>,
    /// Test, `None` for a package-level (`VerifyTestMain`) leak.
    pub test: Option<String>,
    /// The new distinct leaks this test or package reported first.
    pub leaks: Vec<RetriedLeak>,
    /// The first run's reports of this test or package.
    pub reports: Vec<ReportKey>,
    /// What was decided before anything ran.
    pub plan: Plan,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Retrying stopped early (Ctrl-C).
    pub interrupted: bool,
}

impl RetryRecord {
    /// Whether it was rerun at all.
    pub fn retried(&self) -> bool {
        !self.attempts.is_empty()
    }

    /// Why it was (not) retried.
    pub fn reason(&self) -> &str {
        match &self.plan {
            Plan::Rerun(r) => &r.why,
            Plan::Skip { why } => why,
        }
    }

    /// Why one of its leaks was (not) retried.
    pub fn reason_of(&self, key: &LeakKey) -> &str {
        self.leak(key)
            .map_or_else(|| self.reason(), |l| l.why.as_str())
    }

    /// One of its leaks.
    pub fn leak(&self, key: &LeakKey) -> Option<&RetriedLeak> {
        self.leaks.iter().find(|l| l.key == *key)
    }

    /// Whether this record is about the distinct leak `key`.
    pub fn is_about(&self, key: &LeakKey) -> bool {
        self.leak(key).is_some()
    }

    /// The rerun, when one was planned.
    pub fn rerun(&self) -> Option<&Rerun> {
        match &self.plan {
            Plan::Rerun(r) => Some(r),
            Plan::Skip { .. } => None,
        }
    }

    /// The rerun command, when one was planned.
    pub fn command(&self) -> Option<&[String]> {
        self.rerun().map(|r| r.argv.as_slice())
    }

    /// Whether `leak` is one of the first run's reports this is about.
    pub fn covers(&self, leak: &Leak) -> bool {
        self.reports.contains(&ReportKey::of(leak))
    }

    /// The conclusion for the whole test or package, from the attempts:
    /// flaky only when an attempt passed after nothing but the same leak
    /// before it.
    pub fn outcome(&self) -> RetryOutcome {
        if matches!(self.plan, Plan::Skip { .. }) {
            return RetryOutcome::NotRetried;
        }
        if self.attempts.is_empty() {
            return RetryOutcome::Inconclusive;
        }
        for a in &self.attempts {
            match a.result {
                AttemptResult::SameLeak => continue,
                AttemptResult::Passed => return RetryOutcome::Flaky { attempt: a.number },
                AttemptResult::DifferentLeak => return RetryOutcome::NewLeak { attempt: a.number },
                AttemptResult::Failed => return RetryOutcome::Inconclusive,
            }
        }
        if self.interrupted {
            RetryOutcome::Inconclusive
        } else {
            RetryOutcome::Reproduced
        }
    }

    /// The conclusion for one distinct leak: flaky in the first attempt
    /// that was conclusive and did not report it again (an attempt that
    /// passed, or one that reported only the record's other leaks), after
    /// nothing but attempts that reported it again; real when every
    /// attempt reported it again.
    pub fn outcome_of(&self, key: &LeakKey) -> RetryOutcome {
        if !self.is_about(key) || matches!(self.plan, Plan::Skip { .. }) {
            return RetryOutcome::NotRetried;
        }
        if self.attempts.is_empty() {
            return RetryOutcome::Inconclusive;
        }
        for a in &self.attempts {
            match a.result {
                AttemptResult::Passed => return RetryOutcome::Flaky { attempt: a.number },
                AttemptResult::SameLeak if a.again.contains(key) => continue,
                AttemptResult::SameLeak if a.conclusive => {
                    return RetryOutcome::Flaky { attempt: a.number }
                }
                AttemptResult::SameLeak | AttemptResult::Failed => {
                    return RetryOutcome::Inconclusive
                }
                AttemptResult::DifferentLeak => return RetryOutcome::NewLeak { attempt: a.number },
            }
        }
        if self.interrupted {
            RetryOutcome::Inconclusive
        } else {
            RetryOutcome::Reproduced
        }
    }
}

/// The records about a distinct leak, among `records`: one per test or
/// package that reported it (not only listed it again).
pub fn records_of<'a>(
    records: &'a [RetryRecord],
    key: &'a LeakKey,
) -> impl Iterator<Item = &'a RetryRecord> + 'a {
    records.iter().filter(move |r| r.is_about(key))
}

/// The conclusion for a distinct leak from every record about it: flaky
/// only when it was gone in each of them; otherwise the first record's
/// conclusion that is not flaky.
pub fn outcome_of(records: &[RetryRecord], key: &LeakKey) -> Option<RetryOutcome> {
    let mut flaky: Option<u32> = None;
    for r in records_of(records, key) {
        match r.outcome_of(key) {
            RetryOutcome::Flaky { attempt } => {
                flaky = Some(flaky.map_or(attempt, |a| a.max(attempt)));
            }
            other => return Some(other),
        }
    }
    flaky.map(|attempt| RetryOutcome::Flaky { attempt })
}

/// What a [`Runner`] returns for one attempt.
#[derive(Debug, Clone, Default)]
pub struct AttemptRun {
    /// What the attempt's output showed.
    pub findings: Findings,
    /// The command's exit code.
    pub exit_code: Option<i32>,
    /// Why the attempt cannot be judged (did not start, timed out,
    /// interrupted, no output).
    pub error: Option<String>,
    /// How long it took.
    pub duration: Duration,
}

/// Runs one attempt.
pub trait Runner {
    /// Runs `rerun` (attempt `number` of `of`).
    fn run(&mut self, rerun: &Rerun, number: u32, of: u32) -> AttemptRun;
    /// Whether the user asked to stop (no further attempts).
    fn interrupted(&self) -> bool {
        false
    }
}

type Key = (Option<String>, Option<String>);

fn key(l: &Leak) -> Key {
    (l.package.clone(), l.test.clone())
}

fn real_fingerprints<'a>(leaks: impl Iterator<Item = &'a Leak>) -> BTreeSet<String> {
    leaks
        .flat_map(|l| l.real_goroutines().map(|g| g.fingerprint.clone()))
        .collect()
}

/// Which goroutine this is across attempts: the `go` statement that
/// started it (function and place), else its functions. Not its state: a
/// goroutine that loops on short sleeps is caught `sleep` in one attempt
/// and `runnable` in the next, and is the same leak.
fn identity(g: &LeakedGoroutine) -> String {
    match &g.goroutine.created_by {
        Some(c) => format!("created by {} at {}:{}", c.function, c.file, c.line),
        None => {
            let functions: Vec<&str> = g
                .goroutine
                .frames
                .iter()
                .map(|f| f.function.as_str())
                .collect();
            format!("stack {}", functions.join(" < "))
        }
    }
}

fn identities<'a>(leaks: impl Iterator<Item = &'a Leak>) -> BTreeSet<String> {
    leaks
        .flat_map(|l| l.real_goroutines().map(identity))
        .collect()
}

/// Top-level tests of each package run (input, run): (start order, name,
/// attempt), in order of start.
type RunTests = HashMap<(usize, u32), Vec<(u64, String, u32)>>;

fn top_level_tests(findings: &Findings, wanted: &BTreeSet<(usize, u32)>) -> Option<RunTests> {
    let mut out: RunTests = HashMap::new();
    if wanted.is_empty() {
        return Some(out);
    }
    for t in findings.all_tests() {
        let t = t.ok()?;
        let run = (t.node.input, t.node.run);
        if !wanted.contains(&run) || t.test.contains('/') {
            continue;
        }
        out.entry(run)
            .or_default()
            .push((t.seq, t.test.to_string(), t.node.attempt));
    }
    for tests in out.values_mut() {
        tests.sort();
    }
    Some(out)
}

/// More top-level tests than this before the report: rerun the package.
const MAX_SELECTED_TESTS: usize = 200;

/// What a rerun of a test's report must run, and why.
fn choose_target(
    package: &str,
    test: Option<&str>,
    leaks: &[&Leak],
    tests: Option<&RunTests>,
    base: &Invocation,
) -> (Target, Vec<String>, String) {
    let first = leaks[0];
    let run = (first.node.input, first.node.run);
    let ran: Vec<String> = tests
        .and_then(|t| t.get(&run))
        .map(|t| {
            let mut names: Vec<String> = Vec::new();
            for (_, n, _) in t {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
            names
        })
        .unwrap_or_default();
    // A whole package runs as many times as what led to the report: up to
    // the reporting test's attempt, or every run of a -count loop for a
    // package-level check.
    let count = match test {
        Some(_) => first.node.attempt.max(1),
        None => tests
            .and_then(|t| t.get(&run))
            .and_then(|t| t.iter().map(|(_, _, a)| *a).max())
            .unwrap_or(1)
            .max(1),
    };
    let whole = |why: String| {
        (
            Target {
                package: package.to_string(),
                reporter: test.map(str::to_string),
                selection: Selection::Package { count },
            },
            ran.clone(),
            why,
        )
    };
    let Some(test) = test else {
        return whole(
            "a package-level check runs after every test of the package: the whole package reruns"
                .to_string(),
        );
    };
    let origins: Vec<(classify::Origin, String)> = leaks
        .iter()
        .flat_map(|l| l.real_goroutines().map(|g| classify::origin(l, g)))
        .collect();
    let from = origins
        .iter()
        .find(|(o, _)| *o != classify::Origin::ReportingTest)
        .or_else(|| origins.first())
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| "only test-harness goroutines".to_string());
    if base.command.shuffles() {
        return whole(format!(
            "{from}; the run shuffled its tests (-shuffle), an order a rerun of fewer tests cannot repeat: the whole package reruns"
        ));
    }
    if leaks
        .iter()
        .any(|l| l.goroutines.iter().any(|g| g.harness.is_some()))
    {
        return whole(format!(
            "{from}; tests ran in parallel (t.Parallel goroutines in the report), so tests that started later may have started it: the whole package reruns"
        ));
    }
    let top = test.split('/').next().unwrap_or(test);
    let attempt = first.node.attempt.max(1);
    let Some(list) = tests.and_then(|t| t.get(&run)) else {
        return whole(format!(
            "{from}; the run's test order is not known: the whole package reruns"
        ));
    };
    let Some(&(at, _, _)) = list
        .iter()
        .find(|(_, n, a)| n == top && *a == attempt)
        .or_else(|| list.iter().rev().find(|(_, n, _)| n == top))
    else {
        return whole(format!(
            "{from}; {top} is not among the run's tests: the whole package reruns"
        ));
    };
    let mut names: Vec<String> = Vec::new();
    for (seq, n, _) in list {
        if *seq <= at && !names.contains(n) {
            names.push(n.clone());
        }
    }
    for (o, s) in &origins {
        if let classify::Origin::OtherTest(t) = o {
            if !names.contains(t) {
                return whole(format!(
                    "{s}, which started after the reporting test: the whole package reruns"
                ));
            }
        }
    }
    if names.len() > MAX_SELECTED_TESTS {
        return whole(format!(
            "{from}; {} tests ran up to {top}: the whole package reruns",
            names.len()
        ));
    }
    let what = match names.len() {
        1 => format!("{top}, the first test of its run, reruns"),
        n => format!("the {n} tests that ran up to and including {top} rerun"),
    };
    let count = if attempt > 1 {
        format!(" with -count={attempt} (it reported in run {attempt} of its -count loop)")
    } else {
        String::new()
    };
    (
        Target {
            package: package.to_string(),
            reporter: Some(test.to_string()),
            selection: Selection::Tests {
                tests: names.clone(),
                count: attempt,
            },
        },
        names,
        format!("{from}; {what}{count}"),
    )
}

/// Decides, for every test or package that first reported a new distinct
/// leak (`new`), whether and how it is rerun. Records come in the order of
/// their first report. A test or package is rerun when every new leak it
/// reported first is retryable: one that is not fails the gate whatever a
/// rerun shows.
pub fn plan(
    findings: &Findings,
    new: &FxHashSet<LeakKey>,
    config: &RetryConfig,
    base: &Invocation,
) -> Vec<RetryRecord> {
    // Who reported each new leak, not only listing it again after another
    // test of the same binary did: (package, test). A leak reported in
    // several packages is rerun in each.
    let mut homes: HashMap<&str, Vec<Key>> = HashMap::new();
    let mut counted: FxHashSet<(usize, u32, u64)> = FxHashSet::default();
    for leak in &findings.leaks {
        for g in &leak.goroutines {
            let first = g.goroutine.id == 0
                || counted.insert((leak.node.input, leak.node.run, g.goroutine.id));
            if first && new.contains(&LeakKey::of(g)) {
                let k = key(leak);
                let v = homes.entry(g.fingerprint.as_str()).or_default();
                if !v.contains(&k) {
                    v.push(k);
                }
            }
        }
    }
    let is_home =
        |fingerprint: &str, k: &Key| homes.get(fingerprint).is_some_and(|v| v.contains(k));
    // Groups in order of their first report, each with every report of
    // its test or package and its leaks in order of first sighting.
    let all_homes: BTreeSet<&Key> = homes.values().flatten().collect();
    let mut groups: Vec<(Key, Vec<&Leak>, Vec<LeakKey>)> = Vec::new();
    for leak in &findings.leaks {
        let k = key(leak);
        if !all_homes.contains(&k) {
            continue;
        }
        let i = match groups.iter().position(|(g, _, _)| *g == k) {
            Some(i) => i,
            None => {
                groups.push((k.clone(), Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        let (_, reports, keys) = &mut groups[i];
        reports.push(leak);
        for g in &leak.goroutines {
            if is_home(&g.fingerprint, &k) && !keys.iter().any(|x| x.0 == g.fingerprint) {
                keys.push(LeakKey::of(g));
            }
        }
    }
    let runs: BTreeSet<(usize, u32)> = groups
        .iter()
        .filter_map(|(_, reports, _)| reports.first())
        .map(|l| (l.node.input, l.node.run))
        .collect();
    let tests = if config.attempts > 0 {
        top_level_tests(findings, &runs)
    } else {
        None
    };
    let mut records = Vec::new();
    for ((package, test), reports, keys) in groups {
        let leaks: Vec<RetriedLeak> = keys
            .into_iter()
            .map(|k| classify_leak(&reports, k, config))
            .collect();
        let plan = decide(
            findings,
            &package,
            test.as_deref(),
            &reports,
            &leaks,
            config,
            base,
            tests.as_ref(),
        );
        let leaks = explain(leaks, &plan);
        records.push(RetryRecord {
            package,
            test,
            leaks,
            reports: reports.iter().map(|l| ReportKey::of(l)).collect(),
            plan,
            attempts: Vec::new(),
            interrupted: false,
        });
    }
    records
}

/// Whether one distinct leak's own goroutines (in its reporter's reports)
/// are worth a rerun, and why.
fn classify_leak(reports: &[&Leak], key: LeakKey, config: &RetryConfig) -> RetriedLeak {
    let mut rules: Vec<&'static str> = Vec::new();
    for l in reports {
        for g in l.real_goroutines().filter(|g| g.fingerprint == key.0) {
            let c = config.classify(l, g);
            if !c.retryable {
                return RetriedLeak {
                    why: format!(
                        "goroutine {} [{}] is not retryable ({}: {})",
                        g.goroutine.id, g.goroutine.state.raw, c.rule, c.reason
                    ),
                    key,
                    retryable: false,
                };
            }
            if !rules.contains(&c.rule) {
                rules.push(c.rule);
            }
        }
    }
    let why = if rules.is_empty() {
        "only test-harness goroutines: the test alone may not leak".to_string()
    } else {
        format!("every goroutine is worth a rerun ({})", rules.join(", "))
    };
    RetriedLeak {
        key,
        why,
        retryable: true,
    }
}

/// Each leak's reason, in full: its own when it is not retryable, else
/// what happened to its test.
fn explain(leaks: Vec<RetriedLeak>, plan: &Plan) -> Vec<RetriedLeak> {
    let blocker = leaks.iter().find(|l| !l.retryable).map(|l| l.why.clone());
    leaks
        .into_iter()
        .map(|mut l| {
            l.why = match plan {
                _ if !l.retryable => format!("not retried: {}", l.why),
                Plan::Rerun(r) => match r.why.split_once("; ") {
                    Some((_, how)) => format!("retried: {}; {how}", l.why),
                    None => r.why.clone(),
                },
                Plan::Skip { why } => match &blocker {
                    Some(b) if why.contains(b.as_str()) => format!(
                        "not retried: another new leak of the same test fails the gate whatever a rerun shows ({b})"
                    ),
                    _ => why.clone(),
                },
            };
            l
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn decide(
    findings: &Findings,
    package: &Option<String>,
    test: Option<&str>,
    reports: &[&Leak],
    leaks: &[RetriedLeak],
    config: &RetryConfig,
    base: &Invocation,
    tests: Option<&RunTests>,
) -> Plan {
    let skip = |why: String| Plan::Skip { why };
    if config.attempts == 0 {
        return skip("not retried: retry.attempts is 0".to_string());
    }
    let Some(package) = package else {
        return skip("not retried: the output does not name the leak's package".to_string());
    };
    let other = findings.failures.iter().find(|f| {
        f.kind != FailureKind::Leak
            && f.package.as_deref() == Some(package.as_str())
            && f.test.as_deref() == test
    });
    if let Some(f) = other {
        return skip(format!(
            "not retried: it also failed for another reason ({}); ordinary failures are not retried",
            f.kind.name()
        ));
    }
    if reports.iter().any(|l| l.truncated || l.dropped > 0) {
        return skip(
            "not retried: the leak report was cut, so not every goroutine could be checked"
                .to_string(),
        );
    }
    if let Some(l) = leaks.iter().find(|l| !l.retryable) {
        return skip(format!("not retried: {}", l.why));
    }
    if reports.is_empty() || leaks.is_empty() {
        return skip("not retried: no leak report".to_string());
    }
    let (target, must_run, how) = choose_target(package, test, reports, tests, base);
    let argv = match base.command.command(&target) {
        Ok(a) => a,
        Err(e) => return skip(format!("not retried: {e}")),
    };
    let mut why = format!(
        "retried: {}; {how}",
        leaks
            .first()
            .map(|l| l.why.as_str())
            .unwrap_or("every goroutine is worth a rerun")
    );
    let dropped = base.command.dropped();
    if !dropped.is_empty() {
        why.push_str(&format!(
            "; left out of the rerun, so the first run's files stay: {}",
            dropped.join(", ")
        ));
    }
    if let Some(a) = &base.assumed {
        why.push_str(&format!("; {a}"));
    }
    Plan::Rerun(Rerun {
        dir: base.dir.as_ref().map(|d| d.for_package(package)),
        env: base.env.clone(),
        target,
        argv,
        must_run,
        why,
    })
}

/// Reruns every planned record and records each attempt; adds leaks that
/// appeared only in an attempt to `findings`. Records that plan the same
/// rerun share its attempts (a package rerun once serves all its reports).
/// Nothing here decides statuses: see [`statuses`].
pub fn execute(
    findings: &mut Findings,
    records: &mut [RetryRecord],
    config: &RetryConfig,
    runner: &mut dyn Runner,
) {
    type RunKey = (Vec<String>, Option<PathBuf>, Vec<(String, String)>, u32);
    let mut done: HashMap<RunKey, AttemptRun> = HashMap::new();
    for r in records.iter_mut() {
        let Some(rerun) = r.rerun().cloned() else {
            continue;
        };
        let reports: Vec<&Leak> = findings.leaks.iter().filter(|l| r.covers(l)).collect();
        let original = identities(reports.iter().copied());
        // Each leak of the record by the `go` statements of its goroutines.
        let each: Vec<(LeakKey, BTreeSet<String>)> = r
            .leaks
            .iter()
            .map(|l| {
                let ids = reports
                    .iter()
                    .flat_map(|rep| rep.goroutines.iter())
                    .filter(|g| g.fingerprint == l.key.0)
                    .map(identity)
                    .collect();
                (l.key.clone(), ids)
            })
            .collect();
        for number in 1..=config.attempts {
            if runner.interrupted() {
                r.interrupted = true;
                break;
            }
            let k = (
                rerun.argv.clone(),
                rerun.dir.clone(),
                rerun.env.clone(),
                number,
            );
            let run = done
                .entry(k)
                .or_insert_with(|| runner.run(&rerun, number, config.attempts))
                .clone();
            let attempt = judge_attempt(findings, r, &rerun, &original, &each, run, number);
            let result = attempt.result;
            r.attempts.push(attempt);
            if result != AttemptResult::SameLeak {
                break;
            }
        }
    }
}

fn judge_attempt(
    findings: &mut Findings,
    r: &RetryRecord,
    rerun: &Rerun,
    original: &BTreeSet<String>,
    each: &[(LeakKey, BTreeSet<String>)],
    run: AttemptRun,
    number: u32,
) -> Attempt {
    let package = rerun.target.package();
    let mut attempt = Attempt {
        number,
        result: AttemptResult::Failed,
        fingerprints: Vec::new(),
        exit_code: run.exit_code,
        duration: run.duration,
        message: String::new(),
        new_leaks: Vec::new(),
        again: Vec::new(),
        conclusive: false,
    };
    if let Some(e) = run.error {
        attempt.message = e;
        return attempt;
    }
    let mut got = run.findings;
    if let Some(p) = got.problems.first() {
        attempt.message = format!("cannot judge the attempt: {}", p.message);
        return attempt;
    }
    let ours: Vec<usize> = (0..got.leaks.len())
        .filter(|&i| got.leaks[i].package.as_deref() == Some(package))
        .collect();
    let at_reporter: Vec<usize> = ours
        .iter()
        .copied()
        .filter(|&i| got.leaks[i].test == r.test)
        .collect();
    let unseen: Vec<String> = identities(at_reporter.iter().map(|&i| &got.leaks[i]))
        .difference(original)
        .cloned()
        .collect();
    if !unseen.is_empty() {
        attempt.result = AttemptResult::DifferentLeak;
        attempt.fingerprints = real_fingerprints(at_reporter.iter().map(|&i| &got.leaks[i]))
            .into_iter()
            .collect();
        attempt.message = format!(
            "leaked {} goroutine{} not seen in the first run: a new finding",
            unseen.len(),
            if unseen.len() == 1 { "" } else { "s" }
        );
        // The attempt's own input, so the new leaks point somewhere real.
        let input = findings.inputs.len();
        if let Some(mut summary) = got.inputs.first().cloned() {
            summary.path = format!("{} (retry {number})", who(r));
            findings.inputs.push(summary);
        }
        for i in at_reporter.into_iter().rev() {
            let mut leak = got.leaks.swap_remove(i);
            leak.at.input = input;
            leak.node.input = input;
            attempt.new_leaks.push(ReportKey::of(&leak));
            findings.leaks.push(leak);
        }
        return attempt;
    }
    let again: Vec<&Leak> = ours
        .iter()
        .map(|&i| &got.leaks[i])
        .filter(|l| !identities(std::iter::once(*l)).is_disjoint(original))
        .collect();
    if let Some(first) = again.first() {
        attempt.result = AttemptResult::SameLeak;
        let seen = identities(again.iter().copied());
        attempt.again = each
            .iter()
            .filter(|(_, ids)| !ids.is_disjoint(&seen))
            .map(|(k, _)| k.clone())
            .collect();
        attempt.conclusive = missing_tests(&got, rerun).is_ok_and(|m| m.is_empty())
            && got
                .failures
                .iter()
                .all(|f| f.kind == FailureKind::Leak || f.condition.is_some());
        attempt.fingerprints = real_fingerprints(again.iter().copied())
            .into_iter()
            .collect();
        attempt.message = if first.test == r.test {
            "leaked again: the same goroutines".to_string()
        } else {
            format!(
                "leaked again: the same goroutines, reported by {}",
                first.test.as_deref().unwrap_or("the package-level check")
            )
        };
        return attempt;
    }
    if let Some(l) = got.leaks.first() {
        attempt.message = format!(
            "{} leaked other goroutines: cannot tell",
            l.test.as_deref().unwrap_or("the package-level check")
        );
        return attempt;
    }
    // Every test that led to the report must have run again.
    let missing = match missing_tests(&got, rerun) {
        Ok(m) => m,
        Err(e) => {
            attempt.message = format!("cannot read the attempt's tests back: {e}");
            return attempt;
        }
    };
    if !missing.is_empty() {
        attempt.message = format!(
            "did not run {}: cannot tell",
            missing
                .iter()
                .take(5)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ) + if missing.len() > 5 { ", …" } else { "" };
        return attempt;
    }
    if let Some(f) = got.failures.first() {
        attempt.message = format!(
            "another failure ({}{}): cannot tell",
            f.kind.name(),
            f.test
                .as_deref()
                .map(|t| format!(" in {t}"))
                .unwrap_or_default()
        );
        return attempt;
    }
    let pkg = got
        .packages
        .iter()
        .rev()
        .find(|p| p.package.as_deref() == Some(package));
    match pkg.and_then(|p| p.outcome) {
        Some(Outcome::Pass) => {}
        Some(o) => {
            attempt.message = format!("the package ended {o:?} without a leak report: cannot tell");
            return attempt;
        }
        None => {
            attempt.message = "the package reported no result: cannot tell".to_string();
            return attempt;
        }
    }
    attempt.result = AttemptResult::Passed;
    attempt.message = match &rerun.target.selection {
        Selection::Tests { tests, .. } if tests.len() > 1 => format!(
            "passed: no leak ({} tests ran up to and including {})",
            tests.len(),
            tests.last().map(String::as_str).unwrap_or("")
        ),
        Selection::Tests { .. } => "passed: no leak".to_string(),
        Selection::Package { .. } => "passed: no leak (the whole package ran)".to_string(),
    };
    attempt
}

/// The tests of [`Rerun::must_run`] an attempt did not run as often as
/// the rerun asked.
fn missing_tests<'a>(got: &Findings, rerun: &'a Rerun) -> std::io::Result<Vec<&'a str>> {
    let count = rerun.target.count() as usize;
    let mut ran: HashMap<String, usize> = HashMap::new();
    for t in got.all_tests() {
        let t = t?;
        if !t.test.contains('/') {
            *ran.entry(t.test.to_string()).or_default() += 1;
        }
    }
    Ok(rerun
        .must_run
        .iter()
        .filter(|n| ran.get(n.as_str()).copied().unwrap_or(0) < count)
        .map(String::as_str)
        .collect())
}

fn who(r: &RetryRecord) -> String {
    let p = r
        .package
        .as_deref()
        .unwrap_or(crate::findings::UNKNOWN_PACKAGE);
    match &r.test {
        Some(t) => format!("{p} {t}"),
        None => p.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::findings::Findings;

    fn fixture(name: &str) -> Findings {
        crate::testutil::fixture_findings(name)
    }

    /// A capture of `testdata/retry` (`scripts/regen-retry-fixtures.sh`).
    fn retry_fixture(case: &str) -> Findings {
        fixture(&format!("../../testdata/retry/fixtures/go1.26/{case}"))
    }

    #[test]
    fn config_defaults_and_deserialize() {
        let c = RetryConfig::default();
        assert_eq!(
            (c.attempts, c.flaky, c.timeout, c.when.is_none()),
            (2, FlakyMode::Pass, Duration::from_secs(300), true)
        );
        let c: RetryConfig = serde_json::from_str(r#"{"attempts": 3, "when": {"state": ["runnable", "running"]}, "flaky": "fail", "timeout": "90s", "command": "go test {run} {package}"}"#).unwrap();
        assert_eq!(c.attempts, 3);
        assert_eq!(c.when.unwrap().state, vec!["runnable", "running"]);
        assert_eq!(c.flaky, FlakyMode::Fail);
        assert_eq!(c.timeout, Duration::from_secs(90));
        let c: RetryConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, RetryConfig::default());
        assert!(serde_json::from_str::<RetryConfig>(r#"{"attempt": 3}"#).is_err());
        assert!(serde_json::from_str::<RetryConfig>(r#"{"when": {"states": []}}"#).is_err());
        assert!(serde_json::from_str::<RetryConfig>(r#"{"flaky": "maybe"}"#).is_err());
        let e = serde_json::from_str::<RetryConfig>(r#"{"timeout": "soon"}"#).unwrap_err();
        assert!(e.to_string().contains("invalid duration"), "{e}");
    }

    use crate::verdict::LeakStatus;

    /// The distinct leaks of `f` that a policy allowing nothing leaves
    /// new (test-harness goroutines beside a real leak are not leaks).
    fn new_statuses(f: &Findings) -> FxHashSet<LeakKey> {
        crate::policy::evaluate(f, &crate::policy::Policy::default())
            .leaks
            .into_iter()
            .filter(|(_, a)| !a.allowed)
            .map(|(k, _)| k)
            .collect()
    }

    /// What the verdict makes of each report after the retries, when the
    /// policy allows nothing.
    fn statuses(
        f: &Findings,
        _new: &FxHashSet<LeakKey>,
        records: &[RetryRecord],
    ) -> Vec<LeakStatus> {
        let a = crate::verdict::judge(
            f.clone(),
            &crate::policy::Evaluation::default(),
            crate::policy::PolicyOutcome::default(),
            records.to_vec(),
            crate::verdict::Options::default(),
        );
        f.leaks
            .iter()
            .map(|l| a.view.report(l).status.clone())
            .collect()
    }

    fn record<'a>(records: &'a [RetryRecord], pkg: &str, test: Option<&str>) -> &'a RetryRecord {
        records
            .iter()
            .find(|r| {
                r.package.as_deref().is_some_and(|p| p.ends_with(pkg)) && r.test.as_deref() == test
            })
            .unwrap_or_else(|| panic!("no record for {pkg} {test:?}"))
    }

    fn planned(r: &RetryRecord) -> bool {
        matches!(r.plan, Plan::Rerun(_))
    }

    fn go_base() -> Invocation {
        Invocation::new(Base::GoTest(vec![
            "go".into(),
            "test".into(),
            "-race".into(),
            "./...".into(),
        ]))
    }

    fn plan_default(f: &Findings) -> Vec<RetryRecord> {
        plan(f, &new_statuses(f), &RetryConfig::default(), &go_base())
    }

    #[test]
    fn when_matches_functions_like_allow_rules() {
        let f = fixture("go1.26-goleak1.3.0/all.json");
        // Only goroutines started in package flaky, in any state.
        let cfg = RetryConfig {
            when: Some(When {
                created_by: Some("example.com/leakgate/fixtures/flaky.*".to_string()),
                ..When::default()
            }),
            ..RetryConfig::default()
        };
        let records = plan(&f, &new_statuses(&f), &cfg, &go_base());
        assert!(planned(record(&records, "/flaky", Some("TestMixedReport"))));
        assert!(!planned(record(&records, "/flakymain", None)));
        // State and function together: every key must match.
        let cfg = RetryConfig {
            when: Some(When {
                state: vec!["sleep".to_string()],
                top_function: Some("/^time\\.Sleep$/".to_string()),
                ..When::default()
            }),
            ..RetryConfig::default()
        };
        let records = plan(&f, &new_statuses(&f), &cfg, &go_base());
        assert!(planned(record(&records, "/flakymain", None)));
        assert!(!planned(record(
            &records,
            "/flaky",
            Some("TestMixedReport")
        )));
    }

    #[test]
    fn plan_on_a_real_run() {
        let f = fixture("go1.26-goleak1.3.0/all.json");
        let records = plan_default(&f);
        assert!(planned(record(
            &records,
            "/flaky",
            Some("TestLeakOnFirstAttempt")
        )));
        assert!(planned(record(
            &records,
            "/flaky",
            Some("TestSleepLoopLeak")
        )));
        assert!(planned(record(&records, "/flakymain", None)));
        let mixed = record(&records, "/flaky", Some("TestMixedReport"));
        assert!(!planned(mixed));
        assert!(
            mixed.reason().contains("chan receive"),
            "{}",
            mixed.reason()
        );
        // assertfail's TestAdd failed without a leak: not even a record.
        assert!(!records.iter().any(|r| r.test.as_deref() == Some("TestAdd")));
        assert_eq!(records.iter().filter(|r| planned(r)).count(), 3);
        // Records name their leaks by key.
        for r in &records {
            for k in &r.reports {
                let l = f.leaks.iter().find(|l| ReportKey::of(l) == *k).unwrap();
                assert_eq!((&l.package, &l.test), (&r.package, &r.test));
            }
            for k in &r.leaks {
                assert!(r
                    .reports
                    .iter()
                    .filter_map(|rk| f.leaks.iter().find(|l| ReportKey::of(l) == *rk))
                    .any(|l| l.goroutines.iter().any(|g| LeakKey::of(g) == k.key)));
            }
        }
        // A state list instead of the classifier.
        let cfg = RetryConfig {
            when: Some(When {
                state: vec!["chan receive".to_string(), "sleep".to_string()],
                ..When::default()
            }),
            ..RetryConfig::default()
        };
        let records = plan(&f, &new_statuses(&f), &cfg, &go_base());
        assert!(planned(record(&records, "/flaky", Some("TestMixedReport"))));
        assert!(planned(record(
            &records,
            "/recvnoclose",
            Some("TestConsumerNeverClosed")
        )));
        // Allowed leaks are never retried.
        assert!(plan(
            &f,
            &FxHashSet::default(),
            &RetryConfig::default(),
            &go_base()
        )
        .is_empty());
    }

    fn rerun_of(r: &RetryRecord) -> &Rerun {
        r.rerun()
            .unwrap_or_else(|| panic!("not planned: {}", r.reason()))
    }

    #[test]
    fn a_report_in_a_later_test_reruns_every_test_up_to_it() {
        // Real capture: TestStartsPoller starts a poller, TestChecks reports it.
        let f = retry_fixture("crosstest.json");
        let records = plan_default(&f);
        let r = record(&records, "/crosstest", Some("TestChecks"));
        let rerun = rerun_of(r);
        assert_eq!(
            rerun.target.selection,
            Selection::Tests {
                tests: vec![
                    "TestFirst".to_string(),
                    "TestStartsPoller".to_string(),
                    "TestChecks".to_string()
                ],
                count: 1
            }
        );
        assert_eq!(
            rerun.must_run,
            ["TestFirst", "TestStartsPoller", "TestChecks"]
        );
        assert_eq!(
            rerun.argv,
            [
                "go",
                "test",
                "-run",
                "^(TestFirst|TestStartsPoller|TestChecks)$",
                "-count=1",
                "-json",
                "-race",
                "example.com/leakgate/retry/crosstest"
            ]
        );
        // Where it came from: created by StartPoller in goroutine N, a
        // function any earlier test may have called.
        assert!(
            r.reason().contains("crosstest.StartPoller in goroutine"),
            "{}",
            r.reason()
        );
        assert!(
            r.reason().contains("any test that ran before"),
            "{}",
            r.reason()
        );
    }

    #[test]
    fn origins_from_real_stacks() {
        use classify::{origin, Origin};
        let f = retry_fixture("all.json");
        let leak = |pkg: &str| {
            f.leaks
                .iter()
                .find(|l| l.package.as_deref().is_some_and(|p| p.ends_with(pkg)))
                .unwrap()
        };
        let own = leak("/ownloop");
        assert_eq!(origin(own, &own.goroutines[0]).0, Origin::ReportingTest);
        let cross = leak("/crosstest");
        assert_eq!(
            origin(cross, &cross.goroutines[0]).0,
            Origin::Function("example.com/leakgate/retry/crosstest.StartPoller".to_string())
        );
        // A goroutine started by another test's own code.
        let mut other = own.clone();
        other.test = Some("TestSomethingElse".to_string());
        assert_eq!(
            origin(&other, &other.goroutines[0]).0,
            Origin::OtherTest("TestLoops".to_string())
        );
        assert_eq!(
            classify::test_function("ex.com/a.TestX.func1.2"),
            Some("TestX")
        );
        assert_eq!(classify::test_function("ex.com/a.Testify"), None);
        assert_eq!(classify::test_function("ex.com/a.(*T).Run"), None);
        assert_eq!(classify::test_function("ex.com/a.Test_x"), Some("Test_x"));
        assert_eq!(classify::test_function("ex.com/a.TestMain.func1"), None);
    }

    #[test]
    fn a_package_level_leak_reruns_the_whole_package_and_must_run_its_tests() {
        let f = retry_fixture("mainloop.json");
        let records = plan_default(&f);
        let rerun = rerun_of(record(&records, "/mainloop", None));
        assert_eq!(rerun.target.selection, Selection::Package { count: 1 });
        assert_eq!(rerun.must_run, ["TestStartsLoop"]);
        assert!(
            !rerun.argv.iter().any(|a| a.contains("run")),
            "{:?}",
            rerun.argv
        );
    }

    #[test]
    fn shuffled_or_parallel_runs_rerun_the_whole_package() {
        let f = retry_fixture("crosstest.json");
        let shuffled = Invocation::new(Base::GoTest(
            ["go", "test", "-shuffle", "on", "./..."]
                .map(String::from)
                .to_vec(),
        ));
        let records = plan(&f, &new_statuses(&f), &RetryConfig::default(), &shuffled);
        let rerun = rerun_of(record(&records, "/crosstest", Some("TestChecks")));
        assert_eq!(rerun.target.selection, Selection::Package { count: 1 });
        assert!(
            rerun.argv.contains(&"-shuffle".to_string()),
            "{:?}",
            rerun.argv
        );
        let f = fixture("go1.26-goleak1.3.0/all.json");
        let records = plan_default(&f);
        let parallel: Vec<&RetryRecord> = records
            .iter()
            .filter(|r| {
                f.leaks
                    .iter()
                    .any(|l| r.covers(l) && l.goroutines.iter().any(|g| g.harness.is_some()))
            })
            .filter(|r| planned(r))
            .collect();
        for r in parallel {
            assert!(
                matches!(rerun_of(r).target.selection, Selection::Package { .. }),
                "{r:?}"
            );
        }
    }

    #[test]
    fn a_report_in_the_second_run_of_a_count_loop_reruns_it_twice() {
        // Real capture of `go test -count=2`: the leak is in run 2.
        let f = retry_fixture("secondrun.json");
        let records = plan_default(&f);
        let rerun = rerun_of(record(&records, "/secondrun", Some("TestLeaksOnSecondRun")));
        assert_eq!(
            rerun.target.selection,
            Selection::Tests {
                tests: vec!["TestLeaksOnSecondRun".to_string()],
                count: 2
            }
        );
        assert!(
            rerun.argv.contains(&"-count=2".to_string()),
            "{:?}",
            rerun.argv
        );
        assert!(rerun.why.contains("-count=2"), "{}", rerun.why);
    }

    #[test]
    fn a_report_by_a_parallel_test_reruns_the_whole_package() {
        // Real capture: TestSlowCheck (parallel) reports a loop that
        // TestStartsLoop, parallel and after it, started; the report lists
        // the framework's own goroutine (testing.tRunner.func1).
        let f = retry_fixture("parallel.json");
        let records = plan_default(&f);
        let rerun = rerun_of(record(&records, "/parallel", Some("TestSlowCheck")));
        assert_eq!(rerun.target.selection, Selection::Package { count: 1 });
        assert_eq!(rerun.must_run, ["TestSlowCheck", "TestStartsLoop"]);
        assert!(rerun.why.contains("in parallel"), "{}", rerun.why);
    }

    #[test]
    fn the_same_goroutine_in_another_state_is_the_same_leak() {
        // The poller of crosstest, caught `sleep` by go test and `runnable`
        // by gotestsum's run of the same package (real captures).
        let a = retry_fixture("crosstest.json");
        let b = retry_fixture("gotestsum-rerun-fails.json");
        let poller = |f: &Findings| {
            f.leaks
                .iter()
                .find(|l| {
                    l.package
                        .as_deref()
                        .is_some_and(|p| p.ends_with("/crosstest"))
                })
                .unwrap()
                .goroutines[0]
                .clone()
        };
        let (pa, pb) = (poller(&a), poller(&b));
        assert_eq!(identity(&pa), identity(&pb));
        for g in [&pa, &pb] {
            let c = classify::classify(&g.goroutine);
            assert!(
                c.retryable && ["sleep", "running"].contains(&c.rule),
                "{c:?}"
            );
        }
    }

    /// Replays captured outputs as attempts, keyed by a word of the rerun's
    /// `-run` pattern (or the package).
    struct Replay {
        runs: Vec<(&'static str, AttemptRun)>,
        seen: Vec<Rerun>,
    }

    impl Runner for Replay {
        fn run(&mut self, rerun: &Rerun, _: u32, _: u32) -> AttemptRun {
            self.seen.push(rerun.clone());
            let name = rerun
                .target
                .test()
                .unwrap_or(rerun.target.package())
                .to_string();
            match self.runs.iter().position(|(n, _)| name.ends_with(n)) {
                Some(i) => self.runs.remove(i).1,
                None => AttemptRun {
                    error: Some("no more runs".into()),
                    ..AttemptRun::default()
                },
            }
        }
    }

    /// An attempt that printed `f` (a real capture).
    fn replayed(f: Findings) -> AttemptRun {
        AttemptRun {
            findings: f,
            exit_code: Some(1),
            ..AttemptRun::default()
        }
    }

    /// A real capture, keeping only `pkg`'s package run and its leaks of
    /// `test`, with the leak-free tests passing.
    fn leaky(f: &Findings, pkg: &str, test: Option<&str>) -> AttemptRun {
        let mut only = f.clone();
        only.leaks.retain(|l| {
            l.package.as_deref().is_some_and(|p| p.ends_with(pkg)) && l.test.as_deref() == test
        });
        only.failures.clear();
        replayed(only)
    }

    fn run_records(
        f: &mut Findings,
        records: &mut [RetryRecord],
        runs: Vec<(&'static str, AttemptRun)>,
    ) -> Replay {
        let mut runner = Replay {
            runs,
            seen: Vec::new(),
        };
        execute(f, records, &RetryConfig::default(), &mut runner);
        runner
    }

    #[test]
    fn an_attempt_that_misses_the_reporting_test_is_not_flaky() {
        // crossflaky's real first run with its leaks and failures removed:
        // no leak, but TestChecks is not among the passed tests.
        let f0 = retry_fixture("crossflaky.json");
        let mut f = f0.clone();
        let mut records = plan_default(&f);
        assert_eq!(records.len(), 1);
        let mut clean = f0.clone();
        clean.leaks.clear();
        clean.failures.clear();
        clean.tests.clear();
        for p in &mut clean.packages {
            p.outcome = Some(Outcome::Pass);
        }
        // The passed store still lists TestShutsDownSlowly; TestChecks
        // failed in the capture, so this attempt misses it: cannot tell.
        let runner = run_records(&mut f, &mut records, vec![("TestChecks", replayed(clean))]);
        assert_eq!(runner.seen.len(), 1);
        assert_eq!(records[0].outcome(), RetryOutcome::Inconclusive);
        assert!(
            records[0].attempts[0]
                .message
                .contains("did not run TestChecks"),
            "{:?}",
            records[0].attempts
        );
        let policy = new_statuses(&f);
        assert!(statuses(&f, &policy, &records)
            .iter()
            .all(|s| *s == LeakStatus::New));
    }

    #[test]
    fn flaky_reproduced_and_new() {
        let f0 = fixture("go1.26-goleak1.3.0/all.json");
        let mut f = f0.clone();
        let policy = new_statuses(&f);
        let mut records = plan_default(&f);
        records.retain(|r| {
            r.package
                .as_deref()
                .is_some_and(|p| p.ends_with("/flaky") || p.ends_with("/flakymain"))
        });
        assert_eq!(records.len(), 4);
        let leaks_before = f.leaks.len();
        let runner = run_records(
            &mut f,
            &mut records,
            vec![
                (
                    "TestSleepLoopLeak",
                    leaky(&f0, "/flaky", Some("TestSleepLoopLeak")),
                ),
                (
                    "TestSleepLoopLeak",
                    leaky(&f0, "/flaky", Some("TestSleepLoopLeak")),
                ),
                ("/flakymain", leaky(&f0, "/flakymain", None)),
                ("/flakymain", {
                    let mut r = leaky(&f0, "/testmain", None);
                    for l in &mut r.findings.leaks {
                        l.package = Some("example.com/leakgate/fixtures/flakymain".into());
                    }
                    r
                }),
            ],
        );
        let sleep = record(&records, "/flaky", Some("TestSleepLoopLeak"));
        assert_eq!(sleep.outcome(), RetryOutcome::Reproduced);
        assert_eq!(
            sleep.attempts.iter().map(|a| a.result).collect::<Vec<_>>(),
            vec![AttemptResult::SameLeak; 2]
        );
        let main = record(&records, "/flakymain", None);
        assert_eq!(main.outcome(), RetryOutcome::NewLeak { attempt: 2 });
        assert_eq!(main.attempts[1].new_leaks.len(), 1);
        assert_eq!(f.leaks.len(), leaks_before + 1);
        let derived = statuses(&f, &policy, &records);
        assert_eq!(derived.len(), f.leaks.len());
        assert_eq!(derived.last(), Some(&LeakStatus::New));
        assert!(derived.iter().all(|s| *s == LeakStatus::New), "{derived:?}");
        assert!(f
            .inputs
            .last()
            .unwrap()
            .path
            .ends_with("flakymain (retry 2)"));
        let mixed = record(&records, "/flaky", Some("TestMixedReport"));
        assert!(mixed.attempts.is_empty());
        assert_eq!(mixed.outcome(), RetryOutcome::NotRetried);
        // The user's flags, the tests up to the reporting one.
        let first = runner
            .seen
            .iter()
            .find(|r| r.target.test() == Some("TestLeakOnFirstAttempt"))
            .unwrap();
        assert_eq!(
            first.argv,
            [
                "go",
                "test",
                "-run",
                "^TestLeakOnFirstAttempt$",
                "-count=1",
                "-json",
                "-race",
                "example.com/leakgate/fixtures/flaky"
            ]
        );
        // TestLeakOnFirstAttempt had no replay: an attempt that cannot be
        // judged, never flaky.
        let once = record(&records, "/flaky", Some("TestLeakOnFirstAttempt"));
        assert_eq!(once.outcome(), RetryOutcome::Inconclusive);
        // The package rerun has no -run at all.
        let pkg = runner
            .seen
            .iter()
            .find(|r| r.target.test().is_none())
            .unwrap();
        assert!(
            !pkg.argv.iter().any(|a| a.contains("run")),
            "{:?}",
            pkg.argv
        );
    }

    #[test]
    fn a_rerun_that_passes_everything_it_had_to_run_is_flaky() {
        // The first run of package flaky; an attempt in which every test of
        // it passed and nothing leaked (built from the same capture).
        let f0 = fixture("go1.26-goleak1.3.0/all.json");
        let mut f = f0.clone();
        let policy = new_statuses(&f);
        let mut records = plan_default(&f);
        records.retain(|r| r.test.as_deref() == Some("TestLeakOnFirstAttempt"));
        let r = rerun_of(&records[0]).clone();
        let mut pass = Findings {
            inputs: f0.inputs.clone(),
            ..Findings::default()
        };
        let pkg = f0
            .packages
            .iter()
            .find(|p| p.package.as_deref() == Some(r.target.package()))
            .unwrap()
            .clone();
        // Every test it must run, passed.
        for (i, t) in r.must_run.iter().enumerate() {
            pass.tests.push(crate::findings::TestRecord {
                seq: i as u64,
                node: NodeKey {
                    input: pkg.node.input,
                    run: pkg.node.run,
                    test: Some(t.as_str().into()),
                    attempt: 1,
                },
                package: Some(r.target.package().into()),
                test: t.as_str().into(),
                outcome: crate::findings::TestOutcome::Pass,
                elapsed: None,
            });
        }
        pass.packages = vec![crate::findings::PackageRecord {
            outcome: Some(Outcome::Pass),
            passed: Vec::new(),
            ..pkg
        }];
        run_records(
            &mut f,
            &mut records,
            vec![("TestLeakOnFirstAttempt", replayed(pass.clone()))],
        );
        assert_eq!(records[0].outcome(), RetryOutcome::Flaky { attempt: 1 });
        let derived = statuses(&f, &policy, &records);
        let i = f.leaks.iter().position(|l| records[0].covers(l)).unwrap();
        assert_eq!(derived[i], LeakStatus::Flaky { attempt: 1 });
        assert_eq!(derived.iter().filter(|s| **s != LeakStatus::New).count(), 1);

        // The same attempt, one must-run test missing (a rerun without the
        // build tag, or `-run ^$`): cannot tell.
        let mut f = f0.clone();
        let mut records = plan_default(&f);
        records.retain(|r| {
            r.package
                .as_deref()
                .is_some_and(|p| p.ends_with("/flakymain"))
        });
        let mut nothing = pass.clone();
        nothing.tests.clear();
        nothing.packages[0].package = records[0].package.clone();
        run_records(
            &mut f,
            &mut records,
            vec![("/flakymain", replayed(nothing))],
        );
        assert_eq!(records[0].outcome(), RetryOutcome::Inconclusive);
        assert!(records[0].attempts[0].message.starts_with("did not run"));
    }

    #[test]
    fn flaky_mode_decides_the_verdict() {
        use crate::policy::VerdictSettings;
        use crate::verdict::{judge, Options, Verdict};
        let mut f = fixture("go1.26-goleak1.3.0/labels.json");
        assert_eq!(f.leaks.len(), 1);
        f.problems.clear();
        // Its leak, worth a rerun by `retry.when`, gone on the second
        // attempt.
        let cfg = RetryConfig {
            when: Some(When {
                state: vec!["select".to_string()],
                ..When::default()
            }),
            ..RetryConfig::default()
        };
        let mut records = plan(&f, &new_statuses(&f), &cfg, &go_base());
        assert!(planned(&records[0]), "{}", records[0].reason());
        assert_eq!(records.len(), 1);
        let keys: Vec<LeakKey> = records[0].leaks.iter().map(|l| l.key.clone()).collect();
        for (number, result) in [(1, AttemptResult::SameLeak), (2, AttemptResult::Passed)] {
            records[0].attempts.push(Attempt {
                number,
                result,
                fingerprints: Vec::new(),
                exit_code: Some(0),
                duration: Duration::ZERO,
                message: String::new(),
                new_leaks: Vec::new(),
                again: keys.clone(),
                conclusive: true,
            });
        }
        // The run's only test is its last: without -failfast (which this
        // capture did not use) a failure stops nothing.
        let settings = VerdictSettings {
            no_failfast: true,
            ..VerdictSettings::default()
        };
        let run = |f: &Findings, flaky, settings| {
            judge(
                f.clone(),
                &crate::policy::Evaluation::default(),
                crate::policy::PolicyOutcome::default(),
                records.clone(),
                Options {
                    default_policy: true,
                    flaky,
                    settings,
                },
            )
        };
        let pass = run(&f, FlakyMode::Pass, settings);
        assert_eq!(pass.verdict, Verdict::Pass, "{:?}", pass.reasons);
        assert!(pass
            .leaks()
            .iter()
            .all(|l| l.status == LeakStatus::Flaky { attempt: 2 }));
        let unsure = run(&f, FlakyMode::Pass, VerdictSettings::default());
        assert_eq!(unsure.verdict, Verdict::Fail, "{:?}", unsure.reasons);
        let fail = run(&f, FlakyMode::Fail, settings);
        assert_eq!(fail.verdict, Verdict::Fail);
        assert!(
            fail.reasons.iter().any(|r| r.contains("flaky")),
            "{:?}",
            fail.reasons
        );
    }

    #[test]
    fn inconclusive_attempts_keep_the_leak_new() {
        let f0 = fixture("go1.26-goleak1.3.0/all.json");
        for run in [
            AttemptRun {
                error: Some("timed out after 5m".into()),
                ..AttemptRun::default()
            },
            // The test did not run at all (-run matched nothing): never a pass.
            AttemptRun {
                exit_code: Some(0),
                ..AttemptRun::default()
            },
        ] {
            let mut f = f0.clone();
            let policy = new_statuses(&f);
            let mut records = plan_default(&f);
            records.retain(|r| r.test.as_deref() == Some("TestLeakOnFirstAttempt"));
            run_records(&mut f, &mut records, vec![("TestLeakOnFirstAttempt", run)]);
            assert_eq!(records[0].outcome(), RetryOutcome::Inconclusive);
            assert_eq!(records[0].attempts.len(), 1);
            assert!(statuses(&f, &policy, &records)
                .iter()
                .all(|s| *s == LeakStatus::New));
        }
    }

    #[test]
    fn records_sharing_a_rerun_share_its_attempts() {
        // Two reports of one package, both rerun as the whole package.
        let f0 = retry_fixture("crosstest.json");
        let mut f = f0.clone();
        let mut records = plan(
            &f,
            &new_statuses(&f),
            &RetryConfig::default(),
            &Invocation::new(Base::GoTest(
                ["go", "test", "-shuffle=on", "./..."]
                    .map(String::from)
                    .to_vec(),
            )),
        );
        let mut twin = records[0].clone();
        twin.test = Some("TestOther".to_string());
        records.push(twin);
        let runner = run_records(
            &mut f,
            &mut records,
            vec![
                ("TestChecks", leaky(&f0, "/crosstest", Some("TestChecks"))),
                ("TestChecks", leaky(&f0, "/crosstest", Some("TestChecks"))),
            ],
        );
        assert_eq!(runner.seen.len(), 2, "one run per attempt number");
        for r in &records {
            assert_eq!(r.outcome(), RetryOutcome::Reproduced, "{r:?}");
        }
        let twin = &records[1];
        assert!(twin.attempts[0].message.contains("reported by TestChecks"));
    }

    #[test]
    fn a_command_that_cannot_be_built_is_not_retried() {
        let mut f = fixture("go1.26-goleak1.3.0/all.json");
        let base = Invocation::new(Base::GoTest(vec![
            "gotestsum".into(),
            "--".into(),
            "./...".into(),
        ]));
        let mut records = plan(&f, &new_statuses(&f), &RetryConfig::default(), &base);
        let runner = run_records(&mut f, &mut records, Vec::new());
        assert!(runner.seen.is_empty());
        let r = record(&records, "/flaky", Some("TestLeakOnFirstAttempt"));
        assert!(r.reason().contains("not `go test`"), "{}", r.reason());
        assert_eq!(r.outcome(), RetryOutcome::NotRetried);
    }

    #[test]
    fn rerun_directories() {
        let d = RerunDir::ModuleOf {
            root: PathBuf::from("/repo"),
            modules: vec![
                ("example.com/m/sub".to_string(), "sub".to_string()),
                ("example.com/m".to_string(), "".to_string()),
            ],
            fallback: PathBuf::from("/cwd"),
        };
        assert_eq!(
            d.for_package("example.com/m/sub/x"),
            PathBuf::from("/repo/sub")
        );
        assert_eq!(
            d.for_package("example.com/m/subway"),
            PathBuf::from("/repo/")
        );
        assert_eq!(d.for_package("example.com/m"), PathBuf::from("/repo/"));
        assert_eq!(d.for_package("other.org/x"), PathBuf::from("/cwd"));
        assert_eq!(
            RerunDir::Fixed(PathBuf::from("/w")).for_package("x"),
            PathBuf::from("/w")
        );
    }
}
