//! The matching language of allow rules and `retry.when`: the fields a
//! pattern can look at ([`Field`]), patterns (exact Go names, `glob:`,
//! `/regex/`), the subject a goroutine of a leak report offers
//! ([`subject`]), the compiled sets ([`matcher`]) and the known goroutine
//! states ([`states`]). [`crate::policy`] and [`crate::retry`] both use it;
//! neither reaches into the other for it.

pub mod matcher;
pub mod states;

use crate::findings::{Leak, LeakedGoroutine};
use matcher::Subject;

/// What a rule can match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The function on top of the stack (goleak's `IgnoreTopFunction`).
    TopFunction,
    /// Any function of the stack (goleak's `IgnoreAnyFunction`).
    AnyFunction,
    /// The function whose `go` statement started the goroutine.
    CreatedBy,
    /// Import path of the package whose test reported the leak.
    Package,
    /// Name of the test that reported it (`TestX/sub` for subtests).
    Test,
    /// The goroutine's wait reason (`chan receive`, `select`, …).
    State,
    /// File of the `go` statement (repository-relative when inside it).
    Origin,
}

impl Field {
    /// Every field, in the order they are documented.
    pub const ALL: [Field; 7] = [
        Field::TopFunction,
        Field::AnyFunction,
        Field::CreatedBy,
        Field::Package,
        Field::Test,
        Field::State,
        Field::Origin,
    ];

    /// The key in the `match:` map.
    pub fn key(self) -> &'static str {
        match self {
            Field::TopFunction => "top_function",
            Field::AnyFunction => "any_function",
            Field::CreatedBy => "created_by",
            Field::Package => "package",
            Field::Test => "test",
            Field::State => "state",
            Field::Origin => "origin",
        }
    }

    /// Whether values are `/`-separated paths, where a glob's `*` stays
    /// within one element and `**` crosses them.
    pub fn is_path(self) -> bool {
        matches!(self, Field::Package | Field::Origin)
    }
}

/// How a pattern is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    /// The whole value, character for character: a bare value, or one
    /// written `exact:VALUE`.
    Exact,
    /// A glob (`*`, `?`, `[...]`, `{a,b}`, `**`), written `glob:PATTERN`
    /// (or, in files written before `glob:` existed, a bare value that
    /// cannot be a literal value of its field: see [`Pattern::implicit`]).
    Glob,
    /// A regular expression, written `/.../`, searched anywhere in the
    /// value (anchor it with `^` and `$`).
    Regex,
}

impl PatternKind {
    /// The name shown by `config check`.
    pub fn name(self) -> &'static str {
        match self {
            PatternKind::Exact => "exact",
            PatternKind::Glob => "glob",
            PatternKind::Regex => "regex",
        }
    }
}

/// The prefix that makes a value a glob.
pub const GLOB_PREFIX: &str = "glob:";
/// The prefix that makes a value exact whatever it contains.
pub const EXACT_PREFIX: &str = "exact:";

/// Why a value is not a pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Nothing to match.
    #[error("is empty")]
    Empty,
    /// `//`.
    #[error("is an empty regular expression")]
    EmptyRegex,
    /// `/.../` that does not compile.
    #[error("is not a valid regular expression")]
    InvalidRegex(String),
    /// `glob:` (or a legacy bare glob) that does not compile.
    #[error("is not a valid glob")]
    InvalidGlob(String),
}

/// One `key: value` of a rule's `match:`.
///
/// How a value is read, in order:
/// - `/.../`: a regular expression;
/// - `glob:PATTERN`: a glob;
/// - `exact:VALUE`: exactly `VALUE`;
/// - a bare value: exactly itself. Go names as Go prints them
///   (`pkg.(*Pool).run`, `pkg.(*List[...]).Push`,
///   `pkg.Map[go.shape.int,go.shape.string].Get`) are bare values: their
///   `*` and `[...]` are part of the name, never glob syntax.
///
/// Compatibility: before `glob:` existed a bare value with `*?[{` was a
/// glob. A bare value that cannot be a literal value of its field (see
/// [`is_literal`]) is still read as a glob, marked [`Pattern::implicit`],
/// and `config check` warns that it should be written `glob:...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// What it matches.
    pub field: Field,
    /// How.
    pub kind: PatternKind,
    /// As written (with its `glob:`/`exact:` prefix or regex slashes).
    pub text: String,
    /// A glob written without `glob:` (files from before `glob:`); it
    /// also matches its own text exactly, as such globs always did.
    pub implicit: bool,
}

/// Whether `text` is shaped like a function name as the Go runtime prints
/// it: `*` only in a pointer receiver `.(*T)`, brackets only as type
/// arguments right after a name (`F[...]`, `(*List[...])`,
/// `Map[go.shape.int,go.shape.*uint8]`: anything inside), and no `?`, `{`
/// or `}` outside them.
pub fn is_go_name(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        if depth > 0 {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '[' => {
                if !prev.is_some_and(|p| p.is_alphanumeric() || p == '_') {
                    return false;
                }
                depth = 1;
            }
            ']' | '?' | '{' | '}' => return false,
            '*' => {
                let receiver = prev == Some('(') && i >= 2 && chars[i - 2] == '.';
                if !receiver {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && !text.is_empty()
}

/// Whether a bare value with glob characters (`*?[{`) can be a literal
/// value of `field`, and so is read exactly:
/// - function names: when shaped as Go prints them ([`is_go_name`]);
/// - test names: when the top-level test has none of them and subtests
///   have no `*` or `?` (`TestSort/[3_1_2]` is a subtest name);
/// - import paths (`package`) never contain them, no state contains
///   them: such values are globs written the old way;
/// - file paths (`origin`): when they have no `*` or `?` (Go file names
///   never do; they may have brackets and braces).
pub fn is_literal(field: Field, text: &str) -> bool {
    match field {
        Field::TopFunction | Field::AnyFunction | Field::CreatedBy => is_go_name(text),
        Field::Test => {
            let top = text.split('/').next().unwrap_or(text);
            !top.contains(['*', '?', '[', '{']) && !text.contains(['*', '?'])
        }
        Field::Origin => !text.contains(['*', '?']),
        Field::Package | Field::State => false,
    }
}

impl Pattern {
    /// Reads a value (see [`Pattern`] for the syntax) and checks it: a
    /// regular expression or glob must compile.
    pub fn parse(field: Field, text: &str) -> Result<Pattern, PatternError> {
        let p = Pattern::read(field, text)?;
        if p.kind == PatternKind::Regex {
            regex::Regex::new(p.body()).map_err(|e| PatternError::InvalidRegex(e.to_string()))?;
        }
        Ok(p)
    }

    /// Reads a value already checked by [`Pattern::parse`] (as the
    /// policy loader does). A value that does not parse is read exactly,
    /// so it matches nothing but its own text.
    pub fn new(field: Field, text: &str) -> Pattern {
        Pattern::read(field, text).unwrap_or(Pattern {
            field,
            kind: PatternKind::Exact,
            text: text.to_string(),
            implicit: false,
        })
    }

    fn read(field: Field, text: &str) -> Result<Pattern, PatternError> {
        let (kind, implicit) = if text.len() >= 2 && text.starts_with('/') && text.ends_with('/') {
            if text.len() == 2 {
                return Err(PatternError::EmptyRegex);
            }
            (PatternKind::Regex, false)
        } else if let Some(body) = text.strip_prefix(GLOB_PREFIX) {
            if body.is_empty() {
                return Err(PatternError::Empty);
            }
            matcher::glob(field, body)
                .map_err(|e| PatternError::InvalidGlob(e.kind().to_string()))?;
            (PatternKind::Glob, false)
        } else if let Some(body) = text.strip_prefix(EXACT_PREFIX) {
            if body.is_empty() {
                return Err(PatternError::Empty);
            }
            (PatternKind::Exact, false)
        } else if text.is_empty() {
            return Err(PatternError::Empty);
        } else if !text.contains(['*', '?', '[', '{']) || is_literal(field, text) {
            (PatternKind::Exact, false)
        } else {
            matcher::glob(field, text)
                .map_err(|e| PatternError::InvalidGlob(e.kind().to_string()))?;
            (PatternKind::Glob, true)
        };
        Ok(Pattern {
            field,
            kind,
            text: text.to_string(),
            implicit,
        })
    }

    /// What is matched: the value without its `glob:`/`exact:` prefix or
    /// the slashes of a regular expression.
    pub fn body(&self) -> &str {
        match self.kind {
            PatternKind::Regex => matcher::regex_body(&self.text),
            _ if self.implicit => &self.text,
            PatternKind::Glob => self.text.strip_prefix(GLOB_PREFIX).unwrap_or(&self.text),
            PatternKind::Exact => self.text.strip_prefix(EXACT_PREFIX).unwrap_or(&self.text),
        }
    }

    /// How to write `value` so that it is read as exactly `value`: bare
    /// when that reads exactly, else with `exact:`.
    pub fn literal(field: Field, value: &str) -> String {
        let p = Pattern::new(field, value);
        if p.kind == PatternKind::Exact && p.body() == value {
            value.to_string()
        } else {
            format!("{EXACT_PREFIX}{value}")
        }
    }
}

/// What rules match a goroutine of `leak` against.
pub fn subject<'a>(leak: &'a Leak, g: &'a LeakedGoroutine) -> Subject<'a> {
    let r = &g.goroutine;
    Subject {
        top_function: r.top_function(),
        functions: &r.frames,
        created_by: r.created_by.as_ref().map(|c| c.function.as_str()),
        package: leak.package.as_deref(),
        test: leak.test.as_deref(),
        state: Some(r.state.status.as_str()),
        origin: g.origin.as_ref().map(|o| o.file.as_str()),
    }
}
