//! Heap allocations per operation of the codec benches (criterion measures time only): the
//! same messages as `benches/codec.rs`, each operation run 10,000 times under a counting
//! global allocator, reported as allocations (and bytes) per operation.
//! Run: `cargo bench -p ferrobgp-wire --bench allocs`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use bytes::BytesMut;
use ferrobgp_wire::*;

#[path = "common/ls_sr.rs"]
mod ls_sr;
#[path = "common/unicast.rs"]
mod unicast;
use unicast::{attrs, ctx, prefixes, update_bytes};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(l.size(), Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(n, Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const ROUNDS: usize = 10_000;

/// Run `op` ROUNDS times (after one warm-up call) and print allocations per call.
fn report(name: &str, per: u32, mut op: impl FnMut()) {
    op();
    let (a0, b0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    for _ in 0..ROUNDS {
        op();
    }
    let a = (ALLOCS.load(Relaxed) - a0) as f64 / ROUNDS as f64;
    let b = (BYTES.load(Relaxed) - b0) as f64 / ROUNDS as f64;
    println!(
        "{name:<28} {a:>8.2} allocations/op {b:>10.1} bytes/op {:>8.3} allocations/prefix",
        a / per as f64
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run either way.
    let ctx = ctx();
    for n in [1u32, 3, 10, 100] {
        let msg = update_bytes(n);
        report(&format!("decode_update/{n}"), n, || {
            let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx) else {
                unreachable!()
            };
            let mut k = 0u32;
            for p in u.nlri() {
                if let NlriView::Prefix { prefix, .. } = p {
                    k = k.wrapping_add(prefix.prefix_len() as u32);
                }
            }
            for a in u.attributes() {
                k = k.wrapping_add(a.value.len() as u32);
            }
            black_box((k, u.med(), u.next_hop(), u.as_path_raw().is_some()));
        });
    }
    for n in [1u32, 3, 10, 100, 10_000] {
        let a = attrs(3 + n % 5);
        let p = prefixes(n);
        let mut out = BytesMut::with_capacity(1 << 20);
        report(&format!("encode_update/{n}"), n, || {
            out.clear();
            UpdateBuilder::new(&ctx).announce(Family::IPV4_UNICAST, &a, &p, &mut out);
            black_box(out.len());
        });
    }
    for n in [1u32, 10, 100] {
        let Ok(Message::Update(u)) = decode_message(update_bytes(n), &ctx) else {
            unreachable!()
        };
        let mut out = Vec::with_capacity(1 << 16);
        report(&format!("json_received/{n}"), n, || {
            out.clear();
            json::write_update_view(&mut out, &u);
            black_box(out.len());
        });
    }
    // BGP-LS (link NLRI and a 12-TLV BGP-LS attribute) and SR Policy (segment lists of 4):
    // every TLV, descriptor, sub-TLV and segment read through the views, or the owned parse;
    // and their JSON written into a reused buffer. Per NLRI / per segment list.
    let ctx_ext = ls_sr::ctx_ext();
    let mut out = Vec::with_capacity(1 << 20);
    for n in [1u32, 100] {
        let msg = ls_sr::ls_update(n);
        let nlri = |u: &UpdateView| {
            u.mp_reach()
                .unwrap()
                .nlri
                .filter_map(|v| match v {
                    NlriView::Other { wire, .. } => Some(wire),
                    _ => None,
                })
                .count()
        };
        report(&format!("decode_bgpls/view/{n}"), n, || {
            let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx_ext) else {
                unreachable!()
            };
            let mut k = nlri(&u);
            for v in u.mp_reach().unwrap().nlri {
                if let NlriView::Other { wire, .. } = v {
                    for t in bgpls::BgpLsView::parse(wire).unwrap().tlvs() {
                        if let bgpls::LsTlvView::LocalNode(d) = t {
                            k += d.iter().count();
                        }
                    }
                }
            }
            black_box(k);
        });
        report(&format!("decode_bgpls/owned/{n}"), n, || {
            let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx_ext) else {
                unreachable!()
            };
            let mut k = 0;
            for v in u.mp_reach().unwrap().nlri {
                if let NlriView::Other { wire, .. } = v {
                    k += bgpls::BgpLs::parse(wire).unwrap().tlvs.len();
                }
            }
            black_box(k);
        });
        report(&format!("decode_bgpls/json/{n}"), n, || {
            out.clear();
            let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx_ext) else {
                unreachable!()
            };
            let r = u.mp_reach().unwrap();
            let (nh, _) = r.next_hop();
            for v in r.nlri {
                if let NlriView::Other { wire, .. } = v {
                    let _ = bgpls::BgpLsView::parse(wire)
                        .unwrap()
                        .write_json(nh, &mut out);
                }
            }
            bgpls::write_attribute_json(&mut out, u.attribute(bgpls::BGP_LS_ATTRIBUTE).unwrap());
            black_box(out.len());
        });
    }
    let te = srpolicy::TUNNEL_ENCAPSULATION;
    for n in [1u32, 100] {
        let msg = ls_sr::sr_update(n);
        report(&format!("decode_sr_policy/view/{n}"), n, || {
            let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx_ext) else {
                unreachable!()
            };
            let t = srpolicy::TunnelEncapsulationView::parse(u.attribute(te).unwrap()).unwrap();
            let mut k = 0;
            for tun in t.tunnels() {
                for s in tun.sub_tlvs() {
                    if let srpolicy::TunnelSubTlvView::SegmentList(l) = s {
                        k += l.segments().count();
                    }
                }
            }
            black_box(k);
        });
        report(&format!("decode_sr_policy/owned/{n}"), n, || {
            let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx_ext) else {
                unreachable!()
            };
            let t = srpolicy::TunnelEncapsulation::parse(u.attribute(te).unwrap()).unwrap();
            black_box(t.tunnels.len());
        });
        report(&format!("decode_sr_policy/json/{n}"), n, || {
            out.clear();
            let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx_ext) else {
                unreachable!()
            };
            srpolicy::write_attribute_json(&mut out, u.attribute(te).unwrap());
            black_box(out.len());
        });
    }
    let open = Open {
        version: 4,
        my_as: 65000,
        hold_time: 180,
        bgp_id: "192.0.2.1".parse().unwrap(),
        capabilities: vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::RouteRefresh,
            Capability::FourOctetAsn(65000),
            Capability::AddPath(vec![(Family::IPV4_UNICAST, AddPathMode::Both)]),
            Capability::ExtendedMessage,
        ],
    };
    let mut ob = BytesMut::new();
    encode_open(&open, &mut ob);
    let ob = ob.freeze();
    report("decode_open", 1, || {
        black_box(decode_message(black_box(ob.clone()), &ctx).is_ok());
    });
    let n = Notification::shutdown(model::notif::ADMINISTRATIVE_SHUTDOWN, "maintenance");
    let mut nb = BytesMut::new();
    encode_notification(&n, &mut nb);
    let nb = nb.freeze();
    report("decode_notification", 1, || {
        black_box(decode_message(black_box(nb.clone()), &ctx).is_ok());
    });
    let mut out = BytesMut::with_capacity(4096);
    report("encode_open", 1, || {
        out.clear();
        encode_open(black_box(&open), &mut out);
    });
    report("encode_notification", 1, || {
        out.clear();
        encode_notification(black_box(&n), &mut out);
    });
}
