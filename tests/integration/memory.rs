//! Memory grows with the number of tests, never with their output: a
//! `go test -json` run of 50 MB and one of 200 MB (made by
//! `examples/gen_bench_input.rs` from the real fixtures and piped straight
//! into `leakgate check -`, so nothing is written to disk) differ in peak
//! resident size by less than 32 bytes per additional test, and neither
//! needs 64 MiB.
//!
//! The peak is the child's `VmHWM` from `/proc/<pid>/status`, read until it
//! exits (Linux only; elsewhere the tests do nothing). Goroutine dumps
//! (`leakgate dump -`) are held to the same: see
//! `dump_peak_memory_does_not_grow_with_dump_size`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The generator example, built by `cargo test` next to the binary.
fn generator() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_leakgate"));
    let dir = bin.parent().expect("binary has a directory");
    let exe = format!("gen_bench_input{}", std::env::consts::EXE_SUFFIX);
    let path = dir.join("examples").join(exe);
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples (or run `cargo build --examples`)",
        path.display()
    );
    path
}

/// `VmHWM` of a running process, in KiB.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Peak resident KiB of `leakgate check` on a generated run of `size`, with
/// the report's test count.
fn peak(size: &str, packages: usize) -> (u64, u64) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut gen = Command::new(generator())
        .args(["--format", "json", "--size", size])
        .args(["--packages", &packages.to_string()])
        .arg("--fixtures")
        .arg(format!("{root}/tests/fixtures/go1.26-goleak1.3.0"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the generator");
    let input = gen.stdout.take().expect("generator stdout");
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakgate"))
        .args(["check", "--report", "json", "--color", "never", "-"])
        .current_dir(root)
        .stdin(Stdio::from(input))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start leakgate");
    let pid = child.id();
    let stdout = child.stdout.take().expect("leakgate stdout");
    let reader = std::thread::spawn(move || {
        let v: serde_json::Value = serde_json::from_reader(stdout).expect("a JSON report");
        v
    });
    let mut hwm = 0;
    loop {
        if let Some(k) = vm_hwm(pid) {
            hwm = hwm.max(k);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(gen.wait().expect("generator exit").success());
    let report = reader.join().expect("report reader");
    let passed = report["counts"]["passed"].as_u64().unwrap_or(0);
    (hwm, passed)
}

#[test]
fn peak_memory_does_not_grow_with_input_size() {
    if !std::path::Path::new("/proc/self/status").exists() {
        return;
    }
    let (small, small_tests) = peak("50M", 500);
    let (large, large_tests) = peak("200M", 2000);
    eprintln!("VmHWM: {small} KiB for 50 MB ({small_tests} tests passed), {large} KiB for 200 MB ({large_tests})");
    assert!(small > 0 && large > 0, "VmHWM not readable");
    // The runs were read through: four times the tests.
    assert!(large_tests >= 3 * small_tests && small_tests > 10_000);
    // Passed tests go to the passed-test store (a temporary file past
    // 1 MiB), failed ones are a few hundred: memory is flat in the number
    // of tests too, apart from a few bytes per package run.
    let per_test = (large.saturating_sub(small)) * 1024 / (large_tests - small_tests).max(1);
    eprintln!("{per_test} bytes per additional test");
    assert!(
        per_test < 32,
        "peak memory grew by {per_test} bytes per test: {small} KiB for 50 MB, {large} KiB for 200 MB"
    );
    assert!(large < 64 * 1024, "peak memory {large} KiB is over 64 MiB");
}

/// Peak resident KiB of `leakgate dump -` on a `?debug=2` dump of about
/// `bytes` bytes, made on the fly from the goroutine blocks of a captured
/// dump repeated with increasing goroutine ids (so every goroutine is a new
/// one, as in a real dump) and written straight into the child's standard
/// input, with the goroutine count the report read.
fn dump_peak(bytes: usize) -> (u64, u64) {
    use std::io::Write;
    let root = env!("CARGO_MANIFEST_DIR");
    let fixture = std::fs::read_to_string(format!(
        "{root}/tests/fixtures/dumps/go1.26/after.debug2.txt"
    ))
    .expect("the debug=2 fixture");
    // Each block without its id: "goroutine 408 [running]:\n..." → " [running]:\n...".
    let blocks: Vec<String> = fixture
        .split("\n\n")
        .filter_map(|b| {
            let rest = b.trim_start().strip_prefix("goroutine ")?;
            let at = rest.find(|c: char| !c.is_ascii_digit())?;
            Some(format!("{}\n\n", &rest[at..]))
        })
        .collect();
    assert!(
        blocks.len() > 100,
        "the fixture's goroutines: {}",
        blocks.len()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakgate"))
        .args(["dump", "--report", "json", "-"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start leakgate");
    let pid = child.id();
    let stdin = child.stdin.take().expect("leakgate stdin");
    let writer = std::thread::spawn(move || {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdin);
        let (mut written, mut id) = (0usize, 1u64);
        'all: loop {
            for b in &blocks {
                let head = format!("goroutine {id}");
                if out.write_all(head.as_bytes()).is_err() || out.write_all(b.as_bytes()).is_err() {
                    break 'all;
                }
                written += head.len() + b.len();
                id += 1;
                if written >= bytes {
                    break 'all;
                }
            }
        }
        let _ = out.flush();
        written
    });
    let stdout = child.stdout.take().expect("leakgate stdout");
    let reader = std::thread::spawn(move || {
        let v: serde_json::Value = serde_json::from_reader(stdout).expect("a JSON report");
        v
    });
    let mut hwm = 0;
    loop {
        if let Some(k) = vm_hwm(pid) {
            hwm = hwm.max(k);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let written = writer.join().expect("dump writer");
    assert!(
        written >= bytes,
        "leakgate stopped reading after {written} bytes"
    );
    let report = reader.join().expect("report reader");
    let goroutines = report["after"]["goroutines"].as_u64().unwrap_or(0);
    (hwm, goroutines)
}

/// Issue 15: a `?debug=2` dump streams in flat memory. Every goroutine has
/// its own id, but the grouper keeps only the distinct stacks (a few per
/// group), so a dump ten times larger needs no more memory: 20 MB and
/// 200 MB (31,000 and 315,000 goroutines; about 15 s in a debug build)
/// differ in peak resident size by less than 4 MiB, and neither needs
/// 64 MiB.
#[test]
fn dump_peak_memory_does_not_grow_with_dump_size() {
    if !std::path::Path::new("/proc/self/status").exists() {
        return;
    }
    let (small, small_n) = dump_peak(20_000_000);
    let (large, large_n) = dump_peak(200_000_000);
    eprintln!("VmHWM: {small} KiB for a 20 MB dump ({small_n} goroutines), {large} KiB for 200 MB ({large_n})");
    assert!(small > 0 && large > 0, "VmHWM not readable");
    // The dumps were read through: ten times the goroutines.
    assert!(
        small_n > 30_000 && large_n >= 9 * small_n,
        "{small_n} and {large_n} goroutines"
    );
    assert!(
        large.saturating_sub(small) < 4 * 1024,
        "peak memory grew with the dump: {small} KiB for 20 MB, {large} KiB for 200 MB"
    );
    assert!(large < 64 * 1024, "peak memory {large} KiB is over 64 MiB");
}
