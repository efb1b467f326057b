//! Reading a file or standard input ahead of the records' parser, on a thread of its
//! own.
//!
//! tokio's file and stdin read on the blocking pool only when asked: the source's task
//! waited for every read, and with the lake's encoding threads busy on every core it
//! also waited for the read's thread to get one. Here a thread keeps up to [`AHEAD`]
//! chunks read before they are asked for, and takes back the chunks the reader is done
//! with, so memory stays at `AHEAD + 2` chunks and no chunk is allocated twice.

use std::io::{self, Read};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

/// Bytes a read asks for.
const CHUNK: usize = 1 << 20;
/// Chunks read and not yet taken at most.
const AHEAD: usize = 2;

/// An [`AsyncRead`] over a blocking reader that a thread of its own reads ahead. The
/// thread ends at the end of the input, at its first error (handed on to the reader),
/// or after its next read once the `ReadAhead` is dropped.
pub(crate) struct ReadAhead {
    full: tokio::sync::mpsc::Receiver<io::Result<Chunk>>,
    /// Chunks read, back to the thread for its next reads.
    empty: mpsc::Sender<Vec<u8>>,
    chunk: Chunk,
    /// How much of `chunk` was read.
    at: usize,
}

/// A buffer of [`CHUNK`] bytes, the first `len` of them read. (Its length stays
/// `CHUNK`: a short read from a pipe must not cost a fill of the rest.)
#[derive(Default)]
struct Chunk {
    data: Vec<u8>,
    len: usize,
}

impl ReadAhead {
    /// Starts reading `input` on a thread named `name`.
    pub(crate) fn spawn(name: &str, input: impl Read + Send + 'static) -> io::Result<Self> {
        let (full_tx, full) = tokio::sync::mpsc::channel(AHEAD);
        let (empty, empty_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || read_ahead(input, &full_tx, &empty_rx))?;
        Ok(Self {
            full,
            empty,
            chunk: Chunk::default(),
            at: 0,
        })
    }
}

/// The thread's loop: read into a returned buffer (or a new one), hand it on.
fn read_ahead(
    mut input: impl Read,
    full: &tokio::sync::mpsc::Sender<io::Result<Chunk>>,
    empty: &mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut data = empty.try_recv().unwrap_or_else(|_| vec![0; CHUNK]);
        let read = loop {
            match input.read(&mut data) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        let (sent, more) = match read {
            Ok(0) => return,
            Ok(len) => (Ok(Chunk { data, len }), true),
            Err(e) => (Err(e), false),
        };
        // A closed channel: the reader is gone, and nobody wants the rest.
        if full.blocking_send(sent).is_err() || !more {
            return;
        }
    }
}

impl AsyncRead for ReadAhead {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.at == this.chunk.len {
            match ready!(this.full.poll_recv(cx)) {
                Some(Ok(next)) => {
                    let done = std::mem::replace(&mut this.chunk, next);
                    this.at = 0;
                    if !done.data.is_empty() {
                        // The thread may have ended (end of input): then the chunk goes.
                        let _ = this.empty.send(done.data);
                    }
                }
                Some(Err(e)) => return Poll::Ready(Err(e)),
                // The end of the input: a read of nothing.
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = buf.remaining().min(this.chunk.len - this.at);
        buf.put_slice(&this.chunk.data[this.at..this.at + n]);
        this.at += n;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt as _;

    use super::*;

    /// A reader that hands out at most `step` bytes a read and fails after `fail_at`.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fail_at: Option<usize>,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.fail_at.is_some_and(|f| self.at >= f) {
                return Err(io::Error::other("the disk went away"));
            }
            let n = buf.len().min(self.step).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[tokio::test]
    async fn reads_every_byte_in_order_whatever_the_sizes() {
        for len in [0, 1, 1000, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7] {
            for step in [CHUNK, 100_000, 3] {
                if step == 3 && len > 1000 {
                    continue;
                }
                let input = Trickle {
                    data: data(len),
                    at: 0,
                    step,
                    fail_at: None,
                };
                let mut r = ReadAhead::spawn("test-read", input).unwrap();
                let mut out = Vec::new();
                r.read_to_end(&mut out).await.unwrap();
                assert!(out == data(len), "{len} bytes read {step} at a time");
            }
        }
    }

    #[tokio::test]
    async fn an_error_comes_after_the_bytes_read_before_it() {
        let input = Trickle {
            data: data(3 * CHUNK),
            at: 0,
            step: CHUNK,
            fail_at: Some(2 * CHUNK),
        };
        let mut r = ReadAhead::spawn("test-read", input).unwrap();
        let mut out = vec![0; 2 * CHUNK];
        r.read_exact(&mut out).await.unwrap();
        assert!(out == data(2 * CHUNK));
        let e = r.read(&mut [0; 16]).await.unwrap_err();
        assert_eq!(e.to_string(), "the disk went away");
    }

    #[tokio::test]
    async fn a_dropped_reader_ends_its_thread() {
        // An endless input: only the closed channel can end the thread, which drops it
        // (and its count of `alive`).
        struct Endless {
            _alive: std::sync::Arc<()>,
        }
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                buf.fill(b'x');
                Ok(buf.len())
            }
        }
        let alive = std::sync::Arc::new(());
        let mut r = ReadAhead::spawn(
            "test-read",
            Endless {
                _alive: alive.clone(),
            },
        )
        .unwrap();
        let mut some = vec![0; 3 * CHUNK];
        r.read_exact(&mut some).await.unwrap();
        drop(r);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::sync::Arc::strong_count(&alive) > 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "the thread still reads"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}
