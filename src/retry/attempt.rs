//! Running and judging attempts: each rerun through a [`Runner`], what it
//! showed of every leak of its record.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use crate::events::Outcome;
use crate::findings::{FailureKind, Findings, Leak, LeakKey, LeakedGoroutine};

use super::rerun::Selection;
use super::*;

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

fn real_fingerprints<'a>(leaks: impl Iterator<Item = &'a Leak>) -> BTreeSet<String> {
    leaks
        .flat_map(|l| l.real_goroutines().map(|g| g.fingerprint.clone()))
        .collect()
}

/// Which goroutine this is across attempts: the `go` statement that
/// started it (function and place), else its functions. Not its state: a
/// goroutine that loops on short sleeps is caught `sleep` in one attempt
/// and `runnable` in the next, and is the same leak.
pub(super) fn identity(g: &LeakedGoroutine) -> String {
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
            summary.path = format!("{} (retry {number})", r.who());
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
