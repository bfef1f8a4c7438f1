#![no_main]
//! Fuzzes the `.leakgate.yml` loader.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leakgate::fuzzing::policy(data);
});
