//! The policy file, end to end: the binary on real fixtures with policies
//! written into temporary repositories.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const TODAY: &str = "2026-11-28";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/go1.26-goleak1.3.0")
        .join(name)
}

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        Repo {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_leakgate"))
            .args(args)
            .arg("--root")
            .arg(self.path())
            .current_dir(self.path())
            .env("LEAKGATE_TODAY", TODAY)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_WORKSPACE")
            .env_remove("CI_PROJECT_DIR")
            .output()
            .unwrap()
    }

    /// `check` with a JSON report: (exit code, report, stderr).
    fn check(&self, input: &str, extra: &[&str]) -> (i32, Value, String) {
        let json = self.path().join("report.json");
        let input = fixture(input);
        let mut args = vec!["check", input.to_str().unwrap(), "--report"];
        let spec = format!("json={}", json.display());
        args.push(&spec);
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code().unwrap();
        let report = std::fs::read_to_string(&json)
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or(Value::Null);
        (code, report, stderr)
    }
}

fn leak<'a>(report: &'a Value, test: &str) -> &'a Value {
    report["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["test"] == test)
        .unwrap_or_else(|| panic!("no leak report for {test}"))
}

fn rule<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no rule {id} in the report"))
}

/// The distinct leak is the unit: a rule that matches one of a report's
/// leaks allows that leak, and the report's other leaks stay new.
#[test]
fn a_rule_for_one_of_several_leaks_allows_only_that_leak() {
    let repo = Repo::new();
    repo.write(
        ".leakgate.yml",
        "version: 1\nallow:\n  - id: http-serve\n    reason: the test server's accept loop\n    match:\n      created_by: net/http.(*Server).Serve\n",
    );
    let (code, report, _) = repo.check("all.json", &[]);
    assert_eq!(code, 1);
    let l = leak(&report, "TestServerNotClosed");
    assert_eq!(l["goroutines"].as_array().unwrap().len(), 4);
    assert_eq!(l["status"], "new");
    assert_eq!(l["gating"], true);
    assert_eq!(l["rules"], serde_json::json!(["http-serve"]));
    // Of the report's distinct leaks, only the server's accept loop is
    // allowed; the others stay new.
    let shown: Vec<&Value> = l["distinct_leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fp| {
            report["distinct_leaks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["fingerprint"] == *fp)
                .unwrap()
        })
        .collect();
    let allowed: Vec<&&Value> = shown.iter().filter(|d| d["status"] == "allowed").collect();
    assert_eq!(allowed.len(), 1, "{shown:#?}");
    assert_eq!(allowed[0]["created_by"], "net/http.(*Server).Serve");
    assert_eq!(allowed[0]["rules"], serde_json::json!(["http-serve"]));
    assert_eq!(allowed[0]["gating"], false);
    assert!(shown
        .iter()
        .filter(|d| d["status"] != "allowed")
        .all(|d| d["gating"] == true || d["status"] == "harness"));
    let r = rule(&report, "http-serve");
    assert_eq!(r["matched"], 1);
    assert_eq!(r["allowed_leaks"], 1);
    assert_eq!(r["allowed_reports"], 1);
    assert_eq!(r["unused"], false);
    assert_eq!(r["file"], ".leakgate.yml");
    assert_eq!(r["line"], 3);
    assert_eq!(report["policy"]["default"], false);
}

#[test]
fn rules_for_every_goroutine_allow_the_report() {
    let repo = Repo::new();
    repo.write(
        ".leakgate.yml",
        "version: 1\nallow:\n  - id: net-http\n    reason: net/http servers and transports of the test\n    match:\n      created_by: /^net\\/http/\n",
    );
    let (_, report, _) = repo.check("all.json", &[]);
    let l = leak(&report, "TestServerNotClosed");
    assert_eq!(l["status"], "allowed");
    assert_eq!(l["rules"], serde_json::json!(["net-http"]));
    assert_eq!(rule(&report, "net-http")["matched"], 4);

    // A run whose only failure is an allowed leak passes.
    let repo = Repo::new();
    repo.write(
        ".leakgate.yml",
        "version: 1\nallow:\n  - id: worker\n    reason: the worker is stopped by the process\n    owner: '@team'\n    match:\n      top_function: example.com/leakgate/fixtures/ctxworker.(*Worker).run\n      created_by: example.com/leakgate/fixtures/ctxworker.*\nverdict:\n  no_failfast: true\n",
    );
    let (code, report, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["verdict"], "pass");
    assert_eq!(leak(&report, "TestLabeledWorker")["status"], "allowed");
    assert!(stderr.contains("ALLOWED"), "{stderr}");
    assert!(stderr.contains("allowed by  worker"), "{stderr}");
}

/// `labels.json` is `go test -run '^TestLabeledWorker$'`: its one test
/// fails with an allowed leak and is its package's last. Under
/// `-failfast` the tests after it would never have run, and nothing in the
/// output could show it: the gate fails closed and says how to declare
/// that the run did not use `-failfast`.
#[test]
fn an_allowed_leak_in_the_last_test_fails_closed_unless_failfast_is_ruled_out() {
    let repo = Repo::new();
    let rules = "version: 1\nallow:\n  - id: worker\n    reason: r\n    match:\n      created_by: example.com/leakgate/fixtures/ctxworker.Start\n";
    repo.write(".leakgate.yml", rules);
    let (code, report, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(leak(&report, "TestLabeledWorker")["status"], "allowed");
    let why = report["reasons"].to_string();
    assert!(
        why.contains("-failfast") && why.contains("no_failfast: true"),
        "{why}"
    );
    let f = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["gating"] == true)
        .unwrap();
    assert_eq!(f["condition"]["name"], "stopped-early", "{f}");
    repo.write(
        ".leakgate.yml",
        &format!("{rules}verdict:\n  no_failfast: true\n"),
    );
    let (code, _, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_expired_rule_stops_applying_and_says_where_it_is() {
    let repo = Repo::new();
    let policy = "version: 1\nallow:\n  - id: worker\n    reason: r\n    expires: 2026-06-30\n    match:\n      created_by: example.com/leakgate/fixtures/ctxworker.Start\nverdict:\n  no_failfast: true\n";
    repo.write(".leakgate.yml", policy);
    let (code, report, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 1, "{stderr}");
    let l = leak(&report, "TestLabeledWorker");
    assert_eq!(l["status"], "new");
    assert_eq!(l["expired_rules"], serde_json::json!(["worker"]));
    let r = rule(&report, "worker");
    assert_eq!(r["expired"], true);
    assert_eq!(r["expires"], "2026-06-30");
    assert_eq!(r["matched"], 1);
    assert!(
        report["reasons"].as_array().unwrap().iter().any(|x| x
            .as_str()
            .unwrap()
            .contains("rule `worker` (.leakgate.yml:3) expired on 2026-06-30")),
        "{report}"
    );
    assert!(
        stderr.contains("rule `worker` (.leakgate.yml:3) expired on 2026-06-30"),
        "{stderr}"
    );

    // On its expiry day it still applies.
    let out = repo.run(&[
        "check",
        fixture("labels.json").to_str().unwrap(),
        "--today",
        "2026-06-30",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unused_rules_are_listed_and_fail_only_under_strict() {
    let repo = Repo::new();
    repo.write(
        ".leakgate.yml",
        "version: 1\nallow:\n  - id: worker\n    reason: r\n    match:\n      created_by: example.com/leakgate/fixtures/ctxworker.Start\n  - id: gone\n    reason: fixed long ago\n    match:\n      top_function: example.com/old.(*Pool).reap\nverdict:\n  no_failfast: true\n",
    );
    let (code, report, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rule(&report, "gone")["unused"], true);
    assert_eq!(rule(&report, "gone")["line"], 7);
    assert_eq!(rule(&report, "worker")["unused"], false);
    assert!(
        stderr.contains("rule `gone` (.leakgate.yml:7) matched nothing"),
        "{stderr}"
    );

    let (code, report, stderr) = repo.check("labels.json", &["--strict"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["policy"]["strict"], true);
    assert!(
        report["reasons"][0]
            .as_str()
            .unwrap()
            .contains("1 unused rule (--strict): `gone`"),
        "{report}"
    );
}

#[test]
fn known_libraries_are_opt_in_and_unused_ones_are_not_strict_failures() {
    let repo = Repo::new();
    repo.write(
        ".leakgate.yml",
        "version: 1\nextends: [known-libraries]\nallow:\n  - id: worker\n    reason: r\n    match:\n      created_by: example.com/leakgate/fixtures/ctxworker.Start\nverdict:\n  no_failfast: true\n",
    );
    let (code, report, stderr) = repo.check("labels.json", &["--strict"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        report["policy"]["extends"],
        serde_json::json!(["known-libraries"])
    );
    assert_eq!(report["rules"].as_array().unwrap().len(), 1);
}

#[test]
fn without_a_file_the_default_policy_allows_nothing_and_says_so() {
    let repo = Repo::new();
    let (code, report, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 1);
    assert_eq!(report["policy"]["default"], true);
    assert_eq!(report["rules"], serde_json::json!([]));
    assert!(
        stderr.contains("using the default policy, which allows no leak"),
        "{stderr}"
    );
    let out = repo.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("default policy allows no leak"));
}

/// Runs `config check` on a policy; returns stderr and checks the exit
/// code is 2.
fn config_error(text: &str) -> String {
    let repo = Repo::new();
    repo.write(".leakgate.yml", text);
    let out = repo.run(&["config", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // `check` refuses the same file the same way.
    let (code, _, check_stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 2);
    assert_eq!(check_stderr, stderr);
    stderr
}

#[track_caller]
fn assert_error(stderr: &str, at: &str, message: &str) {
    assert!(
        stderr.contains(&format!("[.leakgate.yml:{at}]")),
        "expected {at} in:\n{stderr}"
    );
    assert!(
        stderr.contains(message),
        "expected {message:?} in:\n{stderr}"
    );
}

#[test]
fn bad_yaml() {
    let e = config_error("version: 1\nallow:\n  - id: a\n  reason: [\n");
    assert_error(&e, "4:3", "invalid YAML");
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    let e =
        config_error("version: 1\nallow:\n  - id: a\n    reasn: x\n    match: {state: select}\n");
    assert_error(&e, "4:5", "unknown key `reasn` in a rule");
    assert!(e.contains("did you mean `reason`?"), "{e}");
    let e = config_error(
        "version: 1\nallow:\n  - id: a\n    reason: x\n    match:\n      top_functon: main.f\n",
    );
    assert_error(&e, "6:7", "unknown key `top_functon` in `match`");
    assert!(e.contains("did you mean `top_function`?"), "{e}");
    let e = config_error("version: 1\nextend: [known-libraries]\n");
    assert_error(&e, "2:1", "unknown key `extend`");
    assert!(e.contains("did you mean `extends`?"), "{e}");
    let e = config_error("version: 1\nextends: [known-libs]\n");
    assert_error(&e, "2:11", "unknown list `known-libs` in `extends`");
    assert!(e.contains("did you mean `known-libraries`?"), "{e}");
}

#[test]
fn a_missing_reason() {
    let e = config_error("version: 1\nallow:\n  - id: a\n    match:\n      state: select\n");
    assert_error(&e, "3:5", "rule `a` has no `reason`");
}

#[test]
fn a_bad_date() {
    let e = config_error("version: 1\nallow:\n  - id: a\n    reason: r\n    expires: 2027-02-30\n    match: {state: select}\n");
    assert_error(
        &e,
        "5:14",
        "rule `a`: `expires` is not a date: \"2027-02-30\"",
    );
    let e = config_error("version: 1\nallow:\n  - id: a\n    reason: r\n    expires: next spring\n    match: {state: select}\n");
    assert_error(&e, "5:14", "`expires` is not a date");
}

#[test]
fn an_invalid_regular_expression() {
    let e = config_error(
        "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      created_by: /worker(/\n",
    );
    assert_error(
        &e,
        "6:19",
        "rule `a`: `created_by` is not a valid regular expression",
    );
    assert!(e.contains("unclosed group"), "{e}");
}

#[test]
fn retry_section_errors_are_located() {
    let e = config_error(
        "version: 1\nretry:\n  attempts: 2\n  when:\n    top_function: /time\\.Sleep(/\n",
    );
    assert!(
        e.contains("retry.when: `top_function` is not a valid regular expression"),
        "{e}"
    );
    assert!(e.contains("[.leakgate.yml:5:19]"), "{e}");
    let e = config_error("version: 1\nretry:\n  attempts: 2\n  flaky: sometimes\n");
    assert_error(
        &e,
        "4:10",
        "`retry.flaky` takes `pass` or `fail`, not `sometimes`",
    );
    let e = config_error(
        "version: 1\nretry:\n  attempts: 2\n  when:\n    state: [runnable, chan recieve]\n",
    );
    assert_error(
        &e,
        "5:23",
        "retry.when: `chan recieve` is not a state any Go runtime prints",
    );
    assert!(e.contains("did you mean `chan receive`?"), "{e}");
}

#[test]
fn duplicate_ids() {
    let e = config_error(
        "version: 1\nallow:\n  - id: a\n    reason: r\n    match: {state: select}\n  - id: a\n    reason: r\n    match: {state: select}\n",
    );
    assert_error(&e, "6:9", "duplicate rule id `a`");
    assert!(e.contains("the first `a` is on line 3"), "{e}");
}

#[test]
fn an_empty_match() {
    let e = config_error("version: 1\nallow:\n  - id: a\n    reason: r\n    match: {}\n");
    assert_error(&e, "5:12", "rule `a` has an empty `match`");
    let e = config_error("version: 1\nallow:\n  - id: a\n    reason: r\n");
    assert_error(&e, "3:5", "rule `a` has no `match`");
}

#[test]
fn every_mistake_of_a_file_is_reported_at_once() {
    let e = config_error(
        "version: 1\nallow:\n  - id: a\n    match: {}\n  - id: a\n    reason: r\n    expires: 2027-02-30\n    match:\n      state: /(/\n",
    );
    assert!(e.contains("5 errors"), "{e}");
    for at in ["3:5", "4:12", "5:9", "7:14", "9:14"] {
        assert!(e.contains(&format!("[.leakgate.yml:{at}]")), "{at} in {e}");
    }
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = String::from("version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let repo = Repo::new();
    repo.write(".leakgate.yml", &text);
    let t = std::time::Instant::now();
    let out = repo.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(t.elapsed().as_secs() < 5);
}

#[test]
fn config_check_prints_the_rules_it_understood() {
    let repo = Repo::new();
    repo.write(
        "policy.yml",
        "version: 1\nallow:\n  - id: oc\n    reason: opencensus worker\n    owner: '@obs'\n    expires: 2026-01-31\n    match:\n      top_function: go.opencensus.io/stats/view.(*worker).start\n      package: example.com/m/**\n      state: /^chan/\n",
    );
    let out = repo.run(&["config", "check", "--config", "policy.yml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("policy.yml: valid, version 1, 1 rule"),
        "{stdout}"
    );
    assert!(stdout.contains("oc (policy.yml:3)"), "{stdout}");
    assert!(
        stdout.contains("expires: 2026-01-31 (expired; today is 2026-11-28)"),
        "{stdout}"
    );
    // A Go name as printed is exact; a bare glob is still a glob, with a
    // warning to write it `glob:`.
    assert!(
        stdout.contains("match top_function  exact  go.opencensus.io/stats/view.(*worker).start"),
        "{stdout}"
    );
    assert!(
        stdout.contains("match package       glob   example.com/m/**"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`package: example.com/m/**` is read as a glob; write it")
            && stderr.contains("`glob:example.com/m/**`")
            && stderr.contains("[policy.yml:9:16]"),
        "{stderr}"
    );
}

#[test]
fn init_writes_a_starter_that_loads() {
    let repo = Repo::new();
    let out = repo.run(&["init"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(repo.read(".leakgate.yml").contains("version: 1"));
    let out = repo.run(&["config", "check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = repo.run(&["init"]);
    assert_eq!(out.status.code(), Some(2), "init does not overwrite");
}

#[test]
fn baseline_then_check_passes_on_the_same_input() {
    let repo = Repo::new();
    let input = fixture("all.json");
    let out = repo.run(&[
        "baseline",
        input.to_str().unwrap(),
        "--write",
        "--expires",
        "2027-03-31",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = repo.read(".leakgate.yml");
    assert!(text.contains("baseline 2026-11-28"), "{text}");
    assert!(text.contains("expires: 2027-03-31"), "{text}");
    assert!(!text.contains("goroutine 1"), "no goroutine ids: {text}");

    let (code, report, stderr) = repo.check("all.json", &["--strict"]);
    // The assertion failure in package assertfail is not a leak: it still
    // fails the gate, and nothing else does.
    assert_eq!(code, 1, "{stderr}");
    for l in report["leaks"].as_array().unwrap() {
        assert_eq!(l["status"], "allowed", "{l}");
    }
    // TestParallelGroup's last subtest failed with an allowed leak (a
    // parent that returns when t.Run fails would have skipped the rest),
    // and synctestleak's bubble panic ended its binary before
    // TestAfterPanic: both fail the gate although their leaks are allowed.
    let reasons = report["reasons"].to_string();
    assert_eq!(report["reasons"][0], "3 other failures", "{reasons}");
    assert!(reasons.contains("subtests_never_return_early"), "{reasons}");
    assert!(
        reasons.contains("synctestleak (package level)")
            && reasons.contains("deadlock panic ended the test binary"),
        "{reasons}"
    );
    std::fs::write(
        repo.path().join(".leakgate.yml"),
        format!("{text}verdict:\n  subtests_never_return_early: true\n"),
    )
    .unwrap();
    let (code, report, stderr) = repo.check("all.json", &["--strict"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["reasons"][0], "2 other failures");
    assert!(!report["reasons"]
        .to_string()
        .contains("subtests_never_return_early"));
    assert!(report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["unused"] == false));

    // A run whose failures are all leaks passes.
    let repo = Repo::new();
    let out = repo.run(&[
        "baseline",
        fixture("labels.json").to_str().unwrap(),
        "--write",
    ]);
    assert_eq!(out.status.code(), Some(0));
    // (Its one test is its last: see
    // an_allowed_leak_in_the_last_test_fails_closed_unless_failfast_is_ruled_out.)
    let text = repo.read(".leakgate.yml");
    repo.write(
        ".leakgate.yml",
        &format!("{text}verdict:\n  no_failfast: true\n"),
    );
    let (code, _, stderr) = repo.check("labels.json", &["--strict"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn baseline_twice_changes_nothing_and_keeps_what_was_there() {
    let repo = Repo::new();
    let own = "# Our policy.\nversion: 1\nallow:\n  # The worker of TestLabeledWorker.\n  - id: worker   # kept as is\n    reason: stopped at exit\n    match:\n      created_by: example.com/leakgate/fixtures/ctxworker.Start\n\n# Libraries.\nextends: [known-libraries]\n";
    repo.write(".leakgate.yml", own);
    let input = fixture("all.json");
    let out = repo.run(&["baseline", input.to_str().unwrap(), "--write"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = repo.read(".leakgate.yml");
    assert!(first.starts_with("# Our policy.\nversion: 1\nallow:\n  # The worker of TestLabeledWorker.\n  - id: worker   # kept as is\n    reason: stopped at exit\n    match:\n      created_by: example.com/leakgate/fixtures/ctxworker.Start\n"));
    assert!(
        first.ends_with("\n\n# Libraries.\nextends: [known-libraries]\n"),
        "{first}"
    );
    assert!(
        !first.contains("created_by: \"example.com/leakgate/fixtures/ctxworker.Start\""),
        "no duplicate: {first}"
    );
    let ids: Vec<&str> = first
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- id: "))
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");

    let out = repo.run(&["baseline", input.to_str().unwrap(), "--write"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to add"));
    assert_eq!(repo.read(".leakgate.yml"), first);

    // Without --write the merged file goes to standard output.
    let out = repo.run(&["baseline", input.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), first);
}

/// Issue 12, item 3: a Go name written as Go prints it is that name. Read
/// as a glob, `(*er)` matched `(*Worker)` and allowed the worker's leak.
#[test]
fn a_go_name_allows_only_that_function() {
    let repo = Repo::new();
    let rules = |top: &str| {
        format!("version: 1\nallow:\n  - id: worker\n    reason: r\n    match:\n      top_function: {top}\n      package: example.com/leakgate/fixtures/ctxworker\nverdict:\n  no_failfast: true\n")
    };
    repo.write(
        ".leakgate.yml",
        &rules("example.com/leakgate/fixtures/ctxworker.(*er).run"),
    );
    let (code, report, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(leak(&report, "TestLabeledWorker")["status"], "new");
    assert_eq!(rule(&report, "worker")["unused"], true);

    repo.write(
        ".leakgate.yml",
        &rules("example.com/leakgate/fixtures/ctxworker.(*Worker).run"),
    );
    let (code, report, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(leak(&report, "TestLabeledWorker")["status"], "allowed");

    // Globs are explicit: with `glob:` the same text is a wildcard.
    repo.write(
        ".leakgate.yml",
        &rules("glob:example.com/leakgate/fixtures/ctxworker.(*er).run"),
    );
    let (code, _, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 0, "{stderr}");
}

/// The same for a creator with a pointer receiver, in the 50-goroutine
/// report of perevent (`created by ...perevent.(*Consumer).OnEvent`).
#[test]
fn a_creator_with_a_receiver_is_exact() {
    let repo = Repo::new();
    let policy = |created_by: &str| {
        format!("version: 1\nallow:\n  - id: consumer\n    reason: r\n    match:\n      created_by: \"{created_by}\"\n      package: example.com/leakgate/fixtures/perevent\n")
    };
    repo.write(
        ".leakgate.yml",
        &policy("example.com/leakgate/fixtures/perevent.(*Consumer).OnEvent"),
    );
    let (_, report, _) = repo.check("all.json", &[]);
    let perevent: Vec<&Value> = report["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["package"] == "example.com/leakgate/fixtures/perevent")
        .collect();
    assert!(!perevent.is_empty());
    assert!(
        perevent.iter().all(|l| l["status"] == "allowed"),
        "{perevent:?}"
    );
    repo.write(
        ".leakgate.yml",
        &policy("example.com/leakgate/fixtures/perevent.(*sumer).OnEvent"),
    );
    let (_, report, _) = repo.check("all.json", &[]);
    assert_eq!(rule(&report, "consumer")["matched"], 0);
}

/// A rule written by `baseline` names the package whose test reported the
/// leak: the same goroutine reported by another package is a new leak.
#[test]
fn baseline_rules_are_scoped_to_their_package() {
    let repo = Repo::new();
    let out = repo.run(&[
        "baseline",
        fixture("labels.json").to_str().unwrap(),
        "--write",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = repo.read(".leakgate.yml");
    assert!(
        text.contains("      top_function: \"example.com/leakgate/fixtures/ctxworker.(*Worker).run\"\n      created_by: \"example.com/leakgate/fixtures/ctxworker.Start\"\n      package: \"example.com/leakgate/fixtures/ctxworker\"\n"),
        "{text}"
    );
    assert!(
        text.contains("https://github.com/leakgate/leakgate/blob/main/docs/policy.md"),
        "{text}"
    );
    repo.write(
        ".leakgate.yml",
        &format!("{text}verdict:\n  no_failfast: true\n"),
    );
    let (code, _, stderr) = repo.check("labels.json", &[]);
    assert_eq!(code, 0, "{stderr}");
    // `config check` has nothing to warn about in what baseline wrote.
    let out = repo.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("any package"), "{stderr}");

    // The same run, as if package `other` had reported it.
    let moved = std::fs::read_to_string(fixture("labels.json"))
        .unwrap()
        .replace(
            "\"Package\":\"example.com/leakgate/fixtures/ctxworker\"",
            "\"Package\":\"example.com/leakgate/fixtures/other\"",
        );
    let input = repo.write("moved.json", &moved);
    let json = repo.path().join("moved-report.json");
    let out = repo.run(&[
        "check",
        input.to_str().unwrap(),
        "--report",
        &format!("json={}", json.display()),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let l = leak(&report, "TestLabeledWorker");
    assert_eq!(l["package"], "example.com/leakgate/fixtures/other");
    assert_eq!(l["status"], "new");
}

#[test]
fn config_check_warns_about_rules_for_any_package() {
    let repo = Repo::new();
    repo.write(
        ".leakgate.yml",
        "version: 1\nallow:\n  - id: worker\n    reason: r\n    match:\n      created_by: example.com/leakgate/fixtures/ctxworker.Start\n  - id: oc\n    reason: a library's process-wide worker\n    library: go.opencensus.io\n    match:\n      top_function: go.opencensus.io/stats/view.(*worker).start\n",
    );
    let out = repo.run(&["config", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("rule `worker` matches leaks reported by any package"),
        "{stderr}"
    );
    assert!(stderr.contains("[.leakgate.yml:3:5]"), "{stderr}");
    assert!(
        !stderr.contains("rule `oc`"),
        "a library rule is meant for any package: {stderr}"
    );
}

/// Issue 12, item 5: a state no Go runtime prints is an error with a
/// suggestion, not a rule that silently matches nothing.
#[test]
fn a_misspelt_state_is_an_error_with_a_suggestion() {
    let e = config_error(
        "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      state: \"chan recieve\"\n",
    );
    assert_error(
        &e,
        "6:14",
        "rule `a`: `chan recieve` is not a state any Go runtime prints",
    );
    assert!(e.contains("did you mean `chan receive`?"), "{e}");
    let e = config_error(
        "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      state: chan receive, 5 minutes\n",
    );
    assert!(e.contains("write `chan receive`"), "{e}");
}

#[test]
fn type_errors_name_the_key_and_what_it_takes() {
    let e = config_error("version: one\n");
    assert_error(&e, "1:10", "`version` takes the number 1, not `one`");
    assert!(!e.contains("invalid u32"), "{e}");
    let e = config_error("version: 1\nallow:\n  - id: a\n    reason: r\n    match: select\n");
    assert_error(&e, "5:12", "`match` of a rule takes a map");
    assert!(!e.contains("expected mapping start"), "{e}");
    let e = config_error("version: 1\nextends: known-libraries\n");
    assert_error(
        &e,
        "2:10",
        "`extends` takes a list of embedded lists, not `known-libraries`",
    );
    assert!(e.contains("extends: [known-libraries]"), "{e}");
}

/// Users have the binary, not the repository: errors link the published
/// page.
#[test]
fn errors_link_the_published_docs() {
    let e = config_error("version: 2\n");
    assert!(
        e.contains("https://github.com/leakgate/leakgate/blob/") && e.contains("docs/policy.md"),
        "{e}"
    );
    assert!(!e.contains("see docs/policy.md"), "{e}");
}

/// A real `goleak.VerifyTestMain` report that shows two distinct leaks
/// (testdata/verdict/twoleaks, captured by
/// scripts/regen-twoleaks-fixtures.sh with Go 1.26 and 1.27, read as
/// `-json`, `-v`, gotestsum and go-junit-report JUnit), one allow rule per
/// leak, one of them expired: exactly the leak of the expired rule is new,
/// the other stays allowed, and every report says so in distinct leaks,
/// each block naming only its own rules.
#[test]
fn one_expired_rule_makes_only_its_own_leak_new() {
    let repo = Repo::new();
    repo.write(
        ".leakgate.yml",
        "version: 1\nallow:\n  - id: reporter-loop\n    reason: the stats reporter lives as long as the process\n    owner: stats-team\n    expires: 2027-06-30\n    match:\n      top_function: example.com/leakgate/verdict/twoleaks.(*Reporter).loop\n  - id: notify-send\n    reason: being fixed\n    owner: stats-team\n    expires: 2026-11-01\n    match:\n      created_by: example.com/leakgate/verdict/twoleaks.Notify\n",
    );
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/twoleaks");
    for go in ["go1.26", "go1.27"] {
        for file in [
            "twoleaks.json",
            "twoleaks.txt",
            "twoleaks.gotestsum.xml",
            "twoleaks.gojunit.xml",
        ] {
            let input = base.join(go).join(file);
            let what = format!("{go}/{file}");
            let json = repo.path().join("r.json");
            let junit = repo.path().join("r.xml");
            let md = repo.path().join("r.md");
            let out = repo.run(&[
                "check",
                input.to_str().unwrap(),
                "--report",
                &format!("json={}", json.display()),
                "--report",
                &format!("junit={}", junit.display()),
                "--report",
                &format!("markdown={}", md.display()),
                "--report",
                "terminal",
            ]);
            let terminal = String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(1), "{what}: {terminal}");
            let report: Value =
                serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
            let distinct = report["distinct_leaks"].as_array().unwrap();
            assert_eq!(distinct.len(), 2, "{what}: {distinct:#?}");
            let by_top = |top: &str| {
                distinct
                    .iter()
                    .find(|d| d["top_function"] == top)
                    .unwrap_or_else(|| panic!("{what}: no leak in {top}"))
            };
            let reporter = by_top("example.com/leakgate/verdict/twoleaks.(*Reporter).loop");
            let notify = by_top("example.com/leakgate/verdict/twoleaks.Notify.func1");
            assert_eq!(reporter["status"], "allowed", "{what}");
            assert_eq!(reporter["gating"], false, "{what}");
            assert_eq!(reporter["rules"], serde_json::json!(["reporter-loop"]));
            assert_eq!(reporter["expired_rules"], serde_json::json!([]));
            assert_eq!(notify["status"], "new", "{what}");
            assert_eq!(notify["gating"], true, "{what}");
            assert_eq!(notify["rules"], serde_json::json!([]));
            assert_eq!(notify["expired_rules"], serde_json::json!(["notify-send"]));
            assert_eq!(notify["goroutines"], 2, "{what}");
            // One unit in every count.
            assert_eq!(report["tally"]["new_leaks"], 1, "{what}");
            assert_eq!(report["tally"]["allowed_leaks"], 1, "{what}");
            assert_eq!(report["reasons"][0], "1 new leak", "{what}");
            assert!(
                terminal.contains("leakgate: FAIL: 1 new leak, 1 allowed"),
                "{what}: {terminal}"
            );
            let markdown = std::fs::read_to_string(&md).unwrap();
            assert!(
                markdown.contains("**1 new leak**, 1 allowed"),
                "{what}: {markdown}"
            );
            // Each block names only its own rules.
            let blocks: Vec<&str> = terminal.split("\n\n").collect();
            let allowed = blocks
                .iter()
                .find(|b| b.starts_with("ALLOWED"))
                .unwrap_or_else(|| panic!("{what}: {terminal}"));
            let new = blocks
                .iter()
                .find(|b| b.starts_with("LEAK"))
                .unwrap_or_else(|| panic!("{what}: {terminal}"));
            assert!(allowed.contains("allowed by  reporter-loop"), "{allowed}");
            assert!(!allowed.contains("notify-send"), "{allowed}");
            assert!(new.contains("rule `notify-send`"), "{new}");
            assert!(new.contains("it no longer allows this leak"), "{new}");
            assert!(!new.contains("reporter-loop"), "{new}");
            // JUnit: the package's case fails on the notification's two
            // goroutines alone; the reporter's is a note.
            let xml = std::fs::read_to_string(&junit).unwrap();
            assert!(
                xml.contains("message=\"2 leaked goroutines [chan send] in example.com/leakgate/verdict/twoleaks.Notify.func1"),
                "{what}: {xml}"
            );
            assert!(
                xml.contains(
                    "allowed by .leakgate.yml rule reporter-loop: 1 leaked goroutine [select]"
                ),
                "{what}: {xml}"
            );
        }
    }
}
