//! Runs of the realistic model, driven by event time rather than by a rate.
//!
//! A backfill (`start_ms..until_ms`, [`crate::backfill`]) emits the range's events as
//! fast as the sink takes them. A live run ([`crate::live`]) emits each event when the
//! wall clock reaches its arrival time. A backfill may hand over to live time
//! (`then_live`), after flushing the sink. The ground-truth manifest is built from
//! exactly the events handed to the sink, in the order they were handed over.

use csgen_model::Batch;
use csgen_model::realistic::{Event, EventEncoder, Manifest, RealisticModel, TruthBuilder};
use csgen_sinks::{Sink, SinkError};
use tokio::time::Instant;

use crate::{CHUNK, Control, End, Model, Plan, StopReason, backfill, deliver, live};

/// Runs a realistic `plan`; returns how it ended and, if asked for, the manifest.
pub(crate) async fn run<S: Sink>(
    sink: &mut S,
    plan: &Plan,
    control: &Control,
    started: Instant,
) -> (End, Option<Manifest>) {
    let Model::Realistic {
        model,
        format,
        until_ms,
        then_live,
        truth,
    } = &plan.model
    else {
        unreachable!("timeline::run is only called for the realistic model")
    };
    let mut emitter = Emitter {
        model,
        encoder: EventEncoder::new(*format, model),
        truth: truth.then(|| TruthBuilder::new(model, *format, plan.shard)),
        left: plan.count.unwrap_or(u64::MAX),
        emitted: 0,
    };
    let deadline = plan.duration.map(|d| started + d);

    let end = 'run: {
        let mut live_from = plan.start_ms;
        if let Some(until_ms) = *until_ms {
            let backfill = backfill::Backfill {
                model,
                format: *format,
                plan,
                until_ms,
                deadline,
            };
            if let Some(end) = backfill.run(sink, &mut emitter, control).await {
                break 'run end;
            }
            if !then_live {
                break 'run End::at(StopReason::CountReached, emitter.emitted);
            }
            // Hand the backfill over whole before going live, so that a lake commits it
            // now instead of at its next age limit. A flush that takes too long is not
            // an error here: what it holds is still in flight and flushed at the end.
            if let Ok(Err(e)) = tokio::time::timeout(plan.flush_timeout, sink.flush()).await {
                break 'run End::failed(e, emitter.emitted);
            }
            live_from = live_from.max(until_ms);
        }
        live::run(sink, &mut emitter, plan, live_from, control, deadline).await
    };
    (end, emitter.truth.take().map(TruthBuilder::finish))
}

/// Hands records to the sink, cut to the run's count, and records them in the truth.
pub(crate) struct Emitter<'m> {
    pub(crate) model: &'m RealisticModel,
    encoder: EventEncoder,
    truth: Option<TruthBuilder<'m>>,
    /// Events the run may still emit.
    pub(crate) left: u64,
    pub(crate) emitted: u64,
}

impl Emitter<'_> {
    /// Encodes `events` and hands them over, at most [`CHUNK`] to a batch.
    pub(crate) async fn emit<S: Sink>(
        &mut self,
        sink: &mut S,
        events: &[Event],
    ) -> Result<(), SinkError> {
        for chunk in events.chunks(CHUNK as usize) {
            if self.left == 0 {
                break;
            }
            let mut batch = Batch::with_capacity(chunk.len(), chunk.len() * 256);
            for e in chunk {
                self.encoder.push(self.model, e, &mut batch);
            }
            self.emit_encoded(sink, batch, chunk).await?;
        }
        Ok(())
    }

    /// Hands over `batch`, whose record `i` encodes `events[i]`, cut to the count left.
    pub(crate) async fn emit_encoded<S: Sink>(
        &mut self,
        sink: &mut S,
        batch: Batch,
        events: &[Event],
    ) -> Result<(), SinkError> {
        let take = batch
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let batch = if take < batch.len() {
            prefix(&batch, take)
        } else {
            batch
        };
        if let Some(t) = self.truth.as_mut() {
            t.add_all(&events[..take]);
        }
        self.left -= take as u64;
        self.emitted += take as u64;
        deliver(sink, batch).await
    }
}

/// The first `n` records of `batch`.
fn prefix(batch: &Batch, n: usize) -> Batch {
    let mut out = Batch::default();
    for (record, click) in batch.records().zip(&batch.clicks).take(n) {
        out.push_encoded(*click, |data| data.extend_from_slice(record));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use csgen_model::{Click, Encoder, Format, Generator, StoreConfig};

    #[test]
    fn a_prefix_keeps_the_first_records_and_their_clicks() {
        let config = StoreConfig::defaults();
        let g = Generator::new(&config, 1);
        let mut enc = Encoder::new(Format::Json, &config.store_url);
        let mut batch = Batch::default();
        for seq in 0..5 {
            batch.push(&mut enc, g.click(seq, 0));
        }
        let cut = prefix(&batch, 3);
        assert_eq!(cut.len(), 3);
        assert_eq!(
            cut.records().collect::<Vec<_>>(),
            batch.records().take(3).collect::<Vec<_>>()
        );
        let seqs: Vec<u64> = cut.clicks.iter().map(|c: &Click| c.seq).collect();
        assert_eq!(seqs, [0, 1, 2]);
        assert_eq!(prefix(&batch, 0).len(), 0);
    }
}
