#![no_main]
//! Fuzzes the goroutine-dump reader (debug=2, debug=1, profile.proto).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leakgate::fuzzing::dump(data);
});
