//! A reference model of the verdict, and property tests of leakgate against
//! it.
//!
//! The generator makes random Go test runs: packages, tests and subtests
//! whose bodies call `t.Log`, `t.Error`, `t.Fail`, `t.SkipNow` and
//! `goleak.VerifyNone` (one report of one to three leaked goroutines, two
//! maybe of one leak), plus a policy that allows some of the leaked
//! functions. Each run is rendered the way real Go writes it, as `go test
//! -json` of Go 1.26, as `go test -json` of Go 1.27 (with `OutputType`)
//! and as `go test -v` text, with the packages interleaved (JSON) and
//! sharded over several inputs at random. leakgate judges the rendered
//! inputs; [`model`] judges the run itself, by the product's rules for
//! what each format's output proves (see [`judge_node`]). The generated
//! policy declares what every generated run makes true (`verdict:
//! {no_failfast: true, subtests_never_return_early: true}`);
//! `messages_are_logs` stays off.
//!
//! The model judges per distinct leak, as leakgate does: the goroutines of
//! one leak function (one `go` statement, one blocking place), across every
//! report of the run, are one leak, allowed iff the policy allows that
//! function, new otherwise, whatever else their reports list
//! ([`distinct_leaks`]). A test whose report shows an allowed and a new
//! leak fails the gate on the new one; one whose reports show only allowed
//! leaks is judged on the rest of its output ([`judge_node`]). The
//! properties compare the verdict, the gate-failing tests, each distinct
//! leak (status, goroutines, the tests that report it), each report (its
//! status is its most severe leak's), the counts of new and allowed leaks
//! and the headline reason, in every format and layout, and on input cut
//! short.
//!
//! Every shape is copied from the captures in tests/fixtures/:
//! goleak v1.3.0's report and `-v` layout from go1.26-goleak1.3.0/all.txt
//! and all.json (subtest results buffered under the parent in text, not in
//! JSON), Go 1.27's `OutputType` from go1.27-goleak1.3.0/all.json (`frame`
//! on `=== RUN`, `--- PASS/FAIL`, `PASS`, `FAIL` and `FAIL\tpkg` but not on
//! `ok  \tpkg`; `error` on the first line of a `t.Error`, `error-continue`
//! on its other lines, goleak's report included; nothing on `t.Log`). The
//! fixtures have no skipped test: `t.SkipNow` prints nothing and `--- SKIP`
//! is framed like `--- PASS`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use leakgate::ingest::FormatChoice;
use leakgate::paths::Repo;
use leakgate::verdict::Verdict;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;

// ---------------------------------------------------------------- the run

/// One statement of a test body.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    /// Nothing.
    Pass,
    /// `t.Log(msg)`.
    Log(String),
    /// `t.Error(msg)`: prints like `t.Log`, and fails the test.
    Error(String),
    /// `t.Fail()`: fails the test and prints nothing.
    FailSilently,
    /// `goleak.VerifyNone(t)` finding goroutines the test's goroutine
    /// started, in order: one blocked in `example.com/gen/pN.leakK`
    /// (started by `startK`) for each K listed (a K listed twice: two
    /// goroutines of one leak). One report, a `t.Error`.
    Leak(Vec<u8>),
    /// `t.SkipNow()`: the rest of the body and its subtests do not run.
    Skip,
}

/// A test or subtest: its body, then its subtests (`t.Run`), in order.
#[derive(Clone)]
struct Test {
    /// Full name, `Test2/case1` for a subtest.
    name: String,
    actions: Vec<Action>,
    subtests: Vec<Test>,
}

/// A whole run: packages `example.com/gen/p1`… with their top-level tests,
/// and the leaked functions the policy allows.
#[derive(Clone)]
struct Run {
    packages: Vec<Vec<Test>>,
    allowed: BTreeSet<String>,
}

fn package(n: usize) -> String {
    format!("example.com/gen/p{n}")
}

fn leak_fn(n: usize, k: u8) -> String {
    format!("example.com/gen/p{n}.leak{k}")
}

// What Go does with a body: plain Go semantics, not the gate's.

/// The actions that ran: up to and including the first `t.SkipNow()`.
fn ran(t: &Test) -> &[Action] {
    match t.actions.iter().position(|a| *a == Action::Skip) {
        Some(i) => &t.actions[..=i],
        None => &t.actions,
    }
}

fn skipped(t: &Test) -> bool {
    ran(t).contains(&Action::Skip)
}

/// The subtests that ran (none after a skip).
fn ran_subtests(t: &Test) -> &[Test] {
    if skipped(t) {
        &[]
    } else {
        &t.subtests
    }
}

/// Failed: by its own `t.Error`, `t.Fail` or leak, or by a failed subtest.
fn failed(t: &Test) -> bool {
    ran(t)
        .iter()
        .any(|a| matches!(a, Action::Error(_) | Action::FailSilently | Action::Leak(_)))
        || ran_subtests(t).iter().any(failed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// What Go prints: a failure wins over a skip.
fn outcome(t: &Test) -> Outcome {
    if failed(t) {
        Outcome::Fail
    } else if skipped(t) {
        Outcome::Skip
    } else {
        Outcome::Pass
    }
}

// -------------------------------------------------------------- the model

/// The formats the run is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fmt {
    /// `go test -json`, Go 1.26: no `OutputType`.
    Json126,
    /// `go test -json`, Go 1.27: `OutputType` tells `t.Error` from `t.Log`.
    Json127,
    /// `go test -v` (any Go version).
    Text,
}

const FORMATS: [Fmt; 3] = [Fmt::Json126, Fmt::Json127, Fmt::Text];

/// (package, test) of one test or subtest.
type Key = (String, String);

/// What the model expects of leakgate.
#[derive(Debug)]
struct Expected {
    verdict: Verdict,
    /// The tests that fail the gate, exactly.
    must: BTreeSet<Key>,
    /// `must` and the tests leakgate may also say fail it. The rules are
    /// exact now: always `must`. (Kept so a rule that cannot be exact can
    /// say so without reshaping the properties.)
    may: BTreeSet<Key>,
    /// Failed tests that called `t.Fail()` where nothing in any format
    /// shows it: beside a leak report, or above a failed subtest (goleak's
    /// report, or the subtest's `--- FAIL`, already marks the test failed,
    /// and `t.Fail()` prints nothing). The model judges what the output
    /// can show, so it says these pass (or fail) on their other evidence
    /// alone; they are listed only to explain a counterexample.
    blind: BTreeSet<Key>,
    /// Something fails the gate on what the output states (a new leak, an
    /// unexplained failure, a Go 1.27 `error` line), not only because
    /// nothing else explains a message: what incomplete input fails on.
    stated: bool,
    /// Every distinct leak and leak report the output shows.
    leaks: Leaks,
}

/// The leaks of a run: the distinct leaks (what is judged) and the reports
/// (the evidence).
#[derive(Debug, Default, PartialEq)]
struct Leaks {
    /// Every distinct leak, by its function.
    distinct: BTreeMap<String, DistinctLeak>,
    /// Every leak report, sorted.
    reports: Vec<LeakReport>,
}

impl Leaks {
    /// How many distinct leaks have this status.
    fn count(&self, status: &str) -> usize {
        self.distinct
            .values()
            .filter(|l| l.status == status)
            .count()
    }
}

/// One goleak report, judged through the distinct leaks it lists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LeakReport {
    /// The test that printed it.
    reporter: Key,
    /// The most severe status of its leaks: `"new"` when one is new.
    status: &'static str,
    /// Whether one of its leaks fails the gate (one is new).
    gating: bool,
    /// Its goroutines' top functions, in order.
    goroutines: Vec<String>,
}

/// One distinct leak: the goroutines of one leak function, across every
/// report of the run that lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DistinctLeak {
    /// `"new"`, or `"allowed"` when the policy allows its function.
    status: &'static str,
    /// Its goroutines: every report's are other goroutines (other ids).
    goroutines: u64,
    /// The tests whose reports list it.
    reported_by: BTreeSet<Key>,
}

/// The reference model: the verdict and the distinct leaks from first
/// principles, for a run shown to leakgate in `fmt`. The generated policy declares `no_failfast` and
/// `subtests_never_return_early` (true of every generated run), so the only
/// question is what each failed test's own output proves.
fn model(run: &Run, fmt: Fmt) -> Expected {
    let mut e = Expected {
        verdict: Verdict::Pass,
        must: BTreeSet::new(),
        may: BTreeSet::new(),
        blind: BTreeSet::new(),
        stated: false,
        leaks: Leaks::default(),
    };
    for (i, tests) in run.packages.iter().enumerate() {
        for t in tests {
            judge_node(run, i + 1, t, fmt, &mut e);
            distinct_leaks(run, i + 1, t, &mut e.leaks);
        }
    }
    e.leaks.reports.sort();
    // A package fails iff one of its tests failed, and prints nothing of
    // its own: it is never a failure by itself.
    e.may = e.must.clone();
    if !e.must.is_empty() {
        e.verdict = Verdict::Fail;
    }
    e
}

/// Judges `t` and its subtests (subtests first: a conditional failure
/// depends on them). Returns whether anything in `t`'s subtree, `t`
/// included, fails the gate.
fn judge_node(run: &Run, n: usize, t: &Test, fmt: Fmt, e: &mut Expected) -> bool {
    let mut below = false;
    for s in ran_subtests(t) {
        below |= judge_node(run, n, s, fmt, e);
    }
    // A test that passed (or was skipped) never fails the gate, whatever
    // it logged; nor did any of its subtests fail.
    if outcome(t) != Outcome::Fail {
        return below;
    }
    let ran = ran(t);
    let leaks: Vec<String> = ran
        .iter()
        .filter_map(|a| match a {
            Action::Leak(ks) => Some(ks.iter().map(|&k| leak_fn(n, k))),
            _ => None,
        })
        .flatten()
        .collect();
    let new_leak = leaks.iter().any(|f| !run.allowed.contains(f));
    let error = ran.iter().any(|a| matches!(a, Action::Error(_)));
    let log = ran.iter().any(|a| matches!(a, Action::Log(_)));
    let child_failed = ran_subtests(t).iter().any(failed);
    // Nothing that allows or explains the failure: no leak report (all
    // allowed, or there would be a new one) and no failed subtest. The
    // test failed, so something of its own failed it.
    let unexplained = leaks.is_empty() && !child_failed;
    let stated = new_leak || unexplained || (fmt == Fmt::Json127 && error);
    e.stated |= stated;
    let fails = if stated {
        true
    } else if fmt == Fmt::Json127 {
        // Go 1.27 -json marks `t.Error` lines: they fail the test by
        // themselves; `t.Log` lines are logs.
        error
    } else if error || log {
        // A `t.Log` line reads like a `t.Error` line: beside allowed
        // leaks or above a failed subtest, the messages are a failure
        // exactly when nothing else in the subtree (no new leak here, by
        // now) fails the gate. Under a failing subtest they need not be a
        // failure of their own; with only allowed leaks in sight they may
        // be a `t.Error` and fail the test (fail closed).
        !below
    } else {
        // Allowed leaks only, or a failed subtest: "allowed" or "child".
        false
    };
    let key = (package(n), t.name.clone());
    if !fails && ran.contains(&Action::FailSilently) {
        e.blind.insert(key.clone());
    }
    if fails {
        e.must.insert(key);
    }
    fails || below
}

/// The distinct leaks of `t`'s subtree. Every format shows every report
/// of a test that ran: a report is a `t.Error`, printed by `-v` and `-json`
/// alike whatever becomes of the test, and a cut-off package result takes
/// no output with it. A distinct leak is one leak function (one `go`
/// statement, one blocking place), allowed iff the policy allows that
/// function, whatever else its reports list; a report is new (and fails
/// the gate) when one of its leaks is new, allowed otherwise.
fn distinct_leaks(run: &Run, n: usize, t: &Test, out: &mut Leaks) {
    let key = (package(n), t.name.clone());
    for a in ran(t) {
        let Action::Leak(ks) = a else { continue };
        let goroutines: Vec<String> = ks.iter().map(|&k| leak_fn(n, k)).collect();
        for f in &goroutines {
            let status = if run.allowed.contains(f) {
                "allowed"
            } else {
                "new"
            };
            let d = out
                .distinct
                .entry(f.clone())
                .or_insert_with(|| DistinctLeak {
                    status,
                    goroutines: 0,
                    reported_by: BTreeSet::new(),
                });
            d.goroutines += 1;
            d.reported_by.insert(key.clone());
        }
        let gating = goroutines.iter().any(|f| !run.allowed.contains(f));
        out.reports.push(LeakReport {
            reporter: key.clone(),
            status: if gating { "new" } else { "allowed" },
            gating,
            goroutines,
        });
    }
    for s in ran_subtests(t) {
        distinct_leaks(run, n, s, out);
    }
}

/// The distinct leaks of the same run with the result of package `cut` cut
/// off: the same leaks, but `go test -v` names a package only in its
/// result line (`ok`/`FAIL\tpkg`), so there its tests' reports are a
/// package without a name's.
fn model_incomplete_leaks(run: &Run, fmt: Fmt, cut: &str) -> Leaks {
    let mut leaks = model(run, fmt).leaks;
    if fmt == Fmt::Text {
        let unnamed = |(p, t): Key| (if p == cut { String::new() } else { p }, t);
        for d in leaks.distinct.values_mut() {
            d.reported_by = std::mem::take(&mut d.reported_by)
                .into_iter()
                .map(unnamed)
                .collect();
        }
        for r in &mut leaks.reports {
            r.reporter = unnamed(std::mem::take(&mut r.reporter));
        }
        leaks.reports.sort();
    }
    leaks
}

/// The model for the same run with the input cut short (a package's result
/// missing): incomplete input never passes. It fails on what the output
/// states, and cannot be judged otherwise (only allowed leaks, messages
/// only the missing rest could prove to be logs, or nothing failed).
fn model_incomplete(run: &Run, fmt: Fmt) -> Verdict {
    if model(run, fmt).stated {
        Verdict::Fail
    } else {
        Verdict::Error
    }
}

// ---------------------------------------------------------- the rendering

/// The kind of one line a test prints.
#[derive(Clone, Copy, PartialEq)]
enum Line {
    Log,
    Error,
    ErrorContinue,
}

/// `t.Log`/`t.Error` decoration: `    file:line: ` before the first line,
/// eight spaces before the others.
fn decorate(line: usize, msg: &str, error: bool, out: &mut Vec<(String, Line)>) {
    for (i, l) in msg.split('\n').enumerate() {
        let (text, kind) = match (i, error) {
            (0, true) => (format!("    gen_test.go:{line}: {l}"), Line::Error),
            (0, false) => (format!("    gen_test.go:{line}: {l}"), Line::Log),
            (_, true) => (format!("        {l}"), Line::ErrorContinue),
            (_, false) => (format!("        {l}"), Line::Log),
        };
        out.push((text, kind));
    }
}

/// The lines a test's own body prints, in order. `gid` numbers goroutines
/// within the package: the test's own goroutine, then the ones it leaks.
fn own_lines(n: usize, t: &Test, gid: &mut u64) -> Vec<(String, Line)> {
    *gid += 1;
    let creator = *gid;
    let mut out = Vec::new();
    for (i, a) in ran(t).iter().enumerate() {
        let line = 10 + 3 * i;
        match a {
            Action::Log(m) => decorate(line, m, false, &mut out),
            Action::Error(m) => decorate(line, m, true, &mut out),
            Action::Leak(ks) => {
                // goleak v1.3.0 (go1.26-goleak1.3.0/all.txt): the test's
                // goroutine started them, with the next ids; each
                // goroutine's trace ends in a newline, and goleak prints
                // them as a Go slice, `[` and a space between.
                let mut msg = "found unexpected goroutines:\n[".to_string();
                for (j, &k) in ks.iter().enumerate() {
                    let (f, id) = (leak_fn(n, k), *gid + 1 + j as u64);
                    let at = 10 + 5 * usize::from(k);
                    if j > 0 {
                        msg.push(' ');
                    }
                    msg.push_str(&format!(
                        "Goroutine {id} in state chan receive, with {f} on top of the stack:\n\
                         {f}()\n\
                         \t/src/gen/p{n}/gen.go:{at} +0x19\n\
                         created by example.com/gen/p{n}.start{k} in goroutine {creator}\n\
                         \t/src/gen/p{n}/gen.go:{} +0x5f\n",
                        at - 1
                    ));
                }
                msg.push(']');
                *gid += ks.len() as u64;
                decorate(line, &msg, true, &mut out);
            }
            Action::Pass | Action::FailSilently | Action::Skip => {}
        }
    }
    out
}

/// Hundredths of a second a test takes: goleak waits 0.45 s per report.
fn elapsed_cs(t: &Test) -> u64 {
    45 * ran(t)
        .iter()
        .filter(|a| matches!(a, Action::Leak(_)))
        .count() as u64
        + ran_subtests(t).iter().map(elapsed_cs).sum::<u64>()
}

fn result_line(t: &Test) -> String {
    let word = match outcome(t) {
        Outcome::Pass => "PASS",
        Outcome::Fail => "FAIL",
        Outcome::Skip => "SKIP",
    };
    let cs = elapsed_cs(t);
    format!("--- {word}: {} ({}.{:02}s)", t.name, cs / 100, cs % 100)
}

/// A package's time in milliseconds, and its last two lines.
fn package_end(n: usize, tests: &[Test]) -> (u64, bool, [String; 2]) {
    let ms = 3 + 10 * tests.iter().map(elapsed_cs).sum::<u64>();
    let secs = format!("{}.{:03}s", ms / 1000, ms % 1000);
    let fail = tests.iter().any(failed);
    let lines = if fail {
        ["FAIL".to_string(), format!("FAIL\t{}\t{secs}", package(n))]
    } else {
        ["PASS".to_string(), format!("ok  \t{}\t{secs}", package(n))]
    };
    (ms, fail, lines)
}

/// One `go test -json` event, before it gets its time.
struct Event {
    package: usize,
    action: &'static str,
    test: Option<String>,
    output: Option<String>,
    output_type: Option<&'static str>,
    /// Hundredths (tests) or thousandths (packages) of a second.
    elapsed: Option<f64>,
}

fn ev(n: usize, action: &'static str, test: Option<&str>) -> Event {
    Event {
        package: n,
        action,
        test: test.map(str::to_string),
        output: None,
        output_type: None,
        elapsed: None,
    }
}

fn out(n: usize, test: Option<&str>, text: String, ty: Option<&'static str>) -> Event {
    Event {
        output: Some(text + "\n"),
        output_type: ty,
        ..ev(n, "output", test)
    }
}

fn json_test(n: usize, t: &Test, go127: bool, gid: &mut u64, evs: &mut Vec<Event>) {
    let frame = go127.then_some("frame");
    let name = Some(t.name.as_str());
    evs.push(ev(n, "run", name));
    evs.push(out(n, name, format!("=== RUN   {}", t.name), frame));
    for (text, kind) in own_lines(n, t, gid) {
        let ty = match kind {
            _ if !go127 => None,
            Line::Log => None,
            Line::Error => Some("error"),
            Line::ErrorContinue => Some("error-continue"),
        };
        evs.push(out(n, name, text, ty));
    }
    for s in ran_subtests(t) {
        json_test(n, s, go127, gid, evs);
    }
    evs.push(out(n, name, result_line(t), frame));
    let action = match outcome(t) {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Skip => "skip",
    };
    evs.push(Event {
        elapsed: Some(elapsed_cs(t) as f64 / 100.0),
        ..ev(n, action, name)
    });
}

fn json_package(n: usize, tests: &[Test], go127: bool) -> Vec<Event> {
    let mut evs = vec![ev(n, "start", None)];
    let mut gid = 17;
    for t in tests {
        json_test(n, t, go127, &mut gid, &mut evs);
    }
    let (ms, fail, [a, b]) = package_end(n, tests);
    evs.push(out(n, None, a, go127.then_some("frame")));
    // `ok` comes from cmd/go, not the test binary: never framed.
    evs.push(out(n, None, b, (go127 && fail).then_some("frame")));
    evs.push(Event {
        elapsed: Some(ms as f64 / 1000.0),
        ..ev(n, if fail { "fail" } else { "pass" }, None)
    });
    evs
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// The events of one input, one JSON object a line, in Go's field order,
/// with times that increase (Go's RFC 3339 with trailing zeros dropped).
fn json_lines(evs: &[Event]) -> String {
    let mut s = String::new();
    for (i, e) in evs.iter().enumerate() {
        let nanos = format!("{:09}", 65_381_077 + 1_733 * i as u64);
        let nanos = nanos.trim_end_matches('0');
        s.push_str(&format!(
            "{{\"Time\":\"2026-11-28T18:54:03.{nanos}Z\",\"Action\":\"{}\",\"Package\":\"{}\"",
            e.action,
            package(e.package)
        ));
        if let Some(t) = &e.test {
            s.push_str(&format!(",\"Test\":{}", json_string(t)));
        }
        if let Some(el) = e.elapsed {
            s.push_str(&format!(",\"Elapsed\":{el}"));
        }
        if let Some(o) = &e.output {
            s.push_str(&format!(",\"Output\":{}", json_string(o)));
        }
        if let Some(ty) = e.output_type {
            s.push_str(&format!(",\"OutputType\":\"{ty}\""));
        }
        s.push_str("}\n");
    }
    s
}

/// `go test -v`: streamed lines go to `out`; the returned result block
/// (`--- FAIL: …` and the subtests' blocks, indented) goes to the parent's
/// buffer, printed after the parent's own result line.
fn text_test(n: usize, t: &Test, gid: &mut u64, out: &mut String) -> Vec<String> {
    out.push_str(&format!("=== RUN   {}\n", t.name));
    for (text, _) in own_lines(n, t, gid) {
        out.push_str(&text);
        out.push('\n');
    }
    let mut block = Vec::new();
    for s in ran_subtests(t) {
        block.extend(
            text_test(n, s, gid, out)
                .into_iter()
                .map(|l| format!("    {l}")),
        );
    }
    block.insert(0, result_line(t));
    block
}

fn text_package(n: usize, tests: &[Test]) -> String {
    let mut s = String::new();
    let mut gid = 17;
    for t in tests {
        for l in text_test(n, t, &mut gid, &mut s) {
            s.push_str(&l);
            s.push('\n');
        }
    }
    let (_, _, [a, b]) = package_end(n, tests);
    s.push_str(&format!("{a}\n{b}\n"));
    s
}

/// splitmix64: the layout (shards and interleaving) from one seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// The inputs (name, contents) `run` makes in `fmt`. Layout 0: one input,
/// packages one after another; otherwise packages are spread over 1–3
/// inputs and, in JSON, their events interleaved (each package's in order).
fn render(run: &Run, fmt: Fmt, layout: u64) -> Vec<(String, String)> {
    let count = run.packages.len();
    let mut rng = Rng(layout);
    let mut shards: Vec<Vec<usize>> = if layout == 0 {
        vec![(1..=count).collect()]
    } else {
        let k = 1 + rng.below(3);
        let mut s = vec![Vec::new(); k];
        for n in 1..=count {
            s[rng.below(k)].push(n);
        }
        s
    };
    shards.retain(|s| !s.is_empty());
    let mut inputs = Vec::new();
    for (i, shard) in shards.iter().enumerate() {
        let tests = |n: usize| &run.packages[n - 1][..];
        let contents = if fmt == Fmt::Text {
            shard.iter().map(|&n| text_package(n, tests(n))).collect()
        } else {
            let mut streams: Vec<std::collections::VecDeque<Event>> = shard
                .iter()
                .map(|&n| json_package(n, tests(n), fmt == Fmt::Json127).into())
                .collect();
            let mut merged = Vec::new();
            while !streams.is_empty() {
                let pick = if layout == 0 {
                    0
                } else {
                    rng.below(streams.len())
                };
                merged.push(streams[pick].pop_front().unwrap());
                if streams[pick].is_empty() {
                    streams.remove(pick);
                }
            }
            json_lines(&merged)
        };
        let ext = if fmt == Fmt::Text { "txt" } else { "json" };
        inputs.push((format!("shard{}.{ext}", i + 1), contents));
    }
    inputs
}

fn policy_yaml(run: &Run) -> String {
    let mut s = "version: 1\nallow:".to_string();
    if run.allowed.is_empty() {
        s.push_str(" []\n");
    }
    for (i, f) in run.allowed.iter().enumerate() {
        s.push_str(&format!(
            "\n  - id: r{}\n    reason: known\n    match:\n      top_function: {f}\n",
            i + 1
        ));
    }
    // Generated runs use no -failfast and never return early from t.Run:
    // declare it, so the model needs no rule for what the output cannot
    // show there. (`messages_are_logs` stays off: t.Log lines are judged.)
    s.push_str("verdict:\n  no_failfast: true\n  subtests_never_return_early: true\n");
    s
}

// ------------------------------------------------------------- leakgate

/// What leakgate made of some inputs.
struct Judged {
    verdict: Verdict,
    reasons: Vec<String>,
    report: Value,
}

fn judge(run: &Run, inputs: &[(String, String)]) -> Judged {
    let yaml = policy_yaml(run);
    let policy = leakgate::policy::config::from_text(
        "gen.leakgate.yml",
        &yaml,
        jiff::civil::Date::constant(2026, 1, 1),
    )
    .unwrap_or_else(|e| panic!("policy does not load: {e:?}\n{yaml}"));
    let readers = inputs
        .iter()
        .map(|(name, text)| (name.clone(), text.as_bytes()))
        .collect();
    let repo = Repo::bare("/src");
    match leakgate::analyze_readers(readers, FormatChoice::Auto, &repo, &policy) {
        Ok(a) => {
            let mut buf = Vec::new();
            leakgate::report::write(
                leakgate::report::ReportKind::Json,
                &a,
                leakgate::report::Style::default(),
                &mut buf,
            )
            .unwrap();
            Judged {
                verdict: a.verdict,
                reasons: a.reasons.clone(),
                report: serde_json::from_slice(&buf).expect("the JSON report is JSON"),
            }
        }
        Err(e) => Judged {
            verdict: Verdict::Error,
            reasons: vec![format!("ingest error: {e}")],
            report: Value::Null,
        },
    }
}

/// The tests the JSON report says fail the gate: `tests[]` entries with
/// `"gate": "fail"`. `Err` while the report has no `tests` array.
fn gate_failing(report: &Value) -> Result<BTreeSet<Key>, String> {
    let Some(tests) = report["tests"].as_array() else {
        return Err(format!(
            "the JSON report has no `tests` array of test attempts yet (`tests` is {})",
            report["tests"]
        ));
    };
    Ok(tests
        .iter()
        .filter(|t| t["gate"] == "fail")
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or("").to_string();
            (s("package"), s("test"))
        })
        .collect())
}

/// The gate-failing `failures[]` (`gating: true`) and the `leaks[]` of the
/// report, as sorted one-liners. A conditional failure that the policy
/// waives is listed or not as the layout lets leakgate prove it (a shard
/// that shows `-failfast` was off needs no `stopped-early` failure): only
/// whether a failure gates is the layout's to keep.
fn findings(report: &Value) -> BTreeSet<String> {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or("-").to_string();
    let mut out = BTreeSet::new();
    for f in report["failures"].as_array().into_iter().flatten() {
        if f["gating"] != true {
            continue;
        }
        let condition = f["condition"]["name"].as_str().unwrap_or("stated");
        out.insert(format!(
            "failure {} {} {} {condition}",
            s(f, "package"),
            s(f, "test"),
            s(f, "kind")
        ));
    }
    for l in report["leaks"].as_array().into_iter().flatten() {
        out.insert(format!(
            "leak {} {} {}",
            s(l, "package"),
            s(l, "test"),
            s(l, "status")
        ));
    }
    for d in report["distinct_leaks"].as_array().into_iter().flatten() {
        out.insert(format!(
            "distinct {} {} gating={} goroutines={} reported_by={}",
            s(d, "top_function"),
            s(d, "status"),
            d["gating"],
            d["goroutines"],
            d["reported_by"]
        ));
    }
    out
}

/// The JSON report's `distinct_leaks[]`, by `top_function`, and its
/// `leaks[]` (reports). `Err` when two distinct leaks have one top function
/// (one leak function split in two), an entry lacks a field, or a report's
/// `distinct_leaks` are not the leaks of its goroutines.
fn reported_leaks(report: &Value) -> Result<Leaks, String> {
    let mut out = BTreeMap::new();
    let mut by_fingerprint = BTreeMap::new();
    for d in report["distinct_leaks"].as_array().into_iter().flatten() {
        let (Some(f), Some(status), Some(goroutines)) = (
            d["top_function"].as_str(),
            d["status"].as_str(),
            d["goroutines"].as_u64(),
        ) else {
            return Err(format!(
                "a distinct leak without top_function, status or goroutines: {d}"
            ));
        };
        let status = match status {
            "new" => "new",
            "allowed" => "allowed",
            "flaky" => "flaky",
            "harness" => "harness",
            other => return Err(format!("{f}: unknown status {other:?}")),
        };
        let reported_by = d["reported_by"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
                (s("package"), s("test"))
            })
            .collect();
        let leak = DistinctLeak {
            status,
            goroutines,
            reported_by,
        };
        if out.insert(f.to_string(), leak).is_some() {
            return Err(format!("two distinct leaks with top function {f}"));
        }
        by_fingerprint.insert(d["fingerprint"].as_str().unwrap_or(""), f.to_string());
    }
    let mut reports = Vec::new();
    for l in report["leaks"].as_array().into_iter().flatten() {
        let s = |k: &str| l[k].as_str().unwrap_or("").to_string();
        let status = match l["status"].as_str() {
            Some("new") => "new",
            Some("allowed") => "allowed",
            Some("flaky") => "flaky",
            Some("harness") => "harness",
            other => return Err(format!("a leak report with status {other:?}: {l}")),
        };
        let goroutines: Vec<String> = l["goroutines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| g["top_function"].as_str().unwrap_or("").to_string())
            .collect();
        let listed: BTreeSet<&String> = l["distinct_leaks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| by_fingerprint.get(k.as_str().unwrap_or("")))
            .collect();
        let count = l["distinct_leaks"].as_array().map_or(0, Vec::len);
        if listed != goroutines.iter().collect() || count != listed.len() {
            return Err(format!(
                "a leak report's distinct_leaks {} are not its goroutines' {goroutines:?}",
                l["distinct_leaks"]
            ));
        }
        reports.push(LeakReport {
            reporter: (s("package"), s("test")),
            status,
            gating: l["gating"] == true,
            goroutines,
        });
    }
    reports.sort();
    Ok(Leaks {
        distinct: out,
        reports,
    })
}

/// Whether leakgate judged each distinct leak as the model does: the JSON
/// report's `distinct_leaks[]` (status, goroutines, reporters), its
/// `leaks[]` (each report's status, whether it gates, its goroutines and
/// distinct leaks), `tally` and the headline reason, `N new leak(s)` first
/// when N > 0.
fn leaks_agree(leaks: &Leaks, j: &Judged) -> Result<(), String> {
    let reported = reported_leaks(&j.report)?;
    if reported.distinct != leaks.distinct {
        return Err(format!(
            "distinct leaks: leakgate {:#?}, model {:#?}",
            reported.distinct, leaks.distinct
        ));
    }
    if reported.reports != leaks.reports {
        return Err(format!(
            "leak reports: leakgate {:#?}, model {:#?}",
            reported.reports, leaks.reports
        ));
    }
    let (new, allowed) = (leaks.count("new"), leaks.count("allowed"));
    let tally = &j.report["tally"];
    let want = serde_json::json!({
        "new_leaks": new,
        "allowed_leaks": allowed,
        "flaky_leaks": 0,
        "test_harness": 0,
    });
    for (k, v) in want.as_object().unwrap() {
        if tally[k] != *v {
            return Err(format!("tally.{k}: leakgate {}, model {v}", tally[k]));
        }
    }
    let headline = |r: &str| {
        r.split_once(' ')
            .is_some_and(|(n, rest)| n.parse::<u64>().is_ok() && rest.starts_with("new leak"))
    };
    if new > 0 {
        let want = format!("{new} new leak{}", if new == 1 { "" } else { "s" });
        if j.reasons.first() != Some(&want) {
            return Err(format!(
                "reasons[0]: leakgate {:?}, model {want:?}",
                j.reasons.first()
            ));
        }
    } else if let Some(r) = j.reasons.iter().find(|r| headline(r)) {
        return Err(format!("reasons: leakgate {r:?}, model no new leak"));
    }
    Ok(())
}

/// Every `failures[]` entry, gating or not, for a person.
fn all_failures(report: &Value) -> Vec<String> {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or("-").to_string();
    report["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} {} {} gating={} condition={}",
                s(f, "package"),
                s(f, "test"),
                s(f, "kind"),
                f["gating"],
                f["condition"]["name"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

// ------------------------------------------------------- failure output

impl fmt::Debug for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {:?} -> {:?}",
            self.name,
            self.actions,
            outcome(self)
        )
    }
}

/// The run as a tree, one test a line.
impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn tree(t: &Test, depth: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            writeln!(f, "{:w$}{t:?}", "", w = 2 + 2 * depth)?;
            t.subtests.iter().try_for_each(|s| tree(s, depth + 1, f))
        }
        writeln!(f, "\nallowed: {:?}", self.allowed)?;
        for (i, tests) in self.packages.iter().enumerate() {
            writeln!(f, "{}", package(i + 1))?;
            tests.iter().try_for_each(|t| tree(t, 0, f))?;
        }
        Ok(())
    }
}

fn explain(run: &Run, fmt: Fmt, inputs: &[(String, String)], j: &Judged) -> String {
    let m = model(run, fmt);
    let mut s = format!(
        "\nformat {fmt:?}\nrun:{run:?}\nmodel: {:?}, must {:?}, may {:?}, blind t.Fail() {:?}\n\
         model distinct leaks: {:?}\n\
         leakgate: {:?}, reasons {:?}\nreport failures: {:#?}\nreport gate-failing: {:?}\n\
         report distinct leaks: {:?}\nreport tally: {}\n",
        m.verdict,
        m.must,
        m.may,
        m.blind,
        m.leaks,
        j.verdict,
        j.reasons,
        all_failures(&j.report),
        gate_failing(&j.report),
        reported_leaks(&j.report),
        j.report["tally"],
    );
    for (name, text) in inputs {
        s.push_str(&format!("--- {name}\n{text}"));
    }
    s
}

// ------------------------------------------------------------ generators

fn message() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z]{1,8}( [a-z0-9=]{1,6}){0,2}",
        // Two lines: Go indents the second (Go 1.27: error-continue).
        1 => "[a-z]{1,8}\n[a-z]{1,8}",
    ]
}

/// The leak functions (K of `leakK`) one goleak report lists: mostly one
/// goroutine, else two or three, a K maybe twice (two goroutines of one
/// leak).
fn leaked() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => (1u8..=3).prop_map(|k| vec![k]),
        1 => prop::collection::vec(1u8..=3, 2..=3),
    ]
}

/// One action. `error`, `fail` and `log` weigh `t.Error`, `t.Fail()` and
/// `t.Log` against the others (7 in all): runs without failures are where
/// wrong passes hide, and without logs where formats agree.
fn action(error: u32, fail: u32, log: u32) -> impl Strategy<Value = Action> {
    let mut choices: Vec<(u32, BoxedStrategy<Action>)> = vec![
        (2, Just(Action::Pass).boxed()),
        (4, leaked().prop_map(Action::Leak).boxed()),
        (1, Just(Action::Skip).boxed()),
    ];
    if log > 0 {
        choices.push((log, message().prop_map(Action::Log).boxed()));
    }
    if error > 0 {
        choices.push((error, message().prop_map(Action::Error).boxed()));
    }
    if fail > 0 {
        choices.push((fail, Just(Action::FailSilently).boxed()));
    }
    prop::strategy::Union::new_weighted(choices)
}

fn body(error: u32, fail: u32, log: u32) -> impl Strategy<Value = Vec<Action>> {
    prop::collection::vec(action(error, fail, log), 0..4)
}

/// Tests named `{word}K` for distinct K in `1..=keys`, in order. Some
/// numbers are left out, so shrinking drops a test without renaming the
/// others (tests of the same name in two packages matter).
fn numbered(
    word: &'static str,
    keys: u8,
    test: impl Strategy<Value = Test>,
    count: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<Test>> {
    prop::collection::btree_map(1..=keys, test, count).prop_map(move |tests| {
        tests
            .into_iter()
            .map(|(k, t)| Test {
                name: format!("{word}{k}"),
                ..t
            })
            .collect()
    })
}

/// Tests of a package (1–4), each with 0–3 subtests, an eighth of which
/// have 1–2 of their own. Names are the last element until [`qualify`].
fn package_tests(error: u32, fail: u32, log: u32) -> impl Strategy<Value = Vec<Test>> {
    let body = move || body(error, fail, log);
    let node = |(actions, subtests)| Test {
        name: String::new(),
        actions,
        subtests,
    };
    let leaf = (body(), Just(vec![])).prop_map(node);
    let sub = (
        body(),
        prop_oneof![7 => Just(vec![]), 1 => numbered("case", 3, leaf, 1..3)],
    )
        .prop_map(node);
    let top = (body(), numbered("case", 4, sub, 0..4)).prop_map(node);
    numbered("Test", 5, top, 1..5)
}

/// Full names: `Test2/case1/case3`.
fn qualify(t: &mut Test, parent: Option<&str>) {
    if let Some(p) = parent {
        t.name = format!("{p}/{}", t.name);
    }
    for s in &mut t.subtests {
        qualify(s, Some(&t.name));
    }
}

/// How often `t.Error`, `t.Fail()` or `t.Log` is chosen in a run: never
/// (half the runs), rarely or often.
fn weight() -> impl Strategy<Value = u32> {
    prop_oneof![2 => Just(0u32), 1 => Just(1), 1 => Just(3)]
}

/// 1–4 packages of 1–4 tests. Each of the 12 leak functions (p1..p4 ×
/// leak1..leak3) is allowed always (half the runs) or with probability 3/4.
fn gen_run() -> impl Strategy<Value = Run> {
    let mood = (
        weight(),
        weight(),
        weight(),
        prop_oneof![Just(1.0), Just(0.75)],
    );
    mood.prop_flat_map(|(error, fail, log, p)| {
        (
            prop::collection::vec(package_tests(error, fail, log), 1..5),
            prop::collection::vec(prop::bool::weighted(p), 12),
        )
            .prop_map(|(mut packages, allow)| {
                for t in packages.iter_mut().flatten() {
                    qualify(t, None);
                }
                let allowed = (0..12)
                    .filter(|&i| allow[i])
                    .map(|i| leak_fn(i / 3 + 1, (i % 3) as u8 + 1))
                    .collect();
                Run { packages, allowed }
            })
    })
}

/// `cases` by default (a few seconds in a debug build); PROPTEST_CASES=5000
/// for a deeper search.
fn config(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        // Counterexamples are printed, and kept by hand (shrunk) in
        // `counterexamples_found_by_the_properties`: none in the tree.
        failure_persistence: None,
        // Shrinking runs leakgate 3–6 times a step: bound it (a failing
        // property takes ~15 s in a debug build).
        max_shrink_iters: 1024,
        ..Config::default()
    }
}

// ------------------------------------------------------------ properties

proptest! {
    #![proptest_config(config(64))]

    /// 1. leakgate's verdict is the model's, in every format, however the
    /// packages are interleaved and sharded.
    #[test]
    fn verdict_is_the_models(run in gen_run(), layout in any::<u64>()) {
        for fmt in FORMATS {
            let inputs = render(&run, fmt, layout);
            let j = judge(&run, &inputs);
            prop_assert_eq!(j.verdict, model(&run, fmt).verdict, "{}", explain(&run, fmt, &inputs, &j));
        }
    }
}

proptest! {
    // Two leakgate calls a case, not three or six: more cases.
    #![proptest_config(config(128))]

    /// 2. The layout changes nothing: the same verdict, findings and
    /// gate-failing tests as one input with the packages in order. (One
    /// format a case: each leakgate call costs ~8 ms in a debug build.)
    #[test]
    fn layout_does_not_matter(run in gen_run(), fmt in prop::sample::select(FORMATS.to_vec()), layout in 1..u64::MAX) {
        let (a_in, b_in) = (render(&run, fmt, 0), render(&run, fmt, layout));
        let (a, b) = (judge(&run, &a_in), judge(&run, &b_in));
        let why = || format!("{}\n=== versus ==={}", explain(&run, fmt, &a_in, &a), explain(&run, fmt, &b_in, &b));
        prop_assert_eq!(a.verdict, b.verdict, "{}", why());
        prop_assert_eq!(findings(&a.report), findings(&b.report), "{}", why());
        prop_assert_eq!(gate_failing(&a.report).ok(), gate_failing(&b.report).ok(), "{}", why());
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// 3. The tests the JSON report says fail the gate (`tests[].gate ==
    /// "fail"`) are exactly the model's (`must` ⊆ reported ⊆ `may`, and
    /// `may` == `must`).
    #[test]
    fn report_names_the_gate_failing_tests(run in gen_run(), layout in any::<u64>()) {
        for fmt in FORMATS {
            let inputs = render(&run, fmt, layout);
            let j = judge(&run, &inputs);
            let m = model(&run, fmt);
            let reported = gate_failing(&j.report);
            prop_assert!(reported.is_ok(), "{}{}", reported.unwrap_err(), explain(&run, fmt, &inputs, &j));
            let reported = reported.unwrap();
            prop_assert!(m.must.is_subset(&reported), "missing {:?}{}", m.must.difference(&reported).collect::<Vec<_>>(), explain(&run, fmt, &inputs, &j));
            prop_assert!(reported.is_subset(&m.may), "extra {:?}{}", reported.difference(&m.may).collect::<Vec<_>>(), explain(&run, fmt, &inputs, &j));
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// 4. Incomplete input (the first input's last package result cut
    /// off) is judged by [`model_incomplete`], and says where it ends.
    #[test]
    fn incomplete_input_is_judged_on_what_it_shows(run in gen_run(), layout in any::<u64>()) {
        for fmt in FORMATS {
            let mut inputs = render(&run, fmt, layout);
            let cut = cut_last_result(fmt, &mut inputs[0].1);
            let j = judge(&run, &inputs);
            prop_assert_eq!(j.verdict, model_incomplete(&run, fmt), "{}", explain(&run, fmt, &inputs, &j));
            let agree = leaks_agree(&model_incomplete_leaks(&run, fmt, &cut), &j);
            prop_assert!(agree.is_ok(), "{}{}", agree.unwrap_err(), explain(&run, fmt, &inputs, &j));
            let end = format!("{}:{}: the input ends before", inputs[0].0, inputs[0].1.lines().count());
            prop_assert!(j.reasons.iter().any(|r| r.starts_with(&end)), "{end}{}", explain(&run, fmt, &inputs, &j));
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// 5. Each distinct leak is judged on its own: leakgate's
    /// `distinct_leaks[]` (by `top_function`: status, goroutines, the
    /// tests that report it) are the model's, `tally.new_leaks` and
    /// `tally.allowed_leaks` count them, and `reasons[0]` is `N new
    /// leak(s)` when N > 0, in every format and layout. (A report that
    /// lists an allowed and a new leak: one new, one allowed.) Each report
    /// in `leaks[]` is new and gates when one of its leaks is new, and
    /// lists its goroutines and their distinct leaks.
    #[test]
    fn each_distinct_leak_is_judged_on_its_own(run in gen_run(), layout in any::<u64>()) {
        for fmt in FORMATS {
            let inputs = render(&run, fmt, layout);
            let j = judge(&run, &inputs);
            let agree = leaks_agree(&model(&run, fmt).leaks, &j);
            prop_assert!(agree.is_ok(), "{}{}", agree.unwrap_err(), explain(&run, fmt, &inputs, &j));
        }
    }
}

/// Drops the result of the input's last package: its final event in JSON,
/// its `PASS`/`FAIL` and `ok`/`FAIL\tpkg` lines in text. Returns that
/// package.
fn cut_last_result(fmt: Fmt, input: &mut String) -> String {
    let drop = if fmt == Fmt::Text { 2 } else { 1 };
    let lines: Vec<&str> = input.lines().collect();
    let last = lines[lines.len() - 1];
    let cut = if fmt == Fmt::Text {
        last.split('\t').nth(1).unwrap().to_string()
    } else {
        let e: Value = serde_json::from_str(last).unwrap();
        e["Package"].as_str().unwrap().to_string()
    };
    *input = lines[..lines.len() - drop]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    cut
}

/// The renderers against the captures: one test like
/// assertfail.TestBackgroundLeaks gives the fixture's lines, shape for shape.
#[test]
fn rendering_matches_the_fixtures() {
    let t = test("Test1", vec![Action::Leak(vec![1])], vec![]);
    let run = Run {
        packages: vec![vec![t]],
        allowed: BTreeSet::new(),
    };
    let text = &render(&run, Fmt::Text, 0)[0].1;
    let want = "=== RUN   Test1\n    gen_test.go:10: found unexpected goroutines:\n        [Goroutine 19 in state chan receive, with example.com/gen/p1.leak1 on top of the stack:\n        example.com/gen/p1.leak1()\n        \t/src/gen/p1/gen.go:15 +0x19\n        created by example.com/gen/p1.start1 in goroutine 18\n        \t/src/gen/p1/gen.go:14 +0x5f\n        ]\n--- FAIL: Test1 (0.45s)\nFAIL\nFAIL\texample.com/gen/p1\t0.453s\n";
    assert_eq!(text, want);
    let json = &render(&run, Fmt::Json127, 0)[0].1;
    let types: Vec<Option<String>> = json
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["Action"] == "output")
        .map(|e| e["OutputType"].as_str().map(str::to_string))
        .collect();
    let (f, e, c) = (
        Some("frame".to_string()),
        Some("error".to_string()),
        Some("error-continue".to_string()),
    );
    assert_eq!(
        types,
        [
            f.clone(),
            e,
            c.clone(),
            c.clone(),
            c.clone(),
            c.clone(),
            c.clone(),
            c,
            f.clone(),
            f.clone(),
            f
        ]
    );
    // And leakgate reads all three without a problem.
    for fmt in FORMATS {
        let inputs = render(&run, fmt, 0);
        let j = judge(&run, &inputs);
        assert_eq!(
            j.verdict,
            Verdict::Fail,
            "{}",
            explain(&run, fmt, &inputs, &j)
        );
    }
}

/// A report of several goroutines, like ctxworker.TestErrgroupNeverWaited
/// and fiftyworkers.TestFiftyWorkersLeaked (go1.26-goleak1.3.0/all.txt,
/// all.json): one `[`, each goroutine after the first on a line that starts
/// with a space (` Goroutine N in state …`), each `created by … in
/// goroutine` the test's goroutine, ids in order; every line after the
/// first is `error-continue` in Go 1.27.
#[test]
fn rendering_of_several_goroutines_matches_the_fixtures() {
    let t = test("Test1", vec![Action::Leak(vec![2, 1, 2])], vec![]);
    let run = Run {
        packages: vec![vec![t]],
        allowed: BTreeSet::new(),
    };
    let text = &render(&run, Fmt::Text, 0)[0].1;
    let want = "=== RUN   Test1
    gen_test.go:10: found unexpected goroutines:
        [Goroutine 19 in state chan receive, with example.com/gen/p1.leak2 on top of the stack:
        example.com/gen/p1.leak2()
        \t/src/gen/p1/gen.go:20 +0x19
        created by example.com/gen/p1.start2 in goroutine 18
        \t/src/gen/p1/gen.go:19 +0x5f
         Goroutine 20 in state chan receive, with example.com/gen/p1.leak1 on top of the stack:
        example.com/gen/p1.leak1()
        \t/src/gen/p1/gen.go:15 +0x19
        created by example.com/gen/p1.start1 in goroutine 18
        \t/src/gen/p1/gen.go:14 +0x5f
         Goroutine 21 in state chan receive, with example.com/gen/p1.leak2 on top of the stack:
        example.com/gen/p1.leak2()
        \t/src/gen/p1/gen.go:20 +0x19
        created by example.com/gen/p1.start2 in goroutine 18
        \t/src/gen/p1/gen.go:19 +0x5f
        ]
--- FAIL: Test1 (0.45s)
FAIL
FAIL\texample.com/gen/p1\t0.453s
";
    assert_eq!(text, want);
    // Shape for shape, ids counted from the test's goroutine, the first
    // three goroutines of the capture's fifty are three of one leak.
    let fixture =
        std::fs::read_to_string(crate::common::fixture("go1.26-goleak1.3.0/all.txt")).unwrap();
    let lines: Vec<&str> = fixture.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("        [Goroutine 20 in state chan receive, with example.com/leakgate/fixtures/fiftyworkers.worker "))
        .unwrap();
    let mut captured = lines[at..at + 15].to_vec();
    captured.push("        ]");
    let captured = report_shape(
        &captured,
        "example.com/leakgate/fixtures/fiftyworkers.worker",
        "example.com/leakgate/fixtures/fiftyworkers.NewPool",
    );
    let t = test("Test1", vec![Action::Leak(vec![1, 1, 1])], vec![]);
    let three = Run {
        packages: vec![vec![t]],
        allowed: BTreeSet::new(),
    };
    let text = &render(&three, Fmt::Text, 0)[0].1;
    let ours: Vec<&str> = text.lines().skip(2).take(16).collect();
    let ours = report_shape(
        &ours,
        "example.com/gen/p1.leak1",
        "example.com/gen/p1.start1",
    );
    assert_eq!(ours, captured);
    let json = &render(&run, Fmt::Json127, 0)[0].1;
    let types: Vec<String> = json
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["Action"] == "output")
        .map(|e| e["OutputType"].as_str().unwrap_or("-").to_string())
        .collect();
    let mut want = vec!["frame", "error"];
    want.extend(["error-continue"; 16]);
    want.extend(["frame"; 3]);
    assert_eq!(types, want);
    // The next report's goroutines take the next ids; the test's goroutine
    // started them too.
    let t = test(
        "Test1",
        vec![Action::Leak(vec![1, 3]), Action::Leak(vec![3])],
        vec![],
    );
    let run = Run {
        packages: vec![vec![t]],
        allowed: BTreeSet::new(),
    };
    let text = &render(&run, Fmt::Text, 0)[0].1;
    assert!(text.contains(" Goroutine 20 in state chan receive, with example.com/gen/p1.leak3 "));
    assert!(text.contains("[Goroutine 21 in state chan receive, with example.com/gen/p1.leak3 "));
    assert_eq!(text.matches(" in goroutine 18\n").count(), 3);
}

/// A goleak report's lines with its leaked function `F`, the function
/// that started it `C`, frames' files and arguments abstracted, and
/// goroutine ids counted from the one that started them.
fn report_shape(lines: &[&str], top: &str, creator: &str) -> Vec<String> {
    let base: u64 = lines
        .iter()
        .find_map(|l| l.split(" in goroutine ").nth(1))
        .and_then(|n| n.parse().ok())
        .expect("a `created by … in goroutine N` line");
    lines
        .iter()
        .map(|l| {
            let text = l.trim_start_matches(' ');
            if text.starts_with('\t') {
                return format!("{}\tFILE", &l[..l.len() - text.len()]);
            }
            let l = l
                .replace(&format!("{top}(...)"), "F()")
                .replace(&format!("{top}()"), "F()")
                .replace(top, "F")
                .replace(creator, "C");
            l.split(' ')
                .map(|w| match w.parse::<u64>() {
                    Ok(n) => format!("+{}", n - base),
                    Err(_) => w.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn test(name: &str, actions: Vec<Action>, subtests: Vec<Test>) -> Test {
    Test {
        name: name.to_string(),
        actions,
        subtests,
    }
}

/// Small runs the properties found (shrunk, then cut down by hand), checked
/// in every format and 16 layouts against the model: the verdict, the
/// gate-failing tests and the distinct leaks. p1.leak1 is allowed.
#[test]
fn counterexamples_found_by_the_properties() {
    let (log, error) = (|| Action::Log("a".into()), || Action::Error("a".into()));
    let leak = || Action::Leak(vec![1]); // allowed below
    let one = |actions, subtests| vec![vec![test("Test1", actions, subtests)]];
    let case1 = |actions| vec![test("Test1/case1", actions, vec![])];
    let cases: Vec<(&str, Vec<Vec<Test>>)> = vec![
        (
            "t.Error next to an allowed leak",
            one(vec![error(), leak()], vec![]),
        ),
        (
            "t.Log next to an allowed leak",
            one(vec![log(), leak()], vec![]),
        ),
        (
            "t.Log in the parent of a subtest with an allowed leak",
            one(vec![log()], case1(vec![leak()])),
        ),
        (
            "t.Fail() in p2.Test1 while p1.Test1's subtest has an allowed leak",
            vec![
                vec![test("Test1", vec![], case1(vec![leak()]))],
                vec![test("Test1", vec![Action::FailSilently], vec![])],
            ],
        ),
        // Ambiguous formats: the subtest fails the gate, so the parent's
        // message lines need not be a failure of their own.
        (
            "t.Log in the parent of a subtest that calls t.Error",
            one(vec![log()], case1(vec![error()])),
        ),
        (
            "t.Error in the parent of a subtest that calls t.Error",
            one(vec![error()], case1(vec![error()])),
        ),
        // Ambiguous formats: the subtest's messages beside its allowed leak
        // fail it (nothing else below it does); then something below the
        // parent fails the gate, and the parent's messages need not.
        (
            "t.Log in the parent of a subtest with t.Log next to an allowed leak",
            one(vec![log()], case1(vec![log(), leak()])),
        ),
        (
            "t.Log next to an allowed leak, above a subtest with the same",
            one(vec![log(), leak()], case1(vec![log(), leak()])),
        ),
        // The model's blind spot: t.Fail() prints nothing, and goleak's
        // report (or a failed subtest) already marks the test failed. Both
        // say it passes (or is "child"); listed so a change shows.
        (
            "t.Fail() next to an allowed leak (blind spot)",
            one(vec![Action::FailSilently, leak()], vec![]),
        ),
        (
            "t.Fail() above a subtest with an allowed leak (blind spot)",
            one(vec![Action::FailSilently], case1(vec![leak()])),
        ),
    ];
    let mut wrong = Vec::new();
    for (what, packages) in cases {
        let run = Run {
            packages,
            allowed: ["example.com/gen/p1.leak1".to_string()].into(),
        };
        for fmt in FORMATS {
            for layout in 0..16 {
                let inputs = render(&run, fmt, layout);
                let (j, m) = (judge(&run, &inputs), model(&run, fmt));
                let reported = gate_failing(&j.report);
                if j.verdict != m.verdict || reported.as_ref() != Ok(&m.must) {
                    wrong.push(format!(
                        "{what}: {fmt:?} layout {layout}: leakgate {:?} {:?}, model {:?} {:?}",
                        j.verdict, reported, m.verdict, m.must
                    ));
                    break;
                }
                if let Err(e) = leaks_agree(&m.leaks, &j) {
                    wrong.push(format!("{what}: {fmt:?} layout {layout}: {e}"));
                    break;
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// Reports that list several leaks, judged leak by leak: the model's
/// answer for each (pinned here, so a change to the model shows) and
/// leakgate's agree in every format and 16 layouts. p1.leak1 is allowed,
/// p1.leak2 and p1.leak3 are not.
#[test]
fn reports_of_several_leaks() {
    let leak = |ks: &[u8]| Action::Leak(ks.to_vec());
    let (log, error) = (|| Action::Log("a".into()), || Action::Error("a".into()));
    let case1 = |actions| vec![test("Test1/case1", actions, vec![])];
    // What, tests of p1, the verdict, the gate-failing tests, new leaks,
    // allowed leaks.
    type Case = (
        &'static str,
        Vec<Test>,
        Verdict,
        &'static [&'static str],
        usize,
        usize,
    );
    let cases: Vec<Case> = vec![
        (
            "an allowed and a new leak in one report: one new leak",
            vec![test("Test1", vec![leak(&[1, 2])], vec![])],
            Verdict::Fail,
            &["Test1"],
            1,
            1,
        ),
        (
            "two goroutines of one allowed leak: one allowed leak",
            vec![test("Test1", vec![leak(&[1, 1])], vec![])],
            Verdict::Pass,
            &[],
            0,
            1,
        ),
        (
            "one allowed leak reported by two tests",
            vec![
                test("Test1", vec![leak(&[1])], vec![]),
                test("Test2", vec![leak(&[1, 1])], vec![]),
            ],
            Verdict::Pass,
            &[],
            0,
            1,
        ),
        (
            "two new leaks, one of them in two reports, beside an allowed one",
            vec![
                test("Test1", vec![leak(&[2, 1, 3])], vec![]),
                test("Test2", vec![leak(&[1]), leak(&[3])], vec![]),
            ],
            Verdict::Fail,
            &["Test1", "Test2"],
            2,
            1,
        ),
        (
            "t.Log next to a report of an allowed and a new leak",
            vec![test("Test1", vec![log(), leak(&[2, 1])], vec![])],
            Verdict::Fail,
            &["Test1"],
            1,
            1,
        ),
        (
            "t.Log in the parent of a subtest with an allowed and a new leak",
            vec![test("Test1", vec![log()], case1(vec![leak(&[1, 2])]))],
            Verdict::Fail,
            &["Test1/case1"],
            1,
            1,
        ),
        (
            "t.Error in the parent of a subtest with two goroutines of an allowed leak",
            vec![test("Test1", vec![error()], case1(vec![leak(&[1, 1])]))],
            Verdict::Fail,
            &["Test1"],
            0,
            1,
        ),
    ];
    let mut wrong = Vec::new();
    for (what, tests, verdict, failing, new, allowed) in cases {
        let run = Run {
            packages: vec![tests],
            allowed: ["example.com/gen/p1.leak1".to_string()].into(),
        };
        let failing: BTreeSet<Key> = failing
            .iter()
            .map(|t| (package(1), t.to_string()))
            .collect();
        for fmt in FORMATS {
            let m = model(&run, fmt);
            let pinned = (verdict, &failing, new, allowed);
            let modelled = (
                m.verdict,
                &m.must,
                m.leaks.count("new"),
                m.leaks.count("allowed"),
            );
            if modelled != pinned {
                wrong.push(format!(
                    "{what}: {fmt:?}: model {modelled:?}, not {pinned:?}"
                ));
                continue;
            }
            for layout in 0..16 {
                let inputs = render(&run, fmt, layout);
                let j = judge(&run, &inputs);
                let reported = gate_failing(&j.report);
                let agree = leaks_agree(&m.leaks, &j);
                if j.verdict != m.verdict || reported.as_ref() != Ok(&m.must) || agree.is_err() {
                    wrong.push(format!(
                        "{what}: {fmt:?} layout {layout}: leakgate {:?} {reported:?} {agree:?}, model {:?} {:?}",
                        j.verdict, m.verdict, m.must
                    ));
                    break;
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
