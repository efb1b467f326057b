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
    ] {
        let fast = parse(line).unwrap_or_else(|| panic!("fast path refused {line}"));
        assert_eq!(fast, serde(line).unwrap(), "{line}");
    }
}

#[test]
fn leaves_the_unusual_to_serde() {
    for line in [
        r#"{"url":"https:\/\/s/api"}"#,             // an escape
        r#"{"u\u0072l":"/"}"#,                      // an escaped key
        r#"{"url":"/","extra":[1]}"#,               // a nested value
        r#"{"url":"/","ts":1.5}"#,                  // a float
        r#"{"url":"/","ts":-0}"#,                   // -0 is a float to serde_json
        r#"{"url":"/","user_id":007}"#,             // a leading zero
        r#"{"url":"/","user_id":-1}"#,              // a negative id
        r#"{"url":"/","user_id":"+5"}"#,            // u64::from_str takes the sign
        r#"{"url":"/","ua":"a","user_agent":"b"}"#, // a duplicate through an alias
        r#"{"url":"/",}"#,                          // a trailing comma
        r#"{"url":"/"} x"#,                         // trailing bytes
        "{\"url\":\"/\t\"}",                        // a raw control character
        r#"{"url":1}"#,                             // a wrong type
        r#"{"url":"/","n":123456789012345678901}"#, // too long for an integer
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

fn value() -> impl Strategy<Value = String> {
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
