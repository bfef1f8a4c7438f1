//! What failed, in words: every failure of the assertion-library captures
//! (`tests/fixtures/assertlibs/`, real runs of testify, Gomega, quicktest,
//! go-cmp, panics, `log.Fatal` and a timeout; see
//! `scripts/regen-assert-fixtures.sh`) has its headline and location, the
//! same in the JSON report, the terminal, JUnit, GitHub annotations,
//! Markdown, SARIF and Code Quality, in every input format.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{annotations, leakgate, root};

/// What a failure's message must be.
#[derive(Clone, Copy)]
enum Says {
    /// Exactly this.
    Is(&'static str),
    /// This, in a longer message (a `log` line's timestamp, a test that
    /// never finished).
    Has(&'static str),
}

impl Says {
    fn matches(self, message: &str) -> bool {
        match self {
            Says::Is(s) => message == s,
            Says::Has(s) => message.contains(s),
        }
    }
    fn text(self) -> &'static str {
        match self {
            Says::Is(s) | Says::Has(s) => s,
        }
    }
}

/// One failure a capture must show.
struct Want {
    case: &'static str,
    test: &'static str,
    says: Says,
    /// `file:line` under `testdata/assertlibs/`, when it is known.
    at: Option<(&'static str, u32)>,
    /// Input formats where the output does not hold what the headline
    /// needs (file suffixes).
    not_in: &'static [&'static str],
}

const fn want(
    case: &'static str,
    test: &'static str,
    says: Says,
    at: Option<(&'static str, u32)>,
) -> Want {
    Want {
        case,
        test,
        says,
        at,
        not_in: &[],
    }
}

const WANTS: &[Want] = &[
    want(
        "testify",
        "TestAssertTrue",
        Says::Is("Should be true: statsd reporter should support tagging"),
        Some(("testify/testify_test.go", 15)),
    ),
    want(
        "testify",
        "TestRequireNoError",
        Says::Is(
            "Received unexpected error: dial tcp 127.0.0.1:8125: connect: connection refused: connecting to statsd",
        ),
        Some(("testify/testify_test.go", 21)),
    ),
    want(
        "testify",
        "TestNotEqual",
        Says::Is("Not equal: expected: 1, actual: 2"),
        Some(("testify/testify_test.go", 26)),
    ),
    want(
        "testify",
        "TestNotEqualStructs",
        Says::Is(
            "Not equal: expected: testify.point{X:1, Y:2}, actual: testify.point{X:1, Y:3}: moved point",
        ),
        Some(("testify/testify_test.go", 32)),
    ),
    // Logs through a helper first, like go.uber.org/fx's tests.
    want(
        "testify",
        "TestChattyRequire",
        Says::Is("\"[a]\" should have 2 item(s), but has 1: two hooks should have run"),
        Some(("testify/testify_test.go", 39)),
    ),
    want(
        "plain",
        "TestErrorf",
        Says::Is("status = 500, want 200"),
        Some(("plain/plain_test.go", 15)),
    ),
    want(
        "plain",
        "TestFatal",
        Says::Is("config file not found: /etc/app.yaml"),
        Some(("plain/plain_test.go", 20)),
    ),
    want(
        "plain",
        "TestMultiline",
        Says::Is("request failed"),
        Some(("plain/plain_test.go", 25)),
    ),
    want(
        "plain",
        "TestCmpDiff",
        Says::Is("Names() mismatch (-want +got):"),
        Some(("plain/plain_test.go", 33)),
    ),
    want(
        "gomega",
        "TestEqual",
        Says::Is("Expected <int>: 1 to equal <int>: 2"),
        Some(("gomega/gomega_test.go", 15)),
    ),
    want(
        "gomega",
        "TestHaveLen",
        Says::Is(
            "two hooks should have run: Expected <[]string | len:1, cap:1>: [\"a\"] to have length 2",
        ),
        Some(("gomega/gomega_test.go", 21)),
    ),
    want(
        "quicktest",
        "TestAssertEquals",
        Says::Is("values are not equal"),
        Some(("quicktest/quicktest_test.go", 15)),
    ),
    want(
        "quicktest",
        "TestCheckComment",
        Says::Is("values are not equal: name of user 42"),
        Some(("quicktest/quicktest_test.go", 21)),
    ),
    want(
        "panic",
        "TestPanicValue",
        Says::Is("panic: unreachable state: 3"),
        Some(("panics/panics_test.go", 14)),
    ),
    want(
        "nilpanic",
        "TestNilDeref",
        Says::Is("panic: runtime error: invalid memory address or nil pointer dereference"),
        Some(("nilpanic/nilpanic_test.go", 17)),
    ),
    // Located at the test's last message (`log` lines carry no file).
    Want {
        case: "logfatal",
        test: "TestLogFatal",
        says: Says::Has("open db: no such file or directory"),
        at: Some(("logfatal/logfatal_test.go", 13)),
        // gotestsum's JUnit shows the test that never ended as failed,
        // its `t.Logf` line and then the `log` line: a `log` line after a
        // message does not head a failed test (code under test logs after
        // assertions), so its last message does.
        not_in: &[".gotestsum.xml"],
    },
    // A package-level failure: the test binary exited before any test.
    want(
        "logfatalmain",
        "",
        Says::Has("setup: DATABASE_URL is not set"),
        None,
    ),
    want(
        "timeout",
        "TestBlocks",
        Says::Has("timed out after 2s; running: TestBlocks"),
        Some(("timeout/timeout_test.go", 17)),
    ),
];

const TOOLCHAINS: &[&str] = &["go1.26", "go1.27"];
const FORMATS: &[&str] = &[
    ".json",
    ".txt",
    ".gotestsum.xml",
    ".gojunit.xml",
    ".gojunit-text.xml",
];

/// Every report of one input.
struct Reports {
    json: Value,
    terminal: String,
    junit: String,
    github: String,
    markdown: String,
    sarif: Value,
    codequality: Value,
}

fn reports(input: &Path, dir: &Path) -> Reports {
    let root = root();
    let mut c = leakgate();
    c.current_dir(&root)
        .args(["check", "--color", "never", "--max-annotations", "1000"])
        .arg("--root")
        .arg(&root)
        .arg(input);
    let files = [
        ("json", "report.json"),
        ("terminal", "terminal.txt"),
        ("junit", "junit.xml"),
        ("github", "github.txt"),
        ("markdown", "summary.md"),
        ("sarif", "report.sarif"),
        ("codequality", "codequality.json"),
    ];
    for (kind, file) in files {
        c.arg("--report")
            .arg(format!("{kind}={}", dir.join(file).display()));
    }
    let out = run(c);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}: {}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("report written");
    let json = |f: &str| -> Value { serde_json::from_str(&read(f)).expect("JSON") };
    Reports {
        json: json("report.json"),
        terminal: read("terminal.txt"),
        junit: read("junit.xml"),
        github: read("github.txt"),
        markdown: read("summary.md"),
        sarif: json("report.sarif"),
        codequality: json("codequality.json"),
    }
}

fn run(mut c: Command) -> std::process::Output {
    c.output().expect("run leakgate")
}

/// The Markdown report's character references, undone.
fn html_unescape(s: &str) -> String {
    let re = regex::Regex::new(r"&#(\d+);").expect("re");
    let s = re.replace_all(s, |c: &regex::Captures<'_>| {
        let n: u32 = c[1].parse().expect("number");
        char::from_u32(n).expect("char").to_string()
    });
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The `message` attribute of every JUnit `<failure>` and `<error>`.
fn junit_messages(xml: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e)
                if matches!(e.name().as_ref(), b"failure" | b"error") =>
            {
                if let Some(a) = e.try_get_attribute(b"message").expect("attribute") {
                    out.push(
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("unescape")
                            .into_owned(),
                    );
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn every_failure_says_what_failed_and_where_in_every_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    for tc in TOOLCHAINS {
        for case in [
            "testify",
            "plain",
            "gomega",
            "quicktest",
            "panic",
            "nilpanic",
            "logfatal",
            "logfatalmain",
            "timeout",
        ] {
            for fmt in FORMATS {
                let wants: Vec<&Want> = WANTS
                    .iter()
                    .filter(|w| w.case == case && !w.not_in.contains(fmt))
                    .collect();
                if wants.is_empty() {
                    continue;
                }
                let rel = format!("assertlibs/{tc}/{case}{fmt}");
                let r = reports(&crate::common::fixture(&rel), dir.path());
                let failures = r.json["failures"].as_array().expect("failures");
                for w in wants {
                    let label = format!("{rel}: {} {}", w.test, w.says.text());
                    // The test's own failure (the package's for "").
                    let f = failures
                        .iter()
                        .filter(|f| f["kind"] != "leak" && f["gating"] == true)
                        .find(|f| {
                            let message = f["message"].as_str().unwrap_or("");
                            let test = f["test"].as_str().unwrap_or("");
                            w.says.matches(message) && test == w.test
                        })
                        .unwrap_or_else(|| {
                            panic!(
                                "{label}: no such failure; the failures: {:#}",
                                Value::Array(failures.clone())
                            )
                        });
                    let message = f["message"].as_str().expect("message");
                    let loc = &f["location"];
                    let at =
                        w.at.map(|(file, line)| (format!("testdata/assertlibs/{file}"), line));
                    match &at {
                        Some((file, line)) => {
                            assert_eq!(loc["file"], file.as_str(), "{label}: location {loc}");
                            assert_eq!(loc["line"], *line, "{label}: location {loc}");
                            assert_eq!(loc["in_repo"], true, "{label}: location {loc}");
                        }
                        None => assert!(loc.is_null(), "{label}: location {loc}"),
                    }
                    let package = f["package"].as_str().expect("package");
                    let who = match f["test"].as_str() {
                        Some(t) => format!("{package} {t}"),
                        None => format!("{package} (package)"),
                    };
                    // Terminal: `FAIL <who> [kind]: <message>`, then `at file:line`.
                    let mut lines = r.terminal.lines();
                    assert!(
                        lines.any(|l| l.contains(&who) && l.ends_with(&format!(": {message}"))),
                        "{label}: terminal:\n{}",
                        r.terminal
                    );
                    if let Some((file, line)) = &at {
                        assert!(
                            lines
                                .next()
                                .is_some_and(|l| l.trim() == format!("at {file}:{line}")),
                            "{label}: terminal location:\n{}",
                            r.terminal
                        );
                    }
                    // JUnit's message attribute.
                    let junit = junit_messages(&r.junit);
                    assert!(
                        junit.iter().any(|m| m.contains(message)),
                        "{label}: JUnit messages {junit:?}"
                    );
                    // The annotation: placed, titled with the test and
                    // the headline, the message as its body.
                    let gh = annotations(&r.github);
                    assert!(
                        gh.iter().any(|a| {
                            a.level == "error"
                                && a.message.starts_with(message)
                                && a.title.contains(&who)
                                && a.title
                                    .contains(&message.chars().take(40).collect::<String>())
                                && at.as_ref().is_none_or(|(file, line)| {
                                    a.file.as_deref() == Some(file.as_str())
                                        && a.line == Some(*line)
                                })
                        }),
                        "{label}: annotations {gh:?}"
                    );
                    // Markdown: `<summary><who> [kind]: <message> at <file:line></summary>`.
                    let md = html_unescape(&r.markdown);
                    let end = match &at {
                        Some((file, line)) => format!(": {message} at {file}:{line}</summary>"),
                        None => format!(": {message}</summary>"),
                    };
                    assert!(
                        md.lines()
                            .any(|l| l.starts_with(&format!("<details><summary>{who} ["))
                                && l.ends_with(&end)),
                        "{label}: Markdown:\n{md}"
                    );
                    // SARIF and Code Quality: `…<who>: <message>`, placed.
                    // (SARIF escapes `\`, `[` and `]`: they make links.)
                    let said = format!("{who}: {message}")
                        .replace('\\', "\\\\")
                        .replace('[', "\\[")
                        .replace(']', "\\]");
                    assert!(
                        r.sarif["runs"][0]["results"]
                            .as_array()
                            .expect("results")
                            .iter()
                            .any(|x| {
                                let p = &x["locations"][0]["physicalLocation"];
                                x["message"]["text"]
                                    .as_str()
                                    .is_some_and(|t| t.ends_with(&said))
                                    && at.as_ref().is_none_or(|(file, line)| {
                                        p["artifactLocation"]["uri"] == file.as_str()
                                            && p["region"]["startLine"] == *line
                                    })
                            }),
                        "{label}: SARIF {:#}",
                        r.sarif["runs"][0]["results"]
                    );
                    assert!(
                        r.codequality.as_array().expect("array").iter().any(|i| {
                            i["description"]
                                .as_str()
                                .is_some_and(|d| d.ends_with(&format!("{who}: {message}")))
                                && at.as_ref().is_none_or(|(file, line)| {
                                    i["location"]["path"] == file.as_str()
                                        && i["location"]["lines"]["begin"] == *line
                                })
                        }),
                        "{label}: Code Quality {:#}",
                        r.codequality
                    );
                    checked += 1;
                }
            }
        }
    }
    let skipped: usize = WANTS.iter().map(|w| w.not_in.len()).sum();
    assert_eq!(
        checked,
        (WANTS.len() * FORMATS.len() - skipped) * TOOLCHAINS.len()
    );
}

/// No failure of any capture goes without words: every `message` of the
/// JSON report says something, on one line.
#[test]
fn no_failure_of_any_capture_has_an_empty_headline() {
    let mut inputs = Vec::new();
    for dir in [
        "assertlibs/go1.26",
        "assertlibs/go1.27",
        "verdict/go1.26",
        "verdict/go1.27",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(crate::common::fixture(dir))
            .expect("fixture directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                [".json", ".txt", ".gotestsum.xml", ".gojunit.xml"]
                    .iter()
                    .any(|s| name.ends_with(s))
                    && !name.ends_with(".plain.txt")
            })
            .collect();
        files.sort();
        inputs.extend(files);
    }
    for combo in crate::common::COMBOS {
        for f in ["all.json", "all.txt", "hangs.json", "all.gotestsum.xml"] {
            inputs.push(crate::common::fixture(&format!("{combo}/{f}")));
        }
    }
    let mut seen = 0;
    for input in &inputs {
        let r = crate::common::check(&[input], &[]);
        let json = r.json();
        for f in json["failures"].as_array().expect("failures") {
            if f["kind"] == "leak" {
                continue;
            }
            let m = f["message"].as_str().expect("message");
            assert!(
                !m.trim().is_empty() && !m.contains('\n'),
                "{}: {} {}: message {m:?}",
                input.display(),
                f["package"],
                f["test"]
            );
            seen += 1;
        }
    }
    assert!(seen > 300, "{seen} failures seen");
}
