//! What a failing test's message says failed, in one line: the testing
//! package's message, testify's block (`Error:`, `Messages:`, located by
//! `Error Trace:`), quicktest's and Gomega's reports, a `panic:` value.
//! Text in, text out: where the message came from and what the failure
//! means are attribution's.

/// A failure's headline is cut at this length (with `…`).
pub const MAX_HEADLINE: usize = 300;

/// What a message says failed, in one line, and where when it says so.
#[derive(Debug, Default, PartialEq)]
pub struct Said {
    /// The headline.
    pub text: String,
    /// testify's `Error Trace:` first entry: the assertion's `file:line`.
    pub trace: Option<(String, u32)>,
}

/// A message in one line: its first line, or, when that is empty (testify,
/// Gomega and quicktest put their whole report on the next lines), what
/// the report says failed.
///
/// - testify: `Error:` (with the `expected:`/`actual:` lines under a
///   `Not equal:`) and `Messages:`; located by `Error Trace:`.
/// - quicktest: the line under `error:`, and under `comment:`.
/// - Gomega and the rest: the lines joined, a description before
///   `Expected` set off by a colon.
pub fn said(text: &str, continuation: &str) -> Said {
    let first = text.trim();
    if !first.is_empty() {
        return Said {
            text: bounded(&squeeze(first)),
            trace: None,
        };
    }
    let lines: Vec<&str> = continuation.lines().collect();
    if let Some(s) = testify(&lines) {
        return s;
    }
    let trimmed: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if trimmed.first() == Some(&"error:") {
        // quicktest
        let field = |name: &str| {
            let i = trimmed.iter().position(|l| *l == name)?;
            trimmed.get(i + 1).copied()
        };
        let mut text = field("error:").unwrap_or("").to_string();
        if let Some(c) = field("comment:") {
            text.push_str(": ");
            text.push_str(c);
        }
        return Said {
            text: bounded(&squeeze(&text)),
            trace: None,
        };
    }
    let text = match trimmed.iter().position(|l| *l == "Expected") {
        Some(i) if i > 0 => format!("{}: {}", trimmed[..i].join(" "), trimmed[i..].join(" ")),
        _ => trimmed.join(" "),
    };
    Said {
        text: bounded(&squeeze(&text)),
        trace: None,
    }
}

/// testify's block: `\tLabel:\tvalue` lines, a value going on in
/// `\t<spaces>\tvalue` lines.
fn testify(lines: &[&str]) -> Option<Said> {
    let mut fields: Vec<(&str, Vec<&str>)> = Vec::new();
    for l in lines {
        // A line's trailing white space may be gone (`\t<spaces>` for a
        // blank value line).
        let mut cells = l.trim_start_matches(' ').splitn(3, '\t');
        let (Some(""), Some(label)) = (cells.next(), cells.next()) else {
            continue;
        };
        let value = cells.next().unwrap_or("");
        let label = label.trim();
        if label.is_empty() {
            if let Some((_, v)) = fields.last_mut() {
                v.push(value);
            }
        } else if let Some(name) = label.strip_suffix(':') {
            fields.push((name, vec![value]));
        }
    }
    let field = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
    let error = field("Error")?;
    let mut text = error[0].trim().to_string();
    if text.ends_with(':') {
        // `Not equal:` / `Received unexpected error:`: what follows, up to
        // a blank line or testify's `Diff:` (text inputs lose the blank).
        let rest: Vec<&str> = error[1..]
            .iter()
            .map(|v| v.trim())
            .take_while(|v| !v.is_empty() && *v != "Diff:")
            .collect();
        if !rest.is_empty() {
            text.push(' ');
            text.push_str(&rest.join(", "));
        }
    }
    if let Some(msg) = field("Messages") {
        let msg: Vec<&str> = msg
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if !msg.is_empty() {
            text.push_str(": ");
            text.push_str(&msg.join(" "));
        }
    }
    let trace = field("Error Trace").and_then(|v| {
        let (file, line) = v[0].trim().rsplit_once(':')?;
        Some((file.to_string(), line.parse().ok()?))
    });
    Some(Said {
        text: bounded(&squeeze(&text)),
        trace,
    })
}

/// White space runs as one space, and none before a colon
/// (testify's `actual  : 2`).
fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() && !w.starts_with(':') {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// `s` cut at [`MAX_HEADLINE`] bytes (on a character boundary), with `…`.
pub fn bounded(s: &str) -> String {
    let kept = crate::bytes::at_most(s, MAX_HEADLINE);
    if kept.len() == s.len() {
        return s.to_string();
    }
    format!("{kept}…")
}

/// `panic: VALUE`, without the runtime's note that the testing package
/// recovered and re-panicked it.
pub fn panic_headline(msg: &str) -> String {
    let m = msg.trim();
    let m = m
        .strip_suffix(" [recovered, repanicked]")
        .or_else(|| m.strip_suffix(" [recovered]"))
        .unwrap_or(m);
    bounded(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_are_one_bounded_line() {
        assert_eq!(squeeze("actual  : 2\t x"), "actual: 2 x");
        let long = "é".repeat(MAX_HEADLINE);
        let cut = bounded(&long);
        assert!(cut.len() <= MAX_HEADLINE + '…'.len_utf8() && cut.ends_with('…'));
        assert_eq!(
            panic_headline("panic: boom [recovered, repanicked]"),
            "panic: boom"
        );
    }
}
