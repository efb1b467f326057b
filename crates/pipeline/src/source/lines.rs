//! Records as lines of a byte stream: what the stdin and file sources read.
//!
//! Records are cut from the reader's buffer without copying. A record split across
//! two buffer fills is carried over; one longer than [`MAX_RECORD_BYTES`] is skipped to
//! its end and handed over as [`Item::TooLarge`] with its first [`TOO_LARGE_KEEP`]
//! bytes, so a hostile line costs bounded memory. A last line without a terminator is
//! still a record. The position counts every byte and line, terminators included.

use std::ops::ControlFlow;
use std::pin::Pin;

use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncRead, BufReader};

use super::{Fill, Item, Source, SourceError};
use crate::enrich::Position;
use crate::lake::SourcePos;

/// A source of lines: stdin or a file.
pub(crate) struct LineSource {
    name: String,
    lines: Lines,
}

impl LineSource {
    /// Lines of `reader`, named `name` in errors, which starts at `pos`.
    pub(crate) fn new(
        name: String,
        reader: Box<dyn AsyncRead + Unpin + Send>,
        pos: SourcePos,
    ) -> Self {
        Self {
            name,
            lines: Lines::new(reader, pos),
        }
    }
}

#[async_trait::async_trait]
impl Source for LineSource {
    async fn fill(&mut self) -> Result<Fill, SourceError> {
        self.lines.fill().await.map_err(|error| SourceError::Io {
            source_name: self.name.clone(),
            error,
        })
    }

    fn drain(
        &mut self,
        arrival_ms: i64,
        emit: &mut dyn FnMut(Item<'_>, Position) -> ControlFlow<()>,
    ) {
        self.lines.drain(arrival_ms, emit);
    }

    fn position(&self) -> &SourcePos {
        self.lines.position()
    }
}

/// Longest record read; longer ones become `too_large` dead letters.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// How much of an over-long record its dead letter keeps.
pub const TOO_LARGE_KEEP: usize = 4096;
/// The read buffer: large reads, few system calls.
const BUFFER_BYTES: usize = 1 << 20;

pub(crate) struct Lines {
    reader: BufReader<Box<dyn AsyncRead + Unpin + Send>>,
    pos: SourcePos,
    /// The start of a record split across buffer fills.
    carry: Vec<u8>,
    /// Bytes of an over-long record seen so far, while skipping to its end.
    oversize: Option<u64>,
    /// The reader is at its end; what is carried is the last record.
    eof: bool,
}

impl Lines {
    /// Lines of `reader`, which starts at `pos` (its offset and line count).
    pub(crate) fn new(reader: Box<dyn AsyncRead + Unpin + Send>, pos: SourcePos) -> Self {
        Self {
            reader: BufReader::with_capacity(BUFFER_BYTES, reader),
            pos,
            carry: Vec::new(),
            oversize: None,
            eof: false,
        }
    }

    pub(crate) fn position(&self) -> &SourcePos {
        &self.pos
    }

    pub(crate) async fn fill(&mut self) -> std::io::Result<Fill> {
        if !self.reader.buffer().is_empty() {
            return Ok(Fill::Ready);
        }
        if !self.eof && self.reader.fill_buf().await?.is_empty() {
            self.eof = true;
        }
        let nothing_left = self.carry.is_empty() && self.oversize.is_none();
        Ok(if self.eof && nothing_left {
            Fill::End
        } else {
            Fill::Ready
        })
    }

    pub(crate) fn drain(
        &mut self,
        arrival_ms: i64,
        emit: &mut dyn FnMut(Item<'_>, Position) -> ControlFlow<()>,
    ) {
        let mut next = Next {
            pos: &mut self.pos,
            arrival_ms,
        };
        if self.eof {
            if let Some(bytes) = self.oversize.take() {
                let _ = next.emit(emit, too_large(&self.carry, bytes), bytes);
            } else if !self.carry.is_empty() {
                let len = self.carry.len() as u64;
                let _ = next.emit(emit, Item::Record(&self.carry), len);
            }
            self.carry.clear();
            return;
        }
        let chunk = self.reader.buffer();
        let mut start = 0;
        if let Some(seen) = self.oversize {
            let Some(nl) = memchr::memchr(b'\n', chunk) else {
                self.oversize = Some(seen + chunk.len() as u64);
                let len = chunk.len();
                Pin::new(&mut self.reader).consume(len);
                return;
            };
            let bytes = seen + nl as u64 + 1;
            self.oversize = None;
            let flow = next.emit(emit, too_large(&self.carry, bytes), bytes);
            self.carry.clear();
            start = nl + 1;
            if flow.is_break() {
                Pin::new(&mut self.reader).consume(start);
                return;
            }
        }
        let mut stopped = false;
        let first = start;
        for nl in memchr::memchr_iter(b'\n', &chunk[first..]).map(|i| i + first) {
            let line = &chunk[start..nl];
            let consumed = (self.carry.len() + line.len() + 1) as u64;
            let flow = if self.carry.len() + line.len() > MAX_RECORD_BYTES {
                let prefix: &[u8] = if self.carry.is_empty() {
                    line
                } else {
                    &self.carry
                };
                next.emit(emit, too_large(prefix, consumed), consumed)
            } else if self.carry.is_empty() {
                next.emit(emit, Item::Record(line), consumed)
            } else {
                self.carry.extend_from_slice(line);
                next.emit(emit, Item::Record(&self.carry), consumed)
            };
            self.carry.clear();
            start = nl + 1;
            if flow.is_break() {
                stopped = true;
                break;
            }
        }
        if !stopped {
            self.carry.extend_from_slice(&chunk[start..]);
            start = chunk.len();
            if self.carry.len() > MAX_RECORD_BYTES {
                self.oversize = Some(self.carry.len() as u64);
                self.carry.truncate(TOO_LARGE_KEEP);
            }
        }
        Pin::new(&mut self.reader).consume(start);
    }
}

fn too_large(prefix: &[u8], bytes: u64) -> Item<'_> {
    Item::TooLarge {
        prefix: &prefix[..prefix.len().min(TOO_LARGE_KEEP)],
        bytes,
    }
}

/// Numbers the records handed over and moves the position past each.
struct Next<'p> {
    pos: &'p mut SourcePos,
    arrival_ms: i64,
}

impl Next<'_> {
    fn emit(
        &mut self,
        emit: &mut dyn FnMut(Item<'_>, Position) -> ControlFlow<()>,
        item: Item<'_>,
        consumed: u64,
    ) -> ControlFlow<()> {
        let pos = Position {
            line: self.pos.line + 1,
            offset: self.pos.offset,
            arrival_ms: self.arrival_ms,
        };
        self.pos.line = pos.line;
        self.pos.offset += consumed;
        emit(item, pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads all of `input` in buffer-sized pieces, stopping the drain after every
    /// `stop_every` records, and returns what was emitted.
    async fn read_all(input: Vec<u8>, stop_every: usize) -> (Vec<(String, u64, u64)>, SourcePos) {
        let mut lines = Lines::new(Box::new(std::io::Cursor::new(input)), SourcePos::default());
        let mut out = Vec::new();
        while lines.fill().await.unwrap() == Fill::Ready {
            let mut n = 0;
            lines.drain(7, &mut |item, pos| {
                let text = match item {
                    Item::Record(r) => String::from_utf8_lossy(r).into_owned(),
                    Item::TooLarge { prefix, bytes } => {
                        format!("too large {bytes} {}", prefix.len())
                    }
                };
                out.push((text, pos.line, pos.offset));
                n += 1;
                if n == stop_every {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
        }
        (out, lines.position().clone())
    }

    #[tokio::test]
    async fn cuts_lines_keeps_positions_and_the_unterminated_last_one() {
        for stop_every in [1, 2, 1000] {
            let (out, end) = read_all(b"a\n\nbc\nlast".to_vec(), stop_every).await;
            assert_eq!(
                out,
                vec![
                    ("a".into(), 1, 0),
                    ("".into(), 2, 2),
                    ("bc".into(), 3, 3),
                    ("last".into(), 4, 6)
                ],
                "stop every {stop_every}"
            );
            assert_eq!((end.line, end.offset), (4, 10));
        }
    }

    #[tokio::test]
    async fn an_over_long_line_is_one_bounded_too_large_item() {
        let mut input = b"ok\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 3 * BUFFER_BYTES + 5));
        input.extend(b"\nafter\n");
        let huge = (3 * BUFFER_BYTES + 6) as u64;
        for stop_every in [1, 1000] {
            let (out, end) = read_all(input.clone(), stop_every).await;
            assert_eq!(
                out,
                vec![
                    ("ok".into(), 1, 0),
                    (format!("too large {huge} {TOO_LARGE_KEEP}"), 2, 3),
                    ("after".into(), 3, 3 + huge),
                ]
            );
            assert_eq!(end.offset, input.len() as u64);
        }
        // Unterminated at the end of the input.
        let (out, _) = read_all(vec![b'y'; MAX_RECORD_BYTES + 10], 1000).await;
        assert_eq!(
            out,
            vec![(
                format!("too large {} {TOO_LARGE_KEEP}", MAX_RECORD_BYTES + 10),
                1,
                0
            )]
        );
    }
}
