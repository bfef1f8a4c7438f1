//! The JUnit XML report, Jenkins format (`junit-10.xsd`), for GitLab's
//! test report, Jenkins and the GitHub JUnit report actions.
//!
//! Written with `quick-junit`, the writer cargo-nextest uses: it escapes
//! XML, drops characters XML cannot hold and ANSI escapes, and models
//! `flakyFailure` / `rerunFailure`, so nothing here builds XML by hand.
//!
//! Layout: one `<testsuite>` per package; one `<testcase>` per failing
//! test with `classname` = package and `name` = test. A package-level leak
//! (`goleak.VerifyTestMain`) is the test case
//! [`super::PACKAGE_LEVEL_TEST`] in its package, never an empty
//! `classname`; a package-level failure of another kind is `TestMain` (or
//! `(build)` for a build failure). A test with a leak and another failure
//! is one test case, so no name repeats in a suite. Test cases carry
//! `file` and `line` (the leak's origin in the repository) when known; the
//! Jenkins schema does not declare them, GitLab and the JUnit actions read
//! them.
//!
//! leakgate's inputs give it per-test results only for failures (passes
//! are counted, not named), so this report lists what the gate judged:
//! leaks and failures. Allowed leaks are passing test cases with the leak
//! in `system-out`. Flaky leaks (a retry passed) will be passing test cases
//! with a `flakyFailure`; leaks that repeat on every attempt a `failure`
//! with `rerunFailure`s (see `attempts`).

use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::retry::AttemptResult;

use super::{stack_text, PACKAGE_LEVEL_TEST};
use crate::findings::{group, FailureKind, Leak};
use crate::paths::SourceRef;
use crate::policy::LeakStatus;
use crate::verdict::Analysis;

/// Frames per stack in a failure's text.
pub const STACK_FRAMES: usize = 20;

/// The package name used when the output named none.
pub const UNKNOWN_PACKAGE: &str = "(unknown package)";

#[derive(Default)]
struct Case {
    /// Gate-failing problems: (kind, type, message, text).
    failures: Vec<(NonSuccessKind, String, String, String)>,
    /// Text for system-out (allowed leaks).
    notes: Vec<String>,
    place: Option<SourceRef>,
    /// A leak of this test was flaky (gone on a retry).
    flaky: bool,
}

fn leak_text(leak: &Leak) -> String {
    let mut s = String::new();
    for (first, count) in group(&leak.goroutines) {
        let g = &leak.goroutines[first];
        if count > 1 {
            s.push_str(&format!("{count} goroutines like this one:\n"));
        }
        s.push_str(&stack_text(g, false, STACK_FRAMES));
        if let Some(why) = g.harness {
            s.push_str(&format!("(not a leak: {why})\n"));
        }
        s.push('\n');
    }
    if leak.dropped > 0 {
        s.push_str(&format!(
            "… and {} more goroutines not kept\n",
            leak.dropped
        ));
    }
    s
}

fn leak_message(leak: &Leak) -> String {
    let real = leak.real_goroutines().count();
    let n = leak.goroutines.len() + leak.dropped;
    let mut s = format!("{n} leaked goroutine{}", if n == 1 { "" } else { "s" });
    if let Some(g) = leak.real_goroutines().next().or(leak.goroutines.first()) {
        s.push_str(&format!(" [{}]", g.goroutine.state.status));
        if let Some(top) = g.goroutine.top_function() {
            s.push_str(&format!(" in {top}"));
        }
        if let Some(o) = g.anchor() {
            s.push_str(&format!(" at {}:{}", o.file, o.line));
        }
    }
    if real < leak.goroutines.len() {
        s.push_str(&format!(" ({} test-harness)", leak.goroutines.len() - real));
    }
    s
}

/// What retrying showed for one testcase: a leak gone on a retry is a
/// passing case with the failed runs as `<flakyFailure>`; a leak that came
/// back keeps its failure and gets the attempts as `<rerunFailure>`.
fn attempts(a: &Analysis, package: &str, name: &str, flaky: bool) -> Vec<TestRerun> {
    let Some(record) = a.retries.iter().find(|r| {
        r.package.as_deref().unwrap_or(UNKNOWN_PACKAGE) == package
            && case_name(r.test.as_deref(), None) == name
    }) else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    if flaky {
        // The first run failed; it is a flaky run of a passing test.
        let first: Vec<&Leak> = record
            .leaks
            .iter()
            .filter_map(|&i| a.findings.leaks.get(i))
            .collect();
        let mut run = TestRerun::new(NonSuccessKind::Failure);
        run.set_type("goroutine-leak");
        run.set_message(
            first
                .first()
                .map_or_else(|| "leaked goroutines".to_string(), |l| leak_message(l)),
        );
        run.set_description(
            first
                .iter()
                .map(|l| leak_text(l))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        runs.push(run);
    }
    for attempt in &record.attempts {
        if attempt.result == AttemptResult::Passed {
            continue;
        }
        let mut run = TestRerun::new(NonSuccessKind::Failure);
        run.set_type(attempt.result.name());
        run.set_message(format!("attempt {}: {}", attempt.number, attempt.message));
        run.set_time(attempt.duration);
        runs.push(run);
    }
    runs
}

fn case_name(test: Option<&str>, kind: Option<FailureKind>) -> String {
    match (test, kind) {
        (Some(t), _) => t.to_string(),
        (None, None) => PACKAGE_LEVEL_TEST.to_string(),
        (None, Some(FailureKind::Build)) => "(build)".to_string(),
        (None, Some(_)) => "TestMain".to_string(),
    }
}

/// Builds the report.
pub fn report(a: &Analysis) -> Report {
    // package -> test name -> case; BTreeMap keeps the output stable.
    let mut packages: BTreeMap<String, BTreeMap<String, Case>> = BTreeMap::new();
    for (leak, status) in a.leaks() {
        let package = leak
            .package
            .clone()
            .unwrap_or_else(|| UNKNOWN_PACKAGE.to_string());
        let name = case_name(leak.test.as_deref(), None);
        let case = packages
            .entry(package)
            .or_default()
            .entry(name)
            .or_default();
        let place = leak
            .real_goroutines()
            .find_map(|g| g.anchor())
            .or(leak.verify_at.as_ref().filter(|v| v.in_repo))
            .cloned();
        if case.place.is_none() {
            case.place = place;
        }
        match status {
            LeakStatus::New => {
                let harness_only = leak.real_goroutines().next().is_none();
                let ty = if harness_only {
                    "test-harness-goroutines"
                } else {
                    "goroutine-leak"
                };
                case.failures.push((
                    NonSuccessKind::Failure,
                    ty.to_string(),
                    leak_message(leak),
                    leak_text(leak),
                ));
            }
            LeakStatus::Flaky { attempt } => {
                case.flaky = true;
                case.notes.push(format!(
                    "flaky: leaked on the first run, gone on attempt {attempt}: {}",
                    leak_message(leak)
                ));
            }
            LeakStatus::Allowed { rules } => {
                case.notes.push(format!(
                    "allowed by {}: {}\n{}",
                    rules.join(", "),
                    leak_message(leak),
                    leak_text(leak)
                ));
            }
        }
    }
    for f in a.other_failures() {
        let package = f
            .package
            .clone()
            .unwrap_or_else(|| UNKNOWN_PACKAGE.to_string());
        let name = case_name(f.test.as_deref(), Some(f.kind));
        let case = packages
            .entry(package)
            .or_default()
            .entry(name)
            .or_default();
        let kind = match f.kind {
            FailureKind::Test | FailureKind::Timeout | FailureKind::Leak => NonSuccessKind::Failure,
            FailureKind::Panic | FailureKind::Build | FailureKind::Incomplete => {
                NonSuccessKind::Error
            }
        };
        let text: Vec<&str> = f.excerpt.iter().map(String::as_str).collect();
        case.failures.push((
            kind,
            f.kind.name().to_string(),
            f.message.clone(),
            text.join("\n"),
        ));
    }

    let mut report = Report::new("leakgate");
    for (package, cases) in packages {
        let mut suite = TestSuite::new(package.as_str());
        for (name, case) in cases {
            let status = if case.failures.is_empty() {
                TestCaseStatus::Success {
                    flaky_runs: attempts(a, &package, &name, case.flaky),
                }
            } else {
                let kind = if case.failures.iter().any(|f| f.0 == NonSuccessKind::Failure) {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut status = TestCaseStatus::non_success(kind);
                let types: Vec<&str> = case.failures.iter().map(|f| f.1.as_str()).collect();
                let messages: Vec<&str> = case.failures.iter().map(|f| f.2.as_str()).collect();
                let texts: Vec<&str> = case.failures.iter().map(|f| f.3.as_str()).collect();
                status
                    .set_type(types.join(", "))
                    .set_message(messages.join("; "))
                    .set_description(texts.join("\n\n"))
                    .add_reruns(attempts(a, &package, &name, false));
                status
            };
            let mut tc = TestCase::new(name.as_str(), status);
            tc.set_classname(package.as_str());
            if let Some(p) = &case.place {
                tc.extra.insert("file".into(), p.file.as_str().into());
                tc.extra.insert("line".into(), p.line.to_string().into());
            }
            if !case.notes.is_empty() {
                tc.set_system_out(case.notes.join("\n"));
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
    }
    report
}

/// Writes the JUnit report.
pub fn write(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let r = report(a);
    r.serialize(&mut *out).map_err(io::Error::other)?;
    writeln!(out)
}
