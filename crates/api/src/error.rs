//! The one error type of the API crate.

use thiserror::Error;

/// Why a command line was refused. The daemon answers `error` to the process and logs this.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApiError {
    /// The line did not follow the command grammar. `column` is 1-based, in characters of
    /// the line as the process wrote it (after the end-of-line was removed).
    #[error("column {column}: expected {expected}, found {found:?}")]
    Syntax {
        column: usize,
        expected: &'static str,
        found: String,
    },
    /// The route part (the text after `announce route`, `announce ipv4 unicast`, ...) was
    /// refused by the shared route grammar of `ferrobgp-config`.
    #[error("column {column}: invalid route: {message}")]
    Route { column: usize, message: String },
    /// A value was out of range (an AS number, a subcode...).
    #[error("column {column}: {message}")]
    Value { column: usize, message: String },
}

impl ApiError {
    /// The 1-based column the error points at.
    pub fn column(&self) -> usize {
        match self {
            ApiError::Syntax { column, .. }
            | ApiError::Route { column, .. }
            | ApiError::Value { column, .. } => *column,
        }
    }
}
