//! ferrobgp-api: the text command language API processes write, the JSON and text
//! encoders of the events they read, acknowledgements, and the answers to `show`, `version`
//! and `help` (see ../../../shared/DESIGN.md).
//!
//! This crate owns no process and no pipe: the core calls [`parse_command`] on each line a
//! process wrote, applies the [`Command`], answers through [`AckState`], and renders events
//! with [`event`] into the process's output buffer.

pub mod ack;
pub mod command;
pub mod encode;
pub mod error;
pub mod event;
pub mod selector;
pub mod show;
pub mod text;

pub use ack::{AckState, Answer, Encoding};
pub use command::{
    parse_command, Action, Command, NeighborView, Operational, OperationalKind, Rib, RouteKind,
    RouteRequest,
};
pub use error::ApiError;
pub use selector::{FamilyAllowed, NeighborIdentity, Selector, Targets};
