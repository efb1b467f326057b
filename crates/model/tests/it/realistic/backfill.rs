//! Backfill speed, determinism across chunks, threads and shards, live streaming.

use std::time::Instant;

use csgen_model::realistic::{Event, EventStream, Part, TruthBuilder};
use csgen_model::{Format, Shard};

use super::{DAY, HOUR, MONDAY, encode, model, whole};

const FAULTY: &str =
    "[faults]\nduplicate = 0.01\nlate = 0.01\nout_of_order = 0.01\nmalformed = 0.01\n";

/// Faults and cart removals on: every kind of record the model writes.
fn everything() -> String {
    format!("{FAULTY}{}", super::orders::REMOVALS)
}

#[test]
fn a_week_of_backfill_for_10000_customers() {
    let m = model("[customers]\ncount = 10000\n", 7);
    let started = Instant::now();
    let events = whole(&m, MONDAY, MONDAY + 7 * DAY);
    let batch = encode(&m, &events, Format::Json);
    let mut truth = TruthBuilder::new(&m, Format::Json, Shard::ALL);
    truth.add_all(&events);
    let manifest = truth.finish();
    eprintln!(
        "a week for 10,000 customers: {} events, {} bytes in {:?}",
        events.len(),
        batch.data.len(),
        started.elapsed()
    );
    assert_eq!(manifest.records as usize, events.len());
    assert_eq!(
        manifest.hours.len(),
        7 * 24,
        "every hour of the week has events"
    );
    // 20,000 sessions a day by default, each one landing.
    let sessions: u64 = manifest.hours.values().map(|h| h.sessions_started).sum();
    assert!(
        (130_000..150_000).contains(&sessions),
        "{sessions} sessions"
    );
    assert!(
        events.windows(2).all(|w| w[0].order() < w[1].order()),
        "sorted by arrival"
    );
    assert!(
        events
            .iter()
            .all(|e| (MONDAY..MONDAY + 7 * DAY).contains(&e.arrival_ms))
    );
}

#[test]
fn chunk_boundaries_do_not_change_the_stream() {
    let m = model(&everything(), 11);
    let (from, to) = (MONDAY + 5 * HOUR, MONDAY + 9 * HOUR);
    let all = whole(&m, from, to);
    assert!(all.len() > 1000);
    for cuts in [
        vec![from + 1, from + HOUR],
        vec![from + 7_919, from + 2 * HOUR + 1, to - 1],
    ] {
        let mut edges = vec![from];
        edges.extend(cuts);
        edges.push(to);
        let chunks: Vec<Vec<Event>> = edges
            .windows(2)
            .map(|w| m.window(w[0], w[1], Shard::ALL))
            .collect();
        // Each chunk encoded by its own encoder, as worker threads do: carts and
        // orders come out the same.
        let bytes: Vec<u8> = chunks
            .iter()
            .flat_map(|c| encode(&m, c, Format::Json).into_data())
            .collect();
        assert!(
            bytes == encode(&m, &all, Format::Json).data,
            "cut at {edges:?}"
        );
        assert_eq!(chunks.concat(), all, "cut at {edges:?}");
    }
    // One stream filled in small steps (the live pacer's way) gives the same events.
    let mut stream = EventStream::new(&m, Shard::ALL, from);
    let mut stepped = Vec::new();
    let mut t = from;
    while t < to {
        t = (t + 1_733).min(to);
        stream.fill_until(t, &mut stepped);
    }
    assert_eq!(stepped, all);
    // Same seed, same bytes.
    let again = model(&everything(), 11).window(from, to, Shard::ALL);
    assert_eq!(
        encode(&m, &again, Format::Json).data,
        encode(&m, &all, Format::Json).data
    );
    let other = model(&everything(), 12).window(from, to, Shard::ALL);
    assert_ne!(other, all);
}

#[test]
fn shards_in_threads_add_up_to_the_whole() {
    let m = model(&everything(), 5);
    let (from, to) = (MONDAY + 18 * HOUR, MONDAY + 22 * HOUR);
    let all = whole(&m, from, to);
    let mut all_records: Vec<Vec<u8>> = encode(&m, &all, Format::Json)
        .records()
        .map(<[u8]>::to_vec)
        .collect();
    all_records.sort();
    let mut whole_truth = TruthBuilder::new(&m, Format::Json, Shard::ALL);
    whole_truth.add_all(&all);
    let whole_manifest = whole_truth.finish();

    let n = 3;
    type Part = (Vec<Event>, csgen_model::Manifest, Vec<Vec<u8>>);
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=n)
            .map(|i| {
                let m = &m;
                s.spawn(move || {
                    let shard = Shard::new(i, n).unwrap();
                    let events = m.window(from, to, shard);
                    let mut t = TruthBuilder::new(m, Format::Json, shard);
                    t.add_all(&events);
                    let records = encode(m, &events, Format::Json)
                        .records()
                        .map(<[u8]>::to_vec)
                        .collect();
                    (events, t.finish(), records)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut shard_records: Vec<Vec<u8>> = parts.iter().flat_map(|p| p.2.clone()).collect();
    shard_records.sort();
    assert!(
        shard_records == all_records,
        "the shards' records, carts and orders included, are the whole run's"
    );
    let mut merged: Vec<Event> = parts.iter().flat_map(|p| p.0.clone()).collect();
    assert!(
        parts.iter().all(|p| !p.0.is_empty()),
        "every shard has work"
    );
    merged.sort_by_key(Event::order);
    assert_eq!(merged, all, "shards are disjoint and cover the stream");
    let mut manifest = parts[0].1.clone();
    for p in &parts[1..] {
        manifest.merge(&p.1);
    }
    manifest.shards = vec!["1/1".into()];
    assert_eq!(
        manifest, whole_manifest,
        "shard manifests add up, distinct users, orders and revenue included"
    );
    assert!(manifest.hours.values().any(|h| !h.revenue.is_empty()));
}

#[test]
fn parts_of_a_shard_merged_in_stream_order_are_the_shards_stream() {
    let m = model(&everything(), 5);
    let (from, to) = (MONDAY + 18 * HOUR, MONDAY + 22 * HOUR);
    let shard = Shard::new(2, 3).unwrap();
    let mut want = Vec::new();
    EventStream::new(&m, shard, from).fill_until(to, &mut want);
    assert!(want.len() > 1000, "{} events", want.len());
    for n in [1, 2, 3, 7] {
        let mut merged = Vec::new();
        for j in 0..n {
            let mut part = Vec::new();
            let p = Part::new(j, n).unwrap();
            EventStream::part(&m, shard, p, from).fill_until(to, &mut part);
            assert!(
                part.windows(2).all(|w| w[0].sort_key() < w[1].sort_key()),
                "part {j} of {n} is in stream order"
            );
            assert!(n > 3 || !part.is_empty(), "part {j} of {n} has work");
            merged.extend(part);
        }
        merged.sort_by_key(Event::sort_key);
        assert!(
            merged == want,
            "{n} parts: disjoint, and together the stream"
        );
    }
    assert_eq!(Part::new(3, 3), None);
    assert_eq!(Part::new(0, 0), None);
}

#[test]
fn live_stream_peeks_the_next_arrival() {
    let m = model("", 3);
    let start = MONDAY + 20 * HOUR;
    let mut stream = EventStream::new(&m, Shard::ALL, start);
    let next = stream
        .peek_arrival(HOUR)
        .expect("an evening hour has events");
    let mut out = Vec::new();
    stream.fill_until(next, &mut out);
    assert!(out.is_empty(), "nothing before the peeked arrival");
    stream.fill_until(next + 1, &mut out);
    assert_eq!(out[0].arrival_ms, next);
    assert_eq!(stream.position(), next + 1);
}

#[test]
fn population_is_stable_and_heavy_tailed() {
    let a = model("[customers]\ncount = 5000\n", 1);
    let b = model("[customers]\ncount = 5000\n", 1);
    assert_eq!(a.population().customers(), b.population().customers());
    let ids: std::collections::HashSet<u64> =
        a.population().customers().iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 5000, "ids are distinct");
    let events = whole(&a, MONDAY, MONDAY + 2 * DAY);
    let mut per_customer = vec![0u64; 5000];
    for e in events.iter().filter(|e| e.index() == 0) {
        per_customer[e.customer as usize] += 1;
    }
    let total: u64 = per_customer.iter().sum();
    per_customer.sort_unstable_by(|x, y| y.cmp(x));
    let top: u64 = per_customer[..50].iter().sum();
    // Pareto(1.5): the top 1% of customers start well over 1% of the sessions.
    assert!(
        top * 100 / total >= 8,
        "top 1% start {top} of {total} sessions"
    );
}

#[test]
fn each_click_carries_the_session_its_record_names() {
    let m = model("", 5);
    let events = whole(&m, MONDAY + 12 * HOUR, MONDAY + 13 * HOUR);
    let batch = encode(&m, &events, Format::Json);
    assert!(batch.len() > 100, "{} events", batch.len());
    let mut sessions = std::collections::HashSet::new();
    for (i, click) in batch.clicks.iter().enumerate() {
        let record: serde_json::Value = match serde_json::from_slice(batch.record(i)) {
            Ok(v) => v,
            Err(_) => continue, // a malformed-record fault
        };
        let id = click
            .session_id()
            .expect("realistic clicks have a session")
            .to_string();
        assert_eq!(
            record["session_id"].as_str(),
            Some(id.as_str()),
            "record {i}"
        );
        sessions.insert(id);
    }
    assert!(sessions.len() > 10 && sessions.len() < batch.len());
}
