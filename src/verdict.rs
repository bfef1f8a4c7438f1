//! The verdict: one answer and an exit code from findings, the policy's
//! allowances and the retries, and the judged [`View`] every reporter
//! renders, computed once, here: each distinct leak with its status, the
//! rules that matched it, its retry and whether it fails the gate
//! ([`JudgedLeak`], by [`LeakKey`]); which failures fail the gate; how
//! every test and package ends at the gate; the counts.
//!
//! The gate's rules:
//!
//! * a distinct leak fails the gate when its status is new (or flaky under
//!   `retry.flaky: fail`); allowed leaks and test-harness goroutines do
//!   not ([`fails`], the one place this is decided);
//! * a failure the input states ([`Failure::condition`] `None`) fails it,
//!   goroutines a leak report did not show among them;
//! * a conditional failure fails it when nothing else in its node (the
//!   test and its subtests, or the whole package) fails the gate, unless
//!   the policy's `verdict:` section waives its condition. So an allowed
//!   leak never passes a test, a parent or a package that the output does
//!   not prove had no other failure;
//! * incomplete input (an input cut short, a package run without a result,
//!   no results at all) never passes: it fails on a failing leak or a
//!   failure the input states (not a test the end of the input cut off,
//!   [`Findings::cut_off`], nor a conditional one), and is an error
//!   otherwise. Either way the reasons say where the input ends
//!   ([`Analysis::incomplete`]);
//! * under `--strict`, a rule of the policy's own that matched nothing
//!   fails it.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::config::{FlakyMode, VerdictSettings};
use crate::exit;
use crate::findings::SourceRef;
use crate::findings::{
    distinct_leaks, DistinctLeak, Failure, Findings, Leak, LeakKey, NodeKey, TestOutcome,
    TestRecord,
};
use crate::policy::{Evaluation, PolicyOutcome};
use crate::retry::{outcome_of, records_of, RetryOutcome, RetryRecord};

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

/// What the run says of one distinct leak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeakStatus {
    /// Not allowed: fails the gate.
    New,
    /// Every goroutine of it matched an allow rule in force.
    Allowed {
        /// The ids of the rules that matched.
        rules: Vec<String>,
    },
    /// New in the first run, gone when retried (see [`crate::retry`]).
    Flaky {
        /// The 1-based retry attempt it was gone in.
        attempt: u32,
    },
    /// Test-harness goroutines (the testing framework's, or a parallel
    /// test's) listed beside a real leak: not a leak.
    Harness,
}

impl LeakStatus {
    /// The name used in reports.
    pub fn name(&self) -> &'static str {
        match self {
            LeakStatus::New => "new",
            LeakStatus::Allowed { .. } => "allowed",
            LeakStatus::Flaky { .. } => "flaky",
            LeakStatus::Harness => "harness",
        }
    }
}

/// Whether a leak with this status fails the gate: the one place it is
/// decided.
pub fn fails(status: &LeakStatus, flaky: FlakyMode) -> bool {
    match status {
        LeakStatus::New => true,
        LeakStatus::Allowed { .. } | LeakStatus::Harness => false,
        LeakStatus::Flaky { .. } => flaky == FlakyMode::Fail,
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

/// Counts every report states. Leaks are distinct leaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// New distinct leaks (gate-failing).
    pub new: usize,
    /// Distinct leaks the policy allows.
    pub allowed: usize,
    /// Flaky distinct leaks (gone on a retry).
    pub flaky: usize,
    /// Test-harness goroutines goleak listed (not leaks), by kind.
    pub harness: usize,
    /// Failures other than leaks that fail the gate.
    pub other_failures: usize,
}

/// One distinct leak, judged: what every reporter shows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgedLeak {
    /// The leak.
    pub leak: DistinctLeak,
    /// What the run says of it.
    pub status: LeakStatus,
    /// Rules in force that matched it (they allow it when it is allowed).
    pub rules: Vec<String>,
    /// Expired rules that matched it and would have allowed it.
    pub expired_rules: Vec<String>,
    /// What retrying did for it (`None`: not a new leak of the first run,
    /// or retries off).
    pub retry: Option<LeakRetry>,
    /// Whether it fails the gate.
    pub gates: bool,
}

/// What retrying did for one distinct leak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakRetry {
    /// The conclusion for this leak.
    pub outcome: RetryOutcome,
    /// Why it was (not) retried, for this leak alone.
    pub why: String,
    /// Whether its test or package was rerun.
    pub retried: bool,
    /// The rerun command, when one was planned.
    pub command: Option<Vec<String>>,
}

impl JudgedLeak {
    /// Its key.
    pub fn key(&self) -> &LeakKey {
        &self.leak.key
    }

    /// How reports show it: the one place a status maps to a section.
    pub fn class(&self) -> Class {
        match self.status {
            LeakStatus::New => Class::New,
            LeakStatus::Flaky { .. } => Class::Flaky,
            LeakStatus::Allowed { .. } if self.leak.harness => Class::Harness,
            LeakStatus::Allowed { .. } => Class::Allowed,
            LeakStatus::Harness => Class::Harness,
        }
    }
}

/// A leak report as the view judges it: evidence of its distinct leaks.
#[derive(Debug, Clone)]
pub struct ReportView<'a> {
    /// The most severe status among its leaks.
    pub status: &'a LeakStatus,
    /// Whether one of its leaks fails the gate.
    pub gates: bool,
    /// Rules in force that matched its leaks.
    pub rules: Vec<&'a str>,
    /// Expired rules that would have allowed its leaks.
    pub expired_rules: Vec<&'a str>,
    /// Its distinct leaks, most important first.
    pub leaks: Vec<&'a JudgedLeak>,
}

/// The judged view: computed once by [`judge`], rendered by every
/// reporter.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Every distinct leak, most important first.
    leaks: Vec<JudgedLeak>,
    /// Where each is in `leaks`, by key.
    by_key: FxHashMap<LeakKey, usize>,
    /// Ids ([`Failure::id`]) of the failures that fail the gate.
    gating: FxHashSet<u32>,
    /// How each node that holds something (a failed or unfinished test
    /// attempt, a package level with a leak or failure) ends at the gate.
    gates: FxHashMap<NodeKey, Gate>,
    /// The counts.
    pub tally: Tally,
}

/// Findings, judged: what reporters get.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Everything found.
    pub findings: Findings,
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
    /// Every rerun: one record per test or package that first reported a
    /// new leak (empty when retries are off).
    pub retries: Vec<RetryRecord>,
    /// What a flaky leak does to the verdict.
    pub flaky: FlakyMode,
    /// The policy's rules and how they fared.
    pub policy: PolicyOutcome,
    /// The judged view.
    pub view: View,
}

/// How [`judge`] judges.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The policy is the embedded default (no file).
    pub default_policy: bool,
    /// What a flaky leak does to the verdict.
    pub flaky: FlakyMode,
    /// The policy's `verdict:` section.
    pub settings: VerdictSettings,
}

/// Each distinct leak with its status.
fn judged_leaks(
    findings: &Findings,
    eval: &Evaluation,
    retries: &[RetryRecord],
    flaky: FlakyMode,
) -> Vec<JudgedLeak> {
    let mut out: Vec<JudgedLeak> = distinct_leaks(findings)
        .into_iter()
        .map(|leak| {
            let allowance = eval.of(&leak.key);
            let records: Vec<&RetryRecord> = records_of(retries, &leak.key).collect();
            let retry = outcome_of(retries, &leak.key).map(|outcome| LeakRetry {
                outcome,
                why: match records.as_slice() {
                    [one] => one.reason_of(&leak.key).to_string(),
                    several => several
                        .iter()
                        .map(|r| format!("{}: {}", r.who(), r.reason_of(&leak.key)))
                        .collect::<Vec<_>>()
                        .join("; "),
                },
                retried: records.iter().any(|r| r.retried()),
                command: records
                    .iter()
                    .find_map(|r| r.command())
                    .map(<[String]>::to_vec),
            });
            let rules = allowance.map(|a| a.rules.clone()).unwrap_or_default();
            let status = match (allowance, &retry) {
                (Some(a), _) if a.allowed && leak.harness && rules.is_empty() => {
                    LeakStatus::Harness
                }
                (Some(a), _) if a.allowed => LeakStatus::Allowed {
                    rules: rules.clone(),
                },
                (
                    _,
                    Some(LeakRetry {
                        outcome: RetryOutcome::Flaky { attempt },
                        ..
                    }),
                ) => LeakStatus::Flaky { attempt: *attempt },
                _ => LeakStatus::New,
            };
            let gates = fails(&status, flaky);
            JudgedLeak {
                expired_rules: allowance.map(|a| a.expired.clone()).unwrap_or_default(),
                leak,
                status,
                rules,
                retry,
                gates,
            }
        })
        .collect();
    // Most important first: failing before the rest, real before harness,
    // more goroutines first, then by origin.
    out.sort_by(|a, b| {
        let rank = |j: &JudgedLeak| (!j.gates, j.class(), j.leak.harness);
        rank(a)
            .cmp(&rank(b))
            .then(b.leak.goroutines.cmp(&a.leak.goroutines))
            .then_with(|| origin_key(&a.leak).cmp(&origin_key(&b.leak)))
    });
    out
}

/// Which failures fail the gate: stated ones always, conditional ones when
/// nothing else in their node does and the settings do not waive them.
fn gating_failures(
    findings: &Findings,
    leaks: &[JudgedLeak],
    settings: VerdictSettings,
) -> FxHashSet<u32> {
    let failing_leaks: Vec<&NodeKey> = leaks
        .iter()
        .filter(|l| l.gates)
        .flat_map(|l| l.leak.nodes.iter().map(|s| &s.node))
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

/// Judges findings: the policy's allowances (`eval`, `policy`), the
/// retries and the options give each distinct leak its status, and the
/// run its verdict and view.
pub fn judge(
    findings: Findings,
    eval: &Evaluation,
    policy: PolicyOutcome,
    retries: Vec<RetryRecord>,
    options: Options,
) -> Analysis {
    let leaks = judged_leaks(&findings, eval, &retries, options.flaky);
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
    let gating = gating_failures(&findings, &leaks, options.settings);
    let new_leaks = leaks
        .iter()
        .filter(|l| l.gates && l.status == LeakStatus::New)
        .count();
    let flaky_failing = leaks
        .iter()
        .filter(|l| l.gates && matches!(l.status, LeakStatus::Flaky { .. }))
        .count();
    // In incomplete input only what the input states fails the run: a
    // failing leak, or a failure that is neither conditional (the rest of
    // the output could have explained it) nor a test the end of the input
    // cut off. Anything less cannot be judged: never a pass.
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
    let mut verdict = if !failed && !incomplete.is_empty() {
        reasons.extend(incomplete.iter().cloned());
        Verdict::Error
    } else if !failed {
        Verdict::Pass
    } else {
        if new_leaks > 0 {
            reasons.push(format!("{new_leaks} new leak{}", plural(new_leaks)));
        }
        if flaky_failing > 0 {
            reasons.push(format!(
                "{flaky_failing} flaky leak{} (retry.flaky: fail)",
                plural(flaky_failing)
            ));
        }
        let others = gating.len();
        if others > 0 {
            reasons.push(format!("{others} other failure{}", plural(others)));
        }
        for f in findings.failures.iter().filter(|f| gating.contains(&f.id)) {
            if let Some(c) = f.condition {
                let package = f
                    .package
                    .as_deref()
                    .unwrap_or(crate::findings::UNKNOWN_PACKAGE);
                let who = match &f.test {
                    Some(t) => format!("{package} {t}"),
                    None => format!("{package} (package level)"),
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
    if verdict != Verdict::Error {
        policy_reasons(&policy, &mut verdict, &mut reasons);
    }
    let view = View::new(&findings, leaks, gating);
    Analysis {
        findings,
        verdict,
        reasons,
        incomplete,
        default_policy: options.default_policy,
        retries,
        flaky: options.flaky,
        policy,
        view,
    }
}

/// Expired rules that matched are named among the reasons, and under
/// `--strict` rules of the policy that matched nothing fail the gate.
fn policy_reasons(outcome: &PolicyOutcome, verdict: &mut Verdict, reasons: &mut Vec<String>) {
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
        reasons.push(format!(
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
            *verdict = Verdict::Fail;
            reasons.push(format!(
                "{} unused rule{} (--strict): {}",
                unused.len(),
                plural(unused.len()),
                unused.join(", ")
            ));
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl View {
    fn new(findings: &Findings, leaks: Vec<JudgedLeak>, gating: FxHashSet<u32>) -> View {
        let rank = |g: Gate| match g {
            Gate::Fail => 3,
            Gate::Flaky => 2,
            Gate::Allowed => 1,
            _ => 0,
        };
        let mut gates: FxHashMap<NodeKey, Gate> = FxHashMap::default();
        for l in &leaks {
            let g = if l.gates {
                Gate::Fail
            } else if matches!(l.status, LeakStatus::Flaky { .. }) {
                Gate::Flaky
            } else {
                Gate::Allowed
            };
            for s in &l.leak.nodes {
                let e = gates.entry(s.node.clone()).or_insert(g);
                if rank(g) > rank(*e) {
                    *e = g;
                }
            }
        }
        for f in findings.failures.iter().filter(|f| gating.contains(&f.id)) {
            gates.insert(f.node.clone(), Gate::Fail);
        }
        let mut tally = Tally {
            other_failures: gating.len(),
            ..Tally::default()
        };
        for l in &leaks {
            match l.class() {
                Class::New => tally.new += 1,
                Class::Flaky => tally.flaky += 1,
                Class::Allowed => tally.allowed += 1,
                Class::Harness => tally.harness += 1,
            }
        }
        let by_key = leaks
            .iter()
            .enumerate()
            .map(|(i, l)| (l.leak.key.clone(), i))
            .collect();
        View {
            leaks,
            by_key,
            gating,
            gates,
            tally,
        }
    }

    /// Every distinct leak, most important first.
    pub fn leaks(&self) -> &[JudgedLeak] {
        &self.leaks
    }

    /// A distinct leak by key.
    pub fn leak(&self, key: &LeakKey) -> Option<&JudgedLeak> {
        self.by_key.get(key).and_then(|&i| self.leaks.get(i))
    }

    /// The distinct leaks a node's reports listed, most important first.
    pub fn leaks_of<'a>(&'a self, node: &'a NodeKey) -> impl Iterator<Item = &'a JudgedLeak> {
        self.leaks
            .iter()
            .filter(move |l| l.leak.sighting(node).is_some())
    }

    /// What a leak report (evidence) shows, judged through its distinct
    /// leaks: the most severe status among them (new, flaky, allowed,
    /// harness), whether one fails the gate, and their rules.
    pub fn report(&self, report: &Leak) -> ReportView<'_> {
        let mut shown: Vec<&JudgedLeak> = Vec::new();
        for g in &report.goroutines {
            if let Some(j) = self.leak(&LeakKey::of(g)) {
                if !shown.iter().any(|s| s.leak.key == j.leak.key) {
                    shown.push(j);
                }
            }
        }
        let rank = |j: &JudgedLeak| match (j.gates, &j.status) {
            (true, _) => 0,
            (false, LeakStatus::Flaky { .. }) => 1,
            (false, LeakStatus::New) => 2,
            (false, LeakStatus::Allowed { .. }) => 3,
            (false, LeakStatus::Harness) => 4,
        };
        let worst = shown.iter().copied().min_by_key(|j| rank(j));
        let mut rules: Vec<&str> = Vec::new();
        let mut expired: Vec<&str> = Vec::new();
        for j in &shown {
            for r in &j.rules {
                if !rules.contains(&r.as_str()) {
                    rules.push(r);
                }
            }
            for r in &j.expired_rules {
                if !expired.contains(&r.as_str()) {
                    expired.push(r);
                }
            }
        }
        ReportView {
            status: worst.map_or(&LeakStatus::New, |j| &j.status),
            gates: shown.iter().any(|j| j.gates),
            rules,
            expired_rules: expired,
            leaks: shown,
        }
    }

    /// Whether a failure fails the gate.
    pub fn fails_gate(&self, f: &Failure) -> bool {
        self.gating.contains(&f.id)
    }

    /// How a node that holds a leak or a gate-failing failure ends at the
    /// gate (`None`: it holds neither).
    pub fn node_gate(&self, node: &NodeKey) -> Option<Gate> {
        self.gates.get(node).copied()
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

impl Analysis {
    /// Failures other than leaks that fail the gate, in order.
    pub fn other_failures(&self) -> impl Iterator<Item = &Failure> {
        self.findings
            .failures
            .iter()
            .filter(|f| self.view.fails_gate(f))
    }

    /// Every distinct leak, judged, most important first.
    pub fn leaks(&self) -> &[JudgedLeak] {
        self.view.leaks()
    }

    /// The counts every report states.
    pub fn tally(&self) -> Tally {
        self.view.tally
    }

    /// Where a failure is placed in the repository, if anywhere.
    pub fn failure_place<'a>(&self, f: &'a Failure) -> Option<&'a SourceRef> {
        f.location.as_ref().filter(|l| l.in_repo)
    }

    /// The rerun records of a distinct leak: one per test or package that
    /// reported it.
    pub fn retry_records<'a>(&'a self, key: &'a LeakKey) -> impl Iterator<Item = &'a RetryRecord> {
        records_of(&self.retries, key)
    }
}

fn origin_key(d: &DistinctLeak) -> (&str, u32) {
    d.example
        .origin
        .as_ref()
        .map(|o| (o.file.as_str(), o.line))
        .unwrap_or(("", 0))
}
