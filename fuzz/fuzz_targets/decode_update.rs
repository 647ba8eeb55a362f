//! UPDATE bodies behind a valid header: validate, walk every view, convert to the owned
//! model. Errors must map to a NOTIFICATION.
#![no_main]

use bytes::Bytes;
use ferrobgp_wire::{UpdateView, Action};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let Some((&c, body)) = data.split_first() else {
        return;
    };
    if body.len() > 65535 - 19 {
        return;
    }
    let ctx = context(c);
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
    m.push(2);
    m.extend_from_slice(body);
    let m = Bytes::from(m);
    match UpdateView::parse(m.clone(), &ctx) {
        Ok(u) => {
            for p in u.problems() {
                assert!(matches!(p.action, Action::TreatAsWithdraw | Action::AttributeDiscard));
                let _ = p.notification(&m);
            }
            let _ = u.withdrawn().count() + u.nlri().count() + u.attributes().count();
            let _ = (u.origin(), u.as_path(), u.aggregator(), u.aigp(), u.end_of_rib());
            if let Some(r) = u.mp_reach() {
                let _ = r.next_hop();
                let _ = r.nlri.count();
            }
            if let Some(w) = u.mp_unreach() {
                let _ = w.nlri.count();
            }
            let _ = u.to_update();
        }
        Err(e) => {
            assert!(e.notification(&m).is_some());
        }
    }
});
