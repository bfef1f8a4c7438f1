//! Hostile and broken input: never a crash, a hang, unbounded memory, an
//! injected terminal sequence, or a pass by accident. Each case asserts the
//! outcome: a clear error or a correct verdict.

use std::time::{Duration, Instant};

use crate::common::*;

fn real_json() -> String {
    std::fs::read_to_string(fixture("go1.26-goleak1.3.0/all.json")).unwrap()
}

/// The `output` events of one real goleak report (fiftyworkers), as lines.
fn fifty_report_lines() -> Vec<String> {
    real_json()
        .lines()
        .filter(|l| l.contains("TestFiftyWorkersLeaked") && l.contains("\"Action\":\"output\""))
        .map(str::to_string)
        .collect()
}

fn timed(f: impl FnOnce() -> Run) -> Run {
    let start = Instant::now();
    let run = f();
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
    run
}

#[test]
fn a_huge_single_line_is_cut_not_swallowed() {
    // A real run with 64 MiB of one line in the middle.
    let json = real_json();
    let (head, tail) = json.split_at(json.len() / 2);
    let cut = head.rfind('\n').unwrap() + 1;
    let mut input = json.as_bytes()[..cut].to_vec();
    input.extend(std::iter::repeat_n(b'x', 64 << 20));
    input.push(b'\n');
    input.extend_from_slice(&json.as_bytes()[cut..]);
    let _ = tail;
    let run = timed(|| check_stdin(&input, &[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert!(
        r["inputs"][0]["warnings"].to_string().contains("cut"),
        "{}",
        r["inputs"][0]
    );
    assert_eq!(leak_keys(&r).len(), 26);
}

#[test]
fn a_huge_line_alone_is_an_error() {
    let input = vec![b'{'; 96 << 20];
    let run = timed(|| check_stdin(&input, &[]));
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn invalid_utf8_nul_and_lone_cr_do_not_break_parsing() {
    let mut input = Vec::new();
    for (i, line) in real_json().lines().enumerate() {
        input.extend_from_slice(line.as_bytes());
        match i % 5 {
            0 => input.extend_from_slice(b"\r\n"),
            1 => input.extend_from_slice(b"\n\xff\xfe garbage \x00\x00\n"),
            2 => input.extend_from_slice(b"\n\r\n"),
            _ => input.push(b'\n'),
        }
    }
    let run = check_stdin(&input, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(leak_keys(&run.json()).len(), 26);
}

#[test]
fn json_with_duplicate_keys_or_wrong_types_is_not_a_pass() {
    // A package's final event made unreadable: the package never ends.
    let text = real_json().replace(
        "\"Action\":\"pass\",\"Package\":\"example.com/leakgate/fixtures/clean\",\"Elapsed\"",
        "\"Action\":\"pass\",\"Action\":\"fail\",\"Package\":\"example.com/leakgate/fixtures/clean\",\"Elapsed\"",
    );
    let run = check_stdin(text.as_bytes(), &[]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    let text = real_json().replace("\"Elapsed\":0.45", "\"Elapsed\":\"0.45\"");
    let run = check_stdin(text.as_bytes(), &[]);
    assert_ne!(run.code, 0);
}

/// The real run with the fiftyworkers report's body replaced by `body`
/// (lines of `output` events), everything else kept in order.
fn with_fifty_report_body(body: impl Fn(&[String]) -> Vec<String>) -> String {
    let lines = fifty_report_lines();
    let open = lines
        .iter()
        .position(|l| l.contains("found unexpected goroutines"))
        .unwrap();
    let close = lines
        .iter()
        .rposition(|l| l.contains("\"Output\":\"        ]\\n\""))
        .unwrap();
    let replaced: std::collections::HashSet<&String> = lines[open + 1..=close].iter().collect();
    let mut out = String::new();
    for l in real_json().lines() {
        if replaced.contains(&l.to_string()) {
            continue;
        }
        out.push_str(l);
        out.push('\n');
        if *l == lines[open] {
            for b in body(&lines[open + 1..=close]) {
                out.push_str(&b);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn a_hundred_thousand_goroutines_in_one_report() {
    let input = with_fifty_report_body(|report| {
        // The first entry (goleak header + 4 body lines) 100,000 times.
        let mut v = Vec::new();
        for i in 0..100_000 {
            for (j, l) in report[..5].iter().enumerate() {
                v.push(if j == 0 && i > 0 {
                    l.replacen("[Goroutine", " Goroutine", 1)
                } else {
                    l.clone()
                });
            }
        }
        v.push(report.last().unwrap().clone());
        v
    });
    let run = timed(|| check_stdin(input.as_bytes(), &[]));
    assert_eq!(run.code, 1, "{}", run.json()["reasons"]);
    let r = run.json();
    let l = r["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["test"] == "TestFiftyWorkersLeaked")
        .unwrap();
    assert_eq!(l["goroutines"].as_array().unwrap().len(), 100_000);
    assert_eq!(l["groups"].as_array().unwrap().len(), 1);
    assert_eq!(l["groups"][0]["count"], 100_000);
}

#[test]
fn a_stack_ten_thousand_frames_deep() {
    let input = with_fifty_report_body(|report| {
        // The first entry's header, then its frame pair 10,000 times.
        let mut v = vec![report[0].clone()];
        for _ in 0..10_000 {
            v.push(report[1].clone());
            v.push(report[2].clone());
        }
        v.push(report.last().unwrap().clone());
        v
    });
    let run = timed(|| check_stdin(input.as_bytes(), &[]));
    assert_eq!(run.code, 1, "{}", run.json()["reasons"]);
    let r = run.json();
    let l = r["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["test"] == "TestFiftyWorkersLeaked")
        .unwrap();
    let frames = l["goroutines"][0]["frames"].as_array().unwrap().len();
    assert!(frames > 100, "{frames}");
}

#[test]
fn xml_entity_bombs_and_external_entities_are_not_expanded() {
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<testsuites><testsuite name="p"><testcase name="TestA" classname="p"><failure message="Failed">&lol9; &xxe;</failure></testcase></testsuite></testsuites>"#;
    let run = timed(|| check_stdin(bomb.as_bytes(), &[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let out = r["failures"][0]["output"].to_string();
    assert!(out.contains("&lol9;") && out.contains("&xxe;"), "{out}");
    assert!(!out.contains("root:"), "never reads files");
}

#[test]
fn deeply_nested_xml_is_rejected() {
    let mut xml = String::from("<testsuites>");
    for _ in 0..100_000 {
        xml.push_str("<testsuite name=\"p\">");
    }
    let run = timed(|| check_stdin(xml.as_bytes(), &[]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nested"), "{}", run.stderr);
}

#[test]
fn a_huge_xml_text_node_is_bounded() {
    let mut xml = String::from("<testsuites><testsuite name=\"p\"><testcase name=\"T\" classname=\"p\"><failure message=\"Failed\">");
    xml.push_str(&"y".repeat(80 << 20));
    xml.push_str("</failure></testcase></testsuite></testsuites>");
    let run = timed(|| check_stdin(xml.as_bytes(), &[]));
    assert_eq!(run.code, 1, "{}", &run.stderr[..run.stderr.len().min(500)]);
}

#[test]
fn terminal_report_never_echoes_escape_sequences() {
    // A real leak report whose output carries terminal escapes and a
    // GitHub workflow command.
    let text = real_json().replace(
        "example.com/leakgate/fixtures/fiftyworkers.worker(",
        "example.com/leakgate/fixtures/fiftyworkers.worker\\u001b]0;pwned\\u0007\\u001b[2J::error::x(",
    );
    let mut c = leakgate();
    c.args(["check", "--color", "never", "-"]);
    let run = {
        use std::io::Write;
        let mut child = c
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = text.into_bytes();
        let t = std::thread::spawn(move || stdin.write_all(&data));
        let out = child.wait_with_output().unwrap();
        let _ = t.join();
        out
    };
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("fiftyworkers.worker"), "{stderr}");
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "escape sequences reach the terminal"
    );
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_verdicts_code() {
    use std::io::Read;
    let mut child = leakgate()
        .args(["check", "--report", "json", "--root"])
        .arg(crate::common::root())
        .arg(fixture("go1.26-goleak1.3.0/all.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little of the report, then close the pipe (like `| head -c 10`).
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
