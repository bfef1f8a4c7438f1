//! A gate fails closed: input that cannot be judged is exit 2 with a message
//! naming the input (and line), never a pass. Incomplete input in which a
//! new leak or another failure is found fails the run (exit 1), and still
//! says where the input ends.

use crate::common::*;

fn all_json() -> Vec<u8> {
    std::fs::read(fixture("go1.26-goleak1.3.0/all.json")).unwrap()
}

/// The exit code incomplete input must give, from what its JSON report
/// found: 1 when a leak report is new or a failure the input states gates
/// (not a test the end of the input cut off), else 2.
fn incomplete_code(r: &serde_json::Value) -> i32 {
    let new_leak = r["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["status"] == "new");
    let stated = r["failures"].as_array().unwrap().iter().any(|f| {
        f["gating"] == true
            && f["condition"].is_null()
            && !(f["kind"] == "incomplete"
                && f["message"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("the output ends early"))
    });
    if new_leak || stated {
        1
    } else {
        2
    }
}

fn write_tmp(name: &str, data: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, data).unwrap();
    (dir, p)
}

#[test]
fn empty_and_blank_inputs_are_errors() {
    for data in [&b""[..], b"   \n\n\t\n"] {
        let (_d, p) = write_tmp("empty.json", data);
        let run = check(&[&p], &[]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("empty.json"), "{}", run.stderr);
        assert!(run.stderr.contains("empty"), "{}", run.stderr);
    }
    let run = check_stdin(b"", &[]);
    assert_eq!(run.code, 2);
}

#[test]
fn missing_file_is_an_error() {
    let run = check(&[std::path::Path::new("/nonexistent/results.json")], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/results.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn only_non_test_output_is_an_error() {
    let run = check_stdin(
        b"go: downloading go.uber.org/goleak v1.3.0\nsomething else\n",
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no test results"), "{}", run.stderr);
}

#[test]
fn stream_cut_mid_line_names_the_line_and_never_passes() {
    let data = all_json();
    // Cut in the middle of every 50th line.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            data.iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let mut codes = std::collections::BTreeSet::new();
    for (n, w) in starts.windows(2).enumerate().step_by(50) {
        let cut = w[0] + (w[1] - w[0]) / 2;
        let (_d, p) = write_tmp("cut.json", &data[..cut]);
        let run = check(&[&p], &[]);
        let r = run.json();
        assert_eq!(
            run.code,
            incomplete_code(&r),
            "cut in line {}: {}",
            n + 1,
            run.stderr
        );
        assert_eq!(r["verdict"], if run.code == 1 { "fail" } else { "error" });
        assert_eq!(r["inputs"][0]["complete"], false);
        let why = r["inputs"][0]["incomplete_reason"].as_str().unwrap();
        assert!(why.contains(&format!("line {}", n + 1)), "{why}");
        assert!(run.stderr.contains("cut.json"), "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!("line {}", n + 1)),
            "{}",
            run.stderr
        );
        codes.insert(run.code);
    }
    // Cuts before the first failure, and after it.
    assert_eq!(codes, [1, 2].into_iter().collect());
}

#[test]
fn package_that_never_ended_is_named_beside_its_failures() {
    let data = all_json();
    let text = String::from_utf8(data).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Drop the final `fail` event of package fiftyworkers.
    let kept: String = lines
        .iter()
        .filter(|l| {
            !(l.contains("\"Package\":\"example.com/leakgate/fixtures/fiftyworkers\"")
                && l.contains("\"Action\":\"fail\"")
                && !l.contains("\"Test\""))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let end = kept.lines().count();
    let (_d, p) = write_tmp("nofinal.json", kept.as_bytes());
    let run = check(&[&p], &[]);
    // The run's new leaks and TestAdd fail it; where the input is
    // incomplete is said all the same.
    assert_eq!(run.code, 1, "{}", run.stderr);
    let named = format!(
        "nofinal.json:{end}: the input ends before package example.com/leakgate/fixtures/fiftyworkers reported a result"
    );
    assert!(run.stderr.contains(&named), "{named}\n{}", run.stderr);
    let r = run.json();
    assert!(r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().contains(&named)));
    // The leaks it printed are still reported.
    assert!(leak_keys(&r).contains(&("fiftyworkers".into(), "TestFiftyWorkersLeaked".into())));
}

#[test]
fn output_cut_at_a_line_boundary_mid_run_never_passes() {
    let text = String::from_utf8(all_json()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Just after the first test started (no failure yet), a third and a
    // half of the run.
    let first_run = 1 + lines
        .iter()
        .position(|l| l.contains("\"Action\":\"run\""))
        .unwrap();
    for (n, want) in [(first_run, 2), (lines.len() / 3, 1), (lines.len() / 2, 1)] {
        let kept: String = lines[..n].iter().map(|l| format!("{l}\n")).collect();
        let run = check_stdin(kept.as_bytes(), &[]);
        assert_eq!(run.code, want, "{n} lines: {}", run.stderr);
        assert_eq!(run.code, incomplete_code(&run.json()), "{n} lines");
        assert!(
            run.stderr
                .contains(&format!("-:{n}: the input ends before")),
            "{n} lines: {}",
            run.stderr
        );
    }
}

#[test]
fn text_and_junit_cut_short_never_pass() {
    let txt = std::fs::read(fixture("go1.26-goleak1.3.0/all.txt")).unwrap();
    let run = check_stdin(&txt[..txt.len() / 2], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.code, incomplete_code(&run.json()));
    let run = check_stdin(&txt[..40], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let xml = std::fs::read(fixture("go1.26-goleak1.3.0/all.gotestsum.xml")).unwrap();
    // Cut XML is not read at all.
    let (_d, p) = write_tmp("cut.xml", &xml[..xml.len() / 2]);
    let run = check(&[&p], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cut.xml"), "{}", run.stderr);
}

#[test]
fn malformed_xml_names_line_and_column() {
    let (_d, p) = write_tmp("bad.xml", b"<testsuites>\n  <testsuite name=\"p\">\n    <testcase name=\"T\"></testsuite>\n</testsuites>\n");
    let run = check(&[&p], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("bad.xml:3:"), "{}", run.stderr);
}

#[test]
fn bad_usage_is_exit_2() {
    let out = leakgate()
        .args(["check", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = leakgate()
        .args(["check", "--report", "nope"])
        .arg(fixture("go1.26-goleak1.3.0/all.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn junit_that_declares_failures_it_does_not_list_is_not_a_pass() {
    // A real gotestsum JUnit file reduced to one passing package whose
    // suite still says one test failed (as a cut or hand-merged shard would).
    let xml = std::fs::read_to_string(fixture("go1.26-goleak1.3.0/all.gotestsum.xml")).unwrap();
    let clean_start = xml
        .find("name=\"example.com/leakgate/fixtures/clean\"")
        .unwrap();
    let suite_start = xml[..clean_start].rfind("<testsuite ").unwrap();
    let suite_end =
        xml[clean_start..].find("</testsuite>").unwrap() + clean_start + "</testsuite>".len();
    let suite = &xml[suite_start..suite_end];
    assert!(suite.contains("failures=\"0\""), "{suite}");
    let lying = suite.replacen("failures=\"0\"", "failures=\"1\"", 1);
    let doc = format!("<testsuites>{lying}</testsuites>\n");
    let honest = format!("<testsuites>{suite}</testsuites>\n");
    let run = check_stdin(honest.as_bytes(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = check_stdin(doc.as_bytes(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("declares 1 failures or errors but lists 0"),
        "{}",
        run.stderr
    );
}

/// A goleak report that lists no goroutine (not a shape Go and goleak
/// print: a pasted or mangled report, typed here) still failed its test:
/// it is a failure of its own, even where the policy declares that no run
/// uses -failfast, never a pass with nothing to judge.
#[test]
fn a_leak_report_that_lists_no_goroutine_fails() {
    let text = "=== RUN   TestX\n    x_test.go:9: found unexpected goroutines:\n        []\n--- FAIL: TestX (0.45s)\nFAIL\nFAIL\texample.com/p\t0.5s\nFAIL\n";
    let (dir, input) = write_tmp("empty-report.txt", text.as_bytes());
    let policy = dir.path().join(".leakgate.yml");
    std::fs::write(&policy, "version: 1\nverdict:\n  no_failfast: true\n").unwrap();
    let run = check(&[&input], &["--config", policy.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let failure = json["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["test"] == "TestX" && f["kind"] == "leak")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(failure["gating"], true);
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .starts_with("goroutines not shown"),
        "{failure}"
    );
}
