//! Fuzz target `http_answer`: what a site may send browse mode, read whole and a byte at
//! a time. The checks live in `csgen_sinks::fuzzing::http_answer`, which the test suite
//! also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    csgen_sinks::fuzzing::http_answer(data);
});
