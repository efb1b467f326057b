//! Fuzz target `url`: click URLs: the one-pass reader against the general parser. The
//! checks live in `csgen_pipeline::fuzzing::url`, which the test suite also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    csgen_pipeline::fuzzing::url(data);
});
