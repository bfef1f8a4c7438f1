//! Every report format on real captured Go output: snapshots, schema
//! validation (JUnit against the Jenkins `junit-10.xsd`, SARIF against
//! the SARIF 2.1.0 schema), counts that agree across every format, and
//! hostile test names and output (`tests/fixtures/hostile`) checked in
//! each format.
//!
//! Snapshots are `insta` snapshots in `tests/integration/snapshots/`, one
//! per case and report kind, with leakgate's version and absolute
//! machine paths filtered out ([`snapshot_settings`]). To update them
//! after a deliberate change, review the new ones with
//! `cargo insta review` (after `cargo insta test`; `cargo install
//! cargo-insta`), or accept every one with
//! `INSTA_UPDATE=always cargo test --test integration reports`, then
//! commit the `.snap` files. Under `CI=true` (as CI runs `cargo test
//! --locked`) insta writes nothing: a missing or changed snapshot fails.
//!
//! The schema checks use `xmllint` (libxml2-utils) and Python's
//! `jsonschema`; without them they say so on stderr and only the
//! structural checks run, unless `LEAKGATE_REQUIRE_VALIDATORS=1` makes a
//! missing validator a failure.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{annotations, gh_unescape, Annotation};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_leakgate");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the fixtures were captured (`tests/fixtures/README.md`): their
/// stacks and excerpts hold this path as text, the same on every machine.
const CAPTURE_ROOT: &str = "/work/main";

/// The day policies are judged on (rule expiry), fixed for the snapshots.
const TODAY: &str = "2026-11-28";

/// A policy for the main fixture: allows some leaks (two tests' worker,
/// the fifty workers, the package-level janitor of `testmain`), has a rule
/// that expired (its leak is new again) and one that matches nothing.
const ALLOW_POLICY: &str = "version: 1
allow:
  - id: worker
    reason: the worker stops when the process exits
    owner: \"@leakgate-maintainers\"
    match:
      created_by: example.com/leakgate/fixtures/ctxworker.Start
  - id: pool
    reason: the pool's workers are reused across tests
    match:
      created_by: example.com/leakgate/fixtures/fiftyworkers.NewPool
  - id: janitor
    reason: the package-level janitor runs for the whole binary
    match:
      created_by: example.com/leakgate/fixtures/testmain.*
  - id: mux
    reason: was going to be fixed by the summer
    expires: 2026-06-30
    match:
      created_by: example.com/leakgate/fixtures/selectleak.NewMux
  - id: unused
    reason: matches nothing in this run
    match:
      top_function: example.com/leakgate/fixtures/nowhere.Nothing
";

/// A report case: a captured fixture and the policy it is judged with.
struct Case {
    name: &'static str,
    fixture: &'static str,
    policy: Policy,
}

enum Policy {
    /// The default policy (none written).
    Default,
    /// A committed policy file (relative to the repository).
    File(&'static str),
    /// [`ALLOW_POLICY`], written to a temporary directory.
    Allow,
}

/// The cases the snapshots and the agreement checks cover.
const CASES: &[Case] = &[
    Case {
        name: "all-go1.26-goleak1.3.0",
        fixture: "tests/fixtures/go1.26-goleak1.3.0/all.json",
        policy: Policy::Default,
    },
    Case {
        name: "all-text-go1.27-goleak1.2.1",
        fixture: "tests/fixtures/go1.27-goleak1.2.1/all.txt",
        policy: Policy::Default,
    },
    Case {
        name: "hangs-go1.27-goleak1.3.0",
        fixture: "tests/fixtures/go1.27-goleak1.3.0/hangs.json",
        policy: Policy::Default,
    },
    Case {
        name: "hostile",
        fixture: "tests/fixtures/hostile/hostile.json",
        policy: Policy::Default,
    },
    Case {
        name: "allowed-all-go1.26-goleak1.3.0",
        fixture: "tests/fixtures/go1.26-goleak1.3.0/all.json",
        policy: Policy::Allow,
    },
    Case {
        name: "verdict-timeout",
        fixture: "tests/fixtures/verdict/go1.26/timeout.json",
        policy: Policy::File("tests/fixtures/verdict/policies/timeout.leakgate.yml"),
    },
    Case {
        name: "verdict-counttwice",
        fixture: "tests/fixtures/verdict/go1.26/counttwice.json",
        policy: Policy::File("tests/fixtures/verdict/policies/counttwice.leakgate.yml"),
    },
    Case {
        name: "verdict-interleave",
        fixture: "tests/fixtures/verdict/go1.26/interleave.json",
        policy: Policy::File("tests/fixtures/verdict/policies/interleave.leakgate.yml"),
    },
    Case {
        name: "verdict-repeated",
        fixture: "tests/fixtures/verdict/go1.26/repeated.json",
        policy: Policy::File("tests/fixtures/verdict/policies/repeated.leakgate.yml"),
    },
    Case {
        name: "build-fail",
        fixture: "tests/fixtures/extra/build-fail.json",
        policy: Policy::Default,
    },
    // Two distinct leaks in one VerifyTestMain report, one allow rule each,
    // one of them expired.
    Case {
        name: "twoleaks-one-expired",
        fixture: "tests/fixtures/twoleaks/go1.26/twoleaks.json",
        policy: Policy::File("tests/fixtures/twoleaks/one-expired.leakgate.yml"),
    },
];

/// Fixtures the schema and structure checks cover (relative to the
/// repository).
const FIXTURES: &[(&str, &str)] = &[
    (
        "all-go1.26-goleak1.3.0",
        "tests/fixtures/go1.26-goleak1.3.0/all.json",
    ),
    (
        "all-text-go1.27-goleak1.2.1",
        "tests/fixtures/go1.27-goleak1.2.1/all.txt",
    ),
    (
        "hangs-go1.27-goleak1.3.0",
        "tests/fixtures/go1.27-goleak1.3.0/hangs.json",
    ),
    ("hostile", "tests/fixtures/hostile/hostile.json"),
    (
        "verdict-counttwice",
        "tests/fixtures/verdict/go1.26/counttwice.json",
    ),
    ("build-fail", "tests/fixtures/extra/build-fail.json"),
];

/// Report kinds with their snapshot's suffix.
const KINDS: &[(&str, &str)] = &[
    ("terminal", "txt"),
    ("github", "txt"),
    ("markdown", "md"),
    ("junit", "xml"),
    ("codequality", "json"),
    ("sarif", "sarif"),
];

/// The hostile subtest's name as `go test` prints it.
const HOSTILE_TEST: &str = "TestHostile/::error::pwned_%0A_<script>alert(1)</script>|`x`]]>";

const CI_VARS: &[&str] = &[
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_SERVER_URL",
    "GITHUB_WORKSPACE",
    "GITLAB_CI",
    "CI_PROJECT_DIR",
    "NO_COLOR",
];

fn leakgate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(ROOT)
        .arg("check")
        .args(["--root", ROOT, "--color", "never"])
        .args(args)
        .env("LEAKGATE_TODAY", TODAY);
    for v in CI_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run leakgate")
}

/// One report to standard output, without CI (or with `env`).
fn report(fixture: &str, kind: &str, env: &[(&str, &str)]) -> String {
    let out = leakgate(&[fixture, "--report", kind], env);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "leakgate crashed on {fixture} ({kind}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("reports are UTF-8")
}

const LINK_ENV: &[(&str, &str)] = &[
    ("GITHUB_REPOSITORY", "leakgate/leakgate"),
    ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
    ("GITHUB_SERVER_URL", "https://github.com"),
];

/// A case made ready to run: its `--config` arguments, and the temporary
/// directory holding its policy (kept alive as long as the case runs).
struct Prepared {
    config: Vec<String>,
    dir: tempfile::TempDir,
}

fn prepare(case: &Case) -> Prepared {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = match case.policy {
        Policy::Default => Vec::new(),
        Policy::File(p) => vec!["--config".to_string(), p.to_string()],
        Policy::Allow => {
            let p = dir.path().join(".leakgate.yml");
            std::fs::write(&p, ALLOW_POLICY).expect("write policy");
            vec!["--config".to_string(), p.display().to_string()]
        }
    };
    Prepared { config, dir }
}

/// insta's settings for the report snapshots: leakgate's version and the
/// absolute paths of this machine (temporary directories, the checkout)
/// are replaced by placeholders, so the snapshots hold on any machine and
/// across releases.
fn snapshot_settings(tmp: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    let v = regex::escape(VERSION);
    // SARIF's and the JSON report's `tool` object.
    s.add_filter(
        &format!(r#"("name": "leakgate",\s*"version": )"{v}""#),
        r#"$1"[VERSION]""#,
    );
    // XML attributes and text such as `leakgate 0.1.0`.
    s.add_filter(&format!(r#"version="{v}""#), r#"version="[VERSION]""#);
    s.add_filter(&format!(r"\bleakgate([ /@]v?){v}\b"), "leakgate$1[VERSION]");
    // Temporary directories (policies written by the tests), also as the
    // canonical path the binary may print.
    let canonical = tmp.canonicalize().unwrap_or_else(|_| tmp.to_path_buf());
    for t in [tmp.to_path_buf(), canonical] {
        s.add_filter(&regex::escape(&t.display().to_string()), "[TMP]");
    }
    // The checkout, unless it is where the fixtures were captured: there
    // the path is fixture text, the same on every machine, and stays.
    if !CAPTURE_ROOT.starts_with(ROOT) {
        s.add_filter(&regex::escape(ROOT), "[ROOT]");
    }
    s
}

#[test]
fn snapshots_of_every_report() {
    for case in CASES {
        let prepared = prepare(case);
        let settings = snapshot_settings(prepared.dir.path());
        for (kind, ext) in KINDS {
            let env = if *kind == "markdown" { LINK_ENV } else { &[] };
            let mut args: Vec<&str> = prepared.config.iter().map(String::as_str).collect();
            args.extend([case.fixture, "--report", kind]);
            let out = leakgate(&args, env);
            assert!(
                matches!(out.status.code(), Some(0..=2)),
                "leakgate crashed on {} ({kind}): {}",
                case.name,
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).expect("reports are UTF-8");
            let mut settings = settings.clone();
            let config = match case.policy {
                Policy::Default => String::new(),
                Policy::File(p) => format!(" --config {p}"),
                Policy::Allow => " --config [TMP]/.leakgate.yml".to_string(),
            };
            settings.set_description(format!(
                "leakgate check{config} {} --report {kind}",
                case.fixture
            ));
            settings.bind(|| {
                insta::assert_snapshot!(format!("{}.{kind}.{ext}", case.name), text);
            });
        }
    }
}

/// Every report of one analysis: one `leakgate check` run writing all of
/// them, read back.
struct Rendered {
    json: Value,
    sarif: Value,
    codequality: Value,
    junit: String,
    github: String,
    markdown: String,
    terminal: String,
}

fn render_all(case: &Case, extra: &[&str]) -> Rendered {
    let prepared = prepare(case);
    let dir = prepared.dir.path();
    let files = [
        ("json", "report.json"),
        ("sarif", "report.sarif"),
        ("codequality", "codequality.json"),
        ("junit", "junit.xml"),
        ("github", "github.txt"),
        ("markdown", "summary.md"),
        ("terminal", "terminal.txt"),
    ];
    let specs: Vec<String> = files
        .iter()
        .map(|(k, f)| format!("{k}={}", dir.join(f).display()))
        .collect();
    let mut args: Vec<&str> = prepared.config.iter().map(String::as_str).collect();
    args.push(case.fixture);
    for spec in &specs {
        args.extend(["--report", spec.as_str()]);
    }
    args.extend(extra);
    let out = leakgate(&args, &[]);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "leakgate crashed on {}: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("report written");
    let json = |f: &str| -> Value { serde_json::from_str(&read(f)).expect("JSON") };
    Rendered {
        json: json("report.json"),
        sarif: json("report.sarif"),
        codequality: json("codequality.json"),
        junit: read("junit.xml"),
        github: read("github.txt"),
        markdown: read("summary.md"),
        terminal: read("terminal.txt"),
    }
}

/// The distinct-leak and failure counts a report states.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Stated {
    new: u64,
    allowed: u64,
    flaky: u64,
    other: u64,
}

fn tally_of(json: &Value) -> (Stated, u64) {
    let t = &json["tally"];
    let n = |k: &str| t[k].as_u64().unwrap_or_else(|| panic!("tally.{k}"));
    (
        Stated {
            new: n("new_leaks"),
            allowed: n("allowed_leaks"),
            flaky: n("flaky_leaks"),
            other: n("other_failures"),
        },
        n("test_harness"),
    )
}

/// A summary line's counts: (distinct leaks and failures, harness,
/// [passed, failed, skipped, packages]).
fn parse_summary(body: &str) -> (Stated, u64, [u64; 4]) {
    let re = regex::Regex::new(
        r"^(\d+) new leaks?, (\d+) allowed, (\d+) flaky, (\d+) other failures?(?:, (\d+) test-harness \(not leaks\))?; (\d+) passed, (\d+) failed, (\d+) skipped in (\d+) packages?$",
    )
    .expect("regex");
    let c = re
        .captures(body)
        .unwrap_or_else(|| panic!("summary line not understood: {body:?}"));
    let n = |i: usize| {
        c.get(i)
            .map_or(0, |m| m.as_str().parse::<u64>().expect("number"))
    };
    (
        Stated {
            new: n(1),
            allowed: n(2),
            flaky: n(3),
            other: n(4),
        },
        n(5),
        [n(6), n(7), n(8), n(9)],
    )
}

/// The terminal's summary line: (verdict, the counts after it).
fn terminal_summary(text: &str) -> (String, String) {
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with("leakgate: "))
        .expect("terminal summary line");
    let rest = &line["leakgate: ".len()..];
    let (verdict, body) = rest.split_once(": ").expect("verdict: counts");
    (verdict.to_lowercase(), body.to_string())
}

/// The Markdown summary's counts line, in the terminal's punctuation.
fn markdown_summary(md: &str) -> (String, String) {
    let head = md.lines().next().expect("heading");
    let verdict = if head.ends_with("leakgate: pass") {
        "pass"
    } else if head.ends_with("leakgate: fail") {
        "fail"
    } else {
        "error"
    };
    let line = md
        .lines()
        .find(|l| l.starts_with("**") && l.contains(" new leak"))
        .expect("markdown counts line");
    (
        verdict.to_string(),
        line.replace("**", "").replace(" · ", "; "),
    )
}

/// SARIF results counted by what they are.
fn sarif_counts(sarif: &Value) -> Stated {
    let mut s = Stated::default();
    for r in sarif["runs"][0]["results"].as_array().expect("results") {
        let rule = r["ruleId"].as_str().expect("ruleId");
        match (rule, r["level"].as_str().expect("level")) {
            ("goroutine-leak", "error") => s.new += 1,
            ("goroutine-leak", "note") => {
                assert!(r["suppressions"][0]["kind"] == "external", "{r}");
                s.allowed += 1;
            }
            ("flaky-goroutine-leak", "warning") => s.flaky += 1,
            (
                "test-failure" | "build-failure" | "test-panic" | "test-timeout"
                | "test-incomplete",
                "error",
            ) => s.other += 1,
            other => panic!("unexpected SARIF result {other:?}"),
        }
    }
    s
}

/// Code Quality entries counted by check and severity.
fn codequality_counts(cq: &Value) -> Stated {
    let mut s = Stated::default();
    for i in cq.as_array().expect("array") {
        let check = i["check_name"].as_str().expect("check_name");
        match (check, i["severity"].as_str().expect("severity")) {
            ("leakgate/goroutine-leak", "major") => s.new += 1,
            ("leakgate/goroutine-leak", "info") => s.allowed += 1,
            ("leakgate/flaky-goroutine-leak", "minor") => s.flaky += 1,
            (c, "major") if c.ends_with("-failure") => s.other += 1,
            other => panic!("unexpected Code Quality entry {other:?}"),
        }
    }
    s
}

/// What the failure annotations' titles start with.
const FAILURE_TITLES: &[&str] = &[
    "Build failed: ",
    "Test panicked: ",
    "Test timed out: ",
    "Test did not finish: ",
    "Test failed: ",
];

/// GitHub annotations counted: distinct leaks from the titles (`N
/// goroutine leaks in …` lists N), other failures, and what the capped
/// levels' last annotation says it left out.
fn github_counts(text: &str) -> Stated {
    let mut s = Stated::default();
    let more =
        regex::Regex::new(r"^\d+ more (error|warning) annotations? \(([^)]*)\)").expect("re");
    let part = regex::Regex::new(r"^(\d+) (new leaks?|flaky leaks?|other failures?)$").expect("re");
    let leaks = regex::Regex::new(r"^(?:(\d+) )?(?:(flaky) )?goroutine leaks? in ").expect("re");
    let mut places = HashSet::new();
    for a in annotations(text) {
        if a.title == "leakgate could not judge this run" {
            continue;
        }
        if a.title.ends_with(" more not shown as annotations") {
            let c = more
                .captures(&a.message)
                .unwrap_or_else(|| panic!("cap annotation: {}", a.message));
            for p in c[2].split(", ") {
                let p = part.captures(p).unwrap_or_else(|| panic!("{p}"));
                let n: u64 = p[1].parse().expect("n");
                match &p[2] {
                    w if w.starts_with("new") => s.new += n,
                    w if w.starts_with("flaky") => s.flaky += n,
                    _ => s.other += n,
                }
            }
            continue;
        }
        if FAILURE_TITLES.iter().any(|t| a.title.starts_with(t)) {
            assert_eq!(a.level, "error", "{a:?}");
            s.other += 1;
            continue;
        }
        let lower = a.title.replacen('G', "g", 1).replacen('F', "f", 1);
        let c = leaks
            .captures(&lower)
            .unwrap_or_else(|| panic!("annotation title not understood: {}", a.title));
        let n: u64 = c.get(1).map_or(1, |m| m.as_str().parse().expect("n"));
        if c.get(2).is_some() {
            assert_eq!(a.level, "warning", "{a:?}");
            s.flaky += n;
        } else {
            assert_eq!(a.level, "error", "{a:?}");
            s.new += n;
        }
        // One annotation per place and level.
        if let (Some(f), Some(l)) = (&a.file, a.line) {
            assert!(
                places.insert((a.level.clone(), f.clone(), l)),
                "two {} annotations at {f}:{l}",
                a.level
            );
        }
    }
    s
}

/// One JUnit test case, as read back.
#[derive(Debug, Default, Clone)]
struct JCase {
    classname: String,
    name: String,
    /// pass, failure, error or skipped.
    status: &'static str,
    flaky: bool,
    /// The `message` of its failure or error.
    message: String,
    system_out: String,
    file: Option<String>,
    line: Option<String>,
    time: Option<String>,
}

/// Test cases of a JUnit report, and every suite's stated counts checked
/// against the cases it holds (and the root's against the suites').
fn junit_read(xml: &str) -> Vec<JCase> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<JCase> = Vec::new();
    let attr = |e: &quick_xml::events::BytesStart<'_>, k: &[u8]| -> Option<String> {
        e.try_get_attribute(k).expect("attribute").map(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .expect("unescape")
                .into_owned()
        })
    };
    let num = |e: &quick_xml::events::BytesStart<'_>, k: &[u8]| -> usize {
        attr(e, k).map_or(0, |v| v.parse().expect("count"))
    };
    // (tests, failures, errors, skipped) stated by the root and by the
    // open suite.
    let mut root_stated = [0usize; 4];
    let mut suite_stated = [0usize; 4];
    let mut suite_first = 0usize;
    let mut in_case = false;
    let mut in_out = false;
    let tally = |cs: &[JCase]| -> [usize; 4] {
        [
            cs.len(),
            cs.iter().filter(|c| c.status == "failure").count(),
            cs.iter().filter(|c| c.status == "error").count(),
            cs.iter().filter(|c| c.status == "skipped").count(),
        ]
    };
    loop {
        let ev = reader.read_event().expect("well-formed XML");
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuites" => {
                    root_stated = [
                        num(&e, b"tests"),
                        num(&e, b"failures"),
                        num(&e, b"errors"),
                        num(&e, b"skipped"),
                    ]
                }
                b"testsuite" => {
                    suite_stated = [
                        num(&e, b"tests"),
                        num(&e, b"failures"),
                        num(&e, b"errors"),
                        num(&e, b"skipped"),
                    ];
                    suite_first = cases.len();
                }
                b"testcase" => {
                    cases.push(JCase {
                        classname: attr(&e, b"classname").expect("classname"),
                        name: attr(&e, b"name").expect("name"),
                        status: "pass",
                        file: attr(&e, b"file"),
                        line: attr(&e, b"line"),
                        time: attr(&e, b"time"),
                        ..JCase::default()
                    });
                    in_case = !empty;
                }
                b"failure" if in_case => {
                    let c = cases.last_mut().expect("case");
                    c.status = "failure";
                    c.message = attr(&e, b"message").unwrap_or_default();
                }
                b"error" if in_case => {
                    let c = cases.last_mut().expect("case");
                    c.status = "error";
                    c.message = attr(&e, b"message").unwrap_or_default();
                }
                b"skipped" if in_case => cases.last_mut().expect("case").status = "skipped",
                b"flakyFailure" | b"flakyError" if in_case => {
                    cases.last_mut().expect("case").flaky = true
                }
                b"system-out" if in_case => in_out = !empty,
                _ => {}
            },
            Event::Text(t) if in_out => {
                let text = t.decode().expect("utf-8").into_owned();
                cases.last_mut().expect("case").system_out.push_str(&text);
            }
            Event::GeneralRef(r) if in_out => {
                let name = r.decode().expect("utf-8");
                let c = match name.as_ref() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "?",
                };
                cases.last_mut().expect("case").system_out.push_str(c);
            }
            Event::End(e) => match e.name().as_ref() {
                b"testcase" => in_case = false,
                b"system-out" => in_out = false,
                b"testsuite" => {
                    assert_eq!(
                        tally(&cases[suite_first..]),
                        suite_stated,
                        "a testsuite's tests/failures/errors/skipped disagree with its cases"
                    );
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(tally(&cases), root_stated, "testsuites counts");
    cases
}

/// Test case names of package-level results.
const PACKAGE_CASES: &[&str] = &["TestMain (goleak.VerifyTestMain)", "(build)", "(package)"];

fn is_package_case(name: &str) -> bool {
    PACKAGE_CASES
        .iter()
        .any(|p| name == *p || name.starts_with(&format!("{p} (run ")))
}

/// Every count each report states of one analysis agrees with the JSON
/// report's `tally` (and `tests`, `counts`): the judged view's numbers,
/// stated the same way everywhere.
#[test]
fn every_report_states_the_views_numbers() {
    for case in CASES {
        let r = render_all(case, &[]);
        let label = case.name;
        let (tally, harness) = tally_of(&r.json);
        let c = &r.json["counts"];
        let counts = ["passed", "failed", "skipped", "packages"]
            .map(|k| c[k].as_u64().unwrap_or_else(|| panic!("counts.{k}")));
        let verdict = r.json["verdict"].as_str().expect("verdict");

        // Terminal and Markdown: the same summary, word for word.
        let (tv, tbody) = terminal_summary(&r.terminal);
        let (mv, mbody) = markdown_summary(&r.markdown);
        assert_eq!(tv, verdict, "{label}: terminal verdict");
        assert_eq!(mv, verdict, "{label}: markdown verdict");
        assert_eq!(tbody, mbody, "{label}: terminal and Markdown summaries");
        let (stated, stated_harness, stated_counts) = parse_summary(&tbody);
        assert_eq!(stated, tally, "{label}: terminal summary vs JSON tally");
        assert_eq!(stated_harness, harness, "{label}: test-harness count");
        assert_eq!(stated_counts, counts, "{label}: test counts");

        assert_eq!(sarif_counts(&r.sarif), tally, "{label}: SARIF results");
        assert_eq!(
            codequality_counts(&r.codequality),
            tally,
            "{label}: Code Quality entries"
        );
        let gh = github_counts(&r.github);
        assert_eq!(
            (gh.new, gh.flaky, gh.other),
            (tally.new, tally.flaky, tally.other),
            "{label}: GitHub annotations"
        );

        // JUnit: one case per test attempt, as the view gates it.
        let cases = junit_read(&r.junit);
        let tests = r.json["tests"].as_array().expect("tests");
        let mut gates: BTreeMap<&str, usize> = BTreeMap::new();
        for t in tests {
            *gates.entry(t["gate"].as_str().expect("gate")).or_default() += 1;
        }
        let (package_cases, test_cases): (Vec<&JCase>, Vec<&JCase>) =
            cases.iter().partition(|c| is_package_case(&c.name));
        assert_eq!(test_cases.len(), tests.len(), "{label}: JUnit test cases");
        let mut junit_gates: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &test_cases {
            let gate = match c.status {
                "failure" | "error" => "fail",
                "skipped" => "skip",
                _ if c.flaky => "flaky",
                _ if c.system_out.starts_with("allowed by") => "allowed",
                _ if c.system_out.contains("failed only because") => "child",
                _ => "pass",
            };
            *junit_gates.entry(gate).or_default() += 1;
        }
        assert_eq!(junit_gates, gates, "{label}: JUnit cases by gate");
        assert_eq!(
            gates.get("skip").copied().unwrap_or(0) as u64,
            counts[2],
            "{label}: skipped"
        );
        // Package-level cases fail exactly for the packages with a
        // package-level failure or new leak that fails the gate.
        let mut failing_packages: HashSet<&str> = HashSet::new();
        for f in r.json["failures"].as_array().expect("failures") {
            if f["test"].is_null() && f["gating"] == true {
                failing_packages.insert(f["package"].as_str().unwrap_or("(unknown package)"));
            }
        }
        for l in r.json["leaks"].as_array().expect("leaks") {
            if l["test"].is_null() && l["status"] == "new" {
                failing_packages.insert(l["package"].as_str().unwrap_or("(unknown package)"));
            }
        }
        let failing_cases: HashSet<&str> = package_cases
            .iter()
            .filter(|c| matches!(c.status, "failure" | "error"))
            .map(|c| c.classname.as_str())
            .collect();
        assert_eq!(
            failing_cases, failing_packages,
            "{label}: package-level cases"
        );
        // The headline reason counts distinct leaks, as the tally does.
        if verdict == "fail" && tally.new > 0 {
            let n = tally.new;
            let want = format!("{n} new leak{}", if n == 1 { "" } else { "s" });
            assert_eq!(r.json["reasons"][0], want.as_str(), "{label}: reasons");
        }
        assert!(
            r.json["reasons"]
                .as_array()
                .expect("reasons")
                .iter()
                .all(|x| !x.as_str().unwrap_or("").contains("leak report")),
            "{label}: reasons count leaks, not reports: {}",
            r.json["reasons"]
        );
        // A JUnit message about a leak counts that leak's goroutines in
        // that test only: the goroutines of gate-failing distinct leaks in
        // the test's own reports.
        let gating: HashSet<&str> = r.json["distinct_leaks"]
            .as_array()
            .expect("distinct_leaks")
            .iter()
            .filter(|d| d["gating"] == true)
            .filter_map(|d| d["fingerprint"].as_str())
            .collect();
        for c in cases.iter().filter(|c| c.status == "failure") {
            let stated: u64 = c
                .message
                .split("; ")
                .filter_map(|part| {
                    let (n, rest) = part.split_once(' ')?;
                    let n: u64 = n.parse().ok()?;
                    (rest.starts_with("leaked goroutine")).then_some(n)
                })
                .sum();
            let test = if is_package_case(&c.name) {
                None
            } else {
                Some(c.name.as_str())
            };
            let reports: Vec<&Value> = r.json["leaks"]
                .as_array()
                .expect("leaks")
                .iter()
                .filter(|l| l["package"].as_str() == Some(c.classname.as_str()))
                .filter(|l| l["test"].as_str() == test)
                .collect();
            if reports.is_empty() || tests.iter().filter(|t| t["test"].as_str() == test).count() > 1
            {
                // (A repeated name: the case's own reports cannot be told
                // apart by name.)
                continue;
            }
            let held: u64 = reports
                .iter()
                .flat_map(|l| l["goroutines"].as_array().expect("goroutines"))
                .filter(|g| {
                    g["fingerprint"]
                        .as_str()
                        .is_some_and(|f| gating.contains(f))
                })
                .count() as u64;
            assert_eq!(
                stated, held,
                "{label}: JUnit {} {}: {}",
                c.classname, c.name, c.message
            );
        }
        // The step outputs state the tally.
        let prepared = prepare(case);
        let out_file = prepared.dir.path().join("github_output");
        let mut args: Vec<&str> = prepared.config.iter().map(String::as_str).collect();
        args.extend([case.fixture, "--report", "github"]);
        let out = leakgate(
            &args,
            &[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_OUTPUT", out_file.to_str().expect("path")),
            ],
        );
        assert!(matches!(out.status.code(), Some(0..=2)), "{label}");
        let outputs = parse_github_output(&std::fs::read_to_string(&out_file).expect("outputs"));
        let get = |k: &str| -> u64 {
            outputs
                .iter()
                .find(|(key, _)| key == k)
                .unwrap_or_else(|| panic!("{label}: no step output {k}"))
                .1
                .parse()
                .expect("a number")
        };
        assert_eq!(
            (get("new"), get("allowed"), get("flaky")),
            (tally.new, tally.allowed, tally.flaky),
            "{label}: step outputs"
        );

        // Durations: every test with an elapsed time has one.
        for t in tests.iter().filter(|t| t["elapsed"].is_number()) {
            let name = t["test"].as_str().expect("test");
            assert!(
                test_cases
                    .iter()
                    .any(|c| c.name.starts_with(name) && c.time.is_some()),
                "{label}: {name} has no time"
            );
        }
    }
}

/// Failures other than leaks are placed at their location in every format
/// that places things: the assertion, the compile error, the line a
/// timed-out test was stuck at.
#[test]
fn every_format_places_failures_at_their_location() {
    let cases = [
        &CASES[0], // assertfail's TestAdd
        &CASES[5], // a timeout: the line the test was stuck at
        &CASES[6], // the second attempt's assertion
        &CASES[9], // a compile error
        &Case {
            name: "chatty",
            fixture: "tests/fixtures/verdict/go1.26/chatty.json",
            policy: Policy::File("tests/fixtures/verdict/policies/chatty.leakgate.yml"),
        },
    ];
    let mut placed = 0;
    for case in cases {
        let r = render_all(case, &["--max-annotations", "1000"]);
        let label = case.name;
        let gh = annotations(&r.github);
        let junit = junit_read(&r.junit);
        let mut first_of_node: HashSet<(String, String, u64)> = HashSet::new();
        for f in r.json["failures"].as_array().expect("failures") {
            if f["kind"] == "leak" || f["gating"] != true {
                continue;
            }
            let package = f["package"].as_str().unwrap_or("(unknown package)");
            let test = f["test"].as_str();
            let attempt = f["attempt"].as_u64().unwrap_or(0);
            let loc = &f["location"];
            if loc["in_repo"] != true {
                continue;
            }
            placed += 1;
            let file = loc["file"].as_str().expect("file");
            let line = loc["line"].as_u64().expect("line") as u32;
            let who = match test {
                Some(t) => format!("{package} {t}"),
                None => format!("{package} (package)"),
            };
            assert!(
                gh.iter().any(|a| a.title.contains(&format!(": {who}"))
                    && a.file.as_deref() == Some(file)
                    && a.line == Some(line)
                    && a.message
                        .starts_with(f["message"].as_str().expect("message"))),
                "{label}: no GitHub annotation for {who} at {file}:{line}"
            );
            assert!(
                r.codequality
                    .as_array()
                    .expect("array")
                    .iter()
                    .any(|i| i["check_name"]
                        .as_str()
                        .is_some_and(|c| c.ends_with("-failure"))
                        && i["location"]["path"] == file
                        && i["location"]["lines"]["begin"] == line
                        && i["description"].as_str().is_some_and(|d| d.contains(&who))),
                "{label}: no Code Quality entry for {who} at {file}:{line}"
            );
            assert!(
                r.sarif["runs"][0]["results"]
                    .as_array()
                    .expect("results")
                    .iter()
                    .any(|x| {
                        let p = &x["locations"][0]["physicalLocation"];
                        x["ruleId"] != "goroutine-leak"
                            && p["artifactLocation"]["uri"] == file
                            && p["region"]["startLine"] == line
                            && x["message"]["text"]
                                .as_str()
                                .is_some_and(|t| t.contains(&who.replace(']', "\\]")))
                    }),
                "{label}: no SARIF result for {who} at {file}:{line}"
            );
            // JUnit: the node's first gating failure places its case.
            let key = (package.to_string(), test.unwrap_or("").to_string(), attempt);
            if first_of_node.insert(key) {
                let name = match test {
                    Some(t) if attempt > 1 => format!("{t} (attempt {attempt})"),
                    Some(t) => t.to_string(),
                    None => String::new(),
                };
                assert!(
                    junit.iter().any(|c| c.classname == package
                        && (c.name == name || (test.is_none() && is_package_case(&c.name)))
                        && matches!(c.status, "failure" | "error")
                        && c.file.as_deref() == Some(file)
                        && c.line.as_deref() == Some(line.to_string().as_str())),
                    "{label}: no failing JUnit case for {who} at {file}:{line}"
                );
            }
        }
    }
    assert!(placed >= 5, "{placed} placed failures checked");
}

/// A goroutine that later goleak checks of the same binary only saw again
/// is shown once, with its reporter, and "also seen by N later checks".
#[test]
fn leaks_seen_again_are_shown_once_with_their_reporter() {
    let r = render_all(&CASES[0], &["--max-annotations", "1000"]);
    let d = r.json["distinct_leaks"]
        .as_array()
        .expect("distinct")
        .iter()
        .find(|d| {
            d["reported_by"]
                .as_array()
                .is_some_and(|v| v.iter().any(|w| w["test"] == "TestConsumerNeverClosed"))
        })
        .expect("recvnoclose's leak");
    assert_eq!(d["seen_again_by"][0]["test"], "TestInnocentBystander");
    assert_eq!(d["goroutines"], 1);
    let block: Vec<&str> = r
        .terminal
        .split("\n\n")
        .filter(|b| b.contains("recvnoclose/consumer.go:16"))
        .collect();
    assert_eq!(block.len(), 1, "one block for the leak: {block:?}");
    assert!(block[0].contains(
        "reported by example.com/leakgate/fixtures/recvnoclose TestConsumerNeverClosed\n"
    ));
    assert!(block[0].contains("also seen by 1 later check"));
    assert!(
        !block[0].contains("TestInnocentBystander"),
        "not a reporter"
    );
    assert!(r.markdown.contains("also seen by 1 later check"));
    let gh: Vec<Annotation> = annotations(&r.github)
        .into_iter()
        .filter(|a| a.file.as_deref() == Some("testdata/go/recvnoclose/consumer.go"))
        .collect();
    assert_eq!(gh.len(), 1);
    assert_eq!(gh[0].title, "Goroutine leak in TestConsumerNeverClosed");
    assert!(gh[0].message.contains("\nalso seen by 1 later check"));
    assert!(gh[0].message.starts_with("1 goroutine leaked"));
}

/// The four net/http goroutines of one unclosed httptest.Server, all
/// placed at the test's leak check, are one annotation listing them.
#[test]
fn one_annotation_per_place() {
    let r = render_all(&CASES[0], &["--max-annotations", "1000"]);
    let at: Vec<Annotation> = annotations(&r.github)
        .into_iter()
        .filter(|a| a.file.as_deref() == Some("testdata/go/httphandler/handler_test.go"))
        .collect();
    assert_eq!(at.len(), 1, "{at:?}");
    assert_eq!(at[0].title, "4 goroutine leaks in TestServerNotClosed");
    assert!(at[0]
        .message
        .starts_with("4 distinct goroutine leaks are placed at this line:\n\n1. "));
    assert!(at[0].message.contains("\n\n4. "));
    assert!(at[0].message.ends_with(
        "(the goroutines were started outside the repository; placed at the leak check)"
    ));
    // SARIF keeps one result per distinct leak.
    let at_check = r.sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|x| {
            x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "testdata/go/httphandler/handler_test.go"
        })
        .count();
    assert_eq!(at_check, 4);
}

#[test]
fn junit_gates_allowed_child_and_attempts() {
    // Allowed leaks pass and name their rules; a package-level allowed
    // leak is its own passing case.
    let r = render_all(&CASES[4], &[]);
    let cases = junit_read(&r.junit);
    let find = |p: &str, n: &str| -> JCase {
        cases
            .iter()
            .find(|c| c.classname.ends_with(p) && c.name == n)
            .unwrap_or_else(|| panic!("no case {p} {n}"))
            .clone()
    };
    let c = find("/ctxworker", "TestLabeledWorker");
    assert_eq!(c.status, "pass");
    assert!(
        c.system_out
            .starts_with("allowed by .leakgate.yml rule worker: "),
        "{}",
        c.system_out
    );
    let c = find("/testmain", "TestMain (goleak.VerifyTestMain)");
    assert_eq!(c.status, "pass", "{c:?}");
    assert!(c
        .system_out
        .starts_with("allowed by .leakgate.yml rule janitor"));
    // The expired rule's leak is new again.
    assert_eq!(find("/selectleak", "TestMuxNeverStopped").status, "failure");
    // Passing tests are listed with their durations.
    let c = find("/clean", "TestUpperAll");
    assert_eq!((c.status, c.time.is_some()), ("pass", true));

    // A parent that failed only because of a subtest passes and names it.
    let r = render_all(&CASES[0], &[]);
    let cases = junit_read(&r.junit);
    let parent = cases
        .iter()
        .find(|c| c.name == "TestParallelGroup")
        .expect("parent");
    assert_eq!(parent.status, "pass");
    assert!(parent
        .system_out
        .contains("failed only because subtests failed: TestParallelGroup/leaks/fast_path (fail)"));

    // -count=2: two attempts of one test, each its own case.
    let r = render_all(&CASES[6], &[]);
    let cases = junit_read(&r.junit);
    let names: Vec<&str> = cases
        .iter()
        .filter(|c| c.name.starts_with("TestTwice"))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["TestTwice", "TestTwice (attempt 2)"]);
}

fn require_validators() -> bool {
    std::env::var("LEAKGATE_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1")
}

fn tool_missing(what: &str) {
    assert!(
        !require_validators(),
        "{what} is required (LEAKGATE_REQUIRE_VALIDATORS=1) but not available"
    );
    eprintln!("SKIPPED schema validation: {what} not available; structural checks only");
}

/// The Jenkins schema with two attributes it does not declare (and it
/// allows no others): `file` and `line` on `<testcase>`, which GitLab and
/// the JUnit report actions read, and `skipped` on `<testsuites>`, which
/// quick-junit writes (as cargo-nextest's JUnit has it; Jenkins ignores it).
fn junit_schema(dir: &Path) -> PathBuf {
    let xsd =
        std::fs::read_to_string(Path::new(ROOT).join("tests/schemas/junit-10.xsd")).expect("xsd");
    let suites = r#"<xs:attribute name="errors" type="xs:string" />
        </xs:complexType>
    </xs:element>

</xs:schema>"#;
    assert_eq!(xsd.matches(suites).count(), 1, "junit-10.xsd changed shape");
    let xsd = xsd.replace(
        suites,
        &suites.replacen(
            "/>",
            "/>\n            <xs:attribute name=\"skipped\" type=\"xs:string\" />",
            1,
        ),
    );
    let anchor = r#"<xs:attribute name="classname" type="xs:string"/>"#;
    assert_eq!(xsd.matches(anchor).count(), 1, "junit-10.xsd changed shape");
    let extended = xsd.replace(
        anchor,
        &format!(
            "{anchor}\n            <xs:attribute name=\"file\" type=\"xs:string\"/>\n            <xs:attribute name=\"line\" type=\"xs:positiveInteger\"/>"
        ),
    );
    let path = dir.join("junit-10-file-line.xsd");
    std::fs::write(&path, extended).expect("write xsd");
    path
}

fn xmllint_validate(xml: &str, dir: &Path, label: &str) {
    if Command::new("xmllint").arg("--version").output().is_err() {
        tool_missing("xmllint (apt-get install libxml2-utils)");
        return;
    }
    let schema = junit_schema(dir);
    let file = dir.join(format!("{label}.xml"));
    std::fs::write(&file, xml).expect("write xml");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint");
    assert!(
        out.status.success(),
        "{label}: JUnit does not validate against junit-10.xsd:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sarif_validate(sarif: &str, dir: &Path, label: &str) {
    let probe = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        tool_missing("python3 with jsonschema (pip install jsonschema)");
        return;
    }
    let file = dir.join(format!("{label}.sarif"));
    std::fs::write(&file, sarif).expect("write sarif");
    let script = "import json, sys, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  doc = json.load(open(sys.argv[2]))\n\
                  cls = jsonschema.validators.validator_for(schema)\n\
                  errors = sorted(cls(schema).iter_errors(doc), key=str)\n\
                  [print(e.message, list(e.path)) for e in errors]\n\
                  sys.exit(1 if errors else 0)\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(Path::new(ROOT).join("tests/schemas/sarif-schema-2.1.0.json"))
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{label}: SARIF does not validate against the 2.1.0 schema:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Test cases of a JUnit report as (classname, name, file, line), read
/// with quick-xml (attribute values unescaped).
fn junit_cases(xml: &str) -> Vec<(String, String, Option<String>, Option<String>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let get = |k: &[u8]| {
                    e.try_get_attribute(k).expect("attribute").map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("unescape")
                            .into_owned()
                    })
                };
                let classname = get(b"classname").expect("classname");
                let name = get(b"name").expect("name");
                let file = get(b"file");
                let line = get(b"line");
                cases.push((classname, name, file, line));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

#[test]
fn junit_validates_and_names_every_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, fixture) in FIXTURES {
        let xml = report(fixture, "junit", &[]);
        xmllint_validate(&xml, dir.path(), name);
        let cases = junit_cases(&xml);
        assert!(!cases.is_empty(), "{name}: no test case");
        let mut seen = HashSet::new();
        for (classname, test, file, line) in &cases {
            assert!(!classname.is_empty(), "{name}: empty classname for {test}");
            assert!(!test.is_empty(), "{name}: empty name");
            assert!(
                seen.insert((classname.clone(), test.clone())),
                "{name}: duplicate {classname} {test}"
            );
            if let Some(f) = file {
                assert!(
                    !f.starts_with('/'),
                    "{name}: file {f} is not repository-relative"
                );
                assert!(line
                    .as_deref()
                    .is_some_and(|l| l.parse::<u32>().is_ok_and(|l| l > 0)));
            }
        }
    }
    // A package-level leak is a named test case in its package.
    let xml = report("tests/fixtures/go1.26-goleak1.3.0/all.json", "junit", &[]);
    assert!(junit_cases(&xml).iter().any(|(c, n, f, l)| c
        == "example.com/leakgate/fixtures/testmain"
        && n == "TestMain (goleak.VerifyTestMain)"
        && f.as_deref() == Some("testdata/go/testmain/janitor.go")
        && l.as_deref() == Some("17")));
}

#[test]
fn sarif_validates_with_one_result_per_distinct_leak() {
    let other_failures = |json: &Value| -> usize {
        json["failures"]
            .as_array()
            .expect("failures")
            .iter()
            .filter(|f| f["kind"] != "leak" && f["gating"] == true)
            .count()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, fixture) in FIXTURES {
        let sarif = report(fixture, "sarif", &[]);
        sarif_validate(&sarif, dir.path(), name);
        let doc: Value = serde_json::from_str(&sarif).expect("json");
        let json: Value = serde_json::from_str(&report(fixture, "json", &[])).expect("json");
        let distinct: Vec<&serde_json::Value> = json["distinct_leaks"]
            .as_array()
            .expect("distinct_leaks")
            .iter()
            .filter(|d| d["test_harness"] == false)
            .collect();
        let all = doc["runs"][0]["results"].as_array().expect("results");
        let (results, failures): (Vec<&Value>, Vec<&Value>) = all.iter().partition(|r| {
            r["ruleId"]
                .as_str()
                .is_some_and(|id| id.ends_with("goroutine-leak"))
        });
        assert_eq!(results.len(), distinct.len(), "{name}");
        assert_eq!(
            failures.len(),
            other_failures(&json),
            "{name}: one result per other failure"
        );
        let rules: HashSet<&str> = doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| r["id"].as_str().expect("id"))
            .collect();
        for r in results {
            assert!(rules.contains(r["ruleId"].as_str().expect("ruleId")));
            let fp = r["partialFingerprints"]["leakgate/v1"]
                .as_str()
                .expect("fingerprint");
            assert!(distinct.iter().any(|d| d["fingerprint"] == fp));
            if let Some(uri) =
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str()
            {
                assert!(!uri.starts_with('/'), "{name}: {uri}");
            }
        }
        for r in failures {
            assert!(rules.contains(r["ruleId"].as_str().expect("ruleId")));
            assert_eq!(r["level"], "error");
            if let Some(uri) =
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str()
            {
                assert!(!uri.starts_with('/'), "{name}: {uri}");
            }
        }
    }
}

#[test]
fn codequality_is_a_bom_free_array_with_required_fields() {
    for (name, fixture) in FIXTURES {
        let text = report(fixture, "codequality", &[]);
        assert!(
            text.starts_with('['),
            "{name}: must start with the array (no BOM)"
        );
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        let mut fingerprints = HashSet::new();
        for issue in doc.as_array().expect("array") {
            for k in ["description", "check_name", "fingerprint", "severity"] {
                assert!(
                    issue[k].as_str().is_some_and(|s| !s.is_empty()),
                    "{name}: {k}"
                );
            }
            assert!(["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().expect("s")));
            let path = issue["location"]["path"].as_str().expect("path");
            assert!(!path.starts_with('/'), "{name}: {path}");
            assert!(issue["location"]["lines"]["begin"]
                .as_u64()
                .is_some_and(|l| l >= 1));
            assert!(fingerprints.insert(issue["fingerprint"].as_str().expect("fp").to_string()));
        }
    }
    // Stable across runs and machines: the same leak from another Go and
    // goleak version has the same fingerprint.
    let a = report(
        "tests/fixtures/go1.26-goleak1.3.0/all.json",
        "codequality",
        &[],
    );
    let b = report(
        "tests/fixtures/go1.27-goleak1.2.1/all.json",
        "codequality",
        &[],
    );
    let fps = |t: &str| -> HashSet<String> {
        let v: serde_json::Value = serde_json::from_str(t).expect("json");
        v.as_array()
            .expect("array")
            .iter()
            .map(|i| i["fingerprint"].as_str().expect("fp").to_string())
            .collect()
    };
    let (fa, fb) = (fps(&a), fps(&b));
    assert!(
        fa.intersection(&fb).count() >= fa.len().min(fb.len()) / 2,
        "fingerprints should mostly agree"
    );
}

#[test]
fn hostile_github_annotations_stay_single_commands() {
    let text = report("tests/fixtures/hostile/hostile.json", "github", &[]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for line in &lines {
        assert!(line.starts_with("::error "), "{line}");
        // Properties end at the first `::`; no property value holds one.
        let (props, data) = line["::error ".len()..].split_once("::").expect("command");
        for p in props.split(',') {
            let (k, v) = p.split_once('=').expect("key=value");
            assert!(["file", "line", "title"].contains(&k), "{k}");
            assert!(!v.contains(':') && !v.contains('\n'), "{v}");
        }
        assert!(!data.contains('\n') && !data.contains('\r'));
    }
    let (props, data) = lines[0]["::error ".len()..]
        .split_once("::")
        .expect("command");
    assert!(props.starts_with("file=testdata/go/hostile/hostile.go,line=12,title="));
    let title = gh_unescape(&props[props.find("title=").expect("title") + 6..]);
    assert_eq!(title, format!("Goroutine leak in {HOSTILE_TEST}"));
    assert!(gh_unescape(data).contains(&format!(
        "reported by example.com/leakgate/fixtures/hostile {HOSTILE_TEST}"
    )));
    // The literal %0A of the name survives as text, not as a line break.
    assert!(data.contains("pwned_%250A_"));
}

#[test]
fn hostile_terminal_is_guarded_in_actions_and_sectioned_in_gitlab() {
    let run = || {
        let out = leakgate(
            &["tests/fixtures/hostile/hostile.json"],
            &[("GITHUB_ACTIONS", "true")],
        );
        String::from_utf8(out.stderr).expect("utf-8")
    };
    let (first, second) = (run(), run());
    let token = |t: &str| -> String {
        let l = t.lines().next().expect("line");
        l.strip_prefix("::stop-commands::")
            .expect("guard first")
            .to_string()
    };
    let tok = token(&first);
    assert_eq!(tok.len(), 32);
    assert!(tok.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(tok, token(&second), "the token must be fresh per run");
    let lines: Vec<&str> = first.lines().collect();
    let end = lines
        .iter()
        .position(|l| *l == format!("::{tok}::"))
        .expect("guard end");
    // Everything echoed from the tests sits inside the guard.
    for (i, l) in lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 0 && *i != end)
    {
        if l.contains("##[") || l.trim_start().starts_with("::") || l.contains("<script>") {
            assert!(i > 0 && i < end, "unguarded line {i}: {l}");
        }
    }
    assert!(first.contains("::error::indented continuation line"));

    let out = leakgate(
        &["tests/fixtures/hostile/hostile.json"],
        &[("GITLAB_CI", "true")],
    );
    let text = String::from_utf8(out.stderr).expect("utf-8");
    let starts = text.matches("\x1b[0Ksection_start:").count();
    let ends = text.matches("\x1b[0Ksection_end:").count();
    assert!(
        starts >= 1 && starts == ends,
        "{starts} starts, {ends} ends"
    );
    // The test's own `section_start:` text is broken up and opens nothing.
    assert!(!text.contains("section_start:1700000000:evil"));
    assert!(text.contains("section\u{2060}_start:1700000000:evil"));
}

#[test]
fn hostile_markdown_is_inert() {
    let md = report("tests/fixtures/hostile/hostile.json", "markdown", LINK_ENV);
    assert!(!md.contains("<script"), "{md}");
    assert!(!md.contains("<!--"));
    assert!(!md.contains('`'), "backticks must be entities: {md}");
    assert!(!md.contains("]]>"));
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(
            line.matches('|').count(),
            7,
            "a cell broke the table: {line}"
        );
    }
    // Only our own tags: details, summary, pre, br, sub.
    let mut rest = md.as_str();
    while let Some(i) = rest.find('<') {
        let tag: String = rest[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '/')
            .collect();
        assert!(
            ["details", "/details", "summary", "/summary", "pre", "/pre", "br", "sub", "/sub"]
                .contains(&tag.as_str()),
            "unexpected tag <{tag} in markdown"
        );
        rest = &rest[i + 1..];
    }
    assert!(md.contains(
        "[testdata/go/hostile/hostile.go&#58;12](https://github.com/leakgate/leakgate/blob/0123456789abcdef0123456789abcdef01234567/testdata/go/hostile/hostile.go#L12)"
    ));
    assert!(md.contains(
        "&#60;script&#62;alert&#40;1&#41;&#60;/script&#62;&#124;&#96;x&#96;&#93;&#93;&#62;"
    ));
}

#[test]
fn hostile_junit_codequality_sarif_keep_the_name_verbatim() {
    let xml = report("tests/fixtures/hostile/hostile.json", "junit", &[]);
    assert!(junit_cases(&xml)
        .iter()
        .any(|(_, n, _, _)| n == HOSTILE_TEST));
    assert!(!xml.contains("<script>") && !xml.contains("]]>"), "{xml}");

    let cq: serde_json::Value = serde_json::from_str(&report(
        "tests/fixtures/hostile/hostile.json",
        "codequality",
        &[],
    ))
    .expect("json");
    assert!(cq[0]["description"]
        .as_str()
        .expect("d")
        .ends_with(HOSTILE_TEST));

    let sarif: serde_json::Value =
        serde_json::from_str(&report("tests/fixtures/hostile/hostile.json", "sarif", &[]))
            .expect("json");
    let msg = sarif["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .expect("text");
    // Brackets are escaped: the name cannot form a SARIF embedded link.
    assert!(msg.contains(&HOSTILE_TEST.replace(']', "\\]")), "{msg}");
}

#[test]
fn annotations_are_capped_per_level_with_a_last_word() {
    let text = report("tests/fixtures/go1.26-goleak1.3.0/all.json", "github", &[]);
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(errors.len(), 10);
    assert!(
        errors[9].starts_with("::error title=")
            && errors[9].contains("more not shown as annotations")
    );
    let out = leakgate(
        &[
            "tests/fixtures/go1.26-goleak1.3.0/all.json",
            "--report",
            "github",
            "--max-annotations",
            "3",
        ],
        &[],
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 3);
    // Most important first: the 50-worker leak leads.
    assert!(text
        .lines()
        .next()
        .is_some_and(|l| l.contains("fiftyworkers/pool.go,line=15")));
}

/// Parses `$GITHUB_OUTPUT` (`k=v` and `k<<DELIM` … `DELIM`).
pub fn parse_github_output(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((k, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.push((k.to_string(), value.join("\n")));
        } else if let Some((k, v)) = line.split_once('=') {
            out.push((k.to_string(), v.to_string()));
        }
    }
    out
}

#[test]
fn actions_defaults_write_outputs_summary_and_annotations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("output");
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier content\n").expect("write");
    let json = dir.path().join("report.json");
    let json_arg = format!("json={}", json.display());
    let out = leakgate(
        &["tests/fixtures/hostile/hostile.json", "--report", &json_arg],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", output.to_str().expect("utf-8")),
            ("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8")),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        stdout.starts_with("::error file=testdata/go/hostile/hostile.go,line=12,"),
        "{stdout}"
    );
    let outputs = parse_github_output(&std::fs::read_to_string(&output).expect("outputs"));
    let get = |k: &str| {
        outputs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("verdict"), Some("fail"));
    assert_eq!(get("new"), Some("1"));
    assert_eq!(get("allowed"), Some("0"));
    assert_eq!(get("flaky"), Some("0"));
    assert_eq!(get("report"), json.to_str());
    let delimiters: HashSet<&str> = std::fs::read_to_string(&output)
        .expect("outputs")
        .lines()
        .filter_map(|l| l.split_once("<<").map(|(_, d)| d.to_string()))
        .map(|d| &*Box::leak(d.into_boxed_str()))
        .collect();
    assert!(
        delimiters.iter().all(|d| d.len() > 30),
        "delimiters must be random: {delimiters:?}"
    );
    let md = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        md.starts_with("earlier content\n## ❌ leakgate: fail"),
        "the summary is appended: {md}"
    );
    assert!(std::fs::read_to_string(&json)
        .expect("json")
        .contains("\"verdict\": \"fail\""));
}

#[test]
fn markdown_stays_under_its_budget_with_a_visible_note() {
    use leakgate::ingest::FormatChoice;
    use leakgate::paths::Repo;
    use leakgate::policy::Policy;
    use leakgate::report::{markdown, Context, Style};
    let file =
        std::fs::File::open(Path::new(ROOT).join("tests/fixtures/go1.26-goleak1.3.0/all.json"))
            .expect("fixture");
    let repo = Repo::discover(Path::new(ROOT));
    let a = leakgate::analyze_readers(
        vec![("all.json".to_string(), file)],
        FormatChoice::Auto,
        &repo,
        &Policy::default(),
    )
    .expect("analysis");
    let ctx = Context {
        json_report: Some("leakgate-report.json".to_string()),
        ..Context::default()
    };
    let budget = 12_000;
    let mut out = Vec::new();
    markdown::write_limited(&a, Style::default(), &ctx, budget, &mut out).expect("write");
    let md = String::from_utf8(out).expect("utf-8");
    assert!(md.len() <= budget, "{} bytes", md.len());
    assert!(
        md.contains("**Truncated:**")
            && md.contains("left out to keep this summary under GitHub's 1 MiB limit")
    );
    assert!(md.contains("leakgate&#45;report.json"));
    // The most important leaks are the ones kept.
    assert!(md.contains("fiftyworkers/pool.go&#58;15"));
}
