//! Metrics overhead on v4 extraction from an already parsed document.
//!
//! * `metrics_v4/plain`: `FeatureExtractor::extract` (no metrics).
//! * `metrics_v4/recorded`: `Metrics::extract` (timing + `feature_extraction_latency_seconds`,
//!   `v4_surface_count`, `v4_shape_entropy`). Target: < 5 % over `plain`.
//!
//! The documents are the DXF-like document of `benches/common` (also timed by `benches/extract.rs`) and the
//! B-Rep-less STL `tests/data/stl/sphere_with_hole_ascii.stl` as read by cadfeat, and with
//! `CADFEAT_CORPUS_DIR=…/shared/corpus` at build time, all documents of the shared corpus.
//!
//! The target is checked first by `paired/*` lines: the median recorded/plain ratio of 401
//! interleaved rounds, measured in 15 fresh processes (`CADFEAT_PAIRED_PROCESSES`), and the
//! median over those processes. The criterion groups below time each side separately, which a
//! change of load or of memory placement between the two can skew.
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
use cadfeat::{CadDocument, FeatureExtractor, FeatureVersion, Limits};
use criterion::{Criterion, criterion_group, criterion_main};

/// Set in the child processes that [`paired_across_processes`] starts.
const CHILD_ENV: &str = "CADFEAT_PAIRED_CHILD";
/// How many child processes measure the paired ratios (default 15; `0` skips them).
const PROCESSES_ENV: &str = "CADFEAT_PAIRED_PROCESSES";

/// Median over interleaved rounds of (time of a `recorded` batch / time of a `plain` batch):
/// on a shared machine a change of load hits both sides of a round alike, so the median ratio
/// stays meaningful where two separate criterion runs would not.
fn paired_ratio(
    rounds: usize,
    batch: usize,
    mut plain: impl FnMut(),
    mut recorded: impl FnMut(),
) -> f64 {
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
    let mut ratios: Vec<f64> = (0..rounds)
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
    ratios[ratios.len() / 2]
}

/// The documents measured: the DXF-like one, the STL sphere and (when `CADFEAT_CORPUS_DIR` was
/// set at build time) every document of the shared corpus.
struct Docs {
    single: Vec<(&'static str, CadDocument)>,
    corpus: Option<Vec<CadDocument>>,
}

fn load_docs() -> Docs {
    let mut single = vec![("dxf_like", common::dxf_like())];
    if let Ok(doc) = cadfeat::read_file(STL, &Limits::default()) {
        single.push(("stl_sphere", doc));
    }
    // Every document of the shared corpus, parsed once: one iteration extracts them all (the
    // overhead on real documents rather than on one synthetic one).
    let corpus = option_env!("CADFEAT_CORPUS_DIR").map(|dir| {
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
        corpus
    });
    Docs { single, corpus }
}

/// `(name, median recorded/plain ratio)` of each document set, measured in this process.
fn paired_all(docs: &Docs, rounds: usize) -> Vec<(String, f64)> {
    let v4 = FeatureExtractor::new(FeatureVersion::V4);
    let metrics = Metrics::new();
    let mut out = Vec::new();
    for (name, doc) in &docs.single {
        let r = paired_ratio(
            rounds,
            2000,
            || {
                black_box(v4.extract(black_box(doc)));
            },
            || {
                black_box(metrics.extract(black_box(&v4), black_box(doc)));
            },
        );
        out.push((format!("v4_{name}"), r));
    }
    if let Some(corpus) = &docs.corpus {
        let r = paired_ratio(
            rounds,
            20,
            || {
                for doc in corpus {
                    black_box(v4.extract(black_box(doc)));
                }
            },
            || {
                for doc in corpus {
                    black_box(metrics.extract(black_box(&v4), black_box(doc)));
                }
            },
        );
        out.push((format!("v4_corpus_all ({} documents)", corpus.len()), r));
    }
    out
}

/// The paired ratios, measured in [`PROCESSES_ENV`] (default 15) fresh processes, and printed
/// as `paired/<name>: recorded/plain median …` with the spread between processes.
///
/// One process is not enough: each start places the stack and heap elsewhere (address-space
/// randomisation), and that moves one process's median ratio by several percent either way,
/// more than the metrics cost (see BENCHMARKS.md). The median over processes is stable.
/// Under `cargo test` (no `--bench` argument) it runs three rounds in-process, as a smoke test.
fn paired_across_processes(docs: &Docs) {
    if std::env::var_os(CHILD_ENV).is_some() {
        for (name, r) in paired_all(docs, 401) {
            println!("paired-child\t{name}\t{r}");
        }
        std::process::exit(0);
    }
    if !std::env::args().any(|a| a == "--bench") {
        for (name, r) in paired_all(docs, 3) {
            println!("paired/{name}: {r:.4} (test mode, 3 rounds: not a measurement)");
        }
        return;
    }
    let processes: usize = std::env::var(PROCESSES_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("paired: no path to this executable, skipped");
        return;
    };
    let mut per_name: Vec<(String, Vec<f64>)> = Vec::new();
    for _ in 0..processes {
        let out = std::process::Command::new(&exe)
            .args(std::env::args_os().skip(1))
            .env(CHILD_ENV, "1")
            .stderr(std::process::Stdio::null())
            .output();
        let Ok(out) = out else {
            eprintln!("paired: a child process failed to start");
            continue;
        };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut f = line.split('\t');
            if let (Some("paired-child"), Some(name), Some(Ok(r))) =
                (f.next(), f.next(), f.next().map(str::parse::<f64>))
            {
                match per_name.iter_mut().find(|(n, _)| n == name) {
                    Some((_, v)) => v.push(r),
                    None => per_name.push((name.to_string(), vec![r])),
                }
            }
        }
    }
    for (name, mut v) in per_name {
        v.sort_by(f64::total_cmp);
        let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
        println!(
            "paired/{name}: recorded/plain median {:.4} over {} processes (quartiles {:.4} … {:.4}, \
             range {:.4} … {:.4}); each process: median of 401 interleaved rounds",
            q(0.5),
            v.len(),
            q(0.25),
            q(0.75),
            v[0],
            v[v.len() - 1],
        );
    }
}

const STL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/stl/sphere_with_hole_ascii.stl"
);

fn bench(c: &mut Criterion) {
    let docs = load_docs();
    paired_across_processes(&docs);
    let v4 = FeatureExtractor::new(FeatureVersion::V4);
    let metrics = Metrics::new();
    for (name, doc) in &docs.single {
        let mut g = c.benchmark_group(format!("metrics_v4/{name}"));
        g.bench_function("plain", |b| b.iter(|| v4.extract(black_box(doc))));
        g.bench_function("recorded", |b| {
            b.iter(|| metrics.extract(black_box(&v4), black_box(doc)))
        });
        g.finish();
    }
    if let Some(corpus) = &docs.corpus {
        let mut g = c.benchmark_group("metrics_v4/corpus_all");
        g.bench_function("plain", |b| {
            b.iter(|| {
                for doc in corpus {
                    black_box(v4.extract(black_box(doc)));
                }
            })
        });
        g.bench_function("recorded", |b| {
            b.iter(|| {
                for doc in corpus {
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
    for (name, path) in [("stl_sphere", STL), ("dxf_cadman", dxf)] {
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
