//! ferrobgp-config (see ../../../shared/DESIGN.md).
