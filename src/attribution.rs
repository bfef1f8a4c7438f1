//! The run tree → findings, in one pass.
//!
//! Each failed (or unfinished) test attempt, and each package run, is
//! turned into leaks and failures from its **own** evidence only: evidence
//! never crosses packages, inputs or attempts, and nothing is removed
//! after the fact. The rules, in the order they apply (ARCHITECTURE.md has
//! them as a table):
//!
//! 1. Every goleak report and synctest bubble in a node is a leak of that
//!    node.
//! 2. Panics, timeouts, goleak's own errors and build failures are failures
//!    of the node they were printed in.
//! 3. Messages (`file:line: text`): in Go 1.27+ `-json`, lines marked
//!    `error` are failures and the others are logs. In every other format
//!    a failed node's messages are its failure when it has no leak and no
//!    failed subtest, and a [`Condition::OwnMessages`] failure beside its
//!    leaks or above a failed subtest: the format cannot tell `t.Log` from
//!    `t.Error`.
//! 4. A failed node with no evidence at all is a failure of its own
//!    ("failed without a message") unless one of its subtests failed.
//! 5. A test that never finished is a failure (incomplete, or timed out
//!    when the binary's timeout names it) unless a subtest of it that never
//!    finished already is.
//! 6. A package that failed is a failure of its own when nothing in it
//!    failed; when something did, output of its own outside any test is a
//!    [`Condition::OutputOutsideTests`] failure.
//! 7. Where the output cannot show that tests never ran, the node gets a
//!    conditional failure: the last top-level test of a package failed and
//!    nothing in the same input shows `-failfast` was off (a test that
//!    started after another had failed); a parent's last subtest failed
//!    (`if !t.Run(…) { return }`); a synctest panic ended the binary.
//!
//! Conditional failures ([`Failure::condition`]) fail the gate only where
//! nothing else in their node does ([`crate::verdict`]), so they decide a
//! verdict exactly when allowed leaks would otherwise pass it.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::assertions::{bounded, panic_headline, Said};
use crate::events::{Loc, Outcome};
use crate::findings::{
    fingerprint, harness_reason, Condition, Failure, FailureKind, Findings, Leak, LeakFrame,
    LeakSource, LeakedGoroutine, NodeKey, PackageRecord, SourceRef, TestOutcome, TestRecord,
};
use crate::paths::Repo;
use crate::scan::{Found, LeakReport, ReportOrigin};
use crate::stack::{self, Goroutine};
use crate::tree::{Evidence, Message, PackageRun, RunTree, TestRun};

/// Attributes a finished run tree.
pub fn attribute(mut tree: RunTree, repo: &Repo) -> Findings {
    name_from_summaries(&mut tree.packages);
    let seen = failed_outside_summaries(&tree.packages);
    merge_summaries(&mut tree.packages, &seen);
    let junit: FxHashSet<usize> = tree
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.format == crate::events::Format::Junit)
        .map(|(n, _)| n)
        .collect();
    for p in tree
        .packages
        .iter_mut()
        .filter(|p| junit.contains(&p.input))
    {
        suite_crash_to_test(p);
    }
    let runs: FxHashSet<(usize, String)> = tree
        .packages
        .iter()
        .filter(|p| !p.replay)
        .map(|p| (p.input, p.display_name().unwrap_or("").to_string()))
        .collect();
    let failfast_off = failfast_disproved(&tree.packages);
    let mut a = Attribution {
        repo,
        failfast_off,
        findings: Findings {
            inputs: tree.inputs,
            problems: tree.problems,
            passed: std::sync::Arc::new(tree.passed),
            ..Findings::default()
        },
    };
    for pkg in tree.packages {
        // A summary's entry for a package read in full (but not as one
        // run) says nothing new about the package itself.
        let summary_of_known = pkg.summary
            && runs.contains(&(pkg.input, pkg.display_name().unwrap_or("").to_string()));
        a.package(pkg, &seen, summary_of_known);
    }
    for s in tree.stray_builds {
        a.findings.counts.packages += 1;
        let location = compile_error_location(repo, &s.excerpt, Some(&s.package));
        let id = a.findings.failures.len() as u32;
        a.findings.failures.push(Failure {
            id,
            package: Some(s.package.clone()),
            test: None,
            node: NodeKey {
                input: s.at.input,
                run: u32::MAX,
                test: None,
                attempt: 0,
            },
            kind: FailureKind::Build,
            message: format!("package {} {}", s.package, s.marker),
            location,
            condition: None,
            excerpt: s.excerpt,
            at: s.at,
        });
    }
    a.findings
}

/// gotestsum's `pkgname-and-test-fails` prints failed tests' output in
/// blocks apart from their packages' lines, and a block can hold tests of
/// several packages; its `=== Failed` summary then names each test's
/// package. An unnamed fragment is split by the package its tests' summary
/// entries name (same input, in order), so each part can join its run.
fn name_from_summaries(packages: &mut Vec<PackageRun>) {
    let mut named: FxHashMap<(usize, String), std::collections::VecDeque<String>> =
        FxHashMap::default();
    for p in packages.iter().filter(|p| p.summary) {
        let Some(name) = p.display_name() else {
            continue;
        };
        for t in p.tests.iter().filter(|t| t.failed()) {
            named
                .entry((p.input, t.name.clone()))
                .or_default()
                .push_back(name.to_string());
        }
    }
    if named.is_empty() {
        return;
    }
    let mut next_run = packages.iter().map(|p| p.run).max().map_or(0, |r| r + 1);
    let mut out = Vec::with_capacity(packages.len());
    for mut p in std::mem::take(packages) {
        if p.summary || p.display_name().is_some() {
            out.push(p);
            continue;
        }
        // Passed tests stay with the part no summary names.
        let passed = std::mem::take(&mut p.passed);
        let mut parts: Vec<(Option<String>, Vec<TestRun>)> = Vec::new();
        for t in std::mem::take(&mut p.tests) {
            let name = if t.failed() {
                named
                    .get_mut(&(p.input, t.name.clone()))
                    .and_then(|q| q.pop_front())
            } else {
                None
            };
            match parts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, tests)) => tests.push(t),
                None => parts.push((name, vec![t])),
            }
        }
        if parts.len() <= 1 {
            let (name, tests) = parts.pop().unwrap_or((None, Vec::new()));
            p.name = name;
            p.tests = tests;
            p.passed = passed;
            out.push(p);
            continue;
        }
        let unnamed = parts.iter().position(|(n, _)| n.is_none()).unwrap_or(0);
        let mut passed = Some(passed);
        for (k, (name, tests)) in parts.into_iter().enumerate() {
            let mut part = p.clone();
            if k > 0 {
                part.run = next_run;
                next_run += 1;
                // The block's own output stays with its first part.
                part.own = Evidence::default();
            }
            part.name = name;
            part.tests = tests;
            if k == unnamed {
                part.passed = passed.take().unwrap_or_default();
            }
            out.push(part);
        }
    }
    *packages = out;
}

/// Fragments of one package run become one node. gotestsum's formats
/// print a package's result apart from its tests: per-test blocks before
/// the package's line (`testname`), failure summaries after it (quiet
/// formats print a failed test's output only there). A fragment (its
/// package result repeats one stated elsewhere) moves into the run of the
/// same package in the same input: the next one for a per-test block, the
/// previous one for a summary entry (else the other way). A summary's
/// tests that are copies of tests read in full are dropped; its
/// package-level evidence moves only where the run showed none.
fn merge_summaries(packages: &mut Vec<PackageRun>, seen: &FxHashSet<(usize, String, String)>) {
    let mut i = 0;
    while i < packages.len() {
        if !packages[i].replay {
            i += 1;
            continue;
        }
        let input = packages[i].input;
        let name = packages[i].display_name().unwrap_or("").to_string();
        let is_run = |p: &PackageRun| {
            !p.replay && p.input == input && p.display_name() == Some(name.as_str())
        };
        let before = (0..i).rev().find(|&j| is_run(&packages[j]));
        let after = (i + 1..packages.len()).find(|&j| is_run(&packages[j]));
        let target = if packages[i].summary {
            before.or(after)
        } else {
            after.or(before)
        };
        let Some(t) = target else {
            i += 1;
            continue;
        };
        let fragment = packages.remove(i);
        let t = if t > i { t - 1 } else { t };
        let known = &mut packages[t];
        for test in fragment.tests {
            let copy = fragment.summary && seen.contains(&(input, name.clone(), test.name.clone()));
            if !copy {
                known.tests.push(test);
            }
        }
        known.tests.sort_by_key(|t| t.start_seq);
        known.passed.extend(fragment.passed);
        // Runs of one name are its attempts, in order (of the failed ones:
        // passed tests keep the attempt their fragment gave them).
        let mut attempts: FxHashMap<String, u32> = FxHashMap::default();
        for t in &mut known.tests {
            let n = attempts.entry(t.name.clone()).or_default();
            *n += 1;
            t.attempt = *n;
        }
        if known.own.found.is_empty() {
            known.own.found = fragment.own.found;
        }
        if !fragment.summary {
            // A per-test block's lines outside its tests are the package's
            // (a summary's are copies).
            known.own.own_line_count += fragment.own.own_line_count;
            let room = crate::tree::MAX_OWN_LINES.saturating_sub(known.own.own_lines.len());
            known
                .own
                .own_lines
                .extend(fragment.own.own_lines.into_iter().take(room));
        }
        if known.build.is_none() {
            known.build = fragment.build;
        }
    }
}

/// `go test -timeout` kills the whole binary: its dump belongs to the
/// package, and names the tests still running. Without `-v` those tests
/// printed nothing before (their output is buffered), and the dump is read
/// after the previous test's result, as if it were that test's. A timeout
/// in a test that it does not list as running moves to the package level,
/// and each test it lists that the input never showed becomes an
/// unfinished test of the package.
fn timeouts_to_running_tests(p: &mut PackageRun) {
    let is_timeout = |f: &Found| matches!(f, Found::Timeout { .. });
    for t in &mut p.tests {
        let Some(ev) = t.evidence.as_deref_mut() else {
            continue;
        };
        if !ev.found.iter().any(|(f, _)| is_timeout(f)) {
            continue;
        }
        let (moved, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut ev.found).into_iter().partition(|(f, _)| {
            matches!(f, Found::Timeout { running, .. } if !running.is_empty() && !running.contains(&t.name))
        });
        ev.found = kept;
        p.own.found.extend(moved);
    }
    // gotestsum's JUnit puts the dump in a case of its own and marks the
    // tests it names failed, with nothing of theirs but `=== RUN`: the
    // timeout is the first such test's.
    let silent = |t: &TestRun| {
        t.outcome == Some(Outcome::Fail)
            && t.evidence
                .as_deref()
                .is_none_or(|e| e.found.is_empty() && e.messages.is_empty())
    };
    let named = p.own.found.iter().position(|(f, _)| {
        matches!(f, Found::Timeout { running, .. }
            if p.tests.iter().any(|t| silent(t) && running.contains(&t.name)))
    });
    if let Some(i) = named {
        let (f, at) = p.own.found.remove(i);
        if let Found::Timeout { running, .. } = &f {
            if let Some(t) = p
                .tests
                .iter_mut()
                .find(|t| silent(t) && running.contains(&t.name))
            {
                t.evidence
                    .get_or_insert_with(Box::default)
                    .found
                    .push((f, at));
            }
        }
    }
    let mut missing: Vec<(String, Loc)> = Vec::new();
    for (f, at) in &p.own.found {
        if let Found::Timeout { running, .. } = f {
            for r in running {
                if !p.tests.iter().any(|t| &t.name == r) && !missing.iter().any(|(m, _)| m == r) {
                    missing.push((r.clone(), *at));
                }
            }
        }
    }
    let last = p
        .tests
        .iter()
        .map(|t| t.end_seq.unwrap_or(t.start_seq))
        .chain(p.passed.iter().map(|b| b.last_seq))
        .max()
        .unwrap_or(0);
    for (i, (name, at)) in missing.into_iter().enumerate() {
        p.tests.push(TestRun {
            name,
            attempt: 1,
            outcome: None,
            elapsed: None,
            start: at,
            end: None,
            start_seq: last + 1 + i as u64,
            end_seq: None,
            evidence: Some(Box::default()),
            last_passed_child: None,
        });
    }
}

/// go-junit-report moves a crash's output (a panic, a synctest bubble's
/// deadlock) from the test that crashed to its suite's `system-out`. In a
/// JUnit input, a suite whose own output holds a crash and whose only
/// failed test printed nothing: the crash is that test's.
fn suite_crash_to_test(p: &mut PackageRun) {
    let crash = p
        .own
        .found
        .iter()
        .any(|(f, _)| matches!(f, Found::Panic(_) | Found::SynctestLeak { .. }));
    if !crash {
        return;
    }
    let silent = |t: &TestRun| {
        t.failed()
            && t.evidence
                .as_deref()
                .is_none_or(|e| e.found.is_empty() && e.messages.is_empty() && e.excerpt.is_empty())
    };
    let mut failed = p.tests.iter_mut().filter(|t| t.failed());
    let (Some(only), None) = (failed.next(), failed.next()) else {
        return;
    };
    if !silent(only) {
        return;
    }
    let (moved, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut p.own.found)
        .into_iter()
        .partition(|(f, _)| matches!(f, Found::Panic(_) | Found::SynctestLeak { .. }));
    p.own.found = kept;
    let ev = only.evidence.get_or_insert_with(Box::default);
    ev.found = moved;
    ev.excerpt = p.own.excerpt.clone();
}

/// (input, package, test) of every failed test read outside a summary:
/// a summary's entry for one of them is a copy, not another failure.
fn failed_outside_summaries(packages: &[PackageRun]) -> FxHashSet<(usize, String, String)> {
    let mut seen = FxHashSet::default();
    for p in packages.iter().filter(|p| !p.summary) {
        let name = p.display_name().unwrap_or("").to_string();
        for t in p.tests.iter().filter(|t| t.failed()) {
            seen.insert((p.input, name.clone(), t.name.clone()));
        }
    }
    seen
}

struct Attribution<'r> {
    repo: &'r Repo,
    /// Inputs whose output shows that `-failfast` was off.
    failfast_off: FxHashSet<usize>,
    findings: Findings,
}

/// Inputs where a top-level test started after another one of its package
/// had failed: `-failfast` would have stopped it, so that invocation did
/// not use it.
fn failfast_disproved(packages: &[PackageRun]) -> FxHashSet<usize> {
    let mut off = FxHashSet::default();
    for p in packages {
        // The first end of a failed top-level test, and the last start of
        // any top-level test.
        let top = || p.tests.iter().filter(|t| !t.name.contains('/'));
        let failed_by = top()
            .filter(|t| t.outcome == Some(Outcome::Fail))
            .map(|t| t.end_seq.unwrap_or(t.start_seq))
            .min();
        let last_start = top()
            .map(|t| t.start_seq)
            .chain(p.passed.iter().filter_map(|b| b.last_top_start))
            .max();
        if let (Some(end), Some(start)) = (failed_by, last_start) {
            if start > end {
                off.insert(p.input);
            }
        }
    }
    off
}

/// What one node's evidence produced.
#[derive(Default)]
struct Outcomes {
    leaks: usize,
    /// Failures the input states (not conditional).
    stated: usize,
    synctest: bool,
    timeout: bool,
}

impl Attribution<'_> {
    fn package(
        &mut self,
        mut pkg: PackageRun,
        seen: &FxHashSet<(usize, String, String)>,
        summary_of_known: bool,
    ) {
        timeouts_to_running_tests(&mut pkg);
        let name = pkg.display_name().map(str::to_string);
        let shared_name: Option<std::sync::Arc<str>> = name.as_deref().map(Into::into);
        let pkg_key = NodeKey {
            input: pkg.input,
            run: pkg.run,
            test: None,
            attempt: 0,
        };
        let label = name.clone().unwrap_or_default();
        // A summary's entries for failures read in full are copies.
        let copy =
            |t: &TestRun| pkg.summary && seen.contains(&(pkg.input, label.clone(), t.name.clone()));
        if pkg.outcome.is_some() && !pkg.replay {
            self.findings.counts.packages += 1;
        }
        self.findings.packages.push(PackageRecord {
            node: pkg_key.clone(),
            package: name.clone(),
            outcome: pkg.outcome,
            elapsed: pkg.elapsed,
            passed: pkg.passed.iter().map(|b| b.block).collect(),
        });
        for b in &pkg.passed {
            self.findings.counts.passed += u64::from(b.passed);
            self.findings.counts.skipped += u64::from(b.skipped);
        }
        let own_timeout = pkg
            .own
            .found
            .iter()
            .any(|(f, _)| matches!(f, Found::Timeout { .. }));
        let failed: Vec<&TestRun> = pkg
            .tests
            .iter()
            .filter(|t| t.failed() && !copy(t))
            .collect();
        let unfinished: Vec<&TestRun> = failed
            .iter()
            .copied()
            .filter(|t| t.outcome.is_none())
            .collect();
        let mut any_failed = false;
        let mut synctest = false;
        let mut test_timeout = false;
        for t in &pkg.tests {
            if copy(t) {
                continue;
            }
            let outcome = match t.outcome {
                Some(Outcome::Pass) => TestOutcome::Pass,
                Some(Outcome::Skip) => TestOutcome::Skip,
                Some(Outcome::Fail) => TestOutcome::Fail,
                None => TestOutcome::Unfinished,
            };
            match outcome {
                TestOutcome::Pass => self.findings.counts.passed += 1,
                TestOutcome::Skip => self.findings.counts.skipped += 1,
                TestOutcome::Fail | TestOutcome::Unfinished => self.findings.counts.failed += 1,
            }
            let test: std::sync::Arc<str> = t.name.as_str().into();
            let node = NodeKey {
                input: pkg.input,
                run: pkg.run,
                test: Some(test.clone()),
                attempt: t.attempt,
            };
            self.findings.tests.push(TestRecord {
                node: node.clone(),
                package: shared_name.clone(),
                test,
                outcome,
                elapsed: t.elapsed,
                seq: t.start_seq,
            });
            if !t.failed() {
                continue;
            }
            any_failed = true;
            let child_failed = failed.iter().any(|c| is_below(&c.name, &t.name));
            let child_unfinished = unfinished.iter().any(|c| is_below(&c.name, &t.name));
            let empty = Evidence::default();
            let ev = t.evidence.as_deref().unwrap_or(&empty);
            let got = self.evidence(&name, &node, ev, child_failed, t.outcome.is_some());
            synctest |= got.synctest;
            test_timeout |= got.timeout;
            if t.outcome.is_none() && got.stated == 0 && !child_unfinished {
                let stuck_here = pkg.own.found.iter().find_map(|(f, _)| match f {
                    Found::Timeout { stuck, .. } => stuck
                        .iter()
                        .find(|s| s.test.as_deref() == Some(t.name.as_str()))
                        .map(|s| s.goroutine.clone()),
                    _ => None,
                });
                if own_timeout {
                    test_timeout = true;
                }
                let (kind, message) = if own_timeout {
                    (
                        FailureKind::Timeout,
                        format!(
                            "{} was still running when the test binary timed out",
                            t.name
                        ),
                    )
                } else if pkg.outcome.is_some() {
                    (
                        FailureKind::Incomplete,
                        format!(
                            "{} started and never finished: the test binary exited early (crash, os.Exit, log.Fatal or a signal)",
                            t.name
                        ),
                    )
                } else {
                    (
                        FailureKind::Incomplete,
                        format!(
                            "{} started and never finished: the output ends early",
                            t.name
                        ),
                    )
                };
                let location = stuck_here
                    .as_ref()
                    .and_then(|g| self.stuck_location(g))
                    .or_else(|| self.last_message_location(&name, ev));
                let message = match last_output(ev) {
                    Some(LastOutput::Message(m)) if !said(m).text.is_empty() => {
                        format!("{message}; its last message: {}", said(m).text)
                    }
                    Some(LastOutput::Line(l)) => {
                        format!("{message}; its last output: {}", bounded(l))
                    }
                    _ => message,
                };
                self.fail(
                    &name,
                    &node,
                    kind,
                    message,
                    location,
                    None,
                    ev.excerpt.clone(),
                    t.start,
                );
            }
            // A parent whose last subtest failed may have returned early.
            if t.outcome == Some(Outcome::Fail) {
                if let Some(last) = last_child(&pkg.tests, t) {
                    if t.last_passed_child.is_none_or(|p| p < last.start_seq) {
                        self.fail(
                            &name,
                            &node,
                            FailureKind::Test,
                            format!(
                                "{} ended right after its subtest {} failed; later subtests may not have run",
                                t.name, last.name
                            ),
                            None,
                            Some(Condition::ReturnedEarly),
                            Vec::new(),
                            t.end.unwrap_or(t.start),
                        );
                    }
                }
            }
        }
        // Package level.
        let end = pkg.end.unwrap_or(pkg.start);
        if summary_of_known {
            // The summary repeats what the package's own run printed.
            return;
        }
        let own = self.package_evidence(&name, &pkg_key, &pkg.own, test_timeout);
        synctest |= own.synctest;
        if let Some(b) = &pkg.build {
            let location = compile_error_location(self.repo, &b.excerpt, name.as_deref());
            self.fail(
                &name,
                &pkg_key,
                FailureKind::Build,
                format!("build failed: {}", b.package),
                location,
                None,
                b.excerpt.clone(),
                end,
            );
        }
        if synctest {
            let after = pkg
                .tests
                .iter()
                .rev()
                .find(|t| t.failed())
                .map(|t| t.name.clone())
                .unwrap_or_default();
            self.fail(
                &name,
                &pkg_key,
                FailureKind::Panic,
                format!(
                    "a synctest bubble's deadlock panic ended the test binary{}: the package's later tests never ran",
                    if after.is_empty() { String::new() } else { format!(" in {after}") }
                ),
                None,
                Some(Condition::BinaryStopped),
                Vec::new(),
                end,
            );
        }
        if pkg.outcome == Some(Outcome::Fail) && pkg.build.is_none() {
            if !any_failed && own.leaks == 0 && own.stated == 0 {
                self.fail(
                    &name,
                    &pkg_key,
                    FailureKind::Test,
                    match pkg.own.own_lines.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty()) {
                        Some(l) => format!("the package failed, but no test failed: TestMain or the test binary exited non-zero; its last output: {}", bounded(l)),
                        None => "the package failed, but no test failed: TestMain or the test binary exited non-zero".to_string(),
                    },
                    None,
                    None,
                    if pkg.own.own_lines.is_empty() { pkg.own.excerpt.clone() } else { pkg.own.own_lines.clone() },
                    end,
                );
            } else if pkg.own.own_line_count > 0 && own.stated == 0 {
                self.fail(
                    &name,
                    &pkg_key,
                    FailureKind::Test,
                    format!(
                        "the package failed and printed {} line{} outside any test: {}",
                        pkg.own.own_line_count,
                        if pkg.own.own_line_count == 1 { "" } else { "s" },
                        pkg.own.own_lines.first().map(|l| l.trim()).unwrap_or("")
                    ),
                    None,
                    Some(Condition::OutputOutsideTests),
                    pkg.own.own_lines.clone(),
                    end,
                );
            }
        }
        // The last top-level test failed: with -failfast, later ones never ran.
        let last_passed_top = pkg.passed.iter().filter_map(|b| b.last_top_start).max();
        let last_top = pkg
            .tests
            .iter()
            .filter(|t| !t.name.contains('/') && !copy(t))
            .max_by_key(|t| t.start_seq)
            .filter(|t| last_passed_top.is_none_or(|p| p < t.start_seq));
        let failfast_off = self.failfast_off.contains(&pkg.input);
        if let Some(last) = last_top.filter(|t| t.outcome == Some(Outcome::Fail) && !failfast_off) {
            self.fail(
                &name,
                &pkg_key,
                FailureKind::Test,
                format!(
                    "the package's last test, {}, failed; tests after it may not have run (-failfast)",
                    last.name
                ),
                None,
                Some(Condition::StoppedEarly),
                Vec::new(),
                end,
            );
        }
    }

    /// Leaks and failures from one test attempt's own evidence.
    fn evidence(
        &mut self,
        package: &Option<String>,
        node: &NodeKey,
        ev: &Evidence,
        child_failed: bool,
        finished: bool,
    ) -> Outcomes {
        let mut got = Outcomes::default();
        let synctest_here = ev
            .found
            .iter()
            .any(|(f, _)| matches!(f, Found::SynctestLeak { .. }));
        let mut before_check = false;
        for (f, at) in &ev.found {
            match f {
                Found::Leak(r) => {
                    got.leaks += 1;
                    before_check |= r
                        .location
                        .as_ref()
                        .is_some_and(|(file, _)| file == "panic.go");
                    self.add_leak(package, node, r.clone(), LeakSource::Goleak(r.origin), *at);
                }
                Found::SynctestLeak { goroutines } => {
                    got.leaks += 1;
                    got.synctest = true;
                    self.add_synctest_leak(package, node, goroutines.clone(), *at);
                }
                Found::Timeout {
                    after,
                    running,
                    stuck,
                } => {
                    got.stated += 1;
                    got.timeout = true;
                    let location = stuck
                        .iter()
                        .find(|s| s.test.as_deref() == node.test.as_deref())
                        .or(stuck.first())
                        .and_then(|s| self.stuck_location(&s.goroutine));
                    let message = if running.is_empty() {
                        format!("test timed out after {after}")
                    } else {
                        format!(
                            "test timed out after {after}; running: {}",
                            running.join(", ")
                        )
                    };
                    self.fail(
                        package,
                        node,
                        FailureKind::Timeout,
                        message,
                        location,
                        None,
                        ev.excerpt.clone(),
                        *at,
                    );
                }
                Found::Panic(msg) => {
                    if synctest_here {
                        continue;
                    }
                    got.stated += 1;
                    let location = self
                        .panic_location(&ev.excerpt)
                        .or_else(|| self.last_message_location(package, ev));
                    self.fail(
                        package,
                        node,
                        FailureKind::Panic,
                        panic_headline(msg),
                        location,
                        None,
                        ev.excerpt.clone(),
                        *at,
                    );
                }
                Found::GoleakError(msg) => {
                    got.stated += 1;
                    self.goleak_error(package, node, msg, ev, *at);
                }
            }
        }
        let end = ev.found.last().map(|(_, at)| *at).unwrap_or_default();
        if !finished {
            // Never finished: that is its failure (see `package`).
            return got;
        }
        if ev.typed {
            // Go 1.27+: `error` lines are failures, the rest are logs.
            let errors: Vec<&Message> = ev.messages.iter().filter(|m| m.error).collect();
            if let Some(m) = errors
                .iter()
                .find(|m| !said(m).text.is_empty())
                .or(errors.first())
            {
                got.stated += 1;
                let location = Some(self.message_location(package, m));
                self.fail(
                    package,
                    node,
                    FailureKind::Test,
                    said(m).text,
                    location,
                    None,
                    ev.excerpt.clone(),
                    m.at,
                );
            } else if got.leaks > 0 && before_check {
                self.before_check(package, node, ev, end);
            } else if got.leaks == 0 && got.stated == 0 && !child_failed {
                got.stated += 1;
                let location = self.last_message_location(package, ev);
                self.fail(
                    package,
                    node,
                    FailureKind::Test,
                    "failed without an error message (t.Fail, or t.FailNow after t.Log)"
                        .to_string(),
                    location,
                    None,
                    ev.excerpt.clone(),
                    end,
                );
            }
        } else if let Some(m) = headline(&ev.messages) {
            let location = Some(self.message_location(package, m));
            if (got.leaks > 0 || child_failed) && got.stated == 0 {
                // Beside allowed leaks, or above a failed subtest, the
                // messages may be t.Log: a failure where nothing else is.
                self.fail(
                    package,
                    node,
                    FailureKind::Test,
                    said(m).text,
                    location,
                    Some(Condition::OwnMessages),
                    ev.excerpt.clone(),
                    m.at,
                );
            } else if got.stated == 0 {
                got.stated += 1;
                self.fail(
                    package,
                    node,
                    FailureKind::Test,
                    said(m).text,
                    location,
                    None,
                    ev.excerpt.clone(),
                    m.at,
                );
            }
        } else if got.leaks > 0 && before_check {
            self.before_check(package, node, ev, end);
        } else if got.leaks == 0 && got.stated == 0 && !child_failed && !ev.excerpt.is_empty() {
            got.stated += 1;
            let message = ev
                .excerpt
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string();
            self.fail(
                package,
                node,
                FailureKind::Test,
                message,
                None,
                None,
                ev.excerpt.clone(),
                end,
            );
        } else if got.leaks == 0 && got.stated == 0 && !child_failed {
            got.stated += 1;
            let test = node.test.as_deref().unwrap_or("");
            self.fail(
                package,
                node,
                FailureKind::Test,
                format!("{test} failed without a message of its own"),
                None,
                None,
                Vec::new(),
                end,
            );
        }
        got
    }

    fn before_check(&mut self, package: &Option<String>, node: &NodeKey, ev: &Evidence, at: Loc) {
        self.fail(
            package,
            node,
            FailureKind::Test,
            "the test was already stopping when its deferred goleak check ran (t.FailNow, t.Fatal or runtime.Goexit)".to_string(),
            self.last_message_location(package, ev),
            Some(Condition::FailedBeforeCheck),
            ev.excerpt.clone(),
            at,
        );
    }

    /// Package-level evidence: `VerifyTestMain`, panics and timeouts
    /// outside tests.
    fn package_evidence(
        &mut self,
        package: &Option<String>,
        node: &NodeKey,
        ev: &Evidence,
        test_timeout: bool,
    ) -> Outcomes {
        let mut got = Outcomes::default();
        let synctest_here = ev
            .found
            .iter()
            .any(|(f, _)| matches!(f, Found::SynctestLeak { .. }));
        for (f, at) in &ev.found {
            match f {
                Found::Leak(r) => {
                    got.leaks += 1;
                    self.add_leak(package, node, r.clone(), LeakSource::Goleak(r.origin), *at);
                }
                Found::SynctestLeak { goroutines } => {
                    got.leaks += 1;
                    got.synctest = true;
                    self.add_synctest_leak(package, node, goroutines.clone(), *at);
                }
                Found::Timeout {
                    after,
                    running,
                    stuck,
                } => {
                    got.stated += 1;
                    if test_timeout {
                        continue;
                    }
                    let location = stuck
                        .first()
                        .and_then(|s| self.stuck_location(&s.goroutine));
                    self.fail(
                        package,
                        node,
                        FailureKind::Timeout,
                        format!(
                            "test binary timed out after {after}; running: {}",
                            running.join(", ")
                        ),
                        location,
                        None,
                        ev.excerpt.clone(),
                        *at,
                    );
                }
                Found::Panic(_) if synctest_here => {}
                Found::Panic(msg) => {
                    got.stated += 1;
                    self.fail(
                        package,
                        node,
                        FailureKind::Panic,
                        panic_headline(msg),
                        self.panic_location(&ev.excerpt),
                        None,
                        ev.excerpt.clone(),
                        *at,
                    );
                }
                Found::GoleakError(msg) => {
                    got.stated += 1;
                    self.goleak_error(package, node, msg, ev, *at);
                }
            }
        }
        got
    }

    /// goleak failed to check (its own error): nothing is known.
    fn goleak_error(
        &mut self,
        package: &Option<String>,
        node: &NodeKey,
        msg: &str,
        ev: &Evidence,
        at: Loc,
    ) {
        self.fail(
            package,
            node,
            FailureKind::Test,
            format!("goleak could not check for leaks: {msg}"),
            None,
            None,
            ev.excerpt.clone(),
            at,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn fail(
        &mut self,
        package: &Option<String>,
        node: &NodeKey,
        kind: FailureKind,
        message: String,
        location: Option<SourceRef>,
        condition: Option<Condition>,
        excerpt: Vec<String>,
        at: Loc,
    ) {
        let id = self.findings.failures.len() as u32;
        self.findings.failures.push(Failure {
            id,
            package: package.clone(),
            test: node.test.as_deref().map(str::to_string),
            node: node.clone(),
            kind,
            message,
            location,
            condition,
            excerpt,
            at,
        });
    }

    /// A message's `file:line`, resolved through its package (it prints a
    /// base name).
    /// testify's `Error Trace:` names the assertion's line (its first
    /// entry) where the message's own `file:line` may be a helper's.
    fn message_location(&self, package: &Option<String>, m: &Message) -> SourceRef {
        let function = package.as_deref().map(|p| format!("{p}.Test"));
        match said(m).trace {
            Some((file, line)) => self.repo.resolve(&file, line, function.as_deref()),
            None => self.repo.resolve(&m.file, m.line, function.as_deref()),
        }
    }

    fn last_message_location(&self, package: &Option<String>, ev: &Evidence) -> Option<SourceRef> {
        headline(&ev.messages).map(|m| self.message_location(package, m))
    }

    /// Where a panic happened: the first frame of the panicking goroutine's
    /// stack (in the output after `panic:`) that is the repository's and
    /// not the runtime's or the testing package's.
    fn panic_location(&self, excerpt: &[String]) -> Option<SourceRef> {
        let start = excerpt.iter().position(|l| l.starts_with("panic: "))?;
        excerpt[start..].windows(2).find_map(|w| {
            let (func, at) = (w[0].as_str(), w[1].strip_prefix('\t')?);
            if func.starts_with('\t')
                || func.starts_with("panic(")
                || func.starts_with("runtime.")
                || func.starts_with("testing.")
                || func.starts_with("created by ")
            {
                return None;
            }
            let path = at.split(" +0x").next().unwrap_or(at);
            let (file, line) = path.rsplit_once(':')?;
            let line: u32 = line.trim().parse().ok()?;
            let function = func.rsplit_once('(').map_or(func, |(f, _)| f);
            Some(self.repo.resolve(file, line, Some(function))).filter(|r| r.in_repo)
        })
    }

    /// Where a timed-out test was stuck: its innermost frame in the
    /// repository (else the test function's own line).
    fn stuck_location(&self, g: &Goroutine) -> Option<SourceRef> {
        let resolved = resolve_goroutine(self.repo, g.clone());
        resolved
            .frames
            .iter()
            .find(|f| f.place.in_repo)
            .map(|f| f.place.clone())
            .or(resolved.blocked_at)
    }

    fn add_synctest_leak(
        &mut self,
        package: &Option<String>,
        node: &NodeKey,
        goroutines: Vec<Goroutine>,
        at: Loc,
    ) {
        let report = LeakReport {
            origin: ReportOrigin::Other,
            location: None,
            goroutines,
            dropped: 0,
            layout: None,
            truncated: false,
        };
        self.add_leak(package, node, report, LeakSource::Synctest, at);
    }

    fn add_leak(
        &mut self,
        package: &Option<String>,
        node: &NodeKey,
        report: LeakReport,
        source: LeakSource,
        at: Loc,
    ) {
        let none_shown = report.goroutines.is_empty() && !report.truncated && report.dropped == 0;
        let goroutines = report
            .goroutines
            .into_iter()
            .map(|g| resolve_goroutine(self.repo, g))
            .collect();
        // `leaky_test.go:14` is a base name: find it through the package.
        let verify_at = report.location.as_ref().map(|(file, line)| {
            let function = package.as_deref().map(|p| format!("{p}.Test"));
            self.repo.resolve(file, *line, function.as_deref())
        });
        // Goroutines the report did not show could be anything: a failure
        // of this test or package in their own right, never allowed; the
        // leaks it did show are judged one by one.
        if report.truncated || report.dropped > 0 || none_shown {
            let what = match (report.truncated, report.dropped) {
                // goleak failed the check: a report that lists no
                // goroutine still says something leaked.
                _ if none_shown => "goroutines not shown: the leak report lists none, but the check failed".to_string(),
                (true, 0) => "goroutines not shown: the leak report was cut short, so the goroutines after its last line are unknown".to_string(),
                (true, n) => format!("goroutines not shown: the leak report was cut short and {n} goroutine{} past its limit were not kept", if n == 1 { "" } else { "s" }),
                (false, n) => format!("goroutines not shown: {n} goroutine{} of the leak report past its limit were not kept", if n == 1 { "" } else { "s" }),
            };
            self.fail(
                package,
                node,
                FailureKind::Leak,
                what,
                verify_at.clone().filter(|v| v.in_repo),
                None,
                Vec::new(),
                at,
            );
        }
        self.findings.leaks.push(Leak {
            package: package.clone(),
            test: node.test.as_deref().map(str::to_string),
            node: node.clone(),
            source,
            location: report.location,
            verify_at,
            goroutines,
            dropped: report.dropped,
            truncated: report.truncated,
            at,
        });
    }
}

/// Whether test `child` is below `parent` (`TestA/b` below `TestA`).
fn is_below(child: &str, parent: &str) -> bool {
    child.len() > parent.len()
        && child.starts_with(parent)
        && child.as_bytes()[parent.len()] == b'/'
}

/// The last direct subtest that ran in `parent`'s attempt (started after
/// it, before it ended).
fn last_child<'t>(tests: &'t [TestRun], parent: &TestRun) -> Option<&'t TestRun> {
    let end = parent.end_seq?;
    tests
        .iter()
        .filter(|t| {
            is_below(&t.name, &parent.name)
                && !t.name[parent.name.len() + 1..].contains('/')
                && t.start_seq >= parent.start_seq
                && t.start_seq <= end
        })
        .max_by_key(|t| t.start_seq)
}

/// The message that best says why a test failed where the format does not
/// mark `t.Error`: the last one printed from a `_test.go` file (`t.Fatal`
/// ends a test; helpers and loggers print from other files), else the
/// last one.
fn headline(messages: &[Message]) -> Option<&Message> {
    let says = |m: &&Message| !m.text.trim().is_empty() || !m.continuation.trim().is_empty();
    let mut from_test = messages
        .iter()
        .rev()
        .filter(|m| m.file.ends_with("_test.go"));
    from_test
        .clone()
        .find(says)
        .or_else(|| from_test.next())
        .or_else(|| messages.iter().rev().find(says))
        .or(messages.last())
}

/// What a message says failed ([`crate::assertions::said`]).
fn said(m: &Message) -> Said {
    crate::assertions::said(&m.text, &m.continuation)
}

/// What a test that never finished printed last.
enum LastOutput<'e> {
    Message(&'e Message),
    Line(&'e str),
}

/// The last thing a test printed: its last output line when that is not
/// a message (`log.Fatal`'s line, a `fmt.Println`), else its message (as
/// [`headline`] picks it).
fn last_output(ev: &Evidence) -> Option<LastOutput<'_>> {
    match &ev.last_output {
        Some(l) => Some(LastOutput::Line(l)),
        None => headline(&ev.messages).map(LastOutput::Message),
    }
}

/// The first `file.go:L:C: msg` (or `file.go:L: msg`) line of compiler
/// output, resolved through the package.
fn compile_error_location(
    repo: &Repo,
    excerpt: &[String],
    package: Option<&str>,
) -> Option<SourceRef> {
    excerpt.iter().find_map(|l| {
        let t = l.trim_start();
        let t = t.strip_prefix("./").unwrap_or(t);
        let colon = t.find(".go:")? + 3;
        let file = &t[..colon];
        if file.contains(' ') {
            return None;
        }
        let rest = &t[colon + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || !rest[digits..].starts_with(':') {
            return None;
        }
        let line: u32 = rest[..digits].parse().ok()?;
        let function = package.map(|p| format!("{p}.init"));
        Some(repo.resolve(file, line, function.as_deref()))
    })
}

/// Resolves one goroutine: fingerprint, origin, blocked-at, harness.
pub(crate) fn resolve_goroutine(repo: &Repo, goroutine: Goroutine) -> LeakedGoroutine {
    let fingerprint = fingerprint(&goroutine);
    let origin = goroutine
        .created_by
        .as_ref()
        .filter(|c| !c.file.is_empty())
        .map(|c| repo.resolve(&c.file, c.line, Some(&c.function)));
    let frames: Vec<LeakFrame> = goroutine
        .frames
        .iter()
        .map(|f| LeakFrame {
            function: f.function.clone(),
            place: repo.resolve_frame(f),
            stdlib: stack::is_stdlib_function(&f.function),
        })
        .collect();
    let blocked_at = frames
        .iter()
        .find(|f| f.place.in_repo)
        .or_else(|| {
            frames
                .iter()
                .find(|f| !f.place.file.is_empty() && !f.stdlib)
        })
        .map(|f| f.place.clone());
    let harness = harness_reason(&goroutine);
    LeakedGoroutine {
        goroutine,
        fingerprint,
        origin,
        blocked_at,
        frames,
        harness,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_means_a_subtest() {
        assert!(is_below("TestA/b", "TestA"));
        assert!(is_below("TestA/b/c", "TestA"));
        assert!(!is_below("TestAB", "TestA"));
        assert!(!is_below("TestA", "TestA"));
    }

    #[test]
    fn compile_errors_are_located() {
        let repo = Repo::bare("/r");
        let got = compile_error_location(
            &repo,
            &[
                "# ex.com/p".to_string(),
                "./broken.go:7:2: undefined: x".to_string(),
            ],
            Some("ex.com/p"),
        )
        .unwrap();
        assert_eq!(got.line, 7);
        assert!(got.file.ends_with("broken.go"));
    }

    #[test]
    fn headline_prefers_the_tests_own_file() {
        let m = |file: &str, line| Message {
            file: file.to_string(),
            line,
            text: String::new(),
            continuation: String::new(),
            error: false,
            at: Loc::default(),
        };
        let msgs = [
            m("writer.go", 40),
            m("lifecycle_test.go", 72),
            m("writer.go", 41),
        ];
        assert_eq!(headline(&msgs).unwrap().line, 72);
        assert_eq!(headline(&msgs[..1]).unwrap().line, 40);
        assert!(headline(&[]).is_none());
    }
}
