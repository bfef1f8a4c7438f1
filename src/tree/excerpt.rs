//! A failing test's output as kept: its first and last lines, bounded,
//! with the storage reused from test to test.

use std::collections::VecDeque;

use super::*;
use crate::events::Loc;

/// A failing test's output as kept: its first [`EXCERPT_HEAD`] and last
/// [`EXCERPT_TAIL`] lines, each cut at [`EXCERPT_LINE_BYTES`], with a marker
/// where lines were dropped. Storage is reused: the head is one string, the
/// tail a ring of strings, so passing output costs copies, not allocations.
#[derive(Default)]
pub(super) struct Excerpt {
    pub(super) head: String,
    pub(super) head_ends: Vec<usize>,
    pub(super) head_meta: Vec<Meta>,
    pub(super) tail: VecDeque<(String, Meta)>,
    pub(super) dropped: usize,
    /// Tail strings of earlier tests, cleared, for reuse.
    pub(super) free: Vec<String>,
}

/// Appends `line` to `to`, cut at [`EXCERPT_LINE_BYTES`] with a marker.
pub(super) fn push_bounded(to: &mut String, line: &str) {
    let kept = crate::bytes::at_most(line, EXCERPT_LINE_BYTES);
    to.push_str(kept);
    if kept.len() < line.len() {
        to.push_str(&format!(" [… {} bytes not kept]", line.len() - kept.len()));
    }
}

/// What a kept line may be: a message (and whether Go 1.27 marked it
/// `error`), or not one (`error-continue` lines), and where it was read.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Meta {
    pub(super) at: Loc,
    pub(super) error: bool,
    pub(super) no_message: bool,
}

impl Excerpt {
    pub(super) fn push(&mut self, line: &str, meta: Meta) {
        if self.head_ends.len() < EXCERPT_HEAD {
            push_bounded(&mut self.head, line);
            self.head_ends.push(self.head.len());
            self.head_meta.push(meta);
            return;
        }
        let mut slot = if self.tail.len() == EXCERPT_TAIL {
            self.dropped += 1;
            self.tail.pop_front().map(|(s, _)| s).unwrap_or_default()
        } else {
            self.free.pop().unwrap_or_default()
        };
        slot.clear();
        push_bounded(&mut slot, line);
        self.tail.push_back((slot, meta));
    }

    /// The line the next [`Excerpt::push`] drops, if it drops one.
    pub(super) fn evicting(&self) -> Option<(&str, Meta)> {
        if self.head_ends.len() < EXCERPT_HEAD || self.tail.len() < EXCERPT_TAIL {
            return None;
        }
        self.tail.front().map(|(s, m)| (s.as_str(), *m))
    }

    /// The line pushed `back` lines before the last one (0: the last),
    /// with its meta, while it is still kept.
    pub(super) fn recent_mut(&mut self, back: usize) -> Option<(&str, &mut Meta)> {
        if back < self.tail.len() {
            let i = self.tail.len() - 1 - back;
            let (s, m) = self.tail.get_mut(i)?;
            return Some((s.as_str(), m));
        }
        if self.dropped > 0 {
            return None;
        }
        let i = self
            .head_ends
            .len()
            .checked_sub(1 + back - self.tail.len())?;
        let start = if i == 0 { 0 } else { self.head_ends[i - 1] };
        Some((&self.head[start..self.head_ends[i]], &mut self.head_meta[i]))
    }

    /// The head's lines, in order.
    pub(super) fn head_lines(&self) -> impl Iterator<Item = (&str, Meta)> {
        let mut start = 0;
        self.head_ends
            .iter()
            .zip(&self.head_meta)
            .map(move |(&end, &m)| {
                let l = &self.head[start..end];
                start = end;
                (l, m)
            })
    }

    pub(super) fn lines(&self) -> Vec<String> {
        let mut v = Vec::with_capacity(self.head_ends.len() + 1 + self.tail.len());
        let mut start = 0;
        for &end in &self.head_ends {
            v.push(self.head[start..end].to_string());
            start = end;
        }
        if self.dropped > 0 {
            v.push(format!("[… {} lines not kept …]", self.dropped));
        }
        v.extend(self.tail.iter().map(|(s, _)| s.clone()));
        v
    }

    pub(super) fn is_empty(&self) -> bool {
        self.head_ends.is_empty()
    }

    pub(super) fn clear(&mut self) {
        if self.head.capacity() > 64 * 1024 {
            self.head = String::new();
        }
        self.head.clear();
        self.head_ends.clear();
        self.head_meta.clear();
        // Short strings are kept for the next test's tail (at most
        // EXCERPT_TAIL of them: the tail never holds more).
        for (s, _) in self.tail.drain(..) {
            if s.capacity() <= 256 {
                self.free.push(s);
            }
        }
        self.dropped = 0;
    }
}
