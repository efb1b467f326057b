//! The control routes: the original's `/`, `/info`, `/status`, `/start`, `/stop`, and
//! csgen's `/rate` and `/metrics`.
//!
//! Each handler carries its OpenAPI operation (`#[utoipa::path]`); the router is built
//! from those same annotations ([`crate::openapi`]), so a route cannot be served
//! without being described, nor described at another path.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::control::{State as RunState, Status, TransitionError};
use crate::error::{AppError, ErrorBody};
use crate::openapi::Description;
use crate::{AppState, auth};

/// The control routes, with their descriptions.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(index))
        .routes(routes!(info))
        .routes(routes!(status))
        .routes(routes!(start))
        .routes(routes!(stop))
        .routes(routes!(rate))
        .routes(routes!(metrics))
}

/// Proof that the request presented the token (`Authorization: Bearer …`, or the
/// original's `?token=`); otherwise the request is answered 401.
pub(crate) struct Authorised;

#[derive(Deserialize)]
struct TokenParam {
    token: Option<String>,
}

impl FromRequestParts<AppState> for Authorised {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // A query that does not parse (e.g. `token` twice) presents no token.
        let query = Query::<TokenParam>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.token);
        match auth::presented(&parts.headers, query.as_deref()) {
            Some(t) if state.token.verify(t) => Ok(Self),
            _ => Err(AppError::wrong_token()),
        }
    }
}

/// An HTML page that explains the API.
#[utoipa::path(get, path = "/", tag = "control",
    responses((status = 200, description = "The page", body = String, content_type = "text/html")))]
async fn index() -> Html<&'static str> {
    Html(include_str!("../assets/index.html"))
}

/// `/info`: what this server is.
#[derive(Serialize, ToSchema)]
pub(crate) struct Info {
    info: &'static str,
    name: &'static str,
    version: &'static str,
    /// Every route of the API.
    routes: Vec<String>,
}

/// What csgen is and which routes it serves.
#[utoipa::path(get, path = "/info", tag = "control",
    responses((status = 200, description = "Name, version and routes", body = Info)))]
async fn info(Extension(description): Extension<Description>) -> Json<Info> {
    Json(Info {
        info: "csgen clickstream generator. Control generation with /start, /stop and /status \
               (token as ?token= or Authorization: Bearer); change the rate with /rate?rate=R; \
               Prometheus metrics at /metrics; live counters and report charts at \
               /dashboard; the API's OpenAPI description at /openapi.json; see / for details.",
        name: "csgen",
        version: env!("CARGO_PKG_VERSION"),
        routes: description.routes.clone(),
    })
}

/// The state, the rates, the sink's counters and why the last run failed.
#[utoipa::path(method(get, post), path = "/status", tag = "control",
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The status", body = Status),
        (status = 401, description = "Wrong or missing token", body = ErrorBody),
    ))]
async fn status(_: Authorised, State(state): State<AppState>) -> Json<Status> {
    Json(state.controller.status())
}

/// `/start` and `/stop`: the state after the transition.
#[derive(Serialize, ToSchema)]
pub(crate) struct StateAnswer {
    state: RunState,
}

/// Starts generation.
#[utoipa::path(method(get, post), path = "/start", tag = "control",
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Generation runs", body = StateAnswer,
            example = json!({"state": "running"})),
        (status = 401, description = "Wrong or missing token", body = ErrorBody),
        (status = 409, description = "Already running, or still stopping", body = ErrorBody),
    ))]
async fn start(
    _: Authorised,
    State(state): State<AppState>,
) -> Result<Json<StateAnswer>, AppError> {
    let state = state.controller.start().await?;
    Ok(Json(StateAnswer { state }))
}

/// Stops generation; answers once the sink is flushed.
#[utoipa::path(method(get, post), path = "/stop", tag = "control",
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Stopped and flushed", body = StateAnswer,
            example = json!({"state": "stopped"})),
        (status = 401, description = "Wrong or missing token", body = ErrorBody),
        (status = 409, description = "Already stopped", body = ErrorBody),
        (status = 503, description = "The run did not finish flushing within its deadline; \
            it goes on stopping", body = ErrorBody),
    ))]
async fn stop(_: Authorised, State(state): State<AppState>) -> Result<Json<StateAnswer>, AppError> {
    let state = state.controller.stop().await?;
    Ok(Json(StateAnswer { state }))
}

/// `/rate`'s parameter.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RateParams {
    /// The new target rate in events per second (0.001 to 100000000). Without it,
    /// `/rate` reads the rate.
    // Read as text, so that a bad number gets this API's JSON error rather than the
    // framework's plain-text one.
    #[param(value_type = Option<f64>, minimum = 0.001, maximum = 100000000.0)]
    rate: Option<String>,
}

/// `/rate`: the target rate in events per second.
#[derive(Serialize, ToSchema)]
pub(crate) struct RateAnswer {
    rate: f64,
}

/// Reads or sets the classic model's target rate; a running generation follows at once.
#[utoipa::path(method(get, post), path = "/rate", tag = "control", params(RateParams),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The target rate", body = RateAnswer),
        (status = 400, description = "Not a number, or outside 0.001 to 100000000", body = ErrorBody),
        (status = 401, description = "Wrong or missing token", body = ErrorBody),
        (status = 409, description = "The realistic model sets its own pace", body = ErrorBody),
    ))]
async fn rate(
    _: Authorised,
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Json<RateAnswer>, AppError> {
    let params = Query::<RateParams>::try_from_uri(&uri)
        .map_err(|e| AppError(StatusCode::BAD_REQUEST, format!("/rate: {}", e.body_text())))?;
    let Some(raw) = params.0.rate else {
        return Ok(Json(RateAnswer {
            rate: state.controller.status().run.rate,
        }));
    };
    let value = raw
        .trim()
        .parse::<f64>()
        .map_err(|_| TransitionError::RateNotANumber(raw.clone()))?;
    let rate = state.controller.set_rate(value)?;
    Ok(Json(RateAnswer { rate }))
}

/// Prometheus (OpenMetrics) text: events generated, delivered, failed, retried, in
/// flight; target and achieved rate; whether it runs.
#[utoipa::path(get, path = "/metrics", tag = "control",
    responses((status = 200, description = "The metrics", body = String,
        content_type = "application/openmetrics-text")))]
async fn metrics(State(state): State<AppState>) -> Response {
    let text = crate::metrics::render(&state.controller.status().run);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
