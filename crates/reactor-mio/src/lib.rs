//! ferrobgp-reactor-mio (see ../../../shared/DESIGN.md).
