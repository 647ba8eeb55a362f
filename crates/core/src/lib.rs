//! ferrobgp-core (see ../../../shared/DESIGN.md).
