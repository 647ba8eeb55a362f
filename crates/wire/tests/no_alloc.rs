//! The decode path does not allocate: framing, slicing a message out of the receive buffer,
//! validating an UPDATE and iterating its attributes and prefixes. Proved with a counting
//! global allocator. Rendering a received UPDATE as ExaBGP's JSON allocates per UPDATE (the
//! owned attributes) but not per route.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use ferrobgp_wire::*;

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's allocations (the test harness allocates on its own threads meanwhile).
    static MINE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn mine() -> usize {
    MINE.with(|c| c.get())
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        MINE.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        MINE.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The counter is global: the tests take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn decoding_updates_does_not_allocate() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ctx = SessionContext {
        asn4: true,
        ..Default::default()
    };
    let attrs = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(vec![65000, 65001, 65002, 65003])),
        next_hop: Some("10.0.0.1".parse().unwrap()),
        med: Some(10),
        communities: vec![0xfde8_0001, 0xfde8_0002],
        ..Default::default()
    };
    let v6 = PathAttributes {
        next_hop: Some("2001:db8::1".parse().unwrap()),
        ..attrs.clone()
    };
    let n4: Vec<Nlri> = (0..3000u32)
        .map(|i| Nlri::Prefix {
            prefix: format!("10.{}.{}.0/24", i / 256, i % 256).parse().unwrap(),
            path_id: None,
        })
        .collect();
    let n6: Vec<Nlri> = (0..3000u32)
        .map(|i| Nlri::Prefix {
            prefix: format!("2001:db8:{i:x}::/48").parse().unwrap(),
            path_id: None,
        })
        .collect();
    let mut buf = BytesMut::new();
    let b = UpdateBuilder::new(&ctx);
    b.announce(Family::IPV4_UNICAST, &attrs, &n4, &mut buf);
    b.announce(Family::IPV6_UNICAST, &v6, &n6, &mut buf);
    b.withdraw(Family::IPV4_UNICAST, &n4, &mut buf);
    b.withdraw(Family::IPV6_UNICAST, &n6, &mut buf);
    // The first split promotes the buffer to shared storage (one allocation per buffer,
    // not per message); do it before counting.
    let first = frame(&buf, 4096).unwrap().unwrap();
    let _warm = buf.split_to(first).freeze();

    let (before, before_mine) = (ALLOCS.load(Ordering::Relaxed), mine());
    let mut prefixes = 0usize;
    let mut sum = 0u64;
    while let Some(len) = frame(&buf, 4096).unwrap() {
        let msg = buf.split_to(len).freeze();
        let Ok(Message::Update(u)) = decode_message(msg, &ctx) else {
            panic!("not an update")
        };
        assert!(u.problems().is_empty());
        sum += u.med().unwrap_or(0) as u64 + u.communities().map(u64::from).sum::<u64>();
        if let Some(p) = u.as_path_raw() {
            for (_, asns) in p.segments() {
                sum += asns.map(u64::from).sum::<u64>();
            }
        }
        for n in u.nlri().chain(u.withdrawn()) {
            prefixes += 1;
            sum += n.path_id().unwrap_or(0) as u64;
        }
        if let Some(r) = u.mp_reach() {
            let _ = r.next_hop();
            prefixes += r.nlri.count();
        }
        if let Some(w) = u.mp_unreach() {
            prefixes += w.nlri.count();
        }
        if buf.is_empty() {
            break;
        }
    }
    let (after, after_mine) = (ALLOCS.load(Ordering::Relaxed), mine());
    assert!(prefixes >= 10000, "{prefixes}");
    assert!(sum > 0);
    assert_eq!(after_mine - before_mine, 0, "allocations while decoding");
    // Other threads (the harness) may allocate meanwhile; this thread's count is the proof.
    let _ = after - before;
}

#[test]
fn json_of_received_routes_allocates_per_update_not_per_route() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ctx = SessionContext {
        asn4: true,
        ..Default::default()
    };
    let attrs = |nh: &str| PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(vec![65000, 65001, 65002])),
        next_hop: Some(nh.parse().unwrap()),
        med: Some(10),
        communities: vec![0xfde8_0001, 0xfde8_0002],
        ..Default::default()
    };
    let v4 = |n: u32| -> Vec<Nlri> {
        (0..n)
            .map(|i| Nlri::Prefix {
                prefix: format!("10.{}.{}.0/24", i / 256, i % 256).parse().unwrap(),
                path_id: None,
            })
            .collect()
    };
    let v6 = |n: u32| -> Vec<Nlri> {
        (0..n)
            .map(|i| Nlri::Prefix {
                prefix: format!("2001:db8:{i:x}::/48").parse().unwrap(),
                path_id: None,
            })
            .collect()
    };
    let count = |family: Family, a: &PathAttributes, routes: &[Nlri]| -> usize {
        let mut buf = BytesMut::new();
        UpdateBuilder::new(&ctx).announce(family, a, routes, &mut buf);
        UpdateBuilder::new(&ctx).withdraw(family, routes, &mut buf);
        let mut msgs = Vec::new();
        while let Some(len) = frame(&buf, 4096).unwrap() {
            let Ok(Message::Update(u)) = decode_message(buf.split_to(len).freeze(), &ctx) else {
                panic!("not an update")
            };
            msgs.push(u);
        }
        assert_eq!(msgs.len(), 2, "one announcement and one withdrawal");
        let mut out = Vec::with_capacity(1 << 16);
        let before = mine();
        for u in &msgs {
            out.clear();
            json::write_update_view(&mut out, u);
        }
        let after = mine();
        assert!(out.len() > 20);
        after - before
    };
    let a4 = attrs("10.0.0.1");
    let a6 = attrs("2001:db8::1");
    // Warm up (one-time initialisations are not the renderer's).
    count(Family::IPV4_UNICAST, &a4, &v4(1));
    assert_eq!(
        count(Family::IPV4_UNICAST, &a4, &v4(1)),
        count(Family::IPV4_UNICAST, &a4, &v4(300)),
        "IPv4: allocations grow with the routes"
    );
    assert_eq!(
        count(Family::IPV6_UNICAST, &a6, &v6(1)),
        count(Family::IPV6_UNICAST, &a6, &v6(150)),
        "IPv6: allocations grow with the routes"
    );
}

// ---------------------------------------------------------------------------------------------
// BGP-LS and SR Policy: the TLV families, read through their views
// ---------------------------------------------------------------------------------------------

use ferrobgp_wire::bgpls::{self, BgpLs, BgpLsView, LsTlv, LsTlvView, NodeDescriptor};
use ferrobgp_wire::prefix_sid::{self, PrefixSid, PrefixSidView};
use ferrobgp_wire::srpolicy::{
    self, BindingSid, Segment, SegmentList, SrPolicy, TunnelEncapsulation, TunnelEncapsulationView,
    TunnelSubTlv, TunnelSubTlvView,
};

/// The BGP-LS attribute's value with `n` TLVs of several kinds (flags, names, metrics,
/// router ids that ExaBGP gathers into one list, SR adjacency SIDs, an unknown one).
fn ls_attribute(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let mut tlv = |code: u16, val: &[u8]| {
        v.extend_from_slice(&code.to_be_bytes());
        v.extend_from_slice(&(val.len() as u16).to_be_bytes());
        v.extend_from_slice(val);
    };
    for i in 0..n {
        let b = (i as u8).wrapping_add(1);
        match i % 8 {
            0 => tlv(1028, &[10, 0, 0, b]),
            1 => tlv(1026, b"router-name"),
            2 => tlv(1095, &[0, 0, b]),
            3 => tlv(1089, &0x4cee_6b28u32.to_be_bytes()),
            4 => tlv(1099, &[0x30, 10, 0, 0, 0x3E, 0x80 | b]),
            5 => tlv(1024, &[0x80]),
            6 => tlv(1030, &[192, 0, 2, b]),
            _ => tlv(4242, &[b, b]),
        }
    }
    v
}

/// A link NLRI with `n` node descriptors on each side and `n` addresses each way.
fn ls_link(n: usize, k: u32) -> Nlri {
    let d = |i: usize| match i % 3 {
        0 => NodeDescriptor::AutonomousSystem(65000 + i as u32),
        1 => NodeDescriptor::BgpLsIdentifier(k),
        _ => NodeDescriptor::IgpRouterId(bytes::Bytes::copy_from_slice(&[10, 0, 0, i as u8])),
    };
    let mut tlvs = vec![
        LsTlv::LocalNode((0..n).map(d).collect()),
        LsTlv::RemoteNode((0..n).map(d).collect()),
        LsTlv::LinkIdentifiers {
            local: k,
            remote: k + 1,
        },
    ];
    for i in 0..n {
        tlvs.push(LsTlv::InterfaceAddress([10, 1, i as u8, 1].into()));
        tlvs.push(LsTlv::NeighborAddress([10, 1, i as u8, 2].into()));
    }
    tlvs.push(LsTlv::MultiTopology((0..n as u16).collect()));
    BgpLs {
        nlri_type: bgpls::nlri_type::LINK,
        rd: None,
        protocol_id: 3,
        identifier: u64::from(k),
        tlvs,
    }
    .to_nlri()
    .unwrap()
}

/// An SR Policy tunnel with `n` segment lists of `n` segments, a binding SID and names.
fn tunnel(n: usize) -> TunnelEncapsulation {
    let mut subs = vec![
        TunnelSubTlv::Preference {
            flags: 0,
            preference: 100,
        },
        TunnelSubTlv::BindingSid {
            flags: 0,
            sid: BindingSid::Mpls((24000 << 12) | 0x100),
        },
        TunnelSubTlv::PolicyName(bytes::Bytes::from_static(b"policy")),
    ];
    for i in 0..n {
        subs.push(TunnelSubTlv::SegmentList(SegmentList {
            weight: Some((0, i as u32 + 1)),
            segments: (0..n)
                .map(|j| {
                    if j % 2 == 0 {
                        Segment::mpls(16000 + j as u32)
                    } else {
                        Segment::srv6(format!("2001:db8::{j:x}").parse().unwrap(), None)
                    }
                })
                .collect(),
        }));
    }
    TunnelEncapsulation::sr_policy(subs)
}

/// One UPDATE of `family` announcing `routes` with `extra` attributes beside the usual ones.
fn family_update(family: Family, routes: &[Nlri], extra: Vec<RawAttribute>) -> bytes::Bytes {
    let ctx = SessionContext {
        asn4: true,
        extended_message: true,
        ..Default::default()
    };
    let a = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(vec![65000])),
        next_hop: Some("192.0.2.1".parse().unwrap()),
        local_pref: Some(100),
        unknown: extra,
        ..Default::default()
    };
    let mut buf = BytesMut::new();
    UpdateBuilder::new(&ctx).announce(family, &a, routes, &mut buf);
    let len = frame(&buf, 65535).unwrap().unwrap();
    assert_eq!(len, buf.len(), "one UPDATE");
    buf.freeze()
}

fn ls_update(n: usize) -> bytes::Bytes {
    let routes: Vec<Nlri> = (0..4).map(|k| ls_link(n, k)).collect();
    let attr = RawAttribute {
        flags: attr_flag::OPTIONAL,
        code: bgpls::BGP_LS_ATTRIBUTE,
        value: ls_attribute(n).into(),
    };
    family_update(Family::BGP_LS, &routes, vec![attr])
}

fn sr_update(n: usize) -> bytes::Bytes {
    let routes = [SrPolicy::new(1, 100, "10.0.0.1".parse().unwrap()).to_nlri()];
    let extra = vec![
        tunnel(n).to_attribute().unwrap(),
        PrefixSid::label_index(
            777,
            &(0..n as u32)
                .map(|i| (800000 + i, 4096))
                .collect::<Vec<_>>(),
        )
        .to_attribute()
        .unwrap(),
    ];
    family_update(Family::IPV4_SR_POLICY, &routes, extra)
}

/// Decode the UPDATE, walk every TLV, descriptor, sub-TLV and segment through the views, and
/// write each NLRI's and attribute's JSON into `out` (cleared first). Returns a checksum and
/// how many TLV-level items were visited.
fn walk(msg: bytes::Bytes, out: &mut Vec<u8>) -> (u64, usize) {
    let ctx = SessionContext {
        asn4: true,
        extended_message: true,
        ..Default::default()
    };
    let Ok(Message::Update(u)) = decode_message(msg, &ctx) else {
        panic!("not an update")
    };
    assert!(u.problems().is_empty());
    out.clear();
    let (mut sum, mut items) = (0u64, 0usize);
    let r = u.mp_reach().unwrap();
    let (nh, _) = r.next_hop();
    for n in r.nlri {
        let NlriView::Other { wire, .. } = n else {
            panic!("not a family NLRI")
        };
        if r.family == Family::BGP_LS {
            let ls = BgpLsView::parse(wire).unwrap();
            for t in ls.tlvs() {
                items += 1;
                match t {
                    LsTlvView::LocalNode(d) | LsTlvView::RemoteNode(d) => {
                        items += d.iter().count();
                    }
                    LsTlvView::MultiTopology(_) => sum += t.multi_topology_ids().count() as u64,
                    LsTlvView::LinkIdentifiers { local, .. } => sum += u64::from(local),
                    _ => {}
                }
            }
            ls.write_json(nh, out).unwrap();
        } else {
            let p = SrPolicy::parse(wire).unwrap();
            sum += u64::from(p.color);
            p.write_json(out);
        }
    }
    for a in u.attributes() {
        match a.code {
            bgpls::BGP_LS_ATTRIBUTE => {
                items += a.value.len() / 8;
                assert!(bgpls::write_attribute_json(out, a.value));
            }
            srpolicy::TUNNEL_ENCAPSULATION => {
                let t = TunnelEncapsulationView::parse(a.value).unwrap();
                for tun in t.tunnels() {
                    for s in tun.sub_tlvs() {
                        items += 1;
                        if let TunnelSubTlvView::SegmentList(l) = s {
                            items += l.segments().count();
                        }
                    }
                }
                t.write_json(out).unwrap();
            }
            prefix_sid::PREFIX_SID => {
                let p = PrefixSidView::parse(a.value).unwrap();
                for t in p.tlvs() {
                    items += 1 + t.srgb_ranges().count();
                }
                p.write_json(out).unwrap();
            }
            _ => {}
        }
    }
    (sum + out.len() as u64, items)
}

#[test]
fn bgpls_and_sr_policy_views_do_not_allocate() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::with_capacity(1 << 20);
    for (name, msg) in [("bgp-ls", ls_update(40)), ("sr-policy", sr_update(30))] {
        // Warm up: one-time initialisations, and `out` grown to its size.
        walk(msg.clone(), &mut out);
        let before = mine();
        let (sum, items) = walk(msg.clone(), &mut out);
        let allocs = mine() - before;
        assert!(items > 500, "{name}: {items} items");
        assert!(sum > 0);
        assert_eq!(
            allocs, 0,
            "{name}: allocations decoding and writing {items} items"
        );
    }
}

#[test]
fn json_of_bgpls_and_sr_policy_updates_does_not_allocate_per_tlv() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ctx = SessionContext {
        asn4: true,
        extended_message: true,
        ..Default::default()
    };
    let count = |msg: bytes::Bytes| -> usize {
        let Ok(Message::Update(u)) = decode_message(msg, &ctx) else {
            panic!("not an update")
        };
        let mut out = Vec::with_capacity(1 << 20);
        json::write_update_view(&mut out, &u);
        out.clear();
        let before = mine();
        json::write_update_view(&mut out, &u);
        let allocs = mine() - before;
        serde_json::from_slice::<serde_json::Value>(&out).expect("JSON");
        allocs
    };
    count(ls_update(1));
    let (small, large) = (count(ls_update(1)), count(ls_update(40)));
    assert_eq!(small, large, "BGP-LS: allocations grow with the TLVs");
    let (small, large) = (count(sr_update(1)), count(sr_update(30)));
    assert_eq!(small, large, "SR Policy: allocations grow with the TLVs");
    eprintln!("write_update_view: {small} allocations per UPDATE (the owned attribute set)");
}

// ---------------------------------------------------------------------------------------------
// The other family NLRI: EVPN, VPLS, MVPN, MUP, RTC, bgp-ls-vpn
// ---------------------------------------------------------------------------------------------

/// One NLRI of each family as ExaBGP's cases carry it (decoding/bgp-evpn-1, api-vpls,
/// api-mvpn, api-ipv4 MUP ISD, an RTC route, decoding/bgp-ls-1 behind an RD), repeated `n`
/// times in one UPDATE.
fn other_family_updates(n: usize) -> Vec<(Family, bytes::Bytes)> {
    [
        (
            Family::L2VPN_EVPN,
            "02250001252C372E0001000000000000000000000000051530E88088308BE9200A22100A000000",
        ),
        (Family::L2VPN_VPLS, "00110001C0A8C901007B000500010008029CE1"),
        (
            Family::IPV4_MCAST_VPN,
            "06160000FDE80001869F0000FDE8200A63C70120EFFBFFE4",
        ),
        (Family::IPV4_MUP, "0100010C0000006400000064180A0001"),
        (Family::IPV4_RTC, "600000FDE80002FDE800000064"),
        (
            Family::BGP_LS_VPN,
            "0002005900010A000001000703000000000000000001000020020000040000000102010004C0A87A7E0202000400000000020300040A0A0A0A01010020020000040000000102010004C0A87A7E0202000400000000020300040A020202",
        ),
    ]
    .into_iter()
    .map(|(family, h)| {
        let bytes = bytes::Bytes::from(hex::decode(h).unwrap());
        let routes = vec![Nlri::Raw { family, bytes }; n];
        (family, family_update(family, &routes, Vec::new()))
    })
    .collect()
}

/// Decoding these families' UPDATEs and reading every NLRI through its module allocates
/// nothing; writing their JSON allocates per UPDATE, not per route.
#[test]
fn other_family_nlri_decode_without_allocation_per_route() {
    use ferrobgp_wire::model::Safi;
    use ferrobgp_wire::{evpn::Evpn, mup::Mup, mvpn::Mvpn, rtc::Rtc, vpls::Vpls};
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ctx = SessionContext {
        asn4: true,
        extended_message: true,
        ..Default::default()
    };
    let decode = |msg: &bytes::Bytes| {
        let Ok(Message::Update(u)) = decode_message(msg.clone(), &ctx) else {
            panic!("not an update")
        };
        u
    };
    let read = |family: Family, wire: &[u8]| -> bool {
        match family.safi {
            Safi::EVPN => Evpn::parse(wire).is_some(),
            Safi::VPLS => Vpls::parse(wire).is_some(),
            Safi::MCAST_VPN => Mvpn::parse(wire).is_some(),
            Safi::MUP => Mup::parse(wire, family.afi).is_some(),
            Safi::RTC => Rtc::parse(wire).is_some(),
            _ => BgpLsView::parse_vpn(wire).is_some(),
        }
    };
    let json_allocs = |u: &ferrobgp_wire::UpdateView| {
        let mut out = Vec::with_capacity(1 << 20);
        json::write_update_view(&mut out, u);
        out.clear();
        let before = mine();
        json::write_update_view(&mut out, u);
        let allocs = mine() - before;
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("{\"raw\":"), "unparsed: {text}");
        allocs
    };
    for ((family, one), (_, many)) in other_family_updates(1)
        .into_iter()
        .zip(other_family_updates(60))
    {
        let u = decode(&many);
        let before = mine();
        let mut routes = 0;
        let r = u.mp_reach().unwrap();
        for n in r.nlri {
            let NlriView::Other { wire, .. } = n else {
                panic!("{family}: not a family NLRI")
            };
            assert!(read(family, wire), "{family}");
            routes += 1;
        }
        assert_eq!(
            mine() - before,
            0,
            "{family}: allocations reading {routes} routes"
        );
        assert_eq!(routes, 60);
        let small = json_allocs(&decode(&one));
        assert_eq!(
            small,
            json_allocs(&u),
            "{family}: JSON allocations grow with the routes"
        );
    }
}
