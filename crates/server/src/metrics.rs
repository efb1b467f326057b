//! `/metrics`: the controller's status in Prometheus (OpenMetrics) text format.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
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
    if let Some(calls) = &c.calls {
        let by_class = Family::<Vec<(String, String)>, Counter>::default();
        for (class, n) in calls.classes() {
            by_class
                .get_or_create(&vec![("class".to_owned(), class.to_owned())])
                .inc_by(n);
        }
        registry.register(
            "sink_calls",
            "Requests the sink made (browse, http), by status class; error: no answer",
            by_class,
        );
        let latency = Family::<Vec<(String, String)>, Gauge<f64, AtomicU64>>::default();
        for (quantile, seconds) in calls.latencies() {
            latency
                .get_or_create(&vec![("quantile".to_owned(), quantile.to_owned())])
                .set(seconds);
        }
        registry.register(
            "sink_call_latency_seconds",
            "Request latency quantiles since the sink opened (quantile 1: the maximum)",
            latency,
        );
    }
    let mut out = String::new();
    encode(&mut out, &registry).expect("writing to a String cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use csgen_sinks::calls::CallsSnapshot;

    use crate::control::Counters;

    use super::*;

    #[test]
    fn a_sinks_request_classes_and_latency_quantiles_are_rendered() {
        let status = RunStatus {
            state: State::Running,
            model: "classic",
            rate: 10.0,
            achieved_rate: 9.5,
            sink: "browse:http://127.0.0.1:8080".into(),
            counters: Counters {
                generated: 12,
                delivered: 10,
                failed: 2,
                calls: Some(CallsSnapshot {
                    count: 12,
                    by_class: [0, 10, 0, 1, 0, 1],
                    p50_us: 1500,
                    p90_us: 4000,
                    p99_us: 9000,
                    max_us: 12_000,
                }),
                ..Counters::default()
            },
        };
        let text = render(&status);
        for line in [
            "csgen_sink_calls_total{class=\"2xx\"} 10",
            "csgen_sink_calls_total{class=\"4xx\"} 1",
            "csgen_sink_calls_total{class=\"error\"} 1",
            "csgen_sink_call_latency_seconds{quantile=\"0.5\"} 0.0015",
            "csgen_sink_call_latency_seconds{quantile=\"0.99\"} 0.009",
            "csgen_sink_call_latency_seconds{quantile=\"1\"} 0.012",
        ] {
            assert!(text.contains(line), "{line} missing in:\n{text}");
        }
        let plain = RunStatus {
            counters: Counters::default(),
            ..status
        };
        assert!(
            !render(&plain).contains("sink_call"),
            "no call metrics for sinks without calls"
        );
    }
}
