//! Decode one UPDATE of N prefixes (the codec bench's message: ORIGIN, 4-octet AS_PATH,
//! NEXT_HOP, MED, 2 communities) ITER times, iterating every prefix. Built for instruction
//! counts, which a noisy 2-core machine cannot spoil:
//!
//! ```sh
//! cargo build --release -p ferrobgp-wire --example decode_count
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/decode_count 3 100000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/decode_count 3 0
//! ```
//! (instructions per UPDATE = difference of the two totals / 100000), or with `--time` as
//! the last argument the fastest of 7 timed rounds, robust to a noisy machine.

use std::hint::black_box;

use bytes::BytesMut;
use ferrobgp_wire::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let iter: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let ctx = SessionContext {
        asn4: true,
        ..Default::default()
    };
    let attrs = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(
            (0..3 + n % 5).map(|i| 65000 + i).collect::<Vec<_>>(),
        )),
        next_hop: Some("192.0.2.1".parse().unwrap()),
        med: Some(100),
        communities: vec![0xfde8_0001, 0xfde8_0002],
        ..Default::default()
    };
    let prefixes: Vec<Nlri> = (0..n)
        .map(|i| Nlri::Prefix {
            prefix: format!("10.{}.{}.0/24", (i / 256) % 256, i % 256)
                .parse()
                .unwrap(),
            path_id: None,
        })
        .collect();
    let mut out = BytesMut::new();
    UpdateBuilder::new(&ctx).announce(Family::IPV4_UNICAST, &attrs, &prefixes, &mut out);
    let msg = out.freeze();
    // Also a noise-robust timer: the fastest of 7 rounds of ITER decodes (`--time`).
    if std::env::args().any(|a| a == "--time") {
        let mut best = f64::MAX;
        for _ in 0..7 {
            let t = std::time::Instant::now();
            black_box(run(&msg, &ctx, iter));
            best = best.min(t.elapsed().as_nanos() as f64 / iter as f64);
        }
        println!(
            "{n} prefixes: {best:.1} ns per UPDATE, {:.1} ns per prefix (fastest of 7 rounds)",
            best / n as f64
        );
        return;
    }
    println!("{}", run(&msg, &ctx, iter));
}

fn run(msg: &bytes::Bytes, ctx: &SessionContext, iter: u64) -> u64 {
    let mut total = 0u64;
    for _ in 0..iter {
        let Ok(Message::Update(u)) = decode_message(black_box(msg.clone()), ctx) else {
            std::process::exit(1);
        };
        for p in u.nlri() {
            if let NlriView::Prefix { prefix, .. } = p {
                total = total.wrapping_add(prefix.prefix_len() as u64);
            }
        }
        total = total.wrapping_add(u.med().unwrap_or(0) as u64);
        black_box(u.next_hop());
    }
    total
}
