//! The text dumps: tracebacks (`?debug=2`, `runtime.Stack(buf, true)`,
//! SIGQUIT and `GOTRACEBACK=all` crashes) and the count profile
//! (`?debug=1`: `N @ 0x…` then `#\t0x…\tfunc+0x…\tfile:line`). Read a line
//! at a time; one goroutine (or one distinct stack) in memory at once.

use std::io::BufRead;

use super::{DumpError, DumpFormat, Grouper, Record};
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
    // The first line that is not blank decides.
    let first = loop {
        match lines.next(name)? {
            None => {
                return Err(DumpError::Empty {
                    name: name.to_string(),
                })
            }
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break l.trim().to_string(),
        }
    };
    let first_number = lines.number;
    if let Some(total) = count_header(&first) {
        if first.starts_with("goroutineleak ") {
            grouper.leak_profile();
        }
        read_counts(name, &mut lines, total, grouper)?;
        return Ok(DumpFormat::Counts);
    }
    read_traceback(name, &mut lines, first, first_number, grouper)?;
    Ok(DumpFormat::Traceback)
}

/// `goroutine profile: total 7` (or `goroutineleak profile: …`) → 7.
fn count_header(line: &str) -> Option<u64> {
    let rest = line
        .strip_prefix("goroutine profile: total ")
        .or_else(|| line.strip_prefix("goroutineleak profile: total "))?;
    rest.trim().parse().ok()
}

/// The count profile after its header.
fn read_counts<R: BufRead>(
    name: &str,
    lines: &mut LineReader<R>,
    total: u64,
    grouper: &mut Grouper<'_>,
) -> Result<(), DumpError> {
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
    while let Some((number, line)) = lines.next(name)? {
        if line.trim().is_empty() {
            flush(&mut current, &mut sum, grouper);
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
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
        // profile is over.
        break;
    }
    let cut_line = !lines.terminated;
    flush(&mut current, &mut sum, grouper);
    if cut_line {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: lines.number,
            why: "its last line has no end".to_string(),
        });
    }
    if sum != total {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: lines.number,
            why: format!("its stacks count {sum} goroutines, its header says total {total}"),
        });
    }
    Ok(())
}

/// A traceback: every `goroutine N [state]:` block.
fn read_traceback<R: BufRead>(
    name: &str,
    lines: &mut LineReader<R>,
    first: String,
    first_number: u64,
    grouper: &mut Grouper<'_>,
) -> Result<(), DumpError> {
    let mut header = stack::parse_header(&first);
    let mut body: Vec<String> = Vec::new();
    let mut saw_header = header.is_some();
    let mut last_kind_open = false;
    let mut last_line = first_number;
    let emit = |header: &mut Option<stack::Header>,
                body: &mut Vec<String>,
                grouper: &mut Grouper<'_>| {
        if let Some(h) = header.take() {
            let (frames, elided, created_by) = stack::parse_body(body.iter().map(String::as_str));
            let leaked = h.state.leaked;
            grouper.add(Record {
                goroutine: Goroutine {
                    id: h.id,
                    state: h.state,
                    frames,
                    elided,
                    created_by,
                },
                count: 1,
                leaked,
            });
        }
        body.clear();
    };
    while let Some((number, line)) = lines.next(name)? {
        last_line = number;
        if let Some(h) = stack::parse_header(line) {
            emit(&mut header, &mut body, grouper);
            header = Some(h);
            saw_header = true;
            last_kind_open = false;
            continue;
        }
        if header.is_some() {
            match stack::classify(line) {
                BodyLine::Function { .. } | BodyLine::CreatedBy { .. } => last_kind_open = true,
                BodyLine::Position { .. } => last_kind_open = false,
                BodyLine::Blank => {}
                _ => {}
            }
            if body.len() < 4096 {
                body.push(line.to_string());
            }
        }
    }
    if !saw_header {
        return Err(DumpError::UnknownFormat {
            name: name.to_string(),
            line: first_number,
        });
    }
    let unterminated = !lines.terminated;
    emit(&mut header, &mut body, grouper);
    if unterminated || last_kind_open {
        return Err(DumpError::Cut {
            name: name.to_string(),
            line: last_line,
            why: if unterminated {
                "its last line has no end".to_string()
            } else {
                "its last goroutine's frame has no position line".to_string()
            },
        });
    }
    Ok(())
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

    #[test]
    fn count_profiles_read_tab_padded_frames_and_frameless_records() {
        let d = dump(BEFORE1.as_bytes()).unwrap();
        assert_eq!(d.format, DumpFormat::Counts);
        assert_eq!(d.total, 3);
        let d = dump(AFTER1.as_bytes()).unwrap();
        assert_eq!(d.total, 128);
        let g = d
            .groups
            .iter()
            .find(|g| g.key.entry == "main.leakTickerLoop")
            .unwrap();
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
        let g = d
            .groups
            .iter()
            .find(|g| g.key.entry == "main.leakTimeoutWork")
            .unwrap();
        assert_eq!(g.count, 25);
        assert_eq!(g.created_by.as_deref(), Some("main.handleLeakTimeout"));
        assert_eq!(g.states, vec![("chan send".to_string(), 25)]);
        // SIGQUIT: preamble, goroutine 0, register dump after the last one.
        let d = dump(SIGQUIT.as_bytes()).unwrap();
        assert_eq!(d.total, 23);
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
}
