//! Records to requests: every format, malformed records, redirects, sessions' referrers
//! and header lines.

use super::*;

#[test]
fn records_of_every_format_become_requests_to_the_base() {
    let base = Base::parse("http://127.0.0.1:8080/shop/").unwrap();
    let json = br#"{"event_id":"e","ts":"2026-11-01T00:00:00Z","url":"https://webstore.demo.com/api/group/2/product/7?userid=5","user_id":5,"session_id":"s-1","user_agent":"Mozilla/5.0 (X11)","referrer":"https://www.google.com/"}"#;
    let p = plan(json, Some(&base)).unwrap();
    assert_eq!(
        p.uri,
        "http://127.0.0.1:8080/shop/api/group/2/product/7?userid=5"
    );
    assert_eq!(p.user_agent.as_deref(), Some("Mozilla/5.0 (X11)"));
    assert_eq!(p.referrer.as_deref(), Some("https://www.google.com/"));
    assert_eq!(p.session.as_deref(), Some("s-1"));
    let p = plan(
        br#"{"url":"https://webstore.demo.com/api/group/1?userid=9"}"#,
        None,
    )
    .unwrap();
    assert_eq!(p.uri, "https://webstore.demo.com/api/group/1?userid=9");
    assert_eq!((p.user_agent, p.session), (None, None));
    let bare = Base::parse("http://localhost:9").unwrap();
    let p = plan(
        b"https://webstore.demo.com/api/group/1?userid=9",
        Some(&bare),
    )
    .unwrap();
    assert_eq!(p.uri, "http://localhost:9/api/group/1?userid=9");
}

#[test]
fn malformed_records_are_refused_with_the_reason() {
    for (record, want) in [
        (
            &br#"{"event_id":"x","ts":"2026-1"#[..],
            "not a click record",
        ),
        (br#"{"event_id":"x"}"#, "not a click record"),
        (
            b"https//webstore.demo.com/api/group/1",
            "not an http(s) URL",
        ),
        (b"ftp://h/x", "not an http(s) URL"),
        (b"\xff\xfe", "not a click record"),
        (b"", "not a click record"),
    ] {
        let e = plan(record, None).unwrap_err();
        assert!(
            e.contains(want),
            "{:?}: {e}",
            String::from_utf8_lossy(record)
        );
    }
    let base = Base::parse("http://127.0.0.1:8080").unwrap();
    for (record, want) in [
        (&b"https:///api/x"[..], "not an http(s) URL"),
        (b"http:/h/x", "not an http(s) URL"),
        (b"https://h/a b", "not an http(s) URL"),
        (b"https://h/\x7f", "not an http(s) URL"),
        (b"webstore.demo.com/api", "not an http(s) URL"),
    ] {
        let e = plan(record, Some(&base)).unwrap_err();
        assert!(
            e.contains(want),
            "{:?}: {e}",
            String::from_utf8_lossy(record)
        );
    }
    for (url, want) in [
        ("https://h/a?x=1#frag", "http://127.0.0.1:8080/a?x=1"),
        ("https://h?x=1", "http://127.0.0.1:8080/?x=1"),
        ("https://h", "http://127.0.0.1:8080/"),
    ] {
        assert_eq!(
            plan(url.as_bytes(), Some(&base)).unwrap().uri,
            want,
            "{url}"
        );
    }
    for bad in ["ftp://x", "http://u:p@h", "http://h/#x", "/relative"] {
        assert!(Base::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn header_lines_carry_the_click_s_own_unless_an_option_header_replaces_them() {
    let lines = |planner: &mut Planner, record: &[u8]| {
        let (_, h) = planner.plan(record).unwrap();
        String::from_utf8(h.to_vec()).unwrap()
    };
    let json = br#"{"event_id":"e","ts":"2026-11-01T00:00:00Z","url":"https://s/api/group/2","user_id":5,"session_id":"s-1","user_agent":"Mozilla/5.0 (X11)","referrer":"https://www.google.com/"}"#;
    let mut options = HeaderMap::new();
    options.insert(header::HOST, "elsewhere".parse().unwrap());
    options.insert("x-team", "load".parse().unwrap());
    let mut p = Planner::new(None, SessionCarrier::Cookie, options.clone());
    assert_eq!(
        lines(&mut p, json),
        "user-agent: Mozilla/5.0 (X11)\r\nreferer: https://www.google.com/\r\n\
         cookie: csgen_session=s-1\r\nx-team: load\r\n"
    );
    let classic = b"https://s/api/group/1?userid=9";
    assert_eq!(
        lines(&mut p, classic),
        format!(
            "user-agent: {}\r\nx-team: load\r\n",
            crate::http::USER_AGENT
        )
    );
    options.insert(header::USER_AGENT, "probe".parse().unwrap());
    options.insert(SESSION_HEADER, "fixed".parse().unwrap());
    let mut p = Planner::new(None, SessionCarrier::Header, options);
    let got = lines(&mut p, json);
    assert!(
        got.starts_with("referer: https://www.google.com/\r\n"),
        "{got}"
    );
    assert_eq!(got.matches("user-agent: probe").count(), 1, "{got}");
    assert_eq!(got.matches("x-csgen-session: fixed").count(), 1, "{got}");
    assert!(!got.contains("s-1") && !got.contains("host"), "{got}");
    let bad = br#"{"event_id":"e","ts":"2026-11-01T00:00:00Z","url":"https://s/a","user_id":5,"session_id":"s\r\nx: 1"}"#;
    let e = Planner::new(None, SessionCarrier::Cookie, HeaderMap::new())
        .plan(bad)
        .unwrap_err();
    assert!(e.contains("session cannot be a header value"), "{e}");
}

#[test]
fn redirects_are_followed_only_on_the_same_site() {
    let here: Uri = "http://127.0.0.1:8080/a?x=1".parse().unwrap();
    assert_eq!(same_site(&here, "/b").unwrap(), "http://127.0.0.1:8080/b");
    assert_eq!(
        same_site(&here, "http://127.0.0.1:8080/c").unwrap(),
        "http://127.0.0.1:8080/c"
    );
    assert_eq!(same_site(&here, "http://127.0.0.1:8081/c"), None);
    assert_eq!(same_site(&here, "https://127.0.0.1:8080/c"), None);
    assert_eq!(same_site(&here, "//evil.example/x"), None);
    assert_eq!(same_site(&here, "not a url at all"), None);
}

#[test]
fn a_sessions_next_click_has_the_previous_page_as_referrer() {
    let mut s = Sessions::default();
    let a: Uri = "http://h/a".parse().unwrap();
    let b: Uri = "http://h/b".parse().unwrap();
    assert_eq!(
        s.referrer(Some("s"), Some("https://google/"), &a)
            .as_deref(),
        Some("https://google/")
    );
    assert_eq!(
        s.referrer(Some("s"), None, &b).as_deref(),
        Some("http://h/a")
    );
    assert_eq!(s.referrer(Some("t"), None, &a), None);
    assert_eq!(s.referrer(None, None, &a), None);
    for i in 0..Sessions::CAPACITY + 5 {
        s.referrer(Some(&i.to_string()), None, &a);
    }
    assert!(s.last.len() <= Sessions::CAPACITY);
}
