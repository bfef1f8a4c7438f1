//! A package run's tests by name: interned names, attempt numbers, and
//! the running test of each name.

use super::*;
use crate::events::Loc;

/// A running test: its output stream and its node so far.
pub(super) struct Running {
    pub(super) stream: Box<Stream>,
    pub(super) start: Loc,
    pub(super) start_seq: u64,
    /// 1 for the first run of its name in the package run, …
    pub(super) attempt: u32,
    /// The start of its last direct subtest that passed.
    pub(super) last_passed_child: Option<u64>,
}

/// A package's tests by name: the running one of each name, and how many
/// runs of it started (attempt numbers). Names are interned in one string
/// per package run (no allocation per test, and the storage is reused by
/// the next package); the entry looked up last is checked first, since a
/// test's output lines mostly come one after another.
#[derive(Default)]
pub(super) struct Tests {
    /// Every name, one after another.
    pub(super) names: String,
    pub(super) entries: Vec<Entry>,
    /// Indices into `entries`, by the hash of their name.
    pub(super) index: hashbrown::HashTable<u32>,
    pub(super) hot: Option<u32>,
}

/// One test name of a package run.
pub(super) struct Entry {
    /// Where its name is in [`Tests::names`].
    pub(super) start: usize,
    pub(super) len: usize,
    /// Runs of it that started (or ended unannounced).
    pub(super) runs: u32,
    /// Its run that is going on.
    pub(super) running: Option<Running>,
}

pub(super) fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(name)
}

impl Tests {
    pub(super) fn name_of<'a>(names: &'a str, e: &Entry) -> &'a str {
        names.get(e.start..e.start + e.len).unwrap_or("")
    }

    /// The index of `name`'s entry, or its hash when it has none.
    pub(super) fn lookup(&mut self, name: &str) -> Result<u32, u64> {
        if let Some(h) = self.hot {
            if let Some(e) = self.entries.get(h as usize) {
                // As bytes: no character-boundary checks on every line.
                let kept = self.names.as_bytes().get(e.start..e.start + e.len);
                if kept.is_some_and(|k| same_bytes(k, name.as_bytes())) {
                    return Ok(h);
                }
            }
        }
        let hash = name_hash(name);
        let (names, entries) = (&self.names, &self.entries);
        let i = *self
            .index
            .find(hash, |&i| {
                entries
                    .get(i as usize)
                    .is_some_and(|e| Self::name_of(names, e) == name)
            })
            .ok_or(hash)?;
        self.hot = Some(i);
        Ok(i)
    }

    /// The index of `name`'s entry.
    pub(super) fn find(&mut self, name: &str) -> Option<u32> {
        self.lookup(name).ok()
    }

    /// The entry of `name`, made if new.
    pub(super) fn entry_or_new(&mut self, name: &str) -> &mut Entry {
        let i = match self.lookup(name) {
            Ok(i) => i,
            Err(hash) => {
                let i = self.entries.len() as u32;
                let start = self.names.len();
                self.names.push_str(name);
                self.entries.push(Entry {
                    start,
                    len: name.len(),
                    runs: 0,
                    running: None,
                });
                let (names, entries) = (&self.names, &self.entries);
                self.index.insert_unique(hash, i, |&j| {
                    entries
                        .get(j as usize)
                        .map_or(0, |e| name_hash(Self::name_of(names, e)))
                });
                self.hot = Some(i);
                i
            }
        };
        &mut self.entries[i as usize]
    }

    pub(super) fn get(&mut self, name: &str) -> Option<&mut Entry> {
        let i = self.find(name)?;
        self.entries.get_mut(i as usize)
    }

    /// Starts a run of `name`, unless one is going on (then `false`).
    pub(super) fn start(&mut self, name: &str, make: impl FnOnce(u32) -> Running) -> bool {
        let e = self.entry_or_new(name);
        if e.running.is_some() {
            return false;
        }
        e.runs += 1;
        e.running = Some(make(e.runs));
        true
    }

    /// A result without a start (JUnit, summaries): its attempt number.
    pub(super) fn unannounced(&mut self, name: &str) -> u32 {
        let e = self.entry_or_new(name);
        e.runs += 1;
        e.runs
    }

    pub(super) fn get_mut(&mut self, name: &str) -> Option<&mut Running> {
        self.get(name)?.running.as_mut()
    }

    /// Like `get_mut`, without making it the one looked up first.
    pub(super) fn peek_mut(&mut self, name: &str) -> Option<&mut Running> {
        let hot = self.hot;
        let r = self.find(name);
        self.hot = hot;
        self.entries.get_mut(r? as usize)?.running.as_mut()
    }

    /// Ends the running `name`.
    pub(super) fn finish(&mut self, name: &str) -> Option<Running> {
        self.get(name)?.running.take()
    }

    /// The tests still running, by name.
    pub(super) fn drain_running(&mut self) -> Vec<(String, Running)> {
        let names = std::mem::take(&mut self.names);
        let out = self
            .entries
            .drain(..)
            .filter_map(|e| {
                let name = Self::name_of(&names, &e).to_string();
                Some((name, e.running?))
            })
            .collect();
        self.names = names;
        self.clear();
        out
    }

    /// Empty, keeping its storage.
    pub(super) fn clear(&mut self) {
        self.names.clear();
        self.entries.clear();
        self.index.clear();
        self.hot = None;
    }
}
