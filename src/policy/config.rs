//! Loading `.leakgate.yml`: YAML to [`Rule`]s, and every mistake as a
//! diagnostic that points at the file, line and column.
//!
//! Crate choices: `serde-saphyr` reads the YAML (safe Rust, budgets
//! against alias bombs and deep nesting, and line/column spans on every
//! value through `Spanned`, so semantic errors point at the value, not just
//! syntax errors); `jiff` parses `expires:` dates (`civil::Date`, strict
//! ISO 8601 `YYYY-MM-DD`); `strsim` ranks "did you mean" suggestions;
//! `miette` renders the diagnostics.
//!
//! Nothing is silently ignored: unknown keys, missing reasons, bad dates,
//! invalid globs and regular expressions, duplicate ids and empty `match`
//! maps are all errors, collected so that one run shows them all.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use serde_saphyr::{Location, MessageFormatter, Spanned};

use super::{matcher, Field, Pattern, PatternKind, Policy, Rule, FILE_NAME};

/// The only version of the file format.
pub const VERSION: u32 = 1;
/// Largest policy file read (bytes).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Name of the embedded list of well-known library goroutines.
pub const KNOWN_LIBRARIES: &str = "known-libraries";
/// The embedded list itself.
pub const KNOWN_LIBRARIES_YAML: &str = include_str!("known-libraries.yml");

/// The commented starter file `leakgate init` writes.
pub const STARTER: &str = include_str!("starter.yml");

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

/// One mistake in a policy file.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct ConfigError {
    /// What is wrong.
    pub message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
    /// How to fix it.
    #[help]
    pub help: Option<String>,
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

/// A policy file with mistakes: every one of them.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("invalid policy {file}: {} error{}", errors.len(), if errors.len() == 1 { "" } else { "s" })]
#[diagnostic(
    code(leakgate::policy),
    help("see docs/policy.md for the format; `leakgate config check` validates a file")
)]
pub struct InvalidPolicy {
    /// The file.
    pub file: String,
    /// The mistakes, in file order.
    #[related]
    pub errors: Vec<ConfigError>,
}

/// Why no policy could be loaded.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read the policy {path}: {source}")]
    Unreadable {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is too large to be a policy.
    #[error("the policy {path} is {size} bytes; a policy is at most {MAX_FILE_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
    },
    /// The file has mistakes.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] InvalidPolicy),
    /// The rules did not compile (a size limit).
    #[error(transparent)]
    Compile(#[from] matcher::CompileError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: Option<Spanned<u32>>,
    extends: Option<Vec<Spanned<String>>>,
    allow: Option<Vec<Spanned<RawRule>>>,
    retry: Option<Spanned<crate::retry::RetryConfig>>,
    verdict: Option<super::VerdictSettings>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    owner: Option<Spanned<String>>,
    expires: Option<Spanned<String>>,
    library: Option<Spanned<String>>,
    reference: Option<Spanned<String>>,
    #[serde(rename = "match")]
    matches: Option<Spanned<RawMatch>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    top_function: Option<Spanned<String>>,
    any_function: Option<Spanned<String>>,
    created_by: Option<Spanned<String>>,
    package: Option<Spanned<String>>,
    test: Option<Spanned<String>>,
    state: Option<Spanned<String>>,
    origin: Option<Spanned<String>>,
}

impl RawMatch {
    fn entries(self) -> Vec<(Field, Spanned<String>)> {
        [
            (Field::TopFunction, self.top_function),
            (Field::AnyFunction, self.any_function),
            (Field::CreatedBy, self.created_by),
            (Field::Package, self.package),
            (Field::Test, self.test),
            (Field::State, self.state),
            (Field::Origin, self.origin),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.map(|v| (f, v)))
        .collect()
    }
}

/// A file read, before compiling.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// `extends:` names.
    pub extends: Vec<String>,
    /// The file's own rules.
    pub rules: Vec<Rule>,
    /// The `retry:` section.
    pub retry: Option<crate::retry::RetryConfig>,
    /// The `verdict:` section.
    pub verdict: super::VerdictSettings,
}

/// Builds diagnostics against one source text.
struct Diags<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<ConfigError>,
}

impl<'a> Diags<'a> {
    /// Byte offset of a 1-based line and character column.
    fn offset(&self, line: usize, column: usize) -> usize {
        let mut start = 0;
        for _ in 1..line.max(1) {
            match self.text[start..].find('\n') {
                Some(i) => start += i + 1,
                None => return self.text.len(),
            }
        }
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(column.saturating_sub(1))
            .map_or(start + rest.len(), |(i, _)| start + i)
    }

    fn at(
        &mut self,
        loc: Location,
        len: Option<usize>,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        let line = (loc.line() as usize).max(1);
        let column = (loc.column() as usize).max(1);
        let offset = self.offset(line, column);
        let len = len
            .or_else(|| loc.span().byte_len().map(|l| l as usize))
            .unwrap_or(0)
            .min(self.text.len().saturating_sub(offset));
        self.errors.push(ConfigError {
            message,
            src: NamedSource::new(self.file, self.text.to_string()),
            span: SourceSpan::new(offset.into(), len),
            label: label.to_string(),
            help,
            file: self.file.to_string(),
            line,
            column,
        });
    }

    fn value<T>(&mut self, v: &Spanned<T>, message: String, label: &str, help: Option<String>) {
        self.at(v.referenced, None, message, label, help);
    }
}

/// The closest of `candidates` to `word`, if close enough to be a typo.
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
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

fn yaml_error(d: &mut Diags<'_>, err: &serde_saphyr::Error) {
    let err = err.without_snippet();
    let loc = err.location().unwrap_or(Location::UNKNOWN);
    match err {
        serde_saphyr::Error::SerdeUnknownField {
            field, expected, ..
        } => {
            let candidates: Vec<&str> = if expected.is_empty() {
                RULE_KEYS.to_vec()
            } else {
                expected.clone()
            };
            let help = match did_you_mean(field, &candidates) {
                Some(s) => format!(
                    "did you mean `{s}`? known keys here: {}",
                    candidates.join(", ")
                ),
                None => format!("known keys here: {}", candidates.join(", ")),
            };
            let context = if expected.contains(&"top_function") {
                " in `match`"
            } else if expected.contains(&"reason") {
                " in a rule"
            } else {
                ""
            };
            d.at(
                loc,
                Some(field.len()),
                format!("unknown key `{field}`{context}"),
                "unknown key",
                Some(help),
            );
        }
        _ => {
            let message = serde_saphyr::DefaultMessageFormatter
                .format_message(err)
                .escape_debug()
                .to_string();
            d.at(loc, None, format!("invalid YAML: {message}"), "here", None);
        }
    }
}

/// Parses a policy text (`file` names it in diagnostics) into rules.
pub fn parse(file: &str, text: &str) -> Result<Parsed, InvalidPolicy> {
    let mut d = Diags {
        file,
        text,
        errors: Vec::new(),
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
    let raw: RawFile = match serde_saphyr::from_str_with_options(text, yaml_options()) {
        Ok(r) => r,
        Err(e) => {
            yaml_error(&mut d, &e);
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
    // `retry.when`'s function matchers are checked like allow rules'.
    if let Some(retry) = &raw.retry {
        if let Some(when) = &retry.value.when {
            for p in when.patterns() {
                let at = Spanned::new(p.text.clone(), retry.referenced, retry.defined);
                pattern(&mut d, "retry.when", p.field, &at);
            }
        }
    }
    let mut parsed = Parsed {
        retry: raw.retry.map(|r| r.value),
        verdict: raw.verdict.unwrap_or_default(),
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
                    if let Some(p) = pattern(&mut d, &name, field, &v) {
                        patterns.push(p);
                    }
                }
            }
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
        Ok(parsed)
    } else {
        Err(invalid(d))
    }
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

fn pattern(d: &mut Diags<'_>, name: &str, field: Field, v: &Spanned<String>) -> Option<Pattern> {
    let key = field.key();
    if v.value.is_empty() {
        d.value(
            v,
            format!("{name}: `{key}` is empty"),
            "empty",
            Some("write an exact name, a glob or /regex/".into()),
        );
        return None;
    }
    let p = Pattern::new(field, &v.value);
    match p.kind {
        PatternKind::Regex => {
            let body = matcher::regex_body(&p.text);
            if body.is_empty() {
                d.value(
                    v,
                    format!("{name}: `{key}` is an empty regular expression"),
                    "empty",
                    None,
                );
                return None;
            }
            if let Err(e) = regex::Regex::new(body) {
                d.value(
                    v,
                    format!("{name}: `{key}` is not a valid regular expression"),
                    "invalid regular expression",
                    Some(e.to_string()),
                );
                return None;
            }
        }
        PatternKind::Exact if v.value.contains(['*', '?', '[', '{']) && field.is_path() => {
            // A path with glob characters that is not a valid glob: a typo.
            if let Err(e) = matcher::glob(field, &v.value) {
                d.value(
                    v,
                    format!("{name}: `{key}` is not a valid glob"),
                    "invalid glob",
                    Some(format!(
                        "{}; escape a literal character with a backslash",
                        e.kind()
                    )),
                );
                return None;
            }
        }
        _ => {}
    }
    Some(p)
}

fn invalid(d: Diags<'_>) -> InvalidPolicy {
    let mut errors = d.errors;
    errors.sort_by_key(|e| (e.line, e.column));
    InvalidPolicy {
        file: d.file.to_string(),
        errors,
    }
}

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
    use super::*;

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
