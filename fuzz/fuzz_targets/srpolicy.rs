//! Fuzz the SR Policy NLRI parser and the Tunnel Encapsulation view: a validated view
//! iterates every tunnel, sub-TLV and segment and agrees with the owned parse; the owned
//! value re-encodes to bytes that parse back the same; JSON is written only whole (nothing
//! on refusal) and parses.
#![no_main]

use ferrobgp_wire::srpolicy::{
    write_attribute_json, SrPolicy, TunnelEncapsulation, TunnelEncapsulationView, TunnelSubTlvView,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(n) = SrPolicy::parse(data) {
        assert_eq!(&n.to_bytes()[..], data);
        let mut json = Vec::new();
        n.write_json(&mut json);
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
    }
    let view = TunnelEncapsulationView::parse(data);
    assert_eq!(view.map(|v| v.to_owned()), TunnelEncapsulation::parse(data));
    if let Some(v) = view {
        for t in v.tunnels() {
            for s in t.sub_tlvs() {
                if let TunnelSubTlvView::SegmentList(l) = s {
                    l.segments().for_each(drop);
                }
            }
        }
        let t = v.to_owned();
        let mut again = Vec::new();
        t.encode(&mut again).expect("a parsed value fits");
        assert_eq!(TunnelEncapsulation::parse(&again), Some(t));
    }
    let mut json = b"{".to_vec();
    if write_attribute_json(&mut json, data) {
        json.push(b'}');
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
    } else {
        assert_eq!(json, b"{");
    }
});
