//! [`ServiceError`]: a service call or set-up that failed, with the service's own
//! error kept as the cause.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// A failed service call: what went wrong in words (with the service's code and
/// message), and the service's error itself as [`Error::source`], so a caller can
/// downcast it instead of parsing text.
#[derive(Debug, Clone)]
pub struct ServiceError {
    message: String,
    cause: Option<Arc<dyn Error + Send + Sync>>,
}

impl ServiceError {
    /// A failure with nothing underneath (csgen's own finding, e.g. a missing name).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            cause: None,
        }
    }

    /// A failure in words, caused by `cause`.
    pub fn caused_by(
        message: impl Into<String>,
        cause: impl Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            cause: Some(Arc::new(cause)),
        }
    }

    /// An AWS SDK error, described with all its context (code, message, request id).
    pub fn aws<E, R>(e: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Self
    where
        E: Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let message = aws_smithy_types::error::display::DisplayErrorContext(&e).to_string();
        Self::caused_by(message, e)
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for ServiceError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

/// Equal when they say the same: the cause is the service's, not part of the verdict.
impl PartialEq for ServiceError {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

impl Eq for ServiceError {}

impl From<String> for ServiceError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for ServiceError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}
