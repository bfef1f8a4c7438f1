#![no_main]
//! Fuzzes the goleak report finder.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leakgate::fuzzing::scan(data);
});
