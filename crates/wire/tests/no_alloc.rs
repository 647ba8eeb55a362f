//! The decode path does not allocate: framing, slicing a message out of the receive buffer,
//! validating an UPDATE and iterating its attributes and prefixes. Proved with a counting
//! global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use ferrobgp_wire::*;

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

#[test]
fn decoding_updates_does_not_allocate() {
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

    let before = ALLOCS.load(Ordering::Relaxed);
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
    let after = ALLOCS.load(Ordering::Relaxed);
    assert!(prefixes >= 10000, "{prefixes}");
    assert!(sum > 0);
    assert_eq!(after - before, 0, "allocations while decoding");
}
