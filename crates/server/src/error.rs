//! Error answers: a status code and `{"error": …}`, one type for every route.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::control::TransitionError;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    pub error: String,
}

/// An error answer: a status code and [`ErrorBody`].
#[derive(Debug)]
pub struct AppError(pub StatusCode, pub String);

impl AppError {
    /// The original's answer to a wrong or missing token.
    pub fn wrong_token() -> Self {
        Self(StatusCode::UNAUTHORIZED, "Wrong token".into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

impl From<TransitionError> for AppError {
    fn from(e: TransitionError) -> Self {
        let code = match e {
            TransitionError::AlreadyRunning
            | TransitionError::AlreadyStopped
            | TransitionError::Stopping
            | TransitionError::RateIsModelled => StatusCode::CONFLICT,
            TransitionError::BadRate(_) | TransitionError::RateNotANumber(_) => {
                StatusCode::BAD_REQUEST
            }
            TransitionError::StopTimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self(code, e.to_string())
    }
}
