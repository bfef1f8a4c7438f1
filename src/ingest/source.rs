//! Where [`Lines`](super::Lines) gets its bytes.
//!
//! * [`Direct`] reads on the caller's thread, into the line buffer itself.
//! * [`Prefetch`] reads on a thread of its own, a few chunks ahead, so that
//!   copying the input out of the kernel (a third of the time of a plain
//!   `read` loop over a cached file) runs beside parsing instead of before
//!   it. Chunks are handed over whole: each has free room in front of its
//!   data, where the unfinished line of the previous chunk is put, so the
//!   bytes are not copied again (only a line longer than that room is).
//!
//! Both keep memory bounded: [`Prefetch`] holds at most `DEPTH + 3` chunks
//! (queued, being read, being parsed, and one on its way back).

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Bytes asked for per `read` on this thread.
pub(crate) const CHUNK_BYTES: usize = 256 * 1024;
/// Bytes asked for per `read` by the reader thread: from the first size
/// (a small file needs no large buffer) doubling up to the last (large
/// chunks measured fastest on a 1 GB file).
const AHEAD_BYTES: (usize, usize) = (64 * 1024, 2 * 1024 * 1024);
/// Room in front of a prefetched chunk for the previous chunk's last,
/// unfinished line.
const HEAD_BYTES: usize = 64 * 1024;
/// Chunks read ahead.
const DEPTH: usize = 2;

/// A source of input bytes for a growing buffer.
pub(crate) trait Refill {
    /// Makes more input available after `buf[..*end]`, keeping
    /// `buf[*start..*end]` (which may move: `start` and `end` are updated).
    /// False at the end of the input, when nothing was added.
    fn refill(&mut self, buf: &mut Vec<u8>, start: &mut usize, end: &mut usize)
        -> io::Result<bool>;
}

/// Reads on the caller's thread.
pub(crate) struct Direct<R>(pub R);

impl<R: Read> Refill for Direct<R> {
    fn refill(
        &mut self,
        buf: &mut Vec<u8>,
        start: &mut usize,
        end: &mut usize,
    ) -> io::Result<bool> {
        to_front(buf, start, end);
        // Ask for at least a whole chunk: a `BufReader` below then reads
        // straight into this buffer instead of copying through its own.
        if buf.len() - *end < CHUNK_BYTES {
            let want = (buf.len() * 2).max(*end + 2 * CHUNK_BYTES);
            buf.resize(want, 0);
        }
        let n = read_some(&mut self.0, &mut buf[*end..])?;
        *end += n;
        Ok(n > 0)
    }
}

/// Moves the kept bytes `buf[*start..*end]` to the front.
fn to_front(buf: &mut [u8], start: &mut usize, end: &mut usize) {
    if *start > 0 {
        buf.copy_within(*start..*end, 0);
        *end -= *start;
        *start = 0;
    }
}

/// `reader.read(buf)`, again when interrupted by a signal.
fn read_some<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// A chunk read ahead: its data is `buf[HEAD_BYTES..len]`.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

/// Reads on a thread of its own (see the module documentation).
///
/// The thread ends at the end of the input, at a read error (handed on
/// as the next chunk), or when the `Prefetch` is dropped and its next
/// chunk has nowhere to go.
pub(crate) struct Prefetch {
    chunks: Receiver<io::Result<Chunk>>,
    spent: Sender<Vec<u8>>,
}

impl Prefetch {
    /// Starts reading `reader` on a new thread.
    pub(crate) fn spawn<R: Read + Send + 'static>(mut reader: R) -> io::Result<Self> {
        let (send, chunks) = mpsc::sync_channel::<io::Result<Chunk>>(DEPTH);
        let (spent, recycled) = mpsc::channel::<Vec<u8>>();
        std::thread::Builder::new()
            .name("leakgate-read".into())
            .spawn(move || read_ahead(&mut reader, &send, &recycled))?;
        Ok(Prefetch { chunks, spent })
    }
}

fn read_ahead<R: Read>(
    reader: &mut R,
    send: &SyncSender<io::Result<Chunk>>,
    recycled: &Receiver<Vec<u8>>,
) {
    let mut size = AHEAD_BYTES.0;
    loop {
        let mut buf = recycled.try_recv().unwrap_or_default();
        // A recycled buffer mostly has this length already: nothing is
        // filled then.
        buf.resize(HEAD_BYTES + size, 0);
        let n = read_some(reader, &mut buf[HEAD_BYTES..]);
        if n.as_ref().is_ok_and(|&n| n == size) {
            size = (size * 2).min(AHEAD_BYTES.1);
        }
        let chunk = match n {
            Ok(0) => return,
            Ok(n) => Ok(Chunk {
                buf,
                len: HEAD_BYTES + n,
            }),
            Err(e) => Err(e),
        };
        let failed = chunk.is_err();
        if send.send(chunk).is_err() || failed {
            return;
        }
    }
}

impl Refill for Prefetch {
    fn refill(
        &mut self,
        buf: &mut Vec<u8>,
        start: &mut usize,
        end: &mut usize,
    ) -> io::Result<bool> {
        let Chunk { buf: mut next, len } = match self.chunks.recv() {
            Ok(chunk) => chunk?,
            // The reader thread is done: the end of the input.
            Err(_) => return Ok(false),
        };
        let keep = *end - *start;
        if keep <= HEAD_BYTES {
            let at = HEAD_BYTES - keep;
            next[at..HEAD_BYTES].copy_from_slice(&buf[*start..*end]);
            let old = std::mem::replace(buf, next);
            *start = at;
            *end = len;
            // Only chunk-sized buffers go back (not the first, empty one,
            // nor one grown for a long line).
            if (HEAD_BYTES..=HEAD_BYTES + AHEAD_BYTES.1).contains(&old.capacity()) {
                // The thread may have ended already; the buffer is freed.
                let _ = self.spent.send(old);
            }
        } else {
            // A line longer than the room in front: append.
            to_front(buf, start, end);
            buf.truncate(*end);
            buf.extend_from_slice(&next[HEAD_BYTES..len]);
            *end = buf.len();
            let _ = self.spent.send(next);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its data a few bytes at a time.
    struct Dribble<'a>(&'a [u8], usize);

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Everything a source gives, consuming up to a random point each time.
    fn drain(mut src: impl Refill, consume: &[usize]) -> Vec<u8> {
        let (mut buf, mut start, mut end) = (Vec::new(), 0, 0);
        let mut out = Vec::new();
        let mut i = 0;
        while src.refill(&mut buf, &mut start, &mut end).unwrap() {
            let take = consume[i % consume.len()].min(end - start);
            i += 1;
            out.extend_from_slice(&buf[start..start + take]);
            start += take;
        }
        out.extend_from_slice(&buf[start..end]);
        out
    }

    #[test]
    fn prefetch_gives_every_byte_in_order() {
        let data: Vec<u8> = (0..3 * CHUNK_BYTES + 12345)
            .map(|i| (i % 251) as u8)
            .collect();
        // Consumed all, little (kept part moves into the room in front),
        // or almost nothing (kept part outgrows the room).
        for consume in [&[usize::MAX][..], &[CHUNK_BYTES - 100], &[10, 0, 0]] {
            let leaked: &'static [u8] = Box::leak(data.clone().into_boxed_slice());
            let got = drain(Prefetch::spawn(leaked).unwrap(), consume);
            assert_eq!(got, data, "consume {consume:?}");
            let got = drain(Direct(Dribble(&data, 1000)), consume);
            assert_eq!(got, data, "direct, consume {consume:?}");
        }
    }

    #[test]
    fn prefetch_passes_on_read_errors() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut p = Prefetch::spawn(Broken).unwrap();
        let (mut buf, mut start, mut end) = (Vec::new(), 0, 0);
        let e = p.refill(&mut buf, &mut start, &mut end).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
    }
}
