//! Fuzz target `checkpoint`: lake checkpoints. The checks live in
//! `csgen_pipeline::fuzzing::checkpoint`, which the test suite also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    csgen_pipeline::fuzzing::checkpoint(data);
});
