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
    /// `failures` + `errors` as the suite's attributes declare them.
    declared_failures: u64,
    /// Failed testcases listed in it (nested suites included).
    listed_failures: u64,
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
    // Open elements (quick-xml checks that end tags match their start).
    let mut depth: usize = 0;
    let mut suites: Vec<Suite> = Vec::new();
    let mut case: Option<Case> = None;
    // The last testcase's strings, for the next one to reuse.
    let mut spare: Option<Case> = None;
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
                if depth >= MAX_DEPTH {
                    return Err(bad(
                        &xml,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                depth += 1;
                saw_root = true;
                if skip_depth.is_some() {
                    continue;
                }
                start_element(
                    e.local_name().as_ref(),
                    &e,
                    false,
                    &mut suites,
                    &mut case,
                    &mut spare,
                    &mut collect,
                    &mut skip_depth,
                    depth,
                );
            }
            X::Empty(e) => {
                saw_root = true;
                if skip_depth.is_some() {
                    continue;
                }
                let local = e.local_name();
                let name = local.as_ref();
                start_element(
                    name,
                    &e,
                    true,
                    &mut suites,
                    &mut case,
                    &mut spare,
                    &mut collect,
                    &mut skip_depth,
                    depth + 1,
                );
                end_element(
                    name,
                    &mut suites,
                    &mut case,
                    &mut spare,
                    &mut collect,
                    index,
                    summary,
                    sink,
                );
                if depth == 0 {
                    closed_root = true;
                }
            }
            X::End(e) => {
                let closed = depth;
                depth = depth.saturating_sub(1);
                if let Some(d) = skip_depth {
                    if closed == d {
                        skip_depth = None;
                    }
                    continue;
                }
                end_element(
                    e.local_name().as_ref(),
                    &mut suites,
                    &mut case,
                    &mut spare,
                    &mut collect,
                    index,
                    summary,
                    sink,
                );
                if depth == 0 {
                    closed_root = true;
                }
            }
            X::Text(t) if collect != Collect::None && skip_depth.is_none() => {
                let s = t.decode().map_err(|e| bad(&xml, e.to_string()))?;
                push_text(&s, collect, &mut case, &mut suites);
            }
            X::CData(t) if collect != Collect::None && skip_depth.is_none() => {
                let s = t.decode().map_err(|e| bad(&xml, e.to_string()))?;
                push_text(&s, collect, &mut case, &mut suites);
            }
            X::GeneralRef(r) if collect != Collect::None && skip_depth.is_none() => {
                {
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
        // Not white space only (that was checked first): something that is
        // not XML at all, read as JUnit because `--format junit` said so.
        return Err(IngestError::BadXml {
            path: summary.path.clone(),
            line: 1,
            column: 1,
            message: "no XML element in it: this is not JUnit XML (to read `go test -json` or text output, leave out `--format junit`)".to_string(),
        });
    }
    if !closed_root || depth != 0 {
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

/// The value of the first attribute named `key` (any namespace prefix),
/// skipping malformed and duplicated attributes.
fn attr<'a>(e: &'a BytesStart<'_>, key: &[u8]) -> Option<Cow<'a, str>> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .map(attr_value)
}

fn attr_value<'a>(a: quick_xml::events::attributes::Attribute<'a>) -> Cow<'a, str> {
    match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
        Ok(Cow::Borrowed(v)) => Cow::Borrowed(v),
        Ok(Cow::Owned(v)) => Cow::Owned(v),
        Err(_) => match a.value {
            Cow::Borrowed(b) => String::from_utf8_lossy(b),
            Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
        },
    }
}

/// What [`attr`] gives for each of `keys`, in one pass over the attributes
/// instead of one per key, and without quick-xml's duplicate check (which
/// allocates per element). That check only turns a repeated name into an
/// error that [`attr`] skips, so a tag without repeated names reads the
/// same with or without it; a tag with one, or with any malformed
/// attribute, goes the slow way, key by key.
fn attrs<'a, const N: usize>(e: &'a BytesStart<'_>, keys: [&[u8]; N]) -> [Option<Cow<'a, str>>; N] {
    if let Some(found) = plain_attrs(e.attributes_raw(), keys) {
        return found.map(|v| v.map(Cow::Borrowed));
    }
    let mut out: [Option<Cow<'a, str>>; N] = std::array::from_fn(|_| None);
    let mut names: [&[u8]; 16] = [b""; 16];
    let mut iter = e.attributes();
    iter.with_checks(false);
    for (seen, a) in iter.enumerate() {
        let Ok(a) = a else {
            return keys.map(|k| attr(e, k));
        };
        let name = a.key.into_inner();
        if seen == names.len() || names[..seen].contains(&name) {
            return keys.map(|k| attr(e, k));
        }
        names[seen] = name;
        let local = a.key.local_name();
        if let Some(i) = (0..N).find(|&i| out[i].is_none() && local.as_ref() == keys[i]) {
            out[i] = Some(attr_value(a));
        }
    }
    out
}

/// Bytes that end a plain attribute value or make it not plain: quotes,
/// control bytes (`\t`, `\r`, `\n` are normalized), `&`, `<`.
const VALUE_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t
};

/// [`attrs`] for the commonest shape, read straight from the tag's bytes:
/// `name="value"` pairs (either quote) separated by XML white space, no
/// repeated names, values that are UTF-8 and need no normalization (no
/// control byte, no `&`; `<` is not allowed either). There quick-xml's
/// attribute iterator and value normalization give exactly these slices;
/// anything else returns `None` and is read by quick-xml.
fn plain_attrs<'a, const N: usize>(
    raw: &'a [u8],
    keys: [&[u8]; N],
) -> Option<[Option<&'a str>; N]> {
    // One UTF-8 check for the whole tag (a bad byte anywhere sends the
    // tag to quick-xml, which looks only at the values asked for).
    let text = std::str::from_utf8(raw).ok()?;
    let raw = text.as_bytes();
    let is_ws = |b: u8| matches!(b, b' ' | b'\r' | b'\n' | b'\t');
    let mut out: [Option<&'a str>; N] = [None; N];
    let mut names: [&[u8]; 16] = [b""; 16];
    let mut seen = 0;
    let mut i = 0;
    loop {
        while raw.get(i).is_some_and(|&b| is_ws(b)) {
            i += 1;
        }
        if i == raw.len() {
            return Some(out);
        }
        let start = i;
        while raw.get(i).is_some_and(|&b| b != b'=' && !is_ws(b)) {
            i += 1;
        }
        let name = &raw[start..i];
        let quote = *raw.get(i + 1)?;
        if name.is_empty() || raw[i] != b'=' || (quote != b'"' && quote != b'\'') {
            return None;
        }
        let from = i + 2;
        i = from;
        loop {
            while raw.get(i).is_some_and(|&b| !VALUE_STOP[usize::from(b)]) {
                i += 1;
            }
            match *raw.get(i)? {
                b if b == quote => break,
                b'"' | b'\'' => i += 1,
                _ => return None,
            }
        }
        let value = &text[from..i];
        i += 1;
        if raw.get(i).is_some_and(|&b| !is_ws(b))
            || seen == names.len()
            || names[..seen].contains(&name)
        {
            return None;
        }
        names[seen] = name;
        seen += 1;
        let local = match memchr::memchr(b':', name) {
            Some(c) => &name[c + 1..],
            None => name,
        };
        if let Some(k) = (0..N).find(|&k| out[k].is_none() && local == keys[k]) {
            out[k] = Some(value);
        }
    }
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
    spare: &mut Option<Case>,
    collect: &mut Collect,
    skip_depth: &mut Option<usize>,
    depth: usize,
) {
    match name {
        b"testsuite" => {
            let [name, package, failures, errors] =
                attrs(e, [b"name", b"package", b"failures", b"errors"]);
            let name = name.or(package).unwrap_or_default().into_owned();
            let count =
                |v: Option<Cow<'_, str>>| v.and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
            suites.push(Suite {
                name,
                started: false,
                failed: false,
                build_failed: false,
                out: String::new(),
                declared_failures: count(failures) + count(errors),
                listed_failures: 0,
            });
        }
        b"testcase" => {
            let [name, classname, file] = attrs(e, [b"name", b"classname", b"file"]);
            let mut c = spare.take().unwrap_or_default();
            c.name.clear();
            c.name.push_str(name.as_deref().unwrap_or_default());
            c.classname.clear();
            c.classname
                .push_str(classname.as_deref().unwrap_or_default());
            c.file = file.map(Cow::into_owned);
            c.outcome = Some(Outcome::Pass);
            c.failure_message = None;
            c.text.clear();
            c.truncated = false;
            *case = Some(c);
        }
        b"failure" | b"error" => {
            if let Some(c) = case {
                c.outcome = Some(Outcome::Fail);
                let message = attr(e, b"message").unwrap_or_default().into_owned();
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
        b"system-out" | b"system-err" if !empty => {
            *collect = if case.is_some() {
                Collect::CaseText
            } else {
                Collect::SuiteOut
            };
        }
        // Earlier attempts of a retried test: their text is not the result.
        b"flakyFailure" | b"flakyError" | b"rerunFailure" | b"rerunError" | b"properties"
            if !empty =>
        {
            *skip_depth = Some(depth);
        }
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn end_element(
    name: &[u8],
    suites: &mut Vec<Suite>,
    case: &mut Option<Case>,
    spare: &mut Option<Case>,
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
                summary.warn(format!(
                    "testcase {:?} outside any testsuite; ignored",
                    c.name
                ));
                return;
            };
            let message = c.failure_message.as_deref().unwrap_or_default();
            let package_level = (c.name == "TestMain" && c.classname.is_empty())
                || (c.name == "Failure" && message == "Runtime error")
                || message == "Build error";
            let starts = !suite.started;
            suite.started = true;
            if package_level {
                if message == "Build error" {
                    suite.build_failed = true;
                }
                if c.outcome == Some(Outcome::Fail) {
                    suite.failed = true;
                }
            }
            if c.outcome == Some(Outcome::Fail) {
                suite.listed_failures += 1;
            }
            // No result: go-junit-report's test that started and never ended.
            let ends = !package_level && message != "No test result found";
            let outcome = c.outcome.unwrap_or(Outcome::Pass);
            if ends && outcome == Outcome::Fail {
                suite.failed = true;
            }
            let key = package_key(if suite.name.is_empty() {
                &c.classname
            } else {
                &suite.name
            });
            if starts {
                sink.event(
                    here,
                    Event::PackageStart {
                        package: Cow::Borrowed(key),
                    },
                );
            }
            if package_level {
                emit_text(&c.text, key, None, here, sink);
            } else {
                let test = c.name.as_str();
                sink.event(
                    here,
                    Event::TestRun {
                        package: Cow::Borrowed(key),
                        test: Cow::Borrowed(test),
                    },
                );
                emit_text(&c.text, key, Some(test), here, sink);
                if c.truncated {
                    emit_text(
                        "[leakgate: output cut, over the size limit]\n",
                        key,
                        Some(test),
                        here,
                        sink,
                    );
                }
                if ends {
                    sink.event(
                        here,
                        Event::TestEnd {
                            package: Cow::Borrowed(key),
                            test: Cow::Borrowed(test),
                            outcome,
                            elapsed: None,
                        },
                    );
                }
            }
            *spare = Some(c);
        }
        b"testsuite" => {
            let Some(mut suite) = suites.pop() else {
                return;
            };
            if let Some(parent) = suites.last_mut() {
                parent.listed_failures += suite.listed_failures;
            }
            // Fail closed on a file that says tests failed and does not say
            // which: a cut or merged shard, a producer's bug.
            if suite.declared_failures > suite.listed_failures {
                let note = format!(
                    "[leakgate: suite {:?} declares {} failures or errors but lists {} failed testcases]",
                    suite.name, suite.declared_failures, suite.listed_failures
                );
                summary.warn(note.clone());
                suite.out.push_str(&note);
                suite.out.push('\n');
                suite.failed = true;
            }
            if !suite.started && suite.out.is_empty() && !suite.failed {
                // An empty wrapper suite (nested layouts): nothing to say.
                return;
            }
            let key = package_key(&suite.name);
            if !suite.started {
                sink.event(
                    here,
                    Event::PackageStart {
                        package: Cow::Borrowed(key),
                    },
                );
            }
            emit_text(&suite.out, key, None, here, sink);
            let outcome = if suite.failed {
                Outcome::Fail
            } else {
                Outcome::Pass
            };
            sink.event(
                here,
                Event::PackageEnd {
                    package: Cow::Borrowed(key),
                    outcome,
                    elapsed: None,
                    failed_build: suite
                        .build_failed
                        .then_some(Cow::Borrowed(suite.name.as_str())),
                    name: None,
                    replay: false,
                    summary: false,
                },
            );
        }
        _ => {}
    }
}

/// A suite's package key: its name.
fn package_key(name: &str) -> &str {
    name
}

fn emit_text(
    text: &str,
    key: &str,
    test: Option<&str>,
    here: crate::events::Loc,
    sink: &mut dyn Sink,
) {
    if text.is_empty() {
        return;
    }
    sink.event(
        here,
        Event::Output {
            package: Some(Cow::Borrowed(key)),
            test: test.map(Cow::Borrowed),
            text: Cow::Borrowed(text),
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
                Event::Output { test, text, .. } => {
                    format!("out[{}] {}", test.unwrap_or_default(), text)
                }
                Event::TestEnd { test, outcome, .. } => format!("end {test} {outcome:?}"),
                Event::PackageEnd {
                    package,
                    outcome,
                    failed_build,
                    ..
                } => {
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
        let (ev, _) = run(
            r#"<testsuite name="ex.com/p" tests="2" failures="1" errors="1">
  <testcase name="TestLeak" classname="ex.com/p"><failure message="Failed"><![CDATA[    x_test.go:9: found unexpected goroutines:
]]></failure></testcase>
  <testcase name="Failure" classname="ex.com/p"><error message="Runtime error"><![CDATA[goleak: Errors]]></error></testcase>
</testsuite>"#,
        );
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
        let (ev, _) = run(
            r#"<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="T" classname="c"/></testsuite></testsuite></testsuites>"#,
        );
        assert_eq!(
            ev,
            vec!["start inner", "run T", "end T Pass", "pkg inner Pass false"]
        );
    }

    /// Every tag's attributes, read the fast way and quick-xml's way.
    fn check_attrs(xml: &[u8]) -> usize {
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        let mut fast = 0;
        loop {
            buf.clear();
            match reader.read_event_into(&mut buf) {
                Ok(X::Start(e)) | Ok(X::Empty(e)) => {
                    let keys: [&[u8]; 4] = [b"name", b"classname", b"file", b"message"];
                    let slow = keys.map(|k| attr(&e, k));
                    if let Some(f) = plain_attrs(e.attributes_raw(), keys) {
                        fast += 1;
                        assert_eq!(f.map(|v| v.map(Cow::Borrowed)), slow, "{e:?}");
                    }
                    assert_eq!(attrs(&e, keys), slow, "{e:?}");
                }
                Ok(X::Eof) | Err(_) => break,
                _ => {}
            }
        }
        fast
    }

    #[test]
    fn plain_attributes_read_as_quick_xml_reads_them() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut tags = 0;
        for dir in std::fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "xml") {
                    tags += check_attrs(&std::fs::read(&f).unwrap());
                }
            }
        }
        assert!(tags > 100, "{tags}");
        // Shapes the fast path must decline or get right.
        for tag in [
            r#"<t name="a" name="b"/>"#,
            r#"<t name="a"name="b"/>"#,
            r#"<t name = "a"/>"#,
            r#"<t name=a/>"#,
            r#"<t x:name="a" name="b"/>"#,
            r#"<t name="a&amp;b" classname='c"d'/>"#,
            "<t name=\"a\tb\" file=\"x\ny\"/>",
            r#"<t name="a<b"/>"#,
            r#"<t name='it"s' message="don't"/>"#,
            r#"<t name="unterminated/>"#,
            r#"<t ="a" name="b"/>"#,
            "<t name=\"caf\u{e9}\" classname=\"\u{2028}\"/>",
            r#"<t a="1" b="2" c="3" d="4" e="5" f="6" g="7" h="8" i="9" j="10" k="11" l="12" m="13" n="14" o="15" p="16" name="17"/>"#,
        ] {
            check_attrs(tag.as_bytes());
        }
    }

    #[test]
    fn line_col_of_offset() {
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_col(b"ab", 0), (1, 1));
    }
}
