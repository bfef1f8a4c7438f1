//! Every report format on real captured Go output: golden snapshots,
//! schema validation (JUnit against the Jenkins `junit-10.xsd`, SARIF
//! against the SARIF 2.1.0 schema), and hostile test names and output
//! (`tests/fixtures/hostile`) checked in each format.
//!
//! Snapshots live in `tests/snapshots/`; `UPDATE_SNAPSHOTS=1 cargo test
//! --test reports` rewrites them. The schema checks use `xmllint`
//! (libxml2-utils) and Python's `jsonschema`; without them they say so on
//! stderr and only the structural checks run, unless
//! `LEAKGATE_REQUIRE_VALIDATORS=1` makes a missing validator a failure.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_leakgate");

/// Captured fixtures the snapshots cover (relative to the repository).
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
];

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
        .args(args);
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

fn check_snapshot(name: &str, actual: &str) {
    let path = Path::new(ROOT).join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "snapshot {} differs at line {}:\n  expected: {:?}\n  actual:   {:?}\n(UPDATE_SNAPSHOTS=1 rewrites it)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn snapshots_of_every_report() {
    for (name, fixture) in FIXTURES {
        for (kind, ext) in KINDS {
            let env = if *kind == "markdown" { LINK_ENV } else { &[] };
            let text = report(fixture, kind, env);
            check_snapshot(&format!("{name}.{kind}.{ext}"), &text);
        }
    }
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
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, fixture) in FIXTURES {
        let sarif = report(fixture, "sarif", &[]);
        sarif_validate(&sarif, dir.path(), name);
        let doc: serde_json::Value = serde_json::from_str(&sarif).expect("json");
        let json: serde_json::Value =
            serde_json::from_str(&report(fixture, "json", &[])).expect("json");
        let distinct: Vec<&serde_json::Value> = json["distinct_leaks"]
            .as_array()
            .expect("distinct_leaks")
            .iter()
            .filter(|d| d["test_harness"] == false)
            .collect();
        let results = doc["runs"][0]["results"].as_array().expect("results");
        assert_eq!(results.len(), distinct.len(), "{name}");
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

/// The runner's unescaping of a workflow command's data or property.
fn gh_unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
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
