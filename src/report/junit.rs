//! The JUnit XML report, Jenkins format (`junit-10.xsd`), for GitLab's
//! test report, Jenkins and the GitHub JUnit report actions.
//!
//! Written with `quick-junit`, the writer cargo-nextest uses: it escapes
//! XML, drops characters XML cannot hold and ANSI escapes, and models
//! `flakyFailure` / `rerunFailure`, so nothing here builds XML by hand.
//!
//! Layout: one `<testsuite>` per package, one `<testcase>` per test
//! attempt of the run (`findings.tests`, in run order) with `classname` =
//! package, `name` = test and `time` = its duration. How each case ends is
//! the judged view's [`Gate`], never decided here:
//!
//! | gate | test case |
//! |---|---|
//! | `Pass` | passed |
//! | `Skip` | `<skipped/>` |
//! | `Fail` | `<failure>` (or `<error>` for a panic, build failure or a test that never finished): the message of each gate-failing failure and new leak of that test, the output excerpt and stacks as its text |
//! | `Allowed` | passed, `<system-out>` naming the policy rules that allowed its leaks |
//! | `Flaky` | passed, the first run's leak as a `<flakyFailure>` (quick-junit's flaky model) |
//! | `Child` | passed, `<system-out>` naming the subtests that failed |
//!
//! A parent that failed only because a subtest failed (`Child`) is a
//! passing test case: its subtests are test cases of their own and carry
//! the failure, so GitLab's and Jenkins' widgets count each failure once
//! and show it at the subtest, with the subtest's message, instead of also
//! listing the parent with nothing to say; and a parent whose only failing
//! subtest has an allowed leak does not show as failed in a run the gate
//! passes.
//!
//! Package-level results (`goleak.VerifyTestMain`, TestMain's own failures,
//! panics outside tests, build failures) are one test case per package
//! run: [`super::PACKAGE_LEVEL_TEST`] when it holds a package-level leak,
//! `(build)` for a build failure, else `(package)`; never an empty
//! `classname`. A name that repeats in a suite (`-count=2`, several
//! shards) gets ` (attempt N)` or ` (run N)`, so every case is unique.
//! Test cases carry `file` and `line` (the failure's location in the
//! repository: the assertion, the compile error, the line a timed-out test
//! was stuck at; else the leak's place) when known; the Jenkins schema
//! does not declare them, GitLab and the JUnit actions read them.

use crate::findings::TestRecord;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::retry::AttemptResult;

use super::{stack_text, PACKAGE_LEVEL_TEST};
use crate::findings::SourceRef;
use crate::findings::{Failure, FailureKind, NodeKey, Sighting};
use crate::verdict::{Analysis, Gate, JudgedLeak, LeakStatus};

/// Frames per stack in a failure's text.
pub const STACK_FRAMES: usize = 20;

/// The package name used when the output named none.
pub const UNKNOWN_PACKAGE: &str = crate::findings::UNKNOWN_PACKAGE;

/// The test case of a package-level failure that is not a leak or a build
/// failure (TestMain's own, a panic outside tests, a package-level
/// condition such as `-failfast`).
pub const PACKAGE_CASE: &str = "(package)";

/// The test case of a package's build failure.
pub const BUILD_CASE: &str = "(build)";

/// The stack of one distinct leak as this node's reports listed it.
fn leak_text(d: &JudgedLeak, seen: &Sighting) -> String {
    let g = &seen.example;
    let mut s = String::new();
    if seen.goroutines > 1 {
        s.push_str(&format!("{} goroutines like this one:\n", seen.goroutines));
    }
    s.push_str(&stack_text(g, false, STACK_FRAMES));
    if d.leak.harness {
        if let Some(why) = g.harness {
            s.push_str(&format!("(not a leak: {why})\n"));
        }
    }
    s
}

/// One distinct leak in one node's words: its goroutines there, their
/// state, where they block and start, and who reported it first when this
/// node's check only listed it again.
fn leak_message(d: &JudgedLeak, seen: &Sighting) -> String {
    let n = seen.goroutines;
    let g = &seen.example;
    let mut s = format!(
        "{n} leaked goroutine{} [{}]",
        if n == 1 { "" } else { "s" },
        g.goroutine.state.status
    );
    if let Some(top) = g.goroutine.top_function() {
        s.push_str(&format!(" in {top}"));
    }
    if let Some(o) = g.anchor() {
        s.push_str(&format!(" at {}:{}", o.file, o.line));
    }
    if d.leak.harness {
        s.push_str(" (test-harness)");
    }
    if seen.again {
        let first: Vec<&str> = d
            .leak
            .reporters
            .iter()
            .map(|r| r.test.as_deref().unwrap_or(PACKAGE_LEVEL_TEST))
            .collect();
        if !first.is_empty() {
            s.push_str(&format!(
                " (seen again: first reported by {})",
                first.join(", ")
            ));
        }
    }
    s
}

/// What retrying showed for one testcase: a leak gone on a retry is a
/// passing case with the failed runs as `<flakyFailure>`; a leak that came
/// back keeps its failure and gets the attempts as `<rerunFailure>`.
fn attempts(
    a: &Analysis,
    package: Option<&str>,
    test: Option<&str>,
    flaky: bool,
    held: &Held<'_>,
) -> Vec<TestRerun> {
    let Some(record) = a
        .retries
        .iter()
        .find(|r| r.package.as_deref() == package && r.test.as_deref() == test)
    else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    if flaky {
        // The first run failed; it is a flaky run of a passing test.
        let first: Vec<&(&JudgedLeak, &Sighting)> = held
            .leaks
            .iter()
            .filter(|(d, _)| matches!(d.status, LeakStatus::Flaky { .. }))
            .collect();
        let mut run = TestRerun::new(NonSuccessKind::Failure);
        run.set_type("goroutine-leak");
        run.set_message(
            first
                .iter()
                .map(|(d, seen)| leak_message(d, seen))
                .collect::<Vec<_>>()
                .join("; "),
        );
        run.set_description(
            first
                .iter()
                .map(|(d, seen)| leak_text(d, seen))
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

/// What one node of the run tree holds: its gate-failing failures and the
/// distinct leaks its reports listed, with what they listed of each.
#[derive(Default)]
struct Held<'a> {
    failures: Vec<&'a Failure>,
    leaks: Vec<(&'a JudgedLeak, &'a Sighting)>,
}

/// A test case about to be written.
struct Case<'a> {
    package: Option<&'a str>,
    test: Option<&'a str>,
    name: String,
    attempt: u32,
    gate: Gate,
    elapsed: Option<f64>,
    held: Held<'a>,
    /// Failing subtests of a `Child` case: (name, gate).
    subtests: Vec<(&'a str, Gate)>,
}

fn error_kind(kind: FailureKind) -> NonSuccessKind {
    match kind {
        FailureKind::Test | FailureKind::Timeout | FailureKind::Leak => NonSuccessKind::Failure,
        FailureKind::Panic | FailureKind::Build | FailureKind::Incomplete => NonSuccessKind::Error,
    }
}

fn allowed_note(d: &JudgedLeak, seen: &Sighting) -> String {
    let message = leak_message(d, seen);
    let text = leak_text(d, seen);
    match &d.status {
        LeakStatus::Allowed { rules } => format!(
            "allowed by .leakgate.yml rule{} {}: {message}\n{text}",
            if rules.len() == 1 { "" } else { "s" },
            rules.join(", "),
        ),
        LeakStatus::Flaky { attempt } => {
            format!("flaky: leaked on the first run, gone on attempt {attempt}: {message}\n{text}")
        }
        LeakStatus::Harness => format!("not a leak: {message}\n{text}"),
        LeakStatus::New => format!("{message}\n{text}"),
    }
}

fn test_case(a: &Analysis, case: &Case<'_>) -> TestCase {
    let mut notes: Vec<String> = Vec::new();
    let status = match case.gate {
        Gate::Pass => TestCaseStatus::success(),
        Gate::Skip => TestCaseStatus::skipped(),
        Gate::Fail => {
            // (kind, type, message, text)
            let mut parts: Vec<(NonSuccessKind, String, String, String)> = Vec::new();
            for f in &case.held.failures {
                let mut text = f.excerpt.join("\n");
                if let Some(c) = f.condition {
                    // A failure the output cannot rule out: say why.
                    if !text.is_empty() {
                        text.push_str("\n\n");
                    }
                    text.push_str(&format!("leakgate cannot tell it passed: {}", c.why()));
                    if let Some(setting) = c.setting() {
                        text.push_str(&format!(
                            " (if that cannot happen in this repository, set `verdict: {{{setting}: true}}` in .leakgate.yml)"
                        ));
                    }
                }
                parts.push((
                    error_kind(f.kind),
                    f.kind.name().to_string(),
                    f.message.clone(),
                    text,
                ));
            }
            for (d, seen) in &case.held.leaks {
                if d.gates {
                    let ty = if d.leak.harness {
                        "test-harness-goroutines"
                    } else {
                        "goroutine-leak"
                    };
                    parts.push((
                        NonSuccessKind::Failure,
                        ty.to_string(),
                        leak_message(d, seen),
                        leak_text(d, seen),
                    ));
                } else {
                    notes.push(allowed_note(d, seen));
                }
            }
            if parts.is_empty() {
                parts.push((
                    NonSuccessKind::Failure,
                    "test".to_string(),
                    "failed".to_string(),
                    String::new(),
                ));
            }
            let kind = if parts.iter().any(|p| p.0 == NonSuccessKind::Failure) {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            let mut types: Vec<&str> = Vec::new();
            for p in &parts {
                if !types.contains(&p.1.as_str()) {
                    types.push(p.1.as_str());
                }
            }
            let messages: Vec<&str> = parts.iter().map(|p| p.2.as_str()).collect();
            let texts: Vec<&str> = parts
                .iter()
                .map(|p| p.3.as_str())
                .filter(|t| !t.is_empty())
                .collect();
            status
                .set_type(types.join(", "))
                .set_message(messages.join("; "))
                .set_description(texts.join("\n\n"))
                .add_reruns(attempts(a, case.package, case.test, false, &case.held));
            status
        }
        Gate::Allowed | Gate::Flaky => {
            for (d, seen) in &case.held.leaks {
                notes.push(allowed_note(d, seen));
            }
            TestCaseStatus::Success {
                flaky_runs: if case.gate == Gate::Flaky {
                    attempts(a, case.package, case.test, true, &case.held)
                } else {
                    Vec::new()
                },
            }
        }
        Gate::Child => {
            let names: Vec<String> = case
                .subtests
                .iter()
                .map(|(t, g)| format!("{t} ({})", g.name()))
                .collect();
            notes.push(format!(
                "go test reported this test failed only because {} failed: {}; nothing of its own fails the gate (see {} test case{})",
                if names.len() == 1 { "a subtest" } else { "subtests" },
                names.join(", "),
                if names.len() == 1 { "its" } else { "their" },
                if names.len() == 1 { "" } else { "s" },
            ));
            TestCaseStatus::success()
        }
    };
    let mut tc = TestCase::new(case.name.as_str(), status);
    tc.set_classname(case.package.unwrap_or(UNKNOWN_PACKAGE));
    if let Some(e) = case.elapsed.filter(|e| e.is_finite() && *e >= 0.0) {
        tc.set_time(Duration::from_secs_f64(e));
    }
    let failing_place = case
        .held
        .failures
        .iter()
        .find_map(|f| a.failure_place(f))
        .or_else(|| {
            case.held
                .leaks
                .iter()
                .filter(|(d, _)| case.gate != Gate::Fail || d.gates)
                .find_map(|(d, seen)| leak_place(d, seen))
        })
        .or_else(|| {
            case.held
                .leaks
                .iter()
                .find_map(|(d, seen)| leak_place(d, seen))
        });
    if let Some(p) = failing_place {
        tc.extra.insert("file".into(), p.file.as_str().into());
        tc.extra
            .insert("line".into(), p.line.max(1).to_string().into());
    }
    if !notes.is_empty() {
        tc.set_system_out(notes.join("\n"));
    }
    tc
}

/// The name of a package-level case.
fn package_case_name(held: &Held<'_>) -> &'static str {
    if !held.leaks.is_empty() {
        PACKAGE_LEVEL_TEST
    } else if held.failures.iter().any(|f| f.kind == FailureKind::Build) {
        BUILD_CASE
    } else {
        PACKAGE_CASE
    }
}

/// The place of a distinct leak in one node: its anchor, else this node's
/// leak check when that is in the repository.
fn leak_place<'a>(d: &'a JudgedLeak, seen: &'a Sighting) -> Option<&'a SourceRef> {
    d.leak
        .example
        .anchor()
        .or(seen.verify_at.as_ref().filter(|v| v.in_repo))
}

/// Builds the report.
pub fn report(a: &Analysis) -> io::Result<Report> {
    // Every attempt, passed ones read back from the store.
    let all: Vec<TestRecord> = a.findings.all_tests().collect::<io::Result<_>>()?;
    let all = &all;
    // What each node holds, and the nodes in order of first appearance.
    let mut held: HashMap<&NodeKey, Held<'_>> = HashMap::new();
    let mut order: Vec<(&NodeKey, Option<&str>, Option<&str>)> = Vec::new();
    for f in a.findings.failures.iter().filter(|f| a.view.fails_gate(f)) {
        let e = held.entry(&f.node).or_insert_with(|| {
            order.push((&f.node, f.package.as_deref(), f.test.as_deref()));
            Held::default()
        });
        e.failures.push(f);
    }
    // Nodes in order of their first report; each node's leaks most
    // important first.
    for report in &a.findings.leaks {
        if held.get(&report.node).is_some_and(|h| !h.leaks.is_empty()) {
            continue;
        }
        let e = held.entry(&report.node).or_insert_with(|| {
            order.push((
                &report.node,
                report.package.as_deref(),
                report.test.as_deref(),
            ));
            Held::default()
        });
        for d in a.view.leaks_of(&report.node) {
            if let Some(seen) = d.leak.sighting(&report.node) {
                e.leaks.push((d, seen));
            }
        }
    }

    let mut cases: Vec<Case<'_>> = Vec::new();
    let mut covered: HashSet<&NodeKey> = HashSet::new();
    for t in all {
        let gate = a.view.gate(t);
        let subtests = if gate == Gate::Child {
            // (Failed and unfinished attempts: a passed one is no reason.)
            a.findings
                .tests
                .iter()
                .filter(|s| s.node != t.node && t.node.contains(&s.node))
                .filter(|s| !matches!(a.view.gate(s), Gate::Pass | Gate::Skip))
                .map(|s| (&*s.test, a.view.gate(s)))
                .collect()
        } else {
            Vec::new()
        };
        covered.insert(&t.node);
        cases.push(Case {
            package: t.package.as_deref(),
            test: Some(&*t.test),
            name: t.test.to_string(),
            attempt: t.node.attempt,
            gate,
            elapsed: t.elapsed,
            held: held.remove(&t.node).unwrap_or_default(),
            subtests,
        });
    }
    // The package level, and anything the tests did not cover.
    for (node, package, test) in order {
        if covered.contains(node) {
            continue;
        }
        let Some(h) = held.remove(node) else {
            continue;
        };
        if h.failures.is_empty() && h.leaks.is_empty() {
            continue;
        }
        let name = match test {
            Some(t) => t.to_string(),
            None => package_case_name(&h).to_string(),
        };
        cases.push(Case {
            package,
            test,
            name,
            attempt: node.attempt,
            gate: a.view.node_gate(node).unwrap_or(Gate::Allowed),
            elapsed: None,
            held: h,
            subtests: Vec::new(),
        });
    }

    // package -> cases, in run order; BTreeMap keeps the suites stable.
    let mut suites: BTreeMap<&str, Vec<TestCase>> = BTreeMap::new();
    let mut names: HashMap<&str, HashSet<String>> = HashMap::new();
    for case in &mut cases {
        let package = case.package.unwrap_or(UNKNOWN_PACKAGE);
        let taken = names.entry(package).or_default();
        if taken.contains(&case.name) {
            let base = case.name.clone();
            let mut n = case.attempt.max(2);
            let word = if case.attempt > 1 { "attempt" } else { "run" };
            while taken.contains(&format!("{base} ({word} {n})")) {
                n += 1;
            }
            case.name = format!("{base} ({word} {n})");
        }
        taken.insert(case.name.clone());
        let tc = test_case(a, case);
        suites.entry(package).or_default().push(tc);
    }

    let mut report = Report::new("leakgate");
    for (package, cases) in suites {
        let mut suite = TestSuite::new(package);
        let elapsed: f64 = a
            .findings
            .packages
            .iter()
            .filter(|p| p.package.as_deref().unwrap_or(UNKNOWN_PACKAGE) == package)
            .filter_map(|p| p.elapsed)
            .filter(|e| e.is_finite() && *e >= 0.0)
            .sum();
        if elapsed > 0.0 {
            suite.set_time(Duration::from_secs_f64(elapsed));
        }
        suite.add_test_cases(cases);
        report.add_test_suite(suite);
    }
    Ok(report)
}

/// Writes the JUnit report.
pub fn write(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let r = report(a)?;
    r.serialize(&mut *out).map_err(io::Error::other)?;
    writeln!(out)
}
