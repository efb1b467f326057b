//! `/metrics`: the controller's status in Prometheus (OpenMetrics) text format.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::control::{RunStatus, State};

/// Renders one scrape. A fresh registry per scrape keeps the counters' single source
/// of truth in the sink's stats.
pub(crate) fn render(status: &RunStatus) -> String {
    let mut registry = Registry::with_prefix("csgen");
    let c = &status.counters;
    for (name, help, value) in [
        (
            "events_generated",
            "Events generated and handed to the sink",
            c.generated,
        ),
        ("events_delivered", "Events the sink delivered", c.delivered),
        ("events_failed", "Events the sink gave up on", c.failed),
        (
            "events_retried",
            "Event sends retried after a retryable failure",
            c.retried,
        ),
    ] {
        let counter = Counter::<u64>::default();
        counter.inc_by(value);
        registry.register(name, help, counter);
    }
    let gauge = |v: f64| {
        let g = Gauge::<f64, AtomicU64>::default();
        g.set(v);
        g
    };
    registry.register(
        "events_in_flight",
        "Events generated but neither delivered nor failed",
        gauge(c.in_flight as f64),
    );
    registry.register(
        "rate_target",
        "Target events per second",
        gauge(status.rate),
    );
    registry.register(
        "rate_achieved",
        "Events per second achieved by the current or last run",
        gauge(status.achieved_rate),
    );
    registry.register(
        "running",
        "1 while generating, 0 while stopped",
        gauge(if status.state == State::Running {
            1.0
        } else {
            0.0
        }),
    );
    let mut out = String::new();
    encode(&mut out, &registry).expect("writing to a String cannot fail");
    out
}
