//! `leakgate config schema` describes the files the loader reads: the
//! JSON Schema accepts every policy the loader accepts (the bundled ones,
//! the test fixtures, every policy written in a test, every `yaml` block
//! of the docs that is a policy) and rejects the structurally broken ones
//! the loader rejects. What only the loader can check (a glob or regular
//! expression that does not compile, a duplicate id, 2027-02-30) is listed
//! at the end: the schema accepts those, the loader does not.

use std::path::{Path, PathBuf};
use std::process::Command;

use leakgate::policy::config;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_leakgate");

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&config::schema()).expect("the schema is a valid draft-07 schema")
}

/// YAML as an editor's language server sees it: JSON values.
fn instance(text: &str) -> serde_json::Value {
    serde_saphyr::from_str::<serde_json::Value>(text).unwrap_or(serde_json::Value::Null)
}

fn schema_errors(v: &jsonschema::Validator, text: &str) -> Vec<String> {
    v.iter_errors(&instance(text))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Rust string literals that start with `version:`, unescaped (a literal
/// with a `format!` placeholder keeps it: those are judged by the loader
/// like the rest, and a placeholder the YAML cannot parse is skipped).
fn literals(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(i) = rest.find("\"version: ") {
        let body = &rest[i + 1..];
        let mut text = String::new();
        let mut chars = body.chars().peekable();
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    closed = true;
                    break;
                }
                '\\' => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('"') => text.push('"'),
                    Some('\\') => text.push('\\'),
                    Some('\'') => text.push('\''),
                    Some('\n') => {
                        while chars.peek().is_some_and(|c| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    Some(c) => {
                        text.push('\\');
                        text.push(c);
                    }
                    None => break,
                },
                c => text.push(c),
            }
        }
        let used = body.len() - chars.collect::<String>().len();
        if closed {
            out.push(text);
        }
        rest = &body[used..];
    }
    out
}

/// Every policy this repository holds, with where it is.
fn corpus() -> Vec<(String, String)> {
    let root = Path::new(ROOT);
    let mut out = Vec::new();
    let mut files = Vec::new();
    files_under(&root.join("tests"), &mut files);
    files_under(&root.join("src"), &mut files);
    files_under(&root.join("testdata"), &mut files);
    files.sort();
    for f in &files {
        let name = f.to_string_lossy();
        let rel = f.strip_prefix(root).unwrap().display().to_string();
        if name.ends_with(".leakgate.yml")
            || rel == "src/policy/starter.yml"
            || rel == "src/policy/known-libraries.yml"
        {
            out.push((rel, std::fs::read_to_string(f).unwrap()));
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(f).unwrap();
            for (n, l) in literals(&text).into_iter().enumerate() {
                out.push((format!("{rel} (literal {})", n + 1), l));
            }
        }
    }
    let mut docs = vec![root.join("README.md")];
    files_under(&root.join("docs"), &mut docs);
    for f in docs
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "md"))
    {
        let rel = f.strip_prefix(root).unwrap().display().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if lines[i].trim_start() == "```yaml" {
                let indent = lines[i].len() - lines[i].trim_start().len();
                let end = (i + 1..lines.len())
                    .find(|&j| lines[j].trim_start().starts_with("```"))
                    .unwrap_or(lines.len());
                let block: String = lines[i + 1..end]
                    .iter()
                    .map(|l| format!("{}\n", l.get(indent..).unwrap_or(l.trim_start())))
                    .collect();
                if block.lines().any(|l| l.starts_with("version:")) {
                    out.push((format!("{rel}:{}", i + 2), block));
                }
                i = end;
            }
            i += 1;
        }
    }
    out
}

#[test]
fn the_schema_accepts_every_policy_the_loader_accepts() {
    let v = validator();
    let mut accepted = 0;
    let mut places = Vec::new();
    let mut failures = Vec::new();
    for (place, text) in corpus() {
        if config::parse(".leakgate.yml", &text).is_ok() {
            accepted += 1;
            places.push(place.clone());
            let errors = schema_errors(&v, &text);
            if !errors.is_empty() {
                failures.push(format!("{place}:\n{text}\n  {}", errors.join("\n  ")));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The corpus is real: the fixtures, the bundled files, the tests' own
    // policies and the docs' examples all took part.
    for must in [
        "src/policy/starter.yml",
        "src/policy/known-libraries.yml",
        "tests/fixtures/verdict/policies/",
        "tests/integration/policy.rs (literal",
        "docs/",
    ] {
        assert!(
            places.iter().any(|p| p.starts_with(must)),
            "no accepted policy from {must}: {places:#?}"
        );
    }
    // What the loader also reads: a quoted version.
    let quoted = "version: \"1\"\n";
    assert!(config::parse(".leakgate.yml", quoted).is_ok());
    assert!(schema_errors(&v, quoted).is_empty(), "{quoted}");
    eprintln!("{accepted} policies accepted by the loader and the schema");
    assert!(accepted >= 40, "only {accepted} policies accepted");
}

/// Mistakes of shape, as the loader words them: a policy in the corpus the
/// loader rejects with only these, the schema rejects too.
const SHAPE_ERRORS: &[&str] = &[
    "unknown key",
    "has no `id`",
    "has no `reason`",
    "has no `match`",
    "has an empty `match`",
    "has an empty `reason`",
    "empty rule id",
    "unsupported version",
    "the policy has no `version`",
    "unknown list",
    "is not a state any Go runtime prints",
];

#[test]
fn the_schema_rejects_the_tests_broken_policies_the_loader_rejects_for_their_shape() {
    let v = validator();
    let mut rejected = 0;
    let mut failures = Vec::new();
    for (place, text) in corpus() {
        let Err(e) = config::parse(".leakgate.yml", &text) else {
            continue;
        };
        let shape = e
            .errors
            .iter()
            .all(|e| SHAPE_ERRORS.iter().any(|s| e.message.contains(s)));
        if shape {
            rejected += 1;
            if schema_errors(&v, &text).is_empty() {
                let why: Vec<&str> = e.errors.iter().map(|e| e.message.as_str()).collect();
                failures.push(format!("{place}: the schema accepts it ({why:?}):\n{text}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        rejected >= 5,
        "only {rejected} broken policies of shape in the tests"
    );
}

/// Broken files the loader rejects for their shape: the schema rejects them
/// too, so an editor marks the mistake before `leakgate config check`.
#[test]
fn the_schema_rejects_what_the_loader_rejects_for_its_shape() {
    let v = validator();
    let rule = "  - id: a\n    reason: r\n    match:\n      package: example.com/m\n";
    let broken = [
        ("no version", format!("allow:\n{rule}")),
        ("version 2", format!("version: 2\nallow:\n{rule}")),
        ("version as text", format!("version: one\nallow:\n{rule}")),
        ("unknown top-level key", "version: 1\nextend: [known-libraries]\n".into()),
        ("unknown list", "version: 1\nextends: [known-libs]\n".into()),
        ("allow as a map", "version: 1\nallow:\n  id: a\n".into()),
        (
            "rule without id",
            "version: 1\nallow:\n  - reason: r\n    match: {package: p}\n".into(),
        ),
        (
            "empty id",
            "version: 1\nallow:\n  - id: ''\n    reason: r\n    match: {package: p}\n".into(),
        ),
        (
            "rule without reason",
            "version: 1\nallow:\n  - id: a\n    match: {package: p}\n".into(),
        ),
        (
            "blank reason",
            "version: 1\nallow:\n  - id: a\n    reason: '  '\n    match: {package: p}\n".into(),
        ),
        (
            "rule without match",
            "version: 1\nallow:\n  - id: a\n    reason: r\n".into(),
        ),
        (
            "empty match",
            "version: 1\nallow:\n  - id: a\n    reason: r\n    match: {}\n".into(),
        ),
        (
            "misspelt rule key",
            "version: 1\nallow:\n  - id: a\n    reasn: x\n    match: {state: select}\n".into(),
        ),
        (
            "misspelt match key",
            "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      top_functon: main.f\n"
                .into(),
        ),
        (
            "expires not a date",
            "version: 1\nallow:\n  - id: a\n    reason: r\n    expires: next March\n    match: {package: p}\n"
                .into(),
        ),
        ("negative attempts", "version: 1\nretry:\n  attempts: -1\n".into()),
        ("attempts as text", "version: 1\nretry:\n  attempts: two\n".into()),
        ("unknown flaky mode", "version: 1\nretry:\n  flaky: maybe\n".into()),
        ("misspelt retry key", "version: 1\nretry:\n  attempt: 2\n".into()),
        (
            "unknown retry state",
            "version: 1\nretry:\n  when:\n    state: [blocked]\n".into(),
        ),
        (
            "misspelt when key",
            "version: 1\nretry:\n  when:\n    top: main.f\n".into(),
        ),
        ("unknown verdict key", "version: 1\nverdict:\n  strict: true\n".into()),
        (
            "verdict setting as text",
            "version: 1\nverdict:\n  no_failfast: sure\n".into(),
        ),
    ];
    let mut failures = Vec::new();
    for (what, text) in &broken {
        if config::parse(".leakgate.yml", text).is_ok() {
            failures.push(format!("{what}: the loader accepts it:\n{text}"));
        }
        if schema_errors(&v, text).is_empty() {
            failures.push(format!("{what}: the schema accepts it:\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// What the schema cannot say, and the loader does: these pass the schema
/// and fail `config check`, which is why the docs tell editors' users to
/// run it too.
#[test]
fn what_only_the_loader_checks() {
    let v = validator();
    for text in [
        "version: 1\nallow:\n  - id: a\n    reason: r\n    match: {package: '/([/'}\n",
        "version: 1\nallow:\n  - id: a\n    reason: r\n    match: {package: p}\n  - id: a\n    reason: r\n    match: {package: q}\n",
        "version: 1\nallow:\n  - id: a\n    reason: r\n    expires: 2027-02-30\n    match: {package: p}\n",
    ] {
        assert!(config::parse(".leakgate.yml", text).is_err(), "{text}");
        assert!(schema_errors(&v, text).is_empty(), "{text}");
    }
}

/// The command prints the schema the library generates, and the copy
/// checked in at the repository root (the URL editors fetch) is that one.
#[test]
fn config_schema_prints_the_checked_in_schema() {
    let out = Command::new(BIN)
        .args(["config", "schema"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, config::schema());
    let file = Path::new(ROOT).join("leakgate.schema.json");
    let checked_in: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(
        checked_in == printed,
        "leakgate.schema.json is stale: run `cargo run -- config schema > leakgate.schema.json`"
    );
}
