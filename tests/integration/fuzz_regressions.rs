//! Replays every input the fuzzers saved under `fuzz/regressions/<target>/`
//! (crashes found and fixed, plus seeds) through the same entry points as
//! the fuzz targets, so a fixed crash stays fixed in `cargo test`.

use leakgate::ingest::Format;

fn replay(target: &str, run: impl Fn(&[u8])) -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let data = std::fs::read(e.path()).unwrap();
        run(&data);
        n += 1;
    }
    n
}

#[test]
fn saved_fuzz_inputs_still_pass() {
    let mut total = 0;
    total += replay("gojson", |d| {
        leakgate::fuzzing::pipeline(d, Some(Format::GoJson))
    });
    total += replay("junit", |d| {
        leakgate::fuzzing::pipeline(d, Some(Format::Junit))
    });
    total += replay("text", |d| {
        leakgate::fuzzing::pipeline(d, Some(Format::Text))
    });
    total += replay("stack", leakgate::fuzzing::stack);
    total += replay("scan", leakgate::fuzzing::scan);
    total += replay("policy", leakgate::fuzzing::policy);
    eprintln!("replayed {total} saved fuzz inputs");
    assert!(total >= 20, "the saved inputs are missing: {total}");
}
