//! The dashboard's routes through the router: assets, the token-free status, reports.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use csgen_model::{Encoder, Format, Generator, Shard, StoreConfig};
use csgen_sinks::FileSink;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{ReportFuture, ReportSource};
use crate::{AppState, Controller, Token, app};

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
    let config = StoreConfig::defaults();
    let sink = FileSink::open(std::path::Path::new("/dev/null"))
        .await
        .unwrap();
    let controller = Controller::new(
        crate::Workload::Classic {
            generator: Arc::new(Generator::new(&config, 1)),
            encoder: Encoder::new(Format::Url, &config.store_url),
            rate: 50.0,
        },
        sink,
        Shard::ALL,
        Duration::from_secs(5),
        Arc::new(|| 0),
    );
    let state = AppState::new(Arc::new(controller), Token::from_plain("t"));
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
