//! Policy: which leaks are known (allowed) and which are new.
//!
//! A policy is the `.leakgate.yml` of the repository (see
//! `docs/policy.md`), loaded and validated by [`config`], its rules
//! compiled to sets by [`matcher`]. [`evaluate`] gives every leak report of
//! the [`Findings`] a [`LeakStatus`], and [`evaluate_full`] also says which
//! rules matched, expired or were not used. Nothing here reads input or
//! writes output; [`baseline`] only builds text for the binary to write.
//!
//! A leak report is allowed when every goroutine in it that is not a
//! test-harness goroutine ([`LeakedGoroutine::harness`]) matches an
//! unexpired rule. Harness goroutines are not leaks (goleak lists every
//! goroutine of the process under `t.Parallel`), so they need not match; a
//! report made only of harness goroutines is allowed only when rules match
//! all of them, and stays new otherwise. A report that was cut short or
//! dropped goroutines is never allowed: the goroutines not seen could be
//! anything.

pub mod baseline;
pub mod config;
pub mod matcher;

use jiff::civil::Date;

use crate::findings::{Findings, Leak, LeakedGoroutine};
use matcher::{Matcher, Scratch, Subject};

pub use config::{ConfigError, InvalidPolicy, PolicyError};

/// The file name looked up at the repository root.
pub const FILE_NAME: &str = ".leakgate.yml";

/// What the policy says about one leak report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeakStatus {
    /// Not allowed: fails the gate.
    New,
    /// Every goroutine of the report matched an allow rule.
    Allowed {
        /// The ids of the rules that matched.
        rules: Vec<String>,
    },
    /// New in the first run, gone when retried (see [`crate::retry`]).
    Flaky {
        /// The 1-based retry attempt it passed in.
        attempt: u32,
    },
}

impl LeakStatus {
    /// The name used in reports.
    pub fn name(&self) -> &'static str {
        match self {
            LeakStatus::New => "new",
            LeakStatus::Allowed { .. } => "allowed",
            LeakStatus::Flaky { .. } => "flaky",
        }
    }
}

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
    /// The whole value, character for character.
    Exact,
    /// A glob (`*`, `?`, `[...]`, `{a,b}`, `**`); it also matches its own
    /// text exactly, so Go names such as `pkg.(*T).M` or `pkg.F[...]`
    /// written as they are printed always match themselves.
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

/// One `key: value` of a rule's `match:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// What it matches.
    pub field: Field,
    /// How.
    pub kind: PatternKind,
    /// As written (regular expressions with their slashes).
    pub text: String,
}

impl Pattern {
    /// Reads a value: `/.../` is a regular expression, a value with a glob
    /// character (`*?[{`) that is a valid glob is a glob, anything else is
    /// exact. Validity of regular expressions is checked by [`config`].
    pub fn new(field: Field, text: &str) -> Pattern {
        let kind = if text.len() >= 2 && text.starts_with('/') && text.ends_with('/') {
            PatternKind::Regex
        } else if text.contains(['*', '?', '[', '{']) && matcher::glob(field, text).is_ok() {
            PatternKind::Glob
        } else {
            PatternKind::Exact
        };
        Pattern {
            field,
            kind,
            text: text.to_string(),
        }
    }
}

/// One allow rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique id, used in reports.
    pub id: String,
    /// Why the leak is acceptable.
    pub reason: String,
    /// Who answers for it.
    pub owner: Option<String>,
    /// The last day it applies.
    pub expires: Option<Date>,
    /// The library the goroutine belongs to (known-libraries entries).
    pub library: Option<String>,
    /// A public reference for why it is harmless.
    pub reference: Option<String>,
    /// Every pattern must match.
    pub patterns: Vec<Pattern>,
    /// Where it is written: the file (or `extends:` list name)…
    pub file: String,
    /// …and the line of its first key.
    pub line: u32,
    /// The `extends:` list it comes from, `None` for the policy's own.
    pub extends: Option<String>,
}

impl Rule {
    /// Whether the rule no longer applies on `today` (the expiry day itself
    /// still counts).
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| today > d)
    }

    /// `file:line`.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// A policy: rules compiled for matching. The default allows nothing.
#[derive(Debug)]
pub struct Policy {
    /// Where it came from (`None`: the embedded default).
    pub source: Option<String>,
    /// Lists pulled in with `extends:`.
    pub extends: Vec<String>,
    /// Every rule: the file's own, then those of `extends:` lists.
    pub rules: Vec<Rule>,
    /// The day expiry is judged against.
    pub today: Date,
    /// Unused rules fail the gate (`--strict`).
    pub strict: bool,
    /// The `retry:` section: which leaks to rerun, and how.
    pub retry: Option<crate::retry::RetryConfig>,
    /// The `verdict:` section: what the team declares about its output.
    pub verdict: VerdictSettings,
    matcher: Matcher,
}

/// The `verdict:` section of `.leakgate.yml`. Each setting declares
/// something the output cannot prove, so that a conditional failure
/// ([`crate::findings::Condition`]) next to an allowed leak no longer fails
/// the gate. Both are off by default: leakgate fails closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
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

impl Default for Policy {
    fn default() -> Self {
        Policy {
            source: None,
            extends: Vec::new(),
            rules: Vec::new(),
            today: today(),
            strict: false,
            retry: None,
            verdict: VerdictSettings::default(),
            matcher: Matcher::default(),
        }
    }
}

impl Clone for Policy {
    fn clone(&self) -> Self {
        // Patterns were validated when the policy was built.
        Policy::new(
            self.source.clone(),
            self.extends.clone(),
            self.rules.clone(),
            self.today,
        )
        .map(|mut p| {
            p.strict = self.strict;
            p.retry = self.retry.clone();
            p.verdict = self.verdict;
            p
        })
        .unwrap_or_default()
    }
}

/// Today's date in the system time zone.
pub fn today() -> Date {
    jiff::ZonedDateTime::now().date()
}

impl Policy {
    /// Builds a policy from rules, compiling their patterns.
    pub fn new(
        source: Option<String>,
        extends: Vec<String>,
        rules: Vec<Rule>,
        today: Date,
    ) -> Result<Policy, matcher::CompileError> {
        let patterns: Vec<&[Pattern]> = rules.iter().map(|r| r.patterns.as_slice()).collect();
        let matcher = Matcher::new(&patterns)?;
        Ok(Policy {
            source,
            extends,
            rules,
            today,
            strict: false,
            retry: None,
            verdict: VerdictSettings::default(),
            matcher,
        })
    }

    /// Whether this is the embedded default (no file).
    pub fn is_default(&self) -> bool {
        self.source.is_none()
    }
}

/// How one rule fared in a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleUsage {
    /// Goroutines its `match` matched (expired or not).
    pub matched: usize,
    /// Leak reports it helped allow.
    pub allowed_reports: usize,
    /// It has expired: its matches allowed nothing.
    pub expired: bool,
}

impl RuleUsage {
    /// Matched nothing in this run.
    pub fn unused(&self) -> bool {
        self.matched == 0
    }
}

/// The policy applied to a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// One status per leak report, parallel to `findings.leaks`.
    pub statuses: Vec<LeakStatus>,
    /// One entry per rule, parallel to `policy.rules`.
    pub usage: Vec<RuleUsage>,
    /// Per leak report: the expired rules (indices into `policy.rules`)
    /// that matched one of its goroutines and would have allowed it.
    pub expired_matches: Vec<Vec<usize>>,
}

/// One rule as reporters show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    /// The rule.
    pub rule: Rule,
    /// How it fared.
    pub usage: RuleUsage,
}

impl RuleOutcome {
    /// Whether `--strict` fails the gate for it: a rule of the policy's
    /// own (not of an `extends:` list) that matched nothing.
    pub fn strict_failure(&self) -> bool {
        self.rule.extends.is_none() && self.usage.unused()
    }
}

/// What reporters need to know of the policy after a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyOutcome {
    /// The file (`None`: the embedded default, which allows nothing).
    pub source: Option<String>,
    /// `extends:` lists.
    pub extends: Vec<String>,
    /// Whether unused rules fail the gate.
    pub strict: bool,
    /// The day expiry was judged against.
    pub today: Option<Date>,
    /// The policy's own rules, then the `extends:` rules that matched.
    pub rules: Vec<RuleOutcome>,
    /// Per leak report, parallel to `findings.leaks`: indices into `rules`
    /// of expired rules that would have allowed it.
    pub expired_matches: Vec<Vec<usize>>,
}

impl PolicyOutcome {
    /// Gathers the outcome of an evaluation.
    pub fn new(policy: &Policy, eval: &Evaluation) -> PolicyOutcome {
        let mut index = vec![usize::MAX; policy.rules.len()];
        let mut rules = Vec::new();
        for (i, (rule, usage)) in policy.rules.iter().zip(&eval.usage).enumerate() {
            if rule.extends.is_none() || !usage.unused() {
                index[i] = rules.len();
                rules.push(RuleOutcome {
                    rule: rule.clone(),
                    usage: usage.clone(),
                });
            }
        }
        let expired_matches = eval
            .expired_matches
            .iter()
            .map(|m| {
                m.iter()
                    .map(|&r| index[r])
                    .filter(|&i| i != usize::MAX)
                    .collect()
            })
            .collect();
        PolicyOutcome {
            source: policy.source.clone(),
            extends: policy.extends.clone(),
            strict: policy.strict,
            today: Some(policy.today),
            rules,
            expired_matches,
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

/// Applies the policy to every leak report, in order.
pub fn evaluate(findings: &Findings, policy: &Policy) -> Vec<LeakStatus> {
    evaluate_full(findings, policy).statuses
}

/// Applies the policy and says how every rule was used.
pub fn evaluate_full(findings: &Findings, policy: &Policy) -> Evaluation {
    let expired: Vec<bool> = policy
        .rules
        .iter()
        .map(|r| r.is_expired(policy.today))
        .collect();
    let mut usage: Vec<RuleUsage> = expired
        .iter()
        .map(|&e| RuleUsage {
            expired: e,
            ..RuleUsage::default()
        })
        .collect();
    let mut statuses = Vec::with_capacity(findings.leaks.len());
    let mut expired_matches = Vec::with_capacity(findings.leaks.len());
    let mut scratch = Scratch::default();
    for leak in &findings.leaks {
        let real = leak.goroutines.iter().any(|g| g.harness.is_none());
        let mut all_allowed = !leak.goroutines.is_empty() && !leak.truncated && leak.dropped == 0;
        let mut all_allowed_ignoring_expiry = all_allowed;
        let mut active: Vec<usize> = Vec::new();
        let mut stale: Vec<usize> = Vec::new();
        for g in &leak.goroutines {
            let hits = if policy.matcher.is_empty() {
                Vec::new()
            } else {
                policy.matcher.matching(&subject(leak, g), &mut scratch)
            };
            for &r in &hits {
                usage[r].matched += 1;
            }
            let must_match = !real || g.harness.is_none();
            let live: Vec<usize> = hits.iter().copied().filter(|&r| !expired[r]).collect();
            if must_match {
                if live.is_empty() {
                    all_allowed = false;
                }
                if hits.is_empty() {
                    all_allowed_ignoring_expiry = false;
                }
            }
            active.extend(live);
            stale.extend(hits.iter().copied().filter(|&r| expired[r]));
        }
        active.sort_unstable();
        active.dedup();
        stale.sort_unstable();
        stale.dedup();
        if all_allowed {
            for &r in &active {
                usage[r].allowed_reports += 1;
            }
            statuses.push(LeakStatus::Allowed {
                rules: active.iter().map(|&r| policy.rules[r].id.clone()).collect(),
            });
            expired_matches.push(Vec::new());
        } else {
            statuses.push(LeakStatus::New);
            expired_matches.push(if all_allowed_ignoring_expiry {
                stale
            } else {
                Vec::new()
            });
        }
    }
    Evaluation {
        statuses,
        usage,
        expired_matches,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pattern_kinds() {
        let k = |t: &str| Pattern::new(Field::TopFunction, t).kind;
        assert_eq!(k("main.worker"), PatternKind::Exact);
        assert_eq!(
            k("go.opencensus.io/stats/view.(*worker).start"),
            PatternKind::Glob
        );
        assert_eq!(k("example.com/m.*"), PatternKind::Glob);
        assert_eq!(k("pkg.F[...]"), PatternKind::Glob);
        assert_eq!(k("pkg.F["), PatternKind::Exact);
        assert_eq!(k("/^net\\//"), PatternKind::Regex);
        assert_eq!(k("/"), PatternKind::Exact);
    }

    #[test]
    fn expiry_day_still_applies() {
        let rule = Rule {
            id: "a".into(),
            reason: "r".into(),
            owner: None,
            expires: Some(jiff::civil::date(2027, 3, 31)),
            library: None,
            reference: None,
            patterns: vec![],
            file: "f".into(),
            line: 1,
            extends: None,
        };
        assert!(!rule.is_expired(jiff::civil::date(2027, 3, 31)));
        assert!(rule.is_expired(jiff::civil::date(2027, 4, 1)));
    }
}
