//! pprof's binary goroutine profiles: `/debug/pprof/goroutine?debug=0` and
//! `/debug/pprof/goroutineleak?debug=0`, a gzipped (or raw) `profile.proto`.
//!
//! Decoding is prost's, with code generated from the published schema
//! (`proto/profile.proto`, vendored from google/pprof, last changed there in
//! its commit 101d87f) into the private `pb` module (`src/dump/proto/pb.rs`)
//! by `tools/protogen`; this module only checks and resolves what was
//! decoded: the string table, the location and function tables, the counts.
//!
//! Everything is bounded: the decompressed profile by the caller's `limit`
//! (read through [`Read::take`], never past `limit + 1` bytes), and the
//! expanded samples (frames and labels, counted in bytes) by
//! [`MAX_EXPANDED_BYTES`].
//! Out-of-range indices and ids, negative counts and malformed protobuf
//! (absurd lengths included) are errors, never panics.
//!
//! What a Go goroutine profile holds (observed with Go 1.26 and 1.27, see
//! `tests/fixtures/dumps/proto-unit/`): one sample type, `goroutine/count`
//! (`goroutineleak/count` for the leak profile), and the same period type;
//! one sample per distinct stack with its count and its `pprof.Do` labels;
//! stacks innermost first, starting with the runtime's frames
//! (`runtime.gopark`, `runtime.chanrecv`, …), which the `debug=1` text hides,
//! and without `runtime.goexit`. There is no creator (`created by`) in it.

use std::collections::HashMap;
use std::io::{self, Read};

use prost::Message;

/// Most bytes the expanded samples of one profile may take (their frames
/// and labels: the structs and the strings, each stack's strings counted
/// again). The profile shares its strings and stacks; the samples do not, so
/// a small profile can expand far (a 1 MiB profile to gigabytes): past this
/// it is refused with [`ProtoError::TooManyFrames`].
pub const MAX_EXPANDED_BYTES: u64 = 1 << 30;

/// One goroutine stack of a count profile, with how many goroutines have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSample {
    /// How many goroutines have this stack (and these labels).
    pub count: u64,
    /// The stack, innermost first, inlined functions expanded: a location's
    /// `line` entries in their order, the last being the function the
    /// previous ones were inlined into.
    pub frames: Vec<ProfileFrame>,
    /// The goroutines' pprof labels (`pprof.Do`, `pprof.SetGoroutineLabels`),
    /// key and value, in the profile's order. A numeric label's value is the
    /// number in decimal, followed by a space and its unit when it has one.
    pub labels: Vec<(String, String)>,
}

/// One frame of a [`ProfileSample`]'s stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFrame {
    /// The function (`main.handler.func1`), from the string table; for a
    /// location without symbols, its address (`0x4e2b39`).
    pub function: String,
    /// The source file as recorded (empty when unknown).
    pub file: String,
    /// The line in `file` (0 when unknown).
    pub line: u32,
    /// Inlined into the next frame (the same location's later `line` entry).
    pub inlined: bool,
}

/// A goroutine count profile, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The sample type: `goroutine`, or `goroutineleak` (goroutines the GC
    /// proved leaked, Go 1.27's `/debug/pprof/goroutineleak`).
    pub sample_type: String,
    /// Goroutines in the profile: the sum of the samples' counts.
    pub total: u64,
    /// One per distinct stack (and label set), in the profile's order.
    pub samples: Vec<ProfileSample>,
}

/// Why a `profile.proto` cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    /// Larger than the limit once decompressed.
    #[error("the profile is larger than the limit of {limit} bytes (decompressed)")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Its samples' stacks and labels expand past [`MAX_EXPANDED_BYTES`].
    #[error("the profile's stacks and labels expand past {limit} bytes")]
    TooManyFrames {
        /// The limit, in bytes.
        limit: u64,
    },
    /// No bytes at all (or a gzip stream of nothing).
    #[error("the profile is empty")]
    Empty,
    /// The input could not be read.
    #[error("cannot read the profile: {0}")]
    Read(#[source] io::Error),
    /// A gzip stream that is cut or corrupt.
    #[error("the profile's gzip stream is cut or corrupt: {0}")]
    Gzip(String),
    /// Not a valid `profile.proto`, or one whose tables do not hold
    /// together (an index or id out of range, a negative count, …).
    #[error("not a valid profile.proto: {0}")]
    Decode(String),
    /// A profile, but not a goroutine count profile (heap, CPU, …).
    #[error("not a goroutine profile: its sample types are {0}")]
    NotACountProfile(String),
}

/// Whether `head`, the first bytes of an input, may be a `profile.proto`:
/// gzip's magic (`1f 8b`), or bytes that read as the top-level fields of a
/// `Profile` (known field numbers with their wire types, at least one field
/// complete; a field cut by the end of `head` is fine). Text (printable
/// characters and white space only) never is.
pub fn looks_like_profile(head: &[u8]) -> bool {
    if head.starts_with(&[0x1f, 0x8b]) {
        return true;
    }
    // Every profile has a small varint (a message's field key, an index)
    // among its first bytes: a control character, which text has not.
    let text = head
        .iter()
        .all(|&b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e) || b >= 0x80);
    if text {
        return false;
    }
    let mut rest = head;
    let mut complete = 0usize;
    while !rest.is_empty() {
        let Some((key, n)) = varint(rest) else {
            // Cut inside the key: plausible if a field came before.
            return complete > 0 && rest.len() < 10;
        };
        rest = &rest[n..];
        let (field, wire) = (key >> 3, key & 7);
        let ok = match field {
            // sample_type, sample, mapping, location, function,
            // string_table, period_type, label_set: messages and strings.
            1..=6 | 11 | 16 => wire == 2,
            // comment: repeated int64, packed or not.
            13 => wire == 2 || wire == 0,
            // drop_frames … time_nanos, duration_nanos, period,
            // default_sample_type, tick_unit: int64.
            7..=10 | 12 | 14 | 15 => wire == 0,
            _ => false,
        };
        if !ok {
            return false;
        }
        let Some((value, n)) = varint(rest) else {
            return rest.len() < 10;
        };
        rest = &rest[n..];
        if wire == 2 {
            let Ok(len) = usize::try_from(value) else {
                return false;
            };
            if len > rest.len() {
                // The field goes on past `head`.
                return true;
            }
            rest = &rest[len..];
        }
        complete += 1;
    }
    complete > 0
}

/// A protobuf varint at the start of `bytes`: its value and length, or none
/// when cut or longer than ten bytes.
fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Reads a goroutine profile (gzipped or raw `profile.proto`) of at most
/// `limit` bytes decompressed, and resolves its samples.
pub fn read_profile<R: Read>(reader: R, limit: u64) -> Result<Profile, ProtoError> {
    let bytes = read_bytes(reader, limit)?;
    if bytes.is_empty() {
        return Err(ProtoError::Empty);
    }
    let decoded =
        pb::Profile::decode(bytes.as_slice()).map_err(|e| ProtoError::Decode(e.to_string()))?;
    drop(bytes);
    resolve(&decoded, MAX_EXPANDED_BYTES)
}

/// A reader that keeps its inner reader's error, to tell a failing input
/// from a corrupt gzip stream (flate2 reports both as `io::Error`).
struct Keep<R> {
    inner: R,
    error: Option<io::Error>,
}

impl<R: Read> Read for Keep<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => {
                let shown = io::Error::new(e.kind(), e.to_string());
                self.error = Some(e);
                Err(shown)
            }
            other => other,
        }
    }
}

/// The decompressed bytes, at most `limit`.
fn read_bytes<R: Read>(mut reader: R, limit: u64) -> Result<Vec<u8>, ProtoError> {
    // The first two bytes, to tell gzip from raw.
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ProtoError::Read(e)),
        }
    }
    let head = &head[..got];
    let cap = limit.saturating_add(1);
    let mut out = Vec::new();
    if head == [0x1f, 0x8b] {
        let mut input = Keep {
            inner: head.chain(reader),
            error: None,
        };
        let result = flate2::read::MultiGzDecoder::new(&mut input)
            .take(cap)
            .read_to_end(&mut out);
        if let Err(e) = result {
            return Err(match input.error.take() {
                Some(inner) => ProtoError::Read(inner),
                None => ProtoError::Gzip(e.to_string()),
            });
        }
    } else {
        head.chain(reader)
            .take(cap)
            .read_to_end(&mut out)
            .map_err(ProtoError::Read)?;
    }
    if out.len() as u64 > limit {
        return Err(ProtoError::TooLarge { limit });
    }
    Ok(out)
}

/// The decoded tables, checked, and the samples expanded in at most
/// `budget` bytes.
fn resolve(p: &pb::Profile, budget: u64) -> Result<Profile, ProtoError> {
    let strings = Strings(&p.string_table);
    let types: Vec<(&str, &str)> = p
        .sample_type
        .iter()
        .map(|t| {
            Ok((
                strings.get(t.r#type, "sample type")?,
                strings.get(t.unit, "sample unit")?,
            ))
        })
        .collect::<Result<_, ProtoError>>()?;
    let sample_type = match types.as_slice() {
        [(kind @ ("goroutine" | "goroutineleak"), "count")] => (*kind).to_string(),
        _ => {
            let shown: Vec<String> = types.iter().map(|(t, u)| format!("{t}/{u}")).collect();
            let shown = if shown.is_empty() {
                "none".to_string()
            } else {
                shown.join(", ")
            };
            return Err(ProtoError::NotACountProfile(shown));
        }
    };

    let mut functions: HashMap<u64, (&str, &str)> = HashMap::with_capacity(p.function.len());
    for f in &p.function {
        if f.id == 0 {
            return Err(ProtoError::Decode("a function has id 0".into()));
        }
        let name = strings.get(f.name, "function name")?;
        let file = strings.get(f.filename, "function file name")?;
        if functions.insert(f.id, (name, file)).is_some() {
            return Err(ProtoError::Decode(format!(
                "function id {} appears twice",
                f.id
            )));
        }
    }
    let mut locations: HashMap<u64, &pb::Location> = HashMap::with_capacity(p.location.len());
    for l in &p.location {
        if l.id == 0 {
            return Err(ProtoError::Decode("a location has id 0".into()));
        }
        if locations.insert(l.id, l).is_some() {
            return Err(ProtoError::Decode(format!(
                "location id {} appears twice",
                l.id
            )));
        }
    }

    // What the expanded samples cost, against `limit`.
    let mut budget = Budget {
        left: budget,
        limit: budget,
    };
    let mut total = 0u64;
    let mut samples = Vec::with_capacity(p.sample.len().min(1 << 16));
    for (i, s) in p.sample.iter().enumerate() {
        let count = match s.value.as_slice() {
            [v] => u64::try_from(*v).map_err(|_| {
                ProtoError::Decode(format!("sample {i} has a negative count ({v})"))
            })?,
            values => {
                return Err(ProtoError::Decode(format!(
                    "sample {i} has {} values for 1 sample type",
                    values.len()
                )))
            }
        };
        total = total
            .checked_add(count)
            .ok_or_else(|| ProtoError::Decode("the counts add up past 2^64".into()))?;
        budget.spend(std::mem::size_of::<ProfileSample>())?;
        let mut frames = Vec::new();
        for &id in &s.location_id {
            let loc = locations.get(&id).ok_or_else(|| {
                ProtoError::Decode(format!(
                    "sample {i} names location id {id}, which is not in the profile"
                ))
            })?;
            if loc.line.is_empty() {
                budget.spend(std::mem::size_of::<ProfileFrame>() + 18)?;
                frames.push(ProfileFrame {
                    function: format!("{:#x}", loc.address),
                    file: String::new(),
                    line: 0,
                    inlined: false,
                });
                continue;
            }
            let last = loc.line.len() - 1;
            for (j, line) in loc.line.iter().enumerate() {
                let (function, file) = if line.function_id == 0 {
                    ("", "")
                } else {
                    *functions.get(&line.function_id).ok_or_else(|| {
                        ProtoError::Decode(format!(
                            "location id {id} names function id {}, which is not in the profile",
                            line.function_id
                        ))
                    })?
                };
                let number = u32::try_from(line.line).map_err(|_| {
                    ProtoError::Decode(format!("location id {id} has line number {}", line.line))
                })?;
                budget.spend(std::mem::size_of::<ProfileFrame>() + function.len() + file.len())?;
                frames.push(ProfileFrame {
                    function: if function.is_empty() {
                        format!("{:#x}", loc.address)
                    } else {
                        function.to_string()
                    },
                    file: file.to_string(),
                    line: number,
                    inlined: j < last,
                });
            }
        }
        let mut labels = Vec::with_capacity(s.label.len().min(64));
        for l in &s.label {
            let key = strings.get(l.key, "label key")?;
            let value = if l.str != 0 {
                strings.get(l.str, "label value")?.to_string()
            } else {
                let unit = strings.get(l.num_unit, "label unit")?;
                if unit.is_empty() {
                    l.num.to_string()
                } else {
                    format!("{} {unit}", l.num)
                }
            };
            budget.spend(std::mem::size_of::<(String, String)>() + key.len() + value.len())?;
            labels.push((key.to_string(), value));
        }
        samples.push(ProfileSample {
            count,
            frames,
            labels,
        });
    }
    Ok(Profile {
        sample_type,
        total,
        samples,
    })
}

/// Bytes the expanded samples may still take.
struct Budget {
    left: u64,
    limit: u64,
}

impl Budget {
    fn spend(&mut self, bytes: usize) -> Result<(), ProtoError> {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        self.left = self
            .left
            .checked_sub(bytes)
            .ok_or(ProtoError::TooManyFrames { limit: self.limit })?;
        Ok(())
    }
}

/// The string table, with checked indices.
struct Strings<'a>(&'a [String]);

impl<'a> Strings<'a> {
    /// The string at `index`; `what` names the field for the error. Index 0
    /// is the empty string, even in a profile without a table.
    fn get(&self, index: i64, what: &str) -> Result<&'a str, ProtoError> {
        if index == 0 {
            return Ok(self.0.first().map_or("", String::as_str));
        }
        usize::try_from(index)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(String::as_str)
            .ok_or_else(|| {
                ProtoError::Decode(format!(
                    "{what} is string {index}, outside the string table of {} strings",
                    self.0.len()
                ))
            })
    }
}

// The prost code generated from `proto/profile.proto` (`src/dump/proto/pb.rs`,
// written by `tools/protogen`).
#[allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]
#[rustfmt::skip]
mod pb;

#[cfg(test)]
mod tests {
    //! Fixtures: real profiles of one Go process snapshot, `debug=0` and
    //! `debug=1` (tests/fixtures/dumps/proto-unit/, made by its gen/ program
    //! with Go 1.26 and 1.27). Malformed inputs are derived from them.

    use super::*;
    use std::io::Write;

    const GO126_PB: &[u8] =
        include_bytes!("../../tests/fixtures/dumps/proto-unit/go1.26/goroutine.pb.gz");
    const GO126_TXT: &str =
        include_str!("../../tests/fixtures/dumps/proto-unit/go1.26/goroutine.txt");
    const GO127_PB: &[u8] =
        include_bytes!("../../tests/fixtures/dumps/proto-unit/go1.27/goroutine.pb.gz");
    const GO127_TXT: &str =
        include_str!("../../tests/fixtures/dumps/proto-unit/go1.27/goroutine.txt");
    const LEAK_PB: &[u8] =
        include_bytes!("../../tests/fixtures/dumps/proto-unit/go1.27/goroutineleak.pb.gz");
    const LEAK_TXT: &str =
        include_str!("../../tests/fixtures/dumps/proto-unit/go1.27/goroutineleak.txt");

    const LIMIT: u64 = 1 << 20;

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn gzip(raw: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(raw).unwrap();
        e.finish().unwrap()
    }

    fn decoded(gz: &[u8]) -> pb::Profile {
        pb::Profile::decode(gunzip(gz).as_slice()).unwrap()
    }

    fn read(bytes: &[u8]) -> Result<Profile, ProtoError> {
        read_profile(bytes, LIMIT)
    }

    /// One record of a `debug=1` profile: count, sorted labels, and frames
    /// (function, file, line).
    type Record = (u64, Vec<(String, String)>, Vec<(String, String, u32)>);

    /// `goroutine profile: total N` and the records of a `debug=1` text.
    fn parse_debug1(text: &str) -> (u64, Vec<Record>) {
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let total = header.rsplit_once("total ").unwrap().1.parse().unwrap();
        let mut records = Vec::new();
        for line in lines {
            if line.is_empty() {
                continue;
            }
            if let Some((count, _pcs)) = line.split_once(" @ ") {
                records.push((count.parse().unwrap(), Vec::new(), Vec::new()));
                continue;
            }
            let record = records.last_mut().unwrap();
            if let Some(json) = line.strip_prefix("# labels: ") {
                let map: std::collections::BTreeMap<String, String> =
                    serde_json::from_str(json).unwrap();
                record.1 = map.into_iter().collect();
                continue;
            }
            // `#\t0xPC\tfunc+0xOFF\tfile:line`, padded with tabs.
            let fields: Vec<&str> = line.split('\t').filter(|f| !f.is_empty()).collect();
            assert_eq!(fields.len(), 4, "{line:?}");
            let function = fields[2].rsplit_once("+0x").unwrap().0.to_string();
            let (file, number) = fields[3].rsplit_once(':').unwrap();
            record
                .2
                .push((function, file.to_string(), number.parse().unwrap()));
        }
        (total, records)
    }

    /// A sample as `debug=1` prints it: without the runtime frames at the
    /// top of the stack (pprof's printStackRecord hides them) nor
    /// `runtime.goexit`.
    fn as_debug1(s: &ProfileSample) -> Record {
        let mut shown = false;
        let frames = s
            .frames
            .iter()
            .filter(|f| {
                if f.function == "runtime.goexit" {
                    return false;
                }
                let runtime = f.function.starts_with("runtime.")
                    || f.function.starts_with("internal/runtime/");
                shown |= !runtime;
                shown
            })
            .map(|f| (f.function.clone(), f.file.clone(), f.line))
            .collect();
        let mut labels = s.labels.clone();
        labels.sort();
        (s.count, labels, frames)
    }

    /// The stack of the goroutine that wrote the profile: it differs between
    /// the two forms (they are written by different code).
    fn is_writer(r: &Record) -> bool {
        r.2.iter().any(|f| f.0 == "runtime/pprof.writeGoroutine")
    }

    fn functions(s: &ProfileSample) -> Vec<&str> {
        s.frames.iter().map(|f| f.function.as_str()).collect()
    }

    fn check_against_debug1(pb: &[u8], txt: &str, sample_type: &str) -> Profile {
        let profile = read(pb).unwrap();
        assert_eq!(profile.sample_type, sample_type);
        let (total, records) = parse_debug1(txt);
        assert_eq!(profile.total, total);
        assert_eq!(
            profile.samples.iter().map(|s| s.count).sum::<u64>(),
            profile.total
        );
        let mut want: Vec<Record> = records.iter().filter(|r| !is_writer(r)).cloned().collect();
        let mut got: Vec<Record> = profile
            .samples
            .iter()
            .map(as_debug1)
            .filter(|r| !is_writer(r))
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want);
        let writers = |n: usize| {
            assert!(n <= 1, "more than one writer stack");
            n
        };
        assert_eq!(
            writers(records.iter().filter(|r| is_writer(r)).count()),
            writers(
                profile
                    .samples
                    .iter()
                    .map(as_debug1)
                    .filter(is_writer)
                    .count()
            )
        );
        profile
    }

    #[test]
    fn go126_goroutine_profile_matches_its_debug1_text() {
        let p = check_against_debug1(GO126_PB, GO126_TXT, "goroutine");
        assert_eq!(p.total, 8);
        let count = |f: &str| -> u64 {
            p.samples
                .iter()
                .filter(|s| s.frames.iter().any(|fr| fr.function == f))
                .map(|s| s.count)
                .sum()
        };
        assert_eq!(count("main.blockedSend"), 3);
        assert_eq!(count("main.blockedRecv"), 2);
        assert_eq!(count("main.blockedLabeled"), 1);
        assert_eq!(count("main.viaInline"), 1);
    }

    #[test]
    fn go127_goroutine_and_goroutineleak_profiles_match_their_debug1_text() {
        let all = check_against_debug1(GO127_PB, GO127_TXT, "goroutine");
        let leak = check_against_debug1(LEAK_PB, LEAK_TXT, "goroutineleak");
        // The leak profile has the unreachable half; the goroutine profile
        // has both halves and the writer.
        assert_eq!(leak.total, 7);
        assert_eq!(all.total, 15);
    }

    #[test]
    fn stacks_are_innermost_first_from_the_runtime_without_goexit() {
        let p = read(GO126_PB).unwrap();
        let send = p
            .samples
            .iter()
            .find(|s| s.frames.iter().any(|f| f.function == "main.blockedSend"))
            .unwrap();
        assert_eq!(
            functions(send),
            [
                "runtime.gopark",
                "runtime.chansend",
                "runtime.chansend1",
                "main.blockedSend"
            ]
        );
        assert_eq!(send.count, 3);
        assert!(send.labels.is_empty());
        let last = send.frames.last().unwrap();
        assert!(
            last.file.ends_with("proto-unit/gen/main.go"),
            "{}",
            last.file
        );
        assert_eq!(last.line, 31);
        assert!(send.frames.iter().all(|f| !f.inlined));
        for s in &p.samples {
            assert!(s.frames.iter().all(|f| f.function != "runtime.goexit"));
            assert!(s
                .frames
                .iter()
                .all(|f| !f.function.is_empty() && f.line > 0));
        }
    }

    #[test]
    fn inlined_functions_are_expanded_before_their_caller() {
        let p = read(GO126_PB).unwrap();
        let s = p
            .samples
            .iter()
            .find(|s| s.frames.iter().any(|f| f.function == "main.viaInline"))
            .unwrap();
        let at = s
            .frames
            .iter()
            .position(|f| f.function == "main.recvInline")
            .unwrap();
        assert!(s.frames[at].inlined);
        assert_eq!(s.frames[at + 1].function, "main.viaInline");
        assert!(!s.frames[at + 1].inlined);
        assert_eq!((s.frames[at].line, s.frames[at + 1].line), (40, 43));
        assert_eq!(s.frames.iter().filter(|f| f.inlined).count(), 1);
    }

    #[test]
    fn pprof_do_labels_are_read() {
        let p = read(GO126_PB).unwrap();
        let s = p
            .samples
            .iter()
            .find(|s| s.frames.iter().any(|f| f.function == "main.blockedLabeled"))
            .unwrap();
        let mut labels = s.labels.clone();
        labels.sort();
        assert_eq!(
            labels,
            [
                ("handler".to_string(), "/slow".to_string()),
                ("request".to_string(), "42".to_string())
            ]
        );
        assert_eq!(p.samples.iter().filter(|s| !s.labels.is_empty()).count(), 1);
    }

    #[test]
    fn the_profile_has_no_creator() {
        // No `created by` anywhere: not in the functions, the labels or the
        // comments; the stacks end at the goroutine's entry function.
        for pb in [GO126_PB, GO127_PB, LEAK_PB] {
            let d = decoded(pb);
            assert!(d.comment.is_empty());
            assert!(d
                .string_table
                .iter()
                .all(|s| !s.contains("created by") && s != "runtime.goexit"));
            let p = read(pb).unwrap();
            let send = p
                .samples
                .iter()
                .find(|s| s.frames.iter().any(|f| f.function == "main.blockedSend"))
                .unwrap();
            assert_eq!(send.frames.last().unwrap().function, "main.blockedSend");
        }
    }

    #[test]
    fn sample_and_period_types_are_goroutine_count() {
        for (pb, kind) in [
            (GO126_PB, "goroutine"),
            (GO127_PB, "goroutine"),
            (LEAK_PB, "goroutineleak"),
        ] {
            let d = decoded(pb);
            let s = |i: i64| d.string_table[usize::try_from(i).unwrap()].as_str();
            assert_eq!(d.sample_type.len(), 1);
            assert_eq!(
                (s(d.sample_type[0].r#type), s(d.sample_type[0].unit)),
                (kind, "count")
            );
            let period = d.period_type.as_ref().unwrap();
            assert_eq!((s(period.r#type), s(period.unit)), (kind, "count"));
            assert_eq!(d.period, 1);
        }
    }

    #[test]
    fn raw_uncompressed_profiles_read_the_same() {
        for pb in [GO126_PB, GO127_PB, LEAK_PB] {
            let raw = gunzip(pb);
            assert_ne!(raw[..2], [0x1f, 0x8b]);
            assert_eq!(read(&raw).unwrap(), read(pb).unwrap());
        }
    }

    #[test]
    fn concatenated_gzip_members_are_one_profile() {
        let raw = gunzip(GO126_PB);
        let (a, b) = raw.split_at(raw.len() / 2);
        let mut two = gzip(a);
        two.extend(gzip(b));
        assert_eq!(read(&two).unwrap(), read(GO126_PB).unwrap());
    }

    #[test]
    fn a_reader_giving_one_byte_at_a_time_is_fine() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((&b, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                if buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = b;
                self.0 = rest;
                Ok(1)
            }
        }
        let p = read_profile(Trickle(GO126_PB), LIMIT).unwrap();
        assert_eq!(p, read(GO126_PB).unwrap());
    }

    #[test]
    fn looks_like_profile_knows_gzip_raw_and_text() {
        assert!(looks_like_profile(GO126_PB));
        assert!(looks_like_profile(&GO126_PB[..2]));
        for pb in [GO126_PB, GO127_PB, LEAK_PB] {
            let raw = gunzip(pb);
            assert!(looks_like_profile(&raw));
            for n in [6, 16, 64, 512] {
                assert!(looks_like_profile(&raw[..n]), "first {n} bytes");
            }
        }
        for text in [
            GO126_TXT,
            LEAK_TXT,
            "goroutine 1 [running]:\nmain.main()\n",
            "\n\ngoroutine 1 [running]:\nmain.main()\n",
            "\ngoroutine profile: total 3\n",
            "",
        ] {
            assert!(!looks_like_profile(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn empty_input_is_an_error() {
        assert!(matches!(read(b""), Err(ProtoError::Empty)));
        assert!(matches!(read(&gzip(b"")), Err(ProtoError::Empty)));
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let n = GO126_PB.len();
        for cut in [3, 10, n / 2, n - 8, n - 1] {
            match read(&GO126_PB[..cut]) {
                Err(ProtoError::Gzip(_)) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        // The CRC in the trailer no longer matches.
        let mut bad = GO126_PB.to_vec();
        let at = bad.len() - 6;
        bad[at] ^= 0xff;
        assert!(
            matches!(read(&bad), Err(ProtoError::Gzip(_))),
            "{:?}",
            read(&bad)
        );
    }

    #[test]
    fn truncated_raw_protobuf_is_a_decode_error() {
        let raw = gunzip(GO126_PB);
        // Cut inside the string table (the last field Go writes): prost
        // sees a length past the end.
        let err = read(&raw[..raw.len() - 3]).unwrap_err();
        assert!(matches!(err, ProtoError::Decode(_)), "{err:?}");
    }

    #[test]
    fn absurd_declared_lengths_are_prost_decode_errors() {
        // The real profile, its first field's (period_type's) one-byte
        // length replaced by huge varints: prost refuses them without
        // allocating, and an over-long varint too.
        let raw = gunzip(GO126_PB);
        assert_eq!(
            raw[0], 0x5a,
            "period_type (field 11, length-delimited) comes first"
        );
        let huge: [&[u8]; 4] = [
            // 2^63 - 1
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
            // 2^64 - 1
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            // 2^32
            &[0x80, 0x80, 0x80, 0x80, 0x10],
            // eleven bytes: not a varint
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
        ];
        for len in huge {
            let mut bad = vec![raw[0]];
            bad.extend_from_slice(len);
            bad.extend_from_slice(&raw[2..]);
            for input in [bad.clone(), gzip(&bad)] {
                match read(&input) {
                    Err(ProtoError::Decode(msg)) => assert!(!msg.is_empty()),
                    other => panic!("{len:?}: {other:?}"),
                }
            }
        }
        // A sample's length one past the end of the profile.
        let d = decoded(GO126_PB);
        let mut sample = Vec::new();
        d.sample[0].encode(&mut sample).unwrap();
        let mut bad = vec![0x12];
        prost::encoding::encode_varint(sample.len() as u64 + 1, &mut bad);
        bad.extend_from_slice(&sample);
        assert!(matches!(read(&bad), Err(ProtoError::Decode(_))));
    }

    #[test]
    fn a_decompression_bomb_is_refused_at_the_limit() {
        let bomb = gzip(&vec![0u8; 16 << 20]);
        assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
        match read_profile(bomb.as_slice(), LIMIT) {
            Err(ProtoError::TooLarge { limit }) => assert_eq!(limit, LIMIT),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_limit_is_on_decompressed_bytes_and_inclusive() {
        let raw = gunzip(GO126_PB);
        let n = raw.len() as u64;
        for input in [GO126_PB.to_vec(), raw] {
            assert!(read_profile(input.as_slice(), n).is_ok());
            assert!(matches!(
                read_profile(input.as_slice(), n - 1),
                Err(ProtoError::TooLarge { limit }) if limit == n - 1
            ));
        }
        assert!(matches!(
            read_profile(GO126_PB, 0),
            Err(ProtoError::TooLarge { limit: 0 })
        ));
    }

    #[test]
    fn stacks_expanding_past_the_budget_are_refused() {
        let d = decoded(GO126_PB);
        let full = resolve(&d, MAX_EXPANDED_BYTES).unwrap();
        assert_eq!(full, read(GO126_PB).unwrap());
        assert!(matches!(
            resolve(&d, 100),
            Err(ProtoError::TooManyFrames { limit: 100 })
        ));
        // One location named a million times: refused, not a million frames.
        let mut d = decoded(GO126_PB);
        let id = d.location[0].id;
        d.sample[0].location_id = vec![id; 1_000_000];
        assert!(matches!(
            resolve(&d, 1 << 20),
            Err(ProtoError::TooManyFrames { .. })
        ));
    }

    /// The real profile, changed by `f` and encoded again.
    fn mutated(f: impl FnOnce(&mut pb::Profile)) -> Result<Profile, ProtoError> {
        let mut d = decoded(GO126_PB);
        f(&mut d);
        read(&d.encode_to_vec())
    }

    fn decode_error(r: Result<Profile, ProtoError>) -> String {
        match r {
            Err(ProtoError::Decode(msg)) => msg,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn string_indices_out_of_range_are_errors() {
        let msg = decode_error(mutated(|d| d.function[0].name = 1_000_000));
        assert!(
            msg.contains("function name is string 1000000, outside the string table"),
            "{msg}"
        );
        let msg = decode_error(mutated(|d| d.function[0].filename = -1));
        assert!(msg.contains("function file name is string -1"), "{msg}");
        let msg = decode_error(mutated(|d| d.sample_type[0].unit = i64::MAX));
        assert!(msg.contains("sample unit"), "{msg}");
        let n = decoded(GO126_PB).string_table.len() as i64;
        let msg = decode_error(mutated(|d| {
            d.sample[0].label.push(pb::Label {
                key: n,
                ..Default::default()
            })
        }));
        assert!(msg.contains("label key"), "{msg}");
        // The last index is in range.
        assert!(mutated(|d| d.function[0].filename = n - 1).is_ok());
    }

    #[test]
    fn unknown_location_and_function_ids_are_errors() {
        let msg = decode_error(mutated(|d| d.sample[0].location_id.push(u64::MAX)));
        assert!(
            msg.contains("location id 18446744073709551615, which is not in the profile"),
            "{msg}"
        );
        let msg = decode_error(mutated(|d| d.location[0].line[0].function_id = 999_999));
        assert!(
            msg.contains("function id 999999, which is not in the profile"),
            "{msg}"
        );
        let msg = decode_error(mutated(|d| {
            let again = d.location[0].clone();
            d.location.push(again);
        }));
        assert!(msg.contains("appears twice"), "{msg}");
        let msg = decode_error(mutated(|d| d.function[0].id = 0));
        assert!(msg.contains("id 0"), "{msg}");
        let msg = decode_error(mutated(|d| d.location[0].line[0].line = -5));
        assert!(msg.contains("line number -5"), "{msg}");
    }

    #[test]
    fn a_location_without_lines_is_its_address() {
        let p = mutated(|d| {
            let id = d.sample[0].location_id[0];
            let loc = d.location.iter_mut().find(|l| l.id == id).unwrap();
            loc.line.clear();
            loc.address = 0x4e2b39;
        })
        .unwrap();
        assert_eq!(p.samples[0].frames[0].function, "0x4e2b39");
        assert_eq!(
            (
                p.samples[0].frames[0].file.as_str(),
                p.samples[0].frames[0].line
            ),
            ("", 0)
        );
    }

    #[test]
    fn negative_or_missing_counts_are_errors() {
        let msg = decode_error(mutated(|d| d.sample[0].value = vec![-3]));
        assert!(msg.contains("negative count (-3)"), "{msg}");
        let msg = decode_error(mutated(|d| d.sample[0].value.clear()));
        assert!(msg.contains("0 values"), "{msg}");
        let msg = decode_error(mutated(|d| {
            d.sample[0].value = vec![i64::MAX];
            d.sample[1].value = vec![i64::MAX];
            d.sample[2].value = vec![i64::MAX];
        }));
        assert!(msg.contains("past 2^64"), "{msg}");
    }

    #[test]
    fn other_profiles_are_not_count_profiles() {
        // A heap-like profile: two sample types.
        let r = mutated(|d| {
            let t = d.sample_type[0];
            d.sample_type.push(t);
        });
        match r {
            Err(ProtoError::NotACountProfile(types)) => {
                assert_eq!(types, "goroutine/count, goroutine/count")
            }
            other => panic!("{other:?}"),
        }
        // threadcreate/count: a count, but not goroutines.
        let r = mutated(|d| {
            d.string_table.push("threadcreate".into());
            d.sample_type[0].r#type = d.string_table.len() as i64 - 1;
        });
        assert!(matches!(r, Err(ProtoError::NotACountProfile(t)) if t == "threadcreate/count"));
        let r = mutated(|d| d.sample_type.clear());
        assert!(matches!(r, Err(ProtoError::NotACountProfile(t)) if t == "none"));
        // Text is not a profile either.
        assert!(read(GO126_TXT.as_bytes()).is_err());
    }

    #[test]
    fn read_errors_are_not_reported_as_gzip_errors() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("connection reset"));
                }
                let n = self.0.min(buf.len()).min(GO126_PB.len());
                buf[..n].copy_from_slice(&GO126_PB[..n]);
                self.0 = 0;
                Ok(n)
            }
        }
        for first in [0, 2, 100] {
            match read_profile(Failing(first), LIMIT) {
                Err(ProtoError::Read(e)) => assert_eq!(e.to_string(), "connection reset"),
                other => panic!("{first}: {other:?}"),
            }
        }
    }

    #[test]
    fn mutated_profiles_never_panic() {
        // Deterministic byte flips, insertions and cuts of the real profile,
        // raw and gzipped: every one is a profile or an error.
        let raw = gunzip(GO127_PB);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..3000 {
            let mut bytes = if round % 5 == 0 {
                GO127_PB.to_vec()
            } else {
                raw.clone()
            };
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => bytes[at] = next() as u8,
                    1 => bytes.insert(at, next() as u8),
                    _ => bytes.truncate(at.max(1)),
                }
            }
            let _ = read(&bytes);
            let _ = looks_like_profile(&bytes);
        }
    }
}
