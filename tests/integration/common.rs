//! Helpers shared by the integration tests: run the real binary, read its
//! JSON report.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The repository root (where `testdata/go/go.mod` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A captured fixture file.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// The fixture directories: every Go × goleak combination.
pub const COMBOS: [&str; 4] = [
    "go1.26-goleak1.2.1",
    "go1.26-goleak1.3.0",
    "go1.27-goleak1.2.1",
    "go1.27-goleak1.3.0",
];

/// The binary under test.
pub fn leakgate() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leakgate"));
    c.env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("CI_PROJECT_DIR")
        .env("NO_COLOR", "1");
    c
}

/// Result of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `leakgate check --root <repo> --report json <args>`.
pub fn check<P: AsRef<Path>>(inputs: &[P], extra: &[&str]) -> Run {
    let mut c = leakgate();
    c.arg("check")
        .arg("--root")
        .arg(root())
        .arg("--report")
        .arg("json");
    for i in inputs {
        c.arg(i.as_ref());
    }
    c.args(extra);
    finish(c.output().expect("run leakgate"))
}

/// `leakgate check` reading `stdin`.
pub fn check_stdin(stdin: &[u8], extra: &[&str]) -> Run {
    let mut c = leakgate();
    c.arg("check")
        .arg("--root")
        .arg(root())
        .arg("--report")
        .arg("json")
        .args(extra);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn leakgate");
    let mut pipe = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    finish(out)
}

/// (package tail, test) of every leak report, sorted.
pub fn leak_keys(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let pkg = l["package"].as_str().unwrap_or("?");
            let tail = pkg.rsplit('/').next().unwrap_or(pkg).to_string();
            (tail, l["test"].as_str().unwrap_or("<package>").to_string())
        })
        .collect();
    v.sort();
    v
}

/// The set of distinct-leak fingerprints.
pub fn fingerprints(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["distinct_leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fingerprint"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// Non-leak failures that fail the gate as (kind, package tail, test).
pub fn other_failures(report: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] != "leak" && f["gating"] == true)
        .map(|f| {
            let pkg = f["package"].as_str().unwrap_or("?");
            (
                f["kind"].as_str().unwrap().to_string(),
                pkg.rsplit('/').next().unwrap_or(pkg).to_string(),
                f["test"].as_str().unwrap_or("<package>").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The fixture run's only failure that is not a leak: assertfail's TestAdd.
pub fn only_test_add() -> Vec<(String, String, String)> {
    vec![(
        "test".to_string(),
        "assertfail".to_string(),
        "TestAdd".to_string(),
    )]
}

/// GitHub's escaping of annotation data and properties, undone.
pub fn gh_unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// One GitHub annotation, unescaped.
#[derive(Debug)]
pub struct Annotation {
    pub level: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub title: String,
    pub message: String,
}

/// Every annotation (workflow command) of a GitHub report.
pub fn annotations(text: &str) -> Vec<Annotation> {
    text.lines()
        .filter(|l| l.starts_with("::"))
        .map(|l| {
            let (cmd, rest) = l[2..].split_once(' ').unwrap_or((&l[2..], ""));
            let (level, props, data) = match cmd.split_once("::") {
                // No properties: `::error::message`.
                Some((level, data)) => (level, "", data.to_string()),
                None => {
                    let (props, data) = rest.split_once("::").expect("command");
                    (cmd, props, data.to_string())
                }
            };
            let mut a = Annotation {
                level: level.to_string(),
                file: None,
                line: None,
                title: String::new(),
                message: gh_unescape(&data),
            };
            for p in props.split(',').filter(|p| !p.is_empty()) {
                let (k, v) = p.split_once('=').expect("key=value");
                match k {
                    "file" => a.file = Some(gh_unescape(v)),
                    "line" => a.line = Some(v.parse().expect("line")),
                    "title" => a.title = gh_unescape(v),
                    other => panic!("unexpected property {other}"),
                }
            }
            a
        })
        .collect()
}
