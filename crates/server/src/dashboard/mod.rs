//! `/dashboard`: live counters and report charts, served entirely by csgen.
//!
//! The page, its script and style, and the charting library (Chart.js, vendored with
//! its licence under `assets/vendor/`) are compiled into the binary, so the dashboard
//! works from 127.0.0.1 with no network. The page polls two JSON routes:
//!
//! - `GET /api/status`: the controller's status (as `/status`, read-only, so no
//!   token, like `/metrics`), plus the report source's store counters;
//! - `GET /api/reports`: the standard reports from the injected [`ReportSource`],
//!   cached by [`ReportCache`]; 404 when the run has no store to report on.

mod reports;
#[cfg(test)]
mod tests;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use csgen_sinks::Sink;
use serde::Serialize;

pub use reports::{ReportCache, ReportError, ReportFuture, ReportSource};

use crate::{AppError, AppState, Status};

/// The dashboard's routes, merged into [`crate::app`].
pub(crate) fn routes<S: Sink + 'static>() -> Router<AppState<S>> {
    Router::new()
        .route("/dashboard", get(|| asset(HTML, INDEX)))
        .route("/dashboard/app.js", get(|| asset(JS, APP_JS)))
        .route("/dashboard/app.css", get(|| asset(CSS, APP_CSS)))
        .route("/dashboard/chart.umd.min.js", get(|| asset(JS, CHART_JS)))
        .route(
            "/dashboard/chart.js-LICENSE.md",
            get(|| asset(TEXT, CHART_LICENSE)),
        )
        .route("/api/status", get(live::<S>))
        .route("/api/reports", get(reports::<S>))
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

const INDEX: &str = include_str!("../../assets/dashboard/index.html");
const APP_JS: &str = include_str!("../../assets/dashboard/app.js");
const APP_CSS: &str = include_str!("../../assets/dashboard/app.css");
const CHART_JS: &str = include_str!("../../assets/vendor/chart.js/chart.umd.min.js");
const CHART_LICENSE: &str = include_str!("../../assets/vendor/chart.js/LICENSE.md");

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The binary is the version: a browser revalidates rather than mixing a
            // page of one build with the script of another.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `/api/status`: what the counters on the page show.
#[derive(Serialize)]
struct Live {
    #[serde(flatten)]
    status: Status,
    /// The report source's store (`lake:…`), or null when there are no reports.
    store: Option<String>,
    /// The store's own counters (events and files committed, …).
    store_counters: Option<serde_json::Value>,
}

async fn live<S: Sink + 'static>(State(state): State<AppState<S>>) -> Json<Live> {
    let source = state.reports.as_ref().map(|c| c.source());
    Json(Live {
        status: state.controller.status().await,
        store: source.map(|s| s.describe()),
        store_counters: source.and_then(|s| s.counters()),
    })
}

async fn reports<S: Sink + 'static>(
    State(state): State<AppState<S>>,
) -> Result<Response, AppError> {
    let cache = state.reports.as_ref().ok_or_else(|| {
        AppError(
            StatusCode::NOT_FOUND,
            "no reports: this run writes to no lake (start csgen with --sink lake:PATH)".into(),
        )
    })?;
    let body = cache.get().await.map_err(|e| {
        tracing::warn!(error = %e, "dashboard reports failed");
        AppError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("reports failed: {e}"),
        )
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
