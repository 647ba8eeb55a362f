//! Fuzz the JSON of received UPDATEs of the families with their own modules (EVPN, VPLS,
//! MVPN, MUP, RTC, BGP-LS, bgp-ls-vpn, SR Policy): the input's first byte picks the family,
//! whether the NLRI are announced or withdrawn and whether ADD-PATH was negotiated for it; the
//! rest is the NLRI field of an MP_REACH_NLRI or MP_UNREACH_NLRI. What decodes is written as
//! ExaBGP's JSON from the view, which must parse and be the JSON of the owned UPDATE.
#![no_main]

use bytes::Bytes;
use ferrobgp_wire::json::{write_update_message, write_update_view};
use ferrobgp_wire::{decode_message, Family, Message, SessionContext};
use libfuzzer_sys::fuzz_target;

const FAMILIES: [(Family, usize); 10] = [
    (Family::L2VPN_EVPN, 4),
    (Family::L2VPN_VPLS, 4),
    (Family::IPV4_MCAST_VPN, 4),
    (Family::IPV6_MCAST_VPN, 16),
    (Family::IPV4_MUP, 4),
    (Family::IPV6_MUP, 16),
    (Family::IPV4_RTC, 4),
    (Family::BGP_LS, 4),
    (Family::BGP_LS_VPN, 12),
    (Family::IPV4_SR_POLICY, 4),
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, nlri)) = data.split_first() else {
        return;
    };
    if nlri.len() > 4000 {
        return;
    }
    let (family, nh_len) = FAMILIES[(sel as usize & 0x0f) % FAMILIES.len()];
    let withdraw = sel & 0x10 != 0;
    let add_path = sel & 0x20 != 0;
    let mut mp = Vec::new();
    mp.extend_from_slice(&family.afi.0.to_be_bytes());
    mp.push(family.safi.0);
    if !withdraw {
        mp.push(nh_len as u8);
        let mut nh = vec![0u8; nh_len];
        nh[nh_len - 4..].copy_from_slice(&[192, 0, 2, 1]);
        if nh_len == 16 {
            nh[..2].copy_from_slice(&[0x20, 0x01]);
        }
        mp.extend_from_slice(&nh);
        mp.push(0);
    }
    mp.extend_from_slice(nlri);
    let mut attrs = vec![0x40, 1, 1, 0, 0x40, 2, 0];
    attrs.extend_from_slice(&[0x90, if withdraw { 15 } else { 14 }]);
    attrs.extend_from_slice(&(mp.len() as u16).to_be_bytes());
    attrs.extend_from_slice(&mp);
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((19 + 4 + attrs.len()) as u16).to_be_bytes());
    m.push(2);
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&attrs);
    let ctx = SessionContext {
        asn4: true,
        extended_message: true,
        add_path_receive: if add_path { vec![family] } else { vec![] },
        ..Default::default()
    };
    let Ok(Message::Update(u)) = decode_message(Bytes::from(m), &ctx) else {
        return;
    };
    let mut view = Vec::new();
    write_update_view(&mut view, &u);
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&view) {
        panic!("{e}: {}", String::from_utf8_lossy(&view));
    }
    let o = u.to_update();
    let mut owned = Vec::new();
    write_update_message(&mut owned, &o.attributes, &o.withdrawn, &o.announced, o.end_of_rib);
    assert_eq!(
        String::from_utf8_lossy(&view),
        String::from_utf8_lossy(&owned),
        "the view's JSON is not the owned UPDATE's"
    );
});
