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

mod attempt;
pub mod classify;
mod plan;
mod record;
pub mod rerun;

pub use attempt::{execute, AttemptRun, Runner};
pub use plan::{plan, Base, Invocation, Plan, Rerun, RerunDir};
pub use record::{
    outcome_of, records_of, Attempt, AttemptResult, ReportKey, RetriedLeak, RetryOutcome,
    RetryRecord,
};

pub use crate::config::{parse_duration, FlakyMode, RetryConfig, When};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    use crate::events::Outcome;
    use rustc_hash::FxHashSet;

    use crate::findings::{Findings, LeakKey, NodeKey};
    use attempt::identity;
    use rerun::Selection;

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
