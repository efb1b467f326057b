//! The dashboard's routes through the router: assets, the token-free status, reports.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{ReportFuture, ReportSource};
use crate::test_support::{classic, dev_null};
use crate::{AppState, Token, app};

struct Fixed;

impl ReportSource for Fixed {
    fn reports(&self) -> ReportFuture<'_> {
        Box::pin(async { Ok(serde_json::json!({ "groups": [["Books", 3]] })) })
    }

    fn counters(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({ "committed_events": 7 }))
    }

    fn describe(&self) -> String {
        "lake:/tmp/lake".into()
    }
}

async fn router(reports: Option<Arc<dyn ReportSource>>) -> Router {
    let state = AppState::new(Arc::new(dev_null().await), Token::from_plain("t"));
    app(match reports {
        Some(source) => state.with_reports(source),
        None => state,
    })
}

async fn get(app: &Router, uri: &str) -> (StatusCode, String, String) {
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map_or(String::new(), |v| v.to_str().unwrap().to_owned());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, kind, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn page_and_every_asset_it_loads_are_served_locally() {
    let app = router(None).await;
    let (code, kind, page) = get(&app, "/dashboard").await;
    assert_eq!(
        (code, kind.as_str()),
        (StatusCode::OK, "text/html; charset=utf-8")
    );
    let mut refs = 0;
    for attr in ["src=\"", "href=\""] {
        for part in page.split(attr).skip(1) {
            let target = &part[..part.find('"').unwrap()];
            assert!(
                !target.contains("//"),
                "the page must not load anything from the network: {target}"
            );
            if target.starts_with("/dashboard/") {
                let (code, _, body) = get(&app, target).await;
                assert_eq!(code, StatusCode::OK, "{target}");
                assert!(!body.is_empty(), "{target}");
                refs += 1;
            }
        }
    }
    assert_eq!(refs, 4, "style, Chart.js, app script, licence");
    let (_, kind, chart) = get(&app, "/dashboard/chart.umd.min.js").await;
    assert_eq!(kind, "text/javascript; charset=utf-8");
    assert!(chart.starts_with("/*!\n * Chart.js v4.6.1"));
}

#[tokio::test]
async fn status_needs_no_token_and_reports_are_absent_without_a_store() {
    let app = router(None).await;
    let (code, _, body) = get(&app, "/api/status").await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["state"], "stopped");
    assert_eq!(v["counters"]["generated"], 0);
    assert!(v["store"].is_null() && v["store_counters"].is_null(), "{v}");

    let (code, _, body) = get(&app, "/api/reports").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert!(body.contains("--sink lake:PATH"), "{body}");
}

#[tokio::test]
async fn reports_and_store_counters_come_from_the_source() {
    let app = router(Some(Arc::new(Fixed))).await;
    let (_, _, body) = get(&app, "/api/status").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["store"], "lake:/tmp/lake");
    assert_eq!(v["store_counters"]["committed_events"], 7);

    let (code, kind, body) = get(&app, "/api/reports").await;
    assert_eq!((code, kind.as_str()), (StatusCode::OK, "application/json"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["source"], "lake:/tmp/lake");
    assert_eq!(v["reports"]["groups"][0][1], 3);
    assert!(v["elapsed_ms"].is_number());
}

/// Refuses every batch with an error that names an account, as an AWS error would.
#[derive(Default)]
struct Refusing(Arc<csgen_sinks::SinkStats>);

#[async_trait::async_trait]
impl csgen_sinks::Sink for Refusing {
    async fn send(&mut self, batch: csgen_model::Batch) -> Result<(), csgen_sinks::SinkError> {
        self.0.add_failed(batch.clicks.len() as u64);
        Err(csgen_sinks::SinkError::Fatal {
            target: "kinesis:clicks".into(),
            source: "AccessDenied for arn:aws:iam::123456789012:user/ci".into(),
        })
    }
    async fn flush(&mut self) -> Result<(), csgen_sinks::SinkError> {
        Ok(())
    }
    fn stats(&self) -> &Arc<csgen_sinks::SinkStats> {
        &self.0
    }
    fn describe(&self) -> String {
        "kinesis:clicks".into()
    }
}

#[tokio::test]
async fn the_last_error_is_for_the_token_holder_only() {
    let controller = Arc::new(classic(Refusing::default(), 1000.0, Duration::from_secs(5)));
    let app = app(AppState::new(controller.clone(), Token::from_plain("t")));
    controller.start().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while controller.status().run.state != crate::RunState::Stopped {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the failed run ends"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (_, _, status) = get(&app, "/status?token=t").await;
    assert!(status.contains("123456789012"), "{status}");
    for open in ["/api/status", "/metrics"] {
        let (code, _, body) = get(&app, open).await;
        assert_eq!(code, StatusCode::OK);
        assert!(
            !body.contains("123456789012") && !body.contains("last_error"),
            "{open}: {body}"
        );
    }
}

/// Panics while computing, as a bug in the reports would.
struct Panicking;

impl ReportSource for Panicking {
    fn reports(&self) -> ReportFuture<'_> {
        Box::pin(async { panic!("a bug in the reports") })
    }

    fn describe(&self) -> String {
        "lake:/tmp/lake".into()
    }
}

#[tokio::test]
async fn a_handler_that_panics_answers_500_and_the_server_goes_on() {
    let app = router(Some(Arc::new(Panicking))).await;
    for _ in 0..2 {
        let (code, kind, body) = get(&app, "/api/reports").await;
        assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(kind, "application/json");
        assert!(
            body.contains("internal error") && !body.contains("a bug"),
            "the panic is logged, not shown: {body}"
        );
    }
    assert_eq!(get(&app, "/api/status").await.0, StatusCode::OK);
}

/// Computes only when released, so that requests pile up.
struct Gated(tokio::sync::Semaphore);

impl ReportSource for Gated {
    fn reports(&self) -> ReportFuture<'_> {
        Box::pin(async {
            let _go = self.0.acquire().await?;
            Ok(serde_json::json!({}))
        })
    }

    fn describe(&self) -> String {
        "lake:/tmp/lake".into()
    }
}

#[tokio::test]
async fn report_requests_beyond_the_limit_are_refused_at_once() {
    let source = Arc::new(Gated(tokio::sync::Semaphore::new(0)));
    let controller = dev_null().await;
    let app = app(AppState::new(Arc::new(controller), Token::from_plain("t"))
        .with_reports(source.clone())
        .with_report_limit(3));
    let waiting: Vec<_> = (0..3)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { get(&app, "/api/reports").await.0 })
        })
        .collect();
    // On this single-threaded runtime, a few yields let the three run until they
    // wait: one on the gate, two for the cache's computation.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let (code, _, body) = tokio::time::timeout(Duration::from_secs(10), get(&app, "/api/reports"))
        .await
        .expect("a fourth request is answered at once, not queued");
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("too many /api/reports requests"), "{body}");
    source.0.add_permits(3);
    for w in waiting {
        assert_eq!(w.await.unwrap(), StatusCode::OK);
    }
}
