//! The events every input format is turned into.
//!
//! `go test -json` already is an event stream; plain `go test -v` text and
//! JUnit XML are converted into the same events by their readers, so that
//! everything after ingest sees one shape. Events borrow from the reader's
//! buffer where they can.

use std::borrow::Cow;

/// Where an event came from: which input, which line (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    /// Index into the list of inputs.
    pub input: usize,
    /// 1-based line number in that input.
    pub line: u64,
}

/// A test's or package's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Skipped (for a package: `[no test files]`).
    Skip,
}

/// One thing that happened in a test run.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// A package's test binary started.
    PackageStart {
        /// Package import path (or a reader's provisional key, see
        /// [`Event::PackageEnd::name`]).
        package: Cow<'a, str>,
    },
    /// A test (or subtest) started.
    TestRun {
        /// Package key.
        package: Cow<'a, str>,
        /// Full test name, `TestA/sub_case`.
        test: Cow<'a, str>,
    },
    /// Output text: whole lines or pieces of one (ends with `\n` when the
    /// line is complete).
    Output {
        /// Package key, `None` for text outside any package.
        package: Option<Cow<'a, str>>,
        /// Test the output is attributed to, `None` for package level.
        test: Option<Cow<'a, str>>,
        /// The text.
        text: Cow<'a, str>,
        /// Go 1.27 `OutputType` (`frame`, `error`, `error-continue`).
        kind: Option<Cow<'a, str>>,
    },
    /// One whole line of output: what [`Event::Output`] with `text` set
    /// to `line` and a `\n` says, from a reader that split the lines
    /// itself (so the collector need not look for line ends again).
    OutputLine {
        /// Package key.
        package: Cow<'a, str>,
        /// Test the line is attributed to, `None` for package level.
        test: Option<Cow<'a, str>>,
        /// The line; it holds no `\n`.
        line: Cow<'a, str>,
        /// Go 1.27 `OutputType` (`frame`, `error`, `error-continue`).
        kind: Option<Cow<'a, str>>,
    },
    /// A test ended.
    TestEnd {
        /// Package key.
        package: Cow<'a, str>,
        /// Full test name.
        test: Cow<'a, str>,
        /// Its result.
        outcome: Outcome,
        /// Seconds.
        elapsed: Option<f64>,
    },
    /// A package's test binary ended (`ok`, `FAIL`, `[no test files]`).
    PackageEnd {
        /// Package key.
        package: Cow<'a, str>,
        /// Its result.
        outcome: Outcome,
        /// Seconds.
        elapsed: Option<f64>,
        /// Go 1.24+: the package whose build failed.
        failed_build: Option<Cow<'a, str>>,
        /// The package's real import path when `package` was a reader's
        /// provisional key (plain text names a package only at its end).
        name: Option<Cow<'a, str>>,
        /// This repeats a result already reported (gotestsum's per-test
        /// blocks and failure summary): its test failures count, the
        /// package does not again.
        replay: bool,
        /// The block is an entry of a failure summary (gotestsum's
        /// `=== Failed`): its tests may be copies of tests shown in full.
        summary: bool,
    },
    /// Go 1.24+ `build-output` (or compiler text in older streams).
    BuildOutput {
        /// The package being built.
        import_path: Cow<'a, str>,
        /// Text.
        text: Cow<'a, str>,
    },
    /// Go 1.24+ `build-fail`.
    BuildFail {
        /// The package whose build failed.
        import_path: Cow<'a, str>,
    },
    /// A line that belongs to no event (stderr mixed into a JSON stream).
    Stray {
        /// The line, without its terminator.
        text: Cow<'a, str>,
    },
}

/// Receives events in order.
pub trait Sink {
    /// One event.
    fn event(&mut self, loc: Loc, event: Event<'_>);
}

impl<F: FnMut(Loc, Event<'_>)> Sink for F {
    fn event(&mut self, loc: Loc, event: Event<'_>) {
        self(loc, event)
    }
}

// ------------------------------------------------------------- inputs

/// Warnings kept per input (the rest are counted).
pub const MAX_WARNINGS: usize = 20;

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `go test -json`.
    GoJson,
    /// JUnit XML.
    Junit,
    /// Plain `go test` text.
    Text,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::GoJson, Format::Junit, Format::Text];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::GoJson => "go-json",
            Format::Junit => "junit",
            Format::Text => "text",
        }
    }
}

/// A format's name that is none of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}; known formats: {names}", names = Format::ALL.map(Format::name).join(", "))]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;

    /// A format by its name, in any ASCII case (`go-json`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// What ingest learned about one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSummary {
    /// The input as named on the command line (`-` for standard input).
    pub path: String,
    /// Its format.
    pub format: Format,
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Whether the input ended cleanly (no cut line, closed XML root).
    pub complete: bool,
    /// Why it did not, with the line (and column) where it stopped.
    pub incomplete: Option<String>,
    /// Problems that did not stop reading (non-JSON lines, cut lines).
    pub warnings: Vec<String>,
    /// Warnings beyond [`MAX_WARNINGS`].
    pub more_warnings: usize,
}

impl InputSummary {
    /// A summary of an input not read yet.
    pub fn new(path: &str, format: Format) -> Self {
        InputSummary {
            path: path.to_string(),
            format,
            lines: 0,
            bytes: 0,
            complete: true,
            incomplete: None,
            warnings: Vec::new(),
            more_warnings: 0,
        }
    }

    pub(crate) fn mark_incomplete(&mut self, why: String) {
        self.complete = false;
        if self.incomplete.is_none() {
            self.incomplete = Some(why);
        }
    }

    pub(crate) fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.more_warnings += 1;
        }
    }
}
