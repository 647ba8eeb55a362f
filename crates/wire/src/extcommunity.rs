//! Extended communities (RFC 4360, RFC 5701 for the IPv6 form, RFC 8955 flowspec actions).

/// One 8-octet extended community, kept as its wire bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtendedCommunity(pub [u8; 8]);

/// One 20-octet IPv6-address-specific extended community (RFC 5701).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6ExtendedCommunity(pub [u8; 20]);
