//! csgen's HTTP control API.
//!
//! The original's routes and answers (`/info`, `/status`, `/start`, `/stop` with
//! `?token=`, an HTML page at `/`, "Not Found. Use /info …" for anything else), plus
//! `POST` forms with `Authorization: Bearer`, `/rate` to change the rate while running,
//! `/metrics` in Prometheus text format, and the [`dashboard`]. [`app`] builds the
//! router (tests drive it with `oneshot`); [`serve`] runs it on a listener until a
//! shutdown future resolves.

pub mod auth;
pub mod collect;
pub mod control;
pub mod dashboard;
mod metrics;
pub mod workload;

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use csgen_sinks::Sink;
use serde::Deserialize;
use serde_json::json;

pub use auth::Token;
pub use control::{Clock, Controller, State as RunState, Status, TransitionError, system_clock};
pub use dashboard::{ReportCache, ReportError, ReportFuture, ReportSource};
pub use workload::Workload;

/// The original's answer to an unknown path.
pub const NOT_FOUND: &str = "Not Found. Use /info for information.";

/// What the handlers share.
pub struct AppState<S> {
    pub controller: Arc<Controller<S>>,
    pub token: Token,
    /// The dashboard's reports, when the run writes to a store that has them.
    pub reports: Option<Arc<ReportCache>>,
}

impl<S> AppState<S> {
    /// A state with no reports; see [`AppState::with_reports`].
    pub fn new(controller: Arc<Controller<S>>, token: Token) -> Self {
        Self {
            controller,
            token,
            reports: None,
        }
    }

    /// Serves `source`'s reports on the dashboard, cached for [`ReportCache::DEFAULT_TTL`].
    pub fn with_reports(mut self, source: Arc<dyn ReportSource>) -> Self {
        self.reports = Some(Arc::new(ReportCache::new(source, ReportCache::DEFAULT_TTL)));
        self
    }
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            controller: self.controller.clone(),
            token: self.token.clone(),
            reports: self.reports.clone(),
        }
    }
}

/// The control API's router.
pub fn app<S: Sink + 'static>(state: AppState<S>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/info", get(info))
        .route("/status", get(status::<S>).post(status::<S>))
        .route("/start", get(start::<S>).post(start::<S>))
        .route("/stop", get(stop::<S>).post(stop::<S>))
        .route("/rate", get(rate::<S>).post(rate::<S>))
        .route("/metrics", get(metrics::<S>))
        .merge(dashboard::routes::<S>())
        .fallback(not_found)
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, finishing requests in progress.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// An error answer: a status code and `{"error": …}`.
#[derive(Debug)]
pub struct AppError(StatusCode, String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<TransitionError> for AppError {
    fn from(e: TransitionError) -> Self {
        let code = match e {
            TransitionError::AlreadyRunning
            | TransitionError::AlreadyStopped
            | TransitionError::RateIsModelled => StatusCode::CONFLICT,
            TransitionError::BadRate => StatusCode::BAD_REQUEST,
            TransitionError::SinkLost => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(code, e.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    token: Option<String>,
    rate: Option<String>,
}

fn authorise<S>(state: &AppState<S>, headers: &HeaderMap, params: &Params) -> Result<(), AppError> {
    match auth::presented(headers, params.token.as_deref()) {
        Some(t) if state.token.verify(t) => Ok(()),
        _ => Err(AppError(StatusCode::UNAUTHORIZED, "Wrong token".into())),
    }
}

async fn index() -> Html<&'static str> {
    Html(include_str!("../assets/index.html"))
}

async fn info() -> Json<serde_json::Value> {
    Json(json!({
        "info": "csgen clickstream generator. Control generation with /start, /stop and /status \
                 (token as ?token= or Authorization: Bearer); change the rate with /rate?rate=R; \
                 Prometheus metrics at /metrics; live counters and report charts at \
                 /dashboard; see / for details.",
        "name": "csgen",
        "version": env!("CARGO_PKG_VERSION"),
        "routes": ["/", "/info", "/status", "/start", "/stop", "/rate", "/metrics",
                   "/dashboard", "/api/status", "/api/reports"],
    }))
}

async fn status<S: Sink + 'static>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Status>, AppError> {
    authorise(&state, &headers, &params)?;
    Ok(Json(state.controller.status().await))
}

async fn start<S: Sink + 'static>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorise(&state, &headers, &params)?;
    let s = state.controller.start().await?;
    Ok(Json(json!({ "state": s })))
}

async fn stop<S: Sink + 'static>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorise(&state, &headers, &params)?;
    let s = state.controller.stop().await?;
    Ok(Json(json!({ "state": s })))
}

async fn rate<S: Sink + 'static>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorise(&state, &headers, &params)?;
    let Some(raw) = params.rate.as_deref() else {
        return Ok(Json(
            json!({ "rate": state.controller.status().await.rate }),
        ));
    };
    let value = raw
        .trim()
        .parse::<f64>()
        .map_err(|_| TransitionError::BadRate)?;
    let rate = state.controller.set_rate(value).await?;
    Ok(Json(json!({ "rate": rate })))
}

async fn metrics<S: Sink + 'static>(State(state): State<AppState<S>>) -> Response {
    let text = metrics::render(&state.controller.status().await);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, NOT_FOUND)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::Request;
    use csgen_model::{Encoder, Format, Generator, Shard, StoreConfig};
    use csgen_sinks::FileSink;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn router() -> Router {
        let config = StoreConfig::defaults();
        let sink = FileSink::open(std::path::Path::new("/dev/null"))
            .await
            .unwrap();
        let controller = Controller::new(
            Workload::Classic {
                generator: Arc::new(Generator::new(&config, 1)),
                encoder: Encoder::new(Format::Url, &config.store_url),
                rate: 50.0,
            },
            sink,
            Shard::ALL,
            Duration::from_secs(5),
            Arc::new(|| 0),
        );
        app(AppState::new(Arc::new(controller), Token::from_plain("t")))
    }

    async fn call(
        app: &Router,
        method: &str,
        uri: &str,
        bearer: Option<&str>,
    ) -> (StatusCode, String) {
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
}
