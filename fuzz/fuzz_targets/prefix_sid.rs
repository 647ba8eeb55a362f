//! Fuzz the Prefix-SID view and JSON writer: a validated view iterates every TLV, sub-TLV
//! and SRGB range and agrees with the owned parse; the owned value re-encodes to bytes that
//! parse back the same; JSON is written only whole (nothing on refusal) and parses.
#![no_main]

use ferrobgp_wire::prefix_sid::{write_attribute_json, PrefixSid, PrefixSidTlvView, PrefixSidView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let view = PrefixSidView::parse(data);
    assert_eq!(view.map(|v| v.to_owned()), PrefixSid::parse(data));
    if let Some(v) = view {
        for t in v.tlvs() {
            t.srgb_ranges().for_each(drop);
            if let PrefixSidTlvView::Srv6L3Service(s) | PrefixSidTlvView::Srv6L2Service(s) = t {
                s.sub_tlvs().for_each(drop);
            }
        }
        let p = v.to_owned();
        let mut again = Vec::new();
        p.encode(&mut again).expect("a parsed value fits");
        assert_eq!(PrefixSid::parse(&again), Some(p));
    }
    let mut json = b"{".to_vec();
    if write_attribute_json(&mut json, data) {
        json.push(b'}');
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
    } else {
        assert_eq!(json, b"{");
    }
});
