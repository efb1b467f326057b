//! The answer reader of browse mode against arbitrary bytes and the fuzz corpus's
//! replay: whatever a site sends, an answer or a reason, the same read whole and a
//! byte at a time, never a panic. The checks are `csgen_sinks::fuzzing`'s.

use csgen_sinks::fuzzing::{self, Outcome};
use csgen_testkit::corpus;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic_the_http_answer_reader(data in corpus::inputs("http_answer")) {
        fuzzing::http_answer(&data);
    }
}

#[test]
fn the_http_answer_corpus_replays() {
    corpus::replay("http_answer", fuzzing::http_answer, &Outcome::BOTH);
}
