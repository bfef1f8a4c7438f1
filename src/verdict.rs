//! The verdict: one answer and an exit code from findings and policy, and
//! the judged [`View`] every reporter renders (which failures fail the
//! gate, how each test ends at the gate, distinct leaks and their counts),
//! computed once, here.
//!
//! The gate's rules:
//!
//! * a leak report fails the gate when its status is new (or flaky under
//!   `retry.flaky: fail`); allowed leaks do not;
//! * a failure the input states ([`Failure::condition`] `None`) fails it;
//! * a conditional failure fails it when nothing else in its node (the
//!   test and its subtests, or the whole package) fails the gate, unless
//!   the policy's `verdict:` section waives its condition. So an allowed
//!   leak never passes a test, a parent or a package that the output does
//!   not prove had no other failure;
//! * incomplete input (an input cut short, a package run without a result,
//!   no results at all) never passes: it fails on a failing leak report or
//!   a failure the input states (not a test the end of the input cut off,
//!   [`Findings::cut_off`], nor a conditional one), and is an error
//!   otherwise. Either way the reasons say where the input ends
//!   ([`Analysis::incomplete`]).

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::exit;
use crate::findings::{
    Failure, FailureKind, Findings, Leak, LeakedGoroutine, NodeKey, TestOutcome, TestRecord,
};
use crate::paths::SourceRef;
use crate::policy::{LeakStatus, PolicyOutcome, VerdictSettings};
use crate::retry::{FlakyMode, RetryRecord};

/// The gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing new failed.
    Pass,
    /// A new leak or another failure.
    Fail,
    /// The run could not be judged.
    Error,
}

impl Verdict {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }

    /// The process exit code, see [`crate::exit`].
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Pass => exit::PASS,
            Verdict::Fail => exit::FAIL,
            Verdict::Error => exit::ERROR,
        }
    }
}

/// How one test attempt ends at the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gate {
    /// It passed.
    Pass,
    /// It was skipped.
    Skip,
    /// It fails the gate: a new leak or another failure of its own.
    Fail,
    /// It failed, and everything of its own is an allowed leak.
    Allowed,
    /// It failed with a leak that went away on a retry.
    Flaky,
    /// It failed only because a subtest failed; nothing of its own.
    Child,
}

impl Gate {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Gate::Pass => "pass",
            Gate::Skip => "skip",
            Gate::Fail => "fail",
            Gate::Allowed => "allowed",
            Gate::Flaky => "flaky",
            Gate::Child => "child",
        }
    }
}

/// How a distinct leak is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Fails the gate.
    New,
    /// Leaked on the first run, gone on a retry.
    Flaky,
    /// Known and allowed by the policy.
    Allowed,
    /// A test-harness goroutine goleak cannot tell from a leak.
    Harness,
}

/// Counts every report states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// New (gate-failing) distinct leaks, test-harness goroutines excluded.
    pub new: usize,
    /// Allowed by the policy (harness goroutines excluded).
    pub allowed: usize,
    /// Flaky (seen on some attempts only).
    pub flaky: usize,
    /// Test-harness goroutines goleak listed (not leaks).
    pub harness: usize,
    /// Failures other than leaks that fail the gate.
    pub other_failures: usize,
}

/// The judged view: computed once by [`judge`], rendered by every
/// reporter.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Ids ([`Failure::id`]) of the failures that fail the gate.
    gating: FxHashSet<u32>,
    /// How each test attempt ends at the gate.
    gates: FxHashMap<NodeKey, Gate>,
    /// The counts.
    pub tally: Tally,
}

/// Findings with the policy's statuses and the verdict: what reporters get.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Everything found.
    pub findings: Findings,
    /// One status per leak report, parallel to `findings.leaks`.
    pub statuses: Vec<LeakStatus>,
    /// The answer.
    pub verdict: Verdict,
    /// Why, in a few lines (the first is the headline).
    pub reasons: Vec<String>,
    /// Where the input is incomplete or cannot be judged in full (also
    /// among `reasons`), each naming the input and the line where it ends.
    /// Not empty: the verdict is `Error`, or `Fail` on what the input shows.
    pub incomplete: Vec<String>,
    /// Whether the policy was the embedded default.
    pub default_policy: bool,
    /// What retrying did, one record per test or package with a new leak
    /// report (empty when retries are off).
    pub retries: Vec<RetryRecord>,
    /// What a flaky leak does to the verdict.
    pub flaky: FlakyMode,
    /// The policy's rules and how they fared.
    pub policy: PolicyOutcome,
    /// The judged view.
    pub view: View,
}

/// A leak as a person thinks of it: goroutines of one fingerprint, across
/// every report and test that listed them.
#[derive(Debug, Clone)]
pub struct DistinctLeak<'a> {
    /// The shared fingerprint.
    pub fingerprint: &'a str,
    /// The first goroutine seen with it.
    pub example: &'a LeakedGoroutine,
    /// Distinct goroutines with this fingerprint: a goroutine that several
    /// reports of one test binary list (same goroutine id) counts once.
    pub goroutines: usize,
    /// How many times reports listed them.
    pub sightings: usize,
    /// Largest number in a single report (fifty workers: 50).
    pub max_in_report: usize,
    /// (package, test) of every report that first listed one of them, in
    /// order.
    pub reporters: Vec<(Option<&'a str>, Option<&'a str>)>,
    /// (package, test) of reports that only listed goroutines reported
    /// earlier by another test of the same binary (goleak reports a
    /// goroutine in every check that runs after it leaked).
    pub seen_again: Vec<(Option<&'a str>, Option<&'a str>)>,
    /// Its status: new if any report listing it is new.
    pub status: &'a LeakStatus,
    /// Whether every instance is a test-harness goroutine.
    pub harness: bool,
}

/// Whether a leak report with this status fails the gate.
fn fails(status: &LeakStatus, flaky: FlakyMode) -> bool {
    match status {
        LeakStatus::New => true,
        LeakStatus::Allowed { .. } => false,
        LeakStatus::Flaky { .. } => flaky == FlakyMode::Fail,
    }
}

/// Judges findings under the policy's statuses.
pub fn judge(findings: Findings, statuses: Vec<LeakStatus>, default_policy: bool) -> Analysis {
    judge_retried(
        findings,
        statuses,
        default_policy,
        Vec::new(),
        FlakyMode::Pass,
    )
}

/// Judges findings after retries: flaky statuses pass or fail the gate as
/// `flaky` says, and the records are kept for the reports.
pub fn judge_retried(
    findings: Findings,
    statuses: Vec<LeakStatus>,
    default_policy: bool,
    retries: Vec<RetryRecord>,
    flaky: FlakyMode,
) -> Analysis {
    judge_with(
        findings,
        statuses,
        default_policy,
        retries,
        flaky,
        VerdictSettings::default(),
    )
}

/// Which failures fail the gate: stated ones always, conditional ones when
/// nothing else in their node does and the settings do not waive them.
fn gating_failures(
    findings: &Findings,
    statuses: &[LeakStatus],
    flaky: FlakyMode,
    settings: VerdictSettings,
) -> FxHashSet<u32> {
    let failing_leaks: Vec<&NodeKey> = findings
        .leaks
        .iter()
        .zip(statuses)
        .filter(|(_, s)| fails(s, flaky))
        .map(|(l, _)| &l.node)
        .collect();
    let stated: Vec<&Failure> = findings
        .failures
        .iter()
        .filter(|f| f.condition.is_none())
        .collect();
    let mut gating: FxHashSet<u32> = stated.iter().map(|f| f.id).collect();
    // Deepest first: a conditional failure below explains one above (the
    // package level is the shallowest of all).
    let depth = |n: &NodeKey| n.test.as_deref().map_or(0, |t| 1 + t.matches('/').count());
    let mut conditional: Vec<&Failure> = findings
        .failures
        .iter()
        .filter(|f| f.condition.is_some_and(|c| !settings.waives(c)))
        .collect();
    conditional.sort_by_key(|f| std::cmp::Reverse(depth(&f.node)));
    let mut gating_below: Vec<&NodeKey> = Vec::new();
    for f in conditional {
        let scope = &f.node;
        let explained = failing_leaks.iter().any(|n| scope.contains(n))
            || stated.iter().any(|g| scope.contains(&g.node))
            || gating_below
                .iter()
                .any(|n| *n != scope && scope.contains(n));
        if !explained {
            gating.insert(f.id);
            gating_below.push(scope);
        }
    }
    gating
}

/// Judges findings with the policy's `verdict:` settings.
pub fn judge_with(
    findings: Findings,
    statuses: Vec<LeakStatus>,
    default_policy: bool,
    retries: Vec<RetryRecord>,
    flaky: FlakyMode,
    settings: VerdictSettings,
) -> Analysis {
    // Why the input cannot be judged in full: an input that is incomplete
    // (a cut line, an unclosed XML root, a run that was stopped), a package
    // run that never reported a result, no results at all.
    let mut incomplete = Vec::new();
    for input in &findings.inputs {
        if let Some(why) = &input.incomplete {
            incomplete.push(format!("{} is incomplete: {why}", input.path));
        }
    }
    for p in &findings.problems {
        let place =
            p.at.and_then(|at| findings.inputs.get(at.input).map(|i| (i, at.line)))
                .map(|(i, line)| {
                    if line > 0 {
                        format!("{}:{line}: ", i.path)
                    } else {
                        format!("{}: ", i.path)
                    }
                })
                .unwrap_or_default();
        incomplete.push(format!("{place}{}", p.message));
    }
    let gating = gating_failures(&findings, &statuses, flaky, settings);
    let new_leaks = statuses
        .iter()
        .filter(|s| matches!(s, LeakStatus::New))
        .count();
    let flaky_failing = statuses
        .iter()
        .filter(|s| matches!(s, LeakStatus::Flaky { .. }) && fails(s, flaky))
        .count();
    // In incomplete input only what the input states fails the run: a
    // failing leak report, or a failure that is neither conditional (the
    // rest of the output could have explained it) nor a test the end of
    // the input cut off. Anything less cannot be judged: never a pass.
    let failed = if incomplete.is_empty() {
        !gating.is_empty() || new_leaks > 0 || flaky_failing > 0
    } else {
        new_leaks > 0
            || flaky_failing > 0
            || findings
                .failures
                .iter()
                .any(|f| gating.contains(&f.id) && f.condition.is_none() && !findings.cut_off(f))
    };
    let mut reasons = Vec::new();
    let verdict = if !failed && !incomplete.is_empty() {
        reasons.extend(incomplete.iter().cloned());
        Verdict::Error
    } else if !failed {
        Verdict::Pass
    } else {
        if new_leaks > 0 {
            reasons.push(format!("{new_leaks} new leak report{}", plural(new_leaks)));
        }
        if flaky_failing > 0 {
            reasons.push(format!(
                "{flaky_failing} flaky leak report{} (retry.flaky: fail)",
                plural(flaky_failing)
            ));
        }
        let others = gating.len();
        if others > 0 {
            reasons.push(format!("{others} other failure{}", plural(others)));
        }
        for f in findings.failures.iter().filter(|f| gating.contains(&f.id)) {
            if let Some(c) = f.condition {
                let who = match &f.test {
                    Some(t) => format!(
                        "{} {t}",
                        f.package
                            .as_deref()
                            .unwrap_or(crate::findings::UNKNOWN_PACKAGE)
                    ),
                    None => format!(
                        "{} (package level)",
                        f.package
                            .as_deref()
                            .unwrap_or(crate::findings::UNKNOWN_PACKAGE)
                    ),
                };
                let waive = c
                    .setting()
                    .map(|s| format!(" (if that cannot happen in this repository, say so with `verdict: {{{s}: true}}` in .leakgate.yml)"))
                    .unwrap_or_default();
                reasons.push(format!(
                    "{who}: only allowed leaks were found, but it cannot pass: {}{waive}",
                    c.why()
                ));
            }
        }
        // The run failed on what the input shows; it also says where
        // the input is incomplete.
        reasons.extend(incomplete.iter().cloned());
        Verdict::Fail
    };
    let mut a = Analysis {
        findings,
        statuses,
        verdict,
        reasons,
        incomplete,
        default_policy,
        retries,
        flaky,
        policy: PolicyOutcome::default(),
        view: View::default(),
    };
    a.view = View::new(&a, gating);
    a
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl View {
    fn new(a: &Analysis, gating: FxHashSet<u32>) -> View {
        let mut own: FxHashMap<&NodeKey, Gate> = FxHashMap::default();
        let rank = |g: Gate| match g {
            Gate::Fail => 3,
            Gate::Flaky => 2,
            Gate::Allowed => 1,
            _ => 0,
        };
        for (l, s) in a.findings.leaks.iter().zip(&a.statuses) {
            let g = if fails(s, a.flaky) {
                Gate::Fail
            } else if matches!(s, LeakStatus::Flaky { .. }) {
                Gate::Flaky
            } else {
                Gate::Allowed
            };
            let e = own.entry(&l.node).or_insert(g);
            if rank(g) > rank(*e) {
                *e = g;
            }
        }
        for f in a
            .findings
            .failures
            .iter()
            .filter(|f| gating.contains(&f.id))
        {
            own.insert(&f.node, Gate::Fail);
        }
        // Failed and unfinished attempts (a passed or skipped one's gate is
        // its outcome).
        let mut gates = FxHashMap::default();
        for t in &a.findings.tests {
            if let TestOutcome::Fail | TestOutcome::Unfinished = t.outcome {
                gates.insert(
                    t.node.clone(),
                    own.get(&t.node).copied().unwrap_or(Gate::Child),
                );
            }
        }
        let mut view = View {
            gating,
            gates,
            tally: Tally::default(),
        };
        let distinct = a.distinct_leaks_with(&view);
        let mut t = Tally {
            other_failures: a
                .findings
                .failures
                .iter()
                .filter(|f| f.kind != FailureKind::Leak && view.gating.contains(&f.id))
                .count(),
            ..Tally::default()
        };
        for d in &distinct {
            match class(d) {
                Class::New => t.new += 1,
                Class::Flaky => t.flaky += 1,
                Class::Allowed => t.allowed += 1,
                Class::Harness => t.harness += 1,
            }
        }
        view.tally = t;
        view
    }

    /// Whether a failure fails the gate.
    pub fn fails_gate(&self, f: &Failure) -> bool {
        self.gating.contains(&f.id)
    }

    /// How a test attempt ends at the gate.
    pub fn gate_of(&self, t: &crate::findings::TestItem<'_>) -> Gate {
        match t.record {
            Some(r) => self.gate(r),
            None if t.outcome == TestOutcome::Skip => Gate::Skip,
            None => Gate::Pass,
        }
    }

    /// How a test attempt ends at the gate.
    pub fn gate(&self, t: &TestRecord) -> Gate {
        match t.outcome {
            TestOutcome::Pass => Gate::Pass,
            TestOutcome::Skip => Gate::Skip,
            TestOutcome::Fail | TestOutcome::Unfinished => {
                self.gates.get(&t.node).copied().unwrap_or(Gate::Child)
            }
        }
    }
}

/// The class of a distinct leak. The one place that maps a
/// [`LeakStatus`] to how reports show it.
pub fn class(d: &DistinctLeak<'_>) -> Class {
    if d.harness {
        return Class::Harness;
    }
    match d.status {
        LeakStatus::New => Class::New,
        LeakStatus::Allowed { .. } => Class::Allowed,
        LeakStatus::Flaky { .. } => Class::Flaky,
    }
}

impl Analysis {
    /// Adds the policy's outcome: expired rules that matched are named
    /// among the reasons, and under `--strict` rules of the policy that
    /// matched nothing fail the gate.
    pub fn with_policy(mut self, outcome: PolicyOutcome) -> Analysis {
        if self.verdict != Verdict::Error {
            for r in outcome
                .rules
                .iter()
                .filter(|r| r.usage.expired && !r.usage.unused())
            {
                let until = r
                    .rule
                    .expires
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default();
                self.reasons.push(format!(
                    "rule `{}` ({}) expired{until}; the leaks it matched are new again",
                    r.rule.id,
                    r.rule.place()
                ));
            }
            if outcome.strict {
                let unused: Vec<String> = outcome
                    .rules
                    .iter()
                    .filter(|r| r.strict_failure())
                    .map(|r| format!("`{}` ({})", r.rule.id, r.rule.place()))
                    .collect();
                if !unused.is_empty() {
                    self.verdict = Verdict::Fail;
                    self.reasons.push(format!(
                        "{} unused rule{} (--strict): {}",
                        unused.len(),
                        plural(unused.len()),
                        unused.join(", ")
                    ));
                }
            }
        }
        self.policy = outcome;
        self
    }

    /// Failures other than leaks that fail the gate, in order.
    pub fn other_failures(&self) -> impl Iterator<Item = &Failure> {
        self.findings
            .failures
            .iter()
            .filter(|f| f.kind != FailureKind::Leak && self.view.fails_gate(f))
    }

    /// Leak reports with their statuses.
    pub fn leaks(&self) -> impl Iterator<Item = (&Leak, &LeakStatus)> {
        self.findings.leaks.iter().zip(self.statuses.iter())
    }

    /// The counts every report states.
    pub fn tally(&self) -> Tally {
        self.view.tally
    }

    /// Distinct leaks, most important first: new before allowed, real
    /// before harness, more goroutines first, then by origin.
    pub fn distinct_leaks(&self) -> Vec<DistinctLeak<'_>> {
        self.distinct_leaks_with(&self.view)
    }

    fn distinct_leaks_with(&self, _view: &View) -> Vec<DistinctLeak<'_>> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut out: Vec<DistinctLeak<'_>> = Vec::new();
        // Goroutines already counted: (input, package run, goroutine id).
        let mut counted: FxHashSet<(usize, u32, u64)> = FxHashSet::default();
        for (leak, status) in self.leaks() {
            let mut in_report: HashMap<&str, usize> = HashMap::new();
            for g in &leak.goroutines {
                *in_report.entry(g.fingerprint.as_str()).or_default() += 1;
                let i = *index.entry(g.fingerprint.as_str()).or_insert_with(|| {
                    out.push(DistinctLeak {
                        fingerprint: g.fingerprint.as_str(),
                        example: g,
                        goroutines: 0,
                        sightings: 0,
                        max_in_report: 0,
                        reporters: Vec::new(),
                        seen_again: Vec::new(),
                        status,
                        harness: true,
                    });
                    out.len() - 1
                });
                let d = &mut out[i];
                d.sightings += 1;
                let id = g.goroutine.id;
                let first_time = id == 0 || counted.insert((leak.node.input, leak.node.run, id));
                let who = (leak.package.as_deref(), leak.test.as_deref());
                if first_time {
                    d.goroutines += 1;
                    if !d.reporters.contains(&who) {
                        d.reporters.push(who);
                    }
                    d.seen_again.retain(|w| *w != who);
                } else if !d.reporters.contains(&who) && !d.seen_again.contains(&who) {
                    d.seen_again.push(who);
                }
                d.harness &= g.harness.is_some();
                if matches!(status, LeakStatus::New) {
                    d.status = status;
                }
            }
            for (fp, n) in in_report {
                if let Some(&i) = index.get(fp) {
                    out[i].max_in_report = out[i].max_in_report.max(n);
                }
            }
        }
        out.sort_by(|a, b| {
            let rank = |d: &DistinctLeak<'_>| (!matches!(d.status, LeakStatus::New), d.harness);
            rank(a)
                .cmp(&rank(b))
                .then(b.goroutines.cmp(&a.goroutines))
                .then_with(|| origin_key(a).cmp(&origin_key(b)))
        });
        out
    }

    /// Where a failure is placed in the repository, if anywhere.
    pub fn failure_place<'a>(&self, f: &'a Failure) -> Option<&'a SourceRef> {
        f.location.as_ref().filter(|l| l.in_repo)
    }
}

fn origin_key<'a>(d: &DistinctLeak<'a>) -> (&'a str, u32) {
    d.example
        .origin
        .as_ref()
        .map(|o| (o.file.as_str(), o.line))
        .unwrap_or(("", 0))
}
