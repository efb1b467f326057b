//! Fuzz target `toml_config`: the realistic model's TOML config, and a slot of the
//! model it describes. The checks live in `csgen_model::fuzzing::toml_config`, which
//! the test suite also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    csgen_model::fuzzing::toml_config(data);
});
