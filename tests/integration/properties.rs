//! Property tests for the parsers: streaming is independent of how the input
//! is chunked; a stack rendered and parsed again is the same stack;
//! fingerprints ignore ids, arguments, offsets and paths; no input panics.

use std::io::Read;

use leakgate::ingest::{Format, FormatChoice};
use leakgate::paths::Repo;
use leakgate::policy::Policy;
use leakgate::stack::{self, CreatedBy, Frame, Goroutine, State};
use proptest::prelude::*;

/// Reads `data` in pieces of the given sizes (cycled).
struct Chunked {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.data.len() {
            return Ok(0);
        }
        let want = self.sizes[self.turn % self.sizes.len()].max(1);
        self.turn += 1;
        let n = want.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

type Summary = (
    Vec<(Option<String>, Option<String>, Vec<String>)>,
    u64,
    u64,
    &'static str,
);

fn summary(a: &leakgate::verdict::Analysis) -> Summary {
    let leaks = a
        .findings
        .leaks
        .iter()
        .map(|l| {
            (
                l.package.clone(),
                l.test.clone(),
                l.goroutines.iter().map(|g| g.fingerprint.clone()).collect(),
            )
        })
        .collect();
    (
        leaks,
        a.findings.counts.passed,
        a.findings.counts.failed,
        a.verdict.name(),
    )
}

fn analyze(data: Vec<u8>, sizes: Vec<usize>) -> leakgate::verdict::Analysis {
    let repo = Repo::bare("/work/main");
    let reader = Chunked {
        data,
        pos: 0,
        sizes,
        turn: 0,
    };
    leakgate::analyze_readers(
        vec![("in".to_string(), reader)],
        FormatChoice::Auto,
        &repo,
        &Policy::default(),
    )
    .expect("analyze")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_the_same_result(sizes in prop::collection::vec(1usize..5000, 1..8), which in 0usize..3) {
        let file = ["go1.26-goleak1.3.0/all.json", "go1.27-goleak1.2.1/all.txt", "go1.26-goleak1.2.1/all.gotestsum.xml"][which];
        let data = std::fs::read(crate::common::fixture(file)).unwrap();
        let whole = analyze(data.clone(), vec![usize::MAX / 2]);
        let pieces = analyze(data, sizes);
        prop_assert_eq!(summary(&whole), summary(&pieces));
    }
}

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-zA-Z0-9_]{0,8}"
}

fn function() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(ident(), 1..4),
        ident(),
        prop::option::of(ident()),
        0u8..3,
    )
        .prop_map(|(path, func, recv, closure)| {
            let mut s = format!("example.com/{}.", path.join("/"));
            if let Some(r) = recv {
                s.push_str(&format!("(*{r}).", r = r.to_uppercase()));
            }
            s.push_str(&func);
            for i in 0..closure {
                s.push_str(&format!(".func{}", i + 1));
            }
            s
        })
}

fn goroutine() -> impl Strategy<Value = Goroutine> {
    let status = prop::sample::select(vec![
        "chan receive",
        "chan send",
        "select",
        "IO wait",
        "sleep",
        "sync.Mutex.Lock",
        "select (no cases)",
        "semacquire",
        "sync.WaitGroup.Wait",
        "runnable",
        "chan receive (nil chan)",
    ]);
    (
        1u64..100_000,
        status,
        prop::option::of(1u64..600),
        any::<bool>(),
        prop::collection::vec(
            (function(), "/[a-z]{1,6}/[a-z_]{1,8}\\.go", 1u32..5000),
            1..8,
        ),
        prop::option::of((
            function(),
            prop::option::of(1u64..1000),
            "/[a-z]{1,6}/[a-z_]{1,8}\\.go",
            1u32..5000,
        )),
    )
        .prop_map(|(id, status, minutes, locked, frames, created)| {
            let mut raw = status.to_string();
            if let Some(m) = minutes {
                raw.push_str(&format!(", {m} minutes"));
            }
            if locked {
                raw.push_str(", locked to thread");
            }
            Goroutine {
                id,
                state: State {
                    raw: raw.clone(),
                    ..stack::parse_state(&raw)
                },
                frames: frames
                    .into_iter()
                    .map(|(function, file, line)| Frame {
                        function,
                        file,
                        line,
                        inlined: true,
                    })
                    .collect(),
                elided: None,
                created_by: created.map(|(function, goroutine, file, line)| CreatedBy {
                    function,
                    goroutine,
                    file,
                    line,
                }),
            }
        })
}

proptest! {
    #[test]
    fn rendered_stacks_parse_back(g in goroutine()) {
        let text = g.render();
        let parsed = stack::parse_dump(&text);
        prop_assert_eq!(parsed, vec![g]);
    }

    #[test]
    fn fingerprints_ignore_ids_args_offsets_and_paths(g in goroutine(), id in 1u64..1_000_000, off in 1u32..0xffff, prefix in "/[a-z]{1,8}") {
        let base = leakgate::findings::fingerprint(&g);
        // The same goroutine as another run on another machine prints it.
        let mut text = format!("goroutine {id} [{}]:\n", g.state.status);
        for f in &g.frames {
            text.push_str(&format!("{}(0x{off:x}, 0x{:x}?)\n\t{prefix}{}:{} +0x{off:x}\n", f.function, off * 3, f.file, f.line));
        }
        if let Some(c) = &g.created_by {
            text.push_str(&format!("created by {} in goroutine {}\n\t{prefix}{}:{} +0x{off:x}\n", c.function, id + 1, c.file, c.line));
        }
        let other = stack::parse_dump(&text).pop().unwrap();
        prop_assert_eq!(leakgate::findings::fingerprint(&other), base);
    }

    #[test]
    fn no_input_panics(data in prop::collection::vec(any::<u8>(), 0..4000), format in 0usize..3) {
        let format = [Format::GoJson, Format::Junit, Format::Text][format];
        let repo = Repo::bare("/r");
        let _ = leakgate::analyze_readers(vec![("x".to_string(), &data[..])], FormatChoice::Fixed(format), &repo, &Policy::default());
    }

    #[test]
    fn mangled_real_output_never_panics(cut in 0usize..60_000, junk in "[ -~\\t\\[\\]]{0,200}", which in 0usize..4) {
        let file = ["go1.26-goleak1.3.0/all.json", "go1.26-goleak1.2.1/all.txt", "go1.27-goleak1.3.0/all.gotestsum.xml", "go1.27-goleak1.3.0/all.plain.txt"][which];
        let data = std::fs::read(crate::common::fixture(file)).unwrap();
        let cut = cut.min(data.len());
        let mut mangled = data[..cut].to_vec();
        mangled.extend_from_slice(junk.as_bytes());
        mangled.extend_from_slice(&data[cut..]);
        let repo = Repo::bare("/r");
        let _ = leakgate::analyze_readers(vec![("x".to_string(), &mangled[..])], FormatChoice::Auto, &repo, &Policy::default());
    }
}
