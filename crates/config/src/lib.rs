//! ferrobgp-config: ExaBGP's configuration language → a typed [`Config`]
//! (see ../../../shared/DESIGN.md).
//!
//! - [`parse_file`] / [`parse_str`]: a configuration file; errors say `file:line:column`.
//! - [`route`]: the route grammar shared with the API command parser.
//! - [`env::Environment`]: ExaBGP's environment settings (`exabgp.tcp.port`, …).
//!
//! Nothing here starts anything: this crate only reads text.

pub mod config;
pub mod env;
pub mod error;
pub mod extcomm;
pub mod flow;
pub mod lexer;
mod parser;
pub mod route;
pub mod tree;

use std::path::Path;

pub use config::*;
pub use env::Environment;
pub use error::{ConfigError, Location, ParseError, Pos, RouteError};
pub use route::{FlowRoute, ParsedRoute, RouteSpec, UnsupportedRoute};

/// Parses configuration text; `file` names it in errors.
pub fn parse_str(text: &str, file: &str) -> Result<Config, ConfigError> {
    let tokens = lexer::tokenize(text).map_err(|e| ConfigError::parse(file, e))?;
    let nodes = tree::build(&tokens).map_err(|e| ConfigError::parse(file, e))?;
    parser::parse_nodes(&nodes).map_err(|e| ConfigError::parse(file, e))
}

/// Reads and parses a configuration file.
pub fn parse_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ConfigError::Io {
        file: name.clone(),
        message: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ConfigError::Io {
        file: name.clone(),
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })?;
    let mut config = parse_str(&text, &name)?;
    config.source = Some(path.to_path_buf());
    Ok(config)
}
