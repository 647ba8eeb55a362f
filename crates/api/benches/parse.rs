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
    // The share of the shared route grammar (ferrobgp-config) in the above.
    let texts: Vec<&str> = ls
        .iter()
        .map(|l| l.trim_end().trim_start_matches("announce route "))
        .collect();
    g.bench_function("route grammar alone", |b| {
        b.iter(|| {
            for t in &texts {
                let r = ferrobgp_config::route::parse_route_attributes(t).expect("valid");
                std::hint::black_box(r);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
