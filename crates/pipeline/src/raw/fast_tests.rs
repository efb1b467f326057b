use super::*;
use proptest::prelude::*;

fn serde(text: &str) -> Result<RawClick<'_>, serde_json::Error> {
    serde_json::from_str(text)
}

#[test]
fn takes_the_records_csgen_and_collectors_send() {
    for line in [
        r#"{"event_id":"5e13791f-7efc-80ed-8000-000000000000","ts":"2026-11-23T00:00:00.000Z","url":"https://webstore.demo.com/api/group/1/product/2039?userid=92","user_id":92}"#,
        r#"{"event_id":"e","ts":"2026-11-01T00:00:01.508Z","url":"https://s/api/group/1?userid=981361","user_id":981361,"session_id":"0046690e","event_type":"group_view","device":"desktop","country":"GB","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"}"#,
        r#"{ "url" : "/api/cart", "ts" : 1700000000000 , "ua":null, "referer":"https://search.example/?q=dvd", "user_id":"12", "ip":"192.0.2.1", "bot": false }"#,
        r#"{"url":"/","user_id":null,"ts":-5,"note":"naïve ☕"}"#,
        r#"{}"#,
        // The realistic model's cart and purchase records: amounts and order lines.
        r#"{"event_id":"e","url":"https://s/api/group/2/product/358/add-to-cart?userid=8","user_id":8,"event_type":"add_to_cart","quantity":1,"price":10.99,"currency":"USD"}"#,
        r#"{"event_id":"e","url":"https://s/api/purchase?userid=6","user_id":6,"order_id":"o","items":[{"product_id":78,"group_id":2,"quantity":1,"price":4.99},{"product_id":"9","price":"0.5","x":null}],"revenue":4.99,"currency":"USD"}"#,
        r#"{"url":"/","price":1980,"revenue":"12.5","items":[],"quantity":0}"#,
        r#"{"url":"/","price":null,"revenue":999999999999.999,"items":null}"#,
        // Keys csgen does not read take any number: serde skips them by syntax.
        r#"{"url":"/","n":123456789012345678901,"cart_value":21.99,"e":-1.5e-300,"z":-0}"#,
        r#"{"url":"/","price":0.001,"revenue":0,"items":[ { "price" : 1 , "product_id" : 3 } ]}"#,
    ] {
        let fast = parse(line).unwrap_or_else(|| panic!("fast path refused {line}"));
        assert_eq!(fast, serde(line).unwrap(), "{line}");
    }
}

#[test]
fn leaves_the_unusual_to_serde() {
    for line in [
        r#"{"url":"https:\/\/s/api"}"#,                   // an escape
        r#"{"u\u0072l":"/"}"#,                            // an escaped key
        r#"{"url":"/","extra":[1]}"#,                     // a nested value
        r#"{"url":"/","ts":1.5}"#,                        // a float
        r#"{"url":"/","user_id":123456789012345678901}"#, // too long for an integer
        r#"{"url":"/","n":1.}"#,                          // not a JSON number
        r#"{"url":"/","n":01}"#,                          // a leading zero
        r#"{"url":"/","ts":-0}"#,                         // -0 is a float to serde_json
        r#"{"url":"/","user_id":007}"#,                   // a leading zero
        r#"{"url":"/","user_id":-1}"#,                    // a negative id
        r#"{"url":"/","user_id":"+5"}"#,                  // u64::from_str takes the sign
        r#"{"url":"/","ua":"a","user_agent":"b"}"#,       // a duplicate through an alias
        r#"{"url":"/",}"#,                                // a trailing comma
        r#"{"url":"/"} x"#,                               // trailing bytes
        "{\"url\":\"/\t\"}",                              // a raw control character
        r#"{"url":1}"#,                                   // a wrong type
        r#"{"url":"/","price":1.2345}"#,                  // four decimals: serde's error
        r#"{"url":"/","price":1.2300}"#,                  // four decimals, even if zeros
        r#"{"url":"/","price":1e3}"#,                     // an exponent
        r#"{"url":"/","price":-1.5}"#,                    // negative
        r#"{"url":"/","price":01.5}"#,                    // a leading zero
        r#"{"url":"/","price":1.}"#,                      // no decimals after the point
        r#"{"url":"/","price":9999999999999.999}"#,       // 16 digits: f64 rounding decides
        r#"{"url":"/","price":"-1"}"#,                    // a string that is not an amount
        r#"{"url":"/","price":1,"price":2}"#,             // a duplicate
        r#"{"url":"/","items":[{"product_id":3}]}"#,      // a line without price
        r#"{"url":"/","items":[{"price":3}]}"#,           // a line without product_id
        r#"{"url":"/","items":[{"product_id":3,"price":1,"quantity":0}]}"#,
        r#"{"url":"/","items":[{"product_id":3,"price":1,"price":1}]}"#,
        r#"{"url":"/","items":[{"product_id":3,"price":1,"g":[1]}]}"#,
        r#"{"url":"/","items":[{"product_id":3,"price":1},]}"#,
        r#"{"url":"/","items":[[3,1,1]]}"#, // a line as an array
        r#"{"url":"/","items":{"product_id":3}}"#,
    ] {
        assert!(parse(line).is_none(), "{line}");
    }
}

fn piece() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        4 => Just("a"),
        4 => Just("/api/group/1?userid=2"),
        4 => Just("2026-11-23T07:26:20.123Z"),
        4 => Just("42"),
        4 => Just("+5"),
        4 => Just("é☕"),
        4 => Just(" "),
        1 => Just("\\\""),
        1 => Just("\\\\"),
        1 => Just("\\/"),
        1 => Just("\\u00e9"),
        1 => Just("\\x"),
        1 => Just("\u{1}"),
        1 => Just("\""),
    ]
}

/// Any value of a record: scalars, amounts, order lines.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => scalar(),
        2 => money(),
        1 => prop::collection::vec(item(), 0..3).prop_map(|l| format!("[{}]", l.join(","))),
    ]
}

/// Strings, integers and the odd malformed or nested token.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(piece(), 0..4).prop_map(|p| format!("\"{}\"", p.concat())),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        2 => any::<u64>().prop_map(|n| n.to_string()),
        1 => (0u32..100).prop_map(|n| n.to_string()),
        1 => prop_oneof![
            Just("-0"), Just("007"), Just("1.5"), Just("1e3"), Just("-"), Just("1x"),
            Just("123456789012345678901"), Just("999999999999999999"),
            Just("null"), Just("true"), Just("false"), Just("nul"),
            Just("{\"a\":[1,{}]}"), Just("[]"),
        ]
        .prop_map(str::to_owned),
    ]
}

/// Amounts, plain and awkward: the fast path reads some, serde all of them.
fn money() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u64..100_000, 0u32..1000, 0usize..5).prop_map(|(w, f, d)| match d {
            0 => w.to_string(),
            d => format!("{w}.{:0width$}", u64::from(f) % 10u64.pow(d as u32), width = d),
        }),
        1 => (0u64..=999_999_999_999_999, 0u32..1000).prop_map(|(w, f)| format!("{w}.{f:03}")),
        1 => any::<f64>().prop_map(|f| f.to_string()),
        1 => prop_oneof![
            Just("0.1"), Just("0.001"), Just("0.0001"), Just("1e3"), Just("1E-2"), Just("-1"),
            Just("-0.0"), Just("0"), Just("00"), Just("1."), Just(".5"), Just("\"12.99\""),
            Just("\"1.2345\""), Just("\"abc\""), Just("999999999999999"),
            Just("9999999999999999"), Just("99999999999999.99"), Just("999999999999999.999"),
            Just("0.30000000000000004"), Just("1.0000000000000001"),
        ]
        .prop_map(str::to_owned),
    ]
}

/// An order line, usually well formed, sometimes not.
fn item() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        3 => (0u32..1000).prop_map(|n| format!("\"product_id\":{n}")),
        3 => money().prop_map(|m| format!("\"price\":{m}")),
        2 => (-1i32..4).prop_map(|n| format!("\"quantity\":{n}")),
        1 => scalar().prop_map(|v| format!("\"group_id\":{v}")),
        1 => scalar().prop_map(|v| format!("\"product_id\":{v}")),
        1 => scalar().prop_map(|v| format!("\"quantity\":{v}")),
    ];
    prop::collection::vec(member, 0..5).prop_map(|m| format!("{{{}}}", m.join(",")))
}

fn key() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("\"event_id\""),
        Just("\"ts\""),
        Just("\"url\""),
        Just("\"user_id\""),
        Just("\"session_id\""),
        Just("\"user_agent\""),
        Just("\"ua\""),
        Just("\"device\""),
        Just("\"referrer\""),
        Just("\"referer\""),
        Just("\"ip\""),
        Just("\"country\""),
        Just("\"utm_campaign\""),
        Just("\"order_id\""),
        Just("\"quantity\""),
        Just("\"price\""),
        Just("\"revenue\""),
        Just("\"items\""),
        Just("\"currency\""),
        Just("\"u\\u0072l\""),
        Just("\"\""),
        Just("url"),
    ]
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\t\n ")]
}

prop_compose! {
    fn record()(
        fields in prop::collection::vec((key(), ws(), ws(), value(), ws()), 0..7),
        open in ws(),
        sep in prop_oneof![9 => Just(","), 1 => Just(";")],
        end in prop_oneof![8 => Just("}"), 1 => Just(""), 1 => Just(",}")],
        tail in prop_oneof![8 => Just(""), 1 => Just(" "), 1 => Just("x")],
    ) -> String {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, a, b, v, c)| format!("{k}{a}:{b}{v}{c}"))
            .collect();
        format!("{{{open}{}{end}{tail}", body.join(sep))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Whatever the fast path accepts, serde accepts too, with the same fields.
    #[test]
    fn the_fast_path_agrees_with_serde(text in record()) {
        if let Some(fast) = parse(&text) {
            match serde(&text) {
                Ok(slow) => prop_assert_eq!(fast, slow, "{}", text),
                Err(e) => prop_assert!(false, "fast path took {text:?}, serde said {e}"),
            }
        }
    }

    /// Amounts and order lines: whatever the fast path reads, serde reads the same;
    /// plain amounts (at most 15 digits, 3 decimals) always take the fast path.
    #[test]
    fn amounts_read_as_serde_reads_them(
        price in money(),
        lines in prop::collection::vec(item(), 0..3),
        whole in 0u64..1_000_000_000_000,
        cents in 0u32..100,
    ) {
        let text = format!(
            r#"{{"url":"/","price":{price},"items":[{}],"revenue":{whole}.{cents:02}}}"#,
            lines.join(",")
        );
        if let Some(fast) = parse(&text) {
            prop_assert_eq!(fast, serde(&text).expect("serde reads what the fast path reads"));
        }
        let plain = format!(r#"{{"url":"/","revenue":{whole}.{cents:02},"price":{whole}}}"#);
        let fast = parse(&plain);
        prop_assert!(fast.is_some(), "{}", plain);
        prop_assert_eq!(fast.unwrap(), serde(&plain).unwrap());
    }

    /// Plain records (no escapes, integers and strings) always take the fast path.
    #[test]
    fn plain_records_take_the_fast_path(
        id in "[0-9a-f-]{1,36}",
        ts in prop_oneof![Just("\"2026-11-23T07:26:20.123Z\"".to_owned()), (0i64..=253_402_300_799_999).prop_map(|n| n.to_string())],
        user in 0u32..1_000_000,
        ua in "[ -!#-\\[\\]-~é]{0,40}",
    ) {
        let text = format!(
            r#"{{"event_id":"{id}","ts":{ts},"url":"https://s/api/group/1?userid={user}","user_id":{user},"user_agent":"{ua}","x":null}}"#
        );
        let fast = parse(&text);
        prop_assert!(fast.is_some(), "{}", text);
        prop_assert_eq!(fast.unwrap(), serde(&text).unwrap());
    }
}

/// Every record the realistic model writes — carts with prices, purchases with order
/// lines and revenue — takes the fast path and reads as serde reads it (before, every
/// record with an amount fell back to serde_json: twice the instructions a record).
#[test]
fn the_realistic_models_records_take_the_fast_path() {
    let (_, records) = crate::enrich::tests::realistic_hour("", 5);
    let text = std::str::from_utf8(&records).expect("UTF-8");
    let (mut amounts, mut orders) = (0, 0);
    for line in text.lines() {
        let fast = parse(line).unwrap_or_else(|| panic!("fast path refused {line}"));
        amounts += usize::from(fast.price.is_some() || fast.revenue.is_some());
        orders += usize::from(fast.items.as_ref().is_some_and(|l| !l.is_empty()));
        assert_eq!(fast, serde(line).expect("serde reads it"), "{line}");
    }
    assert!(
        amounts > 0 && orders > 0,
        "{amounts} amounts, {orders} orders"
    );
}
