//! Functional harness library (see qa/README.md).
