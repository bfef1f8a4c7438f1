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
