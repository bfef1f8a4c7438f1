//! CI-log decoration: what CI systems add to each line of `go test`'s
//! output (timestamps of GitHub Actions, GitLab and Jenkins, ANSI colour and
//! cursor sequences, carriage returns, test2json's `^V` marker, GitLab's
//! section markers, an emoji before a result line).

use std::borrow::Cow;

/// Removes CI-log decoration from one line: a trailing `\r`, everything up
/// to the last lone `\r` (progress redraws), ANSI escape sequences, a
/// leading `^V`, and timestamp prefixes.
///
/// Only a line with escape sequences is copied; everything else is cut out
/// of `line` by slicing.
pub fn clean_line(line: &str) -> Cow<'_, str> {
    let mut s = line.strip_suffix('\r').unwrap_or(line);
    // Most lines have neither: one search tells.
    if memchr::memchr2(b'\r', b'\x1b', s.as_bytes()).is_none() {
        return Cow::Borrowed(strip_decoration(s));
    }
    if let Some(i) = memchr::memrchr(b'\r', s.as_bytes()) {
        s = &s[i + 1..];
    }
    if memchr::memchr(b'\x1b', s.as_bytes()).is_some() {
        let mut owned = strip_ansi(s);
        let cut = owned.len() - strip_decoration(&owned).len();
        owned.drain(..cut);
        return Cow::Owned(owned);
    }
    Cow::Borrowed(strip_decoration(s))
}

/// A timestamp prefix, then a leading `^V`.
pub(super) fn strip_decoration(s: &str) -> &str {
    let s = strip_prefixes(s);
    s.strip_prefix('\u{16}').unwrap_or(s)
}

/// Removes CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ESC \`) and two-byte
/// escape sequences.
///
/// Not `anstream::adapter::strip_str`: about as fast on CI-log lines, but it
/// reads differently: it also drops control characters outside escapes
/// (`^V`, BEL, backspace), and an `ESC` before a non-ASCII character drops
/// the rest of the line (`ESC é x` is empty), where this keeps ` x`.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Strips one timestamp prefix: `2024-05-01T10:00:00.1234567Z ` (GitHub
/// Actions), the same followed by a GitLab stream tag (`00O `, `01E+ `), or
/// a bracketed time (`[2024-05-01T10:00:00.123Z] `, `[10:00:00] `, Jenkins).
fn strip_prefixes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() > 20 && b[0].is_ascii_digit() && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' {
        if let Some(sp) = s.find(' ') {
            let ts = &s[..sp];
            if ts.ends_with('Z') || ts.contains('+') {
                let mut rest = &s[sp + 1..];
                // GitLab: `00O ` / `00E+ ` stream tags.
                let rb = rest.as_bytes();
                if rb.len() >= 4
                    && rb[0].is_ascii_digit()
                    && rb[1].is_ascii_digit()
                    && (rb[2] == b'O' || rb[2] == b'E')
                {
                    let tag_end = if rb[3] == b'+' { 4 } else { 3 };
                    if rb.get(tag_end) == Some(&b' ') {
                        rest = &rest[tag_end + 1..];
                    } else if rb.len() == tag_end {
                        rest = "";
                    }
                }
                return rest;
            }
        }
    }
    if b.first() == Some(&b'[') && b.get(1).is_some_and(u8::is_ascii_digit) {
        if let Some(close) = s.find("] ") {
            let inner = &s[1..close];
            if inner.len() >= 5
                && inner
                    .bytes()
                    .all(|c| c.is_ascii_digit() || b":.-TZ +".contains(&c))
            {
                return &s[close + 2..];
            }
        }
    }
    s
}

/// GitLab's collapsible-section markers, `section_start:1700000000:name`
/// (optionally `[collapsed=true]`) and `section_end:1700000000:name`, when
/// what surrounded them (`\r`, `ESC[0K`) is gone; at the start of the line
/// (indented, it is a test's output).
#[cold]
pub(super) fn is_gitlab_section(line: &str) -> bool {
    let t = line.trim_end();
    let Some(rest) = t
        .strip_prefix("section_start:")
        .or_else(|| t.strip_prefix("section_end:"))
    else {
        return false;
    };
    let Some((time, name)) = rest.split_once(':') else {
        return false;
    };
    !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
}

/// `line` without a leading symbol (an emoji, `✔`, `✗`, …, with its
/// variation selector) and the white space after it; `None` if it does not
/// start with one.
#[cold]
pub(super) fn strip_symbol(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let end = t
        .char_indices()
        .find(|&(_, c)| c.is_ascii() || c.is_alphanumeric())
        .map_or(t.len(), |(i, _)| i);
    let rest = &t[end..];
    let body = rest.trim_start();
    (end > 0 && body.len() < rest.len() && !body.is_empty()).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_ci_noise() {
        assert_eq!(
            clean_line("2024-05-01T10:00:00.1234567Z     x.go:1: hi\r"),
            "    x.go:1: hi"
        );
        assert_eq!(
            clean_line("2024-05-01T10:00:00.123456Z 00O+ === RUN   TestA"),
            "=== RUN   TestA"
        );
        assert_eq!(
            clean_line("[2024-05-01T10:00:00.123Z] --- FAIL: TestA (0.00s)"),
            "--- FAIL: TestA (0.00s)"
        );
        assert_eq!(clean_line("[10:00:00] ok  \tp\t0.1s"), "ok  \tp\t0.1s");
        assert_eq!(
            clean_line("\x1b[31m--- FAIL\x1b[0m: TestA (0.00s)"),
            "--- FAIL: TestA (0.00s)"
        );
        assert_eq!(
            clean_line("\x1b]0;title\x07\u{16}=== RUN   T"),
            "=== RUN   T"
        );
        assert_eq!(clean_line("progress 10%\rdone"), "done");
        assert_eq!(
            clean_line("[Goroutine 8 in state x"),
            "[Goroutine 8 in state x"
        );
    }
}
