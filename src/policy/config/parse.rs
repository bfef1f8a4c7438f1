//! Parsing: a policy text to its rules and sections, every mistake
//! collected as a diagnostic.

use std::collections::HashMap;

use jiff::civil::Date;
use serde_saphyr::Location;

use super::diagnostics::{invalid, keys, yaml_error, Diags, Pos};
use super::schema::RawFile;
use super::{did_you_mean, ConfigError, InvalidPolicy, Rule, EXTENDS, VERSION};
use crate::matching::{matcher, states, Field, Pattern, PatternError, PatternKind};

/// A file read, before compiling.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// `extends:` names.
    pub extends: Vec<String>,
    /// The file's own rules.
    pub rules: Vec<Rule>,
    /// The `retry:` section.
    pub retry: Option<crate::config::RetryConfig>,
    /// The `verdict:` section.
    pub verdict: crate::config::VerdictSettings,
    /// The `dumps:` section.
    pub dumps: Option<crate::config::DumpSettings>,
    /// What loads but is probably not what was meant.
    pub warnings: Vec<ConfigError>,
}

fn yaml_options() -> serde_saphyr::Options {
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = 100_000;
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 16,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_documents: 1,
            max_nodes: 1_000_000,
        },
        alias_limits: alias_limits,
    }
}

/// Reads the file's shape; on a mistake, the error and the keys that lead
/// to where it is (serde_path_to_error's path, as [`keys`]).
fn read_raw(text: &str) -> Result<RawFile, Box<(serde_saphyr::Error, Vec<String>)>> {
    let mut path = None;
    serde_saphyr::with_deserializer_from_str_with_options(text, yaml_options(), |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = Some(keys(e.path()));
            e.into_inner()
        })
    })
    .map_err(|e| Box::new((e, path.unwrap_or_default())))
}

/// Parses a policy text (`file` names it in diagnostics) into rules.
pub fn parse(file: &str, text: &str) -> Result<Parsed, InvalidPolicy> {
    let mut d = Diags {
        file,
        text,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let meaningful = text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && l.trim() != "---");
    if !meaningful {
        d.at(
            Location::UNKNOWN,
            Some(0),
            "the policy is empty".to_string(),
            "here",
            Some(format!("start it with `version: {VERSION}`; `leakgate init` writes a commented starter file")),
        );
        return Err(invalid(d));
    }
    let raw: RawFile = match read_raw(text) {
        Ok(r) => r,
        Err(e) => {
            let (e, path) = *e;
            yaml_error(&mut d, &e, &path);
            return Err(invalid(d));
        }
    };
    match &raw.version {
        None => d.at(
            Location::UNKNOWN,
            Some(0),
            "the policy has no `version`".to_string(),
            "here",
            Some(format!("add `version: {VERSION}` at the top")),
        ),
        Some(v) if v.value != VERSION => d.value(
            v,
            format!("unsupported version {}", v.value),
            "unsupported",
            Some(format!("this leakgate reads `version: {VERSION}`")),
        ),
        Some(_) => {}
    }
    // `retry.when`'s values are checked like allow rules' (retry's types
    // carry no spans: each points at its first occurrence after `retry:`).
    if let Some(retry) = &raw.retry {
        if let Some(when) = &retry.value.when {
            let after = retry.referenced.line() as usize;
            let fallback = Pos::of(retry);
            for p in when.patterns() {
                let at = Pos::find(text, after, &p.text, fallback);
                pattern(&mut d, "retry.when", p.field, &p.text, at);
            }
            for st in &when.state {
                if !states::is_known(st) {
                    let at = Pos::find(text, after, st, fallback);
                    d.pos(
                        at,
                        format!("retry.when: `{st}` is not a state any Go runtime prints"),
                        "unknown state",
                        Some(states::suggest(st)),
                    );
                }
            }
        }
    }
    let mut parsed = Parsed {
        retry: raw.retry.map(|r| r.value),
        verdict: raw.verdict.unwrap_or_default(),
        dumps: raw.dumps,
        ..Parsed::default()
    };
    for e in raw.extends.unwrap_or_default() {
        if EXTENDS.contains(&e.value.as_str()) {
            if !parsed.extends.contains(&e.value) {
                parsed.extends.push(e.value.clone());
            }
        } else {
            let help = match did_you_mean(&e.value, EXTENDS) {
                Some(s) => format!("did you mean `{s}`? known lists: {}", EXTENDS.join(", ")),
                None => format!("known lists: {}", EXTENDS.join(", ")),
            };
            let name = e.value.clone();
            d.value(
                &e,
                format!("unknown list `{name}` in `extends`"),
                "unknown list",
                Some(help),
            );
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for rule in raw.allow.unwrap_or_default() {
        let at = rule.referenced;
        let r = rule.value;
        let id = match &r.id {
            Some(id) if !id.value.trim().is_empty() => {
                if let Some(first) = seen.get(&id.value) {
                    let msg = format!("duplicate rule id `{}`", id.value);
                    d.value(
                        id,
                        msg,
                        "used again here",
                        Some(format!(
                            "ids are unique; the first `{}` is on line {first}",
                            id.value
                        )),
                    );
                } else {
                    seen.insert(id.value.clone(), id.referenced.line() as usize);
                }
                id.value.clone()
            }
            Some(id) => {
                d.value(
                    id,
                    "empty rule id".to_string(),
                    "empty",
                    Some("give the rule a short unique id".into()),
                );
                String::new()
            }
            None => {
                d.at(
                    at,
                    Some(0),
                    "a rule has no `id`".to_string(),
                    "this rule",
                    Some("give every rule a short unique id, e.g. `id: opencensus-worker`".into()),
                );
                String::new()
            }
        };
        let name = if id.is_empty() {
            "a rule".to_string()
        } else {
            format!("rule `{id}`")
        };
        let reason = match &r.reason {
            Some(s) if !s.value.trim().is_empty() => s.value.clone(),
            Some(s) => {
                d.value(
                    s,
                    format!("{name} has an empty `reason`"),
                    "empty",
                    Some(reason_help()),
                );
                String::new()
            }
            None => {
                d.at(
                    at,
                    Some(0),
                    format!("{name} has no `reason`"),
                    "this rule",
                    Some(reason_help()),
                );
                String::new()
            }
        };
        let expires = r.expires.as_ref().and_then(|s| match s.value.trim().parse::<Date>() {
            Ok(date) => Some(date),
            Err(e) => {
                d.value(
                    s,
                    format!("{name}: `expires` is not a date: {:?}", s.value),
                    "not a date",
                    Some(format!("write the last day the rule applies as YYYY-MM-DD, e.g. 2027-03-31 ({e})")),
                );
                None
            }
        });
        let mut patterns = Vec::new();
        match r.matches {
            None => d.at(
                at,
                Some(0),
                format!("{name} has no `match`"),
                "this rule",
                Some(match_help()),
            ),
            Some(m) => {
                let m_at = m.referenced;
                let entries = m.value.entries();
                if entries.is_empty() {
                    d.at(
                        m_at,
                        None,
                        format!("{name} has an empty `match`"),
                        "empty",
                        Some(match_help()),
                    );
                }
                for (field, v) in entries {
                    if let Some(p) = pattern(&mut d, &name, field, &v.value, Pos::of(&v)) {
                        patterns.push(p);
                    }
                }
            }
        }
        if !patterns.is_empty() && r.library.is_none() && !scoped_to_packages(&patterns) {
            d.warn(
                Pos {
                    line: at.line() as usize,
                    column: at.column() as usize,
                    len: None,
                },
                format!("{name} matches leaks reported by any package"),
                "no package scope",
                Some(
                    "a new leak of the same goroutine in another package's tests would be allowed too: add `package: IMPORT/PATH` (the package whose tests report it); if it is a library's process-wide goroutine that every package sees, say which library with `library:`"
                        .to_string(),
                ),
            );
        }
        parsed.rules.push(Rule {
            id,
            reason,
            owner: r.owner.map(|s| s.value),
            expires,
            library: r.library.map(|s| s.value),
            reference: r.reference.map(|s| s.value),
            patterns,
            file: file.to_string(),
            line: at.line() as u32,
            extends: None,
        });
    }
    if d.errors.is_empty() {
        let mut warnings = d.warnings;
        warnings.sort_by_key(|e| (e.line, e.column));
        parsed.warnings = warnings;
        Ok(parsed)
    } else {
        Err(invalid(d))
    }
}

/// Whether a rule's `package` keeps it to some packages: it has one, and
/// it does not match import paths as different as these.
fn scoped_to_packages(patterns: &[Pattern]) -> bool {
    let package: Vec<Pattern> = patterns
        .iter()
        .filter(|p| p.field == Field::Package)
        .cloned()
        .collect();
    if package.is_empty() {
        return false;
    }
    let Ok(m) = matcher::Matcher::new(&[package.as_slice()]) else {
        return true;
    };
    let mut scratch = matcher::Scratch::default();
    !["a", "example.invalid/x/y/z", "golang.org/x/net/http2"]
        .iter()
        .all(|probe| {
            let s = matcher::Subject {
                package: Some(probe),
                ..Default::default()
            };
            !m.matching(&s, &mut scratch).is_empty()
        })
}

fn reason_help() -> String {
    "say why this leak is acceptable, e.g. `reason: opencensus starts a process-wide worker on import`".into()
}

fn match_help() -> String {
    format!(
        "a rule matches on at least one of: {}",
        Field::ALL
            .iter()
            .map(|f| f.key())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn value_help(field: Field) -> String {
    let example = match field {
        Field::Package => "`example.com/m/internal/pool`, `glob:example.com/m/**` or `/^example\\.com\\/m\\//`",
        Field::Origin => "`internal/pool/pool.go`, `glob:internal/**/*.go` or `/_test\\.go$/`",
        Field::Test => "`TestServer/slow`, `glob:TestIntegration*` or `/^TestHTTP/`",
        Field::State => "`chan receive`, `glob:chan *` or `/^(select|chan receive)$/`",
        _ => "`example.com/m.(*Pool).run` (exact, as Go prints it), `glob:example.com/m.*` or `/^net\\/http\\./`",
    };
    format!("write an exact value, `glob:PATTERN` or `/regex/`, e.g. {example}")
}

fn pattern(d: &mut Diags<'_>, name: &str, field: Field, value: &str, at: Pos) -> Option<Pattern> {
    let key = field.key();
    let p = match Pattern::parse(field, value) {
        Ok(p) => p,
        Err(e) => {
            let (label, help) = match &e {
                PatternError::Empty => ("empty", Some(value_help(field))),
                PatternError::EmptyRegex => ("empty", Some(value_help(field))),
                PatternError::InvalidRegex(why) => ("invalid regular expression", Some(why.clone())),
                PatternError::InvalidGlob(why) => (
                    "invalid glob",
                    Some(format!(
                        "{why}; escape a literal glob character with a backslash, or write `exact:{}` to match the text as it is",
                        value.strip_prefix(crate::policy::GLOB_PREFIX).unwrap_or(value)
                    )),
                ),
            };
            d.pos(at, format!("{name}: `{key}` {e}"), label, help);
            return None;
        }
    };
    if field == Field::State {
        let known = match p.kind {
            PatternKind::Exact => states::is_known(p.body()),
            _ => {
                let m = matcher::Matcher::new(&[std::slice::from_ref(&p)]).ok();
                m.is_some_and(|m| {
                    let mut scratch = matcher::Scratch::default();
                    states::KNOWN.iter().any(|s| {
                        let subject = matcher::Subject {
                            state: Some(s),
                            ..Default::default()
                        };
                        !m.matching(&subject, &mut scratch).is_empty()
                    })
                })
            }
        };
        if !known {
            let (message, help) = if p.kind == PatternKind::Exact {
                (
                    format!(
                        "{name}: `{}` is not a state any Go runtime prints",
                        p.body()
                    ),
                    states::suggest(p.body()),
                )
            } else {
                (
                    format!("{name}: `{key}` matches no state any Go runtime prints"),
                    states::suggest(p.body()),
                )
            };
            d.pos(at, message, "unknown state", Some(help));
            return None;
        }
    }
    if p.implicit {
        d.warn(
            at,
            format!("{name}: `{key}: {value}` is read as a glob; write it `glob:{value}`"),
            "a glob without `glob:`",
            Some(format!(
                "bare values are exact; a bare value that cannot be a {} is still read as a glob, as before `glob:` existed, but that reading is deprecated",
                match field {
                    Field::Package => "Go import path",
                    Field::Origin => "Go file path",
                    Field::Test => "test name",
                    Field::State => "state",
                    _ => "function name as Go prints it",
                }
            )),
        );
    }
    Some(p)
}
