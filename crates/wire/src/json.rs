//! ExaBGP-compatible JSON rendering of decoded messages.
