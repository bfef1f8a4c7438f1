#![no_main]
//! Fuzzes the text reader through the whole pipeline.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leakgate::fuzzing::pipeline(data, Some(leakgate::ingest::Format::Text));
});
