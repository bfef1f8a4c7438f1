//! Policy: which leaks are known (allowed) and which are new.
//!
//! A policy is the `.leakgate.yml` of the repository (see
//! `docs/policy.md`), loaded and validated by [`config`], its rules
//! compiled to sets by [`matcher`]. [`evaluate`] says of every distinct
//! leak ([`crate::findings::DistinctLeak`], by its [`LeakKey`]) whether it
//! is allowed, by which rules, and which expired rules would have allowed
//! it; and how every rule was used. Nothing here reads input or writes
//! output; [`baseline`] only builds text for the binary to write.
//!
//! The unit is the distinct leak, not the report that shows it: with two
//! leaks in one `VerifyTestMain` report and one rule expired, only the
//! leak of that rule is new. Goroutines a report did not show are a
//! failure of their own, never allowed.

pub mod baseline;
pub mod config;

// The matching language is shared with `retry.when`; it lives in
// `crate::matching` and is re-exported here.
pub use crate::matching::*;
pub use crate::matching::{matcher, states};

use jiff::civil::Date;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::findings::{Findings, LeakKey};
use matcher::{Matcher, Scratch};

pub use config::{ConfigError, InvalidPolicy, PolicyError};

/// The file name looked up at the repository root.
pub const FILE_NAME: &str = ".leakgate.yml";

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
    pub retry: Option<crate::config::RetryConfig>,
    /// The `verdict:` section: what the team declares about its output.
    pub verdict: VerdictSettings,
    /// The `dumps:` section: growth thresholds of `leakgate diff`.
    pub dumps: Option<crate::config::DumpSettings>,
    /// What `config check` warns about: rules that match any package,
    /// globs written without `glob:`.
    pub warnings: Vec<ConfigError>,
    matcher: Matcher,
}

pub use crate::config::VerdictSettings;

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
            dumps: None,
            warnings: Vec::new(),
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
            p.warnings = self.warnings.clone();
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
            dumps: None,
            warnings: Vec::new(),
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
    /// Distinct leaks it helped allow.
    pub allowed_leaks: usize,
    /// Leak reports in which it helped allow a leak.
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

/// What the policy says of one distinct leak.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowance {
    /// Every goroutine of it that had to match a rule in force did:
    /// allowed.
    pub allowed: bool,
    /// Ids of the rules in force that matched its goroutines.
    pub rules: Vec<String>,
    /// Ids of expired rules that matched it and would have allowed it
    /// (empty when it is allowed).
    pub expired: Vec<String>,
}

/// The policy applied to a run: one [`Allowance`] per distinct leak, by
/// key, and how every rule was used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// Per distinct leak.
    pub leaks: FxHashMap<LeakKey, Allowance>,
    /// One entry per rule, parallel to `policy.rules`.
    pub usage: Vec<RuleUsage>,
}

impl Evaluation {
    /// The allowance of a distinct leak (`None`: the policy never saw it;
    /// it is new).
    pub fn of(&self, key: &LeakKey) -> Option<&Allowance> {
        self.leaks.get(key)
    }
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
}

impl PolicyOutcome {
    /// Gathers the outcome of an evaluation.
    pub fn new(policy: &Policy, eval: &Evaluation) -> PolicyOutcome {
        let mut rules = Vec::new();
        for (rule, usage) in policy.rules.iter().zip(&eval.usage) {
            if rule.extends.is_none() || !usage.unused() {
                rules.push(RuleOutcome {
                    rule: rule.clone(),
                    usage: usage.clone(),
                });
            }
        }
        PolicyOutcome {
            source: policy.source.clone(),
            extends: policy.extends.clone(),
            strict: policy.strict,
            today: Some(policy.today),
            rules,
        }
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&RuleOutcome> {
        self.rules.iter().find(|r| r.rule.id == id)
    }
}

impl Policy {
    /// The ids of the rules in force (not expired) that match a subject
    /// (for goroutines that are not a test's leak report: dumps).
    pub fn matching(
        &self,
        subject: &crate::matching::matcher::Subject<'_>,
        scratch: &mut Scratch,
    ) -> Vec<String> {
        if self.matcher.is_empty() {
            return Vec::new();
        }
        self.matcher
            .matching(subject, scratch)
            .into_iter()
            .filter(|&r| !self.rules[r].is_expired(self.today))
            .map(|r| self.rules[r].id.clone())
            .collect()
    }
}

/// A distinct leak as the policy sees it while reading the reports.
#[derive(Default)]
struct Seen {
    /// A goroutine of it had to match and did not match a rule in force.
    unallowed: bool,
    /// …and did not match any rule, expired or not.
    unmatched: bool,
    /// Rules in force and expired rules that matched it.
    active: Vec<usize>,
    stale: Vec<usize>,
}

/// Applies the policy to every distinct leak and says how every rule was
/// used.
///
/// A distinct leak is allowed when every goroutine of it that must match
/// does match a rule in force. Every goroutine must, except a test-harness
/// goroutine ([`LeakedGoroutine::harness`]) in a report that also shows a
/// real leak: goleak lists every goroutine of the process under
/// `t.Parallel`, so those are not leaks. A report made only of harness
/// goroutines proves nothing of the kind, and its goroutines must match.
/// Goroutines a report did not show (cut short, dropped past its limit)
/// are not judged here: they are a failure of their own
/// ([`crate::findings::FailureKind::Leak`]), never allowed.
pub fn evaluate(findings: &Findings, policy: &Policy) -> Evaluation {
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
    let mut seen: FxHashMap<&str, Seen> = FxHashMap::default();
    // Each report with the rules in force that matched in it.
    let mut in_reports: Vec<(&crate::findings::Leak, FxHashSet<usize>)> =
        Vec::with_capacity(findings.leaks.len());
    let mut scratch = Scratch::default();
    for leak in &findings.leaks {
        let real = leak.goroutines.iter().any(|g| g.harness.is_none());
        let mut used: FxHashSet<usize> = FxHashSet::default();
        for g in &leak.goroutines {
            let hits = if policy.matcher.is_empty() {
                Vec::new()
            } else {
                policy.matcher.matching(&subject(leak, g), &mut scratch)
            };
            for &r in &hits {
                usage[r].matched += 1;
            }
            let s = seen.entry(g.fingerprint.as_str()).or_default();
            let must_match = !real || g.harness.is_none();
            let live: Vec<usize> = hits.iter().copied().filter(|&r| !expired[r]).collect();
            if must_match {
                if live.is_empty() {
                    s.unallowed = true;
                }
                if hits.is_empty() {
                    s.unmatched = true;
                }
            }
            used.extend(live.iter().copied());
            s.active.extend(live);
            s.stale.extend(hits.iter().copied().filter(|&r| expired[r]));
        }
        in_reports.push((leak, used));
    }
    let mut leaks = FxHashMap::default();
    for (fingerprint, mut s) in seen {
        s.active.sort_unstable();
        s.active.dedup();
        s.stale.sort_unstable();
        s.stale.dedup();
        let allowed = !s.unallowed;
        if allowed {
            for &r in &s.active {
                usage[r].allowed_leaks += 1;
            }
        }
        let ids = |v: &[usize]| -> Vec<String> {
            v.iter().map(|&r| policy.rules[r].id.clone()).collect()
        };
        leaks.insert(
            LeakKey(fingerprint.to_string()),
            Allowance {
                allowed,
                rules: ids(&s.active),
                expired: if !allowed && !s.unmatched {
                    ids(&s.stale)
                } else {
                    Vec::new()
                },
            },
        );
    }
    // A report's rules helped allow it when a leak it shows is allowed.
    for (leak, used) in &in_reports {
        let helped = leak.goroutines.iter().any(|g| {
            leaks
                .get(&LeakKey::of(g))
                .is_some_and(|a: &Allowance| a.allowed)
        });
        if helped {
            for &r in used.iter() {
                usage[r].allowed_reports += 1;
            }
        }
    }
    Evaluation { leaks, usage }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::matching::matcher::Subject;

    #[test]
    fn pattern_kinds() {
        let k = |t: &str| Pattern::new(Field::TopFunction, t).kind;
        assert_eq!(k("main.worker"), PatternKind::Exact);
        // Go names as printed are exact: their `*` and `[...]` are part of
        // the name.
        assert_eq!(
            k("go.opencensus.io/stats/view.(*worker).start"),
            PatternKind::Exact
        );
        assert_eq!(k("pkg.F[...]"), PatternKind::Exact);
        assert_eq!(k("pkg.(*List[...]).Push"), PatternKind::Exact);
        assert_eq!(
            k("pkg.Map[go.shape.int,go.shape.*uint8].Get"),
            PatternKind::Exact
        );
        assert_eq!(k("glob:example.com/m.*"), PatternKind::Glob);
        assert_eq!(k("exact:example.com/m.*"), PatternKind::Exact);
        assert_eq!(k("/^net\\//"), PatternKind::Regex);
        assert_eq!(k("/"), PatternKind::Exact);
        // The old spelling of a glob, where it cannot be a Go name.
        let p = Pattern::new(Field::CreatedBy, "example.com/m.*");
        assert_eq!((p.kind, p.implicit), (PatternKind::Glob, true));
        assert_eq!(p.body(), "example.com/m.*");
        let p = Pattern::new(Field::Package, "example.com/m/**");
        assert_eq!((p.kind, p.implicit), (PatternKind::Glob, true));
        assert_eq!(
            Pattern::new(Field::Test, "TestSort/[3_1_2]").kind,
            PatternKind::Exact
        );
        assert_eq!(Pattern::new(Field::Test, "TestX/*").kind, PatternKind::Glob);
        assert_eq!(
            Pattern::new(Field::Test, "Test{A,B}").kind,
            PatternKind::Glob
        );
        assert_eq!(
            Pattern::new(Field::Origin, "internal/*.go").kind,
            PatternKind::Glob
        );
        assert_eq!(Pattern::new(Field::CreatedBy, "glob:a.*").body(), "a.*");
        assert_eq!(Pattern::new(Field::CreatedBy, "exact:a.*").body(), "a.*");
        assert_eq!(Pattern::new(Field::CreatedBy, "/a/").body(), "a");
    }

    #[test]
    fn pattern_mistakes() {
        let e = |f, t: &str| Pattern::parse(f, t).unwrap_err();
        assert_eq!(e(Field::TopFunction, ""), PatternError::Empty);
        assert_eq!(e(Field::TopFunction, "glob:"), PatternError::Empty);
        assert_eq!(e(Field::TopFunction, "exact:"), PatternError::Empty);
        assert_eq!(e(Field::TopFunction, "//"), PatternError::EmptyRegex);
        assert!(matches!(
            e(Field::TopFunction, "/(/"),
            PatternError::InvalidRegex(_)
        ));
        assert!(matches!(
            e(Field::Package, "example.com/{a"),
            PatternError::InvalidGlob(_)
        ));
        assert!(matches!(
            e(Field::CreatedBy, "glob:a.{b"),
            PatternError::InvalidGlob(_)
        ));
    }

    #[test]
    fn go_names() {
        for name in [
            "main.worker",
            "pkg.(*Pool).run",
            "pkg.Pool.run",
            "pkg.(*List[...]).Push",
            "pkg.List[...].Push",
            "pkg.Map[go.shape.int,go.shape.string].Get",
            "pkg.F[go.shape.struct { X int }]",
            "pkg.F.func1",
            "pkg.(*T).m.gowrap2",
            "pkg.(*T).M-fm",
            "example.com/a.b/v2/pkg.(*T).run.func1.1",
            "gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun",
        ] {
            assert!(is_go_name(name), "{name}");
            assert_eq!(
                Pattern::new(Field::TopFunction, name).kind,
                PatternKind::Exact,
                "{name}"
            );
        }
        for glob in [
            "pkg.*",
            "pkg.(*T).*",
            "pkg/*.run",
            "pkg.(*T*).run",
            "pkg.[ab]",
            "pkg.F]",
            "pkg.F[",
            "pkg.{a,b}",
            "pkg.Ru?",
            "*",
        ] {
            assert!(!is_go_name(glob), "{glob}");
        }
    }

    /// The bug: a Go name as printed, read as a glob, allowed other
    /// functions' leaks.
    #[test]
    fn a_go_name_matches_only_itself() {
        let rules = [
            vec![Pattern::new(Field::TopFunction, "pkg.(*Pool).run")],
            vec![Pattern::new(Field::TopFunction, "pkg.(*List[...]).Push")],
        ];
        let refs: Vec<&[Pattern]> = rules.iter().map(|r| r.as_slice()).collect();
        let m = Matcher::new(&refs).unwrap();
        let hit = |f: &str| {
            m.matching(
                &Subject {
                    top_function: Some(f),
                    ..Subject::default()
                },
                &mut Scratch::default(),
            )
        };
        assert_eq!(hit("pkg.(*Pool).run"), vec![0]);
        assert_eq!(hit("pkg.(*ConnPool).run"), Vec::<usize>::new());
        assert_eq!(hit("pkg.(Pool).run"), Vec::<usize>::new());
        assert_eq!(hit("pkg.(*List[...]).Push"), vec![1]);
        assert_eq!(hit("pkg.(*List.).Push"), Vec::<usize>::new());
        assert_eq!(hit("pkg.(*BigList[...]).Push"), Vec::<usize>::new());
    }

    /// What docs/policy.md says of escapes: `glob:pkg.(\*Pool).*` is every
    /// method of `*Pool`, and only of `*Pool`.
    #[test]
    fn glob_escapes() {
        for text in ["glob:pkg.(\\*Pool).*", "glob:pkg.\\(\\*Pool\\).*"] {
            let rules = [vec![Pattern::parse(Field::TopFunction, text).unwrap()]];
            let refs: Vec<&[Pattern]> = rules.iter().map(|r| r.as_slice()).collect();
            let m = Matcher::new(&refs).unwrap();
            let hit = |f: &str| {
                !m.matching(
                    &Subject {
                        top_function: Some(f),
                        ..Subject::default()
                    },
                    &mut Scratch::default(),
                )
                .is_empty()
            };
            assert!(hit("pkg.(*Pool).run"), "{text}");
            assert!(hit("pkg.(*Pool).run.func1"), "{text}");
            assert!(!hit("pkg.(*ConnPool).run"), "{text}");
            assert!(!hit("pkg.(xPool).run"), "{text}");
        }
    }

    #[test]
    fn literal_values_read_back_exactly() {
        for (f, v) in [
            (Field::TopFunction, "pkg.(*Pool).run"),
            (Field::TopFunction, "pkg.*"),
            (Field::Package, "example.com/a.b/v2/pkg"),
            (Field::Test, "TestX/*"),
            (Field::Test, "/x/"),
            (Field::CreatedBy, "glob:x"),
        ] {
            let written = Pattern::literal(f, v);
            let p = Pattern::parse(f, &written).unwrap();
            assert_eq!((p.kind, p.body()), (PatternKind::Exact, v), "{written}");
        }
        assert_eq!(
            Pattern::literal(Field::TopFunction, "pkg.(*Pool).run"),
            "pkg.(*Pool).run"
        );
        assert_eq!(Pattern::literal(Field::TopFunction, "pkg.*"), "exact:pkg.*");
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
