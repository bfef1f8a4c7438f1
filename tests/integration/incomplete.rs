//! Incomplete input: a goleak report found is a report kept, and the
//! verdict is on what the input shows. A new leak (or another failure the
//! input states) in incomplete input fails the run, exit 1, and the report
//! still says where the input ends; incomplete input with nothing failing
//! in it (only allowed leaks, or nothing at all) is exit 2, never a pass.
//!
//! The inputs are real `go test` output of the packages in `testdata/go`,
//! cut the way pastes are cut (tests/fixtures/cut/README.md says how each
//! was captured and cut; cutting real output is the only change).

use serde_json::Value;

use crate::common::*;

/// A policy in a temporary directory allowing every function the cut
/// fixtures leak.
fn allowing_policy() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leakgate.yml");
    let mut yaml = "version: 1\nallow:\n".to_string();
    for (i, f) in [
        "example.com/leakgate/fixtures/testmain.(*Janitor).loop",
        "example.com/leakgate/fixtures/testmain.Notify.func1",
        "example.com/leakgate/fixtures/selectleak.(*Mux).loop",
        "example.com/leakgate/fixtures/selectleak.Park.func1",
    ]
    .iter()
    .enumerate()
    {
        yaml.push_str(&format!(
            "  - id: r{i}\n    reason: known\n    match:\n      top_function: {f}\n"
        ));
    }
    std::fs::write(&path, yaml).unwrap();
    (dir, format!("--config={}", path.display()))
}

fn cut(name: &str) -> std::path::PathBuf {
    fixture(&format!("cut/{name}"))
}

/// Lines of a fixture (where it ends).
fn lines(name: &str) -> usize {
    std::fs::read_to_string(cut(name)).unwrap().lines().count()
}

/// (package, test, top functions of its goroutines) of every leak report.
fn leaks(r: &Value) -> Vec<(Value, Value, Vec<String>)> {
    r["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let tops = l["goroutines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["top_function"].as_str().unwrap_or("?").to_string())
                .collect();
            (l["package"].clone(), l["test"].clone(), tops)
        })
        .collect()
}

/// The report (JSON and terminal) names the input and the line it ends at.
fn names_the_end(run: &Run, name: &str) {
    let at = format!("{}:{}:", cut(name).display(), lines(name));
    let r = run.json();
    let reasons: Vec<&str> = r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|s| s.starts_with(&at) && s.contains("the input ends")),
        "{name}: {reasons:?}"
    );
    assert!(run.stderr.contains(&at), "{name}: {}", run.stderr);
}

const SELECT: &str = "example.com/leakgate/fixtures/selectleak.(*Mux).loop";

#[test]
fn a_verifytestmain_report_alone_is_kept_and_fails() {
    let name = "verifytestmain-alone.txt";
    let run = check(&[cut(name)], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["verdict"], "fail");
    assert_eq!(
        leaks(&r),
        vec![(
            Value::Null,
            Value::Null,
            vec![
                "example.com/leakgate/fixtures/testmain.(*Janitor).loop".to_string(),
                "example.com/leakgate/fixtures/testmain.Notify.func1".to_string()
            ]
        )]
    );
    let g = &r["leaks"][0]["goroutines"][0];
    assert_eq!(g["state"], "select");
    assert_eq!(
        g["created_by"]["function"],
        "example.com/leakgate/fixtures/testmain.StartJanitor"
    );
    assert_eq!(g["origin"]["file"], "testdata/go/testmain/janitor.go");
    assert_eq!(g["origin"]["line"], 17);
    assert_eq!(r["leaks"][0]["reported_by"], "goleak.VerifyTestMain");
    names_the_end(&run, name);
    // The terminal shows the leak and says the input is incomplete.
    assert!(
        run.stderr
            .contains("LEAK testdata/go/testmain/janitor.go:17"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("warning: "), "{}", run.stderr);
    assert!(run.stderr.contains("leakgate: FAIL"), "{}", run.stderr);
}

#[test]
fn a_fail_block_alone_is_kept_with_its_test_and_fails() {
    let name = "fail-block-alone.txt";
    let run = check(&[cut(name)], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(
        leaks(&r),
        vec![(
            Value::Null,
            Value::from("TestMuxNeverStopped"),
            vec![SELECT.to_string(), SELECT.to_string()]
        )]
    );
    assert_eq!(r["leaks"][0]["status"], "new");
    assert_eq!(r["leaks"][0]["goroutines"][1]["id"], 9);
    assert_eq!(r["leaks"][0]["goroutines"][0]["origin"]["line"], 21);
    names_the_end(&run, name);
}

#[test]
fn a_goleak_block_alone_is_kept_and_fails() {
    let name = "goleak-block-alone.txt";
    let run = check(&[cut(name)], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let found = leaks(&r);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Value::Null);
    assert_eq!(found[0].2, vec![SELECT.to_string(), SELECT.to_string()]);
    let g = &r["leaks"][0]["goroutines"][0];
    assert_eq!(g["id"], 8);
    assert_eq!(g["state"], "select");
    assert_eq!(
        g["created_by"]["function"],
        "example.com/leakgate/fixtures/selectleak.NewMux"
    );
    assert_eq!(g["origin"]["file"], "testdata/go/selectleak/mux.go");
    assert_eq!(g["origin"]["line"], 21);
    names_the_end(&run, name);
}

#[test]
fn a_report_of_a_test_the_input_cuts_off_is_kept_and_fails() {
    let name = "run-and-report.txt";
    let run = check(&[cut(name)], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(
        leaks(&r),
        vec![(
            Value::Null,
            Value::from("TestMuxNeverStopped"),
            vec![SELECT.to_string(), SELECT.to_string()]
        )]
    );
    names_the_end(&run, name);
}

#[test]
fn json_without_the_package_result_keeps_package_and_tests() {
    let name = "json-no-package-result.json";
    let run = check(&[cut(name)], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let pkg = Value::from("example.com/leakgate/fixtures/selectleak");
    assert_eq!(
        leaks(&r),
        vec![
            (
                pkg.clone(),
                Value::from("TestMuxNeverStopped"),
                vec![SELECT.to_string(), SELECT.to_string()]
            ),
            (
                pkg,
                Value::from("TestParkForever"),
                vec!["example.com/leakgate/fixtures/selectleak.Park.func1".to_string()]
            ),
        ]
    );
    names_the_end(&run, name);
    assert!(
        run.stderr
            .contains("package example.com/leakgate/fixtures/selectleak"),
        "{}",
        run.stderr
    );
}

#[test]
fn only_allowed_leaks_in_incomplete_input_cannot_be_judged() {
    let (_dir, config) = allowing_policy();
    for name in [
        "verifytestmain-alone.txt",
        "fail-block-alone.txt",
        "goleak-block-alone.txt",
        "run-and-report.txt",
        "json-no-package-result.json",
    ] {
        let run = check(&[cut(name)], &[&config]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        let r = run.json();
        assert_eq!(r["verdict"], "error", "{name}");
        // The leaks are still reported, as allowed.
        let statuses: Vec<&Value> = r["leaks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["status"])
            .collect();
        assert!(!statuses.is_empty(), "{name}");
        assert!(
            statuses.iter().all(|s| *s == "allowed"),
            "{name}: {statuses:?}"
        );
        names_the_end(&run, name);
        assert!(run.stderr.contains("leakgate: ERROR"), "{}", run.stderr);
    }
}

#[test]
fn incomplete_input_with_nothing_failing_is_exit_2() {
    // The first line of the cut `-v` output alone: a test that started.
    let text = std::fs::read_to_string(cut("run-and-report.txt")).unwrap();
    let first = format!("{}\n", text.lines().next().unwrap());
    let run = check_stdin(first.as_bytes(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.json()["leaks"].as_array().unwrap().is_empty());
    assert!(
        run.stderr.contains("-:1: the input ends before"),
        "{}",
        run.stderr
    );
}

#[test]
fn another_failure_in_incomplete_input_fails() {
    // assertfail's TestAdd (`t.Errorf`) from the captured run, its package
    // never ending: the input states a failure.
    let text = std::fs::read_to_string(fixture("go1.26-goleak1.3.0/all.plain.txt")).unwrap();
    let start = text.find("--- FAIL: TestAdd").unwrap();
    let block: String = text[start..]
        .lines()
        .take_while({
            let mut first = true;
            move |l| std::mem::take(&mut first) || l.starts_with("    ")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(block.lines().count() >= 2, "{block}");
    let run = check_stdin(block.as_bytes(), &[]);
    assert_eq!(run.code, 1, "{block}\n{}", run.stderr);
    let r = run.json();
    assert!(
        other_failures(&r)
            .iter()
            .any(|(k, _, t)| k == "test" && t == "TestAdd"),
        "{:?}",
        other_failures(&r)
    );
    assert!(
        run.stderr.contains("the input ends before"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_allowed_report_outside_any_package_never_passes() {
    // A complete package's result line from the captured run, then the
    // goleak block alone: the report's own package never reported a result.
    let plain = std::fs::read_to_string(fixture("go1.26-goleak1.3.0/all.plain.txt")).unwrap();
    let ok = plain
        .lines()
        .find(|l| l.starts_with("ok  \texample.com/leakgate/fixtures/clean\t"))
        .unwrap();
    let block = std::fs::read_to_string(cut("goleak-block-alone.txt")).unwrap();
    let input = format!("{ok}\n{block}");
    let end = input.lines().count();
    let (_dir, config) = allowing_policy();
    let run = check_stdin(input.as_bytes(), &[&config]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["leaks"][0]["status"], "allowed");
    assert!(
        run.stderr.contains(&format!("-:{end}: the input ends")),
        "{}",
        run.stderr
    );
    // Without the policy the leak is new: exit 1.
    let run = check_stdin(input.as_bytes(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}
