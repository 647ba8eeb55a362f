//! Command parsing speed: the bulk-announcement path (`announce route P next-hop IP`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrobgp_api::parse_command;

fn lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "announce route 10.{}.{}.0/24 next-hop 192.0.2.1\n",
                (i >> 8) & 255,
                i & 255
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let ls = lines(10_000);
    let mut g = c.benchmark_group("parse_command");
    g.throughput(Throughput::Elements(ls.len() as u64));
    g.bench_function("announce route P next-hop IP", |b| {
        b.iter(|| {
            for l in &ls {
                let c = parse_command(l).expect("valid");
                std::hint::black_box(c);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
