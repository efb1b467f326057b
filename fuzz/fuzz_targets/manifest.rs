//! Fuzz target `manifest`: ground-truth manifests (`csgen verify --truth`). The checks
//! live in `csgen_model::fuzzing::manifest`, which the test suite also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    csgen_model::fuzzing::manifest(data);
});
