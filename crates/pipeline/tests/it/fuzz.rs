//! Property-based tests and the fuzz corpora's replay for the pipeline's readers: no
//! input makes the raw record readers, the URL parser or the checkpoint reader panic;
//! the one-pass JSON scanner and serde agree on every record the scanner takes, as
//! the one-pass URL reader and the general one do. The checks are
//! `csgen_pipeline::fuzzing`'s, which the `cargo fuzz` targets in `fuzz/` run too.

use csgen_pipeline::fuzzing::{self, Outcome};
use csgen_testkit::corpus;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic_the_raw_readers(data in corpus::inputs("raw_records")) {
        fuzzing::raw_records(&data);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_url_parser(data in corpus::inputs("url")) {
        fuzzing::url(&data);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_checkpoint_reader(data in corpus::inputs("checkpoint")) {
        fuzzing::checkpoint(&data);
    }
}

#[test]
fn the_raw_records_corpus_replays() {
    corpus::replay("raw_records", fuzzing::raw_records, &Outcome::BOTH);
}

#[test]
fn the_url_corpus_replays() {
    corpus::replay("url", fuzzing::url, &Outcome::BOTH);
}

#[test]
fn the_checkpoint_corpus_replays() {
    corpus::replay("checkpoint", fuzzing::checkpoint, &Outcome::BOTH);
}
