//! csgen's HTTP control API.
//!
//! The original's routes and answers (`/info`, `/status`, `/start`, `/stop` with
//! `?token=`, an HTML page at `/`, "Not Found. Use /info …" for anything else), plus
//! `POST` forms with `Authorization: Bearer`, `/rate` to change the rate while running,
//! `/metrics` in Prometheus text format, the [`dashboard`], and the API's OpenAPI
//! description at `/openapi.json`. [`app`] builds the router (tests drive it with
//! `oneshot`); [`serve`] runs it on a listener ([`bind`] makes one), with the [`Limits`] that keep a
//! careless or hostile client from exhausting the server, until a shutdown future
//! resolves.

mod api;
pub mod auth;
pub mod collect;
pub mod control;
pub mod dashboard;
mod error;
pub mod host;
mod listen;
mod metrics;
mod openapi;
mod shared_sink;
mod stall;
pub mod workload;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;

pub use auth::Token;
pub use control::{
    Controller, Counters, RunStatus, State as RunState, Status, TransitionError, WallClock,
    system_clock,
};
pub use dashboard::{ReportCache, ReportError, ReportFuture, ReportSource};
pub use error::{AppError, ErrorBody};
pub use listen::{LISTEN_BACKLOG, Limits, ServeOptions, bind, serve};
pub use workload::Workload;

/// The original's answer to an unknown path.
pub const NOT_FOUND: &str = "Not Found. Use /info for information.";

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub controller: Arc<Controller>,
    pub token: Token,
    /// The dashboard's reports, when the run writes to a store that has them.
    pub reports: Option<Arc<ReportCache>>,
    /// Permits for `/api/reports` requests in progress; see [`Limits::reports`].
    reports_in_progress: Arc<Semaphore>,
}

impl AppState {
    /// A state with no reports; see [`AppState::with_reports`].
    pub fn new(controller: Arc<Controller>, token: Token) -> Self {
        Self {
            controller,
            token,
            reports: None,
            reports_in_progress: Arc::new(Semaphore::new(Limits::default().reports)),
        }
    }

    /// Serves `source`'s reports on the dashboard, cached for [`ReportCache::DEFAULT_TTL`].
    pub fn with_reports(mut self, source: Arc<dyn ReportSource>) -> Self {
        self.reports = Some(Arc::new(ReportCache::new(source, ReportCache::DEFAULT_TTL)));
        self
    }

    /// At most `n` `/api/reports` requests in progress at once; more are answered 503.
    pub fn with_report_limit(mut self, n: usize) -> Self {
        self.reports_in_progress = Arc::new(Semaphore::new(n));
        self
    }
}

/// The control API's router: every documented route, the dashboard's assets, the
/// original's 404 for anything else, and a handler that panics answers 500 while the
/// server goes on.
pub fn app(state: AppState) -> Router {
    let (router, _) = openapi::build(api::routes().merge(dashboard::routes()));
    router
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// The OpenAPI description that `/openapi.json` serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = openapi::build(api::routes().merge(dashboard::routes()));
    Arc::unwrap_or_clone(doc)
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, NOT_FOUND)
}

/// A handler panicked: log it, answer 500; the connection and the server go on.
fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(panic = %panic_text(payload.as_ref()), "a request handler panicked");
    AppError(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error: the request failed (see the server's log); the server goes on".into(),
    )
    .into_response()
}

/// The message a panic carried.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
