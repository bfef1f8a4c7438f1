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
use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};
use serde::Deserialize;
use serde_saphyr::{Location, MessageFormatter, Spanned};

use super::{Policy, Rule, FILE_NAME};
use crate::matching::{matcher, states, Field, Pattern, PatternError, PatternKind};

/// The only version of the file format.
pub const VERSION: u32 = 1;
/// Largest policy file read (bytes).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Name of the embedded list of well-known library goroutines.
pub const KNOWN_LIBRARIES: &str = "known-libraries";
/// The embedded list itself.
pub const KNOWN_LIBRARIES_YAML: &str = include_str!("known-libraries.yml");

/// The published policy reference, linked from every diagnostic (users
/// have the binary, not the repository's `docs/`).
pub const DOCS_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/policy.md");

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

/// `.leakgate.yml`: the goroutine leaks a repository accepts, how leaks
/// worth another try are retried, and what the verdict may assume.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "leakgate policy (.leakgate.yml)")]
struct RawFile {
    /// The file format's version: `1`.
    #[schemars(schema_with = "version_schema")]
    version: Option<Spanned<u32>>,
    /// Lists bundled with leakgate whose rules apply too: `known-libraries`
    /// (goroutines well-known libraries start on purpose).
    #[serde(default)]
    #[schemars(schema_with = "extends_schema")]
    extends: Option<Vec<Spanned<String>>>,
    /// Allow rules: each accepts the leaked goroutines it matches, with a
    /// reason, an owner and an expiry.
    #[schemars(with = "Option<Vec<RawRule>>")]
    allow: Option<Vec<Spanned<RawRule>>>,
    /// Which leaks are rerun, how often and with which command, and what a
    /// leak that disappears on a rerun does to the verdict.
    #[schemars(with = "Option<crate::retry::RetryConfig>")]
    retry: Option<Spanned<crate::retry::RetryConfig>>,
    /// What the verdict may assume where the output cannot tell (all off:
    /// leakgate fails closed).
    verdict: Option<super::VerdictSettings>,
    /// How much a group of goroutines may grow between two dumps of a
    /// running service before `leakgate diff` fails.
    dumps: Option<crate::dump::diff::DumpSettings>,
}

/// One allow rule: the leaked goroutines it matches are allowed.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawRule {
    /// A short id, unique in the file, named in reports.
    #[schemars(with = "String", length(min = 1), pattern(r"\S"))]
    id: Option<Spanned<String>>,
    /// Why this leak is acceptable.
    #[schemars(with = "String", length(min = 1), pattern(r"\S"))]
    reason: Option<Spanned<String>>,
    /// Who answers for the rule (a team or a person).
    #[schemars(with = "Option<String>")]
    owner: Option<Spanned<String>>,
    /// The last day the rule applies (`YYYY-MM-DD`); after it, the leaks
    /// it matched are new again.
    #[schemars(
        with = "Option<String>",
        pattern(r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$")
    )]
    expires: Option<Spanned<String>>,
    /// The library whose process-wide goroutine this is (a rule with it
    /// may match leaks reported by any package).
    #[schemars(with = "Option<String>")]
    library: Option<Spanned<String>>,
    /// A link: the issue, the upstream bug, the discussion.
    #[schemars(with = "Option<String>")]
    reference: Option<Spanned<String>>,
    /// What the rule matches; every key given must match. Values are exact
    /// (`exact:VALUE`), `glob:PATTERN` or `/REGEX/`.
    #[serde(rename = "match")]
    #[schemars(with = "RawMatch")]
    matches: Option<Spanned<RawMatch>>,
}

/// An allow rule's match: every key given must match one goroutine of the
/// leak. Values are exact (`exact:VALUE`), `glob:PATTERN` or `/REGEX/`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
struct RawMatch {
    /// The function on top of the goroutine's stack (goleak's
    /// `IgnoreTopFunction`).
    #[schemars(with = "Option<String>")]
    top_function: Option<Spanned<String>>,
    /// Any function of the goroutine's stack (goleak's `IgnoreAnyFunction`).
    #[schemars(with = "Option<String>")]
    any_function: Option<Spanned<String>>,
    /// The function whose `go` statement started the goroutine.
    #[schemars(with = "Option<String>")]
    created_by: Option<Spanned<String>>,
    /// The import path of the package whose tests reported the leak.
    #[schemars(with = "Option<String>")]
    package: Option<Spanned<String>>,
    /// The test that reported the leak, subtests as `TestX/sub`
    /// (package-level reports have no test: a rule with `test` never
    /// matches them).
    #[schemars(with = "Option<String>")]
    test: Option<Spanned<String>>,
    /// The goroutine's state as Go prints it, without `, N minutes`
    /// (`chan receive`, `select`, `IO wait`).
    #[serde(default)]
    #[schemars(schema_with = "state_schema")]
    state: Option<Spanned<String>>,
    /// The file of the `go` statement, relative to the repository root when
    /// inside it.
    #[schemars(with = "Option<String>")]
    origin: Option<Spanned<String>>,
}

/// A state is one Go prints, or a glob or regular expression (which the
/// loader checks matches one).
fn state_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "The goroutine's state as Go prints it, without `, N minutes` (`chan receive`, `select`, `IO wait`); or `glob:PATTERN`, `/REGEX/`, `exact:VALUE`.",
        "anyOf": [
            { "enum": states::KNOWN },
            { "type": "string", "pattern": "^(glob:|exact:|/.*/$)|[*?\\[{]" },
            { "type": "null" },
        ],
    })
}

/// `1`; the loader reads `"1"` as 1 too.
fn version_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "The file format's version: `1`.",
        "enum": [VERSION, VERSION.to_string()],
    })
}

fn extends_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["array", "null"],
        "items": { "enum": EXTENDS },
    })
}

/// The JSON Schema of `.leakgate.yml`, generated from the types the loader
/// reads (`leakgate config schema`). It describes the file's shape; what
/// only the loader can check (valid globs and regular expressions, unique
/// ids, real dates, known states in allow rules) stays the loader's.
pub fn schema() -> serde_json::Value {
    let settings = schemars::generate::SchemaSettings::draft07();
    let mut schema = settings.into_generator().into_root_schema_for::<RawFile>();
    schema.insert(
        "$id".into(),
        "https://raw.githubusercontent.com/leakgate/leakgate/main/leakgate.schema.json".into(),
    );
    schema.to_value()
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
    /// The `dumps:` section.
    pub dumps: Option<crate::dump::diff::DumpSettings>,
    /// What loads but is probably not what was meant.
    pub warnings: Vec<ConfigError>,
}

/// Builds diagnostics against one source text.
struct Diags<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<ConfigError>,
    warnings: Vec<ConfigError>,
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

    fn at_pos(
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

    fn value<T>(&mut self, v: &Spanned<T>, message: String, label: &str, help: Option<String>) {
        self.at(v.referenced, None, message, label, help);
    }

    fn pos(&mut self, p: Pos, message: String, label: &str, help: Option<String>) {
        self.at_pos(p.line, p.column, p.len, message, label, help);
    }

    /// A warning at a value: the file loads.
    fn warn(&mut self, p: Pos, message: String, label: &str, help: Option<String>) {
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

/// The keys that lead to the value at a 1-based line and column of a YAML
/// text, outermost first, `-` for a list item: `["allow", "-", "match",
/// "state"]`. Read from the text (block indentation and flow brackets), for
/// errors whose only location is a position.
fn key_path(text: &str, line: usize, column: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(cur) = lines.get(line.wrapping_sub(1)) else {
        return Vec::new();
    };
    // One line's shape: the column of its `- ` (if an item), of its content,
    // and its block key.
    fn shape(l: &str) -> (Option<usize>, usize, Option<String>) {
        let indent = l.len() - l.trim_start().len();
        let mut rest = &l[indent..];
        let mut col = indent + 1;
        let mut dash = None;
        while rest == "-" || rest.starts_with("- ") {
            dash.get_or_insert(col);
            let t = rest[1..].trim_start();
            col += rest.len() - t.len();
            rest = t;
        }
        let key = rest.split_once(':').and_then(|(k, after)| {
            let plain = !k.is_empty() && !k.contains(['{', '[', '"', '\'', '#', ',']);
            (plain && (after.is_empty() || after.starts_with([' ', '\t'])))
                .then(|| k.trim().to_string())
        });
        (dash, col, key)
    }
    // Keys on the error's own line, before the column (flow collections
    // included).
    let prefix: String = cur.chars().take(column.saturating_sub(1)).collect();
    let (cur_dash, cur_col, _) = shape(cur);
    let mut frames: Vec<(char, Option<String>)> = vec![(' ', None)];
    let mut tok = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = prefix.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            tok.push(c);
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                tok.push(c);
            }
            '#' if i == 0 || chars[i - 1] == ' ' => break,
            '{' | '[' => {
                frames.push((c, None));
                tok.clear();
            }
            '}' | ']' => {
                if frames.len() > 1 {
                    frames.pop();
                }
                tok.clear();
            }
            ',' => {
                if let Some(f) = frames.last_mut() {
                    if f.0 == '{' {
                        f.1 = None;
                    }
                }
                tok.clear();
            }
            ':' if chars.get(i + 1).is_none_or(|n| *n == ' ') => {
                let key = tok.trim().trim_start_matches("- ").trim();
                let key = key.trim_matches(['"', '\'']).to_string();
                if let Some(f) = frames.last_mut() {
                    f.1 = Some(key);
                }
                tok.clear();
            }
            _ => tok.push(c),
        }
    }
    let mut same_line = Vec::new();
    if cur_dash.is_some_and(|d| d < column) {
        same_line.push("-".to_string());
    }
    for (kind, key) in &frames {
        if *kind == '[' {
            same_line.push("-".to_string());
        }
        if let Some(k) = key {
            same_line.push(k.clone());
        }
    }
    // Block ancestors: lines above with less indentation.
    let mut threshold = match cur_dash {
        Some(d) if d < column => d,
        _ => cur_col.min(column),
    };
    let mut up = Vec::new();
    for l in lines[..line - 1].iter().rev() {
        let t = l.trim();
        if threshold <= 1 {
            break;
        }
        if t.is_empty() || t.starts_with('#') || t == "---" {
            continue;
        }
        let (dash, col, key) = shape(l);
        if col < threshold {
            if let Some(k) = key {
                up.push(k);
            }
            threshold = col;
        }
        if let Some(d) = dash {
            if d < threshold {
                up.push("-".to_string());
                threshold = d;
            }
        }
    }
    up.reverse();
    up.extend(same_line);
    up
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

fn yaml_error(d: &mut Diags<'_>, err: &serde_saphyr::Error) {
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
            let path = key_path(d.text, line, column);
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
            if takes(&key_path(d.text, line, column)).is_some() =>
        {
            let path = key_path(d.text, line, column);
            let Some((named, what, example)) = takes(&path) else {
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

/// Where a value is: 1-based line and column, and its length in bytes.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: usize,
    column: usize,
    len: Option<usize>,
}

impl Pos {
    fn of<T>(v: &Spanned<T>) -> Pos {
        Pos {
            line: v.referenced.line() as usize,
            column: v.referenced.column() as usize,
            len: v.referenced.span().byte_len().map(|l| l as usize),
        }
    }

    /// `value` at its first occurrence at or after line `after` of
    /// `text` (for sections whose types carry no spans), else `fallback`.
    fn find(text: &str, after: usize, value: &str, fallback: Pos) -> Pos {
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
                        value.strip_prefix(super::GLOB_PREFIX).unwrap_or(value)
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
    fn key_paths_from_positions() {
        let text = "version: 1\nallow:\n  - id: a\n    reason: r\n    match:\n      state: x\n  - id: b\n    match: {state: [select], test: T}\nretry:\n  when:\n    state: [x]\n";
        let p = |l, c| key_path(text, l, c);
        assert_eq!(p(1, 10), ["version"]);
        assert_eq!(p(4, 13), ["allow", "-", "reason"]);
        assert_eq!(p(6, 14), ["allow", "-", "match", "state"]);
        assert_eq!(p(7, 9), ["allow", "-", "id"]);
        assert_eq!(p(8, 20), ["allow", "-", "match", "state"]);
        assert_eq!(p(8, 36), ["allow", "-", "match", "test"]);
        assert_eq!(p(11, 13), ["retry", "when", "state", "-"]);
        assert_eq!(key_path("allow:\n  id: a\n", 2, 3), ["allow"]);
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
