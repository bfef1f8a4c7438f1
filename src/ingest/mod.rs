//! Ingest: turn one input (a file or standard input) into [`Event`](crate::events::Event)s.
//!
//! Three formats, detected from the first bytes unless the user chose one:
//!
//! * [`gojson`]: the `go test -json` event stream (test2json), as piped,
//!   saved, or written by `gotestsum --jsonfile`;
//! * [`junit`]: JUnit XML from gotestsum, go-junit-report and the
//!   Jenkins/Surefire family;
//! * [`text`]: plain `go test` / `go test -v` output, CI-log noise included.
//!
//! Readers stream: memory depends on the longest line (capped by
//! [`MAX_LINE_BYTES`]), never on the input's size. They never panic on
//! input; what they cannot read becomes an [`IngestError`] that names the
//! input, line and column.

pub mod gojson;
pub mod gotestsum;
pub mod junit;
mod source;
pub mod text;

use std::borrow::Cow;
use std::io::{self, Read};
use std::ops::ControlFlow;

use crate::events::{Loc, Sink};
pub(crate) use source::{Direct, Prefetch, Refill};

/// A line longer than this is cut, and the cut is reported.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;
/// How many bytes format detection looks at.
pub const DETECT_BYTES: usize = 64 * 1024;
pub use crate::events::{Format, InputSummary, UnknownFormat, MAX_WARNINGS};

/// Why an input could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(leakgate::input::unreadable))]
    Unreadable {
        /// Input name.
        path: String,
        /// Cause.
        #[source]
        source: io::Error,
    },
    /// Nothing (or only white space) in it.
    #[error("{path} is empty: no test output to judge")]
    #[diagnostic(
        code(leakgate::input::empty),
        help(
            "did `go test` run? Pass the file that `go test -json` (or gotestsum --jsonfile) wrote"
        )
    )]
    Empty {
        /// Input name.
        path: String,
    },
    /// The XML is not well formed.
    #[error("{path}:{line}:{column}: invalid JUnit XML: {message}")]
    #[diagnostic(code(leakgate::input::bad_xml))]
    BadXml {
        /// Input name.
        path: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What is wrong.
        message: String,
    },
}

/// Which format to read an input as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// Detect from the first bytes.
    Auto,
    /// This one.
    Fixed(Format),
}

/// Reads one input completely, sending its events to `sink`, reading on
/// this thread (for readers that cannot be sent to another).
pub fn ingest<R: Read>(
    index: usize,
    path: &str,
    reader: R,
    choice: FormatChoice,
    sink: &mut dyn Sink,
) -> Result<InputSummary, IngestError> {
    ingest_lines(
        index,
        path,
        Lines::with_source(Direct(reader)),
        choice,
        sink,
    )
}

/// [`ingest`], reading on a thread of its own a few chunks ahead of the
/// parser (for files and standard input; see `ingest/source.rs`).
pub fn ingest_prefetched<R: Read + Send + 'static>(
    index: usize,
    path: &str,
    reader: R,
    choice: FormatChoice,
    sink: &mut dyn Sink,
) -> Result<InputSummary, IngestError> {
    let prefetch = Prefetch::spawn(reader).map_err(unreadable(path))?;
    ingest_lines(index, path, Lines::with_source(prefetch), choice, sink)
}

fn ingest_lines<S: Refill>(
    index: usize,
    path: &str,
    mut lines: Lines<S>,
    choice: FormatChoice,
    sink: &mut dyn Sink,
) -> Result<InputSummary, IngestError> {
    let head = lines.peek(DETECT_BYTES).map_err(unreadable(path))?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty {
            path: path.to_string(),
        });
    }
    let format = match choice {
        FormatChoice::Fixed(f) => f,
        FormatChoice::Auto => detect(head),
    };
    let mut summary = InputSummary::new(path, format);
    match format {
        Format::GoJson => gojson::read(index, lines, &mut summary, sink),
        Format::Text => text::read(index, lines, &mut summary, sink),
        Format::Junit => junit::read(index, lines, &mut summary, sink),
    }?;
    Ok(summary)
}

/// An [`IngestError::Unreadable`] for `path`, from the I/O error.
fn unreadable(path: &str) -> impl FnOnce(io::Error) -> IngestError + '_ {
    move |source| IngestError::Unreadable {
        path: path.to_string(),
        source,
    }
}

/// A line format's reader, driven by [`read_lines`].
pub(crate) trait LineReader {
    /// Reads a [`Block::Lines`]; returns how many lines it held.
    fn read_block(
        &mut self,
        first: u64,
        bytes: &[u8],
        summary: &mut InputSummary,
        sink: &mut dyn Sink,
    ) -> u64;

    /// Reads one line as [`Lines::next_line`] returns it; `Break` when the
    /// input ends in the middle of a record.
    fn read_line(
        &mut self,
        line: Line<'_>,
        summary: &mut InputSummary,
        sink: &mut dyn Sink,
    ) -> ControlFlow<()>;
}

/// Hands every block and line of `lines` to `reader`, then records the
/// lines and bytes read in `summary`.
pub(crate) fn read_lines<S: Refill>(
    mut lines: Lines<S>,
    reader: &mut impl LineReader,
    summary: &mut InputSummary,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    loop {
        match lines.next_block() {
            Ok(Some(Block::Lines { first, bytes })) => {
                let n = reader.read_block(first, bytes, summary, sink);
                lines.count(n);
            }
            Ok(Some(Block::Line(line))) => {
                if reader.read_line(line, summary, sink).is_break() {
                    break;
                }
            }
            Ok(None) => break,
            Err(source) => return Err(unreadable(&summary.path)(source)),
        }
    }
    summary.lines = lines.line_no;
    summary.bytes = lines.bytes;
    Ok(())
}

/// Detects a format from an input's first bytes.
///
/// XML starts with `<` (after a byte-order mark and white space). A
/// `go test -json` stream has a line that is a JSON object with an
/// `"Action"` key, though stderr text (`go: downloading …`) may come first.
/// Everything else is text.
pub fn detect(head: &[u8]) -> Format {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    if head[start..].starts_with(b"<") {
        return Format::Junit;
    }
    for line in head.split(|&b| b == b'\n') {
        let t = trim_ascii(line);
        if t.starts_with(b"{") && memchr::memmem::find(t, b"\"Action\"").is_some() {
            return Format::GoJson;
        }
    }
    Format::Text
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &b[s..e]
}

/// Line-by-line reading with a length cap, shared by the line formats.
///
/// Lines are returned as slices of one read buffer, so a line is not
/// copied unless it is cut; the buffer grows only for a line longer than
/// it (up to [`MAX_LINE_BYTES`]).
pub(crate) struct Lines<S> {
    source: S,
    buf: Vec<u8>,
    /// Start of the data not returned yet.
    start: usize,
    /// End of the data read.
    end: usize,
    eof: bool,
    /// The kept part of a line that was cut.
    long: Vec<u8>,
    /// Lines read so far (1-based number of the last line returned).
    pub line_no: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

/// One line as returned by [`Lines::next_line`].
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub no: u64,
    /// The bytes, without `\n` (a `\r` before it is kept).
    pub bytes: &'a [u8],
    /// The line ended with `\n` (false only for the last line of a cut
    /// stream).
    pub terminated: bool,
    /// The line was longer than [`MAX_LINE_BYTES`] and was cut.
    pub cut: bool,
}

impl<R: Read> Lines<Direct<R>> {
    /// Lines of `reader`, read on this thread.
    #[cfg(test)]
    pub fn new(reader: R) -> Self {
        Lines::with_source(Direct(reader))
    }
}

impl<S: Refill> Lines<S> {
    /// Lines of `source`.
    pub fn with_source(source: S) -> Self {
        Lines {
            source,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            long: Vec::new(),
            line_no: 0,
            bytes: 0,
        }
    }

    /// Reads more data after `end`; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let more = self
            .source
            .refill(&mut self.buf, &mut self.start, &mut self.end)?;
        self.eof = !more;
        Ok(more)
    }

    /// At least `n` bytes not returned yet (fewer at the end of the
    /// input), without consuming them.
    pub fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.end - self.start < n && self.fill()? {}
        let end = self.end.min(self.start + n);
        Ok(&self.buf[self.start..end])
    }

    /// The next line, or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        let mut scanned = self.start;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[scanned..self.end]) {
                let s = self.start;
                let nl = scanned + i;
                self.start = nl + 1;
                self.bytes += (nl - s) as u64 + 1;
                self.line_no += 1;
                let cut = nl - s > MAX_LINE_BYTES;
                return Ok(Some(Line {
                    no: self.line_no,
                    bytes: &self.buf[s..nl.min(s + MAX_LINE_BYTES)],
                    terminated: true,
                    cut,
                }));
            }
            if self.end - self.start > MAX_LINE_BYTES {
                return self.cut_line();
            }
            // Everything read so far has no newline: search only new data.
            let seen = self.end - self.start;
            if !self.fill()? {
                break;
            }
            scanned = self.start + seen;
        }
        if self.start == self.end {
            return Ok(None);
        }
        let s = self.start;
        let len = self.end - s;
        self.start = self.end;
        self.bytes += len as u64;
        self.line_no += 1;
        Ok(Some(Line {
            no: self.line_no,
            bytes: &self.buf[s..s + len.min(MAX_LINE_BYTES)],
            terminated: false,
            cut: len > MAX_LINE_BYTES,
        }))
    }

    /// The complete lines buffered so far, all at once (so that a reader
    /// can check their UTF-8 or look for a byte once per block instead of
    /// once per line), or, when none is buffered, the next line as
    /// [`Lines::next_line`] returns it. `None` at the end. The caller
    /// counts the lines of a [`Block::Lines`] with [`Lines::count`].
    pub fn next_block(&mut self) -> io::Result<Option<Block<'_>>> {
        let avail = &self.buf[self.start..self.end];
        if let Some(last) = memchr::memrchr(b'\n', avail) {
            let len = last + 1;
            // No line inside can be over the cap.
            if len <= MAX_LINE_BYTES {
                let s = self.start;
                let bytes = &self.buf[s..s + len];
                let first = self.line_no + 1;
                self.bytes += len as u64;
                self.start += len;
                return Ok(Some(Block::Lines { first, bytes }));
            }
        }
        Ok(self.next_line()?.map(Block::Line))
    }

    /// Adds the `n` lines of a [`Block::Lines`] to the line count (the
    /// caller walks them anyway: counting them here would be another
    /// pass over the bytes).
    pub fn count(&mut self, n: u64) {
        self.line_no += n;
    }
    /// A line longer than [`MAX_LINE_BYTES`]: keeps its start, skips the
    /// rest up to its newline.
    fn cut_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.long.clear();
        self.long
            .extend_from_slice(&self.buf[self.start..self.start + MAX_LINE_BYTES]);
        let mut terminated = false;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                self.bytes += i as u64 + 1;
                self.start += i + 1;
                terminated = true;
                break;
            }
            self.bytes += (self.end - self.start) as u64;
            self.start = self.end;
            if !self.fill()? {
                break;
            }
        }
        self.line_no += 1;
        Ok(Some(Line {
            no: self.line_no,
            bytes: &self.long,
            terminated,
            cut: true,
        }))
    }
}

/// The bytes not returned as lines yet, for a reader that does its own
/// splitting (JUnit XML). Counts bytes, not lines.
impl<S: Refill> io::BufRead for Lines<S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.fill()?;
        }
        Ok(&self.buf[self.start..self.end])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.bytes += n as u64;
    }
}

impl<S: Refill> Read for Lines<S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = io::BufRead::fill_buf(self)?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        io::BufRead::consume(self, n);
        Ok(n)
    }
}

/// What [`Lines::next_block`] returns.
pub(crate) enum Block<'a> {
    /// Whole lines, each ending with `\n` and none over the cap; the first
    /// is line number `first`. Not counted yet (see [`Lines::count`]).
    Lines { first: u64, bytes: &'a [u8] },
    /// One line, as [`Lines::next_line`] returns it.
    Line(Line<'a>),
}

/// Bytes to text, replacing invalid UTF-8. (`from_utf8` checks eight
/// ASCII bytes at a time; `from_utf8_lossy` walks byte by byte, so it runs
/// only when there is something to replace.)
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A location in input `index`.
pub(crate) fn loc(index: usize, line: u64) -> Loc {
    Loc { input: index, line }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
        }
        assert_eq!("GO-JSON".parse::<Format>(), Ok(Format::GoJson));
        assert_eq!(
            "xml".parse::<Format>().map_err(|e| e.to_string()),
            Err("unknown format \"xml\"; known formats: go-json, junit, text".to_string())
        );
    }

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect(b"{\"Time\":\"x\",\"Action\":\"start\"}\n"),
            Format::GoJson
        );
        assert_eq!(
            detect(b"go: downloading x v1\n{\"Action\":\"run\"}\n"),
            Format::GoJson
        );
        assert_eq!(
            detect(b"\xEF\xBB\xBF  <?xml version=\"1.0\"?>"),
            Format::Junit
        );
        assert_eq!(detect(b"<testsuites>"), Format::Junit);
        assert_eq!(detect(b"=== RUN   TestA\n"), Format::Text);
        assert_eq!(detect(b"{not an event}\n"), Format::Text);
    }

    #[test]
    fn lines_cut_and_unterminated() {
        let data = b"a\r\nbb\nccc".to_vec();
        let mut l = Lines::new(io::BufReader::with_capacity(2, &data[..]));
        let x = l.next_line().unwrap().unwrap();
        assert_eq!((x.bytes, x.terminated), (&b"a\r"[..], true));
        let x = l.next_line().unwrap().unwrap();
        assert_eq!(x.bytes, b"bb");
        let x = l.next_line().unwrap().unwrap();
        assert_eq!((x.bytes, x.terminated), (&b"ccc"[..], false));
        assert!(l.next_line().unwrap().is_none());
        assert_eq!(l.line_no, 3);
    }

    #[test]
    fn long_lines_are_cut_and_skipped() {
        let mut data = vec![b'a'; MAX_LINE_BYTES + 10];
        data.extend_from_slice(b"\nnext\n");
        data.extend(std::iter::repeat_n(b'b', MAX_LINE_BYTES + 1));
        let mut l = Lines::new(&data[..]);
        let x = l.next_line().unwrap().unwrap();
        assert_eq!(
            (x.bytes.len(), x.cut, x.terminated),
            (MAX_LINE_BYTES, true, true)
        );
        let x = l.next_line().unwrap().unwrap();
        assert_eq!((x.bytes, x.cut, x.no), (&b"next"[..], false, 2));
        let x = l.next_line().unwrap().unwrap();
        assert_eq!(
            (x.bytes.len(), x.cut, x.terminated),
            (MAX_LINE_BYTES, true, false)
        );
        assert!(x.bytes.iter().all(|&b| b == b'b'));
        assert!(l.next_line().unwrap().is_none());
        assert_eq!(l.bytes, data.len() as u64);
        // Exactly the limit is not cut.
        let mut data = vec![b'c'; MAX_LINE_BYTES];
        data.push(b'\n');
        let mut l = Lines::new(io::BufReader::with_capacity(1000, &data[..]));
        let x = l.next_line().unwrap().unwrap();
        assert_eq!((x.bytes.len(), x.cut), (MAX_LINE_BYTES, false));
    }
}
