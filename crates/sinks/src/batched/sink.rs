//! The batched sinks themselves: an [`Engine`] and the way a sink turns a batch's
//! records into what its service takes ([`Encode`]).
//!
//! `kinesis:`, `firehose:` and `http:` differ only there (a partition key, a newline,
//! the bytes as they are); sending, flushing and reporting are this one type's.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Engine, Record};
use crate::{Batch, Sink, SinkError, SinkStats};

/// How one record of a batch becomes a service record.
pub trait Encode: Send + 'static {
    fn encode(&mut self, batch: &Batch, i: usize) -> Record;
}

/// The record's bytes as they are, no key (an HTTP collector's batch).
#[derive(Debug, Clone, Copy, Default)]
pub struct AsIs;

impl Encode for AsIs {
    fn encode(&mut self, batch: &Batch, i: usize) -> Record {
        Record {
            data: batch.record(i).to_vec(),
            key: String::new(),
        }
    }
}

/// The record's bytes and a newline, no key (Firehose: the objects it writes are
/// newline-delimited).
#[derive(Debug, Clone, Copy, Default)]
pub struct NewlineTerminated;

impl Encode for NewlineTerminated {
    fn encode(&mut self, batch: &Batch, i: usize) -> Record {
        let r = batch.record(i);
        let mut data = Vec::with_capacity(r.len() + 1);
        data.extend_from_slice(r);
        data.push(b'\n');
        Record {
            data,
            key: String::new(),
        }
    }
}

/// A sink delivering through the batching engine; its name is the engine's target.
pub struct EngineSink<E> {
    engine: Engine,
    encode: E,
}

impl<E: Encode> EngineSink<E> {
    pub fn new(engine: Engine, encode: E) -> Self {
        Self { engine, encode }
    }
}

#[async_trait::async_trait]
impl<E: Encode> Sink for EngineSink<E> {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let records = (0..batch.len())
            .map(|i| self.encode.encode(&batch, i))
            .collect();
        self.engine.accept(records).await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.engine.flush().await
    }

    fn stats(&self) -> &Arc<SinkStats> {
        self.engine.stats()
    }

    fn failure_reasons(&self) -> BTreeMap<String, u64> {
        self.engine.failure_reasons()
    }

    fn describe(&self) -> String {
        self.engine.target().to_owned()
    }
}
