//! Real runs whose text output trips a line-by-line reader, captured by
//! `scripts/regen-ingest-fixtures.sh` into `tests/fixtures/ingest/` (see
//! its README for the commands and go test's exit codes). Where a test adds
//! CI decoration, it says so and decorates the captured output line by line.

use serde_json::Value;

use crate::common::*;

const TOOLCHAINS: [&str; 2] = ["go1.26", "go1.27"];

fn ingest_fixture(tc: &str, name: &str) -> std::path::PathBuf {
    fixture(&format!("ingest/{tc}/{name}"))
}

/// (test, outcome) of every test record.
fn outcomes(r: &Value) -> Vec<(String, String)> {
    let mut v: Vec<_> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["test"].as_str().unwrap_or("").to_string(),
                t["outcome"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = v
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    v.sort();
    v
}

/// `fmt.Print("done")` in a passing test: `go test -v` prints
/// `done--- PASS: TestDone (0.00s)`. go test said `ok`; so must leakgate.
#[test]
fn result_after_output_without_newline_passes() {
    for tc in TOOLCHAINS {
        let run = check(&[ingest_fixture(tc, "nonewline.txt")], &[]);
        assert_eq!(run.code, 0, "{tc}: {}", run.stdout);
        let r = run.json();
        assert_eq!(r["failures"].as_array().unwrap().len(), 0, "{tc}");
        assert_eq!(r["inputs"][0]["complete"], true, "{tc}");
        assert_eq!(
            outcomes(&r),
            pairs(&[
                ("TestDone", "pass"),
                ("TestSubDone", "pass"),
                ("TestSubDone/inner", "pass"),
                ("TestFailsAfterPrint", "skip"),
                ("TestLast", "pass"),
            ]),
            "{tc}"
        );
    }
}

/// The same package with one test failing after `fmt.Print("partial")`:
/// `partial--- FAIL: TestFailsAfterPrint (0.00s)`. That test is the one
/// failure, its output the text before the marker; every other test passed.
#[test]
fn failure_after_output_without_newline_is_that_test() {
    for tc in TOOLCHAINS {
        let run = check(&[ingest_fixture(tc, "nonewline-fail.txt")], &[]);
        assert_eq!(run.code, 1, "{tc}: {}", run.stdout);
        let r = run.json();
        assert_eq!(
            other_failures(&r),
            vec![(
                "test".to_string(),
                "nonewline".to_string(),
                "TestFailsAfterPrint".to_string()
            )],
            "{tc}"
        );
        let f = &r["failures"][0];
        assert_eq!(f["output"], serde_json::json!(["partial"]), "{tc}");
        assert_eq!(r["counts"]["passed"], 4, "{tc}");
        assert_eq!(r["counts"]["failed"], 1, "{tc}");
    }
}

/// Without -v only the failing test's result is printed, after everything
/// the package's tests printed without newlines.
#[test]
fn non_verbose_failure_after_output_without_newline() {
    for tc in TOOLCHAINS {
        let run = check(&[ingest_fixture(tc, "nonewline-fail.plain.txt")], &[]);
        assert_eq!(run.code, 1, "{tc}: {}", run.stdout);
        let r = run.json();
        assert_eq!(
            other_failures(&r),
            vec![(
                "test".to_string(),
                "nonewline".to_string(),
                "TestFailsAfterPrint".to_string()
            )],
            "{tc}"
        );
    }
}

/// `leakgate check --report json <input>` run in `dir`.
fn check_in(dir: &std::path::Path, input: &std::path::Path) -> Run {
    let out = leakgate()
        .current_dir(dir)
        .arg("check")
        .arg("--root")
        .arg(root())
        .arg("--report")
        .arg("json")
        .arg(input)
        .output()
        .expect("run leakgate");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn packages(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["leaks"].as_array().unwrap())
        .map(|t| t["package"].as_str().unwrap_or("?").to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

const GTS_FORMATS: [&str; 2] = ["testname", "gha"];

/// gotestsum's `testname` and `github-actions` formats, run in the module
/// root, name packages relative to the module (`PASS clean`, `EMPTY .`).
/// Read from that directory, the names are the module's import paths; from
/// anywhere else (no `go.mod` above) they stay as printed. Either way the
/// clean run passes.
#[test]
fn gotestsum_module_relative_clean_run_passes() {
    let module_dir = root().join("testdata/go");
    for tc in TOOLCHAINS {
        for f in GTS_FORMATS {
            let input = ingest_fixture(tc, &format!("gts-{f}-clean.out"));
            for (dir, want) in [
                (
                    module_dir.as_path(),
                    [
                        "example.com/leakgate/fixtures/clean",
                        "example.com/leakgate/fixtures/nonewline",
                    ],
                ),
                (std::path::Path::new("/"), ["clean", "nonewline"]),
            ] {
                let run = check_in(dir, &input);
                assert_eq!(run.code, 0, "{tc} {f} in {dir:?}: {}", run.stderr);
                let r = run.json();
                assert_eq!(r["inputs"][0]["complete"], true, "{tc} {f}");
                assert_eq!(r["counts"]["passed"], 8, "{tc} {f}");
                assert_eq!(r["counts"]["skipped"], 1, "{tc} {f}");
                assert_eq!(r["counts"]["packages"], 3, "{tc} {f}");
                assert_eq!(packages(&r), want, "{tc} {f} in {dir:?}");
            }
        }
    }
}

/// The failing run: exit 1 with the leaks and the one ordinary failure
/// that `go test -json` of the same packages gives, in full packages.
#[test]
fn gotestsum_module_relative_failing_run_fails() {
    let module_dir = root().join("testdata/go");
    for tc in TOOLCHAINS {
        for f in GTS_FORMATS {
            let input = ingest_fixture(tc, &format!("gts-{f}-fail.out"));
            let run = check_in(&module_dir, &input);
            assert_eq!(run.code, 1, "{tc} {f}: {}", run.stderr);
            let r = run.json();
            assert_eq!(r["inputs"][0]["complete"], true, "{tc} {f}");
            assert_eq!(
                leak_keys(&r),
                vec![
                    ("assertfail".to_string(), "TestBackgroundLeaks".to_string()),
                    (
                        "recvnoclose".to_string(),
                        "TestConsumerNeverClosed".to_string()
                    ),
                    (
                        "recvnoclose".to_string(),
                        "TestInnocentBystander".to_string()
                    ),
                ],
                "{tc} {f}"
            );
            assert_eq!(other_failures(&r), only_test_add(), "{tc} {f}");
            assert_eq!(
                packages(&r),
                [
                    "example.com/leakgate/fixtures/assertfail",
                    "example.com/leakgate/fixtures/clean",
                    "example.com/leakgate/fixtures/recvnoclose",
                ],
                "{tc} {f}"
            );
        }
    }
}

/// gotestsum's github-actions format in a GitHub Actions raw log: the
/// runner prints its `::group::`/`::endgroup::` commands as
/// `##[group]`/`##[endgroup]`, behind timestamps. The captured output,
/// decorated line by line so, reads as the captured output does.
#[test]
fn gotestsum_github_actions_in_a_raw_log() {
    let module_dir = root().join("testdata/go");
    let dir = tempfile::tempdir().unwrap();
    for tc in TOOLCHAINS {
        let input = ingest_fixture(tc, "gts-gha-fail.out");
        let text = std::fs::read_to_string(&input).unwrap();
        let raw: String = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let l = l
                    .replace("::group::", "##[group]")
                    .replace("::endgroup::", "##[endgroup]");
                format!("2026-11-28T18:54:{:02}.{:07}Z {l}\n", i % 60, i * 7)
            })
            .collect();
        let decorated = dir.path().join(format!("{tc}-raw.log"));
        std::fs::write(&decorated, raw).unwrap();
        let want = check_in(&module_dir, &input).json();
        let run = check_in(&module_dir, &decorated);
        assert_eq!(run.code, 1, "{tc}: {}", run.stderr);
        let r = run.json();
        assert_eq!(leak_keys(&r), leak_keys(&want), "{tc}");
        assert_eq!(other_failures(&r), other_failures(&want), "{tc}");
        assert_eq!(r["counts"], want["counts"], "{tc}");
        assert_eq!(packages(&r), packages(&want), "{tc}");
        assert_eq!(
            r["failures"][0]["output"], want["failures"][0]["output"],
            "{tc}"
        );
    }
}

/// A Bazel `test.log`: the test binary's own output (the captured `go test
/// -v` output without go test's `FAIL\tpkg` line, which Bazel does not
/// print) after Bazel's header naming the target. The package is the
/// label's, relative to the workspace.
#[test]
fn bazel_test_log_names_the_package() {
    for tc in TOOLCHAINS {
        let text = std::fs::read_to_string(ingest_fixture(tc, "nonewline-fail.txt")).unwrap();
        let mut log = String::from(
            "exec ${PAGER:-/usr/bin/less} \"$0\" || exit 1\nExecuting tests from //nonewline:nonewline_test\n-----------------------------------------------------------------------------\n",
        );
        for l in text.lines().filter(|l| !l.starts_with("FAIL\t")) {
            log.push_str(l);
            log.push('\n');
        }
        let run = check_stdin(log.as_bytes(), &[]);
        assert_eq!(run.code, 1, "{tc}: {}", run.stderr);
        let r = run.json();
        let failures: Vec<_> = r["failures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["gating"] == true)
            .map(|f| {
                (
                    f["package"].as_str().unwrap(),
                    f["test"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(failures, [("nonewline", "TestFailsAfterPrint")], "{tc}");
        assert_eq!(r["counts"]["passed"], 4, "{tc}");
    }
}

/// gotestsum's `=== Failed` summary in an excerpt pasted into
/// prometheus/prometheus#7697 (byte for byte; see
/// `tests/fixtures/ingest/excerpts/SOURCES.md`): the package's own entry
/// `=== FAIL: tsdb  (0.00s)` replays go test's `FAIL\tgithub.com/…/tsdb`
/// line, which names the package in full.
#[test]
fn gotestsum_summary_entry_names_the_package_in_full() {
    let run = check(&[fixture("ingest/excerpts/prometheus-7697.txt")], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let leaks: Vec<_> = r["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["package"].as_str().unwrap())
        .collect();
    assert_eq!(leaks, ["github.com/prometheus/prometheus/tsdb"]);
}
