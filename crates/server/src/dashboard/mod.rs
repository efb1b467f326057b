//! `/dashboard`: live counters and report charts, served entirely by csgen.
//!
//! The page, its script and style, and the charting library (Chart.js, vendored with
//! its licence under `assets/vendor/`) are compiled into the binary, so the dashboard
//! works from 127.0.0.1 with no network. The page polls two JSON routes:
//!
//! - `GET /api/status`: the controller's status (as `/status`, read-only, so no
//!   token, like `/metrics`, and without the last error, which can hold account ids
//!   and paths), plus the report source's store counters;
//! - `GET /api/reports`: the standard reports from the injected [`ReportSource`],
//!   cached by [`ReportCache`]; 404 when the run has no store to report on; 503 past
//!   [`crate::Limits::reports`] requests in progress.

mod reports;
#[cfg(test)]
mod tests;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use reports::{ReportCache, ReportError, ReportFuture, ReportSource};

use crate::error::ErrorBody;
use crate::{AppError, AppState, RunStatus};

/// The dashboard's routes, merged into [`crate::app`]. The page and the JSON it reads
/// are described in the OpenAPI document; the page's own files are not API.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(page))
        .route("/dashboard/app.js", get(|| asset(JS, APP_JS)))
        .route("/dashboard/app.css", get(|| asset(CSS, APP_CSS)))
        .route("/dashboard/chart.umd.min.js", get(|| asset(JS, CHART_JS)))
        .route(
            "/dashboard/chart.js-LICENSE.md",
            get(|| asset(TEXT, CHART_LICENSE)),
        )
        .routes(routes!(live))
        .routes(routes!(reports))
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

/// The dashboard: live counters and report charts.
#[utoipa::path(get, path = "/dashboard", tag = "dashboard",
    responses((status = 200, description = "The page", body = String, content_type = "text/html")))]
async fn page() -> Response {
    asset(HTML, INDEX).await
}

/// `/api/status`: what the counters on the page show.
#[derive(Serialize, ToSchema)]
struct Live {
    #[serde(flatten)]
    status: RunStatus,
    /// The report source's store (`lake:…`), or null when there are no reports.
    store: Option<String>,
    /// The store's own counters (events and files committed, …), or null.
    #[schema(value_type = Option<Object>)]
    store_counters: Option<serde_json::Value>,
}

/// The run's status without a token (read-only, like `/metrics`; no error texts),
/// and the lake writer's counters.
#[utoipa::path(get, path = "/api/status", tag = "dashboard",
    responses((status = 200, description = "The status", body = Live)))]
async fn live(State(state): State<AppState>) -> Json<Live> {
    let source = state.reports.as_ref().map(|c| c.source());
    Json(Live {
        status: state.controller.status().run,
        store: source.map(|s| s.describe()),
        store_counters: source.and_then(|s| s.counters()),
    })
}

/// `/api/reports`: the standard reports, as `csgen report --json` prints them.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the JSON that ReportCache writes
struct ReportsAnswer {
    /// The store, e.g. `lake:./lake`.
    source: String,
    /// How long computing them took.
    elapsed_ms: f64,
    #[schema(value_type = Object)]
    reports: serde_json::Value,
}

/// The standard reports over the run's lake, computed at most once per few seconds.
#[utoipa::path(get, path = "/api/reports", tag = "dashboard",
    responses(
        (status = 200, description = "The reports", body = ReportsAnswer),
        (status = 404, description = "The run writes no lake", body = ErrorBody),
        (status = 503, description = "The reports failed, or too many requests for them \
            are in progress", body = ErrorBody),
    ))]
async fn reports(State(state): State<AppState>) -> Result<Response, AppError> {
    let cache = state.reports.as_ref().ok_or_else(|| {
        AppError(
            StatusCode::NOT_FOUND,
            "no reports: this run writes to no lake (start csgen with --sink lake:PATH)".into(),
        )
    })?;
    // Bounded: each waiting request holds a connection and, behind the cache's lock,
    // a place in line for a computation that may take seconds.
    let _permit = state.reports_in_progress.try_acquire().map_err(|_| {
        AppError(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many /api/reports requests in progress; retry in a few seconds".into(),
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
