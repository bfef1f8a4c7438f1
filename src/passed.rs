//! The store of passed and skipped test attempts.
//!
//! A run has hundreds of thousands of tests that passed. Every report that
//! lists tests (the JSON report's `tests`, JUnit) needs each of them, but
//! nothing else does: they carry no evidence, their gate is their outcome.
//! So they are not kept as values. When a package run ends, its passed
//! tests are encoded into one block of bytes (name, attempt, outcome,
//! duration, order) and appended here; past [`SPILL_BYTES`] the store
//! moves what it holds to an anonymous temporary file and keeps going.
//! Memory stays flat however many tests a run has; a reporter reads one
//! package's block at a time.
//!
//! If no temporary file can be made, the store keeps everything in memory
//! (correct, only larger).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

/// Bytes held in memory before they move to the temporary file.
pub const SPILL_BYTES: usize = 1 << 20;

/// Where one package run's passed tests are in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Block {
    offset: u64,
    len: u64,
    /// Tests in it.
    pub count: u32,
}

/// Encodes a package run's passed tests for [`Store::append`].
#[derive(Default)]
pub struct Encoder {
    bytes: Vec<u8>,
    count: u32,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl Encoder {
    /// An encoder with room for about `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        Encoder {
            bytes: Vec::with_capacity(bytes),
            count: 0,
        }
    }

    /// Adds one test.
    pub fn push(
        &mut self,
        name: &str,
        attempt: u32,
        skipped: bool,
        elapsed: Option<f64>,
        start_seq: u64,
    ) {
        let flags = u8::from(skipped) | (u8::from(elapsed.is_some()) << 1);
        self.bytes.push(flags);
        varint(&mut self.bytes, u64::from(attempt));
        varint(&mut self.bytes, start_seq);
        if let Some(e) = elapsed {
            self.bytes.extend_from_slice(&e.to_bits().to_le_bytes());
        }
        varint(&mut self.bytes, name.len() as u64);
        self.bytes.extend_from_slice(name.as_bytes());
        self.count += 1;
    }

    /// Tests added.
    pub fn count(&self) -> u32 {
        self.count
    }
}

/// Reads the tests of one block back.
pub struct Decoder {
    bytes: Vec<u8>,
}

/// A passed or skipped test attempt, borrowed from its block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassedRef<'a> {
    /// Full test name.
    pub name: &'a str,
    /// Its attempt in its package run (1-based).
    pub attempt: u32,
    /// `false` for passed, `true` for skipped.
    pub skipped: bool,
    /// Seconds, when stated.
    pub elapsed: Option<f64>,
    /// The number of the event that started it (order in the run).
    pub start_seq: u64,
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
    }
}

/// The test at `at`, and `at` moved past it.
fn read_one<'a>(bytes: &'a [u8], at: &mut usize) -> Option<PassedRef<'a>> {
    let flags = *bytes.get(*at)?;
    *at += 1;
    let attempt = u32::try_from(read_varint(bytes, at)?).ok()?;
    let start_seq = read_varint(bytes, at)?;
    let elapsed = if flags & 2 != 0 {
        let raw = bytes.get(*at..*at + 8)?;
        *at += 8;
        Some(f64::from_bits(u64::from_le_bytes(raw.try_into().ok()?)))
    } else {
        None
    };
    let len = usize::try_from(read_varint(bytes, at)?).ok()?;
    let raw = bytes.get(*at..at.checked_add(len)?)?;
    *at += len;
    Some(PassedRef {
        // Written from a `&str`.
        name: std::str::from_utf8(raw).ok()?,
        attempt,
        skipped: flags & 1 != 0,
        elapsed,
        start_seq,
    })
}

impl Decoder {
    /// Every test of the block, borrowed; an error if the block does not
    /// decode to its count (the store was damaged).
    pub fn refs(&self, count: u32) -> io::Result<Vec<PassedRef<'_>>> {
        let mut at = 0;
        let mut out = Vec::with_capacity(count as usize);
        while at < self.bytes.len() {
            match read_one(&self.bytes, &mut at) {
                Some(t) => out.push(t),
                None => break,
            }
        }
        if out.len() != count as usize {
            return Err(io::Error::other(format!(
                "the passed-test store holds {} of a block's {count} tests",
                out.len()
            )));
        }
        Ok(out)
    }
}

/// The store: the newest bytes in memory, older ones in a temporary file.
#[derive(Default)]
pub struct Store {
    memory: Vec<u8>,
    /// The temporary file and how many bytes it holds.
    file: Mutex<Option<(File, u64)>>,
    /// A temporary file could not be made or written: keep all in memory.
    in_memory: bool,
    /// Bytes before `memory` that are in the file.
    spilled: u64,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("memory", &self.memory.len())
            .field("spilled", &self.spilled)
            .finish()
    }
}

impl Store {
    /// Appends one package run's tests.
    pub fn append(&mut self, enc: Encoder) -> Block {
        let block = Block {
            offset: self.spilled + self.memory.len() as u64,
            len: enc.bytes.len() as u64,
            count: enc.count,
        };
        self.memory.extend_from_slice(&enc.bytes);
        if self.memory.len() >= SPILL_BYTES && !self.in_memory {
            self.spill();
        }
        block
    }

    fn spill(&mut self) {
        let file = match self.file.get_mut() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        if file.is_none() {
            match tempfile::tempfile() {
                Ok(f) => *file = Some((f, 0)),
                Err(_) => {
                    self.in_memory = true;
                    return;
                }
            }
        }
        let Some((f, len)) = file.as_mut() else {
            return;
        };
        let wrote = f
            .seek(SeekFrom::Start(*len))
            .and_then(|_| f.write_all(&self.memory));
        if wrote.is_err() {
            self.in_memory = true;
            return;
        }
        *len += self.memory.len() as u64;
        self.spilled += self.memory.len() as u64;
        self.memory.clear();
    }

    /// The tests of a block ([`Decoder::refs`]), in the order they were
    /// added.
    pub fn read(&self, block: Block) -> io::Result<Decoder> {
        let mut bytes = vec![0; usize::try_from(block.len).map_err(io::Error::other)?];
        if block.offset >= self.spilled {
            let from = usize::try_from(block.offset - self.spilled).map_err(io::Error::other)?;
            let src = self
                .memory
                .get(from..from + bytes.len())
                .ok_or_else(|| io::Error::other("passed-test block out of range"))?;
            bytes.copy_from_slice(src);
        } else {
            let mut guard = match self.file.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            let (f, _) = guard
                .as_mut()
                .ok_or_else(|| io::Error::other("passed-test store has no file"))?;
            f.seek(SeekFrom::Start(block.offset))?;
            f.read_exact(&mut bytes)?;
        }
        Ok(Decoder { bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, attempt, skipped, elapsed, start)
    type Owned = (String, u32, bool, Option<f64>, u64);

    fn owned(t: PassedRef<'_>) -> Owned {
        (
            t.name.to_string(),
            t.attempt,
            t.skipped,
            t.elapsed,
            t.start_seq,
        )
    }

    fn test(i: u64) -> Owned {
        (
            format!("TestN{i}/sub_{}", i % 7),
            1 + (i % 3) as u32,
            i.is_multiple_of(5),
            (!i.is_multiple_of(4)).then(|| i as f64 / 100.0),
            i * 1_000_003,
        )
    }

    #[test]
    fn blocks_read_back_what_was_written_across_the_spill() {
        let mut store = Store::default();
        let mut blocks = Vec::new();
        let mut n = 0u64;
        // Enough to spill several times.
        while store.spilled < 3 * SPILL_BYTES as u64 {
            let mut enc = Encoder::default();
            let first = n;
            for _ in 0..(n % 50 + 1) {
                let (name, attempt, skipped, elapsed, start) = test(n);
                enc.push(&name, attempt, skipped, elapsed, start);
                n += 1;
            }
            blocks.push((first, n, store.append(enc)));
        }
        assert!(store.memory.len() < SPILL_BYTES, "memory is bounded");
        for (first, end, b) in blocks {
            let d = store.read(b).unwrap();
            let got: Vec<Owned> = d.refs(b.count).unwrap().into_iter().map(owned).collect();
            let want: Vec<Owned> = (first..end).map(test).collect();
            assert_eq!(got, want);
            assert_eq!(b.count as usize, want.len());
        }
    }

    #[test]
    fn an_empty_block_reads_empty() {
        let mut store = Store::default();
        let b = store.append(Encoder::default());
        assert!(store.read(b).unwrap().refs(0).unwrap().is_empty());
    }
}
