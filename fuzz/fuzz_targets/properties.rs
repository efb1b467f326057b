//! Fuzz target `properties`: the original's properties file and its validation. The
//! checks live in `csgen_model::fuzzing::properties`, which the test suite also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    csgen_model::fuzzing::properties(data);
});
