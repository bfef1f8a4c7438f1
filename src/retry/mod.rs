//! Retries: rerun exactly the leaks that look like startup-phase flakes,
//! never mask a real one.
//!
//! After a run, every leak report the policy left *new* is grouped by its
//! test (or package, for `VerifyTestMain`). A group is retried only when
//! every goroutine in it is retryable, by the default
//! [`classify`] rules or by `retry.when`; ordinary test failures are never
//! retried. A retried group is rerun alone ([`rerun`]) up to
//! `retry.attempts` times, and each attempt is judged:
//!
//! * the test (package) ran and passed with no leak report → **flaky**,
//!   with the attempt it passed in; `retry.flaky` decides whether that
//!   passes the gate;
//! * the same fingerprints again → the leak reproduced; if it does so in
//!   every attempt it is a **real** leak;
//! * a goroutine with a fingerprint not seen before → a **new finding**,
//!   added to the findings as a new leak;
//! * anything else (another failure, a timeout, the test did not run) →
//!   **inconclusive**: the leak stays new.
//!
//! Every attempt is kept in a [`RetryRecord`] for the reports. This module
//! decides and records; running commands is the [`Runner`]'s business
//! (see [`crate::run`]), so the logic is tested without Go.

pub mod classify;
pub mod rerun;

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Deserialize;

use crate::events::Outcome;
use crate::findings::{FailureKind, Findings, Leak, LeakedGoroutine};
use crate::policy::LeakStatus;
use classify::{Class, ReportClass};
use rerun::Target;

/// What a leak that disappeared on retry does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlakyMode {
    /// A flaky leak does not fail the gate (it is reported).
    #[default]
    Pass,
    /// A flaky leak fails the gate too.
    Fail,
}

impl FlakyMode {
    /// The name used in configuration and reports.
    pub fn name(self) -> &'static str {
        match self {
            FlakyMode::Pass => "pass",
            FlakyMode::Fail => "fail",
        }
    }
}

/// `retry.when`: which leaked goroutines are worth a retry, instead of
/// the default classifier. Every key given must match, as in allow rules:
/// `state` is a list of wait reasons; `top_function`, `any_function`,
/// `created_by`, `package` and `test` are values (exact, glob or
/// `/regex/`), matched the way allow rules match them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Goroutine states (the status without `, N minutes`, e.g. `runnable`,
    /// `sleep`, `chan receive`) that are retryable.
    #[serde(default)]
    pub state: Vec<String>,
    /// The function on top of the stack.
    pub top_function: Option<String>,
    /// Any function of the stack.
    pub any_function: Option<String>,
    /// The function whose `go` statement started it.
    pub created_by: Option<String>,
    /// The package whose test reported it.
    pub package: Option<String>,
    /// The test that reported it.
    pub test: Option<String>,
}

impl When {
    /// The function and package patterns, as allow-rule patterns.
    pub fn patterns(&self) -> Vec<crate::policy::Pattern> {
        use crate::policy::{Field, Pattern};
        [
            (Field::TopFunction, &self.top_function),
            (Field::AnyFunction, &self.any_function),
            (Field::CreatedBy, &self.created_by),
            (Field::Package, &self.package),
            (Field::Test, &self.test),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.as_deref().map(|v| Pattern::new(f, v)))
        .collect()
    }

    /// Classifies one goroutine of `leak` by this rule.
    pub fn classify(&self, leak: &Leak, g: &LeakedGoroutine) -> Class {
        let state_ok = self.state.is_empty() || self.state.contains(&g.goroutine.state.status);
        let patterns = self.patterns();
        let functions_ok = patterns.is_empty()
            || crate::policy::matcher::Matcher::new(&[patterns.as_slice()])
                .map(|m| {
                    let s = crate::policy::subject(leak, g);
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

/// The `retry:` section of `.leakgate.yml`.
///
/// ```yaml
/// retry:
///   attempts: 2          # extra runs at most, per failing test or package
///   when:                # default: the startup-phase classifier
///     state: [runnable, running]
///   flaky: pass          # pass | fail
///   timeout: 5m          # per rerun
///   command: go test -json -count=1 {run} {package}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Extra runs at most, per test or package (0: never).
    pub attempts: u32,
    /// Which goroutines are retryable; `None`: [`classify::classify`].
    pub when: Option<When>,
    /// What a leak that disappeared on retry does to the verdict.
    pub flaky: FlakyMode,
    /// Time limit of one rerun (`5m`, `90s`).
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// The rerun command, a template with `{run}`, `{package}` and
    /// `{test}`. `None`: `leakgate run` reruns the user's own `go test`
    /// command line, `check` uses [`rerun::DEFAULT_COMMAND`].
    pub command: Option<String>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            attempts: 2,
            when: None,
            flaky: FlakyMode::Pass,
            timeout: Duration::from_secs(5 * 60),
            command: None,
        }
    }
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Parses `5m`, `90s`, `1h 30m` (humantime's syntax).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("invalid duration {text:?}: {e} (examples: 90s, 5m, 1h)"))
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

/// How the rerun command is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// The user's own `go test …` command line (`leakgate run`).
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
}

/// What one attempt showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// The test (or package) ran and passed, no leak.
    Passed,
    /// The same leak again.
    SameLeak,
    /// A leak with goroutines not seen in the first run.
    DifferentLeak,
    /// Could not tell: another failure, a timeout, the test did not run.
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
    /// Fingerprints of the (non-harness) goroutines it reported for the
    /// target, sorted.
    pub fingerprints: Vec<String>,
    /// The command's exit code (`None`: killed by a signal or not started).
    pub exit_code: Option<i32>,
    /// How long it took.
    pub duration: Duration,
    /// One line for a person.
    pub message: String,
    /// Indices (into `findings.leaks`) of leaks this attempt added.
    pub new_leaks: Vec<usize>,
}

/// The conclusion for one retried test or package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Not retried (see the record's reason).
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
    /// An attempt could not tell (other failure, timeout, did not run).
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

/// What retrying did for the new leak reports of one test or package.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryRecord {
    /// Package import path.
    pub package: Option<String>,
    /// Test, `None` for a package-level (`VerifyTestMain`) leak.
    pub test: Option<String>,
    /// Indices into `findings.leaks` of the first run's reports.
    pub leaks: Vec<usize>,
    /// Why it was (not) retried.
    pub reason: String,
    /// The rerun command, when one was built.
    pub command: Option<Vec<String>>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// The conclusion.
    pub outcome: RetryOutcome,
}

impl RetryRecord {
    /// Whether it was rerun at all.
    pub fn retried(&self) -> bool {
        !self.attempts.is_empty()
    }
}

/// What a [`Runner`] returns for one attempt.
#[derive(Debug, Clone, Default)]
pub struct AttemptRun {
    /// What the attempt's output showed.
    pub findings: Findings,
    /// The target test's (or package's) own result, if it reported one.
    pub target_outcome: Option<Outcome>,
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
    /// Runs `argv` for `target` (attempt `number` of `of`).
    fn run(&mut self, target: &Target, argv: &[String], number: u32, of: u32) -> AttemptRun;
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

/// Decides, for every test or package with a new leak report, whether it
/// is retried and why. Records come in the order of their first report.
pub fn plan(
    findings: &Findings,
    statuses: &[LeakStatus],
    config: &RetryConfig,
) -> Vec<RetryRecord> {
    let mut records: Vec<RetryRecord> = Vec::new();
    for (i, (leak, status)) in findings.leaks.iter().zip(statuses).enumerate() {
        if !matches!(status, LeakStatus::New) {
            continue;
        }
        let k = key(leak);
        match records
            .iter_mut()
            .find(|r| (r.package.clone(), r.test.clone()) == k)
        {
            Some(r) => r.leaks.push(i),
            None => records.push(RetryRecord {
                package: k.0,
                test: k.1,
                leaks: vec![i],
                reason: String::new(),
                command: None,
                attempts: Vec::new(),
                outcome: RetryOutcome::NotRetried,
            }),
        }
    }
    for r in &mut records {
        r.reason = match why_not(findings, r, config) {
            Some(why) => why,
            None => {
                let classes: Vec<ReportClass> = r
                    .leaks
                    .iter()
                    .filter_map(|&i| findings.leaks.get(i))
                    .map(|l| classify::classify_report(l, &|g| config.classify(l, g)))
                    .collect();
                match classes.iter().find(|c| !c.retryable) {
                    Some(c) => format!("not retried: {}", c.reason),
                    None => format!(
                        "retried: {}",
                        classes
                            .first()
                            .map(|c| c.reason.as_str())
                            .unwrap_or("every goroutine looks transient")
                    ),
                }
            }
        };
    }
    records
}

/// Reasons a group is not retried before looking at its goroutines.
fn why_not(findings: &Findings, r: &RetryRecord, config: &RetryConfig) -> Option<String> {
    if config.attempts == 0 {
        return Some("not retried: retry.attempts is 0".to_string());
    }
    if r.package.is_none() {
        return Some("not retried: the output does not name the leak's package".to_string());
    }
    let other = findings
        .failures
        .iter()
        .find(|f| f.kind != FailureKind::Leak && f.package == r.package && f.test == r.test);
    if let Some(f) = other {
        return Some(format!(
            "not retried: it also failed for another reason ({}); ordinary failures are not retried",
            f.kind.name()
        ));
    }
    for l in r.leaks.iter().filter_map(|&i| findings.leaks.get(i)) {
        if l.truncated || l.dropped > 0 {
            return Some(
                "not retried: the leak report was cut, so not every goroutine could be checked"
                    .to_string(),
            );
        }
    }
    None
}

/// Whether a planned record is to be rerun.
fn planned(r: &RetryRecord) -> bool {
    r.reason.starts_with("retried")
}

/// Reruns every retryable record, records each attempt, adds leaks that
/// appeared only in an attempt to `findings` (status new), and marks
/// leaks that disappeared as [`LeakStatus::Flaky`].
pub fn execute(
    findings: &mut Findings,
    statuses: &mut Vec<LeakStatus>,
    records: &mut [RetryRecord],
    config: &RetryConfig,
    base: &Base,
    runner: &mut dyn Runner,
) {
    for r in records.iter_mut() {
        if !planned(r) {
            continue;
        }
        let Some(package) = r.package.clone() else {
            continue;
        };
        let target = match &r.test {
            Some(test) => Target::Test {
                package,
                test: test.clone(),
            },
            None => Target::Package { package },
        };
        let argv = match base.command(&target) {
            Ok(a) => a,
            Err(e) => {
                r.reason = format!("not retried: {e}");
                continue;
            }
        };
        r.command = Some(argv.clone());
        let original = identities(r.leaks.iter().filter_map(|&i| findings.leaks.get(i)));
        r.outcome = RetryOutcome::Reproduced;
        for number in 1..=config.attempts {
            if runner.interrupted() {
                r.outcome = RetryOutcome::Inconclusive;
                break;
            }
            let run = runner.run(&target, &argv, number, config.attempts);
            let attempt = judge_attempt(findings, statuses, r, &original, run, number);
            let result = attempt.result;
            r.attempts.push(attempt);
            match result {
                AttemptResult::SameLeak => continue,
                AttemptResult::Passed => r.outcome = RetryOutcome::Flaky { attempt: number },
                AttemptResult::DifferentLeak => {
                    r.outcome = RetryOutcome::NewLeak { attempt: number }
                }
                AttemptResult::Failed => r.outcome = RetryOutcome::Inconclusive,
            }
            break;
        }
        if let RetryOutcome::Flaky { attempt } = r.outcome {
            for &i in &r.leaks {
                if let Some(s) = statuses.get_mut(i) {
                    *s = LeakStatus::Flaky { attempt };
                }
            }
        }
    }
}

fn judge_attempt(
    findings: &mut Findings,
    statuses: &mut Vec<LeakStatus>,
    r: &RetryRecord,
    original: &BTreeSet<String>,
    run: AttemptRun,
    number: u32,
) -> Attempt {
    let k = (r.package.clone(), r.test.clone());
    let mut attempt = Attempt {
        number,
        result: AttemptResult::Failed,
        fingerprints: Vec::new(),
        exit_code: run.exit_code,
        duration: run.duration,
        message: String::new(),
        new_leaks: Vec::new(),
    };
    if let Some(e) = run.error {
        attempt.message = e;
        return attempt;
    }
    let AttemptRun {
        findings: mut got,
        target_outcome,
        ..
    } = run;
    let found: Vec<usize> = (0..got.leaks.len())
        .filter(|&i| key(&got.leaks[i]) == k)
        .collect();
    if !found.is_empty() {
        attempt.fingerprints = real_fingerprints(found.iter().map(|&i| &got.leaks[i]))
            .into_iter()
            .collect();
        let ids = identities(found.iter().map(|&i| &got.leaks[i]));
        let unseen: Vec<&String> = ids.difference(original).collect();
        if unseen.is_empty() {
            attempt.result = AttemptResult::SameLeak;
            attempt.message = "leaked again: the same goroutines".to_string();
            return attempt;
        }
        attempt.result = AttemptResult::DifferentLeak;
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
        for i in found.into_iter().rev() {
            let mut leak = got.leaks.swap_remove(i);
            leak.at.input = input;
            attempt.new_leaks.push(findings.leaks.len());
            findings.leaks.push(leak);
            statuses.push(LeakStatus::New);
        }
        return attempt;
    }
    let other = got
        .failures
        .iter()
        .find(|f| f.package == k.0 && (k.1.is_none() || f.test == k.1))
        .or_else(|| got.failures.first());
    attempt.message = match (target_outcome, other) {
        (Some(Outcome::Pass), None) => {
            attempt.result = AttemptResult::Passed;
            format!(
                "passed: no leak ({})",
                if k.1.is_some() {
                    "the test ran alone"
                } else {
                    "the whole package ran"
                }
            )
        }
        (_, Some(f)) => format!(
            "failed for another reason ({}): {}",
            f.kind.name(),
            f.message
        ),
        (Some(Outcome::Skip), None) => "the test was skipped: cannot tell".to_string(),
        (Some(Outcome::Fail), None) => "failed without a leak report: cannot tell".to_string(),
        (None, None) => match &k.1 {
            Some(t) => format!("the test {t} did not run: cannot tell"),
            None => "the package reported no result: cannot tell".to_string(),
        },
    };
    if let Some(p) = got.problems.first() {
        if attempt.result == AttemptResult::Passed {
            attempt.result = AttemptResult::Failed;
            attempt.message = format!("cannot judge the attempt: {}", p.message);
        }
    }
    attempt
}

fn who(r: &RetryRecord) -> String {
    let p = r.package.as_deref().unwrap_or("(unnamed package)");
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
        let records = plan(&f, &new_statuses(&f), &cfg);
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
        let records = plan(&f, &new_statuses(&f), &cfg);
        assert!(planned(record(&records, "/flakymain", None)));
        assert!(!planned(record(
            &records,
            "/flaky",
            Some("TestMixedReport")
        )));
    }

    fn new_statuses(f: &Findings) -> Vec<LeakStatus> {
        f.leaks.iter().map(|_| LeakStatus::New).collect()
    }

    fn record<'a>(records: &'a [RetryRecord], pkg: &str, test: Option<&str>) -> &'a RetryRecord {
        records
            .iter()
            .find(|r| {
                r.package.as_deref().is_some_and(|p| p.ends_with(pkg)) && r.test.as_deref() == test
            })
            .unwrap()
    }

    #[test]
    fn plan_on_a_real_run() {
        let f = fixture("go1.26-goleak1.3.0/all.json");
        let records = plan(&f, &new_statuses(&f), &RetryConfig::default());
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
        assert!(mixed.reason.contains("chan receive"), "{}", mixed.reason);
        // assertfail's TestAdd failed without a leak: not even a record.
        assert!(!records.iter().any(|r| r.test.as_deref() == Some("TestAdd")));
        let planned_n = records.iter().filter(|r| planned(r)).count();
        assert_eq!(
            planned_n,
            3,
            "{:#?}",
            records
                .iter()
                .filter(|r| planned(r))
                .map(|r| (&r.package, &r.test))
                .collect::<Vec<_>>()
        );
        // A state list instead of the classifier.
        let cfg = RetryConfig {
            when: Some(When {
                state: vec!["chan receive".to_string(), "sleep".to_string()],
                ..When::default()
            }),
            ..RetryConfig::default()
        };
        let records = plan(&f, &new_statuses(&f), &cfg);
        assert!(planned(record(&records, "/flaky", Some("TestMixedReport"))));
        assert!(planned(record(
            &records,
            "/recvnoclose",
            Some("TestConsumerNeverClosed")
        )));
        // Allowed reports are never retried.
        let mut statuses = new_statuses(&f);
        for s in &mut statuses {
            *s = LeakStatus::Allowed {
                rules: vec!["r".into()],
            };
        }
        assert!(plan(&f, &statuses, &RetryConfig::default()).is_empty());
    }

    /// Replays captured outputs as attempts, per test (or package).
    struct Replay {
        runs: Vec<(&'static str, AttemptRun)>,
        seen: Vec<(Target, Vec<String>)>,
    }

    impl Runner for Replay {
        fn run(&mut self, target: &Target, argv: &[String], _: u32, _: u32) -> AttemptRun {
            self.seen.push((target.clone(), argv.to_vec()));
            let name = target.test().unwrap_or(target.package());
            match self.runs.iter().position(|(n, _)| name.ends_with(n)) {
                Some(i) => self.runs.remove(i).1,
                None => AttemptRun {
                    error: Some("no more runs".into()),
                    ..AttemptRun::default()
                },
            }
        }
    }

    fn leaky(f: &Findings, pkg: &str, test: Option<&str>) -> AttemptRun {
        let mut only = f.clone();
        only.leaks.retain(|l| {
            l.package.as_deref().is_some_and(|p| p.ends_with(pkg)) && l.test.as_deref() == test
        });
        only.failures.clear();
        AttemptRun {
            findings: only,
            target_outcome: Some(Outcome::Fail),
            exit_code: Some(1),
            ..AttemptRun::default()
        }
    }

    fn passing() -> AttemptRun {
        AttemptRun {
            target_outcome: Some(Outcome::Pass),
            exit_code: Some(0),
            ..AttemptRun::default()
        }
    }

    fn go_base() -> Base {
        Base::GoTest(vec![
            "go".into(),
            "test".into(),
            "-race".into(),
            "./...".into(),
        ])
    }

    #[test]
    fn flaky_reproduced_and_new() {
        let f0 = fixture("go1.26-goleak1.3.0/all.json");
        let mut f = f0.clone();
        let mut statuses = new_statuses(&f);
        let cfg = RetryConfig::default();
        let mut records = plan(&f, &statuses, &cfg);
        records.retain(|r| {
            r.package
                .as_deref()
                .is_some_and(|p| p.ends_with("/flaky") || p.ends_with("/flakymain"))
        });
        assert_eq!(records.len(), 4);
        let leaks_before = f.leaks.len();
        let mut runner = Replay {
            runs: vec![
                // TestLeakOnFirstAttempt: gone on attempt 1.
                ("TestLeakOnFirstAttempt", passing()),
                // TestSleepLoopLeak: leaks both times.
                (
                    "TestSleepLoopLeak",
                    leaky(&f0, "/flaky", Some("TestSleepLoopLeak")),
                ),
                (
                    "TestSleepLoopLeak",
                    leaky(&f0, "/flaky", Some("TestSleepLoopLeak")),
                ),
                // flakymain: leaks again, then a different leak (replayed
                // from another package, renamed).
                ("/flakymain", leaky(&f0, "/flakymain", None)),
                ("/flakymain", {
                    let mut r = leaky(&f0, "/testmain", None);
                    for l in &mut r.findings.leaks {
                        l.package = Some("example.com/leakgate/fixtures/flakymain".into());
                    }
                    r
                }),
            ],
            seen: Vec::new(),
        };
        execute(
            &mut f,
            &mut statuses,
            &mut records,
            &cfg,
            &go_base(),
            &mut runner,
        );
        let first = record(&records, "/flaky", Some("TestLeakOnFirstAttempt"));
        assert_eq!(first.outcome, RetryOutcome::Flaky { attempt: 1 });
        assert_eq!(first.attempts.len(), 1);
        assert_eq!(statuses[first.leaks[0]], LeakStatus::Flaky { attempt: 1 });
        let sleep = record(&records, "/flaky", Some("TestSleepLoopLeak"));
        assert_eq!(sleep.outcome, RetryOutcome::Reproduced);
        assert_eq!(
            sleep.attempts.iter().map(|a| a.result).collect::<Vec<_>>(),
            vec![AttemptResult::SameLeak; 2]
        );
        assert_eq!(statuses[sleep.leaks[0]], LeakStatus::New);
        let main = record(&records, "/flakymain", None);
        assert_eq!(main.outcome, RetryOutcome::NewLeak { attempt: 2 });
        assert_eq!(main.attempts[1].new_leaks.len(), 1);
        assert_eq!(f.leaks.len(), leaks_before + 1);
        assert_eq!(statuses.len(), f.leaks.len());
        assert_eq!(statuses.last(), Some(&LeakStatus::New));
        assert!(f
            .inputs
            .last()
            .unwrap()
            .path
            .ends_with("flakymain (retry 2)"));
        let mixed = record(&records, "/flaky", Some("TestMixedReport"));
        assert!(mixed.attempts.is_empty());
        // Exactly the test, with the user's flags.
        let (target, argv) = &runner.seen[0];
        assert_eq!(target.test(), Some("TestLeakOnFirstAttempt"));
        assert_eq!(
            argv,
            &[
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
        // The package rerun has no -run at all.
        let (_, argv) = runner
            .seen
            .iter()
            .find(|(t, _)| t.test().is_none())
            .unwrap();
        assert!(!argv.iter().any(|a| a.contains("run")), "{argv:?}");
        assert_eq!(runner.seen.len(), 5);
    }

    #[test]
    fn flaky_mode_decides_the_verdict() {
        use crate::policy::VerdictSettings;
        use crate::verdict::{judge_with, Verdict};
        let mut f = fixture("go1.26-goleak1.3.0/labels.json");
        assert_eq!(f.leaks.len(), 1);
        let statuses = vec![LeakStatus::Flaky { attempt: 2 }];
        f.problems.clear();
        // The run's only test is its last: without -failfast (which this
        // capture did not use) a failure stops nothing.
        let settings = VerdictSettings {
            no_failfast: true,
            ..VerdictSettings::default()
        };
        let judge = |f, mode| judge_with(f, statuses.clone(), true, Vec::new(), mode, settings);
        let pass = judge(f.clone(), FlakyMode::Pass);
        assert_eq!(pass.verdict, Verdict::Pass, "{:?}", pass.reasons);
        let unsure = judge_with(
            f.clone(),
            statuses.clone(),
            true,
            Vec::new(),
            FlakyMode::Pass,
            VerdictSettings::default(),
        );
        assert_eq!(unsure.verdict, Verdict::Fail, "{:?}", unsure.reasons);
        let fail = judge(f, FlakyMode::Fail);
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
        let cfg = RetryConfig::default();
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
            AttemptRun {
                target_outcome: Some(Outcome::Skip),
                exit_code: Some(0),
                ..AttemptRun::default()
            },
        ] {
            let mut f = f0.clone();
            let mut statuses = new_statuses(&f);
            let mut records = plan(&f, &statuses, &cfg);
            records.retain(|r| r.test.as_deref() == Some("TestLeakOnFirstAttempt"));
            let mut runner = Replay {
                runs: vec![("TestLeakOnFirstAttempt", run)],
                seen: Vec::new(),
            };
            execute(
                &mut f,
                &mut statuses,
                &mut records,
                &cfg,
                &go_base(),
                &mut runner,
            );
            assert_eq!(records[0].outcome, RetryOutcome::Inconclusive);
            assert_eq!(records[0].attempts.len(), 1);
            assert!(statuses.iter().all(|s| *s == LeakStatus::New));
        }
    }

    #[test]
    fn a_command_that_cannot_be_built_is_not_retried() {
        let mut f = fixture("go1.26-goleak1.3.0/all.json");
        let mut statuses = new_statuses(&f);
        let cfg = RetryConfig::default();
        let mut records = plan(&f, &statuses, &cfg);
        let mut runner = Replay {
            runs: Vec::new(),
            seen: Vec::new(),
        };
        let base = Base::GoTest(vec!["gotestsum".into(), "--".into(), "./...".into()]);
        execute(
            &mut f,
            &mut statuses,
            &mut records,
            &cfg,
            &base,
            &mut runner,
        );
        assert!(runner.seen.is_empty());
        let r = record(&records, "/flaky", Some("TestLeakOnFirstAttempt"));
        assert!(r.reason.contains("not `go test`"), "{}", r.reason);
        assert_eq!(r.outcome, RetryOutcome::NotRetried);
    }
}
