//! Overhead of the C API: `cadfeat_extract_bytes` + `cadfeat_result_free` against the Rust API
//! (`read_bytes` + `FeatureExtractor::extract`) on the same input, v4, and the C API's memory
//! cache hit (hash the bytes, look up, copy the vector out).
//!
//! Run: `cargo bench --bench ffi -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::ptr::{null, null_mut};

use cadfeat::ffi::*;
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};
use criterion::{Criterion, criterion_group, criterion_main};

fn extractor(capacity: u64) -> *mut CadfeatExtractor {
    // SAFETY: plain C struct; init fills it; valid out pointers.
    unsafe {
        let mut c = std::mem::zeroed::<CadfeatConfig>();
        cadfeat_config_init(&mut c);
        c.feature_version = 4;
        c.cache_capacity = capacity;
        let mut ex = null_mut();
        assert_eq!(cadfeat_extractor_new(&c, &mut ex), CadfeatStatus::Ok);
        ex
    }
}

fn c_extract(ex: *mut CadfeatExtractor, data: &[u8]) -> f64 {
    let mut r = null_mut();
    // SAFETY: valid pointers; the result is freed once.
    unsafe {
        let st = cadfeat_extract_bytes(ex, data.as_ptr(), data.len(), null(), &mut r);
        assert_eq!(st, CadfeatStatus::Ok);
        let first = *(*r).vector;
        cadfeat_result_free(r);
        first
    }
}

fn bench(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ffi/box_2x3x4.stl");
    let data = std::fs::read(path).expect("box stl");
    let limits = Limits::default();
    let fx = FeatureExtractor::new(FeatureVersion::V4);
    let plain = extractor(0);
    let cached = extractor(16);
    let mut g = c.benchmark_group("ffi_v4_box_stl");
    g.bench_function("rust_read_bytes_extract", |b| {
        b.iter(|| {
            let doc = cadfeat::read_bytes(black_box(&data), None, &limits).expect("read");
            black_box(fx.extract(&doc).values[0])
        })
    });
    g.bench_function("c_api_extract_bytes", |b| {
        b.iter(|| black_box(c_extract(plain, black_box(&data))))
    });
    g.bench_function("c_api_memory_cache_hit", |b| {
        b.iter(|| black_box(c_extract(cached, black_box(&data))))
    });
    g.finish();
    // SAFETY: freed once.
    unsafe {
        cadfeat_extractor_free(plain);
        cadfeat_extractor_free(cached);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
