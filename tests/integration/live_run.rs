//! Live end-to-end tests of `leakgate run` and retries: they run the Go
//! fixture module in testdata/go for real.
//!
//! Without Go these tests skip with a note, except in CI (`CI` set), where
//! a missing Go toolchain is a failure: the gate must not go green because
//! nothing ran. The process-group tests need only `sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn leakgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leakgate"))
}

fn module() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/go")
}

/// Whether Go can run; panics in CI when it cannot.
pub(crate) fn have_go() -> bool {
    let ok = Command::new("go")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("the live tests need Go (`go` on PATH) and CI is set: refusing to skip");
        }
        eprintln!("note: `go` not found; skipping a live test (set CI to make this a failure)");
    }
    ok
}

struct Run {
    out: Output,
    report: Value,
    _dir: tempfile::TempDir,
}

impl Run {
    fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    fn leak(&self, test: Option<&str>) -> &Value {
        self.report["leaks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["test"].as_str() == test)
            .unwrap_or_else(|| panic!("no leak for {test:?} in {}", self.report))
    }
}

/// `leakgate ARGS` in the fixture module with fresh first-attempt markers,
/// a JSON report read back.
fn leakgate_in_module(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mut cmd = leakgate();
    cmd.current_dir(module())
        .env("LEAKGATE_FLAKY_MARKER", dir.path().join("flaky.marker"))
        .env(
            "LEAKGATE_FLAKY_MAIN_MARKER",
            dir.path().join("flakymain.marker"),
        )
        .env("NO_COLOR", "1");
    let (sub, rest) = args.split_first().unwrap();
    cmd.arg(sub)
        .arg(format!("--report=json={}", report.display()))
        .args(rest);
    let out = cmd.output().unwrap();
    let text = std::fs::read_to_string(&report).unwrap_or_else(|_| {
        panic!(
            "no JSON report; exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        out,
        report: serde_json::from_str(&text).unwrap(),
        _dir: dir,
    }
}

#[test]
fn flaky_package_retries_only_what_looks_transient() {
    if !have_go() {
        return;
    }
    let r = leakgate_in_module(&["run", "--retries", "2", "--", "go", "test", "./flaky"]);
    let err = r.stderr();
    assert_eq!(r.code(), 1, "{err}");
    assert_eq!(r.report["verdict"], "fail");

    // Leaks only the first time: its rerun passed in attempt 1. But the
    // distinct leak (SlowShutdown's sleeping goroutine) is also in
    // TestMixedReport, which is not rerun (its other leak is blocked for
    // good): gone in one test, not known in the other, it stays new.
    let first = r.leak(Some("TestLeakOnFirstAttempt"));
    assert_eq!(first["status"], "new", "{first}");
    assert_eq!(first["retry"]["outcome"], "flaky");
    let fp = first["distinct_leaks"][0].as_str().unwrap();
    let slow = r.report["distinct_leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["fingerprint"] == fp)
        .unwrap();
    assert_eq!(slow["status"], "new", "{slow}");
    assert_eq!(slow["retry"]["outcome"], "not-retried", "{slow}");
    let why = slow["retry"]["reason"].as_str().unwrap();
    assert!(why.contains("TestLeakOnFirstAttempt: retried"), "{why}");
    assert!(
        why.contains("TestMixedReport: not retried: another new leak of the same test"),
        "{why}"
    );
    assert_eq!(first["retry"]["passed_in_attempt"], 1);
    let command = first["retry"]["command"].as_str().unwrap();
    assert!(
        command.contains("-run '^TestLeakOnFirstAttempt$'"),
        "{command}"
    );
    assert!(command.contains("-count=1"), "{command}");
    assert!(
        command.ends_with(" example.com/leakgate/fixtures/flaky"),
        "{command}"
    );
    let attempts = first["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["result"], "passed");

    // Leaks every time: retried, reproduced in every attempt, real.
    let sleep = r.leak(Some("TestSleepLoopLeak"));
    assert_eq!(sleep["status"], "new", "{sleep}");
    assert_eq!(sleep["retry"]["outcome"], "reproduced");
    let attempts = sleep["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{sleep}");
    assert!(
        attempts.iter().all(|a| a["result"] == "same-leak"),
        "{sleep}"
    );

    // A real blocked goroutine next to a transient one: never retried.
    let mixed = r.leak(Some("TestMixedReport"));
    assert_eq!(mixed["status"], "new");
    assert_eq!(mixed["retry"]["retried"], false);
    assert!(
        mixed["retry"]["reason"]
            .as_str()
            .unwrap()
            .contains("chan receive"),
        "{mixed}"
    );
    assert_eq!(mixed["attempts"].as_array().unwrap().len(), 0);

    // Progress and the terminal report.
    assert!(
        err.contains("leakgate: FAIL example.com/leakgate/fixtures/flaky"),
        "{err}"
    );
    assert!(
        err.contains("retry 1/2 of example.com/leakgate/fixtures/flaky TestLeakOnFirstAttempt"),
        "{err}"
    );
    assert!(err.contains("flaky: gone on attempt 1"), "{err}");
    assert!(err.contains("real: leaked again in every attempt"), "{err}");
}

#[test]
fn a_leak_gone_on_retry_passes_the_gate_and_the_users_run_is_replaced() {
    if !have_go() {
        return;
    }
    let r = leakgate_in_module(&[
        "run",
        "--retries",
        "2",
        "--",
        "go",
        "test",
        "-v",
        "-count",
        "3",
        "-run",
        "TestLeakOnFirst",
        "./flaky",
    ]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_eq!(r.report["verdict"], "pass");
    let leaks = r.report["leaks"].as_array().unwrap();
    // -count 3: the first of three runs leaked; one retry covers the test.
    assert_eq!(leaks.len(), 1, "{}", r.report);
    let first = r.leak(Some("TestLeakOnFirstAttempt"));
    assert_eq!(first["status"], "flaky");
    let command = first["retry"]["command"].as_str().unwrap();
    assert_eq!(
        command,
        "go test -run '^TestLeakOnFirstAttempt$' -count=1 -json -v example.com/leakgate/fixtures/flaky"
    );
}

#[test]
fn without_retries_a_first_attempt_leak_fails() {
    if !have_go() {
        return;
    }
    let r = leakgate_in_module(&[
        "run",
        "--",
        "go",
        "test",
        "-run",
        "TestLeakOnFirstAttempt",
        "./flaky",
    ]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let first = r.leak(Some("TestLeakOnFirstAttempt"));
    assert_eq!(first["status"], "new");
    assert!(first["retry"].is_null());
    assert_eq!(first["attempts"].as_array().unwrap().len(), 0);
}

#[test]
fn package_level_leak_reruns_the_whole_package() {
    if !have_go() {
        return;
    }
    let r = leakgate_in_module(&["run", "--retries", "1", "--", "go", "test", "./flakymain"]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let main = r.leak(None);
    assert_eq!(main["reported_by"], "goleak.VerifyTestMain");
    assert_eq!(main["status"], "flaky");
    let command = main["retry"]["command"].as_str().unwrap();
    assert_eq!(
        command,
        "go test -count=1 -json example.com/leakgate/fixtures/flakymain"
    );
    assert!(!command.contains("-run"), "never -run ^$: {command}");
    assert_eq!(main["attempts"][0]["result"], "passed");
}

#[test]
fn check_retries_saved_output_through_the_retry_command() {
    if !have_go() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");
    let marker = dir.path().join("flaky.marker");
    // The CI job: run, keep the raw stream.
    let out = leakgate()
        .current_dir(module())
        .env("LEAKGATE_FLAKY_MARKER", &marker)
        .args(["run", "--jsonfile"])
        .arg(&saved)
        .args([
            "--",
            "go",
            "test",
            "-run",
            "TestLeakOnFirstAttempt",
            "./flaky",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = std::fs::read_to_string(&saved).unwrap();
    assert!(
        raw.lines().all(|l| l.starts_with('{')),
        "the tee keeps the raw go test -json stream"
    );
    // Later: judge the saved stream and retry in --root. A saved stream
    // does not show whether -failfast was used, and its one test is its
    // package's last: the policy says the runs never use it.
    let report = dir.path().join("report.json");
    let policy = dir.path().join("policy.yml");
    std::fs::write(&policy, "version: 1\nverdict:\n  no_failfast: true\n").unwrap();
    let out = leakgate()
        .env("LEAKGATE_FLAKY_MARKER", &marker)
        .arg("check")
        .arg(&saved)
        .arg("--config")
        .arg(&policy)
        .args(["--retries", "1", "--root"])
        .arg(module())
        .arg(format!("--report=json={}", report.display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let leak = &v["leaks"][0];
    assert_eq!(leak["status"], "flaky");
    assert_eq!(
        leak["retry"]["command"],
        "go test -json -count=1 -run '^TestLeakOnFirstAttempt$' example.com/leakgate/fixtures/flaky"
    );
}

/// Processes whose environment carries `tag`.
fn tagged_processes(tag: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if env.split(|b| *b == 0).any(|kv| kv == tag.as_bytes()) {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let zombie = stat
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'));
            if !zombie {
                found.push(stat);
            }
        }
    }
    found
}

fn wait_gone(tag: &str) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let left = tagged_processes(tag);
        if left.is_empty() || Instant::now() > until {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn unique_tag(name: &str) -> (String, String) {
    let value = format!("{name}-{}-{:?}", std::process::id(), Instant::now());
    (format!("LEAKGATE_LIVE_TAG={value}"), value)
}

#[test]
fn timeout_kills_go_test_and_its_test_binary() {
    if !have_go() {
        return;
    }
    let (tag, value) = unique_tag("timeout");
    let t0 = Instant::now();
    let out = leakgate()
        .current_dir(module())
        .env("LEAKGATE_LIVE_TAG", &value)
        .env("NO_COLOR", "1")
        .args([
            "run",
            "--timeout",
            "6s",
            "--",
            "go",
            "test",
            "-count=1",
            "-timeout",
            "1m",
            "./hangs",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // The process group gets the signal at once: if the go command still
    // prints `FAIL` for the package its killed test binary ran (`signal:
    // terminated`), the input states a failure and the run is exit 1 (see
    // leakgate::exit); if it dies first, the run is incomplete, exit 2.
    // Which comes first is a race between two processes; never a pass.
    match out.status.code() {
        Some(2) => {}
        Some(1) => assert!(err.contains("signal: terminated"), "{err}"),
        other => panic!("exit {other:?}: {err}"),
    }
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t0.elapsed()
    );
    assert!(err.contains("ran longer than 6s"), "{err}");
    assert_eq!(
        wait_gone(&tag),
        Vec::<String>::new(),
        "processes left behind"
    );
}

// Sends SIGINT, as Ctrl-C does on Unix (Windows delivers Ctrl-C to the
// console group, which a test cannot do to one child).
#[cfg(unix)]
#[test]
fn interrupt_kills_the_group_and_reports_incomplete() {
    if !have_go() {
        return;
    }
    let (tag, value) = unique_tag("interrupt");
    let child = leakgate()
        .current_dir(module())
        .env("LEAKGATE_LIVE_TAG", &value)
        .env("NO_COLOR", "1")
        .args([
            "run", "--", "go", "test", "-count=1", "-timeout", "1m", "./hangs",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let go test build and start the hanging test binary.
    let until = Instant::now() + Duration::from_secs(60);
    while !tagged_processes(&tag)
        .iter()
        .any(|s| s.contains("hangs.test"))
        && Instant::now() < until
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(
        wait_gone(&tag),
        Vec::<String>::new(),
        "processes left behind"
    );
}

#[test]
fn timeout_kills_grandchildren_of_any_command() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let (tag, value) = unique_tag("sh");
    let out = leakgate()
        .env("LEAKGATE_LIVE_TAG", &value)
        .args(["run", "--timeout", "2s", "--", "sh", "-c"])
        .arg(format!(
            "sleep 300 & echo $! > '{}'; sleep 300",
            pidfile.display()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("process group was killed"), "{err}");
    assert!(pidfile.exists());
    assert_eq!(
        wait_gone(&tag),
        Vec::<String>::new(),
        "the grandchild survived"
    );
}

#[test]
fn a_command_failing_without_a_recorded_failure_is_not_a_pass() {
    let out = leakgate()
        .args(["run", "--", "sh", "-c", "exit 3"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("exited with status 3"), "{err}");
    let out = leakgate().args(["run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_policy_files_retry_section_drives_retries() {
    if !have_go() {
        return;
    }
    for (flaky, code) in [("pass", 0), ("fail", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("leakgate.yml");
        std::fs::write(
            &policy,
            format!("version: 1\nretry:\n  attempts: 1\n  flaky: {flaky}\n  timeout: 2m\n"),
        )
        .unwrap();
        let config = format!("--config={}", policy.display());
        let r = leakgate_in_module(&["run", &config, "--", "go", "test", "./flakymain"]);
        assert_eq!(r.code(), code, "flaky: {flaky}: {}", r.stderr());
        let main = r.leak(None);
        assert_eq!(main["status"], "flaky", "{flaky}");
        assert_eq!(main["attempts"].as_array().unwrap().len(), 1);
    }
}
