//! ferrobgp-wire (see ../../../shared/DESIGN.md).
