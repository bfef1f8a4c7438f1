//! Plain `go test` / `go test -v` text, as a terminal or a CI log shows it.
//!
//! The reader first cleans each line of what CI systems add: GitHub Actions
//! and GitLab timestamp prefixes, Jenkins `[time]` prefixes, ANSI colour and
//! cursor sequences, carriage returns and test2json's `^V` marker. Blank
//! lines (double-spaced logs) carry no meaning and are dropped, and so are
//! the CI runner's own lines: GitHub Actions' `##[error]`, `##[group]`, …
//! (a `##[group]` of gotestsum's github-actions format reads as its
//! `::group::`), GitLab's `section_start:`/`section_end:` markers. An emoji
//! before a result line (`❌ FAIL\tpkg\t3.3s`) is dropped too. Bazel's
//! `Executing tests from //p:t` and `Test output for //p:t (shard 1 of 2):`
//! banners name the package of the test binary output that follows (`p`,
//! relative to the workspace).
//!
//! It then does what `go tool test2json` does: `=== RUN/CONT/NAME/PAUSE`
//! lines name the test that the following lines belong to; `--- PASS/FAIL/SKIP`
//! lines end a test, and the lines indented under them (non-verbose output,
//! 4 spaces per nesting level) are that test's output. A framing line
//! printed right after output without a newline (`done--- PASS: TestX
//! (0.00s)`) starts where its marker does, as test2json splits such a line
//! at `-json` mode's `^V`. Text names a package
//! only at its end (`ok  \tpkg`, `FAIL\tpkg`), so a package's events carry a
//! provisional key until [`Event::PackageEnd`](crate::events::Event::PackageEnd)
//! gives the name. Output of a
//! bare test binary (Bazel, `stress`) ends with `PASS`/`FAIL` and no name.
//!
//! The parts: `ci_log` (CI-log decoration), `bazel` (Bazel's banners and
//! status lines), `classify` (what one line is), `convert` (lines to
//! events).

mod bazel;
mod ci_log;
mod classify;
mod convert;

pub use ci_log::{clean_line, strip_ansi};
pub use classify::decoration;
pub(crate) use classify::{is_go_test_line, trim_start};

use super::{IngestError, InputSummary, Lines, Refill};
use crate::events::Sink;
use convert::Converter;

/// Reads plain text output.
pub(crate) fn read<S: Refill>(
    index: usize,
    lines: Lines<S>,
    summary: &mut InputSummary,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut conv = Converter::new(index);
    super::read_lines(lines, &mut conv, summary, sink)?;
    conv.finish(summary.lines, sink);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ci_log::{clean_line, is_gitlab_section, strip_symbol};
    use super::classify::mid_line_framing;
    use super::*;
    use crate::events::{Event, Loc};
    use crate::ingest::lossy;

    fn run(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut summary = InputSummary::new("t.txt", super::super::Format::Text);
        let mut sink = |_: Loc, e: Event<'_>| {
            out.push(match e {
                Event::PackageStart { .. } => "start".to_string(),
                Event::TestRun { test, .. } => format!("run {test}"),
                Event::Output { test, text, .. } => {
                    format!("out[{}] {}", test.unwrap_or_default(), text.trim_end())
                }
                Event::OutputLine { test, line, .. } => {
                    format!("out[{}] {}", test.unwrap_or_default(), line.trim_end())
                }
                Event::TestEnd { test, outcome, .. } => format!("end {test} {outcome:?}"),
                Event::PackageEnd {
                    outcome,
                    name,
                    replay,
                    ..
                } => {
                    format!(
                        "pkg {} {outcome:?}{}",
                        name.unwrap_or_default(),
                        if replay { " replay" } else { "" }
                    )
                }
                Event::Stray { text } => format!("stray {text}"),
                other => format!("{other:?}"),
            })
        };
        read(0, Lines::new(text.as_bytes()), &mut summary, &mut sink).unwrap();
        out
    }

    /// Events as text, read line by line, without blocks.
    fn per_line(input: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let mut sink = |l: Loc, e: Event<'_>| out.push(format!("{} {e:?}", l.line));
        let mut conv = Converter::new(0);
        let mut no = 0;
        for line in input.split_inclusive(|&b| b == b'\n') {
            no += 1;
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            conv.line(no, &clean_line(&lossy(line)), &mut sink);
        }
        conv.finish(no, &mut sink);
        out
    }

    fn blockwise(input: &[u8], chunk: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut sink = |l: Loc, e: Event<'_>| out.push(format!("{} {e:?}", l.line));
        let mut summary = InputSummary::new("t.txt", super::super::Format::Text);
        let reader = std::io::BufReader::with_capacity(chunk, input);
        read(0, Lines::new(reader), &mut summary, &mut sink).unwrap();
        assert_eq!(summary.bytes, input.len() as u64);
        out
    }

    #[test]
    fn blocks_read_as_lines_do() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for dir in std::fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "txt" || e == "out") {
                    inputs.push(std::fs::read(&f).unwrap());
                }
            }
        }
        assert!(inputs.len() > 10);
        // CI decoration, bad UTF-8, and both on one line, in one input.
        let mut mixed = Vec::new();
        for (i, line) in inputs[0].split_inclusive(|&b| b == b'\n').enumerate() {
            match i % 5 {
                0 => mixed.extend_from_slice(b"2024-05-01T10:00:00.1234567Z "),
                1 => mixed.extend_from_slice(b"\x1b[31m"),
                2 => mixed.extend_from_slice(b"\xff"),
                3 => mixed.extend_from_slice(b"x\r"),
                _ => {}
            }
            mixed.extend_from_slice(line);
        }
        inputs.push(mixed);
        for input in &inputs {
            let want = per_line(input);
            for chunk in [7, 4096, 1 << 20] {
                assert_eq!(blockwise(input, chunk), want);
            }
        }
    }

    #[test]
    fn non_verbose_nested_failure_is_attributed() {
        let ev = run("--- FAIL: TestSub (0.45s)\n    --- FAIL: TestSub/inner (0.45s)\n        x_test.go:24: boom\nFAIL\nFAIL\tex.com/p\t1.3s\nok  \tex.com/q\t0.1s\n");
        assert_eq!(
            ev,
            vec![
                "start",
                "out[TestSub] --- FAIL: TestSub (0.45s)",
                "out[TestSub/inner]     --- FAIL: TestSub/inner (0.45s)",
                "out[TestSub/inner]         x_test.go:24: boom",
                "end TestSub/inner Fail",
                "end TestSub Fail",
                "out[] FAIL",
                "out[] FAIL\tex.com/p\t1.3s",
                "pkg ex.com/p Fail",
                "start",
                "out[] ok  \tex.com/q\t0.1s",
                "pkg ex.com/q Pass",
            ]
        );
    }

    #[test]
    fn stray_lines_outside_packages() {
        let ev = run("Run go test ./...\n=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\nok  \tp\t0.1s\nError: Process completed with exit code 1.\n");
        assert_eq!(ev[0], "stray Run go test ./...");
        assert_eq!(
            ev.last().unwrap(),
            "stray Error: Process completed with exit code 1."
        );
    }

    #[test]
    fn bare_binary_output_closes_at_eof() {
        let ev = run("Executing tests from //pkg/foo:foo_test\n=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\n");
        assert_eq!(ev.last().unwrap(), "pkg pkg/foo Pass");
    }

    #[test]
    fn bazel_shards_are_package_runs() {
        let ev = run("==================== Test output for //a/b:b_test (shard 1 of 2):\n=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\n================================================================================\n==================== Test output for //a/b:b_test (shard 2 of 2):\n=== RUN   TestB\npanic: boom\n==================== Test output for //c:c_test:\n=== RUN   TestC\n--- FAIL: TestC (0.00s)\nFAIL\n");
        let ends: Vec<&str> = ev
            .iter()
            .map(String::as_str)
            .filter(|e| e.starts_with("pkg"))
            .collect();
        assert_eq!(ends, ["pkg a/b Pass", "pkg a/b Fail", "pkg c Fail"]);
        assert!(!ev.iter().any(|e| e.contains("====")), "{ev:?}");
    }

    /// Layouts from Bazel's console output (Bazel is not on this machine):
    /// a target Bazel failed whose output said `PASS`, one whose output
    /// is not in the log, and one whose output showed its own failure.
    #[test]
    fn bazel_failures_the_output_does_not_show_are_package_failures() {
        let ev = run("FAIL: //a:a_test (see /x/a/test.log)\n==================== Test output for //a:a_test:\nPASS\n================================================================================\n==================== Test output for //c:c_test:\n--- FAIL: TestC (0.00s)\nFAIL\n================================================================================\n//a:a_test   FAILED in 0.5s\n//b:b_test   TIMEOUT in 60.0s\n//c:c_test   FAILED in 0.1s\n//d:d_test   (cached) PASSED in 0.1s\n");
        let ends: Vec<&str> = ev
            .iter()
            .map(String::as_str)
            .filter(|e| e.starts_with("pkg"))
            .collect();
        // Held back to the end: `a` failed in its block, as go test would
        // have said; `b` failed where Bazel said so.
        assert_eq!(ends, ["pkg a Fail", "pkg c Fail", "pkg b Fail"]);
        // Inside a plain test's output, the same text is the test's.
        let ev = run("=== RUN   TestA\n//a:a_test   FAILED in 0.5s\n--- PASS: TestA (0.00s)\nPASS\nok  \tp\t0.1s\n");
        assert_eq!(ev.last().unwrap(), "pkg p Pass");
        assert!(!ev.iter().any(|e| e == "pkg a Fail"), "{ev:?}");
    }

    #[test]
    fn ci_runner_lines_are_transparent() {
        let ev = run("##[group]Run go test ./...\n##[endgroup]\n=== RUN   TestA\n##[warning]slow\n    a_test.go:1: hi\nsection_start:1700000000:tests[collapsed=true]\n--- PASS: TestA (0.00s)\nsection_end:1700000001:tests\nPASS\nok  \tp\t0.1s\n##[error]Process completed with exit code 1.\n");
        assert!(
            !ev.iter()
                .any(|e| e.contains("##[") || e.contains("section_")),
            "{ev:?}"
        );
        assert_eq!(ev.last().unwrap(), "pkg p Pass");
        assert!(!is_gitlab_section("section_start:abc:x"));
        assert!(!is_gitlab_section("section_start:12:"));
        assert!(!is_gitlab_section("    section_start:12:x"));
        // Unknown commands stay.
        assert_eq!(run("##[foo]bar\n"), ["stray ##[foo]bar"]);
    }

    #[test]
    fn emoji_before_result_lines() {
        assert_eq!(strip_symbol("❌ FAIL\tp\t3.3s"), Some("FAIL\tp\t3.3s"));
        assert_eq!(strip_symbol("✔️  ok  \tp\t0.1s"), Some("ok  \tp\t0.1s"));
        assert_eq!(strip_symbol("❌FAIL"), None);
        assert_eq!(strip_symbol("é FAIL"), None);
        let ev = run("✅ ok  \tex.com/q\t0.1s\n❌ FAIL\tex.com/p\t3.3s\n🎉 all done\n");
        assert_eq!(
            ev,
            [
                "start",
                "out[] ok  \tex.com/q\t0.1s",
                "pkg ex.com/q Pass",
                "start",
                "out[] FAIL\tex.com/p\t3.3s",
                "pkg ex.com/p Fail",
                "stray 🎉 all done",
            ]
        );
    }

    #[test]
    fn summary_entry_takes_the_full_name_from_the_result_line() {
        let ev = run("=== Failed\n=== FAIL: tsdb  (0.00s)\nPASS\nFAIL\tgithub.com/p/p/tsdb\t174.7s\n\nDONE 1 tests, 1 failure in 1s\n");
        assert_eq!(ev.last().unwrap(), "pkg github.com/p/p/tsdb Fail replay");
    }

    #[test]
    fn gotestsum_failure_summary_is_replayed() {
        let ev = run("FAIL\nFAIL\tex.com/m/assertfail\t0.4s\n\n=== Failed\n=== FAIL: assertfail TestAdd (0.00s)\n    math_test.go:11: bad\n\n=== FAIL: assertfail  (0.00s)\nPASS\n\nDONE 3 tests, 1 failure in 1.0s\n");
        let tail: Vec<&str> = ev
            .iter()
            .map(String::as_str)
            .skip_while(|e| !e.starts_with("run"))
            .collect();
        assert_eq!(
            tail,
            vec![
                "run TestAdd",
                "out[TestAdd]     math_test.go:11: bad",
                "end TestAdd Fail",
                "pkg ex.com/m/assertfail Fail replay",
                // The package's own entry: its output at package level.
                "start",
                "out[] PASS",
                "pkg ex.com/m/assertfail Fail replay"
            ]
        );
    }

    #[test]
    fn goleak_testmain_report_opens_a_package() {
        let ev = run("ok  \tex.com/a\t0.1s\ngoleak: Errors on successful test run: found unexpected goroutines:\n[Goroutine 1 in state x, with f on top of the stack:\n]\nFAIL\tex.com/b\t0.4s\n");
        assert_eq!(ev.iter().filter(|e| *e == "start").count(), 2);
        assert_eq!(ev.last().unwrap(), "pkg ex.com/b Fail");
    }

    #[test]
    fn framing_in_the_middle_of_a_line() {
        for (line, at) in [
            ("done--- PASS: TestDone (0.00s)", Some(4)),
            (
                "inner doneouter done--- PASS: TestSubDone (0.00s)",
                Some(20),
            ),
            ("x    --- FAIL: TestA/b (0.01s)", Some(1)),
            ("x  --- FAIL: TestA/b (0.01s)", Some(3)),
            ("partial=== RUN   TestNext", Some(7)),
            ("partial=== CONT  TestNext", Some(7)),
            ("a-b=c--- SKIP: TestS (1.50s)", Some(5)),
            // Not framing: no duration, a name with spaces, BENCH, other
            // actions, one space too few, at the start, after a t.Log.
            ("done--- PASS: TestDone", None),
            ("done--- PASS: a b (0.00s)", None),
            ("done--- BENCH: BenchmarkX (0.00s)", None),
            ("done=== PASSX TestA", None),
            ("done=== RUN  TestA", None),
            ("--- PASS: TestDone (0.00s)", None),
            ("    x_test.go:12: got --- FAIL: TestY (0.00s)", None),
            ("a --- b", None),
            ("", None),
        ] {
            assert_eq!(mid_line_framing(line), at, "{line:?}");
        }
    }

    #[test]
    fn output_then_result_on_one_line() {
        let ev = run("=== RUN   TestA\ndone--- PASS: TestA (0.00s)\n=== RUN   TestB\nx=== NAME  TestB\nPASS\nok  \tp\t0.1s\n");
        assert_eq!(
            ev,
            vec![
                "start",
                "run TestA",
                "out[TestA] === RUN   TestA",
                "out[TestA] done",
                "out[TestA] --- PASS: TestA (0.00s)",
                "end TestA Pass",
                "run TestB",
                "out[TestB] === RUN   TestB",
                "out[TestB] x",
                "out[TestB] === NAME  TestB",
                "out[] PASS",
                "out[] ok  \tp\t0.1s",
                "pkg p Pass",
            ]
        );
    }

    #[test]
    fn unfinished_package_stays_open() {
        let ev = run("=== RUN   TestA\n    a_test.go:1: hi\n");
        assert!(!ev.iter().any(|e| e.starts_with("pkg")));
    }
}
