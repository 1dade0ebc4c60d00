//! Metrics overhead on v4 extraction from an already parsed document.
//!
//! * `metrics_v4/plain`: `FeatureExtractor::extract` (no metrics).
//! * `metrics_v4/recorded`: `Metrics::extract` (timing + `feature_extraction_latency_seconds`,
//!   `v4_surface_count`, `v4_shape_entropy`). Target: < 5 % over `plain`.
//!
//! The documents are the DXF-like document of `benches/common` (also timed by `benches/extract.rs`) and the
//! B-Rep-less STL `tests/data/stl/sphere_with_hole_ascii.stl` as read by cadfeat.
//!
//! * `metrics_read_extract_v4/*`: detect + parse + v4 extraction of a real file (a cache miss),
//!   plain vs. through `Metrics::read` + `Metrics::extract` (parse timed too).
//! * `parts/*`: what recording adds, piece by piece (a pair of clock reads; one observation).
//!
//! Also `metrics_render`: rendering the exposition text of a registry with every series.
//!
//! Run: `cargo bench --bench metrics -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

mod common;

use cadfeat::metrics::Metrics;
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};
use criterion::{Criterion, criterion_group, criterion_main};

/// Median over interleaved rounds of (time of a `recorded` batch / time of a `plain` batch):
/// on a shared machine a change of load hits both sides of a round alike, so the median ratio
/// stays meaningful where two separate criterion runs would not. Printed as
/// `paired/<name>: recorded/plain …`.
fn paired_overhead(name: &str, batch: usize, mut plain: impl FnMut(), mut recorded: impl FnMut()) {
    let time = |f: &mut dyn FnMut()| {
        let t = std::time::Instant::now();
        for _ in 0..batch {
            f();
        }
        t.elapsed().as_secs_f64()
    };
    // Warm-up.
    time(&mut plain);
    time(&mut recorded);
    let mut ratios: Vec<f64> = (0..401)
        .map(|r| {
            let (p, q) = if r % 2 == 0 {
                let p = time(&mut plain);
                (p, time(&mut recorded))
            } else {
                let q = time(&mut recorded);
                (time(&mut plain), q)
            };
            q / p
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let q = |f: f64| ratios[((ratios.len() - 1) as f64 * f) as usize];
    println!(
        "paired/{name}: recorded/plain median {:.4} (quartiles {:.4} … {:.4}), {} rounds of {batch}",
        q(0.5),
        q(0.25),
        q(0.75),
        ratios.len()
    );
}

fn bench(c: &mut Criterion) {
    let v4 = FeatureExtractor::new(FeatureVersion::V4);
    let metrics = Metrics::new();
    let mut docs = vec![("dxf_like", common::dxf_like())];
    let stl = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stl/sphere_with_hole_ascii.stl"
    );
    if let Ok(doc) = cadfeat::read_file(stl, &Limits::default()) {
        docs.push(("stl_sphere", doc));
    }
    for (name, doc) in &docs {
        paired_overhead(
            &format!("v4_{name}"),
            2000,
            || {
                black_box(v4.extract(black_box(doc)));
            },
            || {
                black_box(metrics.extract(black_box(&v4), black_box(doc)));
            },
        );
        let mut g = c.benchmark_group(format!("metrics_v4/{name}"));
        g.bench_function("plain", |b| b.iter(|| v4.extract(black_box(doc))));
        g.bench_function("recorded", |b| {
            b.iter(|| metrics.extract(black_box(&v4), black_box(doc)))
        });
        g.finish();
    }
    // Every document of the shared corpus, parsed once: one iteration extracts them all (the
    // overhead on real documents rather than on one synthetic one).
    if let Some(dir) = option_env!("CADFEAT_CORPUS_DIR") {
        let mut corpus = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(doc) = cadfeat::read_file(&p, &Limits::default()) {
                    corpus.push(doc);
                }
            }
        }
        eprintln!("metrics_v4/corpus_all: {} documents", corpus.len());
        paired_overhead(
            "v4_corpus_all",
            20,
            || {
                for doc in &corpus {
                    black_box(v4.extract(black_box(doc)));
                }
            },
            || {
                for doc in &corpus {
                    black_box(metrics.extract(black_box(&v4), black_box(doc)));
                }
            },
        );
        let mut g = c.benchmark_group("metrics_v4/corpus_all");
        g.bench_function("plain", |b| {
            b.iter(|| {
                for doc in &corpus {
                    black_box(v4.extract(black_box(doc)));
                }
            })
        });
        g.bench_function("recorded", |b| {
            b.iter(|| {
                for doc in &corpus {
                    black_box(metrics.extract(black_box(&v4), black_box(doc)));
                }
            })
        });
        g.finish();
    }

    // The whole miss path (detect + parse + extract) of a real file, where metrics also time
    // the parse: the per-file overhead relative to what a cache miss costs.
    let dxf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/dxf/cadman_sdi_no_handles.dxf"
    );
    let limits = Limits::default();
    for (name, path) in [("stl_sphere", stl), ("dxf_cadman", dxf)] {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let mut g = c.benchmark_group(format!("metrics_read_extract_v4/{name}"));
        g.bench_function("plain", |b| {
            b.iter(|| {
                let doc = cadfeat::read_bytes(black_box(&bytes), None, &limits).unwrap();
                v4.extract(&doc)
            })
        });
        g.bench_function("recorded", |b| {
            b.iter(|| {
                let doc = metrics.read(black_box(&bytes), None, &limits).unwrap();
                metrics.extract(&v4, &doc)
            })
        });
        g.finish();
    }

    // What the recorded path adds, piece by piece.
    c.bench_function("parts/instant_pair", |b| {
        b.iter(|| black_box(std::time::Instant::now()).elapsed())
    });
    c.bench_function("parts/stopwatch_pair", |b| {
        b.iter(|| black_box(cadfeat::metrics::Stopwatch::start()).seconds())
    });
    let h = cadfeat::metrics::AtomicHistogram::new(&cadfeat::metrics::EXTRACTION_LATENCY_BUCKETS);
    c.bench_function("parts/histogram_observe", |b| {
        b.iter(|| h.observe(black_box(3e-7)))
    });
    c.bench_function("metrics_render", |b| b.iter(|| black_box(metrics.render())));
}

criterion_group!(benches, bench);
criterion_main!(benches);
