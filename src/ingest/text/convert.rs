//! The text reader's state machine: cleaned, classified lines to events,
//! as `go tool test2json` attributes them (see the module above).

use std::borrow::Cow;
use std::ops::ControlFlow;

use super::bazel::{bazel_banner, bazel_package, bazel_status};
use super::ci_log::{clean_line, is_gitlab_section, strip_decoration, strip_symbol};
use super::classify::{classify_framing, classify_from, first_byte, mid_line_framing, Line};
use crate::events::{Event, Outcome, Sink};
use crate::ingest::gotestsum::{self, GtsLine};
use crate::ingest::{loc, lossy, InputSummary, LineReader};

impl LineReader for Converter {
    fn read_block(
        &mut self,
        first: u64,
        bytes: &[u8],
        _: &mut InputSummary,
        sink: &mut dyn Sink,
    ) -> u64 {
        self.block(first, bytes, sink)
    }

    fn read_line(
        &mut self,
        line: crate::ingest::Line<'_>,
        summary: &mut InputSummary,
        sink: &mut dyn Sink,
    ) -> ControlFlow<()> {
        if line.cut {
            summary.warn(format!(
                "line {}: longer than {} bytes; cut",
                line.no,
                crate::ingest::MAX_LINE_BYTES
            ));
        }
        let raw = lossy(line.bytes);
        let cleaned = clean_line(&raw);
        self.line(line.no, &cleaned, sink);
        ControlFlow::Continue(())
    }
}

pub(super) struct Pending {
    indent: usize,
    /// Reused: see [`Converter::spare`].
    test: String,
    outcome: Outcome,
    elapsed: Option<f64>,
}

pub(super) struct Converter {
    index: usize,
    /// Inside gotestsum's `=== Failed` summary.
    summary: bool,
    /// The summary entry being read: (short package, test).
    replay: Option<(String, String)>,
    /// The full name of the package `replay` is in, from go test's result
    /// line replayed in it.
    replay_full: Option<String>,
    /// Full package names seen in this input, for gotestsum's short names.
    seen_packages: Vec<String>,
    /// Inside gotestsum's `::group::FAIL pkg.TestX` … `::endgroup::`.
    group: Option<(String, String, Outcome)>,
    block: u64,
    /// The provisional package key of the block being read, kept up to
    /// date with `block` and `replay` (see [`Converter::refresh_key`]).
    key: String,
    open: bool,
    /// The test the following lines belong to (when `has_current`); the
    /// string is reused.
    current: String,
    has_current: bool,
    pending: Vec<Pending>,
    /// Test names of ended [`Pending`] entries, for reuse.
    spare: Vec<String>,
    final_line: Option<Outcome>,
    bazel_target: Option<String>,
    /// Bazel's verdicts on targets that did not pass (`FAIL: //p:t (see
    /// …)`, `//p:t   TIMEOUT in 60.0s`): line number, package, line; a
    /// package may be named more than once. Applied at the end of the
    /// input ([`Converter::bazel_verdicts`]).
    bazel_failed: Vec<(u64, String, String)>,
    /// Ended blocks of Bazel targets, their results held back until the
    /// input ends (Bazel's summary comes after every target's output):
    /// line number, block key, outcome, package.
    bazel_blocks: Vec<(u64, String, Outcome, String)>,
    /// A gotestsum line was read: `PASS name` is then a package result
    /// even when the name is module-relative.
    in_gotestsum: bool,
    /// The module gotestsum's relative names are under, looked for on
    /// first use (see [`gotestsum::module_at`]).
    module: Option<Option<String>>,
}

impl Converter {
    pub(super) fn new(index: usize) -> Self {
        let mut conv = Converter {
            index,
            summary: false,
            replay: None,
            replay_full: None,
            seen_packages: Vec::new(),
            group: None,
            block: 0,
            key: String::new(),
            open: false,
            current: String::new(),
            has_current: false,
            pending: Vec::new(),
            spare: Vec::new(),
            final_line: None,
            bazel_target: None,
            bazel_failed: Vec::new(),
            bazel_blocks: Vec::new(),
            in_gotestsum: false,
            module: None,
        };
        conv.refresh_key();
        conv
    }

    /// Rebuilds `key` after `block` or `replay` changed.
    fn refresh_key(&mut self) {
        use std::fmt::Write as _;
        // Replayed summary entries get their own key prefix so that their
        // tests are not counted twice.
        let kind = if self.replay.is_some() {
            "replay"
        } else {
            "text"
        };
        self.key.clear();
        let _ = write!(self.key, "\u{0}{kind}#{}#{}", self.index, self.block);
    }

    fn set_current(&mut self, test: &str) {
        self.current.clear();
        self.current.push_str(test);
        self.has_current = true;
    }

    fn ensure_open(&mut self, no: u64, sink: &mut dyn Sink) {
        if !self.open {
            self.open = true;
            sink.event(
                loc(self.index, no),
                Event::PackageStart {
                    package: Cow::Borrowed(&self.key),
                },
            );
        }
    }

    fn output(&mut self, no: u64, test: Option<&str>, text: &str, sink: &mut dyn Sink) {
        emit(self.index, &self.key, no, test, text, sink);
    }

    /// Emits the deferred ends of tests reported at `indent` or deeper.
    fn flush(&mut self, no: u64, min_indent: usize, sink: &mut dyn Sink) {
        while self.pending.last().is_some_and(|p| p.indent >= min_indent) {
            let Some(p) = self.pending.pop() else { break };
            sink.event(
                loc(self.index, no),
                Event::TestEnd {
                    package: Cow::Borrowed(&self.key),
                    test: Cow::Borrowed(&p.test),
                    outcome: p.outcome,
                    elapsed: p.elapsed,
                },
            );
            if self.spare.len() < 64 {
                self.spare.push(p.test);
            }
        }
    }

    fn close_block(
        &mut self,
        no: u64,
        outcome: Outcome,
        name: Option<String>,
        failed: bool,
        sink: &mut dyn Sink,
    ) {
        self.close_block_as(no, outcome, name, failed, false, sink);
    }

    fn close_block_as(
        &mut self,
        no: u64,
        outcome: Outcome,
        name: Option<String>,
        failed: bool,
        replay: bool,
        sink: &mut dyn Sink,
    ) {
        self.flush(no, 0, sink);
        let target = self.bazel_target.take();
        if let Some(t) = target.filter(|_| name.is_none() && !replay) {
            if self.bazel_blocks.len() < 100_000 {
                if self.seen_packages.len() < 100_000 {
                    self.seen_packages.push(t.clone());
                }
                self.bazel_blocks.push((no, self.key.clone(), outcome, t));
                self.next_block();
                return;
            }
            return self.close_block_as(no, outcome, Some(t), failed, replay, sink);
        }
        if let Some(n) = &name {
            if !replay && self.seen_packages.len() < 100_000 {
                self.seen_packages.push(n.clone());
            }
        }
        sink.event(
            loc(self.index, no),
            Event::PackageEnd {
                package: Cow::Borrowed(&self.key),
                outcome,
                elapsed: None,
                failed_build: if failed {
                    name.as_deref().map(Cow::Borrowed)
                } else {
                    None
                },
                name: name.as_deref().map(Cow::Borrowed),
                replay,
                summary: self.replay.is_some(),
            },
        );
        self.next_block();
    }

    /// After a block ended: the next one starts closed, with its own key.
    fn next_block(&mut self) {
        self.block += 1;
        self.refresh_key();
        self.open = false;
        self.has_current = false;
        self.final_line = None;
    }

    /// Whole lines (each ending with `\n`), the first numbered `first`:
    /// UTF-8 is checked, and carriage returns and escape sequences looked
    /// for, once for all of them.
    /// Reads a block of whole lines; returns how many there were.
    fn block(&mut self, first: u64, bytes: &[u8], sink: &mut dyn Sink) -> u64 {
        let Ok(text) = std::str::from_utf8(bytes) else {
            // Some line is not UTF-8: each line on its own, as `read` does.
            let mut no = first;
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                let raw = lossy(&line[..line.len() - 1]);
                self.line(no, &clean_line(&raw), sink);
                no += 1;
            }
            return no - first;
        };
        // The next `\r` or ESC at or after `start` is at `special`: lines
        // that end before it need only their prefixes stripped.
        let mut special = memchr::memchr2(b'\r', b'\x1b', bytes).unwrap_or(bytes.len());
        let mut start = 0;
        let mut no = first;
        while let Some(i) = crate::bytes::find_byte(b'\n', &bytes[start..]) {
            let end = start + i;
            if special < start {
                special = memchr::memchr2(b'\r', b'\x1b', &bytes[start..])
                    .map_or(bytes.len(), |j| start + j);
            }
            let line = &text[start..end];
            if end < special {
                self.line(no, strip_decoration(line), sink);
            } else {
                self.line(no, &clean_line(line), sink);
            }
            start = end + 1;
            no += 1;
        }
        no - first
    }

    pub(super) fn line(&mut self, no: u64, line: &str, sink: &mut dyn Sink) {
        // Blank lines are dropped; CI systems' own lines are told by their
        // first byte.
        let Some(first) = first_byte(line) else {
            return;
        };
        if !first.is_ascii() && line.trim().is_empty() {
            return;
        }
        // Bazel's verdict on a target, outside a test's output.
        if matches!(first, b'/' | b'@' | b'F' | b'T') && (!self.open || self.bazel_target.is_some())
        {
            if let Some((label, failed)) = bazel_status(line) {
                self.bazel_status(no, label, failed, line, sink);
                return;
            }
        }
        match first {
            // Bazel's banners name the target whose output follows.
            // (Not `=== RUN` and the like.)
            b'E' | b'=' | b'T' if !line.trim_start().starts_with("=== ") => {
                if let Some(target) = bazel_banner(line) {
                    self.bazel_banner(no, target, sink);
                    return;
                }
                // The rule of `=` under a target's output.
                let t = line.trim();
                if self.bazel_target.is_some() && t.len() >= 40 && t.bytes().all(|b| b == b'=') {
                    return;
                }
            }
            // GitHub Actions' raw log: `##[group]`, `##[error]`, ….
            b'#' if self.github_command(no, line, sink) => return,
            // GitLab's `section_start:…`/`section_end:…` markers.
            b's' if is_gitlab_section(line) => return,
            b if !b.is_ascii() => {
                if let Some(t) = line.trim().strip_prefix("Executing tests from ") {
                    self.bazel_banner(no, t.trim(), sink);
                    return;
                }
                // A result line behind an emoji (`❌ FAIL\tpkg\t3.3s` from a
                // Makefile): the line without it.
                if let Some(rest) = strip_symbol(line) {
                    let kind = classify_from(rest, first_byte(rest).unwrap_or(b' '));
                    if !matches!(kind, Line::Plain) {
                        self.line(no, rest, sink);
                        return;
                    }
                }
            }
            _ => {}
        }
        // gotestsum's summary opens with `=== Failed` or `=== Errors`.
        if (self.summary || first == b'=') && self.summary_line(no, line, sink) {
            return;
        }
        // gotestsum's lines start with PASS, FAIL, SKIP, EMPTY or `::`.
        let maybe_gotestsum = matches!(first, b'P' | b'F' | b'S' | b'E' | b':' | 0xE2);
        if let Some(g) = maybe_gotestsum
            .then(|| gotestsum::classify_in(line, self.in_gotestsum))
            .flatten()
        {
            self.gotestsum_line(no, line, g, sink);
            return;
        }
        match classify_from(line, first) {
            Line::PackageEnd {
                package,
                outcome,
                build_failed,
            } => {
                self.ensure_open(no, sink);
                self.flush(no, 0, sink);
                self.output(no, None, line, sink);
                self.close_block(no, outcome, Some(package.to_string()), build_failed, sink);
            }
            Line::Update { action, test } => {
                if let Some(outcome) = self.final_line {
                    // A bare binary's output ended; another run starts.
                    self.close_block(no, outcome, None, false, sink);
                }
                self.flush(no, 0, sink);
                self.ensure_open(no, sink);
                self.set_current(test);
                if action == "RUN" {
                    sink.event(
                        loc(self.index, no),
                        Event::TestRun {
                            package: Cow::Borrowed(&self.key),
                            test: Cow::Borrowed(test),
                        },
                    );
                }
                self.output(no, Some(test), line, sink);
            }
            Line::Report {
                indent,
                test,
                outcome,
                elapsed,
            } => {
                self.ensure_open(no, sink);
                self.flush(no, indent, sink);
                self.output(no, Some(test), line, sink);
                if let Some(outcome) = outcome {
                    let mut name = self.spare.pop().unwrap_or_default();
                    name.clear();
                    name.push_str(test);
                    self.pending.push(Pending {
                        indent,
                        test: name,
                        outcome,
                        elapsed,
                    });
                }
                self.set_current(test);
            }
            Line::Final(outcome) => {
                if !self.open && self.bazel_target.is_some() {
                    // The whole output of a Bazel target that printed no
                    // test lines (`go test` without `-v`).
                    self.ensure_open(no, sink);
                }
                if !self.open {
                    sink.event(
                        loc(self.index, no),
                        Event::Stray {
                            text: Cow::Borrowed(line),
                        },
                    );
                    return;
                }
                self.flush(no, 0, sink);
                self.output(no, None, line, sink);
                self.has_current = false;
                self.final_line = Some(outcome);
            }
            Line::Plain => {
                // Output a test printed without a newline starts at the
                // line's start: an indented line is `t.Log` text (which
                // always ends with a newline) or a stack in it.
                let at_start = !matches!(line.as_bytes().first(), Some(b' ' | b'\t'));
                if at_start && crate::bytes::has_dash_or_equals(line.as_bytes()) {
                    if let Some(at) = mid_line_framing(line) {
                        self.split_line(no, line, at, sink);
                        return;
                    }
                }
                if !self.open {
                    // A failing package's own output can come before any
                    // framing line: VerifyTestMain's report, a panic in
                    // TestMain or init.
                    let t = line.trim_start();
                    let opens = t.starts_with("goleak: Errors on ")
                        || t.starts_with("panic: ")
                        || t.starts_with("fatal error: ");
                    if !opens {
                        sink.event(
                            loc(self.index, no),
                            Event::Stray {
                                text: Cow::Borrowed(line),
                            },
                        );
                        return;
                    }
                    self.ensure_open(no, sink);
                }
                let indent = line.bytes().take_while(|&b| b == b' ').count() / 4;
                if indent > 0 && indent <= self.pending.len() {
                    self.current.clear();
                    self.current.push_str(&self.pending[indent - 1].test);
                    self.has_current = true;
                }
                let test = self.has_current.then_some(self.current.as_str());
                emit(self.index, &self.key, no, test, line, sink);
            }
        }
    }

    /// Bazel names the target whose output follows (`Executing tests from
    /// //pkg/foo:foo_test` in a `test.log`, `==== Test output for
    /// //pkg/foo:foo_test (shard 2 of 2):` on the console). A test binary's
    /// output that ended (its bare `PASS`/`FAIL`) belongs to the target
    /// before; so does the output of the target before that did not end
    /// (a crash: go test would print `FAIL\tpkg` here, Bazel prints
    /// everything there was).
    #[cold]
    fn bazel_banner(&mut self, no: u64, target: &str, sink: &mut dyn Sink) {
        if self.open {
            match self.final_line {
                Some(outcome) => self.close_block(no, outcome, None, false, sink),
                None if self.bazel_target.is_some() => {
                    self.close_block(no, Outcome::Fail, None, false, sink);
                }
                None => {}
            }
        }
        self.bazel_target = Some(bazel_package(target));
    }

    /// A Bazel status line. The target's output before it, if any, is
    /// over; a status other than a pass is a failure the input shows.
    #[cold]
    fn bazel_status(
        &mut self,
        no: u64,
        label: &str,
        failed: bool,
        line: &str,
        sink: &mut dyn Sink,
    ) {
        if self.open && self.bazel_target.is_some() {
            let outcome = self.final_line.unwrap_or(Outcome::Fail);
            self.close_block(no, outcome, None, false, sink);
        }
        if failed && self.bazel_failed.len() < 100_000 {
            self.bazel_failed
                .push((no, bazel_package(label), line.trim().to_string()));
        }
    }

    /// At the end of the input, the results of Bazel targets' output
    /// blocks. A target Bazel failed whose blocks all ended in `PASS` (a
    /// `TestMain` that failed after its tests, goleak's `VerifyTestMain`)
    /// failed in its last block, as `go test` would have said; a target
    /// Bazel failed whose output is not in the input is a failed package
    /// run of its own, at its status line.
    fn bazel_verdicts(&mut self, sink: &mut dyn Sink) {
        let blocks = std::mem::take(&mut self.bazel_blocks);
        let failed = std::mem::take(&mut self.bazel_failed);
        let said_failed: rustc_hash::FxHashSet<&str> =
            failed.iter().map(|(_, p, _)| p.as_str()).collect();
        // Per package: its last block, and whether a block showed a failure.
        let mut targets: rustc_hash::FxHashMap<&str, (usize, bool)> = Default::default();
        for (i, (_, _, o, p)) in blocks.iter().enumerate() {
            let t = targets.entry(p.as_str()).or_insert((i, false));
            t.0 = i;
            t.1 |= *o == Outcome::Fail;
        }
        for (i, (no, key, outcome, package)) in blocks.iter().enumerate() {
            let (last, shown) = targets[package.as_str()];
            let outcome = if last == i && !shown && said_failed.contains(package.as_str()) {
                Outcome::Fail
            } else {
                *outcome
            };
            sink.event(
                loc(self.index, *no),
                Event::PackageEnd {
                    package: Cow::Borrowed(key),
                    outcome,
                    elapsed: None,
                    failed_build: None,
                    name: Some(Cow::Borrowed(package)),
                    replay: false,
                    summary: false,
                },
            );
        }
        if self.open {
            return;
        }
        // The first status line of each target without output.
        let mut done = rustc_hash::FxHashSet::default();
        for (no, package, line) in &failed {
            if targets.contains_key(package.as_str()) || !done.insert(package.as_str()) {
                continue;
            }
            self.ensure_open(*no, sink);
            self.output(*no, None, line, sink);
            self.close_block(*no, Outcome::Fail, Some(package.clone()), false, sink);
        }
    }

    /// A GitHub Actions raw-log command line (`##[group]title`,
    /// `##[endgroup]`, `##[error]text`, …: what the runner made of workflow
    /// commands and its own step headers). gotestsum's github-actions
    /// groups (`::group::FAIL pkg.TestX (0.45s)`) read as themselves; the
    /// rest is the runner's, not test output, and is dropped. Only at the
    /// start of a line: indented, it is a test's output. Returns whether
    /// the line was one.
    #[cold]
    fn github_command(&mut self, no: u64, line: &str, sink: &mut dyn Sink) -> bool {
        let Some(rest) = line.strip_prefix("##[") else {
            return false;
        };
        let Some((command, text)) = rest.split_once(']') else {
            return false;
        };
        match command {
            "group" => {
                let as_printed = format!("::group::{text}");
                if let Some(g @ GtsLine::GroupStart { .. }) = gotestsum::classify(&as_printed) {
                    self.gotestsum_line(no, &as_printed, g, sink);
                }
                true
            }
            "endgroup" => {
                self.end_group(no, sink);
                true
            }
            "error" | "warning" | "notice" | "debug" | "command" | "section" => true,
            _ => false,
        }
    }

    /// A line that is test output without its newline, then a framing
    /// line (`done--- PASS: TestX (0.00s)`): `go test -v` prints the result
    /// right after whatever the test printed last. test2json splits such a
    /// line at the `^V` marker that `-json` mode puts before framing lines;
    /// plain text has none, so [`mid_line_framing`] found where the framing
    /// starts (`at`). The text before it is output of the test running (or,
    /// with none named yet, of the test the line reports), then the framing
    /// line is read as if it were a line of its own.
    #[cold]
    fn split_line(&mut self, no: u64, line: &str, at: usize, sink: &mut dyn Sink) {
        let (head, framing) = line.split_at(at);
        self.ensure_open(no, sink);
        if !self.has_current {
            if let Line::Report { test, .. } = classify_framing(framing, framing.trim_end()) {
                self.set_current(test);
            }
        }
        let test = self.has_current.then_some(self.current.as_str());
        emit(self.index, &self.key, no, test, head, sink);
        self.line(no, framing, sink);
    }

    /// gotestsum repeats failed tests after `=== Failed`, as
    /// `=== FAIL: <short package> <test> (<d>)` and the test's output,
    /// up to `DONE …`. Returns whether the line was consumed.
    fn summary_line(&mut self, no: u64, line: &str, sink: &mut dyn Sink) -> bool {
        let t = line.trim_end();
        if !self.summary {
            if t == "=== Failed" || t == "=== Errors" {
                if self.open {
                    let outcome = self.final_line.unwrap_or(Outcome::Fail);
                    if self.final_line.is_some() {
                        self.close_block(no, outcome, None, false, sink);
                    }
                }
                self.summary = !self.open;
                return self.summary;
            }
            return false;
        }
        let header = t.strip_prefix("=== FAIL: ");
        let done = t.starts_with("DONE ") || t == "=== Errors" || t == "=== Skipped";
        if header.is_some() || done {
            self.end_replay(no, sink);
        }
        if done {
            self.summary = t == "=== Errors";
            return true;
        }
        if let Some(h) = header {
            let h = match h.rsplit_once(" (") {
                Some((head, d)) if d.ends_with(')') => head,
                _ => h,
            };
            let (short, test) = h.split_once(' ').unwrap_or((h, ""));
            let test = test.trim();
            // An empty test name is the package's own output (TestMain,
            // VerifyTestMain); gotestsum's github-actions format prints it
            // only here.
            self.replay = Some((short.to_string(), test.to_string()));
            self.refresh_key();
            self.ensure_open(no, sink);
            if !test.is_empty() {
                sink.event(
                    loc(self.index, no),
                    Event::TestRun {
                        package: Cow::Borrowed(&self.key),
                        test: Cow::Borrowed(test),
                    },
                );
            }
            return true;
        }
        if let Some((short, test)) = &self.replay {
            // The package's own entry replays go test's result line, which
            // names the package in full (`FAIL\tgithub.com/p/tsdb\t3.3s`):
            // its name when the input showed none for it before.
            if let Some(first) = first_byte(line) {
                if let Line::PackageEnd { package, .. } = classify_from(line, first) {
                    if package.len() > short.len()
                        && package.ends_with(short.as_str())
                        && package[..package.len() - short.len()].ends_with('/')
                    {
                        self.replay_full = Some(package.to_string());
                    }
                }
            }
            let test = (!test.is_empty()).then_some(test.as_str());
            emit(self.index, &self.key, no, test, line, sink);
        }
        true
    }

    /// gotestsum's `testname` and `github-actions` lines name the package
    /// of every test and package result.
    fn gotestsum_line(&mut self, no: u64, line: &str, g: GtsLine<'_>, sink: &mut dyn Sink) {
        self.in_gotestsum = true;
        let full = g.package().and_then(|p| self.module_relative(p));
        let g = match &full {
            Some(p) => g.with_package(p),
            None => g,
        };
        match g {
            GtsLine::GroupStart {
                package,
                test,
                outcome,
            } => {
                self.end_group(no, sink);
                self.ensure_open(no, sink);
                self.group = Some((package.to_string(), test.to_string(), outcome));
                self.set_current(test);
                sink.event(
                    loc(self.index, no),
                    Event::TestRun {
                        package: Cow::Borrowed(&self.key),
                        test: Cow::Owned(test.to_string()),
                    },
                );
            }
            GtsLine::GroupEnd => self.end_group(no, sink),
            GtsLine::Test {
                package,
                test,
                outcome,
            } => {
                if self.open && self.group.is_none() {
                    // The output just read was this test's (testname).
                    self.flush(no, 0, sink);
                    self.close_block_as(no, outcome, Some(package.to_string()), false, true, sink);
                } else {
                    for event in [
                        Event::TestRun {
                            package: Cow::Owned(package.to_string()),
                            test: Cow::Owned(test.to_string()),
                        },
                        Event::TestEnd {
                            package: Cow::Owned(package.to_string()),
                            test: Cow::Owned(test.to_string()),
                            outcome,
                            elapsed: None,
                        },
                    ] {
                        sink.event(loc(self.index, no), event);
                    }
                }
            }
            GtsLine::Symbol { package, outcome } => {
                // The failed tests printed before it may belong to other
                // packages; the `=== Failed` summary names them later.
                if self.open {
                    self.flush(no, 0, sink);
                    self.close_block_as(no, outcome, None, false, true, sink);
                }
                self.package_result(no, line, package, outcome, sink);
            }
            GtsLine::Package { package, outcome } => {
                self.end_group(no, sink);
                if self.open {
                    // The package's own output (VerifyTestMain) came first.
                    self.flush(no, 0, sink);
                    self.close_block_as(no, outcome, Some(package.to_string()), false, true, sink);
                }
                self.package_result(no, line, package, outcome, sink);
            }
        }
    }

    /// The import path of a package gotestsum named relative to the
    /// module it ran in, when it differs from `name`: the module is that of
    /// the nearest `go.mod` at or above the current directory, where
    /// gotestsum (and then leakgate) runs in CI. Without one, names stay
    /// as printed. An import path (a dot in its first element) needs no
    /// look-up.
    fn module_relative(&mut self, name: &str) -> Option<String> {
        if name.split('/').next().is_some_and(|f| f.contains('.')) && name != "." {
            return None;
        }
        let module = self.module.get_or_insert_with(|| {
            std::env::current_dir()
                .ok()
                .and_then(|d| gotestsum::module_at(&d))
        });
        match gotestsum::full_package(name, module.as_deref()) {
            Cow::Owned(full) => Some(full),
            Cow::Borrowed(_) => None,
        }
    }

    /// A package's result line naming the package: its own start and end.
    fn package_result(
        &mut self,
        no: u64,
        line: &str,
        package: &str,
        outcome: Outcome,
        sink: &mut dyn Sink,
    ) {
        let key: Cow<'_, str> = Cow::Owned(package.to_string());
        sink.event(
            loc(self.index, no),
            Event::PackageStart {
                package: key.clone(),
            },
        );
        sink.event(
            loc(self.index, no),
            Event::Output {
                package: Some(key.clone()),
                test: None,
                text: Cow::Owned(format!("{}\n", line.trim())),
                kind: None,
            },
        );
        sink.event(
            loc(self.index, no),
            Event::PackageEnd {
                package: key,
                outcome,
                elapsed: None,
                failed_build: None,
                name: None,
                replay: false,
                summary: false,
            },
        );
        if self.seen_packages.len() < 100_000 {
            self.seen_packages.push(package.to_string());
        }
    }

    fn end_group(&mut self, no: u64, sink: &mut dyn Sink) {
        let Some((package, test, outcome)) = self.group.take() else {
            return;
        };
        self.flush(no, 0, sink);
        sink.event(
            loc(self.index, no),
            Event::TestEnd {
                package: Cow::Borrowed(&self.key),
                test: Cow::Owned(test),
                outcome,
                elapsed: None,
            },
        );
        self.close_block_as(no, outcome, Some(package), false, true, sink);
    }

    fn end_replay(&mut self, no: u64, sink: &mut dyn Sink) {
        let Some((short, test)) = self.replay.clone() else {
            return;
        };
        if !test.is_empty() {
            sink.event(
                loc(self.index, no),
                Event::TestEnd {
                    package: Cow::Borrowed(&self.key),
                    test: Cow::Borrowed(&test),
                    outcome: Outcome::Fail,
                    elapsed: None,
                },
            );
        }
        let suffix = format!("/{short}");
        let named = self.replay_full.take();
        let full = self
            .seen_packages
            .iter()
            .find(|p| **p == short || p.ends_with(&suffix))
            .cloned()
            .or(named)
            .unwrap_or(short);
        self.close_block_as(no, Outcome::Fail, Some(full), false, true, sink);
        self.replay = None;
        self.refresh_key();
    }

    pub(super) fn finish(&mut self, no: u64, sink: &mut dyn Sink) {
        self.end_replay(no, sink);
        self.flush(no, 0, sink);
        if self.open {
            if let Some(outcome) = self.final_line {
                self.close_block(no, outcome, None, false, sink);
            }
        }
        self.bazel_verdicts(sink);
    }
}

/// Sends one output line (it holds no `\n`: lines were split at them).
fn emit(index: usize, key: &str, no: u64, test: Option<&str>, line: &str, sink: &mut dyn Sink) {
    sink.event(
        loc(index, no),
        Event::OutputLine {
            package: Cow::Borrowed(key),
            test: test.map(Cow::Borrowed),
            line: Cow::Borrowed(line),
            kind: None,
        },
    );
}
