//! The Firehose handler: a data-transformation event's records in, enriched JSON out.
//!
//! For users who keep Firehose between the stream and S3 (as the original did): each
//! record's data (one raw record, or several separated by newlines, of any shape
//! `csgen enrich` reads) becomes the enriched events as JSON lines, one object per
//! event with the lake's columns (`event_time` in RFC 3339 UTC with milliseconds,
//! money as exact decimal text).
//! A record with a line enrich cannot read is `ProcessingFailed` as a whole (Firehose
//! then delivers the original to its error prefix, where it can be inspected), a record
//! of blank lines only is `Dropped`. When all of a record's events fall in one hour,
//! its metadata carries the partition keys `dt` and `hour`, for Firehose's dynamic
//! partitioning into the same `dt=…/hour=…/` layout as the lake.
//!
//! Records without `ts` take the record's approximate arrival time; records without
//! `event_id` get an id derived from the delivery stream and the record id.

use std::collections::HashMap;

use aws_lambda_events::event::firehose::{
    KinesisFirehoseEvent, KinesisFirehoseEventRecord, KinesisFirehoseResponse,
    KinesisFirehoseResponseRecord,
};
use csgen_model::StoreConfig;
use csgen_pipeline::hash::{FNV_OFFSET, fnv1a};
use csgen_pipeline::lake::Partition;
use csgen_pipeline::{EnrichOptions, Enricher, Event, EventWindow, Position, Reason};
use serde::Serialize;

use crate::settings::Settings;

/// The Firehose handler (stateless between invocations but for the store config).
pub struct FirehoseFunction {
    config: StoreConfig,
}

/// The result values Firehose knows.
pub const OK: &str = "Ok";
pub const DROPPED: &str = "Dropped";
pub const PROCESSING_FAILED: &str = "ProcessingFailed";

impl FirehoseFunction {
    pub fn new(settings: &Settings) -> Self {
        Self {
            config: settings.store.clone(),
        }
    }

    /// Transforms every record of `event`; never fails as a whole (a bad record is
    /// `ProcessingFailed` on its own).
    pub fn handle(&self, event: KinesisFirehoseEvent) -> KinesisFirehoseResponse {
        let stream = event.delivery_stream_arn.as_deref().unwrap_or("firehose");
        let mut enricher = Enricher::new(
            &self.config,
            &EnrichOptions {
                source_key: fnv1a(FNV_OFFSET, stream.as_bytes()),
                window: EventWindow::RECOMMENDED,
                ..EnrichOptions::default()
            },
        );
        let mut response = KinesisFirehoseResponse::default();
        let (mut ok, mut failed, mut dropped) = (0u64, 0u64, 0u64);
        for (n, record) in event.records.into_iter().enumerate() {
            let out = transform(&mut enricher, &record, n as u64);
            match out.result.as_deref() {
                Some(OK) => ok += 1,
                Some(DROPPED) => dropped += 1,
                _ => failed += 1,
            }
            response.records.push(out);
        }
        tracing::info!(
            records = ok + failed + dropped,
            ok,
            failed,
            dropped,
            "lambda: firehose records transformed"
        );
        response
    }
}

/// One record's answer.
pub fn transform(
    enricher: &mut Enricher,
    record: &KinesisFirehoseEventRecord,
    n: u64,
) -> KinesisFirehoseResponseRecord {
    let mut out = KinesisFirehoseResponseRecord::default();
    out.record_id = record.record_id.clone();
    let id_hash = fnv1a(
        FNV_OFFSET,
        record.record_id.as_deref().unwrap_or("").as_bytes(),
    );
    let arrival_ms = record.approximate_arrival_timestamp.0.timestamp_millis();
    let data = record.data.0.as_slice();
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    let mut json = Vec::with_capacity(data.len() * 2);
    let mut partitions = None::<(Partition, bool)>;
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            continue;
        }
        let pos = Position {
            line: n + 1,
            offset: id_hash.wrapping_add(i as u64),
            arrival_ms,
        };
        match enricher.enrich(line, pos) {
            Ok(event) => {
                let p = Partition::of(event.event_time_ms);
                partitions = Some(match partitions {
                    None => (p, true),
                    Some((q, same)) => (q, same && q == p),
                });
                write_event(&event, &mut json);
            }
            Err(reason) => return failed(out, record, &reason),
        }
    }
    match partitions {
        None => {
            out.result = Some(DROPPED.into());
            out.data = record.data.clone();
        }
        Some((p, same)) => {
            out.result = Some(OK.into());
            *out.data = json;
            if same {
                out.metadata.partition_keys = HashMap::from([
                    ("dt".into(), p.dt()),
                    ("hour".into(), format!("{:02}", p.hour())),
                ]);
            }
        }
    }
    out
}

fn failed(
    mut out: KinesisFirehoseResponseRecord,
    record: &KinesisFirehoseEventRecord,
    reason: &Reason,
) -> KinesisFirehoseResponseRecord {
    tracing::debug!(record = ?record.record_id, reason = reason.code(), "lambda: firehose record failed");
    out.result = Some(PROCESSING_FAILED.into());
    out.data = record.data.clone();
    out
}

/// An event as one JSON line: the lake's columns.
#[derive(Serialize)]
struct EventJson<'a> {
    event_id: &'a str,
    event_time: String,
    event_type: &'static str,
    user_id: i64,
    session_id: String,
    group_id: Option<i32>,
    group_name: Option<&'a str>,
    product_id: Option<i64>,
    device: Option<&'a str>,
    browser: Option<&'a str>,
    referrer: Option<&'a str>,
    url: &'a str,
    country: Option<&'a str>,
    os: Option<&'a str>,
    utm_source: Option<&'a str>,
    utm_medium: Option<&'a str>,
    utm_campaign: Option<&'a str>,
    order_id: Option<&'a str>,
    quantity: Option<i32>,
    /// Exact decimals as text (`"19.990"`), as the lake's `decimal(18,3)` holds them.
    price: Option<String>,
    revenue: Option<String>,
    currency: Option<&'a str>,
}

fn write_event(e: &Event<'_>, out: &mut Vec<u8>) {
    let d = &e.details;
    let json = EventJson {
        event_id: &e.event_id,
        event_time: csgen_pipeline::time::format_ms(e.event_time_ms),
        event_type: e.event_type.as_str(),
        user_id: e.user_id,
        session_id: e.session_id.to_string(),
        group_id: e.group_id,
        group_name: e.group_name,
        product_id: e.product_id,
        device: e.device.as_deref(),
        browser: e.browser.as_deref(),
        referrer: e.referrer.as_deref(),
        url: &e.url,
        country: d.country.as_deref(),
        os: d.os.as_deref(),
        utm_source: d.utm_source.as_deref(),
        utm_medium: d.utm_medium.as_deref(),
        utm_campaign: d.utm_campaign.as_deref(),
        order_id: d.order_id.as_deref(),
        quantity: d.quantity,
        price: d.price.map(|m| m.to_string()),
        revenue: d.revenue.map(|m| m.to_string()),
        currency: d.currency.as_deref(),
    };
    // Strings and integers only: serialising into a Vec cannot fail.
    if serde_json::to_writer(&mut *out, &json).is_ok() {
        out.push(b'\n');
    }
}
