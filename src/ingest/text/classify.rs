//! What one cleaned line of `go test` text is: a package result, a framing
//! line (`=== RUN`, `--- FAIL: name (0.1s)`, also in the middle of a line),
//! a bare `PASS`/`FAIL`, or plain output. Also, for the run tree, whatever
//! the input's format: the testing package's decoration of a message
//! (`    file_test.go:12: text`, [`decoration`]) and the lines that are
//! `go test`'s or gotestsum's own, not a package's ([`is_go_test_line`]).

use crate::events::Outcome;

pub(super) enum Line<'a> {
    /// `ok`, `FAIL\tpkg`, `?   \tpkg`.
    PackageEnd {
        package: &'a str,
        outcome: Outcome,
        build_failed: bool,
    },
    /// `=== RUN   name` and friends.
    Update { action: &'a str, test: &'a str },
    /// `--- FAIL: name (0.1s)`.
    Report {
        indent: usize,
        test: &'a str,
        outcome: Option<Outcome>,
        elapsed: Option<f64>,
    },
    /// Bare `PASS` / `FAIL`.
    Final(Outcome),
    /// Anything else.
    Plain,
}

/// The first byte of `line` that is not ASCII white space.
pub(super) fn first_byte(line: &str) -> Option<u8> {
    line.bytes().find(|&b| !matches!(b, b' ' | b'\t'..=b'\r'))
}

#[cfg(test)]
pub(super) fn classify(line: &str) -> Line<'_> {
    classify_from(line, first_byte(line).unwrap_or(b' '))
}

/// What `line` is; `first` is its [`first_byte`] (a space if none).
#[inline(always)]
pub(super) fn classify_from(line: &str, first: u8) -> Line<'_> {
    // Every kind but `Plain` is told by the first byte that is not white
    // space: look at it before doing any work. (A byte over 0x7f may
    // start Unicode white space, which `split_whitespace` below skips.)
    match first {
        b'P' | b'F' | b'o' | b'?' | b'=' | b'-' => {}
        b if b.is_ascii() => return Line::Plain,
        _ => {}
    }
    let t = line.trim_end();
    if t == "PASS" {
        return Line::Final(Outcome::Pass);
    }
    if t == "FAIL" {
        return Line::Final(Outcome::Fail);
    }
    if first == b'=' || first == b'-' {
        return classify_framing(line, t);
    }
    let mut words = t.split_whitespace();
    let first = words.next().unwrap_or_default();
    let has_ws_after = |w: &str| t.len() > w.len() && t.as_bytes()[w.len()].is_ascii_whitespace();
    if (first == "ok" || first == "FAIL" || first == "?") && has_ws_after(first) {
        if let Some(pkg) = words.next() {
            let rest: Vec<&str> = words.collect();
            // `FAIL\tpkg\t0.45s`, `ok  \tpkg\t(cached)`, `FAIL\tpkg [build
            // failed]`, `?   \tpkg\t[no test files]`; not gotestsum's
            // `FAIL pkg.TestX (0.45s)`.
            let third_ok = match rest.first() {
                None => first == "FAIL",
                Some(w) => {
                    w.starts_with('[')
                        || *w == "(cached)"
                        || w.strip_suffix('s').is_some_and(|n| {
                            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                        })
                }
            };
            let plausible = third_ok && !pkg.starts_with('(') && !pkg.ends_with(':');
            if plausible {
                let outcome = match first {
                    "ok" => Outcome::Pass,
                    "?" => Outcome::Skip,
                    _ => Outcome::Fail,
                };
                let joined = rest.join(" ");
                if first == "?" && !joined.contains("[no test files]") {
                    return Line::Plain;
                }
                return Line::PackageEnd {
                    package: pkg,
                    outcome,
                    build_failed: joined.contains("[build failed]")
                        || joined.contains("[setup failed]"),
                };
            }
        }
    }
    classify_framing(line, t)
}

/// `=== RUN   name` and `--- FAIL: name (0.1s)`; `t` is `line` without
/// trailing white space.
/// `s.rsplit_once(" (")`, searching for the `(` with `memrchr`.
fn rsplit_paren(s: &str) -> Option<(&str, &str)> {
    let mut end = s.len();
    while let Some(i) = memchr::memrchr(b'(', &s.as_bytes()[..end]) {
        if i > 0 && s.as_bytes()[i - 1] == b' ' {
            return Some((&s[..i - 1], &s[i + 1..]));
        }
        end = i;
    }
    None
}

pub(super) fn classify_framing<'a>(line: &'a str, t: &'a str) -> Line<'a> {
    if let Some(rest) = t.strip_prefix("=== ") {
        let (action, name) = rest.split_once(' ').unwrap_or((rest, ""));
        let name = name.trim();
        if matches!(action, "RUN" | "CONT" | "NAME" | "PAUSE") && !name.is_empty() {
            return Line::Update { action, test: name };
        }
    }
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    let content = &t[indent..];
    if let Some(rest) = content.strip_prefix("--- ") {
        // (Prefix tests: a `&str` pattern builds a substring searcher.)
        let word = [
            ("PASS: ", Some(Outcome::Pass)),
            ("FAIL: ", Some(Outcome::Fail)),
            ("SKIP: ", Some(Outcome::Skip)),
            ("BENCH: ", None),
        ]
        .into_iter()
        .find_map(|(word, outcome)| Some((rest.strip_prefix(word)?, outcome)));
        if let Some((rest, outcome)) = word {
            let (name, elapsed) = match rsplit_paren(rest) {
                Some((n, d)) if d.ends_with("s)") => {
                    let mut d = d;
                    while let Some(x) = d.strip_suffix("s)") {
                        d = x;
                    }
                    (n, d.parse().ok())
                }
                _ => (rest, None),
            };
            return Line::Report {
                indent,
                test: name.trim(),
                outcome,
                elapsed,
            };
        }
    }
    Line::Plain
}

/// Where a framing line starts in the middle of `line`, after text a test
/// printed without a trailing newline: `done--- PASS: TestX (0.00s)`,
/// `inner done    --- FAIL: TestX/inner (0.01s)` (the spaces before the
/// marker are its indentation), `partial=== RUN   TestY`. Only test2json's
/// markers, followed by exactly what `testing` prints (one test name, and
/// for a result its duration), end the line; and not after a `file.go:12: `
/// message, which `t.Log` always ends with a newline of its own.
#[cold]
#[inline(never)]
pub(super) fn mid_line_framing(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut from = 1;
    while from < b.len() {
        let i = from + memchr::memchr2(b'-', b'=', &b[from..])?;
        from = i + 1;
        let rest = &line[i..];
        let framing = match classify_framing(rest, rest.trim_end()) {
            Line::Report {
                indent: 0,
                test,
                outcome: Some(_),
                elapsed: Some(_),
            } => !test.contains(char::is_whitespace) && !test.is_empty(),
            Line::Update { action, test } => {
                rest.starts_with(UPDATE_PREFIXES[action_index(action)])
                    && !test.contains(char::is_whitespace)
            }
            _ => false,
        };
        if !framing {
            continue;
        }
        let head = &line[..i];
        if looks_like_log_message(head) {
            return None;
        }
        // A report's indentation: the spaces right before it, in fours.
        let spaces = head.len() - head.trim_end_matches(' ').len();
        let at = if b[i] == b'-' { i - spaces / 4 * 4 } else { i };
        return (at > 0).then_some(at);
    }
    None
}

/// What `testing` prints before a test name in an update line.
const UPDATE_PREFIXES: [&str; 4] = ["=== RUN   ", "=== CONT  ", "=== NAME  ", "=== PAUSE "];

fn action_index(action: &str) -> usize {
    match action {
        "RUN" => 0,
        "CONT" => 1,
        "NAME" => 2,
        _ => 3,
    }
}

/// `    file_test.go:12: ` at the start of `s`: a `t.Log`/`t.Error` message.
fn looks_like_log_message(s: &str) -> bool {
    let t = s.trim_start();
    let Some(colon) = t.find(": ") else {
        return false;
    };
    let Some((file, line)) = t[..colon].rsplit_once(':') else {
        return false;
    };
    file.ends_with(".go") && !line.is_empty() && line.bytes().all(|c| c.is_ascii_digit())
}

/// Where the first `.go:` of `b` ends (its colon), unless a space comes
/// first (from the fourth byte on). Only the colons and spaces are looked
/// at, found with SIMD: a goroutine dump's long position lines cost two
/// searches, not a step per byte.
fn first_go_colon(b: &[u8]) -> Option<usize> {
    for i in memchr::memchr2_iter(b':', b' ', b).filter(|&i| i >= 3) {
        if b[i] == b' ' {
            return None;
        }
        if &b[i - 3..i] == b".go" {
            return Some(i);
        }
    }
    None
}

/// `    file.go:12: text` → (`file.go`, 12, `text`): the testing package's
/// decoration of `t.Log`/`t.Error` output.
pub fn decoration(line: &str) -> Option<(&str, u32, &str)> {
    // The testing package indents (4 spaces per level); some JUnit
    // writers strip that.
    let t = trim_start(line);
    let b = t.as_bytes();
    // The first `.go:`, in a file name without spaces: most lines that are
    // not messages stop at their first space.
    let colon = first_go_colon(b)?;
    if colon <= 3 {
        return None;
    }
    let file = &t[..colon];
    let mut n: u32 = 0;
    let mut digits = 0;
    for &c in &b[colon + 1..] {
        if !c.is_ascii_digit() {
            break;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
        digits += 1;
    }
    if digits == 0 {
        return None;
    }
    let after = &t[colon + 1 + digits..];
    let text = after
        .strip_prefix(": ")
        .or_else(|| after.strip_prefix(':'))?;
    Some((file, n, text))
}

/// Whether a package-level line is `go test`'s own, not the package's.
pub(crate) fn is_go_test_line(line: &str) -> bool {
    let t = line.trim_end();
    t.is_empty()
        || t == "PASS"
        || t == "FAIL"
        || t.starts_with("ok  \t")
        || t.starts_with("FAIL\t")
        || t.starts_with("?   \t")
        || t.starts_with("exit status ")
        || t.starts_with("coverage: ")
        || t.starts_with("testing: warning: no tests to run")
        || t.starts_with("=== ")
        || trim_start(t).starts_with("--- ")
        || is_gotestsum_result(t)
}

/// gotestsum's own result lines: `FAIL pkg`, `PASS pkg.TestX (0.00s)`,
/// `EMPTY pkg`, `DONE 4 tests, 1 failure in 0.4s`.
fn is_gotestsum_result(t: &str) -> bool {
    if t.starts_with("DONE ") {
        return true;
    }
    let Some((word, rest)) = t.split_once(' ') else {
        return false;
    };
    matches!(word, "PASS" | "FAIL" | "SKIP" | "EMPTY")
        && !rest.is_empty()
        && match rest.split_once(' ') {
            None => true,
            Some((_, tail)) => tail.starts_with('(') && tail.ends_with(')'),
        }
}

/// `s.trim_start()`, without decoding characters while the bytes are ASCII
/// (the ASCII white space of `char::is_whitespace` is ` ` and `\t`..`\r`).
pub(crate) fn trim_start(s: &str) -> &str {
    let i = s
        .bytes()
        .position(|b| !matches!(b, b' ' | b'\t'..=b'\r'))
        .unwrap_or(s.len());
    match s.as_bytes().get(i) {
        Some(b) if !b.is_ascii() => s[i..].trim_start(),
        _ => &s[i..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsplit_paren_is_rsplit_once() {
        for s in [
            "",
            "(",
            " (",
            "a (b",
            "a(b (c",
            "a (b(c",
            "Test (0.00s)",
            "T (x) (0.01s)",
            "(0.00s)",
            "é (ü",
        ] {
            assert_eq!(rsplit_paren(s), s.rsplit_once(" ("), "{s:?}");
        }
    }

    #[test]
    fn gotestsum_testname_lines_are_not_package_results() {
        assert!(matches!(
            classify("FAIL ex.com/p.TestX (0.45s)"),
            Line::Plain
        ));
        assert!(matches!(
            classify("ok  \tex.com/p\t0.012s\tcoverage: 50.0% of statements"),
            Line::PackageEnd { .. }
        ));
        assert!(matches!(
            classify("ok  \tex.com/p\t(cached)"),
            Line::PackageEnd { .. }
        ));
        assert!(matches!(
            classify("FAIL\tex.com/p [build failed]"),
            Line::PackageEnd {
                build_failed: true,
                ..
            }
        ));
        assert!(matches!(
            classify("FAIL ex.com/p 1.2s"),
            Line::PackageEnd { .. }
        ));
        assert!(matches!(
            classify("?   \tex.com/p\t[no test files]"),
            Line::PackageEnd { .. }
        ));
    }
    /// The byte-by-byte search `decoration` used before it searched for
    /// colons and spaces with memchr: both find the same `.go:`.
    fn first_go_colon_bytewise(b: &[u8]) -> Option<usize> {
        for (i, w) in b.windows(4).enumerate() {
            match w[3] {
                b' ' => return None,
                b':' if &w[..3] == b".go" => return Some(i + 3),
                _ => {}
            }
        }
        None
    }

    #[test]
    fn the_colon_search_agrees_with_a_bytewise_one() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut lines = 0;
        for f in [
            "go1.26-goleak1.3.0/all.txt",
            "go1.27-goleak1.2.1/all.txt",
            "go1.27-goleak1.3.0/all.txt",
        ] {
            let text = std::fs::read_to_string(root.join(f)).unwrap();
            for line in text.lines().chain([
                "a b.go:1: x",
                "ab.go:1: x",
                "C:/src/p/a_test.go:12: x",
                "\t/src/p/a.go:12 +0x1b",
                ".go:1: x",
                "x.go:",
                "a:b c.go:1:",
            ]) {
                lines += 1;
                let b = trim_start(line).as_bytes();
                assert_eq!(first_go_colon(b), first_go_colon_bytewise(b), "{line:?}");
            }
        }
        assert!(lines > 1000, "the fixtures were read");
    }

    #[test]
    fn decoration_reads_the_testing_packages_prefix() {
        assert_eq!(
            decoration("    a_test.go:12: got 1"),
            Some(("a_test.go", 12, "got 1"))
        );
        assert_eq!(
            decoration("        writer.go:40: [Fx] HOOK OnStart"),
            Some(("writer.go", 40, "[Fx] HOOK OnStart"))
        );
        assert_eq!(decoration("    a_test.go:7: "), Some(("a_test.go", 7, "")));
        assert_eq!(
            decoration("a_test.go:12: not indented"),
            Some(("a_test.go", 12, "not indented"))
        );
        assert_eq!(decoration("    /abs/a_test.go:9 +0x1"), None);
        assert_eq!(decoration("    no file here: 3"), None);
        assert_eq!(decoration("    a_test.go:x: y"), None);
    }
    #[test]
    fn go_test_lines_are_not_the_packages() {
        for l in [
            "PASS",
            "FAIL",
            "ok  \tex.com/p\t0.1s",
            "FAIL\tex.com/p\t0.2s",
            "exit status 1",
            "coverage: 50.0% of statements",
            "",
        ] {
            assert!(is_go_test_line(l), "{l:?}");
        }
        assert!(!is_go_test_line("teardown: database still open"));
    }
}
