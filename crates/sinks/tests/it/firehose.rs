//! The `firehose:` sink against moto: records land in the delivery stream's S3 bucket.

use aws_sdk_firehose::types::{BufferingHints, ExtendedS3DestinationConfiguration};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use csgen_pipeline::AwsSettings;
use csgen_sinks::{Sink, SinkContext, SinkSpec};
use csgen_testkit::Server;

use crate::{count_ids, event_ids, json_batch, local_aws_env};

/// A plain S3 call to moto; the dummy SigV4 header tells moto which service it is.
async fn s3(method: &str, url: &str) -> (u16, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=csgen-test/20260101/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=00",
        )
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = client.request(req).await.expect("S3 call to moto");
    let status = res.status().as_u16();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

/// The `<Key>`s of a ListObjectsV2 answer.
fn keys(xml: &str) -> Vec<String> {
    xml.split("<Key>")
        .skip(1)
        .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_land_in_the_s3_bucket_exactly_once() {
    let Some(server) = Server::moto() else { return };
    local_aws_env();
    let endpoint = server.endpoint();
    let (status, _) = s3("PUT", &format!("{endpoint}/landing")).await;
    assert_eq!(status, 200, "create bucket");
    let settings = AwsSettings {
        endpoint: Some(endpoint.clone()),
    };
    let config = csgen_pipeline::endpoint::aws::load(&settings)
        .await
        .expect("a local endpoint");
    let firehose = aws_sdk_firehose::Client::new(&config);
    firehose
        .create_delivery_stream()
        .delivery_stream_name("clicks-to-s3")
        .extended_s3_destination_configuration(
            ExtendedS3DestinationConfiguration::builder()
                .bucket_arn("arn:aws:s3:::landing")
                .role_arn("arn:aws:iam::123456789012:role/firehose")
                .prefix("raw/")
                .buffering_hints(
                    BufferingHints::builder()
                        .size_in_mbs(1)
                        .interval_in_seconds(60)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create delivery stream");

    let spec: SinkSpec = "firehose:clicks-to-s3?linger-ms=20".parse().unwrap();
    let cx = SinkContext {
        aws: AwsSettings {
            endpoint: Some(endpoint.clone()),
        },
        seed: Some(3),
        ..Default::default()
    };
    let mut sink = spec.open(&cx).await.expect("build");
    const N: u64 = 2_000;
    for start in (0..N).step_by(400) {
        let batch = json_batch(start, start + 400);
        sink.stats().add_generated(batch.len() as u64);
        sink.send(batch).await.unwrap();
    }
    sink.flush().await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (N, 0, 0));

    let (status, listing) = s3("GET", &format!("{endpoint}/landing?list-type=2")).await;
    assert_eq!(status, 200);
    let keys = keys(&String::from_utf8_lossy(&listing));
    assert!(!keys.is_empty(), "no objects in the bucket");
    let mut lines = Vec::new();
    for key in &keys {
        assert!(key.starts_with("raw/"), "{key}");
        let (status, body) = s3("GET", &format!("{endpoint}/landing/{key}")).await;
        assert_eq!(status, 200, "{key}");
        assert!(body.ends_with(b"\n"), "records are newline-delimited");
        lines.extend(
            body.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    let got = count_ids(lines.iter().map(Vec::as_slice));
    assert_eq!(got.len() as u64, N);
    for id in event_ids(0, N) {
        assert_eq!(got.get(&id), Some(&1), "event {id}");
    }
    // And the bytes are the records as sent.
    let sent = json_batch(0, N);
    let sent: std::collections::HashSet<&[u8]> = sent.records().collect();
    assert!(lines.iter().all(|l| sent.contains(l.as_slice())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_delivery_stream_is_a_clear_error() {
    let Some(server) = Server::moto() else { return };
    local_aws_env();
    let spec: SinkSpec = "firehose:absent".parse().unwrap();
    let cx = SinkContext {
        aws: AwsSettings {
            endpoint: Some(server.endpoint()),
        },
        ..Default::default()
    };
    let err = spec.open(&cx).await.err().expect("no such stream");
    assert_eq!(
        err.to_string(),
        "firehose:absent: delivery stream \"absent\" not found (ResourceNotFoundException)"
    );
}
