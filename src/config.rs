//! Settings as plain data: the sections of `.leakgate.yml` that other
//! stages read (`retry:`, `verdict:`, `dumps:`), with their defaults, and
//! how a flag given on the command line updates them. [`crate::policy`]
//! loads them; [`crate::retry`], [`crate::verdict`] and [`crate::dump`]
//! read them. Nothing here matches, runs or judges.

use std::time::Duration;

use serde::Deserialize;

/// What a leak that disappeared on retry does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FlakyMode {
    /// A flaky leak does not fail the gate (it is reported).
    #[default]
    Pass,
    /// A flaky leak fails the gate too.
    Fail,
}

impl FlakyMode {
    /// The name used in configuration and reports.
    pub fn name(self) -> &'static str {
        match self {
            FlakyMode::Pass => "pass",
            FlakyMode::Fail => "fail",
        }
    }
}

/// `retry.when`: which leaked goroutines are worth a retry, instead of
/// the default classifier. Every key given must match, as in allow rules:
/// `state` is a list of wait reasons; `top_function`, `any_function`,
/// `created_by`, `package` and `test` are values (exact, glob or
/// `/regex/`), matched the way allow rules match them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Goroutine states (the status without `, N minutes`, e.g. `runnable`,
    /// `sleep`, `chan receive`) that are retryable.
    #[serde(default)]
    #[schemars(schema_with = "states_schema")]
    pub state: Vec<String>,
    /// The function on top of the stack.
    pub top_function: Option<String>,
    /// Any function of the stack.
    pub any_function: Option<String>,
    /// The function whose `go` statement started it.
    pub created_by: Option<String>,
    /// The package whose test reported it.
    pub package: Option<String>,
    /// The test that reported it.
    pub test: Option<String>,
}

impl When {
    /// The function and package patterns, as allow-rule patterns.
    pub fn patterns(&self) -> Vec<crate::matching::Pattern> {
        use crate::matching::{Field, Pattern};
        [
            (Field::TopFunction, &self.top_function),
            (Field::AnyFunction, &self.any_function),
            (Field::CreatedBy, &self.created_by),
            (Field::Package, &self.package),
            (Field::Test, &self.test),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.as_deref().map(|v| Pattern::new(f, v)))
        .collect()
    }
}

/// The `retry:` section of `.leakgate.yml`.
///
/// ```yaml
/// retry:
///   attempts: 2          # extra runs at most, per failing test or package
///   when:                # default: the classifier (classify.rs)
///     state: [runnable, running]
///   flaky: pass          # pass | fail
///   timeout: 5m          # per rerun
///   command: go test -json -count={count} {run} {package}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(
    description = "How leaks worth another try are rerun: how often, which goroutines, with which command, and what a leak that disappears does to the verdict."
)]
pub struct RetryConfig {
    /// Extra runs at most, per test or package (0: never).
    pub attempts: u32,
    /// Which goroutines are retryable; `None`: [`classify::classify`].
    #[schemars(
        description = "Which leaked goroutines are worth a rerun; every key given must match. Default: the startup-phase classifier (see docs/retries.md)."
    )]
    pub when: Option<When>,
    /// What a leak that disappeared on retry does to the verdict.
    pub flaky: FlakyMode,
    /// Time limit of one rerun (`5m`, `90s`).
    #[serde(deserialize_with = "duration")]
    #[schemars(with = "String", example = "5m", example = "90s", extend("default" = "5m"))]
    pub timeout: Duration,
    /// The rerun command, a template with `{run}` (`-run` and the tests
    /// that led to the report, nothing for a whole package), `{count}`,
    /// `{package}` and `{test}` (the reporting test). `None`: `leakgate
    /// run` reruns the user's own `go test` command line, `check` its
    /// `--test-command`, else [`rerun::DEFAULT_COMMAND`] in the package's
    /// module directory (and says so).
    #[schemars(
        description = "The rerun command, a template: `{run}` (`-run` and the tests that led to the report; nothing for a whole package), `{count}`, `{package}` and `{test}` (the reporting test). Default: `leakgate run` reruns its own `go test` command line, `leakgate check` its `--test-command`, else `go test -json -count={count} {run} {package}` in the package's module directory.",
        example = "go test -json -race -count={count} {run} {package}"
    )]
    pub command: Option<String>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            attempts: 2,
            when: None,
            flaky: FlakyMode::Pass,
            timeout: Duration::from_secs(5 * 60),
            command: None,
        }
    }
}

fn states_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": { "enum": crate::matching::states::KNOWN },
    })
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Parses `5m`, `90s`, `1h 30m`, `1.5h`, `2d` (jiff's friendly format; a
/// day is 24 hours).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = |why: &dyn std::fmt::Display| {
        format!("invalid duration {text:?}: {why} (examples: 90s, 5m, 1h)")
    };
    let span = jiff::fmt::friendly::SpanParser::new()
        .parse_span(text.trim())
        .map_err(|e| invalid(&e))?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(invalid(
            &"months and years have no fixed length; give days or hours",
        ));
    }
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| invalid(&e))?;
    Duration::try_from(d).map_err(|_| invalid(&"a duration cannot be negative"))
}

/// The `verdict:` section of `.leakgate.yml`. Each setting declares
/// something the output cannot prove, so that a conditional failure
/// ([`crate::findings::Condition`]) next to an allowed leak no longer fails
/// the gate. Both are off by default: leakgate fails closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    description = "What the verdict may assume where the output cannot tell: each setting lets a failure that only may be a consequence of an allowed leak stop failing the gate. All off by default: leakgate fails closed."
)]
pub struct VerdictSettings {
    /// `file_test.go:12: …` lines that a test with allowed leaks printed,
    /// and a failed package's output outside any test, are logs (`t.Log`,
    /// TestMain's progress), not failures. Needed only where the format
    /// cannot tell (everything but Go 1.27+ `go test -json`).
    #[serde(default)]
    pub messages_are_logs: bool,
    /// The runs judged never use `go test -failfast`, so a failed test
    /// never keeps later tests from running. (`leakgate run` knows its own
    /// command and needs no setting.)
    #[serde(default)]
    pub no_failfast: bool,
    /// No test returns early when a subtest fails
    /// (`if !t.Run(…) { return }`), so a failed subtest never keeps its
    /// parent's later subtests from running.
    #[serde(default)]
    pub subtests_never_return_early: bool,
}

impl VerdictSettings {
    /// Whether the settings declare failures of this condition harmless.
    pub fn waives(&self, condition: crate::findings::Condition) -> bool {
        match condition.setting() {
            Some("messages_are_logs") => self.messages_are_logs,
            Some("no_failfast") => self.no_failfast,
            Some("subtests_never_return_early") => self.subtests_never_return_early,
            _ => false,
        }
    }
}

/// The `dumps:` section of `.leakgate.yml`: how much growth fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DumpSettings {
    /// A group fails when it grew by more than this many goroutines...
    pub grow_by: u64,
    /// ...and by more than this percentage of its count before (a group
    /// that was not there before always passes this one).
    pub grow_percent: u64,
}

impl Default for DumpSettings {
    fn default() -> Self {
        DumpSettings {
            grow_by: 5,
            grow_percent: 10,
        }
    }
}

impl DumpSettings {
    /// Settings layered: each flag given replaces the file's value.
    pub fn update(&mut self, grow_by: Option<u64>, grow_percent: Option<u64>) {
        if let Some(n) = grow_by {
            self.grow_by = n;
        }
        if let Some(p) = grow_percent {
            self.grow_percent = p;
        }
    }

    /// Whether growth from `before` to `after` is more than both thresholds.
    pub fn exceeded(&self, before: u64, after: u64) -> bool {
        let grew = after.saturating_sub(before);
        grew > self.grow_by
            && (before == 0 || grew.saturating_mul(100) > self.grow_percent.saturating_mul(before))
    }
}
