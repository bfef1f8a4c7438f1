//! The shape of `.leakgate.yml`: the types the loader deserializes, and
//! the JSON Schema generated from them.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{EXTENDS, VERSION};
use crate::matching::{states, Field};

/// `.leakgate.yml`: the goroutine leaks a repository accepts, how leaks
/// worth another try are retried, and what the verdict may assume.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "leakgate policy (.leakgate.yml)")]
pub(super) struct RawFile {
    /// The file format's version: `1`.
    #[schemars(schema_with = "version_schema")]
    pub(super) version: Option<Spanned<u32>>,
    /// Lists bundled with leakgate whose rules apply too: `known-libraries`
    /// (goroutines well-known libraries start on purpose).
    #[serde(default)]
    #[schemars(schema_with = "extends_schema")]
    pub(super) extends: Option<Vec<Spanned<String>>>,
    /// Allow rules: each accepts the leaked goroutines it matches, with a
    /// reason, an owner and an expiry.
    #[schemars(with = "Option<Vec<RawRule>>")]
    pub(super) allow: Option<Vec<Spanned<RawRule>>>,
    /// Which leaks are rerun, how often and with which command, and what a
    /// leak that disappears on a rerun does to the verdict.
    #[schemars(with = "Option<crate::config::RetryConfig>")]
    pub(super) retry: Option<Spanned<crate::config::RetryConfig>>,
    /// What the verdict may assume where the output cannot tell (all off:
    /// leakgate fails closed).
    pub(super) verdict: Option<crate::config::VerdictSettings>,
    /// How much a group of goroutines may grow between two dumps of a
    /// running service before `leakgate diff` fails.
    pub(super) dumps: Option<crate::config::DumpSettings>,
}

/// One allow rule: the leaked goroutines it matches are allowed.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    /// A short id, unique in the file, named in reports.
    #[schemars(with = "String", length(min = 1), pattern(r"\S"))]
    pub(super) id: Option<Spanned<String>>,
    /// Why this leak is acceptable.
    #[schemars(with = "String", length(min = 1), pattern(r"\S"))]
    pub(super) reason: Option<Spanned<String>>,
    /// Who answers for the rule (a team or a person).
    #[schemars(with = "Option<String>")]
    pub(super) owner: Option<Spanned<String>>,
    /// The last day the rule applies (`YYYY-MM-DD`); after it, the leaks
    /// it matched are new again.
    #[schemars(
        with = "Option<String>",
        pattern(r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$")
    )]
    pub(super) expires: Option<Spanned<String>>,
    /// The library whose process-wide goroutine this is (a rule with it
    /// may match leaks reported by any package).
    #[schemars(with = "Option<String>")]
    pub(super) library: Option<Spanned<String>>,
    /// A link: the issue, the upstream bug, the discussion.
    #[schemars(with = "Option<String>")]
    pub(super) reference: Option<Spanned<String>>,
    /// What the rule matches; every key given must match. Values are exact
    /// (`exact:VALUE`), `glob:PATTERN` or `/REGEX/`.
    #[serde(rename = "match")]
    #[schemars(with = "RawMatch")]
    pub(super) matches: Option<Spanned<RawMatch>>,
}

/// An allow rule's match: every key given must match one goroutine of the
/// leak. Values are exact (`exact:VALUE`), `glob:PATTERN` or `/REGEX/`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
pub(super) struct RawMatch {
    /// The function on top of the goroutine's stack (goleak's
    /// `IgnoreTopFunction`).
    #[schemars(with = "Option<String>")]
    pub(super) top_function: Option<Spanned<String>>,
    /// Any function of the goroutine's stack (goleak's `IgnoreAnyFunction`).
    #[schemars(with = "Option<String>")]
    pub(super) any_function: Option<Spanned<String>>,
    /// The function whose `go` statement started the goroutine.
    #[schemars(with = "Option<String>")]
    pub(super) created_by: Option<Spanned<String>>,
    /// The import path of the package whose tests reported the leak.
    #[schemars(with = "Option<String>")]
    pub(super) package: Option<Spanned<String>>,
    /// The test that reported the leak, subtests as `TestX/sub`
    /// (package-level reports have no test: a rule with `test` never
    /// matches them).
    #[schemars(with = "Option<String>")]
    pub(super) test: Option<Spanned<String>>,
    /// The goroutine's state as Go prints it, without `, N minutes`
    /// (`chan receive`, `select`, `IO wait`).
    #[serde(default)]
    #[schemars(schema_with = "state_schema")]
    pub(super) state: Option<Spanned<String>>,
    /// The file of the `go` statement, relative to the repository root when
    /// inside it.
    #[schemars(with = "Option<String>")]
    pub(super) origin: Option<Spanned<String>>,
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
    pub(super) fn entries(self) -> Vec<(Field, Spanned<String>)> {
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
