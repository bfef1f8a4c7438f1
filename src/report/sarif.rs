//! SARIF 2.1.0 for code scanning (GitHub `upload-sarif`, GitLab, IDEs).
//!
//! One run; one rule per kind of finding ([`RULES`]); one result per
//! distinct leak at its place ([`super::leak_place`], a
//! repository-relative URI against `%SRCROOT%`), with
//! `partialFingerprints` from the leak's stable fingerprint (also as
//! `primaryLocationLineHash`, the one GitHub uses, so alerts follow the
//! leak rather than its line). Allowed leaks are results with an external
//! suppression naming the policy rules, so code scanning shows them
//! closed. Test-harness goroutines are not results.
//!
//! Results stay one per distinct leak even where several share a line
//! (the GitHub annotations group those): a code-scanning alert is
//! identified by its fingerprint, and an alert per leak closes when that
//! leak is fixed, whereas a merged alert would change identity whenever
//! one of its members did.
//!
//! Other failures that fail the gate (assertions, panics, timeouts, build
//! errors) are `error` results of their own rule, headed by the failure's
//! message and placed at its location in the repository when it has one.
//!
//! Levels: `error` for new leaks and other failures, `warning` for flaky
//! leaks, `note` (suppressed) for allowed leaks.
//!
//! Serialised from a few `serde` structs rather than a SARIF crate: the
//! subset used is small, and the test suite validates the output against
//! the SARIF 2.1.0 JSON schema.

use std::io::{self, Write};

use serde::Serialize;

use super::helpers::sarif_text as plain;
use super::{
    count_text, failure_fingerprint, failure_name, failure_title, leak_place, reporter_name,
    seen_again_text, state_text, user_frames, Class,
};
use crate::findings::FailureKind;
use crate::findings::SourceRef;
use crate::verdict::{Analysis, JudgedLeak, LeakStatus};

/// The schema URI written in `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Key of the stable fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "leakgate/v1";

/// (id, name, short description, full description, help, level)
pub const RULES: [(&str, &str, &str, &str, &str, &str); 7] = [
    (
        "goroutine-leak",
        "GoroutineLeak",
        "A goroutine outlived the test that started it",
        "goleak (or a testing/synctest bubble) found a goroutine still running when the test ended. \
         It is placed at the go statement that started it.",
        "Make the goroutine end with its owner: close the channel it reads, cancel its context, \
         or wait for it (sync.WaitGroup, errgroup) before the test returns. If the leak is known and \
         accepted, allow it in .leakgate.yml with an owner and an expiry date.",
        "error",
    ),
    (
        "flaky-goroutine-leak",
        "FlakyGoroutineLeak",
        "A goroutine leak that appears on some attempts only",
        "The same test leaked on one attempt and not on another: the goroutine usually ends, \
         but not always before the leak check.",
        "Wait for the goroutine to end instead of relying on timing; a leak check that passes \
         only sometimes hides a real leak under load.",
        "warning",
    ),
    (
        "test-failure",
        "TestFailure",
        "A test failed",
        "A test failed for a reason other than a goroutine leak (an assertion, t.Error, t.Fatal, \
         TestMain's exit), or the output cannot prove it did not. It is placed at the failing line.",
        "Fix the failure; leakgate fails the gate on every test failure, not only on leaks.",
        "error",
    ),
    (
        "build-failure",
        "BuildFailure",
        "A package did not build",
        "The package or its tests did not compile, so none of its tests ran. It is placed at the \
         first compile error.",
        "Fix the compile error; a package that does not build cannot show whether it leaks.",
        "error",
    ),
    (
        "test-panic",
        "TestPanic",
        "A panic or fatal error ended the test binary",
        "A test panicked or the runtime stopped the test binary, so the package's later tests \
         never ran.",
        "Fix the panic; tests that never ran cannot show whether they leak.",
        "error",
    ),
    (
        "test-timeout",
        "TestTimeout",
        "go test -timeout expired",
        "The test binary ran past its time limit and was stopped. It is placed at the line the \
         running test was stuck at.",
        "Find what the test waits for at that line (often a goroutine that never sends or never \
         ends); a hanging test hides every leak after it.",
        "error",
    ),
    (
        "test-incomplete",
        "TestIncomplete",
        "A test or package started and never reported a result",
        "The output ends before the test or package reported a result.",
        "Make sure the whole output reaches leakgate (a killed job, a cut log, a missing shard).",
        "error",
    ),
];

/// The rule (index into [`RULES`]) of a failure other than a leak.
pub fn failure_rule(kind: FailureKind) -> usize {
    match kind {
        FailureKind::Test | FailureKind::Leak => 2,
        FailureKind::Build => 3,
        FailureKind::Panic => 4,
        FailureKind::Timeout => 5,
        FailureKind::Incomplete => 6,
    }
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Text,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fingerprints {
    #[serde(rename = "leakgate/v1")]
    leakgate: String,
    primary_location_line_hash: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

/// Percent-encodes a repository path as a relative URI reference.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn message(d: &JudgedLeak) -> String {
    let g = &d.leak.example;
    let mut s = format!("{} leaked [{}]", count_text(d), state_text(g));
    if let Some(top) = g.goroutine.top_function() {
        s.push_str(&format!(" in {top}"));
    }
    s.push('.');
    let reporters: Vec<String> = d
        .leak
        .reporters
        .iter()
        .map(|r| reporter_name(r.package.as_deref(), r.test.as_deref()))
        .collect();
    s.push_str(&format!(" Reported by {}.", reporters.join("; ")));
    if let Some(again) = seen_again_text(d) {
        s.push_str(&format!(" {}{}.", again[..1].to_uppercase(), &again[1..]));
    }
    let (frames, _) = user_frames(g, 5);
    if !frames.is_empty() {
        let stack: Vec<String> = frames
            .iter()
            .map(|f| format!("{} ({})", f.function, f.place))
            .collect();
        s.push_str(&format!(" Stack: {}.", stack.join(" ← ")));
    }
    s
}

/// A place in the repository as SARIF locations (none without a place).
fn locations(place: Option<&SourceRef>) -> Vec<Location> {
    place
        .map(|p| {
            vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: uri(&p.file),
                        uri_base_id: "%SRCROOT%",
                    },
                    region: Region {
                        start_line: p.line.max(1),
                    },
                },
            }]
        })
        .unwrap_or_default()
}

/// Writes the SARIF log.
pub fn write(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let rules = RULES
        .iter()
        .map(|(id, name, short, full, help, level)| Rule {
            id,
            name,
            short_description: Text {
                text: short.to_string(),
            },
            full_description: Text {
                text: full.to_string(),
            },
            help: Text {
                text: help.to_string(),
            },
            default_configuration: Configuration { level },
        })
        .collect();
    let mut results = Vec::new();
    for d in a.leaks() {
        let (rule_index, level) = match d.class() {
            Class::New => (0, "error"),
            Class::Allowed => (0, "note"),
            Class::Flaky => (1, "warning"),
            Class::Harness => continue,
        };
        let suppressions = match &d.status {
            LeakStatus::Allowed { rules } => vec![Suppression {
                kind: "external",
                justification: format!("allowed by .leakgate.yml rule {}", rules.join(", ")),
            }],
            LeakStatus::New | LeakStatus::Flaky { .. } | LeakStatus::Harness => Vec::new(),
        };
        let locations = locations(leak_place(d));
        results.push(SarifResult {
            rule_id: RULES[rule_index].0,
            rule_index,
            level,
            message: Text {
                text: plain(&message(d)),
            },
            locations,
            partial_fingerprints: Fingerprints {
                leakgate: d.key().as_str().to_string(),
                primary_location_line_hash: d.key().as_str().to_string(),
            },
            suppressions,
        });
    }
    for f in a.other_failures() {
        let rule_index = failure_rule(f.kind);
        let text = format!(
            "{}: {}: {}",
            failure_title(f.kind),
            failure_name(f.package.as_deref(), f.test.as_deref()),
            f.message
        );
        let fingerprint = failure_fingerprint(f);
        results.push(SarifResult {
            rule_id: RULES[rule_index].0,
            rule_index,
            level: "error",
            message: Text { text: plain(&text) },
            locations: locations(a.failure_place(f)),
            partial_fingerprints: Fingerprints {
                leakgate: fingerprint.clone(),
                primary_location_line_hash: fingerprint,
            },
            suppressions: Vec::new(),
        });
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "leakgate",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    writeln!(out)
}
