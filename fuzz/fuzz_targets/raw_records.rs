//! Fuzz target `raw_records`: raw record files: the one-pass JSON scanner against
//! serde, enrich, dead letters. The checks live in
//! `csgen_pipeline::fuzzing::raw_records`, which the test suite also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    csgen_pipeline::fuzzing::raw_records(data);
});
