//! Neighbor selectors: `neighbor IP [local-ip IP] [local-as N] [peer-as N] [router-id IP]
//! [family-allowed …]` in front of a command, several joined by ` , `, `neighbor *` for all.
//!
//! ExaBGP matches a long peer-description string with regexes; here every field is typed and
//! compared as a value.

use std::net::{IpAddr, Ipv4Addr};

use ferrobgp_wire::Family;

/// What `family-allowed` names: the families negotiated in the OPEN (`in-open`) or a fixed
/// list written `ipv4-unicast/ipv6-unicast`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FamilyAllowed {
    InOpen,
    Families(Vec<Family>),
}

/// One `neighbor …` selector. A field left `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// `None` is `neighbor *`.
    pub peer: Option<IpAddr>,
    pub local_ip: Option<IpAddr>,
    pub local_as: Option<u32>,
    pub peer_as: Option<u32>,
    pub router_id: Option<Ipv4Addr>,
    pub family_allowed: Option<FamilyAllowed>,
}

/// What the core knows of a neighbor, to be matched against selectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighborIdentity {
    pub peer_address: IpAddr,
    pub local_address: Option<IpAddr>,
    pub local_as: u32,
    pub peer_as: u32,
    pub router_id: Ipv4Addr,
    /// `None` when the neighbor negotiates families in the OPEN (ExaBGP's `in-open`), else
    /// the configured list.
    pub families: Option<Vec<Family>>,
}

impl Selector {
    /// `neighbor *`.
    pub fn any() -> Self {
        Selector::default()
    }

    /// Whether this selector names the neighbor.
    pub fn matches(&self, n: &NeighborIdentity) -> bool {
        if self.peer.is_some_and(|p| p != n.peer_address) {
            return false;
        }
        if let Some(ip) = self.local_ip {
            if n.local_address != Some(ip) {
                return false;
            }
        }
        if self.local_as.is_some_and(|a| a != n.local_as) {
            return false;
        }
        if self.peer_as.is_some_and(|a| a != n.peer_as) {
            return false;
        }
        if self.router_id.is_some_and(|r| r != n.router_id) {
            return false;
        }
        match (&self.family_allowed, &n.families) {
            (None, _) => true,
            (Some(FamilyAllowed::InOpen), None) => true,
            (Some(FamilyAllowed::InOpen), Some(_)) => false,
            (Some(FamilyAllowed::Families(_)), None) => false,
            (Some(FamilyAllowed::Families(want)), Some(have)) => {
                want.len() == have.len() && want.iter().all(|f| have.contains(f))
            }
        }
    }
}

/// Which neighbors a command is for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Targets {
    /// No `neighbor` prefix: every neighbor whose `api` lists the sending process (the core
    /// knows which those are).
    #[default]
    Default,
    /// One or more selectors; a neighbor is targeted when any of them matches.
    Selected(Vec<Selector>),
}

impl Targets {
    /// `Some(true/false)` when the command named its neighbors; `None` for
    /// [`Targets::Default`], where the core applies its own rule.
    pub fn matches(&self, n: &NeighborIdentity) -> Option<bool> {
        match self {
            Targets::Default => None,
            Targets::Selected(s) => Some(s.iter().any(|s| s.matches(n))),
        }
    }

    /// The selector part of ExaBGP's peer description for `n`, as `show adj-rib` prints it:
    /// `neighbor 127.0.0.1 local-ip 127.0.0.1 local-as 65000 peer-as 65000 router-id 10.0.0.1
    /// family-allowed in-open`.
    pub fn describe(n: &NeighborIdentity) -> String {
        let mut s = format!("neighbor {}", n.peer_address);
        if let Some(l) = n.local_address {
            s.push_str(&format!(" local-ip {l}"));
        }
        s.push_str(&format!(
            " local-as {} peer-as {} router-id {} family-allowed ",
            n.local_as, n.peer_as, n.router_id
        ));
        match &n.families {
            None => s.push_str("in-open"),
            Some(f) => {
                let names: Vec<String> =
                    f.iter().map(|f| format!("{}-{}", f.afi, f.safi)).collect();
                s.push_str(&names.join("/"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident() -> NeighborIdentity {
        NeighborIdentity {
            peer_address: "127.0.0.1".parse().unwrap(),
            local_address: Some("127.0.0.2".parse().unwrap()),
            local_as: 65000,
            peer_as: 65001,
            router_id: "10.0.0.1".parse().unwrap(),
            families: None,
        }
    }

    #[test]
    fn typed_matching() {
        let n = ident();
        assert!(Selector::any().matches(&n));
        let mut s = Selector {
            peer: Some("127.0.0.1".parse().unwrap()),
            ..Selector::default()
        };
        assert!(s.matches(&n));
        s.peer_as = Some(65002);
        assert!(!s.matches(&n));
        s.peer_as = Some(65001);
        s.family_allowed = Some(FamilyAllowed::InOpen);
        assert!(s.matches(&n));
        s.family_allowed = Some(FamilyAllowed::Families(vec![Family::IPV4_UNICAST]));
        assert!(!s.matches(&n));
        assert_eq!(Targets::Default.matches(&n), None);
    }

    #[test]
    fn description_like_exabgp() {
        assert_eq!(
            Targets::describe(&ident()),
            "neighbor 127.0.0.1 local-ip 127.0.0.2 local-as 65000 peer-as 65001 router-id 10.0.0.1 family-allowed in-open"
        );
    }
}
