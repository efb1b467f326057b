//! Snapshots of text users see: the first records of seed 42 in each format at a
//! fixed time, and the effective model `csgen check` prints for the defaults.

use csgen_model::{Encoder, Format, Generator, Schedule, Shard, StoreConfig, produce};

fn first_records(format: Format) -> String {
    let config = StoreConfig::defaults();
    let generator = Generator::new(&config, 42);
    // 2026-11-18T11:06:40.000Z at 3 clicks/s, the defaults' rate.
    let schedule = Schedule::new(0, 1_795_000_000_000, config.clicks_per_second);
    let mut encoder = Encoder::new(format, &config.store_url);
    let batch = produce(&generator, &mut encoder, &schedule, Shard::ALL, 0, 5);
    String::from_utf8(batch.into_data()).expect("records are UTF-8")
}

#[test]
fn seed_42_first_records_url() {
    insta::assert_snapshot!(first_records(Format::Url));
}

#[test]
fn seed_42_first_records_json() {
    insta::assert_snapshot!(first_records(Format::Json));
}

#[test]
fn seed_42_first_records_url_object() {
    insta::assert_snapshot!(first_records(Format::UrlObject));
}

#[test]
fn check_output_for_the_defaults() {
    insta::assert_snapshot!(StoreConfig::defaults().to_string());
}
