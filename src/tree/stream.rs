//! One test's (or package level's) output, line by line: scanned for
//! goleak reports and panics, kept as an excerpt, its messages recorded.

use super::*;
use crate::events::Loc;
use crate::ingest::text::{decoration, is_go_test_line, trim_start};
use crate::scan::{Found, Scanner};

#[derive(Default)]
pub(super) struct Stream {
    pub(super) scanner: Scanner,
    pub(super) partial: String,
    pub(super) found: Vec<(Found, Loc)>,
    pub(super) excerpt: Excerpt,
    /// Messages of lines that left the excerpt (the excerpt's own lines
    /// are read for messages only if the evidence is asked for: a passing
    /// test's messages are never parsed).
    pub(super) messages: Messages,
    pub(super) typed: bool,
    /// Package level only: keep lines that are not `go test`'s own.
    pub(super) package_level: bool,
    pub(super) own_lines: Vec<String>,
    pub(super) own_line_count: usize,
    /// `FAIL\tpkg [build failed]` / `[setup failed]` (Go 1.22–1.23 JSON).
    pub(super) build_failed: bool,
}

/// `file:line:` messages, at most [`MAX_MESSAGES`], the rest counted.
#[derive(Default)]
pub(super) struct Messages {
    pub(super) list: Vec<Message>,
    /// Messages of earlier tests, for reuse (their strings keep capacity).
    pub(super) spare: Vec<Message>,
    pub(super) more: usize,
    /// The last message of `list` may still continue: its line's
    /// indentation and how many continuation lines it has.
    pub(super) open: Option<(usize, usize)>,
    /// Lines recorded before the first message, at most
    /// [`MAX_CONTINUATION_LINES`], each ending in `\n` (one string, kept
    /// for the next test): they may continue a message recorded elsewhere
    /// (the excerpt's head, read later).
    pub(super) lead: String,
    pub(super) lead_lines: usize,
    /// A line before the first message was not kept in `lead`.
    pub(super) lead_cut: bool,
}

/// The width of a line's leading white space, in bytes.
pub(super) fn indent(line: &str) -> usize {
    line.bytes()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()
}

impl Messages {
    /// Keeps `line` if it is a message, or the continuation of the last one.
    pub(super) fn record(&mut self, line: &str, meta: Meta) {
        let decorated = if meta.no_message {
            None
        } else {
            decoration(line)
        };
        let Some((file, n, text)) = decorated else {
            if self.list.is_empty() && self.more == 0 {
                if self.lead_lines < MAX_CONTINUATION_LINES {
                    push_bounded(&mut self.lead, line);
                    self.lead.push('\n');
                    self.lead_lines += 1;
                } else {
                    self.lead_cut = true;
                }
            }
            self.continued(line);
            return;
        };
        if self.list.len() >= MAX_MESSAGES {
            self.more += 1;
            self.open = None;
            return;
        }
        let mut m = self.spare.pop().unwrap_or(Message {
            file: String::new(),
            line: 0,
            text: String::new(),
            continuation: String::new(),
            error: false,
            at: meta.at,
        });
        m.file.clear();
        m.file.push_str(file);
        m.text.clear();
        m.text.push_str(text);
        m.continuation.clear();
        m.line = n;
        m.error = meta.error;
        m.at = meta.at;
        self.list.push(m);
        self.open = Some((indent(line), 0));
    }

    /// `line`, not a message: the next line of the open message if it is
    /// indented deeper than the message's own line; else the message ends.
    pub(super) fn continued(&mut self, line: &str) {
        let Some((base, count)) = self.open else {
            return;
        };
        if line.is_empty() || indent(line) <= base {
            self.open = None;
            return;
        }
        if count >= MAX_CONTINUATION_LINES {
            return;
        }
        if let Some(m) = self.list.last_mut() {
            if count > 0 {
                m.continuation.push('\n');
            }
            push_bounded(&mut m.continuation, line);
            self.open = Some((base, count + 1));
        }
    }

    pub(super) fn clear(&mut self) {
        self.spare.append(&mut self.list);
        self.more = 0;
        self.open = None;
        if self.lead.capacity() > 64 * 1024 {
            self.lead = String::new();
        }
        self.lead.clear();
        self.lead_lines = 0;
        self.lead_cut = false;
    }
}

/// Test maps of ended packages kept for reuse, at most.
pub(super) const SPARE_TEST_MAPS: usize = 8;

/// Streams of passed tests kept for reuse, at most.
pub(super) const SPARE_STREAMS: usize = 32;

impl Stream {
    /// Back to the state of `Stream::default()`, keeping small buffers.
    pub(super) fn reset(&mut self) {
        self.scanner = Scanner::new();
        if self.partial.capacity() > 64 * 1024 {
            self.partial = String::new();
        }
        self.partial.clear();
        self.found.clear();
        self.excerpt.clear();
        self.messages.clear();
        self.typed = false;
        self.own_lines.clear();
        self.own_line_count = 0;
        self.build_failed = false;
    }

    pub(super) fn text(&mut self, text: &str, kind: Option<&str>, at: Loc) {
        let mut rest = text;
        // (`rest` is usually empty after the first line: no second search.)
        while !rest.is_empty() {
            let Some(i) = crate::bytes::find_byte(b'\n', rest.as_bytes()) else {
                break;
            };
            self.whole_line(&rest[..i], kind, at);
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() && self.partial.len() < MAX_PARTIAL_LINE {
            self.partial.push_str(rest);
        }
    }

    /// `text(line + "\n", kind)`, without looking for line ends: the
    /// line, completing what an earlier piece began.
    pub(super) fn whole_line(&mut self, line: &str, kind: Option<&str>, at: Loc) {
        if self.partial.is_empty() {
            self.line(line, kind, at);
        } else {
            let mut whole = std::mem::take(&mut self.partial);
            whole.push_str(line);
            self.line(&whole, kind, at);
        }
    }

    pub(super) fn line(&mut self, line: &str, kind: Option<&str>, at: Loc) {
        if kind.is_some() {
            self.typed = true;
        }
        if line.starts_with("FAIL")
            && (line.ends_with(" [build failed]") || line.ends_with(" [setup failed]"))
        {
            self.build_failed = true;
        }
        let was_in_report = self.scanner.in_report();
        let mut out = Vec::new();
        self.scanner.line(line, &mut out);
        if !out.is_empty() {
            self.found.extend(out.into_iter().map(|f| (f, at)));
        }
        if !was_in_report && self.scanner.in_report() {
            self.unwrap_assertion();
        }
        let in_report = was_in_report || self.scanner.in_report();
        let framing = kind == Some("frame")
            || line.starts_with("=== ")
            || trim_start(line).starts_with("--- ");
        if framing {
            return;
        }
        if !in_report {
            if let Some((old, meta)) = self.excerpt.evicting() {
                self.messages.record(old, meta);
            }
            let meta = Meta {
                at,
                error: kind == Some("error"),
                no_message: kind == Some("error-continue"),
            };
            self.excerpt.push(line, meta);
            if self.package_level && !self.scanner.is_busy() && !is_go_test_line(line) {
                self.own_line_count += 1;
                if self.own_lines.len() < MAX_OWN_LINES {
                    let mut s = String::new();
                    push_bounded(&mut s, line);
                    self.own_lines.push(s);
                }
            }
        }
    }

    /// A goleak report that starts inside testify's failure block
    /// (`require.NoError(t, goleak.Find())`): the block's `file:line:`
    /// line, with nothing after the colon, above `Error Trace:` and
    /// `Error:` lines, is the report's own message, not another failure.
    #[cold]
    pub(super) fn unwrap_assertion(&mut self) {
        let mut saw_error = false;
        for back in 0..16 {
            let Some((line, meta)) = self.excerpt.recent_mut(back) else {
                return;
            };
            if let Some((_, _, text)) = decoration(line) {
                if text.trim().is_empty() && saw_error {
                    meta.no_message = true;
                    meta.error = false;
                }
                return;
            }
            let t = line.trim_start();
            if t.len() == line.len() || !line.contains('\t') {
                return;
            }
            saw_error |= t.starts_with("Error:");
        }
    }

    pub(super) fn finish(&mut self, at: Loc) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, None, at);
        }
        let mut out = Vec::new();
        self.scanner.finish(&mut out);
        self.found.extend(out.into_iter().map(|f| (f, at)));
    }

    /// What the output proved, the stream left ready for reuse.
    pub(super) fn evidence(&mut self) -> Evidence {
        // In output order: the head, the lines that left the tail, the tail.
        let evicted = std::mem::take(&mut self.messages.list);
        let mut all = Messages {
            spare: std::mem::take(&mut self.messages.spare),
            ..Messages::default()
        };
        for (l, m) in self.excerpt.head_lines() {
            all.record(l, m);
        }
        // The head's last message may go on in the lines that left the
        // tail before their first message.
        for l in self.messages.lead.lines() {
            all.continued(l);
        }
        if self.messages.lead_cut || !evicted.is_empty() || self.messages.more > 0 {
            all.open = None;
        }
        let evicted_any = !evicted.is_empty();
        for m in evicted {
            if all.list.len() < MAX_MESSAGES {
                all.list.push(m);
            } else {
                all.more += 1;
            }
        }
        if evicted_any && all.more == 0 {
            // The evicted lines' last message may go on in the tail.
            all.open = self.messages.open;
        }
        all.more += self.messages.more;
        for (l, m) in &self.excerpt.tail {
            all.record(l, *m);
        }
        self.messages.spare = std::mem::take(&mut all.spare);
        self.messages.clear();
        let last_output = self.last_output(all.list.last());
        Evidence {
            found: std::mem::take(&mut self.found),
            messages: all.list,
            more_messages: all.more,
            typed: self.typed,
            excerpt: if self.excerpt.is_empty() {
                Vec::new()
            } else {
                self.excerpt.lines()
            },
            own_lines: std::mem::take(&mut self.own_lines),
            own_line_count: self.own_line_count,
            last_output,
        }
    }

    /// The excerpt's last line that is not `go test`'s own, if it is not
    /// a message nor a line of the last one.
    pub(super) fn last_output(&self, last_message: Option<&Message>) -> Option<String> {
        let lines: Vec<&str> = self
            .excerpt
            .head_lines()
            .map(|(l, _)| l)
            .chain(self.excerpt.tail.iter().map(|(l, _)| l.as_str()))
            .collect();
        let l = lines
            .iter()
            .rev()
            .map(|l| l.trim())
            .find(|l| !(l.is_empty() || is_go_test_line(l) || l.starts_with("signal: ")))?;
        let of_message = decoration(l).is_some()
            || last_message.is_some_and(|m| m.continuation.lines().any(|c| c.trim() == l));
        (!of_message).then(|| l.to_string())
    }
}

/// `a == b` for the package keys and test names compared on every event,
/// eight bytes at a time in line (a `memcmp` call for a string of a few
/// dozen bytes costs more than the comparison itself).
#[inline]
pub(super) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same`] on bytes.
#[inline]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a == b;
    }
    let word = |s: &[u8], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        u64::from_ne_bytes(w)
    };
    // The last word first (names of one package differ at their end),
    // then the others; the two may overlap.
    if word(a, n - 8) != word(b, n - 8) {
        return false;
    }
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    true
}

/// Output text as an event carries it.
pub(super) enum Piece<'a> {
    /// Text that may hold several lines or part of one, and its Go 1.27
    /// `OutputType`.
    Text(&'a str, Option<&'a str>),
    /// One whole line, without its `\n`, and its `OutputType`.
    Line(&'a str, Option<&'a str>),
}

impl Stream {
    pub(super) fn piece(&mut self, piece: &Piece<'_>, at: Loc) {
        match *piece {
            Piece::Text(text, kind) => self.text(text, kind, at),
            Piece::Line(line, kind) => self.whole_line(line, kind, at),
        }
    }
}
