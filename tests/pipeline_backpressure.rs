//! Back-pressure: 100,000 synthetic sources through `extract_and_index` with flat memory.
//!
//! This test binary installs a counting global allocator. The index is a sink that counts
//! inserts (so that what grows is the pipeline's state, not the index), and the L1 cache is
//! capped; live heap bytes are sampled after 10,000 and after 100,000 items. If the pipeline
//! buffered sources, kept outcomes or spawned a task per source, the live heap would grow by
//! megabytes between the two samples.

#![cfg(feature = "pipeline")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use cadfeat::cache::{CachedExtractor, TieredCache};
use cadfeat::index::{Filter, IndexEntry, IndexResult, Metadata, SearchHit, VectorIndex};
use cadfeat::pipeline::{PipelineOptions, Source, extract_and_index};
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};

struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A [`VectorIndex`] that checks and counts inserts and keeps nothing.
#[derive(Debug, Default)]
struct Sink {
    inserts: AtomicU64,
}

impl VectorIndex for Sink {
    fn insert(&self, id: &str, values: Vec<f64>, metadata: Metadata) -> IndexResult<()> {
        assert!(!id.is_empty());
        assert_eq!(values.len(), 22);
        assert_eq!(metadata["feature_version"], "v3");
        self.inserts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    fn remove(&self, _: &str) -> IndexResult<bool> {
        Ok(false)
    }
    fn get(&self, _: &str) -> IndexResult<Option<IndexEntry>> {
        Ok(None)
    }
    fn len(&self) -> usize {
        0
    }
    fn ids(&self) -> Vec<String> {
        Vec::new()
    }
    fn search(&self, _: &[f64], _: usize, _: &Filter) -> IndexResult<Vec<SearchHit>> {
        Ok(Vec::new())
    }
}

#[test]
fn memory_stays_flat_over_100_000_sources() {
    const N: u64 = 100_000;
    const CONCURRENCY: usize = 4;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ex = CachedExtractor::new(
        FeatureExtractor::new(FeatureVersion::V3),
        Limits::default(),
        Arc::new(TieredCache::memory_only(256)),
    );
    let sink = Arc::new(Sink::default());
    let pulled = Arc::new(AtomicU64::new(0));
    let p2 = pulled.clone();
    // A lazy iterator: each source is built only when the pipeline asks for it.
    let sources = (0..N).map(move |i| {
        p2.fetch_add(1, Ordering::Relaxed);
        let text = format!(
            "# item {i}\nv 0 0 0\nv 1 0 0\nv 0 1 {}\nf 1 2 3\n",
            i % 97 + 1
        );
        Source::bytes(format!("synthetic-{i}"), text.into_bytes(), Some("obj"))
    });
    let mut at_10k = None;
    let mut max_ahead = 0u64;
    let summary = rt.block_on(extract_and_index(
        sources,
        &ex,
        sink.clone(),
        PipelineOptions::with_concurrency(CONCURRENCY),
        |_, p| {
            // Sources pulled but not finished never exceed the concurrency.
            max_ahead = max_ahead.max(pulled.load(Ordering::Relaxed) - p.completed);
            if p.completed == 10_000 {
                at_10k = Some(LIVE.load(Ordering::Relaxed));
            }
        },
    ));
    let at_end = LIVE.load(Ordering::Relaxed);
    assert_eq!(summary.completed, N);
    assert_eq!(summary.indexed, N);
    assert_eq!(sink.inserts.load(Ordering::Relaxed), N);
    assert!(summary.max_in_flight <= CONCURRENCY as u64);
    assert!(max_ahead <= CONCURRENCY as u64, "max ahead {max_ahead}");
    let growth = at_end - at_10k.unwrap();
    eprintln!(
        "live heap after 10,000 items: {} B; after 100,000: {at_end} B; growth {growth} B; \
         max in flight {}",
        at_10k.unwrap(),
        summary.max_in_flight
    );
    // 90,000 more items; a leak of even 16 bytes per item would be 1.4 MB.
    assert!(growth < 512 * 1024, "live heap grew by {growth} bytes");
}
