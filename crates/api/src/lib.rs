//! ferrobgp-api (see ../../../shared/DESIGN.md).
