//! Fuzz the BGP-LS NLRI view (bgp-ls and bgp-ls-vpn) and the BGP-LS attribute JSON writer:
//! a validated view iterates every TLV and node descriptor, agrees with the owned parse, and
//! re-encodes byte-exact; JSON (ExaBGP's objects, the generic one for unparsed types
//! included) is written only whole (nothing on refusal) and parses.
//!
//! The first byte picks the family (odd: bgp-ls-vpn); the rest is one NLRI, and also a
//! BGP-LS attribute value.
#![no_main]

use ferrobgp_wire::bgpls::{write_attribute_json, write_nlri_json, BgpLs, BgpLsView, LsTlvView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, data)) = input.split_first() else {
        return;
    };
    let vpn = sel & 1 == 1;
    let view = BgpLsView::parse_in(data, vpn);
    if !vpn {
        assert_eq!(view.map(|v| v.to_owned()), BgpLs::parse(data));
    }
    if let Some(v) = view {
        assert_eq!(v.wire(), data);
        assert_eq!(v.rd.is_some(), vpn);
        for t in v.tlvs() {
            if let LsTlvView::LocalNode(d) | LsTlvView::RemoteNode(d) = t {
                d.iter().for_each(drop);
            }
            t.multi_topology_ids().for_each(drop);
        }
        assert_eq!(v.to_owned().to_bytes().as_deref(), Some(data));
        let mut json = b"x".to_vec();
        match v.write_json(Some([192, 0, 2, 1].into()), &mut json) {
            Some(()) => assert!(serde_json::from_slice::<serde_json::Value>(&json[1..]).is_ok()),
            None => assert_eq!(json, b"x"),
        }
    }
    let mut json = b"x".to_vec();
    if write_nlri_json(data, vpn, None, &mut json) {
        assert!(serde_json::from_slice::<serde_json::Value>(&json[1..]).is_ok());
    } else {
        assert_eq!(json, b"x");
    }
    let mut json = b"{".to_vec();
    if write_attribute_json(&mut json, data) {
        json.push(b'}');
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
    } else {
        assert_eq!(json, b"{");
    }
});
