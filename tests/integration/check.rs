//! `leakgate check` on every captured fixture: the leaks the Go sources in
//! `testdata/go` plant (see `testdata/go/README.md`) are found, in every
//! input format, for every Go × goleak combination.

use crate::common::*;
use serde_json::Value;

/// Leak reports the fixture run contains: (package, test).
const EXPECTED_LEAKS: &[(&str, &str)] = &[
    ("assertfail", "TestBackgroundLeaks"),
    ("ctxworker", "TestErrgroupNeverWaited"),
    ("ctxworker", "TestLabeledWorker"),
    ("ctxworker", "TestWorkerContextNeverCancelled"),
    ("deephelper", "TestServiceWithoutClose"),
    ("fiftyworkers", "TestFiftyWorkersLeaked"),
    ("flaky", "TestLeakOnFirstAttempt"),
    ("flaky", "TestMixedReport"),
    ("flaky", "TestSleepLoopLeak"),
    ("flakymain", "<package>"),
    ("httphandler", "TestHandlerGoroutineOutlivesRequest"),
    ("httphandler", "TestServerNotClosed"),
    ("iowait", "TestIdleClientKeepsHandlerReading"),
    ("mutexstuck", "TestRefreshBlockedOnMutex"),
    ("parallel", "TestParallelGroup/leaks/fast_path"),
    ("parallel", "TestParallelGroup/slow_worker_with_spaces"),
    ("parallel", "TestParallelTopLevel"),
    ("perevent", "TestEventsPileUp"),
    ("recvnoclose", "TestConsumerNeverClosed"),
    ("recvnoclose", "TestInnocentBystander"),
    ("selectleak", "TestMuxNeverStopped"),
    ("selectleak", "TestParkForever"),
    ("sendafterreturn", "TestFirstResultWins"),
    ("sendafterreturn", "TestLateResultAfterTimeout"),
    ("synctestleak", "TestBubbleLeak"),
    ("testmain", "<package>"),
];

/// `go` statements of the planted leaks (repository-relative file:line).
const EXPECTED_ORIGINS: &[&str] = &[
    "testdata/go/assertfail/math.go:11",
    "testdata/go/ctxworker/worker.go:22",
    "testdata/go/deephelper/internal/pool/reaper.go:5",
    "testdata/go/fiftyworkers/pool.go:15",
    "testdata/go/flaky/flaky.go:36",
    "testdata/go/flaky/flaky.go:50",
    "testdata/go/flaky/flaky.go:67",
    "testdata/go/flakymain/flakymain.go:31",
    "testdata/go/httphandler/handler.go:18",
    "testdata/go/iowait/server.go:23",
    "testdata/go/iowait/server.go:36",
    "testdata/go/mutexstuck/cache.go:37",
    "testdata/go/parallel/work.go:11",
    "testdata/go/perevent/consumer.go:24",
    "testdata/go/recvnoclose/consumer.go:16",
    "testdata/go/selectleak/mux.go:21",
    "testdata/go/selectleak/mux.go:40",
    "testdata/go/sendafterreturn/first.go:20",
    "testdata/go/sendafterreturn/first.go:31",
    "testdata/go/synctestleak/poller.go:18",
    "testdata/go/testmain/janitor.go:17",
    "testdata/go/testmain/janitor.go:38",
];

fn expected_leaks() -> Vec<(String, String)> {
    EXPECTED_LEAKS
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

/// Origins (`go` statements inside the repository) of non-harness leaks.
fn origins(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["distinct_leaks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["test_harness"] == false)
        .filter_map(|d| {
            let o = &d["origin"];
            (o["in_repo"] == true).then(|| format!("{}:{}", o["file"].as_str().unwrap(), o["line"]))
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn find_leak<'a>(report: &'a Value, pkg_tail: &str, test: Option<&str>) -> &'a Value {
    report["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| {
            l["package"]
                .as_str()
                .is_some_and(|p| p.ends_with(&format!("/{pkg_tail}")))
                && l["test"].as_str() == test
        })
        .unwrap_or_else(|| panic!("no leak for {pkg_tail} {test:?}"))
}

#[test]
fn go_json_of_every_combination_finds_every_planted_leak() {
    for combo in COMBOS {
        let run = check(&[fixture(&format!("{combo}/all.json"))], &[]);
        assert_eq!(run.code, 1, "{combo}: {}", run.stderr);
        let r = run.json();
        assert_eq!(r["schema_version"], 2);
        assert_eq!(r["verdict"], "fail");
        assert_eq!(r["exit_code"], 1);
        assert_eq!(leak_keys(&r), expected_leaks(), "{combo}");
        assert_eq!(other_failures(&r), only_test_add(), "{combo}");
        let got = origins(&r);
        for want in EXPECTED_ORIGINS {
            assert!(
                got.contains(&want.to_string()),
                "{combo}: missing origin {want} in {got:?}"
            );
        }
        assert!(r["leaks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["status"] == "new"));
        assert_eq!(r["inputs"][0]["format"], "go-json");
        assert_eq!(r["inputs"][0]["complete"], true);
    }
}

#[test]
fn every_format_finds_the_same_leaks() {
    for combo in COMBOS {
        let reference = check(&[fixture(&format!("{combo}/all.json"))], &[]).json();
        for (file, format) in [
            ("all.txt", "text"),
            ("all.plain.txt", "text"),
            ("all.gotestsum.out", "text"),
            ("all.gotestsum-testname.out", "text"),
            ("all.gotestsum-github-actions.out", "text"),
            ("all.gotestsum-pkgname-and-test-fails.out", "text"),
            ("all.gotestsum.xml", "junit"),
            ("all.gojunit-text.xml", "junit"),
            ("all.gojunit.xml", "junit"),
        ] {
            let run = check(&[fixture(&format!("{combo}/{file}"))], &[]);
            assert_eq!(run.code, 1, "{combo}/{file}: {}", run.stderr);
            let r = run.json();
            assert_eq!(r["inputs"][0]["format"], format, "{combo}/{file}");
            assert_eq!(fingerprints(&r), fingerprints(&reference), "{combo}/{file}");
            assert_eq!(origins(&r), origins(&reference), "{combo}/{file}");
            // (pkgname-and-test-fails lists no passing test.)
            if file == "all.gotestsum-testname.out"
                || file == "all.gotestsum-github-actions.out"
                || file == "all.txt"
            {
                assert_eq!(r["counts"], reference["counts"], "{combo}/{file}");
            }
            // go-junit-report's JSON parser misattributes parallel tests'
            // output (its own bug); every other producer keeps who reported what.
            if file != "all.gojunit.xml" {
                assert_eq!(leak_keys(&r), expected_leaks(), "{combo}/{file}");
                assert_eq!(other_failures(&r), only_test_add(), "{combo}/{file}");
            }
        }
    }
}

#[test]
fn goleak_releases_agree() {
    for go in ["go1.26", "go1.27"] {
        let old = check(&[fixture(&format!("{go}-goleak1.2.1/all.json"))], &[]).json();
        let new = check(&[fixture(&format!("{go}-goleak1.3.0/all.json"))], &[]).json();
        assert_eq!(fingerprints(&old), fingerprints(&new), "{go}");
    }
}

#[test]
fn fifty_identical_workers_are_one_group() {
    let r = check(&[fixture("go1.26-goleak1.3.0/all.json")], &[]).json();
    let l = find_leak(&r, "fiftyworkers", Some("TestFiftyWorkersLeaked"));
    assert_eq!(l["goroutines"].as_array().unwrap().len(), 50);
    let groups = l["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["count"], 50);
    let ids: std::collections::HashSet<u64> = l["goroutines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 50, "every goroutine is listed, ungrouped");
    let g = &l["goroutines"][0];
    assert_eq!(g["state"], "chan receive");
    assert_eq!(g["origin"]["file"], "testdata/go/fiftyworkers/pool.go");
    assert_eq!(g["origin"]["line"], 15);
    assert_eq!(g["blocked_at"]["file"], "testdata/go/fiftyworkers/pool.go");
    assert!(g["fingerprint"].as_str().unwrap().len() == 16);
}

#[test]
fn verify_test_main_leaks_belong_to_the_package() {
    for combo in COMBOS {
        let r = check(&[fixture(&format!("{combo}/all.json"))], &[]).json();
        let l = find_leak(&r, "testmain", None);
        assert_eq!(l["reported_by"], "goleak.VerifyTestMain", "{combo}");
        assert_eq!(l["goroutines"].as_array().unwrap().len(), 2);
        assert!(l["test"].is_null());
    }
}

#[test]
fn parallel_siblings_are_marked_as_test_harness() {
    for combo in COMBOS {
        let r = check(&[fixture(&format!("{combo}/all.json"))], &[]).json();
        let l = find_leak(&r, "parallel", Some("TestParallelTopLevel"));
        let gs = l["goroutines"].as_array().unwrap();
        let real: Vec<&Value> = gs.iter().filter(|g| g["test_harness"].is_null()).collect();
        assert_eq!(real.len(), 1, "{combo}: {gs:#?}");
        assert!(real[0]["top_function"]
            .as_str()
            .unwrap()
            .ends_with("Watch.func1"));
        assert!(gs.iter().any(|g| g["test_harness"]
            .as_str()
            .is_some_and(|w| w.contains("goleak#16"))));
    }
}

#[test]
fn synctest_bubble_leak_is_its_own_kind() {
    for combo in COMBOS {
        let r = check(&[fixture(&format!("{combo}/all.json"))], &[]).json();
        let l = find_leak(&r, "synctestleak", Some("TestBubbleLeak"));
        assert_eq!(l["reported_by"], "testing/synctest", "{combo}");
        let g = &l["goroutines"][0];
        assert_eq!(g["status"], "chan receive");
        assert!(g["state"].as_str().unwrap().contains("synctest bubble"));
    }
}

#[test]
fn timeout_is_a_timeout_not_a_pass() {
    for combo in COMBOS {
        for file in [
            "hangs.json",
            "hangs.txt",
            "hangs.gotestsum.xml",
            "hangs.gojunit.xml",
            "hangs.gojunit-text.xml",
        ] {
            let path = fixture(&format!("{combo}/{file}"));
            if !path.exists() {
                continue;
            }
            let run = check(&[&path], &[]);
            assert_eq!(run.code, 1, "{combo}/{file}: {}", run.stderr);
            let r = run.json();
            let kinds: Vec<_> = other_failures(&r).into_iter().map(|f| f.0).collect();
            assert!(
                kinds.contains(&"timeout".to_string()),
                "{combo}/{file}: {kinds:?}"
            );
        }
    }
}

#[test]
fn goroutine_labels_are_kept() {
    for combo in COMBOS {
        let r = check(&[fixture(&format!("{combo}/labels.json"))], &[]).json();
        let g = &r["leaks"][0]["goroutines"][0];
        assert_eq!(g["status"], "select", "{combo}");
        assert!(
            g["labels"].as_str().unwrap().contains("ingest-1"),
            "{combo}: {g}"
        );
    }
}

#[test]
fn shards_make_one_verdict() {
    let text = std::fs::read_to_string(fixture("go1.26-goleak1.3.0/all.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (String::new(), String::new());
    for line in text.lines() {
        // Split by package: every package in exactly one shard.
        let event: Value = serde_json::from_str(line).unwrap();
        let pkg = event["Package"].as_str().unwrap_or("");
        if pkg.bytes().map(usize::from).sum::<usize>() % 2 == 0 {
            a.push_str(line);
            a.push('\n');
        } else {
            b.push_str(line);
            b.push('\n');
        }
    }
    std::fs::write(dir.path().join("a.json"), a).unwrap();
    std::fs::write(dir.path().join("b.json"), b).unwrap();
    let whole = check(&[fixture("go1.26-goleak1.3.0/all.json")], &[]).json();
    let split = check(&[dir.path().join("a.json"), dir.path().join("b.json")], &[]);
    assert_eq!(split.code, 1, "{}", split.stderr);
    let split = split.json();
    assert_eq!(split["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(leak_keys(&split), leak_keys(&whole));
    assert_eq!(split["counts"], whole["counts"]);
}

#[test]
fn a_clean_package_passes() {
    let text = std::fs::read_to_string(fixture("go1.26-goleak1.3.0/all.json")).unwrap();
    let clean: String = text
        .lines()
        .filter(|l| l.contains("\"Package\":\"example.com/leakgate/fixtures/clean\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!clean.is_empty());
    let run = check_stdin(clean.as_bytes(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["verdict"], "pass");
    assert!(r["counts"]["passed"].as_u64().unwrap() > 0);
    assert!(run.stderr.contains("PASS"), "{}", run.stderr);
}

#[test]
fn bundled_example_fails_with_its_leaks() {
    let run = check(
        &[crate::common::root().join("examples/leaky-run.json")],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let keys = leak_keys(&run.json());
    assert!(keys.contains(&("fiftyworkers".into(), "TestFiftyWorkersLeaked".into())));
    assert!(keys.contains(&("testmain".into(), "<package>".into())));
}

#[test]
fn terminal_report_points_at_the_go_statement() {
    let mut c = leakgate();
    c.args(["check", "--root"])
        .arg(crate::common::root())
        .arg(fixture("go1.26-goleak1.3.0/all.json"));
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("LEAK testdata/go/fiftyworkers/pool.go:15  50 goroutines"),
        "{stderr}"
    );
    assert!(
        stderr.contains("FAIL example.com/leakgate/fixtures/assertfail TestAdd [test]"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("leakgate: FAIL:"),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "NO_COLOR is respected");
    assert!(out.stdout.is_empty(), "the terminal report goes to stderr");
}

#[test]
fn goleak_find_inside_testify_require_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("allow.yml");
    std::fs::write(
        &policy,
        "version: 1\nallow:\n  - id: watch\n    reason: the test leaks on purpose\n    match:\n      created_by: example.com/leakgate/fixtures/testifyfind.Watch\n",
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    for file in [
        "extra/testify.json",
        "extra/testify.txt",
        "extra/testify-go1.27.json",
    ] {
        // The report is testify's `Error:`, under a `file:line:` line of
        // its own (an `error` line in Go 1.27's -json): with the leak
        // allowed, nothing else failed.
        let allowed = check(&[fixture(file)], &["--config", policy]);
        assert_eq!(allowed.code, 0, "{file}: {}", allowed.stderr);
        let run = check(&[fixture(file)], &[]);
        assert_eq!(run.code, 1, "{file}: {}", run.stderr);
        let r = run.json();
        assert_eq!(
            leak_keys(&r),
            vec![("testifyfind".to_string(), "TestWatchLeaks".to_string())],
            "{file}"
        );
        let l = &r["leaks"][0];
        assert_eq!(l["reported_by"], "goleak.Find");
        assert_eq!(l["truncated"], false);
        assert_eq!(
            l["goroutines"][0]["origin"]["file"],
            "testdata/go/testifyfind/worker.go"
        );
        assert_eq!(l["goroutines"][0]["origin"]["line"], 9);
    }
}

#[test]
fn build_failures_are_reported_with_the_compiler_output() {
    for file in [
        "extra/build-fail.json",
        "extra/build-fail-oldstyle.json",
        "extra/build-fail.txt",
    ] {
        let run = check(&[fixture(file)], &[]);
        assert_eq!(run.code, 1, "{file}: {}", run.stderr);
        let r = run.json();
        assert_eq!(
            other_failures(&r),
            vec![(
                "build".to_string(),
                "broken".to_string(),
                "<package>".to_string()
            )],
            "{file}"
        );
        let output = r["failures"][0]["output"].to_string();
        assert!(
            output.contains("broken_test.go:8:14: cannot use"),
            "{file}: {output}"
        );
        assert_eq!(r["counts"]["passed"], 1, "{file}");
    }
}

#[test]
fn go_1_21_output_from_another_checkout_is_read_the_same() {
    // go1.21.13 on a copy of the module in a temporary directory: no
    // synctest, no OutputType, paths that are not this checkout's.
    let want: Vec<(String, String)> = expected_leaks()
        .into_iter()
        .filter(|(p, _)| p != "synctestleak")
        .collect();
    let reference = check(&[fixture("go1.26-goleak1.3.0/all.json")], &[]).json();
    let mut want_origins = origins(&reference);
    want_origins.retain(|o| !o.contains("synctestleak"));
    for file in ["go1.21-goleak1.3.0/all.json", "go1.21-goleak1.3.0/all.txt"] {
        let run = check(&[fixture(file)], &[]);
        assert_eq!(run.code, 1, "{file}: {}", run.stderr);
        let r = run.json();
        assert_eq!(leak_keys(&r), want, "{file}");
        assert_eq!(origins(&r), want_origins, "{file}");
        assert_eq!(other_failures(&r), only_test_add(), "{file}");
    }
}

/// Pasting into a terminal: `check` with standard input on a terminal says
/// what it expects and how to end, then judges what was pasted (a real
/// goleak excerpt from a public issue) once the paste ends with Ctrl-D. The
/// terminal is a pseudo-terminal made by Python's `pty` (Unix only).
#[cfg(unix)]
#[test]
fn a_paste_on_a_terminal_is_prompted_for_and_judged() {
    let script = r#"
import os, pty, select, sys, time
data = open(sys.argv[2], 'rb').read()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], 'check', '--color', 'never'])
out = b''
time.sleep(0.3)
for i in range(0, len(data), 256):
    os.write(fd, data[i:i + 256].replace(b'\n', b'\r'))
os.write(fd, b'\r\x04')
deadline = time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
sys.exit(os.WEXITSTATUS(status))
"#;
    let excerpt = fixture("excerpts/prometheus-7672.txt");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_leakgate"))
        .arg(&excerpt)
        .current_dir(crate::common::root())
        .output()
        .expect("python3 runs (CI installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("paste the failing test output") && text.contains("Ctrl-D"),
        "{text}"
    );
    // The pasted report was read and judged: a new leak, exit 1.
    assert!(text.contains("LEAK "), "{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
}
