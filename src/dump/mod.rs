//! Goroutine dumps of running services: read, group by the `go` statement
//! that created each goroutine, judge with the allowlist, diff.
//!
//! ```text
//!  dump bytes ─read─▶ records (stack × count) ─group─▶ Dump (groups by creator) ─diff─▶ Diff ─view─▶ report::dump
//!  debug=2, runtime.Stack,   one at a time,            fingerprint, go statement,   grew, shrank,
//!  SIGQUIT, debug=1,         never all in memory       allowlist, `(leaked)`        appeared, vanished
//!  debug=0 (profile.proto)
//! ```
//!
//! The formats differ in what they say. A traceback (`?debug=2`,
//! `runtime.Stack(buf, true)`, a SIGQUIT or `GOTRACEBACK=all` crash) gives
//! each goroutine's state and its `created by` line: the `go` statement.
//! The count profiles (`?debug=1`, `?debug=0`) give distinct stacks with a
//! count, and no creator: their groups are keyed by the function the
//! goroutine started in (the stack's outermost frame), and the `go`
//! statement's place is unknown there, which the reports say.

pub mod diff;
pub mod fetch;
pub mod proto;
mod text;
pub mod watch;

use std::io::{BufRead, Read};

use rustc_hash::FxHashMap;

use crate::matching::matcher::{Scratch, Subject};
use crate::paths::{Repo, SourceRef};
use crate::policy::Policy;
use crate::stack::{CreatedBy, Frame, Goroutine};

/// Largest decompressed `profile.proto` read (bytes): a
/// 100,000-goroutine profile is a few MB, and a hostile one of empty
/// messages decodes into many times its size.
pub const MAX_PROTO_BYTES: u64 = 64 << 20;
/// Distinct stacks kept per group for the report (the rest are counted).
pub const MAX_STACKS_PER_GROUP: usize = 8;

/// What produced a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    /// `?debug=2`, `runtime.Stack(buf, true)`, SIGQUIT and crash dumps.
    Traceback,
    /// `?debug=1`: distinct stacks with counts.
    Counts,
    /// `?debug=0`: gzipped `profile.proto`.
    Proto,
}

impl DumpFormat {
    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            DumpFormat::Traceback => "traceback",
            DumpFormat::Counts => "counts (debug=1)",
            DumpFormat::Proto => "profile.proto (debug=0)",
        }
    }

    /// Whether goroutines carry their creator (`created by`).
    pub fn has_creators(self) -> bool {
        self == DumpFormat::Traceback
    }
}

/// Why a dump cannot be judged (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DumpError {
    /// Could not be read.
    #[error("{name}: cannot read it: {source}")]
    #[diagnostic(code(leakgate::dump::unreadable))]
    Unreadable {
        /// Input name.
        name: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Nothing in it.
    #[error("{name} is empty: no goroutine dump to read")]
    #[diagnostic(
        code(leakgate::dump::empty),
        help(
            "take it with `curl -sS http://127.0.0.1:6060/debug/pprof/goroutine?debug=2 -o {name}`"
        )
    )]
    Empty {
        /// Input name.
        name: String,
    },
    /// Not a format leakgate reads.
    #[error("{name}:{line}: not a goroutine dump (no `goroutine N [state]:` header, no `goroutine profile: total N`, not a profile.proto)")]
    #[diagnostic(
        code(leakgate::dump::unknown_format),
        help("leakgate reads /debug/pprof/goroutine with ?debug=2, ?debug=1 or ?debug=0, /debug/pprof/goroutineleak, runtime.Stack(buf, true) output and SIGQUIT dumps")
    )]
    UnknownFormat {
        /// Input name.
        name: String,
        /// The first line that is not blank.
        line: u64,
    },
    /// Read, but no goroutine in it.
    #[error("{name}: the dump lists no goroutine")]
    #[diagnostic(code(leakgate::dump::no_goroutines))]
    NoGoroutines {
        /// Input name.
        name: String,
    },
    /// The dump ends before it is complete.
    #[error("{name}:{line}: the dump is cut short: {why}")]
    #[diagnostic(
        code(leakgate::dump::cut),
        help("take the dump again; a runtime.Stack buffer too small for every goroutine also cuts it")
    )]
    Cut {
        /// Input name.
        name: String,
        /// Where.
        line: u64,
        /// What is missing.
        why: String,
    },
    /// A pasted dump with lines left out (`...`).
    #[error("{name}:{line}: the dump is abridged: `{text}` stands for lines left out")]
    #[diagnostic(
        code(leakgate::dump::abridged),
        help("leakgate judges whole dumps: take it again, or paste all of it")
    )]
    Abridged {
        /// Input name.
        name: String,
        /// Where.
        line: u64,
        /// The marker.
        text: String,
    },
    /// One goroutine twice: two dumps in one input.
    #[error("{name}:{line}: goroutine {id} is in the dump twice: two dumps in one input?")]
    #[diagnostic(
        code(leakgate::dump::twice),
        help("give each dump its own file (`leakgate diff BEFORE AFTER` compares two)")
    )]
    Twice {
        /// Input name.
        name: String,
        /// Where it is again.
        line: u64,
        /// The goroutine id.
        id: u64,
    },
    /// Another dump after the first.
    #[error("{name}:{line}: a second dump starts here: two dumps in one input?")]
    #[diagnostic(
        code(leakgate::dump::second),
        help("give each dump its own file (`leakgate diff BEFORE AFTER` compares two)")
    )]
    Second {
        /// Input name.
        name: String,
        /// Where it starts.
        line: u64,
    },
    /// A goroutineleak profile diffed against a goroutine profile.
    #[error(
        "{leak} is a goroutineleak profile and {all} a goroutine profile: they do not compare"
    )]
    #[diagnostic(
        code(leakgate::dump::incomparable),
        help("diff two goroutine profiles, or two goroutineleak profiles; `leakgate dump` judges one goroutineleak profile alone")
    )]
    Incomparable {
        /// The goroutineleak profile's name.
        leak: String,
        /// The goroutine profile's name.
        all: String,
    },
    /// A profile.proto that cannot be decoded.
    #[error("{name}: {source}")]
    #[diagnostic(code(leakgate::dump::bad_proto))]
    Proto {
        /// Input name.
        name: String,
        /// Cause.
        #[source]
        source: proto::ProtoError,
    },
    /// A URL that did not answer.
    #[error("{url}: {why}")]
    #[diagnostic(
        code(leakgate::dump::url),
        help("is the service running, with net/http/pprof registered on that address?")
    )]
    Url {
        /// The URL.
        url: String,
        /// What went wrong.
        why: String,
    },
}

/// One stack with how many goroutines have it (a traceback gives one
/// goroutine per record; the count profiles give counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The goroutine (id 0 and an empty state for the count profiles).
    pub goroutine: Goroutine,
    /// How many goroutines.
    pub count: u64,
    /// Proven leaked: ` (leaked)` in a traceback, or an entry of the
    /// goroutineleak profile.
    pub leaked: bool,
}

/// What identifies a group across dumps: the function the goroutines
/// started in and, where the format says, the `go` statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// The outermost frame's function (what the `go` statement started).
    pub entry: String,
    /// `function file:line` of the `go` statement (tracebacks only).
    pub creator: Option<String>,
}

impl GroupKey {
    /// The key without the creator (to compare with a count profile).
    pub fn entry_only(&self) -> GroupKey {
        GroupKey {
            entry: self.entry.clone(),
            creator: None,
        }
    }
}

/// One distinct stack of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct StackCount {
    /// A goroutine with this stack.
    pub goroutine: Goroutine,
    /// Each frame's file resolved against the repository.
    pub frames: Vec<SourceRef>,
    /// How many goroutines have it.
    pub count: u64,
}

/// Goroutines started by one `go` statement (or, without creators, in one
/// function).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Identity.
    pub key: GroupKey,
    /// Goroutines.
    pub count: u64,
    /// Of which proven leaked.
    pub leaked: u64,
    /// The creator function.
    pub created_by: Option<String>,
    /// The `go` statement, resolved.
    pub origin: Option<SourceRef>,
    /// The first frame in the repository of its most common stack.
    pub blocked_at: Option<SourceRef>,
    /// States (`chan receive`, …) with counts, most common first.
    pub states: Vec<(String, u64)>,
    /// Distinct stacks, most common first (at most
    /// [`MAX_STACKS_PER_GROUP`]).
    pub stacks: Vec<StackCount>,
    /// Goroutines whose stacks are beyond the ones kept.
    pub other_stacks: u64,
    /// Goroutines allowed by the policy.
    pub allowed: u64,
    /// The rules that allowed them.
    pub rules: Vec<String>,
}

impl Group {
    /// Every goroutine of the group is allowed.
    pub fn is_allowed(&self) -> bool {
        self.count > 0 && self.allowed == self.count
    }
}

/// One dump, grouped.
#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    /// Input name.
    pub name: String,
    /// Its format.
    pub format: DumpFormat,
    /// A goroutineleak profile (every entry is proven leaked).
    pub leak_profile: bool,
    /// Goroutines in it.
    pub total: u64,
    /// Groups, most goroutines first.
    pub groups: Vec<Group>,
}

/// Builds a [`Dump`] from records, one at a time: memory grows with the
/// number of distinct stacks, not goroutines.
pub struct Grouper<'a> {
    repo: &'a Repo,
    policy: &'a Policy,
    scratch: Scratch,
    groups: FxHashMap<GroupKey, Building>,
    total: u64,
    leaked: bool,
}

struct Building {
    group: Group,
    /// Distinct stack identity → (index in `stacks`, or none when beyond
    /// the cap) and whether the policy allows it.
    stacks: FxHashMap<StackId, (Option<usize>, bool)>,
    states: FxHashMap<String, u64>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct StackId {
    status: String,
    frames: Vec<(String, u32)>,
}

/// The goroutine's frames without the runtime's `goexit` at the bottom.
fn trim_goexit(frames: &mut Vec<Frame>) {
    while frames.len() > 1
        && frames
            .last()
            .is_some_and(|f| f.function == "runtime.goexit")
    {
        frames.pop();
    }
}

/// The group key of a goroutine.
pub fn key_of(g: &Goroutine) -> GroupKey {
    // The compiler's `go f(x)` wrapper (`pkg.F.gowrap1`, Go 1.22+) is
    // sometimes a frame of its own and sometimes inlined: the function it
    // calls is the entry either way.
    // `runtime.main`, below `main.main` in debug=1 and hidden by
    // tracebacks, is not the entry either: the main goroutine is
    // `main.main` in every format. (Other runtime frames stay: the
    // finalizer goroutine is `runtime.runfinq` whichever finalizer runs.)
    // The same for a cgo callback: `runtime.cgocallback*` and the
    // `_cgoexp_…` stub (shown at GOTRACEBACK=system) below the exported Go
    // function that C called, which is the entry at every level.
    let below_user = |f: &Frame| {
        matches!(
            f.function.as_str(),
            "runtime.main"
                | "runtime.cgocallback"
                | "runtime.cgocallbackg"
                | "runtime.cgocallbackg1"
        ) || f.function.starts_with("_cgoexp_")
    };
    let outward = || {
        g.frames
            .iter()
            .rev()
            .filter(|f| f.function != "runtime.goexit" && !is_go_wrapper(&f.function))
    };
    let entry = outward()
        .find(|f| !below_user(f))
        .or_else(|| outward().next_back())
        .or_else(|| g.frames.last())
        .map(|f| f.function.clone())
        .unwrap_or_else(|| {
            if g.state.status == "running" {
                // A traceback shows no stack of a goroutine running on another
                // thread.
                "(running on another thread: stack unavailable)".to_string()
            } else {
                // A goroutine sampled before its first frame ran (the count
                // profiles list such a stack without frames).
                "(no frames: a goroutine just started)".to_string()
            }
        });
    let creator = g
        .created_by
        .as_ref()
        .map(|c| format!("{} {}:{}", c.function, c.file, c.line));
    GroupKey { entry, creator }
}

/// `pkg.F.gowrap2`: the wrapper the compiler writes for a `go` statement
/// with arguments.
fn is_go_wrapper(function: &str) -> bool {
    function
        .rsplit_once(".gowrap")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl<'a> Grouper<'a> {
    /// An empty grouper.
    pub fn new(repo: &'a Repo, policy: &'a Policy) -> Grouper<'a> {
        Grouper {
            repo,
            policy,
            scratch: Scratch::default(),
            groups: FxHashMap::default(),
            total: 0,
            leaked: false,
        }
    }

    /// Marks every record of this dump proven leaked (a goroutineleak
    /// profile).
    pub fn leak_profile(&mut self) {
        self.leaked = true;
    }

    /// Adds one record.
    pub fn add(&mut self, mut record: Record) {
        if record.count == 0 {
            return;
        }
        trim_goexit(&mut record.goroutine.frames);
        let leaked = record.leaked || self.leaked || record.goroutine.state.leaked;
        let count = record.count;
        self.total += count;
        let g = record.goroutine;
        let key = key_of(&g);
        let id = StackId {
            status: g.state.status.clone(),
            frames: g
                .frames
                .iter()
                .map(|f| (f.function.clone(), f.line))
                .collect(),
        };
        let repo = self.repo;
        let b = self.groups.entry(key.clone()).or_insert_with(|| Building {
            group: Group {
                key,
                count: 0,
                leaked: 0,
                created_by: g.created_by.as_ref().map(|c| c.function.clone()),
                origin: g
                    .created_by
                    .as_ref()
                    .filter(|c| !c.file.is_empty())
                    .map(|c| repo.resolve(&c.file, c.line, Some(&c.function))),
                blocked_at: None,
                states: Vec::new(),
                stacks: Vec::new(),
                other_stacks: 0,
                allowed: 0,
                rules: Vec::new(),
            },
            stacks: FxHashMap::default(),
            states: FxHashMap::default(),
        });
        b.group.count += count;
        if leaked {
            b.group.leaked += count;
        }
        if !g.state.status.is_empty() {
            *b.states.entry(g.state.status.clone()).or_insert(0) += count;
        }
        let allowed = match b.stacks.get(&id) {
            Some(&(index, allowed)) => {
                match index {
                    Some(i) => b.group.stacks[i].count += count,
                    None => b.group.other_stacks += count,
                }
                allowed
            }
            None => {
                let origin = b.group.origin.as_ref().map(|o| o.file.clone());
                let hits = if self.policy.rules.is_empty() {
                    Vec::new()
                } else {
                    let subject = Subject {
                        top_function: g.top_function(),
                        functions: &g.frames,
                        created_by: g.created_by.as_ref().map(|c| c.function.as_str()),
                        package: None,
                        test: None,
                        state: (!g.state.status.is_empty()).then_some(g.state.status.as_str()),
                        origin: origin.as_deref(),
                    };
                    self.policy.matching(&subject, &mut self.scratch)
                };
                let allowed = !hits.is_empty();
                for id in hits {
                    if !b.group.rules.contains(&id) {
                        b.group.rules.push(id);
                    }
                }
                let index = if b.group.stacks.len() < MAX_STACKS_PER_GROUP {
                    let frames = g.frames.iter().map(|f| repo.resolve_frame(f)).collect();
                    b.group.stacks.push(StackCount {
                        goroutine: g,
                        frames,
                        count,
                    });
                    Some(b.group.stacks.len() - 1)
                } else {
                    b.group.other_stacks += count;
                    None
                };
                b.stacks.insert(id, (index, allowed));
                allowed
            }
        };
        if allowed {
            b.group.allowed += count;
        }
    }

    /// The groups, most goroutines first.
    pub fn finish(self, name: &str, format: DumpFormat) -> Dump {
        let mut groups: Vec<Group> = self
            .groups
            .into_values()
            .map(|mut b| {
                let mut states: Vec<(String, u64)> = b.states.into_iter().collect();
                states.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                b.group.states = states;
                b.group.stacks.sort_by_key(|s| std::cmp::Reverse(s.count));
                b.group.rules.sort();
                b.group.blocked_at = b
                    .group
                    .stacks
                    .first()
                    .and_then(|s| s.frames.iter().find(|r| r.in_repo).cloned());
                b.group
            })
            .collect();
        groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        Dump {
            name: name.to_string(),
            format,
            leak_profile: self.leaked,
            total: self.total,
            groups,
        }
    }
}

/// Reads one dump (any format, detected from its first bytes) and groups
/// it.
pub fn read<R: Read>(
    name: &str,
    reader: R,
    repo: &Repo,
    policy: &Policy,
) -> Result<Dump, DumpError> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
    let head = reader.fill_buf().map_err(|source| DumpError::Unreadable {
        name: name.to_string(),
        source,
    })?;
    if head.is_empty() {
        return Err(DumpError::Empty {
            name: name.to_string(),
        });
    }
    let binary = head.starts_with(&[0x1f, 0x8b]) || !looks_like_text(head);
    let plain_text = is_non_dump_text(head);
    let mut grouper = Grouper::new(repo, policy);
    let format = if binary {
        let profile = proto::read_profile(reader, MAX_PROTO_BYTES).map_err(|source| {
            if plain_text {
                DumpError::UnknownFormat {
                    name: name.to_string(),
                    line: 1,
                }
            } else {
                DumpError::Proto {
                    name: name.to_string(),
                    source,
                }
            }
        })?;
        if profile.sample_type == "goroutineleak" {
            grouper.leak_profile();
        }
        for s in profile.samples {
            let mut frames: Vec<Frame> = s
                .frames
                .into_iter()
                .map(|f| Frame {
                    function: type_args_elided(f.function),
                    file: f.file,
                    line: f.line,
                    inlined: f.inlined,
                })
                .collect();
            // The runtime frames on top (`runtime.gopark`, `chansend`), as
            // tracebacks and debug=1 leave them out: the top function is
            // the user's, as allow rules expect.
            let runtime = frames
                .iter()
                .take_while(|f| {
                    f.function.starts_with("runtime.")
                        || f.function.starts_with("internal/runtime/")
                })
                .count();
            if runtime < frames.len() {
                frames.drain(..runtime);
            }
            grouper.add(Record {
                goroutine: Goroutine {
                    frames,
                    state: crate::stack::State {
                        labels: labels_text(&s.labels),
                        ..Default::default()
                    },
                    ..Goroutine::default()
                },
                count: s.count,
                leaked: false,
            });
        }
        DumpFormat::Proto
    } else {
        text::read_text(name, reader, &mut grouper)?
    };
    let dump = grouper.finish(name, format);
    // An empty goroutineleak profile is the good news: the runtime proved
    // no goroutine leaked. Any other dump lists at least the goroutine
    // that wrote it.
    if dump.total == 0 && !dump.leak_profile {
        return Err(DumpError::NoGoroutines {
            name: name.to_string(),
        });
    }
    Ok(dump)
}

/// `main.gen[go.shape.int]` → `main.gen[...]`: the profile.proto names a
/// generic function's shape, tracebacks and debug=1 print `[...]`; one
/// name matches the same group and the same allow rule in every format.
fn type_args_elided(function: String) -> String {
    if !function.contains('[') {
        return function;
    }
    let mut out = String::with_capacity(function.len());
    let mut depth = 0usize;
    for c in function.chars() {
        match c {
            '[' => {
                if depth == 0 {
                    out.push_str("[...");
                }
                depth += 1;
            }
            ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(']');
                }
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

fn labels_text(labels: &[(String, String)]) -> Option<String> {
    if labels.is_empty() {
        return None;
    }
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
    Some(format!("{{{}}}", inner.join(", ")))
}

/// Text: mostly printable UTF-8 in the first bytes.
fn looks_like_text(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(512)];
    let text = match std::str::from_utf8(sample) {
        Ok(t) => t,
        // A multi-byte character cut at the end of the sample.
        Err(e) if e.valid_up_to() + 4 >= sample.len() => {
            std::str::from_utf8(&sample[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return false,
    };
    // Colour (ESC) and test2json's ^V in a CI log are text too.
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\x1b' | '\u{16}'))
}

/// Text that is certainly not a dump (for the error: not "bad proto").
fn is_non_dump_text(head: &[u8]) -> bool {
    head.iter()
        .take(512)
        .all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b))
}

/// The `created by` of a goroutine, for the report.
pub fn creator_text(c: &CreatedBy) -> String {
    c.function.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goroutine(functions: &[&str]) -> Goroutine {
        Goroutine {
            frames: functions
                .iter()
                .map(|f| Frame {
                    function: f.to_string(),
                    ..Frame::default()
                })
                .collect(),
            ..Goroutine::default()
        }
    }

    #[test]
    fn the_entry_is_the_outermost_frame_that_is_not_the_runtime_s() {
        // debug=1 shows runtime.main below main.main; a traceback hides it.
        let counted = goroutine(&["runtime.gopark", "main.main", "runtime.main"]);
        let traced = goroutine(&["runtime.gopark", "main.main"]);
        assert_eq!(key_of(&counted).entry, "main.main");
        assert_eq!(key_of(&counted), key_of(&traced));
        // A cgo callback, at GOTRACEBACK=system and at the default level.
        let system = goroutine(&[
            "runtime.gopark",
            "main.goCallback",
            "_cgoexp_268fe4fae99b_goCallback",
            "runtime.cgocallbackg1",
            "runtime.cgocallbackg",
            "runtime.cgocallback",
            "runtime.goexit",
        ]);
        assert_eq!(key_of(&system).entry, "main.goCallback");
        assert_eq!(key_of(&system), key_of(&goroutine(&["main.goCallback"])));
        // Parked in runtime.main itself: that is its entry.
        let parked = goroutine(&["runtime.main"]);
        assert_eq!(key_of(&parked).entry, "runtime.main");
    }

    #[test]
    fn generic_shapes_are_named_as_tracebacks_name_them() {
        let t = |s: &str| type_args_elided(s.to_string());
        assert_eq!(t("main.gen[go.shape.int]"), "main.gen[...]");
        assert_eq!(
            t("main.(*Pool[go.shape.struct { a map[string]int }]).run"),
            "main.(*Pool[...]).run"
        );
        assert_eq!(t("main.gen[...]"), "main.gen[...]");
        assert_eq!(t("main.plain"), "main.plain");
    }

    #[test]
    fn the_go_wrapper_and_goexit_are_skipped() {
        let g = goroutine(&[
            "runtime.gopark",
            "main.work",
            "main.serve.gowrap1",
            "runtime.goexit",
        ]);
        assert_eq!(key_of(&g).entry, "main.work");
    }

    #[test]
    fn the_runtime_s_own_goroutines_keep_their_runtime_entry() {
        let g = goroutine(&["runtime.gopark", "runtime.bgsweep", "runtime.goexit"]);
        assert_eq!(key_of(&g).entry, "runtime.bgsweep");
        let finalizer = goroutine(&["main.close", "runtime.call16", "runtime.runfinq"]);
        assert_eq!(key_of(&finalizer).entry, "runtime.runfinq");
    }
}
