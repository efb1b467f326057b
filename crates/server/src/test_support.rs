//! What the unit tests share: controllers of the classic model over a given sink.

use std::sync::Arc;
use std::time::Duration;

use csgen_model::{Encoder, Format, Generator, Shard, StoreConfig};
use csgen_sinks::{FileSink, Sink};

use crate::{Controller, Workload};

/// The default store at `rate`, JSON records into `sink`, stamped at a fixed time.
pub(crate) fn classic<S: Sink + 'static>(
    sink: S,
    rate: f64,
    flush_timeout: Duration,
) -> Controller {
    let config = StoreConfig::defaults();
    Controller::new(
        Workload::Classic {
            generator: Arc::new(Generator::new(&config, 3)),
            encoder: Encoder::new(Format::Json, &config.store_url),
            rate,
        },
        sink,
        Shard::ALL,
        flush_timeout,
        Arc::new(|| 1_800_000_000_000),
    )
}

/// [`classic`] at 50 events/s into `/dev/null`.
pub(crate) async fn dev_null() -> Controller {
    let sink = FileSink::open(std::path::Path::new("/dev/null"))
        .await
        .unwrap();
    classic(sink, 50.0, Duration::from_secs(5))
}
