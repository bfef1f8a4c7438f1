#![no_main]
//! Fuzzes the goroutine-stack parser.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leakgate::fuzzing::stack(data);
});
