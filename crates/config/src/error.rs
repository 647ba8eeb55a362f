//! Errors of the configuration parser. Every error points at a place in the input: a file,
//! a line and a column (both 1-based), and says what was expected there.

use std::fmt;

use thiserror::Error;

/// A place in a configuration text: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const fn new(line: u32, column: u32) -> Self {
        Pos { line, column }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A place in a named file, displayed as `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: String,
    pub pos: Pos,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.pos.line, self.pos.column)
    }
}

/// What went wrong at a position, independent of the file it came from. The route grammar
/// (shared with the API command parser) returns this directly as [`RouteError`]; the
/// configuration parser wraps it into [`ConfigError`] with the file name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The tokenizer could not read the text (an unterminated string, an unbalanced bracket).
    #[error("{pos}: {message}")]
    Lexical { pos: Pos, message: String },
    /// Something else was found where the grammar expects `expected`.
    #[error("{pos}: expected {expected}, found {found}")]
    Expected {
        pos: Pos,
        expected: String,
        found: String,
    },
    /// A keyword the block does not know.
    #[error("{pos}: unknown keyword '{keyword}' in {context}")]
    UnknownKeyword {
        pos: Pos,
        keyword: String,
        context: String,
    },
    /// A value that is well formed but not acceptable (out of range, inconsistent, duplicate).
    #[error("{pos}: {message}")]
    Invalid { pos: Pos, message: String },
}

/// Errors of the route grammar (`ferrobgp_config::route`); the position is inside the text
/// given (for an API command: line 1, column of the offending word).
pub type RouteError = ParseError;

impl ParseError {
    pub fn pos(&self) -> Pos {
        match self {
            ParseError::Lexical { pos, .. }
            | ParseError::Expected { pos, .. }
            | ParseError::UnknownKeyword { pos, .. }
            | ParseError::Invalid { pos, .. } => *pos,
        }
    }

    /// The message without the position.
    pub fn message(&self) -> String {
        match self {
            ParseError::Lexical { message, .. } | ParseError::Invalid { message, .. } => {
                message.clone()
            }
            ParseError::Expected {
                expected, found, ..
            } => format!("expected {expected}, found {found}"),
            ParseError::UnknownKeyword {
                keyword, context, ..
            } => format!("unknown keyword '{keyword}' in {context}"),
        }
    }

    pub(crate) fn expected(
        pos: Pos,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        ParseError::Expected {
            pos,
            expected: expected.into(),
            found: found.into(),
        }
    }

    pub(crate) fn invalid(pos: Pos, message: impl Into<String>) -> Self {
        ParseError::Invalid {
            pos,
            message: message.into(),
        }
    }

    pub(crate) fn unknown(
        pos: Pos,
        keyword: impl Into<String>,
        context: impl Into<String>,
    ) -> Self {
        ParseError::UnknownKeyword {
            pos,
            keyword: keyword.into(),
            context: context.into(),
        }
    }
}

/// An error reading or checking a configuration file. Displays as
/// `file:line:column: message`, e.g. `conf.conf:12:5: expected ';' after hold-time value, found '}'`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("{file}: cannot read the file: {message}")]
    Io { file: String, message: String },
    #[error("{file}:{}:{}: {}", .error.pos().line, .error.pos().column, .error.message())]
    Parse { file: String, error: ParseError },
}

impl ConfigError {
    pub(crate) fn parse(file: &str, error: ParseError) -> Self {
        ConfigError::Parse {
            file: file.to_string(),
            error,
        }
    }

    /// Where the error is, when it is in the text.
    pub fn location(&self) -> Option<Location> {
        match self {
            ConfigError::Io { .. } => None,
            ConfigError::Parse { file, error } => Some(Location {
                file: file.clone(),
                pos: error.pos(),
            }),
        }
    }
}
