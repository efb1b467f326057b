//! The control API's OpenAPI description, served at `/openapi.json`.
//!
//! Nothing here is written by hand but the document's title and the two ways to
//! present the token: every operation comes from its handler's `#[utoipa::path]`, and
//! every schema from the Rust type the handler answers with, as the router is built
//! ([`build`]). The test suite runs schemathesis against a live `csgen serve` with it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "csgen control API",
        description = "Start and stop click generation, set its rate, read its status and \
            metrics, and the dashboard's data. Token-protected routes take the token as \
            `Authorization: Bearer …` or as the original's `?token=`."
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security)
)]
struct ApiDoc;

/// The two ways to present the control token.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("token"))),
        );
    }
}

/// Every route refuses a `Host` the server does not answer to ([`crate::host`]).
struct HostCheck;

impl Modify for HostCheck {
    fn modify(&self, doc: &mut Document) {
        let refused = ResponseBuilder::new()
            .description(
                "The request's Host is not a name of this server (DNS rebinding protection)",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                op.responses
                    .responses
                    .entry("403".to_owned())
                    .or_insert_with(|| refused.clone().into());
            }
        }
    }
}

/// The served description, and the route list `/info` shows.
#[derive(Clone)]
pub(crate) struct Description {
    json: Bytes,
    pub routes: Vec<String>,
}

/// The router of `routes` plus `/openapi.json`, and the description of all of them.
pub(crate) fn build(routes: OpenApiRouter<AppState>) -> (Router<AppState>, Arc<Document>) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes)
        .routes(routes!(openapi_json))
        .split_for_parts();
    // After the merge: the operations exist only now.
    HostCheck.modify(&mut doc);
    let description = Description {
        // Serialising plain data to a string cannot fail.
        json: Bytes::from(doc.to_pretty_json().unwrap_or_default()),
        routes: doc.paths.paths.keys().cloned().collect(),
    };
    (router.layer(Extension(description)), Arc::new(doc))
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/openapi.json", tag = "control",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
async fn openapi_json(Extension(description): Extension<Description>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        description.json,
    )
        .into_response()
}
