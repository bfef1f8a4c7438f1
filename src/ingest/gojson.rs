//! The `go test -json` (test2json) event stream.
//!
//! One JSON object per line. Test events (`Action`, `Package`, `Test`,
//! `Output`, `Elapsed`, `FailedBuild`, `OutputType`, …) and, from Go 1.24,
//! build events (`ImportPath`, `Action: build-output|build-fail`). Unknown
//! actions and fields are ignored; lines that are not JSON objects (stderr
//! mixed in, build errors of Go ≤ 1.23) become [`Event::Stray`] text. A last
//! line with no newline that is not a whole event means the stream was cut.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use super::{lossy, loc, IngestError, InputSummary, Lines};
use crate::events::{Event, Outcome, Sink};

#[derive(Deserialize)]
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
    loop {
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(source) => {
                return Err(IngestError::Unreadable {
                    path: summary.path.clone(),
                    source,
                })
            }
        };
        let no = line.no;
        let here = loc(index, no);
        let bytes = line.bytes.strip_suffix(b"\r").unwrap_or(line.bytes);
        if line.cut {
            summary.warn(format!("line {no}: longer than {} bytes; cut", super::MAX_LINE_BYTES));
        }
        let trimmed = super::trim_ascii(bytes);
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.first() == Some(&b'{') && !line.cut {
            match serde_json::from_slice::<Raw<'_>>(trimmed) {
                Ok(raw) => {
                    dispatch(raw, here, sink);
                    continue;
                }
                Err(e) => {
                    if !line.terminated {
                        summary.mark_incomplete(format!(
                            "line {no}, column {}: the stream ends in the middle of an event ({e})",
                            bytes.len() + 1
                        ));
                        break;
                    }
                    summary.warn(format!("line {no}: not a test event ({e}); kept as text"));
                }
            }
        } else if !line.terminated && trimmed.first() == Some(&b'{') {
            summary.mark_incomplete(format!(
                "line {no}, column {}: the stream ends in the middle of an event",
                bytes.len() + 1
            ));
            break;
        }
        sink.event(here, Event::Stray { text: lossy(bytes) });
    }
    summary.lines = lines.line_no;
    summary.bytes = lines.bytes;
    Ok(())
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

    #[test]
    fn wrong_types_become_text() {
        let (ev, s) = events("{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":\"x\"}\n");
        assert!(ev[0].starts_with("Stray"));
        assert_eq!(s.warnings.len(), 1);
    }
}
