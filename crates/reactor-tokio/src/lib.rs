//! ferrobgp-reactor-tokio (see ../../../shared/DESIGN.md).
