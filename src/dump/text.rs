//! The text dumps: tracebacks (`?debug=2`, `runtime.Stack(buf, true)`,
//! SIGQUIT and `GOTRACEBACK=all` crashes) and the count profile
//! (`?debug=1`: `N @ 0x…` then `#\t0x…\tfunc+0x…\tfile:line`). Read a line
//! at a time; one goroutine (or one distinct stack) in memory at once.

use std::io::BufRead;

use super::{DumpError, DumpFormat, Grouper, Record};
use crate::ingest::text::clean_line;
use crate::stack::{self, BodyLine, Frame, Goroutine};

/// Longest line kept (bytes); the rest of a longer line is skipped.
const MAX_LINE: u64 = 1 << 20;

struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    /// 1-based number of the line in `buf`.
    number: u64,
    /// The last line read ended with a newline.
    terminated: bool,
}

impl<R: BufRead> LineReader<R> {
    fn next(&mut self, name: &str) -> Result<Option<(u64, &str)>, DumpError> {
        self.buf.clear();
        let unreadable = |source| DumpError::Unreadable {
            name: name.to_string(),
            source,
        };
        let n = <&mut R as std::io::Read>::take(&mut self.reader, MAX_LINE)
            .read_until(b'\n', &mut self.buf)
            .map_err(unreadable)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        self.terminated = self.buf.last() == Some(&b'\n');
        if !self.terminated && n as u64 == MAX_LINE {
            // Skip the rest of an overlong line.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let m = <&mut R as std::io::Read>::take(&mut self.reader, MAX_LINE)
                    .read_until(b'\n', &mut rest)
                    .map_err(unreadable)?;
                if m == 0 || rest.last() == Some(&b'\n') {
                    self.terminated = m != 0;
                    break;
                }
            }
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        if std::str::from_utf8(&self.buf).is_err() {
            let s = String::from_utf8_lossy(&self.buf).into_owned();
            self.buf = s.into_bytes();
        }
        Ok(Some((
            self.number,
            std::str::from_utf8(&self.buf).unwrap_or(""),
        )))
    }
}

/// Reads a text dump into `grouper`; says which format it was.
///
/// The first line that holds a dump header (`goroutine N [state]:`, or
/// `goroutine profile: total N`) decides, wherever the header starts in
/// it: what comes before it on that line (indentation, `> ` quote marks, a
/// log prefix such as `host app[42]: `) is the decoration that every line
/// of the dump carries, and it is taken off each ([`Decor`]). CI
/// timestamps, colour and carriage returns are cleaned off first, as for
/// test logs.
pub(super) fn read_text<R: BufRead>(
    name: &str,
    reader: R,
    grouper: &mut Grouper<'_>,
) -> Result<DumpFormat, DumpError> {
    let mut lines = LineReader {
        reader,
        buf: Vec::new(),
        number: 0,
        terminated: true,
    };
    let mut first_text = None;
    loop {
        let Some((number, raw)) = lines.next(name)? else {
            return Err(match first_text {
                None => DumpError::Empty {
                    name: name.to_string(),
                },
                Some(line) => DumpError::UnknownFormat {
                    name: name.to_string(),
                    line,
                },
            });
        };
        let line = clean_line(raw);
        if line.trim().is_empty() {
            continue;
        }
        first_text.get_or_insert(number);
        if let Some((at, total, leak)) = find_count_header(&line) {
            let decor = Decor::learn(&line[..at]);
            if leak {
                grouper.leak_profile();
            }
            read_counts(name, &mut lines, decor, total, grouper)?;
            return Ok(DumpFormat::Counts);
        }
        if let Some(at) = find_header(&line) {
            let decor = Decor::learn(&line[..at]);
            let first = line[at..].to_string();
            read_traceback(name, &mut lines, decor, first, number, grouper)?;
            return Ok(DumpFormat::Traceback);
        }
        if let Some(at) = line.find(WINDOWS_CGO_SIGNAL) {
            // Windows prints the goroutine that crashed in C without its
            // `goroutine N [state]:` header, right after this line: it is
            // read as a goroutine of its own, with an id no other has.
            let decor = Decor::learn(&line[..at]);
            let first = format!("goroutine {} [running]:", u64::MAX);
            read_traceback(name, &mut lines, decor, first, number, grouper)?;
            return Ok(DumpFormat::Traceback);
        }
    }
}

/// What Windows prints before the headerless stack of a goroutine that
/// crashed in C code.
const WINDOWS_CGO_SIGNAL: &str = "signal arrived during external code execution";

/// Where a `goroutine N [state]:` header starts in `line`.
fn find_header(line: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = line[from..].find("goroutine ") {
        let at = from + i;
        if stack::parse_header(&line[at..]).is_some() {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Where `goroutine profile: total 7` (or `goroutineleak profile: …`)
/// starts in `line`, its total, and whether it is the leak profile.
fn find_count_header(line: &str) -> Option<(usize, u64, bool)> {
    for (head, leak) in [
        ("goroutine profile: total ", false),
        ("goroutineleak profile: total ", true),
    ] {
        if let Some(at) = line.find(head) {
            if let Ok(total) = line[at + head.len()..].trim().parse() {
                return Some((at, total, leak));
            }
        }
    }
    None
}

/// A line that stands for lines left out of a pasted dump.
fn is_abridged_marker(t: &str) -> bool {
    matches!(
        t,
        "..."
            | "…"
            | "// ..."
            | "// …"
            | "# ..."
            | "[...]"
            | "(...)"
            | "<snip>"
            | "[snip]"
            | "<...>"
            | "...snip..."
            | "[…]"
    )
}

/// What a log, a paste or a quote put before every line of a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decor {
    /// Nothing: the dump as the runtime wrote it.
    Plain,
    /// Quote marks (`> `, as many as `quotes`), then up to `indent`
    /// spaces or tabs (a Markdown code block, an indented paste).
    Indent { quotes: usize, indent: usize },
    /// A log prefix that ends in a fixed word (`host app[42]:`, `web-1 |`,
    /// `[pod/p/c]`), then up to `gap` spaces: everything up to it goes.
    Tag { tag: String, gap: usize },
}

impl Decor {
    /// The decoration that `prefix` (what comes before the first header
    /// on its line) shows.
    fn learn(prefix: &str) -> Decor {
        if prefix.is_empty() {
            return Decor::Plain;
        }
        if prefix.chars().all(|c| c == '>' || c == ' ' || c == '\t') {
            let quotes = prefix.matches('>').count();
            let after = prefix.rsplit('>').next().unwrap_or(prefix);
            return Decor::Indent {
                quotes,
                indent: after.chars().count(),
            };
        }
        let trimmed = prefix.trim_end_matches([' ', '\t']);
        let gap = prefix.len() - trimmed.len();
        let tag = trimmed
            .rsplit([' ', '\t'])
            .next()
            .unwrap_or(trimmed)
            .to_string();
        Decor::Tag { tag, gap }
    }

    /// `line` without its decoration; `None` when the line does not carry
    /// it (another program's log line between the dump's).
    fn strip<'a>(&self, line: &'a str) -> Option<&'a str> {
        let take_space = |mut s: &'a str, n: usize| {
            for _ in 0..n {
                match s.strip_prefix([' ', '\t']) {
                    Some(r) => s = r,
                    None => break,
                }
            }
            s
        };
        match self {
            Decor::Plain => Some(line),
            Decor::Indent { quotes, indent } => {
                let mut s = line;
                for _ in 0..*quotes {
                    match s.trim_start_matches([' ', '\t']).strip_prefix('>') {
                        Some(r) => s = r,
                        // `>` alone, or nothing: a blank quoted line.
                        None if s.trim().is_empty() => return Some(""),
                        None => return None,
                    }
                }
                Some(take_space(s, *indent))
            }
            Decor::Tag { tag, gap } => {
                let at = line.find(tag.as_str())?;
                Some(take_space(&line[at + tag.len()..], *gap))
            }
        }
    }

    /// Whether `line` carries the decoration, as every line of a dump
    /// printed by a program that decorates its output does. A header
    /// embedded in one log line (`log.Printf("%s", buf)`) has the prefix
    /// on that line only.
    fn carried_by(&self, line: &str) -> bool {
        match self {
            Decor::Plain => true,
            Decor::Indent { quotes, indent } => {
                let lead: usize = line
                    .chars()
                    .take_while(|c| *c == ' ' || *c == '\t' || *c == '>')
                    .count();
                line.matches('>').count() >= *quotes && lead >= quotes + indent.min(&1)
            }
            Decor::Tag { .. } => self.strip(line).is_some(),
        }
    }
}

/// Takes the decoration off each line; decides, at the first line after
/// the header, whether the dump's lines carry it at all.
struct Undecorate {
    decor: Decor,
    checked: bool,
}

impl Undecorate {
    fn new(decor: Decor) -> Undecorate {
        let checked = decor == Decor::Plain;
        Undecorate { decor, checked }
    }

    /// The line as the runtime wrote it; `None` for a line that belongs to
    /// something else.
    fn line<'a>(&mut self, raw: &'a str) -> Option<std::borrow::Cow<'a, str>> {
        let cleaned = clean_line(raw);
        if cleaned.trim().is_empty() {
            return Some(std::borrow::Cow::Borrowed(""));
        }
        if !self.checked {
            // The first line that tells: one with the decoration, or a
            // dump line without it (another program's line in between
            // tells nothing).
            if self.decor.carried_by(&cleaned) {
                self.checked = true;
            } else if matches!(
                stack::classify(&cleaned),
                BodyLine::Function { .. } | BodyLine::Position { .. } | BodyLine::CreatedBy { .. }
            ) {
                self.checked = true;
                self.decor = Decor::Plain;
            }
        }
        match cleaned {
            std::borrow::Cow::Borrowed(s) => self.decor.strip(s).map(std::borrow::Cow::Borrowed),
            std::borrow::Cow::Owned(s) => self
                .decor
                .strip(&s)
                .map(|t| std::borrow::Cow::Owned(t.to_string())),
        }
    }
}

/// The count profile after its header.
fn read_counts<R: BufRead>(
    name: &str,
    lines: &mut LineReader<R>,
    decor: Decor,
    total: u64,
    grouper: &mut Grouper<'_>,
) -> Result<(), DumpError> {
    let mut undecorate = Undecorate::new(decor);
    let mut trailing: Option<(u64, String)> = None;
    let mut current: Option<(u64, Goroutine)> = None;
    let mut sum: u64 = 0;
    let flush =
        |current: &mut Option<(u64, Goroutine)>, sum: &mut u64, grouper: &mut Grouper<'_>| {
            if let Some((count, goroutine)) = current.take() {
                *sum = sum.saturating_add(count);
                grouper.add(Record {
                    goroutine,
                    count,
                    leaked: false,
                });
            }
        };
    while let Some((number, raw)) = lines.next(name)? {
        let Some(line) = undecorate.line(raw) else {
            continue;
        };
        let line: &str = &line;
        if line.trim().is_empty() {
            flush(&mut current, &mut sum, grouper);
            continue;
        }
        if is_abridged_marker(line.trim()) {
            return Err(abridged(name, number, line.trim()));
        }
        if let Some(rest) = line.trim_start().strip_prefix('#') {
            let rest = rest.trim_start();
            let Some((_, goroutine)) = current.as_mut() else {
                continue;
            };
            if let Some(labels) = rest.strip_prefix("labels:") {
                goroutine.state.labels = Some(labels.trim().to_string());
                continue;
            }
            let mut words = rest.split_whitespace();
            let _pc = words.next();
            let frame = match (words.next(), words.next()) {
                (Some(func), Some(position)) => {
                    let function = func.rsplit_once("+0x").map_or(func, |(f, _)| f);
                    let (file, line) = stack::parse_position(position).unwrap_or(("", 0));
                    Frame {
                        function: function.to_string(),
                        file: file.to_string(),
                        line,
                        inlined: false,
                    }
                }
                (Some(func), None) => {
                    Frame::named(func.rsplit_once("+0x").map_or(func, |(f, _)| f))
                }
                _ => Frame::named("?"),
            };
            goroutine.frames.push(frame);
            continue;
        }
        if let Some((count, _)) = line.split_once(" @ ") {
            flush(&mut current, &mut sum, grouper);
            match count.trim().parse::<u64>() {
                Ok(n) => current = Some((n, Goroutine::default())),
                Err(_) => {
                    return Err(DumpError::Cut {
                        name: name.to_string(),
                        line: number,
                        why: format!("`{}` is not a count", count.trim()),
                    })
                }
            }
            continue;
        }
        // Text after the profile (a log line, a shell prompt): the
        // profile is over, and nothing after it may be another dump.
        if current.is_some() {
            // Inside a stack: its lines end here, without the blank line
            // that ends each of them.
            break;
        }
        trailing = Some((number, line.to_string()));
        break;
    }
    let cut_line = !lines.terminated;
    // debug=1 ends every stack, the last one too, with a blank line.
    let open_stack = current.is_some();
    flush(&mut current, &mut sum, grouper);
    if open_stack && !cut_line && sum == total {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: lines.number,
            why: "its last stack has no end (debug=1 ends each with a blank line)".to_string(),
        });
    }
    if sum != total {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: lines.number,
            why: format!("its stacks count {sum} goroutines, its header says total {total}"),
        });
    }
    if cut_line {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: lines.number,
            why: LAST_LINE_OPEN.to_string(),
        });
    }
    match trailing {
        Some((number, line)) => no_second_dump(name, number, &line, lines, &mut undecorate),
        None => Ok(()),
    }
}

/// The rest of the input after a dump, from `line` (number `number`) on:
/// anything is fine except the start of another dump.
fn no_second_dump<R: BufRead>(
    name: &str,
    number: u64,
    line: &str,
    lines: &mut LineReader<R>,
    undecorate: &mut Undecorate,
) -> Result<(), DumpError> {
    let second = |line: &str| find_count_header(line).is_some() || find_header(line).is_some();
    if second(line) {
        return Err(DumpError::Second {
            name: name.to_string(),
            line: number,
        });
    }
    while let Some((number, raw)) = lines.next(name)? {
        let found = undecorate.line(raw).is_some_and(|l| second(&l));
        if found {
            return Err(DumpError::Second {
                name: name.to_string(),
                line: number,
            });
        }
    }
    Ok(())
}

const LAST_LINE_OPEN: &str = "its last line has no end (a runtime.Stack buffer too small ends so; if the dump is whole and only the final newline was lost in a copy, add it back)";

fn abridged(name: &str, line: u64, text: &str) -> DumpError {
    DumpError::Abridged {
        name: name.to_string(),
        line,
        text: text.to_string(),
    }
}

/// Whether a goroutine's stack reached its bottom: its `created by` line;
/// or, without one, the main goroutine's `main.main` (or a package `init`
/// while the program starts), a runtime frame (a goroutine the runtime
/// started), a goroutine that C called into, or no stack at all (running
/// on another thread). `...N frames elided...` is printed in the middle
/// of a deep stack, with its bottom and `created by` after it: it is not
/// the end.
fn complete(g: &Goroutine) -> bool {
    if g.created_by.is_some() {
        return true;
    }
    let Some(bottom) = g.frames.last() else {
        // No stack: a goroutine running on another thread has none to
        // show; any other lost its lines.
        return g.state.status == "running";
    };
    let f = bottom.function.as_str();
    // The runtime hides `created by` where the creator is the runtime's
    // own (the finalizer goroutine, ending in `runtime.runFinalizers`),
    // and a goroutine that C called into (a cgo callback: `locked to
    // thread`) has no creator at all.
    if f == "main.main" || f.starts_with("runtime.") || g.state.locked_to_thread {
        return true;
    }
    // Before Go 1.21 a deep stack ended in `...additional frames
    // elided...`, then `created by`, which the main goroutine has not.
    g.id == 1 && (is_init(f) || g.elided == Some(0))
}

/// `pkg.init`, `pkg.init.0`: a package initializer.
fn is_init(function: &str) -> bool {
    let name = &function[function.rfind('/').map_or(0, |i| i + 1)..];
    name.ends_with(".init")
        || name
            .rsplit_once(".init.")
            .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A traceback: every `goroutine N [state]:` block.
fn read_traceback<R: BufRead>(
    name: &str,
    lines: &mut LineReader<R>,
    decor: Decor,
    first: String,
    first_number: u64,
    grouper: &mut Grouper<'_>,
) -> Result<(), DumpError> {
    let mut undecorate = Undecorate::new(decor);
    let mut header = stack::parse_header(&first);
    let mut seen = roaring::RoaringTreemap::new();
    if let Some(h) = &header {
        seen.insert(h.id);
    }
    let mut body: Vec<String> = Vec::new();
    let mut last_kind_open = false;
    let mut last_line = first_number;
    // The last goroutine read was whole (see [`complete`]), and the first
    // one that was not: (id, line of its header).
    let mut last_complete = true;
    let mut first_incomplete: Option<(u64, u64)> = None;
    let mut header_line = first_number;
    let mut emit = |header: &mut Option<stack::Header>,
                    header_line: u64,
                    body: &mut Vec<String>,
                    grouper: &mut Grouper<'_>| {
        if let Some(h) = header.take() {
            let (frames, elided, created_by) = stack::parse_body(body.iter().map(String::as_str));
            let leaked = h.state.leaked;
            let goroutine = Goroutine {
                id: h.id,
                state: h.state,
                frames,
                elided,
                created_by,
            };
            last_complete = goroutine.id == 0 || complete(&goroutine);
            if !last_complete && first_incomplete.is_none() {
                first_incomplete = Some((goroutine.id, header_line));
            }
            // Goroutine 0 is a thread's scheduler stack (g0) that crash
            // dumps print for each thread, not a goroutine.
            if goroutine.id != 0 {
                grouper.add(Record {
                    goroutine,
                    count: 1,
                    leaked,
                });
            }
        }
        body.clear();
    };
    while let Some((number, raw)) = lines.next(name)? {
        let Some(line) = undecorate.line(raw) else {
            continue;
        };
        let line: &str = &line;
        last_line = number;
        if let Some(h) = stack::parse_header(line) {
            emit(&mut header, header_line, &mut body, grouper);
            header_line = number;
            if h.id != 0 && !seen.insert(h.id) {
                return Err(DumpError::Twice {
                    name: name.to_string(),
                    line: number,
                    id: h.id,
                });
            }
            header = Some(h);
            last_kind_open = false;
            continue;
        }
        if is_abridged_marker(line.trim()) {
            return Err(abridged(name, number, line.trim()));
        }
        if line.trim() == "-----" {
            // GOTRACEBACK=crash: each other thread's registers and its
            // current goroutine again, one section per thread. The dump
            // proper is over.
            last_line = number;
            emit(&mut header, header_line, &mut body, grouper);
            while lines.next(name)?.is_some() {}
            break;
        }
        if find_count_header(line).is_some() {
            return Err(DumpError::Second {
                name: name.to_string(),
                line: number,
            });
        }
        if header.is_some() {
            let line = reindent(line);
            match stack::classify(&line) {
                BodyLine::Function { .. } | BodyLine::CreatedBy { .. } => last_kind_open = true,
                BodyLine::Position { .. } => last_kind_open = false,
                _ => {}
            }
            if body.len() < 4096 {
                body.push(line.into_owned());
            }
        }
    }
    let unterminated = !lines.terminated;
    emit(&mut header, header_line, &mut body, grouper);
    if last_kind_open {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: last_line,
            why: "its last goroutine's frame has no position line".to_string(),
        });
    }
    if !last_complete {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: last_line,
            why: "its last goroutine ends before its stack does (no `created by` line)".to_string(),
        });
    }
    // One in the middle: lines left out of a paste, or a log that dropped
    // some.
    if let Some((id, line)) = first_incomplete {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line,
            why: format!(
                "goroutine {id}'s stack stops before its bottom (no `created by` line): lines are missing"
            ),
        });
    }
    // A last line without its newline is where a `runtime.Stack` buffer
    // too small for the dump ends (even in the middle of a `+0x…` offset);
    // a copy that only lost the final newline needs it back.
    if unterminated {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: last_line,
            why: LAST_LINE_OPEN.to_string(),
        });
    }
    Ok(())
}

/// A position line that lost its tab (a paste, a log that trims lines)
/// gets it back: `/p/f.go:12 +0x1d` is `\t/p/f.go:12 +0x1d`; every other
/// line is kept as it is.
fn reindent(line: &str) -> std::borrow::Cow<'_, str> {
    let t = line.trim_end();
    if !line.starts_with(['\t', ' '])
        && !t.ends_with(')')
        && (t.contains(".go:") || t.contains(".s:"))
        && stack::parse_position(t).is_some()
    {
        return std::borrow::Cow::Owned(format!("\t{line}"));
    }
    std::borrow::Cow::Borrowed(line)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::dump::{read, DumpError, DumpFormat};
    use crate::paths::Repo;
    use crate::policy::Policy;

    const BEFORE1: &str = include_str!("../../tests/fixtures/dumps/go1.26/before.debug1.txt");
    const AFTER1: &str = include_str!("../../tests/fixtures/dumps/go1.27/after.debug1.txt");
    const AFTER2: &str = include_str!("../../tests/fixtures/dumps/go1.26/after.debug2.txt");
    const SIGQUIT: &str = include_str!("../../tests/fixtures/dumps/go1.26/sigquit.txt");

    fn dump(text: &[u8]) -> Result<crate::dump::Dump, DumpError> {
        read("t", text, &Repo::default(), &Policy::default())
    }

    /// The group of goroutines that started in `entry`.
    fn group<'a>(d: &'a crate::dump::Dump, entry: &str) -> &'a crate::dump::Group {
        d.groups
            .iter()
            .find(|g| g.key.entry == entry)
            .unwrap_or_else(|| panic!("no group {entry}"))
    }

    #[test]
    fn count_profiles_read_tab_padded_frames_and_frameless_records() {
        let d = dump(BEFORE1.as_bytes()).unwrap();
        assert_eq!(d.format, DumpFormat::Counts);
        assert_eq!(d.total, 3);
        let d = dump(AFTER1.as_bytes()).unwrap();
        assert_eq!(d.total, 128);
        let g = group(&d, "main.leakTickerLoop");
        assert_eq!(g.count, 25);
        assert!(g.created_by.is_none() && g.key.creator.is_none());
        // `# labels:` kept; function names without `+0x…`, tab runs split.
        let s = &g.stacks[0].goroutine;
        assert!(
            s.state.labels.as_deref().unwrap().contains("ticker"),
            "{s:?}"
        );
        assert!(s
            .frames
            .iter()
            .all(|f| !f.function.contains("+0x") && f.line > 0));
    }

    #[test]
    fn tracebacks_group_by_go_statement() {
        let d = dump(AFTER2.as_bytes()).unwrap();
        assert_eq!(d.format, DumpFormat::Traceback);
        assert_eq!(d.total, 128);
        let g = group(&d, "main.leakTimeoutWork");
        assert_eq!(g.count, 25);
        assert_eq!(g.created_by.as_deref(), Some("main.handleLeakTimeout"));
        assert_eq!(g.states, vec![("chan send".to_string(), 25)]);
        // SIGQUIT: preamble, goroutine 0 (the thread's g0, not counted),
        // register dump after the last one.
        let d = dump(SIGQUIT.as_bytes()).unwrap();
        assert_eq!(SIGQUIT.matches("\ngoroutine ").count(), 23);
        assert_eq!(d.total, 22);
    }

    #[test]
    fn cut_and_inconsistent_dumps_are_errors() {
        // The dump cut inside a goroutine (Go cannot produce this: a
        // runtime.Stack buffer too small, a connection dropped).
        let cut = &AFTER2[..AFTER2.len() / 3];
        assert!(matches!(dump(cut.as_bytes()), Err(DumpError::Cut { .. })));
        // Cut right after a function line: its position line is missing.
        let at = AFTER2.find("main.leakTimeoutWork(").unwrap();
        let end = at + AFTER2[at..].find('\n').unwrap() + 1;
        assert!(matches!(
            dump(&AFTER2.as_bytes()[..end]),
            Err(DumpError::Cut { .. })
        ));
        // A record missing from a count profile: the total disagrees.
        let header_end = AFTER1.find('\n').unwrap() + 1;
        let second = AFTER1.find("\n\n").unwrap() + 2;
        let missing = format!("{}{}", &AFTER1[..header_end], &AFTER1[second..]);
        match dump(missing.as_bytes()) {
            Err(DumpError::Cut { why, .. }) => assert!(why.contains("total 128"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(dump(b""), Err(DumpError::Empty { .. })));
        assert!(matches!(
            dump(b"just some words\n"),
            Err(DumpError::UnknownFormat { line: 1, .. })
        ));
    }

    /// The groups of a dump: (entry, creator, count), sorted.
    fn shape(text: &str) -> Vec<(String, Option<String>, u64)> {
        let d = dump(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        let mut v: Vec<_> = d
            .groups
            .iter()
            .map(|g| (g.key.entry.clone(), g.created_by.clone(), g.count))
            .collect();
        v.sort();
        v
    }

    fn each_line(text: &str, f: impl Fn(usize, &str) -> String) -> String {
        text.lines()
            .enumerate()
            .map(|(i, l)| f(i, l) + "\n")
            .collect()
    }

    // The decorated copies below are made from real captures: Go writes
    // dumps plain, and the decoration is what a paste, a Markdown code
    // block, a quote or a log collector adds to every line.
    #[test]
    fn decorated_dumps_read_as_the_plain_one() {
        let plain = shape(AFTER2);
        assert_eq!(plain.iter().map(|g| g.2).sum::<u64>(), 128);
        // A Markdown code block (4 spaces), a quote, both.
        assert_eq!(shape(&each_line(AFTER2, |_, l| format!("    {l}"))), plain);
        assert_eq!(shape(&each_line(AFTER2, |_, l| format!("> {l}"))), plain);
        assert_eq!(
            shape(&each_line(AFTER2, |_, l| format!(">     {l}"))),
            plain
        );
        // journald, with another program's lines in between.
        let journald = each_line(AFTER2, |i, l| {
            let own = format!("Dec 04 01:0{}:13 host svc[4242]: {l}", i % 10);
            if i % 7 == 1 {
                format!("Dec 04 01:00:13 host systemd[1]: svc.service: watchdog\n{own}")
            } else {
                own
            }
        });
        assert_eq!(shape(&journald), plain);
        // docker compose, GitHub Actions timestamps and colour.
        assert_eq!(
            shape(&each_line(AFTER2, |_, l| format!("svc-1  | {l}"))),
            plain
        );
        let actions = each_line(AFTER2, |_, l| {
            format!("2026-12-04T01:00:00.1234567Z \x1b[36m{l}\x1b[0m")
        });
        assert_eq!(shape(&actions), plain);
        // The header inside one log line (`log.Printf("%s", buf)`).
        assert_eq!(shape(&format!("2026/12/04 01:00:00 {AFTER2}")), plain);
        // Position lines that lost their tab.
        assert_eq!(
            shape(&each_line(AFTER2, |_, l| l.trim_start().to_string())),
            plain
        );
        // A count profile in a code block.
        let counts = dump(each_line(AFTER1, |_, l| format!("    {l}")).as_bytes()).unwrap();
        assert_eq!((counts.format, counts.total), (DumpFormat::Counts, 128));
    }

    #[test]
    fn goroutine_0_is_a_thread_not_a_goroutine() {
        // SIGQUIT's preamble and the g0 of the signalled thread alone.
        let g0 = SIGQUIT.split("\ngoroutine 1 ").next().unwrap();
        assert!(g0.contains("goroutine 0 gp="));
        assert!(matches!(
            dump(format!("{g0}\n").as_bytes()),
            Err(DumpError::NoGoroutines { .. })
        ));
    }

    #[test]
    fn abridged_doubled_and_cut_dumps_are_errors() {
        // A paste that left lines out.
        let at = AFTER2.find("\ngoroutine 5").unwrap();
        let abridged = format!("{}\n...\n{}", &AFTER2[..at], &AFTER2[at..]);
        match dump(abridged.as_bytes()) {
            Err(DumpError::Abridged { text, .. }) => assert_eq!(text, "..."),
            other => panic!("{other:?}"),
        }
        // Two dumps in one file.
        match dump(format!("{AFTER2}\n{AFTER2}").as_bytes()) {
            Err(DumpError::Twice { id, .. }) => assert!(id > 0),
            other => panic!("{other:?}"),
        }
        // Two count profiles, or a traceback then a count profile.
        for two in [format!("{AFTER1}{AFTER1}"), format!("{AFTER2}\n{AFTER1}")] {
            assert!(
                matches!(dump(two.as_bytes()), Err(DumpError::Second { .. })),
                "{:?}",
                dump(two.as_bytes()).map(|d| d.total)
            );
        }
        // A count profile whose last stack lost its last frames: the
        // blank line that ends each stack is missing.
        let lines: Vec<&str> = AFTER1.trim_end().lines().collect();
        let short = lines[..lines.len() - 2].join("\n") + "\n";
        match dump(short.as_bytes()) {
            Err(DumpError::Cut { why, .. }) => assert!(why.contains("blank line"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Cut at a line end, before the last goroutine's `created by`.
        let last = AFTER2.trim_end();
        let created = last.rfind("\ncreated by ").unwrap();
        assert!(!last[..created].ends_with("\n\n"));
        match dump(format!("{}\n", &last[..created]).as_bytes()) {
            Err(DumpError::Cut { why, .. }) => assert!(why.contains("created by"), "{why}"),
            other => panic!("{other:?}"),
        }
        // A goroutine in the middle whose lines were left out.
        let at = AFTER2.find("\ncreated by ").unwrap();
        let end = at + 1 + AFTER2[at + 1..].find('\n').unwrap();
        let end = end + 1 + AFTER2[end + 1..].find('\n').unwrap();
        let gap = format!("{}{}", &AFTER2[..at], &AFTER2[end..]);
        match dump(gap.as_bytes()) {
            Err(DumpError::Cut { why, .. }) => assert!(why.contains("lines are missing"), "{why}"),
            other => panic!("{other:?}"),
        }
        // The last line without its newline: where a runtime.Stack buffer
        // too small ends, even after a whole position line or in the
        // middle of its offset (`+0x2` of `+0x27`).
        let at_offset = &last[..last.len() - 1];
        for open in [last, at_offset] {
            match dump(open.as_bytes()) {
                Err(DumpError::Cut { why, .. }) => assert!(why.contains("no end"), "{why}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn an_empty_leak_profile_passes_an_empty_goroutine_profile_does_not() {
        // What /debug/pprof/goroutineleak?debug=1 of the clean service
        // returns (the live test takes it); a goroutine profile always
        // lists the goroutine that wrote it.
        let d = dump(b"goroutineleak profile: total 0\n").unwrap();
        assert!(d.leak_profile && d.total == 0 && d.groups.is_empty());
        assert!(matches!(
            dump(b"goroutine profile: total 0\n"),
            Err(DumpError::NoGoroutines { .. })
        ));
    }

    #[test]
    fn a_windows_cgo_crash_keeps_its_headerless_goroutine() {
        // Go on Windows prints the goroutine that crashed in C without a
        // header (runtime/signal_windows.go); Linux cannot produce it, so
        // the shape is made from a captured goroutine: the Windows
        // preamble, then its frames and `created by` without the header.
        let block = AFTER2
            .split("\n\n")
            .find(|b| b.contains("main.leakTimeoutWork"))
            .unwrap();
        let headerless = block.split_once('\n').unwrap().1;
        let crash = format!(
            "Exception 0xc0000005 0x1 0x5998 0x7ffbd871d794\nPC=0x7ffbd871d794\nsignal arrived during external code execution\n\n{headerless}\n\n{AFTER2}"
        );
        let d = dump(crash.as_bytes()).unwrap();
        assert_eq!(d.total, 129);
        let g = group(&d, "main.leakTimeoutWork");
        assert_eq!(g.count, 26);
    }

    #[test]
    fn main_goroutine_in_init_is_whole() {
        assert!(super::is_init("github.com/a/b/core.init.0"));
        assert!(super::is_init("main.init"));
        assert!(!super::is_init("main.initialize"));
        assert!(!super::is_init("main.init.func1"));
    }
}
