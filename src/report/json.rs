//! The JSON report, `schema_version` 2.
//!
//! Stable within a schema version: fields are only ever added. Version 2
//! moved the test counts to `counts` and made `tests` the list of every
//! test attempt with how it ends at the gate. `leaks[]` has one entry per leak
//! report (one goleak report or synctest bubble) and lists every goroutine
//! of it, ungrouped; `groups` gives the grouping. `fingerprint` is stable
//! across runs and machines. See `docs/json-report.md`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::findings::SourceRef;
use crate::findings::{self, LeakedGoroutine};
use crate::retry::rerun::Selection;
use crate::retry::{Plan, ReportKey, RetryOutcome, RetryRecord};
use crate::verdict::{Analysis, JudgedLeak};

/// Current schema version.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    tool: Tool,
    verdict: &'static str,
    exit_code: i32,
    reasons: &'a [String],
    inputs: Vec<Input<'a>>,
    counts: Tests,
    tally: Tally,
    // `tests` is written last, apart: see `write`.
    failures: Vec<Failure<'a>>,
    leaks: Vec<Leak<'a>>,
    distinct_leaks: Vec<Distinct<'a>>,
    policy: Policy<'a>,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Policy<'a> {
    default: bool,
    file: Option<&'a str>,
    extends: &'a [String],
    strict: bool,
    today: Option<String>,
}

/// One rule of the policy and how it fared in this run.
#[derive(Serialize)]
struct Rule<'a> {
    id: &'a str,
    /// Goroutines its `match` matched (expired or not).
    matched: usize,
    /// Distinct leaks it helped allow.
    allowed_leaks: usize,
    /// Leak reports in which it helped allow a leak.
    allowed_reports: usize,
    expired: bool,
    expires: Option<String>,
    unused: bool,
    file: &'a str,
    line: u32,
    extends: Option<&'a str>,
}

#[derive(Serialize)]
struct Input<'a> {
    path: &'a str,
    format: &'static str,
    complete: bool,
    incomplete_reason: Option<&'a str>,
    lines: u64,
    bytes: u64,
    warnings: &'a [String],
    more_warnings: usize,
}

#[derive(Serialize)]
struct Tests {
    passed: u64,
    failed: u64,
    skipped: u64,
    packages: u64,
}

/// The distinct-leak and failure counts every report states.
#[derive(Serialize)]
struct Tally {
    new_leaks: usize,
    allowed_leaks: usize,
    flaky_leaks: usize,
    test_harness: usize,
    other_failures: usize,
}

/// Writes the `tests` array: every test attempt, one compact object per
/// line, read as it is written (a run has hundreds of thousands: no list
/// of them is built, and no indentation is spent on them).
fn write_tests(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let input_path = |i: usize| a.findings.inputs.get(i).map(|x| x.path.as_str());
    out.write_all(b"  \"tests\": [")?;
    let mut first = true;
    a.findings.for_each_test(|t| {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(
            &mut *out,
            &TestAttempt {
                package: t.package,
                test: t.test,
                attempt: t.attempt,
                outcome: t.outcome.name(),
                gate: a.view.gate_of(t).name(),
                elapsed: t.elapsed,
                input: input_path(t.input),
            },
        )
        .map_err(io::Error::from)
    })?;
    out.write_all(if first { b"]" } else { b"\n  ]" })
}

/// One test attempt and how it ends at the gate.
#[derive(Serialize)]
struct TestAttempt<'a> {
    package: Option<&'a str>,
    test: &'a str,
    attempt: u32,
    outcome: &'static str,
    gate: &'static str,
    elapsed: Option<f64>,
    input: Option<&'a str>,
}

#[derive(Serialize)]
struct Failure<'a> {
    package: Option<&'a str>,
    test: Option<&'a str>,
    attempt: u32,
    kind: &'static str,
    message: &'a str,
    /// Fails the gate.
    gating: bool,
    /// Why a failure may be one where the format cannot tell (`null`: the
    /// input states it).
    condition: Option<Condition<'a>>,
    location: Option<Source<'a>>,
    input: Option<&'a str>,
    line: u64,
    output: &'a [String],
}

#[derive(Serialize)]
struct Condition<'a> {
    name: &'static str,
    why: &'static str,
    setting: Option<&'a str>,
}

#[derive(Serialize)]
struct Leak<'a> {
    package: Option<&'a str>,
    test: Option<&'a str>,
    /// The most severe status among the distinct leaks it shows.
    status: &'static str,
    /// One of the distinct leaks it shows fails the gate.
    gating: bool,
    rules: Vec<&'a str>,
    expired_rules: Vec<&'a str>,
    /// Fingerprints of the distinct leaks it shows.
    distinct_leaks: Vec<&'a str>,
    reported_by: &'static str,
    verify_location: Option<Location<'a>>,
    verify_at: Option<Source<'a>>,
    truncated: bool,
    dropped_goroutines: usize,
    input: Option<&'a str>,
    line: u64,
    groups: Vec<Group<'a>>,
    goroutines: Vec<Goroutine<'a>>,
    /// What retrying did for this report's test (`null`: retries off).
    retry: Option<Retry<'a>>,
    /// Every rerun of this report's test or package, in order.
    attempts: Vec<Attempt<'a>>,
}

#[derive(Serialize)]
struct Retry<'a> {
    retried: bool,
    outcome: &'static str,
    reason: &'a str,
    command: Option<String>,
    passed_in_attempt: Option<u32>,
    plan: RetryPlan<'a>,
}

/// The retry plan, decided before anything ran.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum RetryPlan<'a> {
    Rerun {
        package: &'a str,
        reporter: Option<&'a str>,
        /// Top-level tests run (`null`: the whole package).
        tests: Option<&'a [String]>,
        count: u32,
        command: String,
        argv: &'a [String],
        /// `null`: the directory leakgate ran in.
        dir: Option<String>,
        env: BTreeMap<&'a str, &'a str>,
        must_run: &'a [String],
        why: &'a str,
    },
    Skip {
        why: &'a str,
    },
}

fn retry_plan(r: &RetryRecord) -> RetryPlan<'_> {
    match &r.plan {
        Plan::Rerun(p) => RetryPlan::Rerun {
            package: p.target.package(),
            reporter: p.target.test(),
            tests: match &p.target.selection {
                Selection::Tests { tests, .. } => Some(tests),
                Selection::Package { .. } => None,
            },
            count: p.target.count(),
            command: crate::retry::rerun::display(&p.argv),
            argv: &p.argv,
            // `/` on every platform, as every path in the reports.
            dir: p
                .dir
                .as_ref()
                .map(|d| d.to_string_lossy().replace('\\', "/")),
            env: p
                .env
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            must_run: &p.must_run,
            why: &p.why,
        },
        Plan::Skip { why } => RetryPlan::Skip { why },
    }
}

#[derive(Serialize)]
struct Attempt<'a> {
    attempt: u32,
    result: &'static str,
    exit_code: Option<i32>,
    duration_ms: u128,
    message: &'a str,
    fingerprints: &'a [String],
    /// Indices into `leaks` of reports this attempt found that the first
    /// run did not.
    new_leaks: Vec<usize>,
    /// Fingerprints of the record's distinct leaks it reported again.
    leaked_again: Vec<&'a str>,
}

fn retry_of<'a>(a: &'a Analysis, leak: &findings::Leak) -> Option<&'a RetryRecord> {
    a.retries.iter().find(|r| r.covers(leak))
}

fn attempts<'a>(a: &'a Analysis, r: Option<&'a RetryRecord>) -> Vec<Attempt<'a>> {
    r.map(|r| {
        r.attempts
            .iter()
            .map(|t| Attempt {
                attempt: t.number,
                result: t.result.name(),
                exit_code: t.exit_code,
                duration_ms: t.duration.as_millis(),
                message: &t.message,
                fingerprints: &t.fingerprints,
                new_leaks: t
                    .new_leaks
                    .iter()
                    .filter_map(|k| a.findings.leaks.iter().position(|l| ReportKey::of(l) == *k))
                    .collect(),
                leaked_again: t.again.iter().map(|k| k.as_str()).collect(),
            })
            .collect()
    })
    .unwrap_or_default()
}

#[derive(Serialize)]
struct Group<'a> {
    fingerprint: &'a str,
    count: usize,
    first: usize,
}

#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    line: u32,
}

#[derive(Serialize)]
struct Goroutine<'a> {
    id: u64,
    state: std::borrow::Cow<'a, str>,
    status: &'a str,
    wait_minutes: Option<u64>,
    locked_to_thread: bool,
    labels: Option<&'a str>,
    top_function: Option<&'a str>,
    created_by: Option<CreatedBy<'a>>,
    origin: Option<Source<'a>>,
    blocked_at: Option<Source<'a>>,
    frames: Vec<Frame<'a>>,
    elided_frames: Option<u64>,
    fingerprint: &'a str,
    test_harness: Option<&'a str>,
}

#[derive(Serialize)]
struct CreatedBy<'a> {
    function: &'a str,
    goroutine: Option<u64>,
    file: &'a str,
    line: u32,
}

#[derive(Serialize)]
struct Source<'a> {
    file: &'a str,
    line: u32,
    in_repo: bool,
}

#[derive(Serialize)]
struct Frame<'a> {
    function: &'a str,
    file: &'a str,
    line: u32,
    inlined: bool,
}

#[derive(Serialize)]
struct Distinct<'a> {
    fingerprint: &'a str,
    status: &'static str,
    /// Fails the gate.
    gating: bool,
    /// Rules in force that matched it (they allow it when `status` is
    /// `allowed`).
    rules: &'a [String],
    /// Expired rules that would have allowed it.
    expired_rules: &'a [String],
    /// What retrying did for it (`null`: not retried or retries off).
    retry: Option<DistinctRetry<'a>>,
    state: &'a str,
    top_function: Option<&'a str>,
    created_by: Option<&'a str>,
    origin: Option<Source<'a>>,
    anchor: Option<Source<'a>>,
    goroutines: usize,
    max_in_one_report: usize,
    test_harness: bool,
    sightings: usize,
    reported_by: Vec<Reporter<'a>>,
    seen_again_by: Vec<Reporter<'a>>,
}

#[derive(Serialize)]
struct DistinctRetry<'a> {
    retried: bool,
    outcome: &'static str,
    reason: &'a str,
    command: Option<String>,
    passed_in_attempt: Option<u32>,
}

#[derive(Serialize)]
struct Reporter<'a> {
    package: Option<&'a str>,
    test: Option<&'a str>,
}

fn source(s: &Option<SourceRef>) -> Option<Source<'_>> {
    source_ref(s.as_ref())
}

fn source_ref(s: Option<&SourceRef>) -> Option<Source<'_>> {
    s.map(|s| Source {
        file: &s.file,
        line: s.line,
        in_repo: s.in_repo,
    })
}

fn goroutine(g: &LeakedGoroutine) -> Goroutine<'_> {
    let r = &g.goroutine;
    Goroutine {
        id: r.id,
        state: r.state.without_wait(),
        status: &r.state.status,
        wait_minutes: r.state.wait_minutes,
        locked_to_thread: r.state.locked_to_thread,
        labels: r.state.labels.as_deref(),
        top_function: r.top_function(),
        created_by: r.created_by.as_ref().map(|c| CreatedBy {
            function: &c.function,
            goroutine: c.goroutine,
            file: &c.file,
            line: c.line,
        }),
        origin: source(&g.origin),
        blocked_at: source(&g.blocked_at),
        frames: r
            .frames
            .iter()
            .map(|f| Frame {
                function: &f.function,
                file: &f.file,
                line: f.line,
                inlined: f.inlined,
            })
            .collect(),
        elided_frames: r.elided,
        fingerprint: &g.fingerprint,
        test_harness: g.harness,
    }
}

fn reporters(who: &[findings::Reporter]) -> Vec<Reporter<'_>> {
    who.iter()
        .map(|r| Reporter {
            package: r.package.as_deref(),
            test: r.test.as_deref(),
        })
        .collect()
}

fn distinct(d: &JudgedLeak) -> Distinct<'_> {
    let g = &d.leak.example;
    Distinct {
        fingerprint: d.key().as_str(),
        status: d.status.name(),
        gating: d.gates,
        rules: &d.rules,
        expired_rules: &d.expired_rules,
        retry: d.retry.as_ref().map(|r| DistinctRetry {
            retried: r.retried,
            outcome: r.outcome.name(),
            reason: &r.why,
            command: r.command.as_deref().map(crate::retry::rerun::display),
            passed_in_attempt: match r.outcome {
                RetryOutcome::Flaky { attempt } => Some(attempt),
                _ => None,
            },
        }),
        state: &g.goroutine.state.status,
        top_function: g.goroutine.top_function(),
        created_by: g.goroutine.created_by.as_ref().map(|c| c.function.as_str()),
        origin: source(&g.origin),
        anchor: source_ref(g.anchor()),
        goroutines: d.leak.goroutines,
        max_in_one_report: d.leak.max_in_report,
        test_harness: d.leak.harness,
        sightings: d.leak.sightings,
        reported_by: reporters(&d.leak.reporters),
        seen_again_by: reporters(&d.leak.seen_again),
    }
}

/// Writes the JSON report.
pub fn write(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let f = &a.findings;
    let input_path = |i: usize| f.inputs.get(i).map(|s| s.path.as_str());
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "leakgate",
            version: env!("CARGO_PKG_VERSION"),
        },
        verdict: a.verdict.name(),
        exit_code: a.verdict.exit_code(),
        reasons: &a.reasons,
        inputs: f
            .inputs
            .iter()
            .map(|i| Input {
                path: &i.path,
                format: i.format.name(),
                complete: i.complete,
                incomplete_reason: i.incomplete.as_deref(),
                lines: i.lines,
                bytes: i.bytes,
                warnings: &i.warnings,
                more_warnings: i.more_warnings,
            })
            .collect(),
        counts: Tests {
            passed: f.counts.passed,
            failed: f.counts.failed,
            skipped: f.counts.skipped,
            packages: f.counts.packages,
        },
        tally: {
            let t = a.tally();
            Tally {
                new_leaks: t.new,
                allowed_leaks: t.allowed,
                flaky_leaks: t.flaky,
                test_harness: t.harness,
                other_failures: t.other_failures,
            }
        },
        failures: f
            .failures
            .iter()
            .map(|x| Failure {
                package: x.package.as_deref(),
                test: x.test.as_deref(),
                attempt: x.node.attempt,
                kind: x.kind.name(),
                message: &x.message,
                gating: a.view.fails_gate(x),
                condition: x.condition.map(|c| Condition {
                    name: c.name(),
                    why: c.why(),
                    setting: c.setting(),
                }),
                location: source(&x.location),
                input: input_path(x.at.input),
                line: x.at.line,
                output: &x.excerpt,
            })
            .collect(),
        leaks: f
            .leaks
            .iter()
            .map(|l| {
                let judged = a.view.report(l);
                let record = retry_of(a, l);
                Leak {
                    package: l.package.as_deref(),
                    test: l.test.as_deref(),
                    status: judged.status.name(),
                    gating: judged.gates,
                    rules: judged.rules,
                    expired_rules: judged.expired_rules,
                    distinct_leaks: judged.leaks.iter().map(|j| j.key().as_str()).collect(),
                    reported_by: l.source.name(),
                    verify_location: l
                        .location
                        .as_ref()
                        .map(|(file, line)| Location { file, line: *line }),
                    verify_at: source(&l.verify_at),
                    truncated: l.truncated,
                    dropped_goroutines: l.dropped,
                    input: input_path(l.at.input),
                    line: l.at.line,
                    groups: findings::group(&l.goroutines)
                        .into_iter()
                        .map(|(first, count)| Group {
                            fingerprint: &l.goroutines[first].fingerprint,
                            count,
                            first,
                        })
                        .collect(),
                    goroutines: l.goroutines.iter().map(goroutine).collect(),
                    retry: record.map(|r| Retry {
                        retried: r.retried(),
                        outcome: r.outcome().name(),
                        reason: r.reason(),
                        command: r.command().map(crate::retry::rerun::display),
                        passed_in_attempt: match r.outcome() {
                            RetryOutcome::Flaky { attempt } => Some(attempt),
                            _ => None,
                        },
                        plan: retry_plan(r),
                    }),
                    attempts: attempts(a, record),
                }
            })
            .collect(),
        distinct_leaks: a.leaks().iter().map(distinct).collect(),
        policy: Policy {
            default: a.default_policy,
            file: a.policy.source.as_deref(),
            extends: &a.policy.extends,
            strict: a.policy.strict,
            today: a.policy.today.map(|d| d.to_string()),
        },
        rules: a
            .policy
            .rules
            .iter()
            .map(|r| Rule {
                id: &r.rule.id,
                matched: r.usage.matched,
                allowed_leaks: r.usage.allowed_leaks,
                allowed_reports: r.usage.allowed_reports,
                expired: r.usage.expired,
                expires: r.rule.expires.map(|d| d.to_string()),
                unused: r.usage.unused(),
                file: &r.rule.file,
                line: r.rule.line,
                extends: r.rule.extends.as_deref(),
            })
            .collect(),
    };
    // The report without `tests`, then `tests` as its last member.
    let mut head = Vec::new();
    serde_json::to_writer_pretty(&mut head, &report).map_err(io::Error::from)?;
    let Some(body) = head.strip_suffix(b"\n}") else {
        return Err(io::Error::other(
            "the JSON report's object did not end as expected",
        ));
    };
    out.write_all(body)?;
    out.write_all(b",\n")?;
    write_tests(a, out)?;
    out.write_all(b"\n}\n")
}
