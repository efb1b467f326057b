//! The Firehose transformation through the function binary.

use base64::Engine as _;

use crate::support::Function;

#[test]
fn firehose_records_come_back_enriched_failed_or_dropped() {
    let f = Function::start(None, &[("CSGEN_HANDLER", "firehose")]);
    let b64 = base64::engine::general_purpose::STANDARD;
    let rec = |id: &str, data: &[u8]| {
        serde_json::json!({
            "recordId": id,
            // 2026-11-02T12:00:00Z
            "approximateArrivalTimestamp": 1_793_620_800_000i64,
            "data": b64.encode(data),
        })
    };
    let event = serde_json::json!({
        "invocationId": "inv-1",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks",
        "region": "us-east-1",
        "records": [
            rec("a", br#"{"event_id":"e1","ts":"2026-11-02T10:15:00.000Z","url":"http://shop/api/group/1/product/5","user_id":7,"user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"}"#),
            rec("b", b"{\"url\": broken"),
            rec("c", b"\n"),
            rec("d", b"http://shop/api/group/2?userid=3\n"),
        ],
    });
    let response = f.invoke(&event);
    let records = response["records"].as_array().unwrap();
    let results: Vec<&str> = records
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        ["Ok", "ProcessingFailed", "Dropped", "Ok"],
        "{response}"
    );
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r["recordId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    let data = |i: usize| b64.decode(records[i]["data"].as_str().unwrap()).unwrap();
    let a: serde_json::Value = serde_json::from_slice(&data(0)).unwrap();
    assert_eq!(a["event_type"], "product_view");
    assert_eq!(a["event_time"], "2026-11-02T10:15:00.000Z");
    assert_eq!(a["product_id"], 5);
    assert_eq!(a["browser"], "Chrome");
    assert_eq!(records[0]["metadata"]["partitionKeys"]["hour"], "10");
    assert_eq!(records[0]["metadata"]["partitionKeys"]["dt"], "2026-11-02");
    // A failed record hands back its original bytes, for Firehose's error prefix.
    assert_eq!(data(1), b"{\"url\": broken");
    let d: serde_json::Value = serde_json::from_slice(&data(3)).unwrap();
    assert_eq!(d["event_type"], "group_view");
    assert_eq!(
        d["event_time"], "2026-11-02T12:00:00.000Z",
        "a bare URL takes the arrival time"
    );
}
