//! Verdict regression cases on real captured `go test` output: runs that
//! failed next to a goroutine leak the policy allows (and controls that
//! only leak). The captures are in `tests/fixtures/verdict/go1.26/` and
//! `go1.27/` (made by `scripts/regen-verdict-fixtures.sh` from
//! `testdata/verdict`), the policies in `tests/fixtures/verdict/policies/`,
//! and the hand-written manifest `tests/fixtures/verdict/cases.json` says
//! for every case what leakgate must answer, and why.
//!
//! For every case × Go version × format file present, `leakgate check FILE
//! --config POLICY --report json=TMP` must
//!   (a) exit with the manifest's code,
//!   (b) name every `must_fail` entry as failing the gate in the JSON
//!       report: `tests[]` has the package and test (and attempt, if given)
//!       with `"gate": "fail"`, or, for a package-level entry (test null),
//!       `failures[]` has an entry for the package with `"test": null` and
//!       `"gating": true`,
//!   (c) still find every planted leak (its top function in `leaks[]`).
//!
//! Each test checks one case in every file and reports every mismatch at
//! once, with the case, the file, what was expected and what leakgate said.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

/// The day rule expiry is judged against (the rules expire in 2099).
const TODAY: &str = "2026-12-01";

fn dir() -> PathBuf {
    fixture("verdict")
}

fn manifest() -> Value {
    let path = dir().join("cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn case(name: &str) -> Value {
    manifest()["cases"]
        .as_array()
        .expect("cases[]")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name:?} in cases.json"))
        .clone()
}

/// Whether `key` (a file's format, e.g. `plain.txt`, or `go1.27/json`) is
/// listed in the array or object `v`.
fn listed(v: &Value, go: &str, fmt: &str) -> bool {
    let keys = [fmt.to_string(), format!("{go}/{fmt}")];
    match v {
        Value::Array(a) => a.iter().any(|k| keys.iter().any(|x| k == x.as_str())),
        Value::Object(o) => keys.iter().any(|x| o.contains_key(x)),
        _ => false,
    }
}

/// One run of leakgate on one capture.
struct Judged {
    code: i32,
    stderr: String,
    report: Option<Value>,
}

fn judge(file: &Path, policy: &Path) -> Judged {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let go = file
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let policy_name = policy.file_name().unwrap().to_string_lossy().into_owned();
    let tmp = std::env::temp_dir().join(format!(
        "leakgate-verdict-{}-{go}-{name}-{policy_name}.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let out = leakgate()
        .env("LEAKGATE_TODAY", TODAY)
        .arg("check")
        .arg(file)
        .arg("--root")
        .arg(root())
        .arg("--config")
        .arg(policy)
        .arg("--report")
        .arg(format!("json={}", tmp.display()))
        .output()
        .expect("run leakgate");
    let report = std::fs::read_to_string(&tmp)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let _ = std::fs::remove_file(&tmp);
    Judged {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        report,
    }
}

/// The report's package names the manifest's import path: equal, or (for
/// formats that print only the package's last elements, like gotestsum's
/// `testname`) a `/`-aligned tail of it.
fn same_package(reported: &Value, want: &str) -> bool {
    match reported.as_str() {
        Some(p) => p == want || want.ends_with(&format!("/{p}")),
        None => false,
    }
}

/// Whether the report names (package, test[, attempt]) as failing the
/// gate. `Err` says why not, in words.
fn names_gate_failure(
    r: &Value,
    pkg: &str,
    test: Option<&str>,
    attempt: Option<u64>,
) -> Result<(), String> {
    match test {
        Some(t) => {
            let Some(tests) = r["tests"].as_array() else {
                return Err(format!(
                    "the report has no `tests` array of test attempts (`tests` is {})",
                    r["tests"]
                ));
            };
            let mine: Vec<&Value> = tests
                .iter()
                .filter(|x| same_package(&x["package"], pkg) && x["test"] == t)
                .collect();
            if mine
                .iter()
                .any(|x| x["gate"] == "fail" && attempt.is_none_or(|n| x["attempt"] == n))
            {
                return Ok(());
            }
            let seen: Vec<String> = mine
                .iter()
                .map(|x| {
                    format!(
                        "attempt {} outcome {} gate {}",
                        x["attempt"], x["outcome"], x["gate"]
                    )
                })
                .collect();
            Err(if seen.is_empty() {
                format!("tests[] has no entry for {pkg} {t}")
            } else {
                format!("tests[] has {pkg} {t} only as [{}]", seen.join("; "))
            })
        }
        None => {
            let failures = r["failures"].as_array().cloned().unwrap_or_default();
            if failures.iter().any(|f| {
                same_package(&f["package"], pkg) && f["test"].is_null() && f["gating"] == true
            }) {
                return Ok(());
            }
            let seen: Vec<String> = failures
                .iter()
                .filter(|f| same_package(&f["package"], pkg) && f["test"].is_null())
                .map(|f| {
                    format!(
                        "kind {} gating {}: {}",
                        f["kind"], f["gating"], f["message"]
                    )
                })
                .collect();
            Err(if seen.is_empty() {
                format!("failures[] has no package-level entry (test null) for {pkg}")
            } else {
                format!(
                    "failures[] has {pkg} (package level) only as [{}]",
                    seen.join("; ")
                )
            })
        }
    }
}

/// Top functions of every goroutine in `leaks[]`.
fn leaked_functions(r: &Value) -> BTreeSet<String> {
    r["leaks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["goroutines"].as_array().into_iter().flatten())
        .filter_map(|g| g["top_function"].as_str().map(String::from))
        .collect()
}

fn tail(s: &str, lines: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n      ")
}

/// Checks one case in every capture; returns one line per mismatch.
fn problems(c: &Value) -> (usize, Vec<String>) {
    let m = manifest();
    let name = c["name"].as_str().unwrap();
    let fixture_base = c["fixture"].as_str().unwrap();
    let policy = dir().join("policies").join(c["policy"].as_str().unwrap());
    assert!(policy.is_file(), "{name}: no policy {}", policy.display());
    let want_exit = c["expect_exit"].as_i64().unwrap() as i32;
    let mut out = Vec::new();
    let mut files = 0;
    for go in strings(&m["go_versions"]) {
        for fmt in strings(&m["formats"]) {
            let file = dir().join(&go).join(format!("{fixture_base}.{fmt}"));
            if !file.is_file() {
                continue;
            }
            files += 1;
            let at = format!("case {name}, file tests/fixtures/verdict/{go}/{fixture_base}.{fmt}");
            let j = judge(&file, &policy);
            let judgeable = !listed(&c["not_judgeable_in"], &go, &fmt);
            if judgeable && j.code != want_exit {
                let reasons = j
                    .report
                    .as_ref()
                    .map(|r| strings(&r["reasons"]).join(" | "))
                    .unwrap_or_default();
                out.push(format!(
                    "{at}: expected exit {want_exit}, got {} ({})\n      why {want_exit}: {}\n      leakgate: {}",
                    j.code,
                    if reasons.is_empty() { "no reasons" } else { &reasons },
                    c["why"].as_str().unwrap_or(""),
                    tail(&j.stderr, 3)
                ));
            }
            let Some(r) = &j.report else {
                out.push(format!(
                    "{at}: no JSON report was written (exit {}); stderr:\n      {}",
                    j.code,
                    tail(&j.stderr, 5)
                ));
                continue;
            };
            if judgeable {
                for e in c["must_fail"].as_array().into_iter().flatten() {
                    if listed(&e["not_in"], &go, &fmt) {
                        continue;
                    }
                    let pkg = e["package"].as_str().unwrap();
                    let attempt = e["attempt"].as_u64();
                    let mut alternatives = vec![e["test"].as_str().map(String::from)];
                    for o in e["or"].as_array().into_iter().flatten() {
                        alternatives.push(o.as_str().map(String::from));
                    }
                    let mut why_not = Vec::new();
                    let ok = alternatives.iter().any(|t| {
                        match names_gate_failure(r, pkg, t.as_deref(), attempt) {
                            Ok(()) => true,
                            Err(e) => {
                                why_not.push(e);
                                false
                            }
                        }
                    });
                    if !ok {
                        let names: Vec<String> = alternatives
                            .iter()
                            .map(|t| t.clone().unwrap_or_else(|| "(package level)".into()))
                            .collect();
                        out.push(format!(
                            "{at}: must fail the gate: {pkg} {}{} ({}); but {}",
                            names.join(" or "),
                            attempt.map(|n| format!(" attempt {n}")).unwrap_or_default(),
                            e["why"].as_str().unwrap_or(""),
                            why_not.join("; ")
                        ));
                    }
                }
            }
            if !listed(&c["leak_not_in"], &go, &fmt) {
                let got = leaked_functions(r);
                for f in strings(&c["planted"]) {
                    if !got.contains(&f) {
                        out.push(format!(
                            "{at}: the planted leak {f} is not in leaks[] (found: {got:?})"
                        ));
                    }
                }
            }
        }
    }
    (files, out)
}

fn check_case(name: &str) {
    let c = case(name);
    let (files, p) = problems(&c);
    assert!(
        files > 0,
        "case {name}: no capture found under tests/fixtures/verdict/go*/"
    );
    assert!(
        p.is_empty(),
        "case {name}: {} problem(s) in {files} files:\n  {}",
        p.len(),
        p.join("\n  ")
    );
}

macro_rules! cases {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_case($name);
            }
        )*
        const CASES: &[&str] = &[$($name),*];
    };
}

cases! {
    errorfleak => "errorfleak",
    onlyleak => "onlyleak",
    onlyleak_declared => "onlyleak-declared",
    raceleak => "raceleak",
    parenterrorf => "parenterrorf",
    interleave => "interleave",
    teardown => "teardown",
    diesafterleak => "diesafterleak",
    killedafterleak => "killedafterleak",
    synctestallowed => "synctestallowed",
    counttwice => "counttwice",
    failfast => "failfast",
    subtestgate => "subtestgate",
    repeated => "repeated",
    timeout => "timeout",
    chatty => "chatty",
    chattyonly => "chattyonly",
    chattyonly_declared => "chattyonly-declared",
}

/// The tests above cover the manifest, and the manifest covers the captures.
#[test]
fn manifest_covers_every_capture() {
    let m = manifest();
    let names: BTreeSet<String> = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let tested: BTreeSet<String> = CASES.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        names, tested,
        "cases.json and the tests in verdict.rs list different cases"
    );

    let fixtures: BTreeSet<String> = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fixture"].as_str().unwrap().to_string())
        .collect();
    let formats = strings(&m["formats"]);
    for go in strings(&m["go_versions"]) {
        for f in &fixtures {
            for fmt in &formats {
                let p = dir().join(&go).join(format!("{f}.{fmt}"));
                assert!(p.is_file(), "missing capture {}", p.display());
            }
        }
        for entry in std::fs::read_dir(dir().join(&go)).unwrap() {
            let file = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                fixtures
                    .iter()
                    .any(|f| formats.iter().any(|fmt| file == format!("{f}.{fmt}"))),
                "{go}/{file} belongs to no case of cases.json"
            );
        }
    }
}
