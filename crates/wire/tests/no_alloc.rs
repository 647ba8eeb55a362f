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
