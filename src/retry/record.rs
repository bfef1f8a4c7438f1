//! What retrying did: every attempt of a rerun as a list, records keyed by
//! report and leak, and each leak's outcome derived from the attempts.

use std::time::Duration;

use crate::events::Loc;
use crate::findings::{Leak, LeakKey, NodeKey};

use super::*;

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
    /// Its test (or package), for a person: `pkg TestX`, or `pkg`.
    pub fn who(&self) -> String {
        let p = self
            .package
            .as_deref()
            .unwrap_or(crate::findings::UNKNOWN_PACKAGE);
        match &self.test {
            Some(t) => format!("{p} {t}"),
            None => p.to_string(),
        }
    }

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
