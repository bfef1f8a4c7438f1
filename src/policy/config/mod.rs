//! Loading `.leakgate.yml`: YAML to [`Rule`]s, and every mistake as a
//! diagnostic that points at the file, line and column.
//!
//! Crate choices: `serde-saphyr` reads the YAML (safe Rust, budgets
//! against alias bombs and deep nesting, and line/column spans on every
//! value through `Spanned`, so semantic errors point at the value, not just
//! syntax errors); `serde_path_to_error` records the keys that lead to a
//! mistake, which name it in the user's words; `jiff` parses `expires:` dates (`civil::Date`, strict
//! ISO 8601 `YYYY-MM-DD`); `strsim` ranks "did you mean" suggestions;
//! `miette` renders the diagnostics.
//!
//! Nothing is silently ignored: unknown keys, missing reasons, bad dates,
//! invalid globs and regular expressions, duplicate ids and empty `match`
//! maps are all errors, collected so that one run shows them all.
//!
//! The parts: `schema` (the file's types and its JSON Schema), `parse`
//! (text to rules), `diagnostics` (located errors, YAML errors in the
//! user's words, named by the keys `serde_path_to_error` saw on the way).

mod diagnostics;
mod parse;
mod schema;

use std::path::{Path, PathBuf};

use jiff::civil::Date;

pub use diagnostics::{did_you_mean, ConfigError, InvalidPolicy, PolicyError};
pub use parse::{parse, Parsed};
pub use schema::schema;

use super::{Policy, Rule, FILE_NAME};

/// The only version of the file format.
pub const VERSION: u32 = 1;
/// Largest policy file read (bytes).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Name of the embedded list of well-known library goroutines.
pub const KNOWN_LIBRARIES: &str = "known-libraries";
/// The embedded list itself.
pub const KNOWN_LIBRARIES_YAML: &str = include_str!("../known-libraries.yml");

/// The published policy reference, linked from every diagnostic (users
/// have the binary, not the repository's `docs/`).
pub const DOCS_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/policy.md");

/// The commented starter file `leakgate init` writes.
pub const STARTER: &str = include_str!("../starter.yml");

const RULE_KEYS: &[&str] = &[
    "id",
    "reason",
    "owner",
    "expires",
    "library",
    "reference",
    "match",
];
const EXTENDS: &[&str] = &[KNOWN_LIBRARIES];

/// The rules of an embedded `extends:` list.
pub fn extends_rules(name: &str) -> Result<Vec<Rule>, InvalidPolicy> {
    let text = match name {
        KNOWN_LIBRARIES => KNOWN_LIBRARIES_YAML,
        _ => return Ok(Vec::new()),
    };
    let mut rules = parse(name, text)?.rules;
    for r in &mut rules {
        r.extends = Some(name.to_string());
    }
    Ok(rules)
}

/// Builds a policy from a text: its rules, then those of its `extends:`.
pub fn from_text(file: &str, text: &str, today: Date) -> Result<Policy, PolicyError> {
    let parsed = parse(file, text)?;
    let mut rules = parsed.rules;
    for name in &parsed.extends {
        let own: std::collections::HashSet<String> = rules.iter().map(|r| r.id.clone()).collect();
        rules.extend(
            extends_rules(name)?
                .into_iter()
                .filter(|r| !own.contains(&r.id)),
        );
    }
    let mut policy = Policy::new(Some(file.to_string()), parsed.extends, rules, today)?;
    policy.retry = parsed.retry;
    policy.verdict = parsed.verdict;
    policy.dumps = parsed.dumps;
    policy.warnings = parsed.warnings;
    Ok(policy)
}

/// Where the policy is: `--config PATH` when given, else `.leakgate.yml`
/// at the repository root when it exists, else none (the default policy).
pub fn locate(root: &Path, config: Option<&Path>) -> Option<PathBuf> {
    match config {
        Some(p) => Some(p.to_path_buf()),
        None => Some(root.join(FILE_NAME)).filter(|p| p.is_file()),
    }
}

/// Reads a policy file as text.
pub fn read(path: &Path) -> Result<String, PolicyError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| PolicyError::Unreadable {
        path: name.clone(),
        source,
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(PolicyError::TooLarge {
            path: name,
            size: meta.len(),
        });
    }
    std::fs::read_to_string(path).map_err(|source| PolicyError::Unreadable { path: name, source })
}

/// Loads the policy for a run: the file found by [`locate`], or the
/// embedded default (allows nothing) when there is none. `root` is the
/// repository root; a file given with `--config` must exist.
pub fn load(root: &Path, config: Option<&Path>, today: Date) -> Result<Policy, PolicyError> {
    match locate(root, config) {
        None => Ok(Policy {
            today,
            ..Policy::default()
        }),
        Some(path) => {
            let text = read(&path)?;
            let name = display_name(root, &path);
            from_text(&name, &text, today)
        }
    }
}

/// The file's name in reports: relative to the root when inside it.
pub fn display_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The rules a policy holds, as `leakgate config check` prints them.
pub fn describe(policy: &Policy) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let Some(source) = &policy.source else {
        return "no policy file: the default policy allows no leak\n".to_string();
    };
    let own = policy.rules.iter().filter(|r| r.extends.is_none()).count();
    let _ = writeln!(
        s,
        "{source}: valid, version {VERSION}, {own} rule{}",
        if own == 1 { "" } else { "s" }
    );
    for name in &policy.extends {
        let n = policy
            .rules
            .iter()
            .filter(|r| r.extends.as_deref() == Some(name))
            .count();
        let _ = writeln!(s, "extends {name}: {n} rules");
    }
    for r in &policy.rules {
        let _ = writeln!(s);
        let _ = writeln!(s, "{} ({})", r.id, r.place());
        let _ = writeln!(s, "  reason:  {}", r.reason);
        if let Some(l) = &r.library {
            let _ = writeln!(s, "  library: {l}");
        }
        if let Some(o) = &r.owner {
            let _ = writeln!(s, "  owner:   {o}");
        }
        if let Some(e) = r.expires {
            let state = if r.is_expired(policy.today) {
                "expired"
            } else {
                "applies until then"
            };
            let _ = writeln!(s, "  expires: {e} ({state}; today is {})", policy.today);
        }
        if let Some(u) = &r.reference {
            let _ = writeln!(s, "  see:     {u}");
        }
        for p in &r.patterns {
            let _ = writeln!(
                s,
                "  match {:<13} {:<6} {}",
                p.field.key(),
                p.kind.name(),
                p.text
            );
        }
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use miette::Severity;

    use super::*;
    use crate::matching::PatternKind;

    fn errors(text: &str) -> Vec<(usize, usize, String)> {
        match parse(".leakgate.yml", text) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .errors
                .into_iter()
                .map(|e| (e.line, e.column, e.message))
                .collect(),
        }
    }

    #[test]
    fn a_good_file() {
        let text = "version: 1\nextends: [known-libraries]\nallow:\n  - id: a\n    reason: because\n    owner: '@team'\n    expires: 2027-03-31\n    match:\n      top_function: go.opencensus.io/stats/view.(*worker).start\n      package: example.com/m/**\n";
        let p = parse("f", text).unwrap();
        assert_eq!(p.extends, vec!["known-libraries"]);
        assert_eq!(p.rules.len(), 1);
        let r = &p.rules[0];
        assert_eq!(r.line, 4);
        assert_eq!(r.expires, Some(jiff::civil::date(2027, 3, 31)));
        assert_eq!(r.patterns.len(), 2);
        assert_eq!(r.patterns[1].kind, PatternKind::Glob);
        let policy = from_text("f", text, jiff::civil::date(2026, 1, 1)).unwrap();
        assert!(policy.rules.len() > 1);
    }

    #[test]
    fn mistakes_point_at_their_place() {
        let e = errors("version: 1\nallow:\n  - id: a\n    reasn: x\n    match: {state: select}\n");
        assert_eq!(e, vec![(4, 5, "unknown key `reasn` in a rule".to_string())]);
        let e = errors("version: 1\nallow:\n  - id: a\n    reason: x\n    match: {}\n");
        assert_eq!(
            e,
            vec![(5, 12, "rule `a` has an empty `match`".to_string())]
        );
        let e = errors("version: 1\nallow:\n  - id: a\n    match:\n      state: /(/\n");
        assert_eq!(e[0], (3, 5, "rule `a` has no `reason`".to_string()));
        assert_eq!(
            e[1],
            (
                5,
                14,
                "rule `a`: `state` is not a valid regular expression".to_string()
            )
        );
        let e = errors("version: 2\n");
        assert_eq!(e, vec![(1, 10, "unsupported version 2".to_string())]);
        let e = errors("# nothing\n");
        assert_eq!(e, vec![(1, 1, "the policy is empty".to_string())]);
    }

    #[test]
    fn mistakes_are_named_by_the_keys_that_lead_to_them() {
        // Rules not indented under `allow:` are in it all the same.
        assert_eq!(
            errors("version: 1\nallow:\n- id: a\n  reason: [x]\n  match: {state: select}\n"),
            [(
                4,
                11,
                "`reason` of a rule takes text (quote it when it starts with one of [ { * & ! | > ' \" % @ `), not a list".to_string()
            )]
        );
        assert_eq!(
            errors("version: 1\nallow:\n- id: a\n  reason: r\n  match:\n    stat: select\n"),
            [(6, 5, "unknown key `stat` in `match`".to_string())]
        );
    }

    #[test]
    fn type_errors_name_the_key_and_what_it_takes() {
        let e = errors("version: one\n");
        assert_eq!(
            e,
            vec![(1, 10, "`version` takes the number 1, not `one`".to_string())]
        );
        let e = errors("version: 1\nallow:\n  - id: a\n    reason: r\n    match: select\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].2.starts_with("`match` of a rule takes a map"), "{e:?}");
        assert!(e[0].2.ends_with("not `select`"), "{e:?}");
        let e = errors("version: 1\nallow:\n  id: a\n");
        assert_eq!(
            e[0].2,
            "`allow` takes a list of rules, each starting with `- `, not a map"
        );
        let e = errors("version: 1\nretry:\n  attempts: two\n");
        assert!(
            e[0].2.starts_with("`retry.attempts` takes a whole number"),
            "{e:?}"
        );
        let e = errors("version: 1\nverdict:\n  no_failfast: yes please\n");
        assert_eq!(
            e[0].2,
            "`verdict.no_failfast` takes `true` or `false`, not `yes please`"
        );
        let e =
            errors("version: 1\nallow:\n  - id: a\n    reason: r\n    match: {state: [select]}\n");
        assert!(
            e[0].2.starts_with("`state` in `match` takes one value"),
            "{e:?}"
        );
        assert!(e[0].2.ends_with("not a list"), "{e:?}");
        // Syntax errors stay syntax errors.
        let e = errors("version: 1\nallow:\n  - id: a\n  reason: [\n");
        assert!(e[0].2.starts_with("invalid YAML"), "{e:?}");
    }

    #[test]
    fn unknown_states_are_errors_with_a_suggestion() {
        let text =
            "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      state: chan recieve\n";
        let err = parse(".leakgate.yml", text).unwrap_err();
        let e = &err.errors[0];
        assert_eq!((e.line, e.column), (6, 14));
        assert_eq!(
            e.message,
            "rule `a`: `chan recieve` is not a state any Go runtime prints"
        );
        assert!(e
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `chan receive`?"));
        let e = errors(
            "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      state: /^blocked/\n",
        );
        assert_eq!(
            e[0].2,
            "rule `a`: `state` matches no state any Go runtime prints"
        );
        // Every spelling of a real state loads.
        for st in [
            "chan receive",
            "IO wait",
            "select (no cases)",
            "glob:chan *",
            "/^sync\\./",
        ] {
            let text = format!(
                "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      state: '{st}'\n"
            );
            assert!(parse("f", &text).is_ok(), "{st}");
        }
        let e =
            errors("version: 1\nretry:\n  attempts: 1\n  when:\n    state: [runnable, runable]\n");
        assert_eq!(
            e,
            vec![(
                5,
                23,
                "retry.when: `runable` is not a state any Go runtime prints".to_string()
            )]
        );
    }

    #[test]
    fn warnings_for_old_globs_and_rules_without_package_scope() {
        let text = "version: 1\nallow:\n  - id: old\n    reason: r\n    match:\n      created_by: example.com/m.*\n      package: example.com/m\n  - id: wide\n    reason: r\n    match:\n      top_function: example.com/m.(*Pool).run\n  - id: lib\n    reason: r\n    library: go.opencensus.io\n    match:\n      top_function: go.opencensus.io/stats/view.(*worker).start\n  - id: all\n    reason: r\n    match:\n      top_function: example.com/m.(*Pool).run\n      package: glob:**\n  - id: narrow\n    reason: r\n    match:\n      created_by: glob:example.com/m.*\n      package: glob:example.com/m/**\n";
        let p = parse("f", text).unwrap();
        let w: Vec<(usize, String)> = p
            .warnings
            .iter()
            .map(|w| (w.line, w.message.clone()))
            .collect();
        assert_eq!(
            w,
            vec![
                (6, "rule `old`: `created_by: example.com/m.*` is read as a glob; write it `glob:example.com/m.*`".to_string()),
                (8, "rule `wide` matches leaks reported by any package".to_string()),
                (17, "rule `all` matches leaks reported by any package".to_string()),
            ]
        );
        assert!(p.warnings.iter().all(|w| w.severity == Severity::Warning));
        // The known-libraries list has none.
        assert!(parse(KNOWN_LIBRARIES, KNOWN_LIBRARIES_YAML)
            .unwrap()
            .warnings
            .is_empty());
    }

    #[test]
    fn the_starter_file_loads() {
        let p = from_text(".leakgate.yml", STARTER, jiff::civil::date(2026, 1, 1)).unwrap();
        assert!(p.rules.is_empty());
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("reasn", RULE_KEYS), Some("reason"));
        assert_eq!(
            did_you_mean("top_functon", &["top_function", "test"]),
            Some("top_function")
        );
        assert_eq!(did_you_mean("zzz", RULE_KEYS), None);
    }

    #[test]
    fn known_libraries_list_is_valid() {
        let rules = extends_rules(KNOWN_LIBRARIES).unwrap();
        assert!(rules.len() >= 5);
        for r in &rules {
            assert!(r.library.is_some(), "{} names its library", r.id);
            assert!(
                r.reference
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://")),
                "{} has a reference",
                r.id
            );
            assert!(r.expires.is_none());
        }
    }
}
