//! Entry point for fuzzing the sinks' reader of outside input: the answers a site sends
//! browse mode. Browse's wire tests and the suite's proptest and corpus replay
//! (`tests/it/fuzz.rs`, corpus `fuzz/corpus/http_answer/`) call these same functions.
//! There is no `cargo fuzz` target for it yet: this crate links librdkafka, whose C
//! build fails under the fuzzer's sanitizer flags (docs/fuzzing.md).

use std::pin::Pin;
use std::task::{Context, Poll};

pub use csgen_model::fuzzing::Outcome;
use tokio::io::AsyncRead;

use crate::browse::wire::{Answer, ReadBuf, read_answer};

/// Bytes a site sent on one connection: the first answer is read whole and again a
/// byte at a time (a server may send it in any pieces). Both must agree on the status,
/// the `Location` and the bytes left behind, and neither may panic.
pub fn http_answer(data: &[u8]) -> Outcome {
    match read_all(data) {
        Ok(_) => Outcome::Accepted,
        Err(_) => Outcome::Rejected,
    }
}

/// Reads the first answer of `bytes` whole and a byte at a time (both must agree),
/// with the number of bytes left unread, or the reason it was refused.
pub(crate) fn read_all(bytes: &[u8]) -> Result<(Answer, usize), String> {
    let whole = read_in_pieces(bytes, usize::MAX);
    // Whether bytes behind the answer were seen depends on the pieces; the rest not.
    let seen = |r: &Result<(Answer, usize), String>| {
        r.as_ref()
            .map(|(a, left)| (a.status, a.location.clone(), *left))
            .map_err(Clone::clone)
    };
    let bytewise = read_in_pieces(bytes, 1);
    assert_eq!(
        seen(&whole),
        seen(&bytewise),
        "whole and byte by byte differ"
    );
    whole
}

fn read_in_pieces(bytes: &[u8], step: usize) -> Result<(Answer, usize), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| format!("no runtime: {e}"))?;
    let mut io = Pieces { bytes, step };
    let mut rb = ReadBuf::default();
    let answer = runtime.block_on(read_answer(&mut io, &mut rb));
    answer
        .map(|a| (a, rb.pending().len() + io.bytes.len()))
        .map_err(|e| e.to_string())
}

/// Gives its bytes `step` at a time, then the end of the connection.
struct Pieces<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl AsyncRead for Pieces<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = self.step.min(self.bytes.len()).min(buf.remaining());
        let (now, later) = self.bytes.split_at(n);
        buf.put_slice(now);
        self.bytes = later;
        Poll::Ready(Ok(()))
    }
}
