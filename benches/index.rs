//! Index and pipeline benchmarks.
//!
//! * `index/top10_100k_v5`: one cosine top-10 query over 100,000 random v5 (64-value) vectors,
//!   single-threaded (target ≤ 5 ms); `…_filtered` with a metadata filter matching 1 in 10.
//! * `pipeline/corpus_workers_{1,2}`: `extract_and_index` over every file of the shared corpus
//!   (v5, a fresh cache and index per iteration, so every file is parsed; largest files first),
//!   with 1 and 2 items in flight (target: 2 workers ≥ 1.8× the throughput of 1 on a 2-core machine). Skipped
//!   without the corpus.
//!
//! `cargo bench --bench index -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

use cadfeat::cache::{CachedExtractor, TieredCache};
use cadfeat::index::{Filter, MemoryIndex, VectorIndex, metadata_for};
use cadfeat::pipeline::{PipelineOptions, Source, extract_and_index};
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};

struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn bench_search(c: &mut Criterion) {
    let index = MemoryIndex::new();
    let mut rng = Rng(0x5eed);
    for i in 0..100_000u32 {
        let v: Vec<f64> = (0..64).map(|_| rng.next_f64()).collect();
        let mut m = metadata_for(FeatureVersion::V5, 0);
        m.insert("material".into(), format!("m{}", i % 10));
        index.insert(&format!("part-{i:06}"), v, m).unwrap();
    }
    let query: Vec<f64> = (0..64).map(|_| rng.next_f64()).collect();
    let mut g = c.benchmark_group("index");
    g.bench_function("top10_100k_v5", |b| {
        b.iter(|| index.search(black_box(&query), 10, &Filter::new()).unwrap())
    });
    let filter = Filter::new().eq("material", "m3");
    g.bench_function("top10_100k_v5_filtered", |b| {
        b.iter(|| index.search(black_box(&query), 10, &filter).unwrap())
    });
    g.finish();
}

/// The corpus files, largest first: one IGES file (`euclid_bearing.iges`) takes about half of
/// the corpus's extraction time, so the makespan with 2 workers is bounded below by it; starting
/// the largest files first (the classic longest-processing-time-first order) lets the other
/// worker do everything else meanwhile. In manifest order the bound is far worse.
fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(option_env!("CADFEAT_CORPUS_DIR")?);
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).ok()?;
    let mut files: Vec<(u64, PathBuf)> = manifest
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next())
        .map(|f| dir.join(f))
        .map(|p| (std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0), p))
        .collect();
    files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Some(files.into_iter().map(|(_, p)| p).collect())
}

fn bench_pipeline(c: &mut Criterion) {
    let Some(files) = corpus_files() else {
        eprintln!("pipeline benches skipped: shared corpus not found");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    for workers in [1usize, 2] {
        g.bench_function(format!("corpus_workers_{workers}"), |b| {
            b.iter(|| {
                let ex = CachedExtractor::new(
                    FeatureExtractor::new(FeatureVersion::V5),
                    Limits::default(),
                    Arc::new(TieredCache::memory_only(4096)),
                );
                let index = Arc::new(MemoryIndex::new());
                let s = rt.block_on(extract_and_index(
                    files.iter().map(Source::path),
                    &ex,
                    index.clone(),
                    PipelineOptions::with_concurrency(workers),
                    |_, _| {},
                ));
                assert_eq!(s.completed as usize, files.len());
                index.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_search, bench_pipeline);
criterion_main!(benches);
