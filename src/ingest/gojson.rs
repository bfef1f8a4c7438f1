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
//! string escapes — straight from the read buffer, sixteen bytes at a time
//! and without allocating; anything else (unknown keys, `null`,
//! surrogates, white space, a bad byte) goes to the full `serde_json`
//! parse. `fast` never accepts a line that serde would read differently or
//! reject (tested on every fixture line, and by property tests on mutated
//! lines). An `Output` that is one whole line goes out as
//! [`Event::OutputLine`].

use std::borrow::Cow;

use serde::Deserialize;

use std::ops::ControlFlow;

use super::{loc, lossy, IngestError, InputSummary, LineReader, Lines, Refill};
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
pub(crate) fn read<S: Refill>(
    index: usize,
    lines: Lines<S>,
    summary: &mut InputSummary,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut reader = Reader {
        index,
        scratch: String::new(),
    };
    super::read_lines(lines, &mut reader, summary, sink)
}

struct Reader {
    index: usize,
    /// Unescaped `Output` text of the current line.
    scratch: String,
}

impl LineReader for Reader {
    fn read_block(
        &mut self,
        first: u64,
        bytes: &[u8],
        summary: &mut InputSummary,
        sink: &mut dyn Sink,
    ) -> u64 {
        block(self.index, first, bytes, summary, &mut self.scratch, sink)
    }

    fn read_line(
        &mut self,
        line: super::Line<'_>,
        summary: &mut InputSummary,
        sink: &mut dyn Sink,
    ) -> ControlFlow<()> {
        let line = Line {
            no: line.no,
            bytes: line.bytes,
            text: None,
            terminated: line.terminated,
            cut: line.cut,
        };
        one_line(self.index, line, summary, &mut self.scratch, sink)
    }
}

/// Reads a block of whole lines; returns how many there were.
///
/// A line of test2json's own shape is read straight from the block: the
/// fast path stops at its closing `}`, and a `\n` right after it ends the
/// line, so the line end is not searched for separately (a string cannot
/// run into the next line: the fast path stops at any byte below 0x20).
/// Any other line is cut at its `\n` and goes through [`one_line`].
fn block(
    index: usize,
    first: u64,
    bytes: &[u8],
    summary: &mut InputSummary,
    scratch: &mut String,
    sink: &mut dyn Sink,
) -> u64 {
    // One UTF-8 check for the block; lines of a block that is not UTF-8
    // are checked one by one.
    let text = std::str::from_utf8(bytes).ok();
    let mut start = 0;
    let mut no = first;
    while start < bytes.len() {
        if let Some(rest) = text.and_then(|t| t.get(start..)) {
            if let Some((f, end)) = fast_text(rest, scratch) {
                if rest.as_bytes().get(end) == Some(&b'\n') {
                    dispatch(&f, loc(index, no), sink);
                    start += end + 1;
                    no += 1;
                    continue;
                }
            }
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = Line {
            no,
            bytes: &bytes[start..end],
            text: text.map(|t| &t[start..end]),
            terminated: true,
            cut: false,
        };
        // Lines of a block are terminated: none ends the input.
        let _ = one_line(index, line, summary, scratch, sink);
        start = end + 1;
        no += 1;
    }
    no - first
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
        let text = match line.text {
            Some(t) => Some(&t[start..start + trimmed.len()]),
            None => std::str::from_utf8(trimmed).ok(),
        };
        if let Some((f, end)) = text.and_then(|t| fast_text(t, scratch)) {
            if end == trimmed.len() {
                dispatch(&f, here, sink);
                return ControlFlow::Continue(());
            }
        }
        match serde_json::from_slice::<Raw<'_>>(trimmed) {
            Ok(raw) => {
                dispatch(&Fields::of(&raw), here, sink);
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

/// The fields of one event, borrowed from the line (or, for an escaped
/// `Output`, from the scratch buffer it was unescaped into).
#[derive(Default, Debug, PartialEq, Clone, Copy)]
struct Fields<'a> {
    action: Option<&'a str>,
    package: Option<&'a str>,
    test: Option<&'a str>,
    output: Option<&'a str>,
    elapsed: Option<f64>,
    failed_build: Option<&'a str>,
    import_path: Option<&'a str>,
    output_type: Option<&'a str>,
    /// `output` is one whole line: its only `\n` ends it.
    whole_line: bool,
}

impl<'a> Fields<'a> {
    fn of(raw: &'a Raw<'_>) -> Self {
        Fields {
            action: raw.action.as_deref(),
            package: raw.package.as_deref(),
            test: raw.test.as_deref(),
            output: raw.output.as_deref(),
            elapsed: raw.elapsed,
            failed_build: raw.failed_build.as_deref(),
            import_path: raw.import_path.as_deref(),
            output_type: raw.output_type.as_deref(),
            whole_line: false,
        }
    }
}

/// Reads a line of test2json's own shape without serde; `None` means "let
/// serde decide" (see the module documentation). `Output` is unescaped into
/// `scratch`; everything else is borrowed from the line.
#[cfg(test)]
fn fast<'a>(line: &'a [u8], scratch: &'a mut String) -> Option<Fields<'a>> {
    // Non-ASCII must be valid UTF-8 (serde rejects it inside strings, and
    // outside them it is a syntax error anyway); control bytes are caught
    // by `bytes::json_string_stop` inside strings and by the grammar outside them.
    let (f, end) = fast_text(std::str::from_utf8(line).ok()?, scratch)?;
    (end == line.len()).then_some(f)
}

/// [`fast`] on text already known to be UTF-8, which may go on after the
/// event: returns the fields and the index just after the closing `}`.
fn fast_text<'a>(text: &'a str, scratch: &'a mut String) -> Option<(Fields<'a>, usize)> {
    let b = text.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut f = Fields::default();
    let mut seen = 0u16;
    let mut unescaped = false;
    // `\n` in the unescaped `Output` (a raw one is a control byte, which
    // the fast path declines).
    let mut newlines = 0;
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
            f.elapsed = Some(serde_json::from_slice::<f64>(&b[i..i + len]).ok()?);
            i += len;
        } else {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            i += 1;
            let start = i;
            // `Output` is unescaped on the way (its escapes are found
            // anyway); any other escaped value goes to serde.
            let mut escaped = false;
            let mut piece = i;
            loop {
                i = crate::bytes::json_string_stop(b, i)?;
                match b[i] {
                    b'"' => break,
                    b'\\' if field == F_OUTPUT => {}
                    _ => return None,
                }
                if !escaped {
                    scratch.clear();
                    escaped = true;
                }
                scratch.push_str(text.get(piece..i)?);
                let (c, len) = escape(b, i + 1)?;
                scratch.push(c);
                newlines += usize::from(c == '\n');
                i += 1 + len;
                piece = i;
            }
            let value = text.get(start..i)?;
            if escaped {
                scratch.push_str(text.get(piece..i)?);
            }
            i += 1;
            let v = Some(value);
            match field {
                F_TIME => {}
                F_ACTION => f.action = v,
                F_PACKAGE => f.package = v,
                F_TEST => f.test = v,
                F_OUTPUT if escaped => unescaped = true,
                F_OUTPUT => f.output = v,
                F_FAILED_BUILD => f.failed_build = v,
                F_IMPORT_PATH => f.import_path = v,
                _ => f.output_type = v,
            }
        }
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => break,
            _ => return None,
        }
    }
    if unescaped {
        let s: &'a String = scratch;
        f.output = Some(s.as_str());
        f.whole_line = newlines == 1 && s.ends_with('\n');
    }
    Some((f, i + 1))
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

/// The JSON escape whose letter is at `b[i]` (after its `\\`), as serde
/// reads it, and how many bytes it takes after the `\\`; `None` for a
/// surrogate (serde pairs or rejects those) or a malformed escape.
fn escape(b: &[u8], i: usize) -> Option<(char, usize)> {
    Some(match *b.get(i)? {
        b'n' => ('\n', 1),
        b't' => ('\t', 1),
        b'"' => ('"', 1),
        b'\\' => ('\\', 1),
        b'/' => ('/', 1),
        b'r' => ('\r', 1),
        b'b' => ('\u{8}', 1),
        b'f' => ('\u{c}', 1),
        b'u' => {
            let mut cp = 0u32;
            for &h in b.get(i + 1..i + 5)? {
                cp = cp * 16 + (h as char).to_digit(16)?;
            }
            if (0xD800..0xE000).contains(&cp) {
                return None;
            }
            (char::from_u32(cp)?, 5)
        }
        _ => return None,
    })
}

fn dispatch(f: &Fields<'_>, here: crate::events::Loc, sink: &mut dyn Sink) {
    let Some(action) = f.action else {
        return;
    };
    let b = Cow::Borrowed;
    if let Some(import_path) = f.import_path {
        match action {
            "build-output" => sink.event(
                here,
                Event::BuildOutput {
                    import_path: b(import_path),
                    text: b(f.output.unwrap_or_default()),
                },
            ),
            "build-fail" => sink.event(
                here,
                Event::BuildFail {
                    import_path: b(import_path),
                },
            ),
            _ => {}
        }
        return;
    }
    let package = b(f.package.unwrap_or_default());
    let test = f.test.map(b);
    if action == "output" {
        match f.output {
            Some(text) if f.whole_line => sink.event(
                here,
                Event::OutputLine {
                    package,
                    test,
                    line: b(text.strip_suffix('\n').unwrap_or(text)),
                    kind: f.output_type.map(b),
                },
            ),
            Some(text) => sink.event(
                here,
                Event::Output {
                    package: Some(package),
                    test,
                    text: b(text),
                    kind: f.output_type.map(b),
                },
            ),
            None => {}
        }
        return;
    }
    let outcome = match action {
        "pass" => Some(Outcome::Pass),
        "fail" => Some(Outcome::Fail),
        "skip" => Some(Outcome::Skip),
        _ => None,
    };
    match (action, test, outcome) {
        ("start", None, _) => sink.event(here, Event::PackageStart { package }),
        ("run", Some(test), _) => sink.event(here, Event::TestRun { package, test }),
        (_, Some(test), Some(outcome)) => sink.event(
            here,
            Event::TestEnd {
                package,
                test,
                outcome,
                elapsed: f.elapsed,
            },
        ),
        (_, None, Some(outcome)) => sink.event(
            here,
            Event::PackageEnd {
                package,
                outcome,
                elapsed: f.elapsed,
                failed_build: f.failed_build.map(b),
                name: None,
                replay: false,
                summary: false,
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
        read(0, Lines::new(input.as_bytes()), &mut summary, &mut sink).unwrap();
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

    /// The fields as serde gives them (serde does not tell whole lines).
    fn as_serde<'a>(f: &Fields<'a>) -> Fields<'a> {
        Fields {
            whole_line: false,
            ..*f
        }
    }

    /// The fast path's answer must be serde's, whenever it gives one, and
    /// the same when the line is read inside a block (followed by `\n` and
    /// more lines).
    fn agrees(line: &[u8]) -> bool {
        let mut scratch = String::new();
        let fast = fast(line, &mut scratch);
        if !line.contains(&b'\n') {
            let mut block = line.to_vec();
            block.extend_from_slice(b"\n{\"Action\":\"run\"}\n\"}\n");
            let mut scratch = String::new();
            let in_block = std::str::from_utf8(&block)
                .ok()
                .and_then(|t| fast_text(t, &mut scratch))
                .filter(|(_, end)| block.get(*end) == Some(&b'\n'))
                .map(|(f, _)| f);
            assert_eq!(fast, in_block, "{}", String::from_utf8_lossy(line));
        }
        let full = serde_json::from_slice::<Raw<'_>>(line);
        match (&fast, &full) {
            (None, _) => false,
            (Some(f), Ok(s)) => {
                assert_eq!(
                    as_serde(f),
                    as_serde(&Fields::of(s)),
                    "{}",
                    String::from_utf8_lossy(line)
                );
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

    /// A block read at once gives the events and warnings of its lines
    /// read one by one, odd lines (CRLF, white space, text, bad UTF-8)
    /// included.
    #[test]
    fn blocks_read_as_their_lines() {
        let mut inputs: Vec<Vec<u8>> = vec![fixture_lines().join(&b'\n')];
        inputs.push(
            b"{\"Action\":\"start\",\"Package\":\"p\"}\r\n  {\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"T\"}  \n\
go: text\n{\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"T\",\"Output\":\"a\\n\"}\n\
{\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"T\",\"Output\":\"unterminated\n\
{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"T\",\"Elapsed\":0}x\n"
                .to_vec(),
        );
        // Not UTF-8: every line of the block is read alone.
        inputs.push(
            b"{\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"T\",\"Output\":\"\xff\"}\n\
{\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"T\",\"Output\":\"a\\n\"}\n\
{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"T\",\"Elapsed\":0}x\n"
                .to_vec(),
        );
        for mut data in inputs {
            data.push(b'\n');
            let by_block = {
                let mut out = Vec::new();
                let mut summary = InputSummary::new("t", super::super::Format::GoJson);
                let mut sink = |at: Loc, e: Event<'_>| out.push(format!("{} {e:?}", at.line));
                read(0, Lines::new(&data[..]), &mut summary, &mut sink).unwrap();
                (out, summary.warnings, summary.lines)
            };
            let by_line = {
                let mut out = Vec::new();
                let mut summary = InputSummary::new("t", super::super::Format::GoJson);
                let mut sink = |at: Loc, e: Event<'_>| out.push(format!("{} {e:?}", at.line));
                let mut scratch = String::new();
                let body = &data[..data.len() - 1];
                for (i, bytes) in body.split(|&b| b == b'\n').enumerate() {
                    let line = Line {
                        no: i as u64 + 1,
                        bytes,
                        text: None,
                        terminated: true,
                        cut: false,
                    };
                    let _ = one_line(0, line, &mut summary, &mut scratch, &mut sink);
                }
                (
                    out,
                    summary.warnings,
                    body.split(|&b| b == b'\n').count() as u64,
                )
            };
            assert!(by_block.0.len() >= 2);
            assert_eq!(by_block, by_line);
        }
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
        assert_eq!(raw.output, Some("<nil> \"q\" \\ /\t\n"));
        assert!(raw.whole_line);
        // A line and a half, and a piece: not one whole line.
        for (text, want) in [
            (r#"a\nb\n"#, "a\nb\n"),
            (r#"a\u000ab"#, "a\nb"),
            ("ab", "ab"),
        ] {
            let line = format!(r#"{{"Action":"output","Package":"p","Output":"{text}"}}"#);
            let mut scratch = String::new();
            let f = fast(line.as_bytes(), &mut scratch).unwrap();
            assert_eq!((f.output, f.whole_line), (Some(want), false), "{line}");
        }
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
