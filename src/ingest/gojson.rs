//! The `go test -json` (test2json) event stream.
//!
//! One JSON object per line. Test events (`Action`, `Package`, `Test`,
//! `Output`, `Elapsed`, `FailedBuild`, `OutputType`, …) and, from Go 1.24,
//! build events (`ImportPath`, `Action: build-output|build-fail`). Unknown
//! actions and fields are ignored; lines that are not JSON objects (stderr
//! mixed in, build errors of Go ≤ 1.23) become [`Event::Stray`] text. A last
//! line with no newline that is not a whole event means the stream was cut.
//!
//! Speed: nearly every line of a large run is one of test2json's few event
//! shapes (`{"Time":…,"Action":"output","Package":…,"Test":…,"Output":…}`).
//! `fast` reads exactly that grammar — known keys, no white space, plain
//! string escapes — with `memchr` and no allocation; anything else (unknown
//! keys, `null`, surrogates, white space, a bad byte) goes to the full
//! `serde_json` parse. `fast` never accepts a line that serde would read
//! differently or reject (tested on every fixture line, and by property
//! tests on mutated lines).

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use std::ops::ControlFlow;

use super::{loc, lossy, Block, IngestError, InputSummary, Lines};
use crate::events::{Event, Outcome, Sink};

#[derive(Deserialize, Default, Debug, PartialEq)]
struct Raw<'a> {
    #[serde(rename = "Action", borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(rename = "Package", borrow)]
    package: Option<Cow<'a, str>>,
    #[serde(rename = "Test", borrow)]
    test: Option<Cow<'a, str>>,
    #[serde(rename = "Output", borrow)]
    output: Option<Cow<'a, str>>,
    #[serde(rename = "Elapsed")]
    elapsed: Option<f64>,
    #[serde(rename = "FailedBuild", borrow)]
    failed_build: Option<Cow<'a, str>>,
    #[serde(rename = "ImportPath", borrow)]
    import_path: Option<Cow<'a, str>>,
    #[serde(rename = "OutputType", borrow)]
    output_type: Option<Cow<'a, str>>,
}

/// Reads a `go test -json` stream.
pub fn read<R: BufRead>(
    index: usize,
    reader: R,
    summary: &mut InputSummary,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut lines = Lines::new(reader);
    // Unescaped `Output` text of the current line.
    let mut scratch = String::new();
    loop {
        let line = match lines.next_block() {
            Ok(Some(Block::Lines { first, bytes })) => {
                // One UTF-8 check for the block; lines of a block that is
                // not UTF-8 are checked one by one.
                let text = std::str::from_utf8(bytes).ok();
                let mut start = 0;
                let mut no = first;
                while let Some(i) = memchr::memchr(b'\n', &bytes[start..]) {
                    let end = start + i;
                    let line = Line {
                        no,
                        bytes: &bytes[start..end],
                        text: text.map(|t| &t[start..end]),
                        terminated: true,
                        cut: false,
                    };
                    // Lines of a block are terminated: none ends the input.
                    let _ = one_line(index, line, summary, &mut scratch, sink);
                    start = end + 1;
                    no += 1;
                }
                continue;
            }
            Ok(Some(Block::Line(l))) => l,
            Ok(None) => break,
            Err(source) => {
                return Err(IngestError::Unreadable {
                    path: summary.path.clone(),
                    source,
                })
            }
        };
        let line = Line {
            no: line.no,
            bytes: line.bytes,
            text: None,
            terminated: line.terminated,
            cut: line.cut,
        };
        if one_line(index, line, summary, &mut scratch, sink).is_break() {
            break;
        }
    }
    summary.lines = lines.line_no;
    summary.bytes = lines.bytes;
    Ok(())
}

/// One input line for [`one_line`].
struct Line<'a> {
    no: u64,
    /// Without its `\n`.
    bytes: &'a [u8],
    /// `bytes`, when already known to be UTF-8.
    text: Option<&'a str>,
    terminated: bool,
    cut: bool,
}

/// Reads one line; `Break` when the input ends in the middle of an event.
fn one_line(
    index: usize,
    line: Line<'_>,
    summary: &mut InputSummary,
    scratch: &mut String,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    let no = line.no;
    let here = loc(index, no);
    let bytes = line.bytes.strip_suffix(b"\r").unwrap_or(line.bytes);
    if line.cut {
        summary.warn(format!(
            "line {no}: longer than {} bytes; cut",
            super::MAX_LINE_BYTES
        ));
    }
    let trimmed = super::trim_ascii(bytes);
    if trimmed.is_empty() {
        return ControlFlow::Continue(());
    }
    if trimmed.first() == Some(&b'{') && !line.cut {
        // `trimmed` starts and ends at ASCII bytes of `line.bytes` (white
        // space trimmed as `trim_ascii` does): the same slice of the known
        // text is a `str` too.
        let start = bytes
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(0);
        let fast = match line.text {
            Some(t) => fast_text(&t[start..start + trimmed.len()], scratch),
            None => fast(trimmed, scratch),
        };
        if let Some(raw) = fast {
            dispatch(raw, here, sink);
            return ControlFlow::Continue(());
        }
        match serde_json::from_slice::<Raw<'_>>(trimmed) {
            Ok(raw) => {
                dispatch(raw, here, sink);
                return ControlFlow::Continue(());
            }
            Err(e) => {
                if !line.terminated {
                    summary.mark_incomplete(format!(
                        "line {no}, column {}: the stream ends in the middle of an event ({e})",
                        bytes.len() + 1
                    ));
                    return ControlFlow::Break(());
                }
                summary.warn(format!("line {no}: not a test event ({e}); kept as text"));
            }
        }
    } else if !line.terminated && trimmed.first() == Some(&b'{') {
        summary.mark_incomplete(format!(
            "line {no}, column {}: the stream ends in the middle of an event",
            bytes.len() + 1
        ));
        return ControlFlow::Break(());
    }
    sink.event(here, Event::Stray { text: lossy(bytes) });
    ControlFlow::Continue(())
}

const F_TIME: u16 = 1;
const F_ACTION: u16 = 1 << 1;
const F_PACKAGE: u16 = 1 << 2;
const F_TEST: u16 = 1 << 3;
const F_OUTPUT: u16 = 1 << 4;
const F_ELAPSED: u16 = 1 << 5;
const F_FAILED_BUILD: u16 = 1 << 6;
const F_IMPORT_PATH: u16 = 1 << 7;
const F_OUTPUT_TYPE: u16 = 1 << 8;

/// Reads a line of test2json's own shape without serde; `None` means "let
/// serde decide" (see the module documentation). `Output` is unescaped into
/// `scratch`; everything else is borrowed from the line.
fn fast<'a>(line: &'a [u8], scratch: &'a mut String) -> Option<Raw<'a>> {
    // Non-ASCII must be valid UTF-8 (serde rejects it inside strings, and
    // outside them it is a syntax error anyway); control bytes are caught
    // by `string_stop` inside strings and by the grammar outside them.
    fast_text(std::str::from_utf8(line).ok()?, scratch)
}

/// [`fast`] on a line already known to be UTF-8.
fn fast_text<'a>(text: &'a str, scratch: &'a mut String) -> Option<Raw<'a>> {
    let b = text.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut raw = Raw::default();
    let mut seen = 0u16;
    let mut output: Option<&'a str> = None;
    let mut i = 1;
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
        let (field, key_len) = key_at(&b[i..])?;
        if seen & field != 0 {
            return None;
        }
        seen |= field;
        i += key_len;
        if field == F_ELAPSED {
            let len = b[i..]
                .iter()
                .position(|&c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))?;
            // serde's own number parser: the same f64 to the last bit.
            raw.elapsed = Some(serde_json::from_slice::<f64>(&b[i..i + len]).ok()?);
            i += len;
        } else {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            i += 1;
            let start = i;
            let mut escaped = false;
            loop {
                i = string_stop(b, i)?;
                match b[i] {
                    b'"' => break,
                    b'\\' => {}
                    _ => return None,
                }
                escaped = true;
                i += 2;
                if i >= b.len() {
                    return None;
                }
            }
            let value = text.get(start..i)?;
            i += 1;
            if escaped && field != F_OUTPUT {
                return None;
            }
            let v = Some(Cow::Borrowed(value));
            match field {
                F_TIME => {}
                F_ACTION => raw.action = v,
                F_PACKAGE => raw.package = v,
                F_TEST => raw.test = v,
                F_OUTPUT if escaped => output = Some(value),
                F_OUTPUT => raw.output = v,
                F_FAILED_BUILD => raw.failed_build = v,
                F_IMPORT_PATH => raw.import_path = v,
                _ => raw.output_type = v,
            }
        }
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') if i + 1 == b.len() => break,
            _ => return None,
        }
    }
    if let Some(escaped) = output {
        unescape(escaped, scratch)?;
        let s: &'a String = scratch;
        raw.output = Some(Cow::Borrowed(s.as_str()));
    }
    Some(raw)
}

/// The known key at the start of `b` (after its opening quote): its flag
/// and the length of `Key":`. Slice patterns: no `memcmp` call per key.
fn key_at(b: &[u8]) -> Option<(u16, usize)> {
    Some(match b {
        [b'T', b'i', b'm', b'e', b'"', b':', ..] => (F_TIME, 6),
        [b'A', b'c', b't', b'i', b'o', b'n', b'"', b':', ..] => (F_ACTION, 8),
        [b'P', b'a', b'c', b'k', b'a', b'g', b'e', b'"', b':', ..] => (F_PACKAGE, 9),
        [b'T', b'e', b's', b't', b'"', b':', ..] => (F_TEST, 6),
        [b'O', b'u', b't', b'p', b'u', b't', b'"', b':', ..] => (F_OUTPUT, 8),
        [b'E', b'l', b'a', b'p', b's', b'e', b'd', b'"', b':', ..] => (F_ELAPSED, 9),
        [b'O', b'u', b't', b'p', b'u', b't', b'T', b'y', b'p', b'e', b'"', b':', ..] => {
            (F_OUTPUT_TYPE, 12)
        }
        [b'F', b'a', b'i', b'l', b'e', b'd', b'B', b'u', b'i', b'l', b'd', b'"', b':', ..] => {
            (F_FAILED_BUILD, 13)
        }
        [b'I', b'm', b'p', b'o', b'r', b't', b'P', b'a', b't', b'h', b'"', b':', ..] => {
            (F_IMPORT_PATH, 12)
        }
        _ => return None,
    })
}

/// The index of the first `"`, `\` or control byte (below 0x20, which a
/// JSON string cannot hold) at or after `i`, eight bytes at a time (values
/// are short: `memchr`'s setup costs more than it saves).
fn string_stop(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(w) = b.get(i..i + 8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a);
        let q = x ^ (ONES * u64::from(b'"'));
        let s = x ^ (ONES * u64::from(b'\\'));
        // Zero bytes of q or s, bytes of x below 0x20. The lowest flag is
        // always exact (a false one only sits above a true one).
        let m = ((q.wrapping_sub(ONES) & !q)
            | (s.wrapping_sub(ONES) & !s)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

/// JSON string escapes, as serde reads them; `None` for a surrogate
/// (serde pairs or rejects those) or a malformed escape.
fn unescape(s: &str, out: &mut String) -> Option<()> {
    out.clear();
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'\\', &b[i..]) {
        out.push_str(s.get(i..i + k)?);
        i += k + 1;
        let c = match *b.get(i)? {
            b'n' => '\n',
            b't' => '\t',
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' => {
                let mut cp = 0u32;
                for &h in b.get(i + 1..i + 5)? {
                    cp = cp * 16 + (h as char).to_digit(16)?;
                }
                i += 4;
                if (0xD800..0xE000).contains(&cp) {
                    return None;
                }
                char::from_u32(cp)?
            }
            _ => return None,
        };
        out.push(c);
        i += 1;
    }
    out.push_str(s.get(i..)?);
    Some(())
}

fn dispatch(raw: Raw<'_>, here: crate::events::Loc, sink: &mut dyn Sink) {
    let Some(action) = raw.action else {
        return;
    };
    if let Some(import_path) = raw.import_path {
        match action.as_ref() {
            "build-output" => sink.event(
                here,
                Event::BuildOutput {
                    import_path,
                    text: raw.output.unwrap_or_default(),
                },
            ),
            "build-fail" => sink.event(here, Event::BuildFail { import_path }),
            _ => {}
        }
        return;
    }
    let package = raw.package.unwrap_or_default();
    let outcome = match action.as_ref() {
        "pass" => Some(Outcome::Pass),
        "fail" => Some(Outcome::Fail),
        "skip" => Some(Outcome::Skip),
        _ => None,
    };
    match (action.as_ref(), raw.test, outcome) {
        ("output", test, _) => {
            if let Some(text) = raw.output {
                sink.event(
                    here,
                    Event::Output {
                        package: Some(package),
                        test,
                        text,
                        kind: raw.output_type,
                    },
                );
            }
        }
        ("start", None, _) => sink.event(here, Event::PackageStart { package }),
        ("run", Some(test), _) => sink.event(here, Event::TestRun { package, test }),
        (_, Some(test), Some(outcome)) => sink.event(
            here,
            Event::TestEnd {
                package,
                test,
                outcome,
                elapsed: raw.elapsed,
            },
        ),
        (_, None, Some(outcome)) => sink.event(
            here,
            Event::PackageEnd {
                package,
                outcome,
                elapsed: raw.elapsed,
                failed_build: raw.failed_build,
                name: None,
                replay: false,
            },
        ),
        // pause, cont, bench, attr, artifacts and actions yet to come.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Loc;

    fn events(input: &str) -> (Vec<String>, InputSummary) {
        let mut out = Vec::new();
        let mut summary = InputSummary::new("t.json", super::super::Format::GoJson);
        let mut sink = |_: Loc, e: Event<'_>| out.push(format!("{e:?}"));
        read(0, input.as_bytes(), &mut summary, &mut sink).unwrap();
        (out, summary)
    }

    #[test]
    fn reads_events_and_strays() {
        let (ev, s) = events(
            "go: downloading x\n{\"Action\":\"start\",\"Package\":\"p\"}\n{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"T\"}\n\
{\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"T\",\"Output\":\"x\\n\",\"OutputType\":\"error\"}\n\
{\"Action\":\"attr\",\"Package\":\"p\",\"Test\":\"T\",\"Key\":\"k\",\"Value\":\"v\"}\n\
{\"Action\":\"fail\",\"Package\":\"p\",\"Test\":\"T\",\"Elapsed\":0.5}\n\
{\"ImportPath\":\"q [q.test]\",\"Action\":\"build-fail\"}\n\
{\"Action\":\"fail\",\"Package\":\"p\",\"Elapsed\":1,\"FailedBuild\":\"q\",\"Future\":[1]}\n",
        );
        assert_eq!(ev.len(), 7, "{ev:#?}");
        assert!(ev[0].starts_with("Stray"));
        assert!(ev[3].contains("error"));
        assert!(s.complete);
    }

    #[test]
    fn cut_last_line_is_incomplete() {
        let (_, s) = events("{\"Action\":\"start\",\"Package\":\"p\"}\n{\"Action\":\"outp");
        assert!(!s.complete);
        assert!(s.incomplete.unwrap().contains("line 2"));
    }

    /// The fast path's answer must be serde's, whenever it gives one.
    fn agrees(line: &[u8]) -> bool {
        let mut scratch = String::new();
        let fast = fast(line, &mut scratch);
        let full = serde_json::from_slice::<Raw<'_>>(line);
        match (&fast, &full) {
            (None, _) => false,
            (Some(f), Ok(s)) => {
                assert_eq!(f, s, "{}", String::from_utf8_lossy(line));
                true
            }
            (Some(f), Err(e)) => panic!(
                "fast path accepted what serde rejects ({e}): {f:?}\n{}",
                String::from_utf8_lossy(line)
            ),
        }
    }

    fn fixture_lines() -> Vec<Vec<u8>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![root.join("examples/leaky-run.json")];
        for dir in std::fs::read_dir(root.join("tests/fixtures")).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "json") {
                    files.push(f);
                }
            }
        }
        let mut lines = Vec::new();
        for f in files {
            let data = std::fs::read(f).unwrap();
            lines.extend(data.split(|&b| b == b'\n').map(<[u8]>::to_vec));
        }
        lines
    }

    #[test]
    fn fast_path_agrees_with_serde_on_every_fixture_line() {
        let lines = fixture_lines();
        let taken = lines.iter().filter(|l| agrees(l)).count();
        let events = lines.iter().filter(|l| l.starts_with(b"{")).count();
        // Nearly every real line takes the fast path.
        assert!(taken * 100 >= events * 99, "{taken} of {events}");
    }

    #[test]
    fn fast_path_declines_what_it_does_not_know() {
        for line in [
            &br#"{"Action":"output","Package":"p","Output":"a\ud83d\ude00"}"#[..],
            br#"{"Action":"output","Package":"p","Output":"\ud800"}"#,
            br#"{"Action":"output", "Package":"p"}"#,
            br#"{"Action":"output","Package":null}"#,
            br#"{"Action":"attr","Package":"p","Key":"k","Value":"v"}"#,
            br#"{"Action":"pass","Action":"fail"}"#,
            br#"{"Action":"pass","Elapsed":1e999}"#,
            br#"{"Action":"pass","Test":"a\nb"}"#,
            b"{\"Action\":\"output\",\"Output\":\"tab\traw\"}",
            br#"{"Action":"output","Output":"x"}x"#,
            br#"{"Action":"output","Output":"x\"#,
            b"{\"Action\":\"output\",\"Output\":\"\xff\"}",
        ] {
            assert!(!agrees(line), "{}", String::from_utf8_lossy(line));
        }
        let mut scratch = String::new();
        let raw = fast(
            br#"{"Action":"output","Package":"p","Output":"\u003cnil\u003e \"q\" \\ \/\t\n"}"#,
            &mut scratch,
        )
        .unwrap();
        assert_eq!(raw.output.as_deref(), Some("<nil> \"q\" \\ /\t\n"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(serde::Serialize)]
        struct Ev {
            #[serde(rename = "Time")]
            time: String,
            #[serde(rename = "Action")]
            action: String,
            #[serde(rename = "Package")]
            package: String,
            #[serde(rename = "Test", skip_serializing_if = "Option::is_none")]
            test: Option<String>,
            #[serde(rename = "Output", skip_serializing_if = "Option::is_none")]
            output: Option<String>,
            #[serde(rename = "Elapsed", skip_serializing_if = "Option::is_none")]
            elapsed: Option<f64>,
        }

        proptest! {
            /// Any event serde writes in test2json's key order is read by the
            /// fast path (test names with escapes aside), the same as serde
            /// reads it.
            #[test]
            fn serialized_events(
                action in "[a-z-]{0,12}",
                package in "[a-zA-Z0-9./_-]{0,30}",
                test in proptest::option::of("[^\"\\\\\\x00-\\x1f]{0,30}"),
                output in proptest::option::of(any::<String>()),
                elapsed in proptest::option::of(any::<f64>().prop_filter("finite", |f| f.is_finite())),
            ) {
                let ev = Ev { time: "2026-11-28T18:54:03.1Z".into(), action, package, test, output, elapsed };
                let line = serde_json::to_vec(&ev).unwrap();
                prop_assert!(agrees(&line), "{}", String::from_utf8_lossy(&line));
            }

            /// Real lines, damaged: the fast path either declines or agrees.
            #[test]
            fn mutated_fixture_lines(
                pick in any::<prop::sample::Index>(),
                edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
            ) {
                let lines = fixture_lines();
                let mut line = pick.get(&lines).clone();
                for (at, byte, op) in edits {
                    let i = if line.is_empty() { 0 } else { at.index(line.len()) };
                    match op {
                        0 if !line.is_empty() => line[i] = byte,
                        1 => line.insert(i, byte),
                        _ if !line.is_empty() => { line.remove(i); }
                        _ => {}
                    }
                }
                agrees(&line);
            }
        }
    }

    #[test]
    fn wrong_types_become_text() {
        let (ev, s) = events("{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":\"x\"}\n");
        assert!(ev[0].starts_with("Stray"));
        assert_eq!(s.warnings.len(), 1);
    }
}
