//! The verdict: one answer and an exit code from findings and policy, and
//! the digest every reporter prints (distinct leaks, in order of
//! importance).

use std::collections::HashMap;

use crate::exit;
use crate::findings::{Failure, FailureKind, Findings, Leak, LeakedGoroutine};
use crate::policy::{LeakStatus, PolicyOutcome};
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
    /// Whether the policy was the embedded default.
    pub default_policy: bool,
    /// What retrying did, one record per test or package with a new leak
    /// report (empty when retries are off).
    pub retries: Vec<RetryRecord>,
    /// What a flaky leak does to the verdict.
    pub flaky: FlakyMode,
    /// The policy's rules and how they fared.
    pub policy: PolicyOutcome,
}

/// A leak as a person thinks of it: goroutines of one fingerprint, across
/// every report and test that listed them.
#[derive(Debug, Clone)]
pub struct DistinctLeak<'a> {
    /// The shared fingerprint.
    pub fingerprint: &'a str,
    /// The first goroutine seen with it.
    pub example: &'a LeakedGoroutine,
    /// Goroutines with this fingerprint over all reports.
    pub goroutines: usize,
    /// Largest number in a single report (fifty workers: 50).
    pub max_in_report: usize,
    /// (package, test) of every report that listed it, in order.
    pub reporters: Vec<(Option<&'a str>, Option<&'a str>)>,
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

/// A failure is covered when it is a leak failure whose reports are all
/// allowed (or flaky, under `flaky: pass`).
fn failure_is_allowed(
    f: &Failure,
    findings: &Findings,
    statuses: &[LeakStatus],
    flaky: FlakyMode,
) -> bool {
    if f.kind != FailureKind::Leak {
        return false;
    }
    let mut any = false;
    for (leak, status) in findings.leaks.iter().zip(statuses) {
        if leak.package == f.package && leak.test == f.test {
            any = true;
            if fails(status, flaky) {
                return false;
            }
        }
    }
    any
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
    let mut reasons = Vec::new();
    for input in &findings.inputs {
        if let Some(why) = &input.incomplete {
            reasons.push(format!("{} is incomplete: {why}", input.path));
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
        reasons.push(format!("{place}{}", p.message));
    }
    let verdict = if !reasons.is_empty() {
        Verdict::Error
    } else {
        let failing: Vec<&Failure> = findings
            .failures
            .iter()
            .filter(|f| !failure_is_allowed(f, &findings, &statuses, flaky))
            .collect();
        let new_leaks = statuses
            .iter()
            .filter(|s| matches!(s, LeakStatus::New))
            .count();
        let flaky_failing = statuses
            .iter()
            .filter(|s| matches!(s, LeakStatus::Flaky { .. }) && fails(s, flaky))
            .count();
        if failing.is_empty() && new_leaks == 0 && flaky_failing == 0 {
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
            let others = failing
                .iter()
                .filter(|f| f.kind != FailureKind::Leak)
                .count();
            if others > 0 {
                reasons.push(format!("{others} other failure{}", plural(others)));
            }
            Verdict::Fail
        }
    };
    Analysis {
        findings,
        statuses,
        verdict,
        reasons,
        default_policy,
        retries,
        flaky,
        policy: PolicyOutcome::default(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
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

    /// Failures that fail the gate (not covered by allowed leaks), leak
    /// failures excluded (leaks are reported as leaks).
    pub fn other_failures(&self) -> impl Iterator<Item = &Failure> {
        self.findings
            .failures
            .iter()
            .filter(|f| f.kind != FailureKind::Leak)
    }

    /// Leak reports with their statuses.
    pub fn leaks(&self) -> impl Iterator<Item = (&Leak, &LeakStatus)> {
        self.findings.leaks.iter().zip(self.statuses.iter())
    }

    /// Distinct leaks, most important first: new before allowed, real
    /// before harness, more goroutines first, then by origin.
    pub fn distinct_leaks(&self) -> Vec<DistinctLeak<'_>> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut out: Vec<DistinctLeak<'_>> = Vec::new();
        for (leak, status) in self.leaks() {
            let mut in_report: HashMap<&str, usize> = HashMap::new();
            for g in &leak.goroutines {
                *in_report.entry(g.fingerprint.as_str()).or_default() += 1;
                let i = *index.entry(g.fingerprint.as_str()).or_insert_with(|| {
                    out.push(DistinctLeak {
                        fingerprint: g.fingerprint.as_str(),
                        example: g,
                        goroutines: 0,
                        max_in_report: 0,
                        reporters: Vec::new(),
                        status,
                        harness: true,
                    });
                    out.len() - 1
                });
                let d = &mut out[i];
                d.goroutines += 1;
                d.harness &= g.harness.is_some();
                let who = (leak.package.as_deref(), leak.test.as_deref());
                if !d.reporters.contains(&who) {
                    d.reporters.push(who);
                }
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
}

fn origin_key<'a>(d: &DistinctLeak<'a>) -> (&'a str, u32) {
    d.example
        .origin
        .as_ref()
        .map(|o| (o.file.as_str(), o.line))
        .unwrap_or(("", 0))
}
