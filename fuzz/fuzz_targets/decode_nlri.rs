//! NLRI of every family layout (first byte: family and ADD-PATH): a field that validates
//! iterates to its end, and owned NLRI re-encode to the same bytes.
#![no_main]

use bytes::BytesMut;
use ferrobgp_wire::nlri::{write_nlri, NlriIter, NlriLayout};
use ferrobgp_wire::{Family, Nlri};
use libfuzzer_sys::fuzz_target;

const FAMILIES: [Family; 16] = [
    Family::IPV4_UNICAST,
    Family::IPV6_UNICAST,
    Family::IPV4_MULTICAST,
    Family::IPV6_MULTICAST,
    Family::IPV4_MPLS_LABEL,
    Family::IPV6_MPLS_LABEL,
    Family::IPV4_MPLS_VPN,
    Family::IPV6_MPLS_VPN,
    Family::IPV4_FLOW,
    Family::IPV6_FLOW,
    Family::IPV4_FLOW_VPN,
    Family::L2VPN_EVPN,
    Family::L2VPN_VPLS,
    Family::BGP_LS,
    Family::IPV4_RTC,
    Family::IPV4_MUP,
];

fuzz_target!(|data: &[u8]| {
    let Some((&c, data)) = data.split_first() else {
        return;
    };
    let family = FAMILIES[(c & 15) as usize];
    let add_path = c & 16 != 0;
    let withdraw = c & 32 != 0;
    let Ok(it) = NlriIter::new(data, NlriLayout::of(family), add_path, withdraw) else {
        return;
    };
    let owned: Vec<Nlri> = it.map(|n| n.to_owned(family)).collect();
    let encode = |v: &[Nlri]| {
        let mut out = BytesMut::new();
        for n in v {
            write_nlri(&mut out, n, add_path, withdraw);
        }
        out
    };
    let decode = |b: &[u8]| -> Vec<Nlri> {
        NlriIter::new(b, NlriLayout::of(family), add_path, withdraw)
            .expect("re-encoded NLRI validate")
            .map(|n| n.to_owned(family))
            .collect()
    };
    // Re-encoding is canonical: owned values drop what carries no meaning (label TC bits,
    // prefix bits past the length, a withdrawn route's label, which RFC 8277 §2.4 says is
    // ignored). One pass reaches the fixed point.
    let once = encode(&owned);
    let first = decode(&once);
    assert_eq!(encode(&first), once);
    if !withdraw {
        assert_eq!(first, owned);
    }
});
