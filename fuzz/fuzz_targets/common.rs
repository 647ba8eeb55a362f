// Shared by the targets (included with `include!`): a session context chosen by one byte,
// so every combination of what decoding depends on is reached.

#[allow(dead_code)]
fn context(b: u8) -> ferrobgp_wire::SessionContext {
    use ferrobgp_wire::{Family, SessionContext};
    let fams = vec![
        Family::IPV4_UNICAST,
        Family::IPV6_UNICAST,
        Family::IPV4_MPLS_LABEL,
        Family::IPV6_MPLS_LABEL,
        Family::IPV4_MPLS_VPN,
        Family::IPV6_MPLS_VPN,
        Family::IPV4_FLOW,
        Family::L2VPN_EVPN,
    ];
    SessionContext {
        asn4: b & 1 != 0,
        extended_message: b & 2 != 0,
        add_path_receive: if b & 4 != 0 { fams.clone() } else { vec![] },
        add_path_send: if b & 4 != 0 { fams.clone() } else { vec![] },
        extended_next_hop: if b & 16 != 0 {
            fams.iter()
                .map(|f| (*f, ferrobgp_wire::Afi::IPV6))
                .collect()
        } else {
            vec![]
        },
        external: b & 8 != 0,
    }
}
