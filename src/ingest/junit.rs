//! JUnit XML, as written by gotestsum (`--junitfile`), go-junit-report v2
//! and the Jenkins/Surefire family.
//!
//! A streaming pull reader on quick-xml; it tolerates a bare `<testsuite>`
//! root, nested suites, CDATA, character references (`&#xA;`) and
//! `system-out`/`system-err`. It resolves only XML's predefined entities and
//! character references, never DTD entities, and never reads a DTD or any
//! external resource. Depth and kept text are bounded.
//!
//! Each `<testcase>` becomes `TestRun`, `Output`, `TestEnd` events; a suite
//! is a package. Package-level results take the shape their producer gives
//! them: gotestsum writes a testcase named `TestMain` with an empty
//! `classname`; go-junit-report a testcase named `Failure` holding
//! `<error message="Runtime error">` (and `Build error` for builds). Those
//! become package-level output, so that `VerifyTestMain` reports in them are
//! found where they belong.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event as X};
use quick_xml::Reader;

use super::{loc, IngestError, InputSummary};
use crate::events::{Event, Outcome, Sink};

/// Elements nested deeper than this make the input invalid.
pub const MAX_DEPTH: usize = 256;
/// Text kept per element (failure text, system-out); the rest is dropped
/// with a marker.
pub const MAX_TEXT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
struct Case {
    name: String,
    classname: String,
    file: Option<String>,
    outcome: Option<Outcome>,
    failure_message: Option<String>,
    text: String,
    truncated: bool,
}

struct Suite {
    name: String,
    started: bool,
    failed: bool,
    build_failed: bool,
    out: String,
}

/// Which element's text is being collected.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Collect {
    None,
    CaseText,
    SuiteOut,
}

/// Reads a JUnit XML document.
pub fn read<R: BufRead>(
    index: usize,
    reader: R,
    summary: &mut InputSummary,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut xml = Reader::from_reader(reader);
    let cfg = xml.config_mut();
    cfg.trim_text(false);
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;
    let mut buf = Vec::new();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut suites: Vec<Suite> = Vec::new();
    let mut case: Option<Case> = None;
    let mut collect = Collect::None;
    let mut skip_depth: Option<usize> = None;
    let mut saw_root = false;
    let mut closed_root = false;

    let path = summary.path.clone();
    let bad = |xml: &Reader<R>, message: String| IngestError::BadXml {
        path: path.clone(),
        line: 0,
        column: xml.error_position(),
        message,
    };

    loop {
        buf.clear();
        let ev = match xml.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                let pos = xml.error_position();
                return Err(positioned(&summary.path, pos, e.to_string()));
            }
        };
        match ev {
            X::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(bad(&xml, format!("elements nested deeper than {MAX_DEPTH}")));
                }
                let name = e.local_name().as_ref().to_vec();
                stack.push(name.clone());
                saw_root = true;
                if skip_depth.is_some() {
                    continue;
                }
                start_element(&name, &e, false, &mut suites, &mut case, &mut collect, &mut skip_depth, stack.len(), index, summary, sink);
            }
            X::Empty(e) => {
                saw_root = true;
                if skip_depth.is_some() {
                    continue;
                }
                let name = e.local_name().as_ref().to_vec();
                start_element(&name, &e, true, &mut suites, &mut case, &mut collect, &mut skip_depth, stack.len() + 1, index, summary, sink);
                end_element(&name, &mut suites, &mut case, &mut collect, index, summary, sink);
                if stack.is_empty() {
                    closed_root = true;
                }
            }
            X::End(e) => {
                let name = e.local_name().as_ref().to_vec();
                let depth = stack.len();
                stack.pop();
                if let Some(d) = skip_depth {
                    if depth == d {
                        skip_depth = None;
                    }
                    continue;
                }
                end_element(&name, &mut suites, &mut case, &mut collect, index, summary, sink);
                if stack.is_empty() {
                    closed_root = true;
                }
            }
            X::Text(t) => {
                if collect != Collect::None && skip_depth.is_none() {
                    let s = t.decode().map_err(|e| bad(&xml, e.to_string()))?;
                    push_text(&s, collect, &mut case, &mut suites);
                }
            }
            X::CData(t) => {
                if collect != Collect::None && skip_depth.is_none() {
                    let s = t.decode().map_err(|e| bad(&xml, e.to_string()))?;
                    push_text(&s, collect, &mut case, &mut suites);
                }
            }
            X::GeneralRef(r) => {
                if collect != Collect::None && skip_depth.is_none() {
                    let text: String = if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => c.to_string(),
                            _ => String::from("\u{FFFD}"),
                        }
                    } else {
                        let name = r.decode().map_err(|e| bad(&xml, e.to_string()))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            // DTD entities are never expanded.
                            None => format!("&{name};"),
                        }
                    };
                    push_text(&text, collect, &mut case, &mut suites);
                }
            }
            X::Eof => break,
            _ => {}
        }
    }
    summary.bytes = xml.buffer_position();
    if !saw_root {
        return Err(IngestError::Empty {
            path: summary.path.clone(),
        });
    }
    if !closed_root || !stack.is_empty() {
        summary.mark_incomplete(format!(
            "byte {}: the document ends before its root element is closed",
            xml.buffer_position()
        ));
    }
    Ok(())
}

fn positioned(path: &str, pos: u64, message: String) -> IngestError {
    // The line and column are computed again from the file when possible.
    let (line, column) = std::fs::read(path)
        .ok()
        .map(|bytes| line_col(&bytes, pos as usize))
        .unwrap_or((0, pos));
    IngestError::BadXml {
        path: path.to_string(),
        line,
        column,
        message,
    }
}

/// 1-based line and column of byte offset `pos`.
pub fn line_col(bytes: &[u8], pos: usize) -> (u64, u64) {
    let pos = pos.min(bytes.len());
    let before = &bytes[..pos];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
    (line, col)
}

fn attr(e: &BytesStart<'_>, key: &[u8]) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == key).map(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned())
    })
}

fn push_text(s: &str, collect: Collect, case: &mut Option<Case>, suites: &mut [Suite]) {
    match collect {
        Collect::CaseText => {
            if let Some(c) = case {
                if c.text.len() + s.len() <= MAX_TEXT_BYTES {
                    c.text.push_str(s);
                } else {
                    c.truncated = true;
                }
            }
        }
        Collect::SuiteOut => {
            if let Some(su) = suites.last_mut() {
                if su.out.len() + s.len() <= MAX_TEXT_BYTES {
                    su.out.push_str(s);
                }
            }
        }
        Collect::None => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn start_element(
    name: &[u8],
    e: &BytesStart<'_>,
    empty: bool,
    suites: &mut Vec<Suite>,
    case: &mut Option<Case>,
    collect: &mut Collect,
    skip_depth: &mut Option<usize>,
    depth: usize,
    index: usize,
    summary: &mut InputSummary,
    sink: &mut dyn Sink,
) {
    match name {
        b"testsuite" => {
            let name = attr(e, b"name")
                .or_else(|| attr(e, b"package"))
                .unwrap_or_default();
            suites.push(Suite {
                name,
                started: false,
                failed: false,
                build_failed: false,
                out: String::new(),
            });
        }
        b"testcase" => {
            let mut c = Case {
                name: attr(e, b"name").unwrap_or_default(),
                classname: attr(e, b"classname").unwrap_or_default(),
                file: attr(e, b"file"),
                ..Case::default()
            };
            c.outcome = Some(Outcome::Pass);
            *case = Some(c);
        }
        b"failure" | b"error" => {
            if let Some(c) = case {
                c.outcome = Some(Outcome::Fail);
                let message = attr(e, b"message").unwrap_or_default();
                if c.failure_message.is_none() {
                    c.failure_message = Some(message);
                }
                if !empty {
                    *collect = Collect::CaseText;
                }
            }
        }
        b"skipped" => {
            if let Some(c) = case {
                c.outcome = Some(Outcome::Skip);
                if !empty {
                    *collect = Collect::CaseText;
                }
            }
        }
        b"system-out" | b"system-err" => {
            if !empty {
                *collect = if case.is_some() {
                    Collect::CaseText
                } else {
                    Collect::SuiteOut
                };
            }
        }
        // Earlier attempts of a retried test: their text is not the result.
        b"flakyFailure" | b"flakyError" | b"rerunFailure" | b"rerunError" | b"properties" => {
            if !empty {
                *skip_depth = Some(depth);
            }
        }
        _ => {}
    }
    let _ = (index, summary, sink);
}

fn end_element(
    name: &[u8],
    suites: &mut Vec<Suite>,
    case: &mut Option<Case>,
    collect: &mut Collect,
    index: usize,
    summary: &mut InputSummary,
    sink: &mut dyn Sink,
) {
    let here = loc(index, 0);
    match name {
        b"failure" | b"error" | b"skipped" | b"system-out" | b"system-err" => {
            if let Some(c) = case {
                if *collect == Collect::CaseText && !c.text.ends_with('\n') && !c.text.is_empty() {
                    c.text.push('\n');
                }
            }
            *collect = Collect::None;
        }
        b"testcase" => {
            let Some(c) = case.take() else { return };
            let Some(suite) = suites.last_mut() else {
                summary.warn(format!("testcase {:?} outside any testsuite; ignored", c.name));
                return;
            };
            let package = if suite.name.is_empty() {
                c.classname.clone()
            } else {
                suite.name.clone()
            };
            let key = package_key(&package, index);
            if !suite.started {
                suite.started = true;
                sink.event(here, Event::PackageStart { package: Cow::Owned(key.clone()) });
            }
            let message = c.failure_message.clone().unwrap_or_default();
            let package_level = (c.name == "TestMain" && c.classname.is_empty())
                || (c.name == "Failure" && message == "Runtime error")
                || message == "Build error";
            if package_level {
                if message == "Build error" {
                    suite.build_failed = true;
                }
                if c.outcome == Some(Outcome::Fail) {
                    suite.failed = true;
                }
                emit_text(&c.text, &key, None, here, sink);
                return;
            }
            let test = c.name.clone();
            sink.event(here, Event::TestRun { package: Cow::Owned(key.clone()), test: Cow::Owned(test.clone()) });
            emit_text(&c.text, &key, Some(&test), here, sink);
            if c.truncated {
                emit_text("[leakgate: output cut, over the size limit]\n", &key, Some(&test), here, sink);
            }
            if message == "No test result found" {
                // go-junit-report: the test started and never ended.
                return;
            }
            let outcome = c.outcome.unwrap_or(Outcome::Pass);
            if outcome == Outcome::Fail {
                suite.failed = true;
            }
            sink.event(
                here,
                Event::TestEnd {
                    package: Cow::Owned(key),
                    test: Cow::Owned(test),
                    outcome,
                    elapsed: None,
                },
            );
            let _ = c.file;
        }
        b"testsuite" => {
            let Some(suite) = suites.pop() else { return };
            if !suite.started && suite.out.is_empty() && !suite.failed {
                // An empty wrapper suite (nested layouts): nothing to say.
                return;
            }
            let key = package_key(&suite.name, index);
            if !suite.started {
                sink.event(here, Event::PackageStart { package: Cow::Owned(key.clone()) });
            }
            emit_text(&suite.out, &key, None, here, sink);
            let outcome = if suite.failed { Outcome::Fail } else { Outcome::Pass };
            sink.event(
                here,
                Event::PackageEnd {
                    package: Cow::Owned(key),
                    outcome,
                    elapsed: None,
                    failed_build: suite.build_failed.then(|| Cow::Owned(suite.name.clone())),
                    name: None,
                    replay: false,
                },
            );
        }
        _ => {}
    }
}

fn package_key(name: &str, _index: usize) -> String {
    name.to_string()
}

fn emit_text(text: &str, key: &str, test: Option<&str>, here: crate::events::Loc, sink: &mut dyn Sink) {
    if text.is_empty() {
        return;
    }
    sink.event(
        here,
        Event::Output {
            package: Some(Cow::Owned(key.to_string())),
            test: test.map(|t| Cow::Owned(t.to_string())),
            text: Cow::Owned(text.to_string()),
            kind: None,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Loc;

    fn run(xml: &str) -> (Vec<String>, InputSummary) {
        let mut out = Vec::new();
        let mut summary = InputSummary::new("t.xml", super::super::Format::Junit);
        let mut sink = |_: Loc, e: Event<'_>| {
            out.push(match e {
                Event::PackageStart { package } => format!("start {package}"),
                Event::TestRun { test, .. } => format!("run {test}"),
                Event::Output { test, text, .. } => format!("out[{}] {}", test.unwrap_or_default(), text),
                Event::TestEnd { test, outcome, .. } => format!("end {test} {outcome:?}"),
                Event::PackageEnd { package, outcome, failed_build, .. } => {
                    format!("pkg {package} {outcome:?} {}", failed_build.is_some())
                }
                other => format!("{other:?}"),
            })
        };
        read(0, xml.as_bytes(), &mut summary, &mut sink).unwrap();
        (out, summary)
    }

    #[test]
    fn gotestsum_shape_with_entities() {
        let (ev, s) = run(r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="2" failures="1">
  <testsuite tests="1" failures="0" name="ex.com/m" time="0.4">
    <properties><property name="go.version" value="go1.26"></property></properties>
    <testcase classname="ex.com/m" name="TestA" time="0.00"></testcase>
    <testcase classname="" name="TestMain" time="0.00">
      <failure message="Failed" type="">PASS&#xA;goleak: Errors on successful test run: found unexpected goroutines:&#xA;[Goroutine 8 &lt;x&gt;&#xA;</failure>
    </testcase>
  </testsuite>
</testsuites>"#);
        assert!(s.complete);
        assert_eq!(ev[0], "start ex.com/m");
        assert_eq!(ev[1], "run TestA");
        assert_eq!(ev[2], "end TestA Pass");
        assert_eq!(ev[3], "out[] PASS\ngoleak: Errors on successful test run: found unexpected goroutines:\n[Goroutine 8 <x>\n");
        assert_eq!(ev[4], "pkg ex.com/m Fail false");
    }

    #[test]
    fn go_junit_report_shape_cdata_and_bare_suite() {
        let (ev, _) = run(r#"<testsuite name="ex.com/p" tests="2" failures="1" errors="1">
  <testcase name="TestLeak" classname="ex.com/p"><failure message="Failed"><![CDATA[    x_test.go:9: found unexpected goroutines:
]]></failure></testcase>
  <testcase name="Failure" classname="ex.com/p"><error message="Runtime error"><![CDATA[goleak: Errors]]></error></testcase>
</testsuite>"#);
        assert_eq!(ev[1], "run TestLeak");
        assert!(ev[2].starts_with("out[TestLeak]     x_test.go:9"));
        assert_eq!(ev[3], "end TestLeak Fail");
        assert_eq!(ev[4], "out[] goleak: Errors\n");
        assert_eq!(ev[5], "pkg ex.com/p Fail false");
    }

    #[test]
    fn doctype_entities_are_not_expanded() {
        let (ev, _) = run(r#"<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>
<testsuite name="p"><testcase name="T" classname="p"><failure>&b;</failure></testcase></testsuite>"#);
        assert!(ev.iter().any(|e| e == "out[T] &b;\n"), "{ev:?}");
    }

    #[test]
    fn unclosed_root_is_incomplete() {
        let (_, s) = run(r#"<testsuites><testsuite name="p"><testcase name="T" classname="p"/>"#);
        assert!(!s.complete);
    }

    #[test]
    fn nested_suites() {
        let (ev, _) = run(r#"<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="T" classname="c"/></testsuite></testsuite></testsuites>"#);
        assert_eq!(ev, vec!["start inner", "run T", "end T Pass", "pkg inner Pass false"]);
    }

    #[test]
    fn line_col_of_offset() {
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_col(b"ab", 0), (1, 1));
    }
}
