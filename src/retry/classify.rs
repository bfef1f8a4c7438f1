//! The default classifier: is a leaked goroutine worth a rerun, or
//! clearly a real leak? And where did it come from?
//!
//! **What makes a retry safe is the rerun, not this classifier.** A rerun
//! repeats what led to the report ([`super::rerun`]): every test of the
//! package binary up to and including the reporting one (or the whole
//! package), in the directory, environment and with the flags of the first
//! run; and a leak is flaky only when that rerun ran all of it and passed
//! with nothing else failing ([`super::execute`]). A leak that happens on
//! every run is caught again on every attempt, whatever state it is in, so
//! no rule below can turn it flaky. What a retry *can* hide is an
//! intermittent real leak, one that happens on some runs only; the
//! classifier keeps that risk small by retrying only the states real flakes
//! were seen in, and calling everything else a leak.
//!
//! Checked against real runs (`testdata/go/flaky`, `flakymain`, and
//! `testdata/retry`, whose README lists them): the flakes goleak caught were
//! goroutines in `sleep` (a delay before exiting that outlived goleak's
//! ~0.45 s of retries) or about to exit (`runnable`); the real leaks were in
//! every state, `sleep` included: a poller sleeping in a loop
//! (`testdata/retry/crosstest`, `ownloop`, `mainloop`) is the classic leak,
//! not a startup or shutdown phase. One stack cannot tell that loop from a
//! delay before exiting; only a rerun can, which is why `sleep` is retried
//! and why the rerun must include the test that started the loop (goleak
//! reports it in whichever check runs next: `crosstest`'s poller is started
//! by one test and reported by the next).
//!
//! Rules, first match wins. Each has an id (shown in reports), a reason,
//! and a reason it is safe.
//!
//! Clearly blocked (never retried):
//!
//! | id | when | why | why that is safe |
//! |---|---|---|---|
//! | `leaked-gc` | `(leaked)` in the header (Go 1.26+ leak GC) | the runtime proved nothing can ever wake it | not retrying can only keep a leak new |
//! | `synctest-durable` | `(durable)` or inside a synctest bubble | durably blocked in a bubble: deterministic by construction | as above |
//! | `minutes` | `, N minutes` in the header | blocked (or sleeping) for minutes: no startup or shutdown lasts that long | as above |
//! | `no-cases` | `select (no cases)` | `select {}` blocks forever | as above |
//! | `nil-chan` | `chan send (nil chan)` / `chan receive (nil chan)` | an operation on a nil channel blocks forever | as above |
//! | `accept` | `IO wait` with a listener's accept on the stack | an accept loop waits until its listener is closed, and nobody was closing it | as above |
//!
//! Worth a rerun (the rerun decides):
//!
//! | id | when | why | why that is safe |
//! |---|---|---|---|
//! | `running` | `runnable`, `running` or `preempted` | not blocked: goleak caught it mid-flight, often on its way out | a goroutine that keeps running (a busy loop, a poller between sleeps) is caught again by the rerun; attempts compare goroutines by their `go` statement, not their state |
//! | `sleep` | `sleep` (no minutes) | in `time.Sleep`: a delay before exiting, *or* a polling loop, which is a leak; one stack cannot tell | a loop that sleeps forever is caught again by a rerun that runs the test that started it (`crosstest`, `ownloop`, `mainloop` reproduce on every attempt) |
//! | `closing` | blocked, no minutes, with a `Close`/`Shutdown`/`Stop` method of its own on the stack | it is itself tearing something down, and a close in progress finishes once the other side lets go | a close that never finishes (a `Close` waiting for workers that never exit) never finishes in the rerun either |
//!
//! Everything else (`chan receive`, `chan send`, `select`, `IO wait`,
//! `semacquire`, `sync.*`, `syscall`, …) is **blocked** (`blocked`): a
//! goroutine parked on a channel, lock or socket with no sign of finishing
//! is exactly what a leak looks like, and one stack cannot tell "a Close is
//! about to release it" from "nobody will ever release it". Idle net/http
//! keep-alive connections (`persistConn.readLoop`/`writeLoop`) fall here on
//! purpose: they stay until the client's transport is closed. Teams that know
//! better say so with `retry.when` in `.leakgate.yml`.
//!
//! Test-harness goroutines (a `t.Parallel` sibling, the testing framework's
//! own, see [`crate::findings::harness_reason`]) are not the test's leaks
//! and are not classified: a report retries only if every *other*
//! goroutine in it is retryable. A report of harness goroutines only is
//! retried: they are tests still running, not goroutines anyone leaked, and
//! the rerun shows whether anything else remains.
//!
//! [`origin`] says where a goroutine came from: its `go` statement's
//! function, after following `created by … in goroutine N` (Go 1.21+)
//! through the goroutines of the same report to the first one not in it,
//! and whether that function is the reporting test's own (a `Test…`
//! function in a `_test.go` file, or a closure of it), another test's, or
//! neither (a constructor any earlier test may have called). The rerun
//! needs it: a goroutine another test started must be started again.

use crate::findings::{Leak, LeakedGoroutine};
use crate::stack::Goroutine;

/// What the classifier concluded about one goroutine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    /// Worth a retry.
    pub retryable: bool,
    /// The rule that decided, see the module docs.
    pub rule: &'static str,
    /// Why, for a person.
    pub reason: &'static str,
}

const fn blocked(rule: &'static str, reason: &'static str) -> Class {
    Class {
        retryable: false,
        rule,
        reason,
    }
}

const fn transient(rule: &'static str, reason: &'static str) -> Class {
    Class {
        retryable: true,
        rule,
        reason,
    }
}

/// Method names that mean "this goroutine is closing something".
const CLOSING_METHODS: &[&str] = &[
    "Close",
    "Shutdown",
    "Stop",
    "GracefulStop",
    "CloseIdleConnections",
];

/// Functions of a listener's accept path (net and internal/poll).
fn is_accept(function: &str) -> bool {
    function.starts_with("net.")
        && (function.ends_with(".accept")
            || function.ends_with(".Accept")
            || function.ends_with(".AcceptTCP")
            || function.ends_with(".AcceptUnix"))
        || function == "internal/poll.(*FD).Accept"
}

/// The method or function name after the last `.` (`(*Server).Close` →
/// `Close`); closures (`Close.func1`) count as their function.
fn method_name(function: &str) -> &str {
    let mut name = function.rsplit('/').next().unwrap_or(function);
    // Strip closure suffixes: `F.func1`, `F.func1.2`.
    loop {
        match name.rsplit_once('.') {
            Some((head, last))
                if last.starts_with("func") || last.bytes().all(|b| b.is_ascii_digit()) =>
            {
                name = head
            }
            _ => break,
        }
    }
    name.rsplit('.').next().unwrap_or(name)
}

/// Classifies one goroutine with the default rules.
pub fn classify(g: &Goroutine) -> Class {
    let s = &g.state;
    if s.leaked {
        return blocked(
            "leaked-gc",
            "the Go runtime's leak detector proved nothing can ever wake it",
        );
    }
    if s.durable || s.synctest_bubble.is_some() {
        return blocked(
            "synctest-durable",
            "durably blocked inside a synctest bubble: deterministic",
        );
    }
    if s.wait_minutes.is_some() {
        return blocked(
            "minutes",
            "blocked for minutes: nothing transient lasts that long",
        );
    }
    let status = s.status.as_str();
    if status == "select (no cases)" {
        return blocked("no-cases", "`select {}` blocks forever");
    }
    if status.ends_with("(nil chan)") {
        return blocked("nil-chan", "an operation on a nil channel blocks forever");
    }
    if status == "IO wait" && g.frames.iter().any(|f| is_accept(&f.function)) {
        return blocked(
            "accept",
            "an accept loop waits for connections until its listener is closed, and nobody was closing it",
        );
    }
    match status {
        "runnable" | "running" | "preempted" => {
            return transient(
                "running",
                "not blocked: scheduled and about to finish or block; caught mid-flight",
            )
        }
        "sleep" => {
            return transient(
                "sleep",
                "in time.Sleep: a delay before exiting or a polling loop; a rerun of what started it tells",
            )
        }
        _ => {}
    }
    if g.frames.iter().any(|f| {
        !f.function.starts_with("runtime.") && CLOSING_METHODS.contains(&method_name(&f.function))
    }) {
        return transient(
            "closing",
            "it is itself closing something, which finishes once the other side lets go",
        );
    }
    blocked(
        "blocked",
        "parked on a channel, lock or socket with no sign of finishing: what a leak looks like",
    )
}

/// Where a leaked goroutine came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Started by the reporting test's own function or a closure of it.
    ReportingTest,
    /// Started by another top-level test of the package (its name).
    OtherTest(String),
    /// Started by a function that is not a test (its name): any test that
    /// ran before the report may have called it.
    Function(String),
    /// The report has no `created by` line for it.
    Unknown,
}

/// The top-level test function `function` belongs to, when it is one
/// (`pkg.TestA`, `pkg.TestA.func1.2`, `pkg.FuzzB`); a `Test` prefix must
/// be followed by nothing or a non-lowercase letter, as `go test` requires.
/// `TestMain` is not a test: it runs around all of them.
pub fn test_function(function: &str) -> Option<&str> {
    let last = function.rsplit('/').next().unwrap_or(function);
    let (_, rest) = last.split_once('.')?;
    let name = rest.split('.').next().unwrap_or(rest);
    if name == "TestMain" {
        return None;
    }
    ["Test", "Fuzz", "Example", "Benchmark"]
        .iter()
        .any(|p| {
            name.strip_prefix(p)
                .is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_lowercase()))
        })
        .then_some(name)
}

/// Where `g` of `leak` came from, and a sentence saying so. `created by
/// … in goroutine N` is followed through the report's goroutines (a worker
/// started by a leaked pool goroutine came from whoever started the pool).
pub fn origin(leak: &Leak, g: &LeakedGoroutine) -> (Origin, String) {
    let mut cur = &g.goroutine;
    for _ in 0..leak.goroutines.len() {
        let parent = cur
            .created_by
            .as_ref()
            .and_then(|c| c.goroutine)
            .and_then(|n| leak.goroutines.iter().find(|o| o.goroutine.id == n))
            .map(|o| &o.goroutine);
        match parent {
            Some(p) if p.id != cur.id => cur = p,
            _ => break,
        }
    }
    let Some(c) = &cur.created_by else {
        return (
            Origin::Unknown,
            format!(
                "goroutine {} has no `created by` line: it may come from any test that ran before",
                g.goroutine.id
            ),
        );
    };
    let via = if cur.id == g.goroutine.id {
        String::new()
    } else {
        format!(" (through goroutine {})", cur.id)
    };
    let creator = match c.goroutine {
        Some(n) => format!("{} in goroutine {n}", c.function),
        None => c.function.clone(),
    };
    let reporter = leak
        .test
        .as_deref()
        .map(|t| t.split('/').next().unwrap_or(t));
    let in_test_file = c.file.ends_with("_test.go");
    match test_function(&c.function).filter(|_| in_test_file) {
        Some(t) if Some(t) == reporter => (
            Origin::ReportingTest,
            format!(
                "goroutine {}{via} was started by {creator}, the reporting test's own code",
                g.goroutine.id
            ),
        ),
        Some(t) => (
            Origin::OtherTest(t.to_string()),
            format!(
                "goroutine {}{via} was started by {creator}, another test than the one that reported it",
                g.goroutine.id
            ),
        ),
        None => (
            Origin::Function(c.function.clone()),
            format!(
                "goroutine {}{via} was started by {creator}, not the reporting test's own code: any test that ran before may have started it",
                g.goroutine.id
            ),
        ),
    }
}

/// What the classifier says about a whole leak report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportClass {
    /// Every non-harness goroutine is retryable.
    pub retryable: bool,
    /// Why, for a person: the first goroutine that is not retryable, or the
    /// rules that made it retryable.
    pub reason: String,
}

/// Decides a report: retryable only if every goroutine that is not the test
/// harness's is, under `decide` (the default rules or `retry.when`).
pub fn classify_report(leak: &Leak, decide: &dyn Fn(&LeakedGoroutine) -> Class) -> ReportClass {
    let mut rules: Vec<&'static str> = Vec::new();
    for g in leak.real_goroutines() {
        let c = decide(g);
        if !c.retryable {
            return ReportClass {
                retryable: false,
                reason: format!(
                    "goroutine {} [{}] is not retryable ({}: {})",
                    g.goroutine.id, g.goroutine.state.raw, c.rule, c.reason
                ),
            };
        }
        if !rules.contains(&c.rule) {
            rules.push(c.rule);
        }
    }
    let reason = if rules.is_empty() {
        "only test-harness goroutines: the test alone may not leak".to_string()
    } else {
        format!("every goroutine is worth a rerun ({})", rules.join(", "))
    };
    ReportClass {
        retryable: true,
        reason,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::findings::Findings;

    fn fixture(name: &str) -> Findings {
        crate::testutil::fixture_findings(name)
    }

    fn leak<'a>(f: &'a Findings, pkg: &str, test: Option<&str>) -> &'a Leak {
        f.leaks
            .iter()
            .find(|l| {
                l.package.as_deref().is_some_and(|p| p.ends_with(pkg)) && l.test.as_deref() == test
            })
            .unwrap_or_else(|| panic!("no leak for {pkg} {test:?}"))
    }

    fn default(g: &LeakedGoroutine) -> Class {
        classify(&g.goroutine)
    }

    const FIXTURES: &[&str] = &[
        "go1.26-goleak1.2.1/all.json",
        "go1.26-goleak1.3.0/all.json",
        "go1.27-goleak1.2.1/all.json",
        "go1.27-goleak1.3.0/all.json",
        "go1.26-goleak1.3.0/all.txt",
        "go1.27-goleak1.3.0/all.gotestsum.xml",
    ];

    #[test]
    fn transient_reports_from_real_runs() {
        for name in FIXTURES {
            let f = fixture(name);
            for (pkg, test) in [
                ("/flaky", Some("TestLeakOnFirstAttempt")),
                ("/flaky", Some("TestSleepLoopLeak")),
                ("/flakymain", None),
            ] {
                let r = classify_report(leak(&f, pkg, test), &default);
                assert!(r.retryable, "{name} {pkg} {test:?}: {}", r.reason);
                assert!(r.reason.contains("sleep"), "{}", r.reason);
            }
        }
    }

    #[test]
    fn mixed_report_is_not_retried() {
        for name in FIXTURES {
            let f = fixture(name);
            let l = leak(&f, "/flaky", Some("TestMixedReport"));
            let classes: Vec<Class> = l.real_goroutines().map(default).collect();
            assert!(
                classes.iter().any(|c| c.retryable && c.rule == "sleep"),
                "{name}"
            );
            assert!(
                classes.iter().any(|c| !c.retryable && c.rule == "blocked"),
                "{name}"
            );
            let r = classify_report(l, &default);
            assert!(!r.retryable, "{name}");
            assert!(r.reason.contains("chan receive"), "{}", r.reason);
        }
    }

    #[test]
    fn clearly_blocked_reports_from_real_runs() {
        for name in FIXTURES {
            let f = fixture(name);
            for (pkg, test) in [
                ("/recvnoclose", Some("TestConsumerNeverClosed")),
                ("/sendafterreturn", Some("TestFirstResultWins")),
                ("/ctxworker", Some("TestWorkerContextNeverCancelled")),
                ("/mutexstuck", Some("TestRefreshBlockedOnMutex")),
                ("/selectleak", Some("TestMuxNeverStopped")),
                ("/selectleak", Some("TestParkForever")),
                ("/iowait", Some("TestIdleClientKeepsHandlerReading")),
                ("/fiftyworkers", Some("TestFiftyWorkersLeaked")),
                ("/httphandler", Some("TestServerNotClosed")),
                ("/testmain", None),
            ] {
                let r = classify_report(leak(&f, pkg, test), &default);
                assert!(!r.retryable, "{name} {pkg} {test:?}: {}", r.reason);
            }
        }
    }

    #[test]
    fn specific_rules_on_real_stacks() {
        let f = fixture("go1.26-goleak1.3.0/all.json");
        let park = leak(&f, "/selectleak", Some("TestParkForever"));
        assert_eq!(default(&park.goroutines[0]).rule, "no-cases");
        let io = leak(&f, "/iowait", Some("TestIdleClientKeepsHandlerReading"));
        let rules: Vec<&str> = io.real_goroutines().map(|g| default(g).rule).collect();
        assert!(rules.contains(&"accept"), "{rules:?}");
        let synctest = f
            .leaks
            .iter()
            .find(|l| l.source == crate::findings::LeakSource::Synctest)
            .unwrap();
        assert_eq!(default(&synctest.goroutines[0]).rule, "synctest-durable");
    }

    fn parse(text: &str) -> Goroutine {
        crate::stack::parse_dump(text).into_iter().next().unwrap()
    }

    #[test]
    fn header_rules() {
        // Header forms copied from real runtime tracebacks.
        let cases = [
            ("goroutine 7 [chan receive, 5 minutes]:\nex.com/a.F.func1()\n\t/a/f.go:9 +0x19\n", false, "minutes"),
            ("goroutine 7 [sleep, 2 minutes]:\ntime.Sleep(0x1)\n\t/go/time.go:1 +0x1\n", false, "minutes"),
            ("goroutine 7 [runnable]:\nex.com/a.F.func1()\n\t/a/f.go:9 +0x19\n", true, "running"),
            ("goroutine 7 [running]:\nex.com/a.F.func1()\n\t/a/f.go:9 +0x19\n", true, "running"),
            ("goroutine 7 [chan receive (nil chan)]:\nex.com/a.F.func1()\n\t/a/f.go:9 +0x19\n", false, "nil-chan"),
            ("goroutine 7 [chan receive (leaked)]:\nex.com/a.F.func1()\n\t/a/f.go:9 +0x19\n", false, "leaked-gc"),
            ("goroutine 7 [semacquire]:\nsync.runtime_Semacquire(0x1)\n\t/go/sema.go:1 +0x1\nsync.(*WaitGroup).Wait(0x1)\n\t/go/wg.go:1 +0x1\nex.com/a.(*Pool).Close(0x1)\n\t/a/f.go:9 +0x19\n", true, "closing"),
            ("goroutine 7 [select]:\nex.com/a.(*Pool).loop(0x1)\n\t/a/f.go:9 +0x19\n", false, "blocked"),
        ];
        for (text, retryable, rule) in cases {
            let c = classify(&parse(text));
            assert_eq!((c.retryable, c.rule), (retryable, rule), "{text}");
        }
    }

    #[test]
    fn method_names() {
        assert_eq!(method_name("net/http.(*Server).Shutdown"), "Shutdown");
        assert_eq!(method_name("ex.com/a.(*Pool).Close.func1"), "Close");
        assert_eq!(method_name("ex.com/a.Close.func1.2"), "Close");
        assert_eq!(method_name("ex.com/a.closer"), "closer");
        assert!(is_accept("net.(*netFD).accept"));
        assert!(is_accept("internal/poll.(*FD).Accept"));
        assert!(!is_accept("net.(*conn).Read"));
    }
}
