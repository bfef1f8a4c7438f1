//! Diagnostics: every mistake in a policy file as an error (or warning)
//! located at its file, line and column, rendered by miette; what a
//! YAML error means in the user's words.

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};
use serde_saphyr::{Location, MessageFormatter, Spanned};

use super::{DOCS_URL, MAX_FILE_BYTES, RULE_KEYS};
use crate::matching::matcher;

/// One mistake in a policy file (or, with [`Severity::Warning`], a rule
/// that loads but probably does not say what was meant).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// What is wrong.
    pub message: String,
    src: NamedSource<String>,
    span: SourceSpan,
    label: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Error, or warning.
    pub severity: Severity,
}

impl Diagnostic for ConfigError {
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.label.clone()),
            self.span,
        ))))
    }
}

/// A policy file with mistakes: every one of them.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("invalid policy {file}: {} error{}", errors.len(), if errors.len() == 1 { "" } else { "s" })]
#[diagnostic(
    code(leakgate::policy),
    help("the format is described at {DOCS_URL}; `leakgate config check` validates a file")
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

/// Builds diagnostics against one source text.
pub(super) struct Diags<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) errors: Vec<ConfigError>,
    pub(super) warnings: Vec<ConfigError>,
}

impl<'a> Diags<'a> {
    /// Byte offset of a 1-based line and character column.
    pub(super) fn offset(&self, line: usize, column: usize) -> usize {
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

    pub(super) fn at(
        &mut self,
        loc: Location,
        len: Option<usize>,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        let len = len.or_else(|| loc.span().byte_len().map(|l| l as usize));
        self.at_pos(
            loc.line() as usize,
            loc.column() as usize,
            len,
            message,
            label,
            help,
        );
    }

    pub(super) fn at_pos(
        &mut self,
        line: usize,
        column: usize,
        len: Option<usize>,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        let line = line.max(1);
        let column = column.max(1);
        let offset = self.offset(line, column);
        let len = len.unwrap_or(0).min(self.text.len().saturating_sub(offset));
        self.errors.push(ConfigError {
            message,
            src: NamedSource::new(self.file, self.text.to_string()),
            span: SourceSpan::new(offset.into(), len),
            label: label.to_string(),
            help,
            file: self.file.to_string(),
            line,
            column,
            severity: Severity::Error,
        });
    }

    pub(super) fn value<T>(
        &mut self,
        v: &Spanned<T>,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        self.at(v.referenced, None, message, label, help);
    }

    pub(super) fn pos(&mut self, p: Pos, message: String, label: &str, help: Option<String>) {
        self.at_pos(p.line, p.column, p.len, message, label, help);
    }

    /// A warning at a value: the file loads.
    pub(super) fn warn(&mut self, p: Pos, message: String, label: &str, help: Option<String>) {
        let errors = std::mem::take(&mut self.errors);
        self.pos(p, message, label, help);
        let mut w = std::mem::replace(&mut self.errors, errors);
        for e in &mut w {
            e.severity = Severity::Warning;
        }
        self.warnings.extend(w);
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

/// Where a value is: 1-based line and column, and its length in bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pos {
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) len: Option<usize>,
}

impl Pos {
    pub(super) fn of<T>(v: &Spanned<T>) -> Pos {
        Pos {
            line: v.referenced.line() as usize,
            column: v.referenced.column() as usize,
            len: v.referenced.span().byte_len().map(|l| l as usize),
        }
    }

    /// `value` at its first occurrence at or after line `after` of
    /// `text` (for sections whose types carry no spans), else `fallback`.
    pub(super) fn find(text: &str, after: usize, value: &str, fallback: Pos) -> Pos {
        for (i, line) in text.lines().enumerate().skip(after.saturating_sub(1)) {
            if let Some(at) = line.find(value) {
                return Pos {
                    line: i + 1,
                    column: line[..at].chars().count() + 1,
                    len: Some(value.len()),
                };
            }
        }
        fallback
    }
}

/// The keys of a deserializer's path, outermost first, `-` for a list
/// item: `allow[0].match.state` is `["allow", "-", "match", "state"]`.
/// A `Spanned` value is a map of its own (`value`, with its location
/// beside it), whose `value` key is not the file's.
pub(super) fn keys(path: &serde_path_to_error::Path) -> Vec<String> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Seq { .. } => Some("-".to_string()),
            Segment::Map { key } if key == "value" => None,
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect()
}

/// What the value of a key takes, in the user's words: (how the key is
/// named, what it takes, an example).
fn takes(path: &[String]) -> Option<(String, &'static str, Option<&'static str>)> {
    let item = path.last().is_some_and(|k| k == "-");
    let keys: Vec<&str> = path
        .iter()
        .map(String::as_str)
        .filter(|k| *k != "-")
        .collect();
    let (key, parents) = keys.split_last()?;
    let key = *key;
    Some(match (parents, key, item) {
        ([], "allow", true) => (
            "a rule in `allow`".to_string(),
            "a map with `id`, `reason` and `match` (and optionally `owner`, `expires`, `library`, `reference`)",
            Some("allow:\n  - id: pool-reaper\n    reason: stopped when the process exits\n    match:\n      created_by: example.com/m/pool.startReaper"),
        ),
        ([], "extends", true) => ("an item of `extends`".to_string(), "the name of an embedded list: `known-libraries`", None),
        ([_, ..], _, true) => return None,
        ([], "version", _) => ("`version`".to_string(), "the number 1", Some("version: 1")),
        ([], "extends", _) => (
            "`extends`".to_string(),
            "a list of embedded lists",
            Some("extends: [known-libraries]"),
        ),
        ([], "allow", _) => (
            "`allow`".to_string(),
            "a list of rules, each starting with `- `",
            Some("allow:\n  - id: pool-reaper\n    reason: stopped when the process exits\n    match:\n      created_by: example.com/m/pool.startReaper"),
        ),
        ([], "retry", _) => (
            "`retry`".to_string(),
            "a map with `attempts`, `when`, `flaky`, `timeout` and `command`",
            Some("retry:\n  attempts: 2"),
        ),
        ([], "verdict", _) => (
            "`verdict`".to_string(),
            "a map of true/false settings: `messages_are_logs`, `no_failfast`, `subtests_never_return_early`",
            Some("verdict:\n  no_failfast: true"),
        ),
        ([], "dumps", _) => (
            "`dumps`".to_string(),
            "a map with `grow_by` and `grow_percent`",
            Some("dumps:\n  grow_by: 5\n  grow_percent: 10"),
        ),
        (["dumps"], k, _) => (format!("`dumps.{k}`"), "a whole number, 0 or more", Some("grow_by: 5")),
        (["allow"], "match", _) => (
            "`match` of a rule".to_string(),
            "a map from what to match (top_function, any_function, created_by, package, test, state, origin) to one value each",
            Some("match:\n  state: select"),
        ),
        (["allow"], "expires", _) => (
            "`expires` of a rule".to_string(),
            "a date written YYYY-MM-DD: the last day the rule applies",
            Some("expires: 2027-03-31"),
        ),
        (["allow"], k @ ("id" | "reason" | "owner" | "library" | "reference"), _) => (
            format!("`{k}` of a rule"),
            "text (quote it when it starts with one of [ { * & ! | > ' \" % @ `)",
            None,
        ),
        (["allow", "match"], k, _) => (
            format!("`{k}` in `match`"),
            "one value: an exact name, `glob:PATTERN` or `/regex/` (for several values, write one rule each or one `/^(a|b)$/` regular expression)",
            None,
        ),
        (["retry"], "attempts", _) => (
            "`retry.attempts`".to_string(),
            "a whole number: how many extra runs at most",
            Some("attempts: 2"),
        ),
        (["retry"], "when", _) => (
            "`retry.when`".to_string(),
            "a map of what makes a leak worth a retry: state, top_function, any_function, created_by, package, test",
            Some("when:\n  state: [runnable, sleep]"),
        ),
        (["retry"], "flaky", _) => ("`retry.flaky`".to_string(), "`pass` or `fail`", Some("flaky: pass")),
        (["retry"], "timeout", _) => (
            "`retry.timeout`".to_string(),
            "a duration such as `90s`, `5m` or `1h`",
            Some("timeout: 5m"),
        ),
        (["retry"], "command", _) => (
            "`retry.command`".to_string(),
            "a command line as text",
            Some("command: go test -json -count=1 {run} {package}"),
        ),
        (["retry", "when"], "state", _) => (
            "`retry.when.state`".to_string(),
            "a list of states",
            Some("state: [runnable, sleep]"),
        ),
        (["retry", "when"], k, _) => (
            format!("`retry.when.{k}`"),
            "one value: an exact name, `glob:PATTERN` or `/regex/`",
            None,
        ),
        (["verdict"], k, _) => (format!("`verdict.{k}`"), "`true` or `false`", Some("no_failfast: true")),
        _ => return None,
    })
}

/// How the value at a position reads: `a list`, `a map`, or the text.
fn found_at(text: &str, line: usize, column: usize, err: &serde_saphyr::Error) -> String {
    if matches!(err, serde_saphyr::Error::NullIntoString { .. }) {
        return "nothing".to_string();
    }
    let Some(l) = text.lines().nth(line.wrapping_sub(1)) else {
        return "this".to_string();
    };
    let rest: String = l.chars().skip(column.saturating_sub(1)).collect();
    let rest = rest.split(" #").next().unwrap_or("").trim_end();
    if rest.starts_with('[') || rest == "-" || rest.starts_with("- ") {
        "a list".to_string()
    } else if rest.starts_with('{') || rest.ends_with(':') || rest.contains(": ") {
        "a map".to_string()
    } else if rest.is_empty() {
        "nothing".to_string()
    } else {
        let short: String = rest.chars().take(40).collect();
        let more = if short.len() < rest.len() { "…" } else { "" };
        format!("`{short}{more}`")
    }
}

pub(super) fn yaml_error(d: &mut Diags<'_>, err: &serde_saphyr::Error, path: &[String]) {
    use serde_saphyr::Error as E;
    let err = err.without_snippet();
    let loc = err.location().unwrap_or(Location::UNKNOWN);
    let (line, column) = (loc.line() as usize, loc.column() as usize);
    match err {
        E::SerdeUnknownField {
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
            // The path ends at the unknown key itself.
            let path = match path.split_last() {
                Some((last, within)) if last == field => within,
                _ => path,
            };
            let keys: Vec<&str> = path
                .iter()
                .map(String::as_str)
                .filter(|k| *k != "-")
                .collect();
            let context = if expected.contains(&"top_function") && keys.first() == Some(&"allow") {
                " in `match`".to_string()
            } else if expected.contains(&"reason") {
                " in a rule".to_string()
            } else if keys.is_empty() {
                String::new()
            } else {
                format!(" in `{}`", keys.join("."))
            };
            d.at(
                loc,
                Some(field.len()),
                format!("unknown key `{field}`{context}"),
                "unknown key",
                Some(help),
            );
        }
        E::Unexpected { .. }
        | E::InvalidScalar { .. }
        | E::InvalidBooleanStrict { .. }
        | E::SerdeInvalidType { .. }
        | E::SerdeInvalidValue { .. }
        | E::SerdeInvalidLength { .. }
        | E::SerdeUnknownVariant { .. }
        | E::NullIntoString { .. }
        | E::InvalidCharNotSingleScalar { .. }
        | E::Message { .. }
            if takes(path).is_some() =>
        {
            let Some((named, what, example)) = takes(path) else {
                return;
            };
            let found = found_at(d.text, line, column, err);
            let mut help = Vec::new();
            if let E::Message { msg, .. } = err {
                help.push(msg.clone());
            }
            if let Some(e) = example {
                help.push(format!("for example:\n{e}"));
            }
            d.at(
                loc,
                None,
                format!("{named} takes {what}, not {found}"),
                "here",
                (!help.is_empty()).then(|| help.join("\n")),
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

pub(super) fn invalid(d: Diags<'_>) -> InvalidPolicy {
    let mut errors = d.errors;
    errors.sort_by_key(|e| (e.line, e.column));
    InvalidPolicy {
        file: d.file.to_string(),
        errors,
    }
}
