//! The Go runtime's goroutine traceback text, parsed.
//!
//! This module knows the runtime's traceback format of Go 1.19 to 1.27 and
//! nothing else: not goleak, not test events. It parses
//!
//! * header lines, `goroutine 7 [chan receive, 5 minutes, locked to thread]:`,
//!   including the Go 1.22+ `gp=… m=…` fields, the Go 1.26 `labels:{…}` and
//!   Go 1.27 ` {k: v}` label forms, `(leaked)`, `(durable)` and synctest
//!   bubble modifiers;
//! * frame pairs, a function line (`pkg.(*T).M[...](0xc000012345, ...)`) and a
//!   position line (`\t/path/file.go:41 +0x1d`), with inlined frames
//!   (`(...)`, no offset), Windows paths and copy-pasted space indentation;
//! * `...additional frames elided...` / `...12 frames elided...` markers;
//! * `created by F` and `created by F in goroutine N` (Go 1.21+), after
//!   which ancestor sections (`[originating from goroutine N]:`) are ignored.
//!
//! Every function here is total: malformed text yields `None` or is skipped,
//! never a panic.

use std::fmt::Write as _;

/// One goroutine as printed by the runtime.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Goroutine {
    /// The goroutine id (`goroutine 7`); 0 when unknown.
    pub id: u64,
    /// Everything the header printed between `[` and `]` (goleak's "state").
    pub state: State,
    /// Frames, innermost first.
    pub frames: Vec<Frame>,
    /// Number of frames the runtime elided, if it said so (`Some(0)` when
    /// it only said "additional frames elided").
    pub elided: Option<u64>,
    /// The `go` statement that started this goroutine.
    pub created_by: Option<CreatedBy>,
}

/// The parsed text between a header's brackets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    /// The whole state text as printed, e.g. `chan receive, 5 minutes`.
    pub raw: String,
    /// The status or wait reason alone, e.g. `chan receive`, `IO wait`,
    /// `sync.Mutex.Lock`, `select (no cases)`; ` (leaked)`, ` (scan)` and
    /// ` (durable)` suffixes are kept out of it and in the flags below.
    pub status: String,
    /// `, N minutes`: how long the goroutine has been blocked.
    pub wait_minutes: Option<u64>,
    /// `, locked to thread`.
    pub locked_to_thread: bool,
    /// ` (leaked)`, set by the Go 1.26+ goroutine-leak GC.
    pub leaked: bool,
    /// ` (durable)`: blocked durably inside a synctest bubble.
    pub durable: bool,
    /// `, synctest bubble N` (1.25+) or `, synctest group N` (1.24).
    pub synctest_bubble: Option<u64>,
    /// pprof labels, as printed (`{"k": "v"}` or `{k: v}`).
    pub labels: Option<String>,
}

/// One stack frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// Fully qualified function name, without arguments, e.g.
    /// `example.com/m/pkg.(*Server).loop`. `panic` is reported as
    /// `runtime.gopanic`, as the runtime means it.
    pub function: String,
    /// The source file as recorded by the compiler (absolute, or a module
    /// path under `-trimpath`); empty when the position line was missing.
    pub file: String,
    /// The line number; 0 when unknown.
    pub line: u32,
    /// The frame was inlined (printed as `f(...)`).
    pub inlined: bool,
}

impl Frame {
    /// A frame known only by its function's name (goleak's "top function"
    /// when the frames were cut off): no position.
    pub fn named(function: &str) -> Frame {
        Frame {
            function: normalize_function(function),
            ..Frame::default()
        }
    }
}

impl State {
    /// The state as printed, without the wait duration (`, N minutes`, which
    /// is [`State::wait_minutes`]): `select, 1 minutes` → `select`;
    /// `chan receive, 3 minutes, locked to thread` → `chan receive, locked to
    /// thread`. What the goroutine waits for, told once.
    pub fn without_wait(&self) -> std::borrow::Cow<'_, str> {
        if self.wait_minutes.is_none() {
            return std::borrow::Cow::Borrowed(&self.raw);
        }
        let mut out = String::with_capacity(self.raw.len());
        for (i, part) in self.raw.split(", ").enumerate() {
            let is_wait = i > 0
                && part
                    .strip_suffix(" minutes")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if is_wait {
                continue;
            }
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(part);
        }
        std::borrow::Cow::Owned(out)
    }
}

/// The `created by` line of a goroutine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreatedBy {
    /// The function that executed the `go` statement.
    pub function: String,
    /// The creating goroutine's id (Go 1.21+).
    pub goroutine: Option<u64>,
    /// Where the `go` statement is.
    pub file: String,
    /// Its line; 0 when unknown.
    pub line: u32,
}

/// A parsed runtime header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Goroutine id.
    pub id: u64,
    /// The state between the brackets.
    pub state: State,
}

/// Parses a runtime header, `goroutine 7 [chan receive]:`, with optional
/// `gp=… m=… mp=…` fields (Go 1.22+) and labels (Go 1.26/1.27).
pub fn parse_header(line: &str) -> Option<Header> {
    let line = line.trim_end();
    let rest = line.strip_prefix("goroutine ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let id: u64 = rest[..digits].parse().ok()?;
    let mut rest = &rest[digits..];
    // Skip ` gp=0x… m=N mp=0x…` / ` m=nil` (level >= 2 tracebacks).
    while let Some(r) = rest.strip_prefix(' ') {
        if r.starts_with('[') {
            rest = r;
            break;
        }
        let word_end = r.find(' ').unwrap_or(r.len());
        let word = &r[..word_end];
        if !(word.starts_with("gp=") || word.starts_with("m=") || word.starts_with("mp=")) {
            return None;
        }
        rest = &r[word_end..];
    }
    let inner = rest.strip_prefix('[')?;
    let body = inner.strip_suffix(':')?;
    // Go 1.27: `[state] {labels}`. The state never contains `]` except in
    // 1.26 in-bracket labels, which come after `labels:{`.
    let (state_text, labels_127) = split_state_and_labels(body)?;
    let mut state = parse_state(state_text);
    if let Some(l) = labels_127 {
        state.labels = Some(l.to_string());
        state.raw = format!("{state_text}] {l}");
    }
    Some(Header { id, state })
}

/// Splits `chan receive] {k: v}` or `chan receive]` into the bracket text
/// and the Go 1.27 labels that follow it.
fn split_state_and_labels(body: &str) -> Option<(&str, Option<&str>)> {
    // 1.26 form: labels inside the brackets, may contain `]` inside quotes.
    if let Some(pos) = body.find(" labels:{") {
        let state = body.strip_suffix(']')?;
        if pos < state.len() {
            return Some((state, None));
        }
    }
    let close = body.find(']')?;
    let state = &body[..close];
    let after = body[close + 1..].trim();
    if after.is_empty() {
        Some((state, None))
    } else if after.starts_with('{') && after.ends_with('}') {
        Some((state, Some(after)))
    } else {
        None
    }
}

/// Parses the text between a header's brackets (also goleak's `in state …`).
///
/// Accepts what goleak prints for Go 1.27 labelled goroutines too
/// (`chan receive] {worker: w1}`, a stray `]` included).
pub fn parse_state(text: &str) -> State {
    let raw = text.trim().to_string();
    let mut state = State {
        raw: raw.clone(),
        ..State::default()
    };
    let mut text = raw.as_str();
    // goleak's view of a 1.27 labelled header: `status] {labels}`.
    if let Some(close) = text.find("] {") {
        if text.ends_with('}') {
            state.labels = Some(text[close + 2..].to_string());
            text = &text[..close];
        }
    }
    // 1.26 in-bracket labels.
    if let Some(pos) = text.find(" labels:{") {
        state.labels = Some(text[pos + " labels:".len()..].to_string());
        text = &text[..pos];
    }
    let mut parts = text.split(", ");
    let mut status = parts.next().unwrap_or_default().trim().to_string();
    for (suffix, flag) in [
        (" (leaked)", &mut state.leaked),
        (" (scan)", &mut false),
        (" (durable)", &mut state.durable),
    ] {
        if let Some(s) = status.strip_suffix(suffix) {
            status = s.to_string();
            *flag = true;
        }
    }
    // `(leaked)` may precede `(scan)`/`(durable)`; check once more.
    if let Some(s) = status.strip_suffix(" (leaked)") {
        status = s.to_string();
        state.leaked = true;
    }
    state.status = status;
    for part in parts {
        let part = part.trim();
        if let Some(n) = part.strip_suffix(" minutes") {
            state.wait_minutes = n.trim().parse().ok();
        } else if part == "locked to thread" {
            state.locked_to_thread = true;
        } else if let Some(n) = part
            .strip_prefix("synctest bubble ")
            .or_else(|| part.strip_prefix("synctest group "))
        {
            state.synctest_bubble = n.trim().parse().ok();
        }
    }
    state
}

/// What one line of a goroutine's body is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyLine<'a> {
    /// `pkg.F(args)`: the function name and whether it was inlined.
    Function {
        /// Function name.
        name: &'a str,
        /// Printed as `f(...)`.
        inlined: bool,
    },
    /// `\t/path/file.go:12 +0x1d`.
    Position {
        /// Source file.
        file: &'a str,
        /// Line number.
        line: u32,
    },
    /// `created by F[ in goroutine N]`.
    CreatedBy {
        /// Creator function.
        function: &'a str,
        /// Creator goroutine id (Go 1.21+).
        goroutine: Option<u64>,
    },
    /// `...N frames elided...` (`Some(N)`) or `...additional frames elided...`.
    Elided(Option<u64>),
    /// `[originating from goroutine N]:` (tracebackancestors).
    Ancestor,
    /// Blank line.
    Blank,
    /// Anything else (cgo markers, "stack unavailable", garbage).
    Other,
}

/// Classifies one body line of a traceback. `line` must already be free of
/// any outer indentation added by the testing package.
pub fn classify(line: &str) -> BodyLine<'_> {
    let trimmed_end = line.trim_end_matches(['\r', '\n']);
    if trimmed_end.trim().is_empty() {
        return BodyLine::Blank;
    }
    let starts_indented = trimmed_end.starts_with('\t') || trimmed_end.starts_with("  ");
    let t = trimmed_end.trim();
    if starts_indented {
        if let Some((file, line)) = parse_position(t) {
            return BodyLine::Position { file, line };
        }
        return BodyLine::Other;
    }
    if let Some(rest) = t.strip_prefix("created by ") {
        return match rest.rsplit_once(" in goroutine ") {
            Some((f, n)) if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => {
                BodyLine::CreatedBy {
                    function: f,
                    goroutine: n.parse().ok(),
                }
            }
            _ => BodyLine::CreatedBy {
                function: rest,
                goroutine: None,
            },
        };
    }
    if t.starts_with("...") && t.ends_with("elided...") {
        let n = t
            .trim_start_matches('.')
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok());
        return BodyLine::Elided(n);
    }
    if t.starts_with("[originating from goroutine ") {
        return BodyLine::Ancestor;
    }
    if t.starts_with("non-Go function") || t.starts_with("goroutine running on other thread") {
        return BodyLine::Other;
    }
    match parse_function(t) {
        Some((name, inlined)) => BodyLine::Function { name, inlined },
        None => BodyLine::Other,
    }
}

/// `pkg.F(0x1, 0x2)` → (`pkg.F`, false); `pkg.F(...)` → (`pkg.F`, true).
fn parse_function(t: &str) -> Option<(&str, bool)> {
    if !t.ends_with(')') {
        return None;
    }
    let open = t.rfind('(')?;
    if open == 0 {
        return None;
    }
    let name = &t[..open];
    if name.contains(' ') && !name.contains("...") {
        // Function names have no spaces (generic `[...]` aside); a line
        // such as `panic: x (y)` is not a frame.
        return None;
    }
    let inlined = &t[open..] == "(...)";
    Some((name, inlined))
}

/// Parses a position line's content (`/p/f.go:12 +0x1d fp=… sp=… pc=…`)
/// from the right.
pub fn parse_position(t: &str) -> Option<(&str, u32)> {
    let mut s = t.trim();
    if let Some(i) = s.find(" fp=0x") {
        s = &s[..i];
    }
    if let Some(i) = s.rfind(" pc=0x") {
        // cgo: `\tfile.c:12 pc=0x…`
        s = &s[..i];
    }
    if let Some(i) = s.rfind(" +0x") {
        s = &s[..i];
    }
    let (file, line) = s.rsplit_once(':')?;
    if file.is_empty() || line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((file, line.parse().ok()?))
}

/// Parses the body of one goroutine (the lines after its header) into
/// frames, the elision marker and `created by`. Stops at the first line
/// after `created by`'s position, so ancestor sections are ignored.
pub fn parse_body<'a, I>(lines: I) -> (Vec<Frame>, Option<u64>, Option<CreatedBy>)
where
    I: IntoIterator<Item = &'a str>,
{
    let mut frames: Vec<Frame> = Vec::new();
    let mut elided = None;
    let mut created_by: Option<CreatedBy> = None;
    // What the next position line belongs to.
    enum Pending {
        None,
        Frame,
        Creator,
    }
    let mut pending = Pending::None;
    for line in lines {
        match classify(line) {
            BodyLine::Function { name, inlined } => {
                if created_by.is_some() {
                    break;
                }
                frames.push(Frame {
                    function: normalize_function(name),
                    inlined,
                    ..Frame::default()
                });
                pending = Pending::Frame;
            }
            BodyLine::Position { file, line } => match pending {
                Pending::Frame => {
                    if let Some(f) = frames.last_mut() {
                        f.file = file.to_string();
                        f.line = line;
                    }
                    pending = Pending::None;
                }
                Pending::Creator => {
                    if let Some(c) = created_by.as_mut() {
                        c.file = file.to_string();
                        c.line = line;
                    }
                    break;
                }
                Pending::None => {}
            },
            BodyLine::CreatedBy {
                function,
                goroutine,
            } => {
                created_by = Some(CreatedBy {
                    function: function.to_string(),
                    goroutine,
                    ..CreatedBy::default()
                });
                pending = Pending::Creator;
            }
            BodyLine::Elided(n) => {
                elided = Some(elided.unwrap_or(0) + n.unwrap_or(0));
                pending = Pending::None;
            }
            BodyLine::Ancestor => break,
            BodyLine::Blank => {
                if created_by.is_some() {
                    break;
                }
            }
            BodyLine::Other => pending = Pending::None,
        }
    }
    (frames, elided, created_by)
}

fn normalize_function(name: &str) -> String {
    if name == "panic" {
        "runtime.gopanic".to_string()
    } else {
        name.to_string()
    }
}

/// Parses a whole runtime dump (`runtime.Stack(all)`, a timeout or crash
/// dump): every `goroutine N [...]:` block in `text`. Lines before the first
/// header and lines that are not part of a block are ignored.
pub fn parse_dump(text: &str) -> Vec<Goroutine> {
    let lines: Vec<&str> = text.lines().collect();
    parse_dump_lines(&lines)
}

/// [`parse_dump`] on lines already split.
pub fn parse_dump_lines(lines: &[&str]) -> Vec<Goroutine> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(header) = parse_header(lines[i]) else {
            i += 1;
            continue;
        };
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && parse_header(lines[end]).is_none() {
            end += 1;
        }
        let (frames, elided, created_by) = parse_body(lines[start..end].iter().copied());
        out.push(Goroutine {
            id: header.id,
            state: header.state,
            frames,
            elided,
            created_by,
        });
        i = end;
    }
    out
}

impl Goroutine {
    /// The function on top of the stack (goleak's "top function").
    pub fn top_function(&self) -> Option<&str> {
        self.frames.first().map(|f| f.function.as_str())
    }

    /// Renders the goroutine back as runtime traceback text (offsets and
    /// argument values are not kept, so frames print as `f(...)`).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "goroutine {} [{}]:", self.id, self.state.raw);
        for f in &self.frames {
            let _ = writeln!(s, "{}(...)", f.function);
            let _ = writeln!(s, "\t{}:{}", f.file, f.line);
        }
        if let Some(n) = self.elided {
            let _ = writeln!(s, "...{n} frames elided...");
        }
        if let Some(c) = &self.created_by {
            match c.goroutine {
                Some(g) => {
                    let _ = writeln!(s, "created by {} in goroutine {g}", c.function);
                }
                None => {
                    let _ = writeln!(s, "created by {}", c.function);
                }
            }
            let _ = writeln!(s, "\t{}:{}", c.file, c.line);
        }
        s
    }
}

/// The import path part of a qualified function name:
/// `example.com/m/pkg.(*T).M.func1` → `example.com/m/pkg`;
/// `main.main` → `main`.
pub fn function_package(function: &str) -> &str {
    let last_slash = function.rfind('/').map_or(0, |i| i + 1);
    match function[last_slash..].find('.') {
        Some(dot) => &function[..last_slash + dot],
        None => function,
    }
}

/// Whether a function belongs to the Go standard library (its import path's
/// first element has no dot), as opposed to `main` or a module.
pub fn is_stdlib_function(function: &str) -> bool {
    let pkg = function_package(function);
    let first = pkg.split('/').next().unwrap_or(pkg);
    !first.contains('.') && pkg != "main" && !pkg.starts_with("main.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_plain_and_modifiers() {
        let h = parse_header("goroutine 8 [chan receive, 1 minutes, locked to thread]:").unwrap();
        assert_eq!(h.id, 8);
        assert_eq!(h.state.status, "chan receive");
        assert_eq!(h.state.wait_minutes, Some(1));
        assert!(h.state.locked_to_thread);
        assert_eq!(h.state.raw, "chan receive, 1 minutes, locked to thread");
    }

    #[test]
    fn header_nil_chan_and_new_wait_reasons() {
        for (line, status) in [
            (
                "goroutine 3 [chan receive (nil chan)]:",
                "chan receive (nil chan)",
            ),
            ("goroutine 3 [sync.WaitGroup.Wait]:", "sync.WaitGroup.Wait"),
            ("goroutine 3 [sync.Mutex.Lock]:", "sync.Mutex.Lock"),
            ("goroutine 3 [semacquire]:", "semacquire"),
            ("goroutine 3 [select (no cases)]:", "select (no cases)"),
            ("goroutine 3 [IO wait, 12 minutes]:", "IO wait"),
        ] {
            assert_eq!(parse_header(line).unwrap().state.status, status, "{line}");
        }
    }

    #[test]
    fn header_sysinfo_leaked_durable_bubble() {
        let h = parse_header("goroutine 1 gp=0xc0000061c0 m=2 mp=0xc000044808 [running]:").unwrap();
        assert_eq!((h.id, h.state.status.as_str()), (1, "running"));
        let h = parse_header("goroutine 2 gp=0xc000006700 m=nil [force gc (idle)]:").unwrap();
        assert_eq!(h.state.status, "force gc (idle)");
        let h = parse_header("goroutine 20 [chan send (leaked)]:").unwrap();
        assert!(h.state.leaked);
        assert_eq!(h.state.status, "chan send");
        let h = parse_header("goroutine 22 [chan receive (durable), synctest bubble 1]:").unwrap();
        assert!(h.state.durable);
        assert_eq!(h.state.synctest_bubble, Some(1));
        assert_eq!(h.state.status, "chan receive");
        let h = parse_header("goroutine 20 [chan receive (synctest), synctest group 18]:").unwrap();
        assert_eq!(h.state.synctest_bubble, Some(18));
        let h = parse_header("goroutine 0 gp=0x6fa500 m=0 mp=0x6fb500 [idle]:").unwrap();
        assert_eq!(h.id, 0);
    }

    #[test]
    fn header_labels_126_and_127() {
        let h = parse_header(
            r#"goroutine 19 [chan receive labels:{"request": "r-1", "weird key": "a\"b]"}]:"#,
        )
        .unwrap();
        assert_eq!(h.state.status, "chan receive");
        assert!(h.state.labels.unwrap().contains("weird key"));
        let h =
            parse_header(r#"goroutine 19 [chan receive] {request: "r-1", "weird key": "a\"b"}:"#)
                .unwrap();
        assert_eq!(h.state.status, "chan receive");
        assert_eq!(
            h.state.labels.as_deref(),
            Some(r#"{request: "r-1", "weird key": "a\"b"}"#)
        );
    }

    #[test]
    fn header_rejects_non_headers() {
        for line in [
            "goroutine",
            "goroutine x [running]:",
            "goroutines: 5",
            "goroutine 5 [running]",
            "goroutine 5 running:",
            "Goroutine 7 (running) created at:",
        ] {
            assert!(parse_header(line).is_none(), "{line}");
        }
    }

    #[test]
    fn state_without_wait_tells_the_wait_once() {
        for (text, shown, minutes) in [
            ("select, 1 minutes", "select", Some(1)),
            ("chan send, 12 minutes", "chan send", Some(12)),
            (
                "chan receive, 3 minutes, locked to thread",
                "chan receive, locked to thread",
                Some(3),
            ),
            ("IO wait", "IO wait", None),
            (
                "chan receive] {worker: w1}",
                "chan receive] {worker: w1}",
                None,
            ),
            (
                "chan receive (durable), synctest bubble 1",
                "chan receive (durable), synctest bubble 1",
                None,
            ),
        ] {
            let s = parse_state(text);
            assert_eq!(s.without_wait(), shown, "{text}");
            assert_eq!(s.wait_minutes, minutes, "{text}");
            assert_eq!(s.raw, text, "raw stays as printed");
        }
        let h = parse_header("goroutine 8 [select, 2 minutes]:").unwrap();
        assert_eq!(
            (h.state.without_wait().as_ref(), h.state.status.as_str()),
            ("select", "select")
        );
    }

    #[test]
    fn named_frames() {
        assert_eq!(Frame::named("panic").function, "runtime.gopanic");
        let f = Frame::named("pkg.F");
        assert_eq!(
            (f.function.as_str(), f.file.as_str(), f.line),
            ("pkg.F", "", 0)
        );
    }

    #[test]
    fn goleak_state_with_127_labels() {
        let s = parse_state("chan receive] {worker: w1}");
        assert_eq!(s.status, "chan receive");
        assert_eq!(s.labels.as_deref(), Some("{worker: w1}"));
        let s = parse_state("chan receive, 1 minutes, locked to thread");
        assert_eq!(s.wait_minutes, Some(1));
    }

    #[test]
    fn body_with_closures_generics_inlined_and_creator() {
        let body = "example.com/leakdemo/leaky.(*Server).loop(...)\n\
\t/home/dev/leakdemo/leaky/leaky.go:17\n\
example.com/leakdemo/leaky.Wait[...](0x0?)\n\
\t/home/dev/leakdemo/leaky/leaky.go:33 +0x27\n\
panic({0x4a1600?, 0xc000084060?})\n\
\t/usr/lib/go-1.22/src/runtime/panic.go:779 +0x158 fp=0xc00008ce50 sp=0xc00008cda0 pc=0x432bd8\n\
testing.(*T).Run.gowrap1()\n\
\tC:/Program Files/Go/src/testing/testing.go:2260 +0x1b\n\
created by example.com/leakdemo/leaky.StartServer in goroutine 5\n\
\t/home/dev/leakdemo/leaky/leaky.go:28 +0xb6\n\
[originating from goroutine 1]:\n\
main.start(...)\n\
\t/x/http.go:30 +0x87\n";
        let (frames, elided, created) = parse_body(body.lines());
        assert_eq!(elided, None);
        assert_eq!(frames.len(), 4);
        assert_eq!(
            frames[0].function,
            "example.com/leakdemo/leaky.(*Server).loop"
        );
        assert!(frames[0].inlined);
        assert_eq!(frames[0].line, 17);
        assert_eq!(frames[1].function, "example.com/leakdemo/leaky.Wait[...]");
        assert!(!frames[1].inlined);
        assert_eq!(frames[2].function, "runtime.gopanic");
        assert_eq!(frames[2].line, 779);
        assert_eq!(frames[3].file, "C:/Program Files/Go/src/testing/testing.go");
        let c = created.unwrap();
        assert_eq!(c.function, "example.com/leakdemo/leaky.StartServer");
        assert_eq!(c.goroutine, Some(5));
        assert_eq!(
            (c.file.as_str(), c.line),
            ("/home/dev/leakdemo/leaky/leaky.go", 28)
        );
    }

    #[test]
    fn body_old_creator_elided_and_space_indent() {
        let body = "main.f(0xc0000a0000)\n        /x/main.go:10 +0x1d\n\
...additional frames elided...\n\
main.g()\n\
\t/x/main.go:20\n\
...21 frames elided...\n\
created by main.start\n\
\t/x/main.go:27 +0x87\n";
        let (frames, elided, created) = parse_body(body.lines());
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].line, 10);
        assert_eq!(elided, Some(21));
        let c = created.unwrap();
        assert_eq!((c.function.as_str(), c.goroutine), ("main.start", None));
    }

    #[test]
    fn dump_with_preamble() {
        let text = "panic: test timed out after 2s\n\trunning tests:\n\t\tTestHang (2s)\n\n\
goroutine 5 [running]:\ntesting.(*M).startAlarm.func1()\n\t/go/src/testing/testing.go:2961 +0x34a\n\
created by time.goFunc\n\t/go/src/time/sleep.go:182 +0x2d\n\n\
goroutine 19 [select (no cases)]:\nexample.com/h.TestHang.func1()\n\t/h/hang_test.go:12 +0xf\n\
created by example.com/h.TestHang in goroutine 18\n\t/h/hang_test.go:11 +0x35\n";
        let gs = parse_dump(text);
        assert_eq!(gs.len(), 2);
        assert_eq!(gs[1].state.status, "select (no cases)");
        assert_eq!(gs[1].top_function(), Some("example.com/h.TestHang.func1"));
        assert_eq!(gs[1].created_by.as_ref().unwrap().line, 11);
    }

    #[test]
    fn positions() {
        assert_eq!(parse_position("/a/b.go:12 +0x1d"), Some(("/a/b.go", 12)));
        assert_eq!(
            parse_position("_testmain.go:46 +0x9b"),
            Some(("_testmain.go", 46))
        );
        assert_eq!(
            parse_position("C:/dev/x.go:250 +0x1fe fp=0x1 sp=0x2 pc=0x3"),
            Some(("C:/dev/x.go", 250))
        );
        assert_eq!(parse_position("/a/b.go"), None);
        assert_eq!(parse_position(":12"), None);
    }

    #[test]
    fn packages_of_functions() {
        assert_eq!(
            function_package("example.com/m/pkg.(*T).M.func1"),
            "example.com/m/pkg"
        );
        assert_eq!(function_package("main.main.func3"), "main");
        assert_eq!(function_package("time.Sleep"), "time");
        assert_eq!(
            function_package("internal/poll.runtime_pollWait"),
            "internal/poll"
        );
        assert!(is_stdlib_function("net/http.(*conn).serve"));
        assert!(!is_stdlib_function(
            "golang.org/x/sync/errgroup.(*Group).Go.func1"
        ));
        assert!(!is_stdlib_function("main.worker"));
    }

    #[test]
    fn render_round_trip() {
        let text =
            "goroutine 7 [chan receive, 3 minutes]:\nexample.com/a.F.func1(...)\n\t/a/f.go:9\n\
created by example.com/a.F in goroutine 6\n\t/a/f.go:8\n";
        let gs = parse_dump(text);
        assert_eq!(gs.len(), 1);
        assert_eq!(parse_dump(&gs[0].render()), gs);
    }
}
