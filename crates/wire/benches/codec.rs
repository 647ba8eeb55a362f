//! Codec benchmarks: decode and encode UPDATEs of 1, 3, 10 and 100 prefixes (ORIGIN,
//! 4-octet AS_PATH of 3-7 hops, NEXT_HOP, MED, 2 communities), full-UPDATE packing, OPEN and
//! NOTIFICATION; EVPN (MAC/IP advertisement) and flowspec UPDATEs of 1, 10 and 100 NLRI,
//! decoded down to each route's fields; BGP-LS UPDATEs of 1, 10 and 100 link NLRI (with a
//! BGP-LS attribute) and SR Policy UPDATEs of 1, 10 and 100 segment lists, read through their
//! views (and the owned parse, for comparison) and written as JSON; ExaBGP's JSON of received
//! UPDATEs. Run: `cargo bench -p ferrobgp-wire --bench codec`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrobgp_wire::*;

#[path = "common/ls_sr.rs"]
mod ls_sr;
use ls_sr::{ctx_ext, ls_update, sr_update};
#[path = "common/unicast.rs"]
mod unicast;
use unicast::{attrs, ctx, prefixes, update_bytes};

fn decode(c: &mut Criterion) {
    let ctx = ctx();
    let mut g = c.benchmark_group("decode_update");
    for n in [1u32, 3, 10, 100] {
        let msg = update_bytes(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &msg, |b, msg| {
            b.iter(|| {
                let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx) else {
                    unreachable!()
                };
                let mut k = 0u32;
                for p in u.nlri() {
                    if let NlriView::Prefix { prefix, .. } = p {
                        k = k.wrapping_add(prefix.prefix_len() as u32);
                    }
                }
                black_box((k, u.med(), u.next_hop()))
            })
        });
    }
    g.finish();
}

/// Attributes of the family benches: ORIGIN, AS_PATH of 3 hops, one extended community
/// (a route target for EVPN, a traffic-rate action for flowspec).
fn family_attrs(ext: &str) -> PathAttributes {
    PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(vec![65001, 65002, 65003])),
        next_hop: Some("192.0.2.1".parse().unwrap()),
        extended_communities: vec![ext.parse().unwrap()],
        ..Default::default()
    }
}

fn evpn_update(n: u32) -> Bytes {
    let routes: Vec<Nlri> = (0..n)
        .map(|i| {
            let b = i.to_be_bytes();
            evpn::Evpn::mac_ip(
                "65000:1".parse().unwrap(),
                evpn::Esi::ZERO,
                i,
                [0x02, 0, b[0], b[1], b[2], b[3]],
                Some(
                    format!("10.1.{}.{}", (i / 256) % 256, i % 256)
                        .parse()
                        .unwrap(),
                ),
                100 + i,
            )
            .to_nlri()
            .unwrap()
        })
        .collect();
    let mut out = BytesMut::new();
    let c = ctx();
    UpdateBuilder::new(&c).announce(
        Family::L2VPN_EVPN,
        &family_attrs("target:65000:1"),
        &routes,
        &mut out,
    );
    out.freeze()
}

fn flow_update(n: u32) -> Bytes {
    let routes: Vec<Nlri> = (0..n)
        .map(|i| Nlri::Flow {
            rd: None,
            rule: flowspec::FlowRule::parse_text(&format!(
                "destination 10.{}.{}.0/24; source 192.0.2.0/24; protocol [ tcp udp ]; \
                 destination-port =80; packet-length >200&<1500",
                (i / 256) % 256,
                i % 256
            ))
            .unwrap(),
        })
        .collect();
    let mut out = BytesMut::new();
    let c = ctx();
    UpdateBuilder::new(&c).announce(
        Family::IPV4_FLOW,
        &family_attrs("rate-limit:0"),
        &routes,
        &mut out,
    );
    out.freeze()
}

fn decode_families(c: &mut Criterion) {
    let ctx = ctx();
    let mut g = c.benchmark_group("decode_evpn");
    for n in [1u32, 10, 100] {
        let msg = evpn_update(n);
        assert!(msg.len() <= 4096, "one UPDATE");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &msg, |b, msg| {
            b.iter(|| {
                let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx) else {
                    unreachable!()
                };
                let r = u.mp_reach().unwrap();
                let mut k = 0u32;
                for v in r.nlri {
                    if let NlriView::Other { wire, .. } = v {
                        if let Some(evpn::Evpn::MacIp { etag, .. }) = evpn::Evpn::parse(wire) {
                            k = k.wrapping_add(etag);
                        }
                    }
                }
                black_box((k, u.extended_communities().count()))
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("decode_flow");
    for n in [1u32, 10, 100] {
        let msg = flow_update(n);
        assert!(msg.len() <= 4096, "one UPDATE");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &msg, |b, msg| {
            b.iter(|| {
                let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx) else {
                    unreachable!()
                };
                let r = u.mp_reach().unwrap();
                let mut k = 0usize;
                for v in r.nlri {
                    if let NlriView::Flow { wire, .. } = v {
                        let (f, _) = flowspec::FlowNlri::parse(wire, false, false).unwrap();
                        k += f.components().count();
                    }
                }
                black_box((k, u.extended_communities().count()))
            })
        });
    }
    g.finish();
}

/// BGP-LS and SR Policy UPDATEs: decoded and every TLV, node descriptor, sub-TLV and segment
/// read through the views (`view`); the same through the owned parse as before (`owned`);
/// and decoded and written as ExaBGP's JSON of the NLRI and attribute into a reused buffer
/// (`json`).
fn decode_ls_sr(c: &mut Criterion) {
    use bgpls::{BgpLs, BgpLsView, LsTlvView};
    use srpolicy::{TunnelEncapsulation, TunnelEncapsulationView, TunnelSubTlvView};
    let ctx = ctx_ext();
    let decode = |msg: &Bytes| {
        let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), &ctx) else {
            unreachable!()
        };
        u
    };
    let mut g = c.benchmark_group("decode_bgpls");
    for n in [1u32, 10, 100] {
        let msg = ls_update(n);
        assert_eq!(frame(&msg, 65535).unwrap(), Some(msg.len()), "one UPDATE");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("view", n), &msg, |b, msg| {
            b.iter(|| {
                let u = decode(msg);
                let mut k = 0u32;
                for v in u.mp_reach().unwrap().nlri {
                    let NlriView::Other { wire, .. } = v else {
                        continue;
                    };
                    let Some(ls) = BgpLsView::parse(wire) else {
                        continue;
                    };
                    for t in ls.tlvs() {
                        match t {
                            LsTlvView::LocalNode(d) | LsTlvView::RemoteNode(d) => {
                                k = k.wrapping_add(d.iter().count() as u32)
                            }
                            LsTlvView::LinkIdentifiers { local, .. } => k = k.wrapping_add(local),
                            _ => {}
                        }
                    }
                }
                black_box((k, u.attribute(bgpls::BGP_LS_ATTRIBUTE).map(<[u8]>::len)))
            })
        });
        g.bench_with_input(BenchmarkId::new("owned", n), &msg, |b, msg| {
            b.iter(|| {
                let u = decode(msg);
                let mut k = 0u32;
                for v in u.mp_reach().unwrap().nlri {
                    let NlriView::Other { wire, .. } = v else {
                        continue;
                    };
                    let Some(ls) = BgpLs::parse(wire) else {
                        continue;
                    };
                    for t in &ls.tlvs {
                        match t {
                            bgpls::LsTlv::LocalNode(d) | bgpls::LsTlv::RemoteNode(d) => {
                                k = k.wrapping_add(d.len() as u32)
                            }
                            bgpls::LsTlv::LinkIdentifiers { local, .. } => {
                                k = k.wrapping_add(*local)
                            }
                            _ => {}
                        }
                    }
                }
                black_box((k, u.attribute(bgpls::BGP_LS_ATTRIBUTE).map(<[u8]>::len)))
            })
        });
        let mut out = Vec::with_capacity(1 << 16);
        g.bench_with_input(BenchmarkId::new("json", n), &msg, |b, msg| {
            b.iter(|| {
                out.clear();
                let u = decode(msg);
                let r = u.mp_reach().unwrap();
                let (nh, _) = r.next_hop();
                for v in r.nlri {
                    if let NlriView::Other { wire, .. } = v {
                        if let Some(ls) = BgpLsView::parse(wire) {
                            let _ = ls.write_json(nh, &mut out);
                        }
                    }
                }
                if let Some(a) = u.attribute(bgpls::BGP_LS_ATTRIBUTE) {
                    bgpls::write_attribute_json(&mut out, a);
                }
                black_box(out.len())
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("decode_sr_policy");
    let te = srpolicy::TUNNEL_ENCAPSULATION;
    for n in [1u32, 10, 100] {
        let msg = sr_update(n);
        assert_eq!(frame(&msg, 65535).unwrap(), Some(msg.len()), "one UPDATE");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("view", n), &msg, |b, msg| {
            b.iter(|| {
                let u = decode(msg);
                let mut k = 0usize;
                let t = TunnelEncapsulationView::parse(u.attribute(te).unwrap()).unwrap();
                for tun in t.tunnels() {
                    for s in tun.sub_tlvs() {
                        if let TunnelSubTlvView::SegmentList(l) = s {
                            k += l.segments().count();
                        }
                    }
                }
                black_box(k)
            })
        });
        g.bench_with_input(BenchmarkId::new("owned", n), &msg, |b, msg| {
            b.iter(|| {
                let u = decode(msg);
                let mut k = 0usize;
                let t = TunnelEncapsulation::parse(u.attribute(te).unwrap()).unwrap();
                for tun in &t.tunnels {
                    for s in &tun.sub_tlvs {
                        if let srpolicy::TunnelSubTlv::SegmentList(l) = s {
                            k += l.segments.len();
                        }
                    }
                }
                black_box(k)
            })
        });
        let mut out = Vec::with_capacity(1 << 16);
        g.bench_with_input(BenchmarkId::new("json", n), &msg, |b, msg| {
            b.iter(|| {
                out.clear();
                let u = decode(msg);
                srpolicy::write_attribute_json(&mut out, u.attribute(te).unwrap());
                black_box(out.len())
            })
        });
    }
    g.finish();
}

/// ExaBGP's JSON of a received UPDATE (already decoded): written from the view, and through
/// the owned form (`to_update`) as before, for comparison.
fn json_received(c: &mut Criterion) {
    let ctx = ctx();
    let mut g = c.benchmark_group("json_received");
    for n in [1u32, 10, 100] {
        let Ok(Message::Update(u)) = decode_message(update_bytes(n), &ctx) else {
            unreachable!()
        };
        let mut out = Vec::with_capacity(1 << 16);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("view", n), &u, |b, u| {
            b.iter(|| {
                out.clear();
                json::write_update_view(&mut out, black_box(u));
                black_box(out.len())
            })
        });
        g.bench_with_input(BenchmarkId::new("owned", n), &u, |b, u| {
            b.iter(|| {
                out.clear();
                let o = black_box(u).to_update();
                json::write_update_message(
                    &mut out,
                    &o.attributes,
                    &o.withdrawn,
                    &o.announced,
                    o.end_of_rib,
                );
                black_box(out.len())
            })
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let ctx = ctx();
    let mut g = c.benchmark_group("encode_update");
    for n in [1u32, 3, 10, 100, 10_000] {
        let a = attrs(3 + n % 5);
        let p = prefixes(n);
        let mut out = BytesMut::with_capacity(1 << 20);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| {
                out.clear();
                UpdateBuilder::new(&ctx).announce(Family::IPV4_UNICAST, &a, p, &mut out);
                black_box(out.len())
            })
        });
    }
    g.finish();
}

fn other(c: &mut Criterion) {
    let ctx = ctx();
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
    c.bench_function("decode_open", |b| {
        b.iter(|| black_box(decode_message(black_box(ob.clone()), &ctx).is_ok()))
    });
    let mut out = BytesMut::with_capacity(4096);
    c.bench_function("encode_open", |b| {
        b.iter(|| {
            out.clear();
            encode_open(black_box(&open), &mut out);
            black_box(out.len())
        })
    });
    let n = Notification::shutdown(model::notif::ADMINISTRATIVE_SHUTDOWN, "maintenance");
    let mut nb = BytesMut::new();
    encode_notification(&n, &mut nb);
    let nb = nb.freeze();
    c.bench_function("decode_notification", |b| {
        b.iter(|| black_box(decode_message(black_box(nb.clone()), &ctx).is_ok()))
    });
    c.bench_function("encode_notification", |b| {
        b.iter(|| {
            out.clear();
            encode_notification(black_box(&n), &mut out);
            black_box(out.len())
        })
    });
}

criterion_group!(
    benches,
    decode,
    decode_families,
    decode_ls_sr,
    json_received,
    encode,
    other
);
criterion_main!(benches);
