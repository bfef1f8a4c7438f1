//! Real `go test -v` output as CI systems log it: the same leaks are found
//! through timestamps, colour codes, CRLF and double spacing. The inputs are
//! the captured fixtures with those decorations added, line by line.

use crate::common::*;

fn transform(f: impl Fn(usize, &str) -> String) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture("go1.26-goleak1.3.0/all.txt")).unwrap();
    text.lines()
        .enumerate()
        .map(|(i, l)| f(i, l))
        .collect::<String>()
        .into_bytes()
}

fn same_as_plain(input: &[u8], what: &str) {
    let reference = check(&[fixture("go1.26-goleak1.3.0/all.txt")], &[]).json();
    let run = check_stdin(input, &[]);
    assert_eq!(run.code, 1, "{what}: {}", run.stderr);
    let r = run.json();
    assert_eq!(leak_keys(&r), leak_keys(&reference), "{what}");
    assert_eq!(fingerprints(&r), fingerprints(&reference), "{what}");
    assert_eq!(other_failures(&r), other_failures(&reference), "{what}");
    assert_eq!(r["counts"], reference["counts"], "{what}");
    assert_eq!(excerpts(&r), excerpts(&reference), "{what}");
}

/// Every failure's package, test and output excerpt: CI decoration must
/// not show up in them.
fn excerpts(report: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["package"], f["test"], f["output"]))
        .collect();
    v.sort();
    v
}

#[test]
fn github_actions_timestamps() {
    let input = transform(|i, l| format!("2026-11-28T18:54:{:02}.{:07}Z {l}\n", i % 60, i * 7));
    same_as_plain(&input, "github timestamps");
}

#[test]
fn gitlab_timestamps_and_stream_tags() {
    let input = transform(|i, l| {
        format!(
            "2026-11-28T18:54:00.{:06}Z 00O{} {l}\n",
            i,
            if i % 3 == 0 { "+" } else { "" }
        )
    });
    same_as_plain(&input, "gitlab timestamps");
}

#[test]
fn jenkins_timestamps() {
    let input = transform(|i, l| format!("[2026-11-28T18:54:{:02}.123Z] {l}\n", i % 60));
    same_as_plain(&input, "jenkins timestamps");
}

#[test]
fn ansi_colours_crlf_and_double_spacing() {
    let input = transform(|_, l| {
        let coloured = if l.starts_with("--- FAIL") || l.starts_with("FAIL") {
            format!("\x1b[31m{l}\x1b[0m")
        } else if l.starts_with("=== RUN") {
            format!("\x1b[1;34m{l}\x1b[0m")
        } else {
            l.to_string()
        };
        format!("{coloured}\r\n\r\n")
    });
    same_as_plain(&input, "ansi+crlf+double spacing");
}

#[test]
fn noise_before_and_after_the_run() {
    let mut input = b"Run go test -v ./...\ngo: downloading go.uber.org/goleak v1.3.0\n".to_vec();
    input.extend(transform(|_, l| format!("{l}\n")));
    input.extend(b"Error: Process completed with exit code 1.\n");
    same_as_plain(&input, "noise around");
}

/// A Makefile wrapper that marks result lines with emoji (`❌ FAIL\tpkg\t3.3s`,
/// `✅ ok  \tpkg\t0.1s`, `❌ --- FAIL: TestX`), alone and behind Jenkins
/// timestamps.
#[test]
fn emoji_marked_result_lines() {
    let mark = |l: &str| {
        if l.starts_with("ok  \t") {
            format!("✅ {l}")
        } else if l.starts_with("FAIL") || l.starts_with("--- FAIL") {
            format!("❌ {l}")
        } else if l.starts_with("--- PASS") {
            format!("✔️  {l}")
        } else {
            l.to_string()
        }
    };
    let input = transform(|_, l| format!("{}\n", mark(l)));
    same_as_plain(&input, "emoji");
    let input = transform(|i, l| format!("[2023-05-01T10:00:{:02}.123Z] {}\n", i % 60, mark(l)));
    same_as_plain(&input, "jenkins + emoji");
}

/// A GitHub Actions raw log (as downloaded): timestamps, the runner's
/// `##[group]Run …`/`##[endgroup]` step header, `##[warning]`/`##[debug]`
/// lines between and inside packages, `##[error]` at the end.
#[test]
fn github_actions_raw_log_commands() {
    let mut input = b"2026-11-28T18:54:00.0000000Z ##[group]Run go test -v ./...\n2026-11-28T18:54:00.0000001Z \x1b[36;1mgo test -v ./...\x1b[0m\n2026-11-28T18:54:00.0000002Z ##[endgroup]\n".to_vec();
    input.extend(transform(|i, l| {
        let mut s = format!("2026-11-28T18:54:{:02}.{:07}Z {l}\n", i % 60, i * 7);
        if i % 9 == 7 {
            s.push_str(
                "2026-11-28T18:54:00.0000000Z ##[warning]Node.js 16 actions are deprecated.\n",
            );
            s.push_str("2026-11-28T18:54:00.0000000Z ##[group]Post step\n");
            s.push_str("2026-11-28T18:54:00.0000000Z ##[endgroup]\n");
        }
        s
    }));
    input.extend(b"2026-11-28T18:55:00.0000000Z ##[error]Process completed with exit code 1.\n");
    same_as_plain(&input, "github raw log");
}

/// GitLab's collapsible sections around and inside the job's output, as in
/// its raw trace (`ESC[0Ksection_start:…:name[collapsed=true]\rESC[0K`), and
/// with the escapes and carriage returns gone.
#[test]
fn gitlab_section_markers() {
    let mut input =
        b"\x1b[0Ksection_start:1764355200:step_script[collapsed=true]\r\x1b[0K\x1b[0K\x1b[36;1mExecuting \"step_script\" stage of the job script\x1b[0;m\n$ go test -v ./...\n"
            .to_vec();
    input.extend(transform(|i, l| {
        if i % 7 == 3 {
            format!("section_start:1764355201:inner\n{l}\nsection_end:1764355202:inner\n")
        } else {
            format!("{l}\n")
        }
    }));
    input.extend(b"\x1b[0Ksection_end:1764355300:step_script\r\x1b[0K\n\x1b[31;1mERROR: Job failed: exit code 1\n\x1b[0;m\n");
    same_as_plain(&input, "gitlab sections");
}

/// The real run's `go test -v` output as Bazel shows it: each package's
/// test binary output (without go test's `ok`/`FAIL\tpkg` line, which Bazel
/// does not print) behind a `Test output for //pkg:pkg_test` banner, the
/// leaky packages split in two shards. Packages are named by the label's
/// package, relative to the workspace.
#[test]
fn bazel_test_output_banners() {
    let text = std::fs::read_to_string(fixture("go1.26-goleak1.3.0/all.txt")).unwrap();
    let mut input = String::from("INFO: Found 20 test targets...\n");
    let mut chunk: Vec<&str> = Vec::new();
    for l in text.lines() {
        let result = l.starts_with("ok  \t") || l.starts_with("FAIL\t") || l.starts_with("?   \t");
        if !result {
            chunk.push(l);
            continue;
        }
        let pkg = l.split('\t').nth(1).unwrap();
        let dir = pkg
            .strip_prefix("example.com/leakgate/fixtures")
            .unwrap()
            .trim_start_matches('/');
        if !l.starts_with('?') {
            let name = dir.rsplit('/').next().unwrap();
            let shard = if l.starts_with("FAIL") {
                " (shard 1 of 2)"
            } else {
                ""
            };
            if l.starts_with("FAIL") {
                input.push_str(&format!("FAIL: //{dir}:{name}_test{shard} (see /root/.cache/bazel/_bazel_root/x/execroot/__main__/bazel-out/k8-fastbuild/testlogs/{dir}/{name}_test/test.log)\n"));
            }
            input.push_str(&format!(
                "==================== Test output for //{dir}:{name}_test{shard}:\n"
            ));
            for c in &chunk {
                input.push_str(c);
                input.push('\n');
            }
            input.push_str(&"=".repeat(80));
            input.push('\n');
        }
        chunk.clear();
    }
    input.push_str("INFO: Build completed, 12 tests FAILED, 20 total actions\n");
    let reference = check(&[fixture("go1.26-goleak1.3.0/all.txt")], &[]).json();
    let run = check_stdin(input.as_bytes(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(leak_keys(&r), leak_keys(&reference));
    assert_eq!(fingerprints(&r), fingerprints(&reference));
    assert_eq!(other_failures(&r), other_failures(&reference));
    assert_eq!(r["counts"]["passed"], reference["counts"]["passed"]);
    assert_eq!(r["counts"]["failed"], reference["counts"]["failed"]);
    let packages: std::collections::BTreeSet<&str> = r["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["package"].as_str().unwrap())
        .collect();
    assert!(packages.contains("assertfail"), "{packages:?}");
    assert!(packages.contains("testmain"), "{packages:?}");
    assert!(
        packages
            .iter()
            .all(|p| !p.contains(':') && !p.starts_with('/')),
        "{packages:?}"
    );
}
