//! Live retry regression tests: the Go module in `testdata/retry` run for
//! real, through `leakgate run`, `check --retries` (with a working directory
//! other than the repository root) and the action's check step.
//!
//! The rule under test: a leak that happens on every run never comes out
//! flaky, also when a later test than the one that started it reports it;
//! a leak that happens only on the first run still comes out flaky.
//! Flaky-once packages leak when `$LEAKGATE_RETRY_MARKERS` names a directory
//! without their marker file; each test gets a fresh one.
//!
//! Like `live_run`, these skip without Go, and fail without it under `CI`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::live_run::have_go;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn module() -> PathBuf {
    Path::new(ROOT).join("testdata/retry")
}

fn leakgate() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leakgate"));
    c.env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("CI_PROJECT_DIR")
        .env("NO_COLOR", "1");
    c
}

struct Run {
    out: Output,
    report: Value,
}

impl Run {
    fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    /// The leak report of `package` (a suffix) and `test`.
    fn leak(&self, package: &str, test: Option<&str>) -> &Value {
        self.report["leaks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| {
                l["package"].as_str().is_some_and(|p| p.ends_with(package))
                    && l["test"].as_str() == test
            })
            .unwrap_or_else(|| panic!("no leak for {package} {test:?} in {}", self.report))
    }

    fn verdict(&self) -> &str {
        self.report["verdict"].as_str().unwrap()
    }
}

/// `leakgate ARGS` in the retry module from a fresh scratch directory,
/// with the exit code it must give; `None` when Go is missing (outside CI:
/// `have_go` fails the test under CI).
fn run_in_module(args: &[&str], code: i32) -> Option<(Scratch, Run)> {
    if !have_go() {
        return None;
    }
    let s = Scratch::new();
    let r = s.leakgate(&module(), args);
    assert_eq!(r.code(), code, "{}", r.stderr());
    Some((s, r))
}

/// A scratch directory: marker files and reports.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("markers")).unwrap();
        Scratch { dir }
    }

    fn markers(&self) -> PathBuf {
        self.dir.path().join("markers")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A policy that says the runs never use `-failfast` (a saved stream
    /// does not show it), with `retry:` as given.
    fn no_failfast_policy(&self) -> String {
        let p = self.path("policy.yml");
        std::fs::write(&p, "version: 1\nverdict:\n  no_failfast: true\n").unwrap();
        format!("--config={}", p.display())
    }

    /// `leakgate SUB --report=json=… ARGS` in `cwd`.
    fn leakgate(&self, cwd: &Path, args: &[&str]) -> Run {
        let report = self.path("report.json");
        let _ = std::fs::remove_file(&report);
        let (sub, rest) = args.split_first().unwrap();
        let out = leakgate()
            .current_dir(cwd)
            .env("LEAKGATE_RETRY_MARKERS", self.markers())
            .arg(sub)
            .arg(format!("--report=json={}", report.display()))
            .args(rest)
            .output()
            .unwrap();
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
        }
    }

    /// `go test ARGS` in the module, its standard output saved to `name`.
    fn go_test(&self, name: &str, args: &[&str]) -> PathBuf {
        let saved = self.path(name);
        let out = Command::new("go")
            .current_dir(module())
            .env("LEAKGATE_RETRY_MARKERS", self.markers())
            .arg("test")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "the first run leaks: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&saved, &out.stdout).unwrap();
        saved
    }
}

fn attempts(leak: &Value) -> Vec<&str> {
    leak["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap())
        .collect()
}

/// A leak that happens on every run: retried, never flaky.
fn assert_real(leak: &Value, attempts_wanted: usize) {
    assert_eq!(leak["status"], "new", "{leak:#}");
    assert_eq!(leak["retry"]["outcome"], "reproduced", "{leak:#}");
    assert_eq!(
        attempts(leak),
        vec!["same-leak"; attempts_wanted],
        "{leak:#}"
    );
}

/// A leak of the first run only: gone on the first rerun.
fn assert_flaky(leak: &Value) {
    assert_eq!(leak["status"], "flaky", "{leak:#}");
    assert_eq!(leak["retry"]["outcome"], "flaky", "{leak:#}");
    assert_eq!(leak["retry"]["passed_in_attempt"], 1, "{leak:#}");
    assert_eq!(attempts(leak), vec!["passed"], "{leak:#}");
}

fn command(leak: &Value) -> &str {
    leak["retry"]["plan"]["command"]
        .as_str()
        .unwrap_or_else(|| panic!("no rerun command: {leak:#}"))
}

#[test]
fn run_a_poller_started_by_an_earlier_test_is_real() {
    let Some((_s, r)) = run_in_module(
        &["run", "--retries", "2", "--", "go", "test", "./crosstest"],
        1,
    ) else {
        return;
    };
    assert_eq!(r.verdict(), "fail");
    let leak = r.leak("/crosstest", Some("TestChecks"));
    assert_real(leak, 2);
    // The rerun runs what led to the report: the tests up to TestChecks,
    // TestStartsPoller among them, in the directory of the first run.
    let cmd = command(leak);
    assert!(cmd.contains("TestStartsPoller"), "{cmd}");
    assert!(cmd.contains("TestChecks"), "{cmd}");
    assert!(!cmd.contains("TestAfter"), "{cmd}");
    let plan = &leak["retry"]["plan"];
    assert_eq!(plan["kind"], "rerun", "{plan:#}");
    assert_eq!(
        Path::new(plan["dir"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        module().canonicalize().unwrap(),
        "{plan:#}"
    );
    // The report says where the goroutine came from.
    let reason = leak["retry"]["reason"].as_str().unwrap();
    assert!(reason.contains("StartPoller"), "{reason}");
}

#[test]
fn run_a_flaky_once_leak_reported_by_a_later_test_is_flaky() {
    let Some((_s, r)) = run_in_module(
        &["run", "--retries", "2", "--", "go", "test", "./crossflaky"],
        0,
    ) else {
        return;
    };
    let leak = r.leak("/crossflaky", Some("TestChecks"));
    assert_flaky(leak);
    let cmd = command(leak);
    assert!(cmd.contains("TestShutsDownSlowly"), "{cmd}");
}

#[test]
fn run_leaks_of_the_reporting_test_itself() {
    let Some((_s, r)) = run_in_module(
        &[
            "run",
            "--retries",
            "2",
            "--",
            "go",
            "test",
            "./ownflaky",
            "./ownloop",
        ],
        1,
    ) else {
        return;
    };
    assert_flaky(r.leak("/ownflaky", Some("TestLeaksOnce")));
    // A goroutine that sleeps in a loop forever: the classic leak.
    assert_real(r.leak("/ownloop", Some("TestLoops")), 2);
}

#[test]
fn run_a_loop_started_by_a_later_parallel_test_is_real() {
    let Some((_s, r)) = run_in_module(
        &["run", "--retries", "1", "--", "go", "test", "./parallel"],
        1,
    ) else {
        return;
    };
    let leak = r.leak("/parallel", Some("TestSlowCheck"));
    assert_real(leak, 1);
    // TestStartsLoop started after the reporter: only the whole package
    // runs it again.
    let plan = &leak["retry"]["plan"];
    assert!(plan["tests"].is_null(), "{plan:#}");
    assert_eq!(
        plan["must_run"],
        serde_json::json!(["TestSlowCheck", "TestStartsLoop"])
    );
}

#[test]
fn run_a_leak_of_the_second_run_of_a_count_loop_is_real() {
    let Some((_s, r)) = run_in_module(
        &[
            "run",
            "--retries",
            "1",
            "--",
            "go",
            "test",
            "-count=2",
            "./secondrun",
        ],
        1,
    ) else {
        return;
    };
    let leak = r.leak("/secondrun", Some("TestLeaksOnSecondRun"));
    assert_real(leak, 1);
    assert_eq!(leak["retry"]["plan"]["count"], 2, "{leak:#}");
    assert!(command(leak).contains("-count=2"), "{}", command(leak));
}

#[test]
fn run_a_package_level_loop_is_real() {
    let Some((_s, r)) = run_in_module(
        &["run", "--retries", "1", "--", "go", "test", "./mainloop"],
        1,
    ) else {
        return;
    };
    let leak = r.leak("/mainloop", None);
    assert_real(leak, 1);
    let cmd = command(leak);
    assert!(!cmd.contains("-run"), "the whole package: {cmd}");
}

#[test]
fn run_reruns_keep_build_tags_and_leave_output_files_alone() {
    if !have_go() {
        return;
    }
    let s = Scratch::new();
    let cover = s.path("cover.out");
    let cover_flag = format!("-coverprofile={}", cover.display());
    let mem = s.path("mem.out");
    let r = s.leakgate(
        &module(),
        &[
            "run",
            "--retries",
            "1",
            "--",
            "go",
            "test",
            "-tags",
            "integration",
            &cover_flag,
            "-memprofile",
            mem.to_str().unwrap(),
            "./tagged",
        ],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let leak = r.leak("/tagged", Some("TestIntegrationLeaksOnce"));
    assert_flaky(leak);
    let cmd = command(leak);
    assert!(cmd.contains("-tags integration"), "{cmd}");
    assert!(!cmd.contains("cover.out"), "{cmd}");
    assert!(!cmd.contains("mem.out"), "{cmd}");
    assert!(std::fs::read_to_string(&cover)
        .unwrap()
        .starts_with("mode: "));
    // -memprofile makes go test leave the test binary in the directory.
    let _ = std::fs::remove_file(module().join("tagged.test"));
}

#[test]
fn check_retries_in_the_directory_of_the_run_and_says_what_it_assumed() {
    if !have_go() {
        return;
    }
    let s = Scratch::new();
    let saved = s.go_test("saved.json", &["-json", "./crosstest", "./crossflaky"]);
    let policy = s.no_failfast_policy();
    // As in the action: the repository root is the workspace, the tests ran
    // in a subdirectory (a module of its own), and check runs there too.
    let r = s.leakgate(
        &module(),
        &[
            "check",
            &policy,
            saved.to_str().unwrap(),
            "--retries",
            "2",
            "--root",
            ROOT,
        ],
    );
    let err = r.stderr();
    assert_eq!(r.code(), 1, "{err}");
    assert_real(r.leak("/crosstest", Some("TestChecks")), 2);
    assert_flaky(r.leak("/crossflaky", Some("TestChecks")));
    assert!(
        err.contains("assumed") && err.contains("--test-command"),
        "check must say what rerun command it assumed: {err}"
    );
}

#[test]
fn check_from_elsewhere_reruns_in_the_packages_module() {
    if !have_go() {
        return;
    }
    let s = Scratch::new();
    let saved = s.go_test("saved.json", &["-json", "./crossflaky"]);
    let policy = s.no_failfast_policy();
    let elsewhere = s.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let r = s.leakgate(
        &elsewhere,
        &[
            "check",
            &policy,
            saved.to_str().unwrap(),
            "--retries",
            "1",
            "--root",
            ROOT,
        ],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let leak = r.leak("/crossflaky", Some("TestChecks"));
    assert_flaky(leak);
    let dir = leak["retry"]["plan"]["dir"].as_str().unwrap();
    assert_eq!(
        Path::new(dir).canonicalize().unwrap(),
        module().canonicalize().unwrap()
    );
}

#[test]
fn check_with_the_test_command_keeps_its_flags_and_outputs() {
    if !have_go() {
        return;
    }
    let s = Scratch::new();
    let cover = s.path("cover.out");
    let cover_flag = format!("-coverprofile={}", cover.display());
    let saved = s.go_test(
        "saved.json",
        &["-json", "-tags", "integration", &cover_flag, "./tagged"],
    );
    // The first run's coverage file: a rerun must not replace it.
    std::fs::write(&cover, "first run\n").unwrap();
    let test_command = format!("go test -json -tags integration {cover_flag} ./tagged");
    let r = s.leakgate(
        &module(),
        &[
            "check",
            saved.to_str().unwrap(),
            "--retries",
            "1",
            "--test-command",
            &test_command,
        ],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let leak = r.leak("/tagged", Some("TestIntegrationLeaksOnce"));
    assert_flaky(leak);
    assert!(command(leak).contains("-tags integration"));
    assert_eq!(std::fs::read_to_string(&cover).unwrap(), "first run\n");

    // Without the tag the rerun has no such test: never flaky.
    let s = Scratch::new();
    let saved = s.go_test("saved.json", &["-json", "-tags", "integration", "./tagged"]);
    let policy = s.no_failfast_policy();
    let r = s.leakgate(
        &module(),
        &["check", &policy, saved.to_str().unwrap(), "--retries", "1"],
    );
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let leak = r.leak("/tagged", Some("TestIntegrationLeaksOnce"));
    assert_eq!(leak["status"], "new", "{leak:#}");
    assert_eq!(leak["retry"]["outcome"], "inconclusive", "{leak:#}");
}

#[test]
fn check_retry_command_alone_turns_retries_on() {
    if !have_go() {
        return;
    }
    let s = Scratch::new();
    let saved = s.go_test("saved.json", &["-json", "./crossflaky"]);
    let policy = s.no_failfast_policy();
    let r = s.leakgate(
        &module(),
        &[
            "check",
            &policy,
            saved.to_str().unwrap(),
            "--retry-command",
            "go test -json -count=1 {run} {package}",
        ],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_flaky(r.leak("/crossflaky", Some("TestChecks")));
}

/// Runs the action's check step (as `tests/integration/action.rs` does for
/// the whole action, but with this machine's Go caches): the step's script
/// in its `working-directory:`, with its `env:`.
fn run_action_check(inputs: &[(&str, &str)], scratch: &Scratch) -> (Option<i32>, String, String) {
    let action: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap(),
    )
    .unwrap();
    let mut values: BTreeMap<String, String> = action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v["default"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for (k, v) in inputs {
        assert!(values.contains_key(*k), "action.yml has no input {k}");
        values.insert((*k).to_string(), (*v).to_string());
    }
    let eval = |text: &str| -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find("}}").unwrap() + i;
            let expr = rest[i + 3..end].trim();
            out.push_str(&match expr {
                "steps.install.outputs.bin" => env!("CARGO_BIN_EXE_leakgate").to_string(),
                "github.action_path" => ROOT.to_string(),
                _ => values
                    .get(expr.strip_prefix("inputs.").expect("an input"))
                    .unwrap()
                    .clone(),
            });
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    };
    let step = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "check")
        .unwrap();
    let script = scratch.path("check-step.sh");
    std::fs::write(&script, eval(step["run"].as_str().unwrap())).unwrap();
    let dir = eval(step["working-directory"].as_str().unwrap_or("."));
    let output = scratch.path("github-output");
    let temp = scratch.path("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .current_dir(Path::new(ROOT).join(dir))
        .env("LEAKGATE_RETRY_MARKERS", scratch.markers())
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", ROOT)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TEMP", &temp)
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in step["env"].as_object().unwrap() {
        cmd.env(k, eval(v.as_str().unwrap()));
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        step_outputs(&std::fs::read_to_string(&output).unwrap_or_default()),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `$GITHUB_OUTPUT`'s `name<<DELIM` blocks, as `name=value` lines.
fn step_outputs(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
            out.push_str(&format!("{name}={}\n", value.join(" ")));
        }
    }
    out
}

#[test]
fn action_with_a_working_directory_retries_there_with_the_run_command() {
    if !have_go() {
        return;
    }
    let s = Scratch::new();
    let (code, outputs, err) = run_action_check(
        &[
            (
                "run",
                "go test -json -tags integration ./crossflaky ./tagged",
            ),
            ("working-directory", "testdata/retry"),
            ("retries", "1"),
        ],
        &s,
    );
    assert_eq!(code, Some(0), "{err}\n{outputs}");
    assert!(outputs.contains("verdict=pass\n"), "{outputs}");
    // One distinct leak (both goroutines come from marker.SlowShutdown),
    // reported by two tests, both flaky.
    assert!(outputs.contains("flaky=1\n"), "{outputs}");
    let report = outputs
        .lines()
        .find_map(|l| l.strip_prefix("report="))
        .unwrap();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let leaks = report["leaks"].as_array().unwrap();
    assert_eq!(leaks.len(), 2, "{report:#}");
    for leak in leaks {
        assert_flaky(leak);
        let cmd = command(leak);
        assert!(cmd.contains("-tags integration"), "{cmd}");
    }

    let s = Scratch::new();
    let (code, outputs, err) = run_action_check(
        &[
            ("run", "go test -json ./crosstest"),
            ("working-directory", "testdata/retry"),
            ("retries", "1"),
        ],
        &s,
    );
    assert_eq!(code, Some(1), "{err}\n{outputs}");
    assert!(outputs.contains("verdict=fail\n"), "{outputs}");
    assert!(outputs.contains("flaky=0\n"), "{outputs}");
    assert!(outputs.contains("new=1\n"), "{outputs}");
}

/// gotestsum `--rerun-fails` (a real capture: `scripts/regen-retry-fixtures.sh`)
/// reruns a failed test alone and a package-level failure with `-run ^$`,
/// which runs nothing, and exits 0. Those reruns are not what led to the
/// reports: none of them makes a leak flaky, the gate fails.
#[test]
fn gotestsum_reruns_never_fix_a_leak() {
    let capture = module().join("fixtures/go1.26/gotestsum-rerun-fails.json");
    let text = std::fs::read_to_string(&capture).unwrap();
    // The capture is what it says: second runs of TestChecks alone and of
    // mainloop without a test.
    assert_eq!(
        text.matches(r#""Action":"start","Package":"example.com/leakgate/retry/crosstest"}"#)
            .count(),
        2
    );
    assert_eq!(
        text.matches(r#""Action":"start","Package":"example.com/leakgate/retry/mainloop"}"#)
            .count(),
        2
    );
    let s = Scratch::new();
    let r = s.leakgate(
        &module(),
        &["check", capture.to_str().unwrap(), "--root", ROOT],
    );
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let leaks = r.report["leaks"].as_array().unwrap();
    assert_eq!(leaks.len(), 3, "{:#}", r.report);
    for leak in leaks {
        assert_eq!(leak["status"], "new", "{leak:#}");
    }
    assert!(r.leak("/mainloop", None)["status"] == "new");
}
