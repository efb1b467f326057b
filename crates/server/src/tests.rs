//! The router through `oneshot`: the original's answers, tokens, rates, panics and the
//! OpenAPI description.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;
use crate::test_support::dev_null;

async fn router() -> Router {
    app(AppState::new(
        Arc::new(dev_null().await),
        Token::from_plain("t"),
    ))
}

async fn call(app: &Router, method: &str, uri: &str, bearer: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn transitions_answer_like_the_original() {
    let app = router().await;
    assert_eq!(
        call(&app, "GET", "/status?token=t", None).await.1,
        r#"{"state":"stopped","model":"classic","rate":50.0,"achieved_rate":0.0,"sink":"file:/dev/null","counters":{"generated":0,"delivered":0,"failed":0,"retried":0,"in_flight":0}}"#
    );
    assert_eq!(
        call(&app, "POST", "/start", Some("t")).await,
        (StatusCode::OK, r#"{"state":"running"}"#.into())
    );
    assert_eq!(
        call(&app, "GET", "/start?token=t", None).await,
        (
            StatusCode::CONFLICT,
            r#"{"error":"Server already running"}"#.into()
        )
    );
    assert_eq!(
        call(&app, "POST", "/stop", Some("t")).await,
        (StatusCode::OK, r#"{"state":"stopped"}"#.into())
    );
    assert_eq!(
        call(&app, "POST", "/stop", Some("t")).await,
        (
            StatusCode::CONFLICT,
            r#"{"error":"Server already stopped"}"#.into()
        )
    );
}

#[tokio::test]
async fn tokens_are_checked_and_unknown_paths_get_the_hint() {
    let app = router().await;
    let wrong = (
        StatusCode::UNAUTHORIZED,
        r#"{"error":"Wrong token"}"#.to_owned(),
    );
    assert_eq!(call(&app, "GET", "/start", None).await, wrong);
    assert_eq!(call(&app, "GET", "/start?token=x", None).await, wrong);
    assert_eq!(
        call(&app, "GET", "/start?token=t&token=t", None).await,
        wrong
    );
    assert_eq!(call(&app, "POST", "/start", Some("x")).await, wrong);
    assert_eq!(
        call(&app, "GET", "/nowhere", None).await,
        (StatusCode::NOT_FOUND, NOT_FOUND.into())
    );
    let (code, metrics) = call(&app, "GET", "/metrics", None).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        metrics.contains("csgen_running 0") && metrics.contains("csgen_rate_target 50"),
        "{metrics}"
    );
}

#[tokio::test]
async fn rates_outside_the_accepted_range_are_400_with_the_range() {
    let app = router().await;
    for bad in ["1e-300", "1e-20", "0", "-1", "1e308", "1e9", "NaN", "inf"] {
        let (code, body) = call(&app, "POST", &format!("/rate?rate={bad}"), Some("t")).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(
            body.contains("0.001") && body.contains("100000000"),
            "{bad}: the answer states the range: {body}"
        );
    }
    for bad in ["abc", "", "1,5"] {
        let (code, body) = call(&app, "POST", &format!("/rate?rate={bad}"), Some("t")).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert!(body.contains("not a number"), "{body}");
    }
    let (code, body) = call(&app, "POST", "/rate?rate=1&rate=2", Some("t")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    for good in ["0.001", "250", "1e8"] {
        let (code, body) = call(&app, "POST", &format!("/rate?rate={good}"), Some("t")).await;
        assert_eq!(code, StatusCode::OK, "{good}: {body}");
    }
    assert_eq!(
        call(&app, "GET", "/rate", Some("t")).await,
        (StatusCode::OK, r#"{"rate":100000000.0}"#.into())
    );
}

#[tokio::test]
async fn the_openapi_description_covers_every_route_and_info_lists_them() {
    let app = router().await;
    let (code, body) = call(&app, "GET", "/openapi.json", None).await;
    assert_eq!(code, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for route in [
        "/",
        "/info",
        "/status",
        "/start",
        "/stop",
        "/rate",
        "/metrics",
        "/dashboard",
        "/api/status",
        "/api/reports",
        "/openapi.json",
    ] {
        assert!(paths.contains(&route), "{route} in {paths:?}");
        // Every documented route is served (not the 404 fallback).
        let (_, body) = call(&app, "GET", &format!("{route}?token=t"), None).await;
        assert_ne!(body, NOT_FOUND, "{route}");
    }
    let info: serde_json::Value =
        serde_json::from_str(&call(&app, "GET", "/info", None).await.1).unwrap();
    assert_eq!(info["routes"].as_array().unwrap().len(), paths.len());
    // Token routes say how to present it; every route documents the Host refusal.
    let start = &doc["paths"]["/start"]["post"];
    assert_eq!(
        start["security"],
        serde_json::json!([{"bearer": []}, {"token": []}])
    );
    assert!(start["responses"]["403"].is_object() && start["responses"]["409"].is_object());
    let rate = &doc["paths"]["/rate"]["get"]["parameters"][0];
    assert_eq!(rate["schema"]["minimum"], csgen_model::rate::MIN);
    assert_eq!(rate["schema"]["maximum"], csgen_model::rate::MAX);
}
