//! What can go wrong opening or querying a lake, with the path or query it concerns.

/// Why a lake could not be opened or a query could not run.
///
/// [`AnalyticsError::is_usage`] tells a mistake in what the user asked for (a lake
/// path that does not exist, SQL that does not plan, a bad time range) from a failure
/// while running (storage, a corrupt file).
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The lake root does not exist (local lakes only: S3 has no folders).
    #[error("lake {path}: no such folder")]
    NotFound { path: String },
    /// The lake has no event files yet.
    #[error("lake {path}: no events (no Parquet files under {path}/events/)")]
    Empty { path: String },
    /// The lake's location or storage could not be opened or listed.
    #[error("lake {path}: {message}")]
    Open { path: String, message: String },
    /// The SQL does not parse or plan (unknown column, type mismatch, …).
    #[error("bad SQL: {message}")]
    Sql { message: String },
    /// A read-only query was a statement that writes files or changes the session.
    #[error(
        "{statement}: queries are read-only here; this statement would write files or change \
         the session (csgen query --allow-write runs it)"
    )]
    ReadOnly { statement: String },
    /// The query planned but failed while running (storage, a corrupt file, …).
    #[error("query over lake {path} failed: {message}")]
    Query { path: String, message: String },
    /// A report's result did not have the columns its row type expects (a bug).
    #[error("report {report}: unexpected result: {message}")]
    Report {
        report: &'static str,
        message: String,
    },
    /// A `--from`/`--to` range that is empty or malformed.
    #[error("time range: {0}")]
    Range(String),
}

impl AnalyticsError {
    /// A problem with what was asked (exit status 2 in the CLI) rather than a failure
    /// while running (exit status 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::NotFound { .. } | Self::Sql { .. } | Self::ReadOnly { .. } | Self::Range(_)
        )
    }
}
