//! Planning: which tests or packages rerun, for which new leaks, and how
//! (target, command, directory, environment), decided before anything
//! runs.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use rustc_hash::FxHashSet;

use crate::findings::{FailureKind, Findings, Leak, LeakKey, LeakedGoroutine};

use super::classify::{self, Class};
use super::rerun::{self, Selection, Target};
use super::*;

impl When {
    /// Classifies one goroutine of `leak` by this rule.
    pub fn classify(&self, leak: &Leak, g: &LeakedGoroutine) -> Class {
        let state_ok = self.state.is_empty() || self.state.contains(&g.goroutine.state.status);
        let patterns = self.patterns();
        let functions_ok = patterns.is_empty()
            || crate::matching::matcher::Matcher::new(&[patterns.as_slice()])
                .map(|m| {
                    let s = crate::matching::subject(leak, g);
                    !m.matching(&s, &mut Default::default()).is_empty()
                })
                .unwrap_or(false);
        if state_ok && functions_ok {
            Class {
                retryable: true,
                rule: "retry.when",
                reason: "it matches retry.when",
            }
        } else {
            Class {
                retryable: false,
                rule: "retry.when",
                reason: "it does not match retry.when",
            }
        }
    }
}

impl RetryConfig {
    /// Classifies one goroutine of `leak` under this configuration.
    pub fn classify(&self, leak: &Leak, g: &LeakedGoroutine) -> Class {
        match &self.when {
            Some(w) => w.classify(leak, g),
            None => classify::classify(&g.goroutine),
        }
    }
}

/// Where reruns run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RerunDir {
    /// The first run's directory (`leakgate run`, `check --test-command`).
    Fixed(PathBuf),
    /// The directory of the Go module that holds the package, found among
    /// `modules` (module path, directory relative to `root`) under the
    /// repository root; `fallback` when none does.
    ModuleOf {
        /// The repository root.
        root: PathBuf,
        /// [`crate::paths::Repo::modules`].
        modules: Vec<(String, String)>,
        /// Otherwise.
        fallback: PathBuf,
    },
}

impl RerunDir {
    /// The directory a rerun of `package` runs in.
    pub fn for_package(&self, package: &str) -> PathBuf {
        match self {
            RerunDir::Fixed(d) => d.clone(),
            RerunDir::ModuleOf {
                root,
                modules,
                fallback,
            } => modules
                .iter()
                .find(|(m, _)| {
                    package == m
                        || package
                            .strip_prefix(m.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                })
                .map_or_else(|| fallback.clone(), |(_, dir)| root.join(dir)),
        }
    }
}

/// How a rerun's command line is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// The user's own `go test …` command line.
    GoTest(Vec<String>),
    /// A `retry.command` template.
    Template(String),
}

impl Base {
    /// The command for one target.
    pub fn command(&self, target: &Target) -> Result<Vec<String>, rerun::RerunError> {
        match self {
            Base::GoTest(argv) => rerun::from_go_test(argv, target),
            Base::Template(t) => rerun::from_template(t, target),
        }
    }

    fn shuffles(&self) -> bool {
        match self {
            Base::GoTest(argv) => rerun::uses_shuffle(argv),
            Base::Template(t) => shlex::split(t).is_some_and(|w| rerun::uses_shuffle(&w)),
        }
    }

    fn dropped(&self) -> Vec<String> {
        match self {
            Base::GoTest(argv) => rerun::dropped_outputs(argv),
            Base::Template(_) => Vec::new(),
        }
    }
}

/// How reruns repeat the first run: the command, its directory and its
/// environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The command.
    pub command: Base,
    /// Where it runs; `None`: the [`Runner`]'s own directory.
    pub dir: Option<RerunDir>,
    /// Variables set on top of leakgate's own environment (which reruns
    /// inherit, as the first run's command did).
    pub env: Vec<(String, String)>,
    /// What had to be assumed because the first run's command is not
    /// known; shown with every plan.
    pub assumed: Option<String>,
}

impl Invocation {
    /// `command`, run in the runner's directory, nothing assumed.
    pub fn new(command: Base) -> Invocation {
        Invocation {
            command,
            dir: None,
            env: Vec::new(),
            assumed: None,
        }
    }
}

/// A rerun, decided before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rerun {
    /// What it reruns.
    pub target: Target,
    /// The command line.
    pub argv: Vec<String>,
    /// Its working directory; `None`: the [`Runner`]'s own.
    pub dir: Option<PathBuf>,
    /// Variables set for it on top of leakgate's environment.
    pub env: Vec<(String, String)>,
    /// Top-level tests it must run (each `target.count()` times) for an
    /// attempt to tell anything: those of the first run that led to the
    /// report.
    pub must_run: Vec<String>,
    /// Why it is rerun, and why this way.
    pub why: String,
}

/// What retrying does for one test or package: decided by [`plan`]
/// before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Rerun it.
    Rerun(Rerun),
    /// Do not.
    Skip {
        /// Why not.
        why: String,
    },
}

type Key = (Option<String>, Option<String>);

fn key(l: &Leak) -> Key {
    (l.package.clone(), l.test.clone())
}

/// Top-level tests of each package run (input, run): (start order, name,
/// attempt), in order of start.
type RunTests = HashMap<(usize, u32), Vec<(u64, String, u32)>>;

fn top_level_tests(findings: &Findings, wanted: &BTreeSet<(usize, u32)>) -> Option<RunTests> {
    let mut out: RunTests = HashMap::new();
    if wanted.is_empty() {
        return Some(out);
    }
    for t in findings.all_tests() {
        let t = t.ok()?;
        let run = (t.node.input, t.node.run);
        if !wanted.contains(&run) || t.test.contains('/') {
            continue;
        }
        out.entry(run)
            .or_default()
            .push((t.seq, t.test.to_string(), t.node.attempt));
    }
    for tests in out.values_mut() {
        tests.sort();
    }
    Some(out)
}

/// More top-level tests than this before the report: rerun the package.
const MAX_SELECTED_TESTS: usize = 200;

/// What a rerun of a test's report must run, and why.
fn choose_target(
    package: &str,
    test: Option<&str>,
    leaks: &[&Leak],
    tests: Option<&RunTests>,
    base: &Invocation,
) -> (Target, Vec<String>, String) {
    let first = leaks[0];
    let run = (first.node.input, first.node.run);
    let ran: Vec<String> = tests
        .and_then(|t| t.get(&run))
        .map(|t| {
            let mut names: Vec<String> = Vec::new();
            for (_, n, _) in t {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
            names
        })
        .unwrap_or_default();
    // A whole package runs as many times as what led to the report: up to
    // the reporting test's attempt, or every run of a -count loop for a
    // package-level check.
    let count = match test {
        Some(_) => first.node.attempt.max(1),
        None => tests
            .and_then(|t| t.get(&run))
            .and_then(|t| t.iter().map(|(_, _, a)| *a).max())
            .unwrap_or(1)
            .max(1),
    };
    let whole = |why: String| {
        (
            Target {
                package: package.to_string(),
                reporter: test.map(str::to_string),
                selection: Selection::Package { count },
            },
            ran.clone(),
            why,
        )
    };
    let Some(test) = test else {
        return whole(
            "a package-level check runs after every test of the package: the whole package reruns"
                .to_string(),
        );
    };
    let origins: Vec<(classify::Origin, String)> = leaks
        .iter()
        .flat_map(|l| l.real_goroutines().map(|g| classify::origin(l, g)))
        .collect();
    let from = origins
        .iter()
        .find(|(o, _)| *o != classify::Origin::ReportingTest)
        .or_else(|| origins.first())
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| "only test-harness goroutines".to_string());
    if base.command.shuffles() {
        return whole(format!(
            "{from}; the run shuffled its tests (-shuffle), an order a rerun of fewer tests cannot repeat: the whole package reruns"
        ));
    }
    if leaks
        .iter()
        .any(|l| l.goroutines.iter().any(|g| g.harness.is_some()))
    {
        return whole(format!(
            "{from}; tests ran in parallel (t.Parallel goroutines in the report), so tests that started later may have started it: the whole package reruns"
        ));
    }
    let top = test.split('/').next().unwrap_or(test);
    let attempt = first.node.attempt.max(1);
    let Some(list) = tests.and_then(|t| t.get(&run)) else {
        return whole(format!(
            "{from}; the run's test order is not known: the whole package reruns"
        ));
    };
    let Some(&(at, _, _)) = list
        .iter()
        .find(|(_, n, a)| n == top && *a == attempt)
        .or_else(|| list.iter().rev().find(|(_, n, _)| n == top))
    else {
        return whole(format!(
            "{from}; {top} is not among the run's tests: the whole package reruns"
        ));
    };
    let mut names: Vec<String> = Vec::new();
    for (seq, n, _) in list {
        if *seq <= at && !names.contains(n) {
            names.push(n.clone());
        }
    }
    for (o, s) in &origins {
        if let classify::Origin::OtherTest(t) = o {
            if !names.contains(t) {
                return whole(format!(
                    "{s}, which started after the reporting test: the whole package reruns"
                ));
            }
        }
    }
    if names.len() > MAX_SELECTED_TESTS {
        return whole(format!(
            "{from}; {} tests ran up to {top}: the whole package reruns",
            names.len()
        ));
    }
    let what = match names.len() {
        1 => format!("{top}, the first test of its run, reruns"),
        n => format!("the {n} tests that ran up to and including {top} rerun"),
    };
    let count = if attempt > 1 {
        format!(" with -count={attempt} (it reported in run {attempt} of its -count loop)")
    } else {
        String::new()
    };
    (
        Target {
            package: package.to_string(),
            reporter: Some(test.to_string()),
            selection: Selection::Tests {
                tests: names.clone(),
                count: attempt,
            },
        },
        names,
        format!("{from}; {what}{count}"),
    )
}

/// Decides, for every test or package that first reported a new distinct
/// leak (`new`), whether and how it is rerun. Records come in the order of
/// their first report. A test or package is rerun when every new leak it
/// reported first is retryable: one that is not fails the gate whatever a
/// rerun shows.
pub fn plan(
    findings: &Findings,
    new: &FxHashSet<LeakKey>,
    config: &RetryConfig,
    base: &Invocation,
) -> Vec<RetryRecord> {
    // Who reported each new leak, not only listing it again after another
    // test of the same binary did: (package, test). A leak reported in
    // several packages is rerun in each.
    let mut homes: HashMap<&str, Vec<Key>> = HashMap::new();
    let mut counted: FxHashSet<(usize, u32, u64)> = FxHashSet::default();
    for leak in &findings.leaks {
        for g in &leak.goroutines {
            let first = g.goroutine.id == 0
                || counted.insert((leak.node.input, leak.node.run, g.goroutine.id));
            if first && new.contains(&LeakKey::of(g)) {
                let k = key(leak);
                let v = homes.entry(g.fingerprint.as_str()).or_default();
                if !v.contains(&k) {
                    v.push(k);
                }
            }
        }
    }
    let is_home =
        |fingerprint: &str, k: &Key| homes.get(fingerprint).is_some_and(|v| v.contains(k));
    // Groups in order of their first report, each with every report of
    // its test or package and its leaks in order of first sighting.
    let all_homes: BTreeSet<&Key> = homes.values().flatten().collect();
    let mut groups: Vec<(Key, Vec<&Leak>, Vec<LeakKey>)> = Vec::new();
    for leak in &findings.leaks {
        let k = key(leak);
        if !all_homes.contains(&k) {
            continue;
        }
        let i = match groups.iter().position(|(g, _, _)| *g == k) {
            Some(i) => i,
            None => {
                groups.push((k.clone(), Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        let (_, reports, keys) = &mut groups[i];
        reports.push(leak);
        for g in &leak.goroutines {
            if is_home(&g.fingerprint, &k) && !keys.iter().any(|x| x.0 == g.fingerprint) {
                keys.push(LeakKey::of(g));
            }
        }
    }
    let runs: BTreeSet<(usize, u32)> = groups
        .iter()
        .filter_map(|(_, reports, _)| reports.first())
        .map(|l| (l.node.input, l.node.run))
        .collect();
    let tests = if config.attempts > 0 {
        top_level_tests(findings, &runs)
    } else {
        None
    };
    let mut records = Vec::new();
    for ((package, test), reports, keys) in groups {
        let leaks: Vec<RetriedLeak> = keys
            .into_iter()
            .map(|k| classify_leak(&reports, k, config))
            .collect();
        let (plan, because) = decide(
            findings,
            &package,
            test.as_deref(),
            &reports,
            &leaks,
            config,
            base,
            tests.as_ref(),
        );
        let leaks = explain(leaks, &plan, &because);
        records.push(RetryRecord {
            package,
            test,
            leaks,
            reports: reports.iter().map(|l| ReportKey::of(l)).collect(),
            plan,
            attempts: Vec::new(),
            interrupted: false,
        });
    }
    records
}

/// Whether one distinct leak's own goroutines (in its reporter's reports)
/// are worth a rerun, and why.
fn classify_leak(reports: &[&Leak], key: LeakKey, config: &RetryConfig) -> RetriedLeak {
    let mut rules: Vec<&'static str> = Vec::new();
    for l in reports {
        for g in l.real_goroutines().filter(|g| g.fingerprint == key.0) {
            let c = config.classify(l, g);
            if !c.retryable {
                return RetriedLeak {
                    why: format!(
                        "goroutine {} [{}] is not retryable ({}: {})",
                        g.goroutine.id, g.goroutine.state.raw, c.rule, c.reason
                    ),
                    key,
                    retryable: false,
                };
            }
            if !rules.contains(&c.rule) {
                rules.push(c.rule);
            }
        }
    }
    let why = if rules.is_empty() {
        "only test-harness goroutines: the test alone may not leak".to_string()
    } else {
        format!("every goroutine is worth a rerun ({})", rules.join(", "))
    };
    RetriedLeak {
        key,
        why,
        retryable: true,
    }
}

/// What a plan rests on, for each leak's own reason.
enum Because {
    /// A new leak of the test is not retryable (its reason).
    NotRetryable(String),
    /// The test reruns; how, after the leak's own reason.
    Rerun(String),
    /// Something of the test as a whole (the plan says what).
    Test,
}

/// Each leak's reason, in full: its own when it is not retryable, else
/// what happened to its test.
fn explain(leaks: Vec<RetriedLeak>, plan: &Plan, because: &Because) -> Vec<RetriedLeak> {
    leaks
        .into_iter()
        .map(|mut l| {
            l.why = match (because, plan) {
                _ if !l.retryable => format!("not retried: {}", l.why),
                (Because::Rerun(how), _) => format!("retried: {}; {how}", l.why),
                (Because::NotRetryable(b), _) => format!(
                    "not retried: another new leak of the same test fails the gate whatever a rerun shows ({b})"
                ),
                (Because::Test, Plan::Skip { why }) => why.clone(),
                (Because::Test, Plan::Rerun(r)) => r.why.clone(),
            };
            l
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn decide(
    findings: &Findings,
    package: &Option<String>,
    test: Option<&str>,
    reports: &[&Leak],
    leaks: &[RetriedLeak],
    config: &RetryConfig,
    base: &Invocation,
    tests: Option<&RunTests>,
) -> (Plan, Because) {
    let skip = |why: String| (Plan::Skip { why }, Because::Test);
    if config.attempts == 0 {
        return skip("not retried: retry.attempts is 0".to_string());
    }
    let Some(package) = package else {
        return skip("not retried: the output does not name the leak's package".to_string());
    };
    let other = findings.failures.iter().find(|f| {
        f.kind != FailureKind::Leak
            && f.package.as_deref() == Some(package.as_str())
            && f.test.as_deref() == test
    });
    if let Some(f) = other {
        return skip(format!(
            "not retried: it also failed for another reason ({}); ordinary failures are not retried",
            f.kind.name()
        ));
    }
    if reports.iter().any(|l| l.truncated || l.dropped > 0) {
        return skip(
            "not retried: the leak report was cut, so not every goroutine could be checked"
                .to_string(),
        );
    }
    if let Some(l) = leaks.iter().find(|l| !l.retryable) {
        return (
            Plan::Skip {
                why: format!("not retried: {}", l.why),
            },
            Because::NotRetryable(l.why.clone()),
        );
    }
    if reports.is_empty() || leaks.is_empty() {
        return skip("not retried: no leak report".to_string());
    }
    let (target, must_run, how) = choose_target(package, test, reports, tests, base);
    let argv = match base.command.command(&target) {
        Ok(a) => a,
        Err(e) => return skip(format!("not retried: {e}")),
    };
    // How it reruns, after the reason of each leak.
    let mut rest = how;
    let dropped = base.command.dropped();
    if !dropped.is_empty() {
        rest.push_str(&format!(
            "; left out of the rerun, so the first run's files stay: {}",
            dropped.join(", ")
        ));
    }
    if let Some(a) = &base.assumed {
        rest.push_str(&format!("; {a}"));
    }
    let why = format!(
        "retried: {}; {rest}",
        leaks
            .first()
            .map(|l| l.why.as_str())
            .unwrap_or("every goroutine is worth a rerun")
    );
    (
        Plan::Rerun(Rerun {
            dir: base.dir.as_ref().map(|d| d.for_package(package)),
            env: base.env.clone(),
            target,
            argv,
            must_run,
            why,
        }),
        Because::Rerun(rest),
    )
}
