//! Extractions through the tiered cache move every counter and histogram by exactly the
//! expected amount: no double counting (the original counted each L1 lookup twice), no series
//! moved that should not have.
//!
//! Each test renders the exposition before and after a step, parses both, and compares the
//! full set of changed series with the expected one. Latency histograms have timing-dependent
//! buckets and sums, so for them only `_count` is compared.

#![cfg(all(feature = "metrics", feature = "cache"))]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cadfeat::cache::{
    CacheBackend, CacheError, CacheStats, CachedExtractor, MemoryCache, TieredCache, TieredConfig,
};
use cadfeat::metrics::Metrics;
use cadfeat::{FeatureExtractor, FeatureVector, FeatureVersion, Limits};

type Series = BTreeMap<String, f64>;

/// Parses the Prometheus text format into `series → value` (`name{labels}` as rendered).
fn parse(text: &str) -> Series {
    let mut out = Series::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample line has a value");
        let v = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().expect("numeric sample value"),
        };
        assert!(
            out.insert(series.to_owned(), v).is_none(),
            "duplicate series {series}"
        );
    }
    out
}

const TIMED: [&str; 3] = [
    "feature_extraction_latency_seconds",
    "parse_stage_latency_seconds",
    "feature_cache_lookup_seconds",
];

/// The series that changed between two snapshots, with their deltas. Timing-dependent series
/// (the buckets and sums of latency histograms) are left out; their `_count` stays in.
fn delta(before: &Series, after: &Series) -> Series {
    let mut out = Series::new();
    for (k, v) in after {
        let timed = TIMED
            .iter()
            .any(|t| k.starts_with(&format!("{t}_bucket")) || k.starts_with(&format!("{t}_sum")));
        if timed {
            continue;
        }
        let d = v - before.get(k).copied().unwrap_or(0.0);
        if d != 0.0 {
            out.insert(k.clone(), d);
        }
    }
    for k in before.keys() {
        assert!(after.contains_key(k), "series {k} disappeared");
    }
    out
}

fn expect(pairs: &[(&str, f64)]) -> Series {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn data(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// v4 histogram series (`v4_surface_count`, `v4_shape_entropy`) expected for these vectors:
/// `_count`, `_sum` and every cumulative `_bucket`, derived from the vectors' slots 22 and 23
/// and the spec's buckets.
fn v4_series(vectors: &[&FeatureVector]) -> Series {
    let mut out = Series::new();
    let hist = |out: &mut Series, name: &str, buckets: &[f64], xs: &[f64]| {
        if xs.is_empty() {
            return;
        }
        out.insert(format!("{name}_count"), xs.len() as f64);
        let sum: f64 = xs.iter().sum();
        if sum != 0.0 {
            out.insert(format!("{name}_sum"), sum);
        }
        for b in buckets {
            let n = xs.iter().filter(|x| **x <= *b).count();
            if n > 0 {
                out.insert(format!("{name}_bucket{{le=\"{}\"}}", fmt_le(*b)), n as f64);
            }
        }
        out.insert(format!("{name}_bucket{{le=\"+Inf\"}}"), xs.len() as f64);
    };
    let slot = |i: usize| -> Vec<f64> { vectors.iter().map(|v| v.values[i]).collect() };
    hist(
        &mut out,
        "v4_surface_count",
        &cadfeat::metrics::SURFACE_COUNT_BUCKETS,
        &slot(22),
    );
    hist(
        &mut out,
        "v4_shape_entropy",
        &cadfeat::metrics::SHAPE_ENTROPY_BUCKETS,
        &slot(23),
    );
    out
}

/// How the encoder prints a bucket bound (`0`, `1`, `0.05`).
fn fmt_le(b: f64) -> String {
    format!("{b}")
}

fn merge(mut a: Series, b: Series) -> Series {
    a.extend(b);
    a
}

fn setup(l1_capacity: usize, l2: Option<Arc<dyn CacheBackend>>) -> (Arc<Metrics>, CachedExtractor) {
    let metrics = Arc::new(Metrics::new());
    let cache = TieredCache::new(
        Arc::new(MemoryCache::new(l1_capacity, 0)),
        l2,
        TieredConfig {
            l2_timeout: Duration::from_secs(5),
            l2_ttl: None,
        },
    )
    .with_observer(metrics.clone());
    let extractor = CachedExtractor::new(
        FeatureExtractor::new(FeatureVersion::V4),
        Limits::default(),
        Arc::new(cache),
    )
    .with_metrics(metrics.clone());
    (metrics, extractor)
}

#[test]
fn v4_slot_indices_are_surface_count_and_entropy() {
    let s = cadfeat::features::slots(FeatureVersion::V4);
    assert_eq!(s[22].name, "surface_count");
    assert_eq!(s[23].name, "shape_entropy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_series_moves_by_exactly_the_expected_amount() {
    let l2 = Arc::new(MemoryCache::new(100, 0));
    let (metrics, ex) = setup(2, Some(l2.clone()));
    let a = data("stl/sphere_with_hole_ascii.stl");
    let b = data("dxf/cadman_sdi_no_handles.dxf");
    let c = data("obj/negative_indices.obj");
    let mut snap = parse(&metrics.render());

    // 1. A: L1 miss, L2 miss, parsed (stl), extracted, stored (L1 size 1).
    let ra = ex.extract_bytes(a.clone(), Some("stl")).await.unwrap();
    assert_eq!(ra.source.as_str(), "miss");
    let now = parse(&metrics.render());
    let want = merge(
        expect(&[
            ("feature_cache_miss_total{tier=\"l1\"}", 1.0),
            ("feature_cache_miss_total{tier=\"l2\"}", 1.0),
            ("feature_cache_lookup_seconds_count{tier=\"l1\"}", 1.0),
            ("feature_cache_lookup_seconds_count{tier=\"l2\"}", 1.0),
            ("cadfeat_cache_computations_total{status=\"ok\"}", 1.0),
            ("parse_stage_latency_seconds_count{format=\"stl\"}", 1.0),
            (
                "feature_extraction_latency_seconds_count{version=\"v4\"}",
                1.0,
            ),
            ("analysis_requests_total{status=\"success\"}", 1.0),
            ("feature_cache_size{tier=\"l1\"}", 1.0),
        ]),
        v4_series(&[&ra.vector]),
    );
    assert_eq!(delta(&snap, &now), want, "step 1 (cold A)");
    snap = now;

    // 2. A again: one L1 hit and nothing else (the original counted this hit twice).
    let r = ex.extract_bytes(a.clone(), Some("stl")).await.unwrap();
    assert_eq!(r.source.as_str(), "l1");
    let now = parse(&metrics.render());
    let want = expect(&[
        ("feature_cache_hits_total{tier=\"l1\"}", 1.0),
        ("feature_cache_lookup_seconds_count{tier=\"l1\"}", 1.0),
        ("analysis_requests_total{status=\"success\"}", 1.0),
    ]);
    assert_eq!(delta(&snap, &now), want, "step 2 (A from L1)");
    snap = now;

    // 3. B (dxf), 4. C (obj): cold; C's store evicts the LRU entry (A) from L1 (capacity 2).
    let rb = ex.extract_bytes(b.clone(), Some("dxf")).await.unwrap();
    let rc = ex.extract_bytes(c.clone(), Some("obj")).await.unwrap();
    let now = parse(&metrics.render());
    let want = merge(
        expect(&[
            ("feature_cache_miss_total{tier=\"l1\"}", 2.0),
            ("feature_cache_miss_total{tier=\"l2\"}", 2.0),
            ("feature_cache_lookup_seconds_count{tier=\"l1\"}", 2.0),
            ("feature_cache_lookup_seconds_count{tier=\"l2\"}", 2.0),
            ("cadfeat_cache_computations_total{status=\"ok\"}", 2.0),
            ("parse_stage_latency_seconds_count{format=\"dxf\"}", 1.0),
            ("parse_stage_latency_seconds_count{format=\"obj\"}", 1.0),
            (
                "feature_extraction_latency_seconds_count{version=\"v4\"}",
                2.0,
            ),
            ("analysis_requests_total{status=\"success\"}", 2.0),
            ("feature_cache_evictions_total{tier=\"l1\"}", 1.0),
            ("feature_cache_size{tier=\"l1\"}", 1.0), // 1 → 2 (B), stays 2 (C evicts A)
        ]),
        // Histograms are cumulative: the delta of the three-vector histogram minus A's.
        sub(
            v4_series(&[&ra.vector, &rb.vector, &rc.vector]),
            v4_series(&[&ra.vector]),
        ),
    );
    assert_eq!(delta(&snap, &now), want, "steps 3-4 (cold B, C; A evicted)");
    snap = now;

    // 5. A: L1 miss, L2 hit; filling L1 evicts B. No parse, no extraction.
    let r = ex.extract_bytes(a.clone(), Some("stl")).await.unwrap();
    assert_eq!(r.source.as_str(), "l2");
    assert_eq!(r.vector, ra.vector);
    let now = parse(&metrics.render());
    let want = expect(&[
        ("feature_cache_miss_total{tier=\"l1\"}", 1.0),
        ("feature_cache_hits_total{tier=\"l2\"}", 1.0),
        ("feature_cache_lookup_seconds_count{tier=\"l1\"}", 1.0),
        ("feature_cache_lookup_seconds_count{tier=\"l2\"}", 1.0),
        ("feature_cache_evictions_total{tier=\"l1\"}", 1.0),
        ("analysis_requests_total{status=\"success\"}", 1.0),
    ]);
    assert_eq!(delta(&snap, &now), want, "step 5 (A from L2)");
    snap = now;

    // 6. Bytes of no known format: a miss everywhere, a failed computation, a rejection.
    let err = ex
        .extract_bytes(b"hello, not a CAD file".to_vec(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, cadfeat::Error::UnknownFormat { .. }), "{err}");
    let now = parse(&metrics.render());
    let want = expect(&[
        ("feature_cache_miss_total{tier=\"l1\"}", 1.0),
        ("feature_cache_miss_total{tier=\"l2\"}", 1.0),
        ("feature_cache_lookup_seconds_count{tier=\"l1\"}", 1.0),
        ("feature_cache_lookup_seconds_count{tier=\"l2\"}", 1.0),
        ("cadfeat_cache_computations_total{status=\"error\"}", 1.0),
        ("analysis_requests_total{status=\"error\"}", 1.0),
        ("analysis_rejections_total{reason=\"unknown_format\"}", 1.0),
    ]);
    assert_eq!(delta(&snap, &now), want, "step 6 (unknown format)");
    snap = now;

    // 7. Over the byte limit: refused before any lookup.
    let small = CachedExtractor::new(
        FeatureExtractor::new(FeatureVersion::V4),
        Limits {
            max_bytes: 10,
            ..Limits::default()
        },
        ex.cache().clone(),
    )
    .with_metrics(metrics.clone());
    assert!(small.extract_bytes(a.clone(), Some("stl")).await.is_err());
    let now = parse(&metrics.render());
    let want = expect(&[
        ("analysis_requests_total{status=\"error\"}", 1.0),
        ("analysis_rejections_total{reason=\"file_too_large\"}", 1.0),
        ("cadfeat_limit_exceeded_total{limit=\"max_bytes\"}", 1.0),
    ]);
    assert_eq!(delta(&snap, &now), want, "step 7 (too large)");

    // The Prometheus counters agree with the caches' own statistics, which count once.
    let l1 = ex.cache().l1().stats();
    assert_eq!(
        (
            now["feature_cache_hits_total{tier=\"l1\"}"],
            now["feature_cache_miss_total{tier=\"l1\"}"]
        ),
        (l1.hits as f64, l1.misses as f64)
    );
    assert_eq!(
        now["feature_cache_evictions_total{tier=\"l1\"}"],
        l1.evictions as f64
    );
    let l2s = l2.stats();
    assert_eq!(
        (
            now["feature_cache_hits_total{tier=\"l2\"}"],
            now["feature_cache_miss_total{tier=\"l2\"}"]
        ),
        (l2s.hits as f64, l2s.misses as f64)
    );
    assert_eq!(
        now["feature_cache_size{tier=\"l1\"}"],
        ex.cache().l1().len() as f64
    );
}

fn sub(a: Series, b: Series) -> Series {
    a.into_iter()
        .filter_map(|(k, v)| {
            let d = v - b.get(&k).copied().unwrap_or(0.0);
            (d != 0.0).then_some((k, d))
        })
        .collect()
}

/// An L2 that fails every call in a chosen way.
#[derive(Debug)]
struct FailingL2 {
    get: CacheError,
    set: CacheError,
}

#[async_trait]
impl CacheBackend for FailingL2 {
    async fn get(&self, _key: &str) -> Result<Option<FeatureVector>, CacheError> {
        Err(self.get.clone())
    }
    async fn set(
        &self,
        _key: &str,
        _value: &FeatureVector,
        _ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        Err(self.set.clone())
    }
    async fn delete(&self, _key: &str) -> Result<bool, CacheError> {
        Err(self.set.clone())
    }
    fn stats(&self) -> CacheStats {
        CacheStats::default()
    }
    fn name(&self) -> &'static str {
        "failing"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l2_errors_are_misses_and_errors_once_each() {
    let l2 = Arc::new(FailingL2 {
        get: CacheError::Unavailable("connection refused".into()),
        set: CacheError::Timeout,
    });
    let (metrics, ex) = setup(8, Some(l2));
    let before = parse(&metrics.render());
    let r = ex
        .extract_bytes(data("stl/sphere_with_hole_ascii.stl"), Some("stl"))
        .await
        .unwrap();
    assert_eq!(r.source.as_str(), "miss");
    let after = parse(&metrics.render());
    let want = merge(
        expect(&[
            ("feature_cache_miss_total{tier=\"l1\"}", 1.0),
            ("feature_cache_miss_total{tier=\"l2\"}", 1.0),
            ("feature_cache_lookup_seconds_count{tier=\"l1\"}", 1.0),
            ("feature_cache_lookup_seconds_count{tier=\"l2\"}", 1.0),
            (
                "cadfeat_cache_l2_errors_total{operation=\"get\",kind=\"unavailable\"}",
                1.0,
            ),
            (
                "cadfeat_cache_l2_errors_total{operation=\"set\",kind=\"timeout\"}",
                1.0,
            ),
            ("cadfeat_cache_computations_total{status=\"ok\"}", 1.0),
            ("parse_stage_latency_seconds_count{format=\"stl\"}", 1.0),
            (
                "feature_extraction_latency_seconds_count{version=\"v4\"}",
                1.0,
            ),
            ("analysis_requests_total{status=\"success\"}", 1.0),
            ("feature_cache_size{tier=\"l1\"}", 1.0),
        ]),
        v4_series(&[&r.vector]),
    );
    assert_eq!(delta(&before, &after), want);
    // The tiered cache's own counters say the same.
    let st = ex.cache().stats();
    assert_eq!((st.l2_errors, st.l2_timeouts), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_of_another_version_in_l2_is_one_miss_and_one_wrong_version() {
    let l2 = Arc::new(MemoryCache::new(8, 0));
    let (metrics, ex) = setup(8, Some(l2.clone()));
    let bytes = data("obj/negative_indices.obj");
    // A v3 vector planted under the v4 key.
    l2.insert(
        &ex.key_for(&bytes),
        FeatureVector {
            version: FeatureVersion::V3,
            values: vec![0.0; 22],
        },
    );
    let before = parse(&metrics.render());
    let r = ex.extract_bytes(bytes, Some("obj")).await.unwrap();
    assert_eq!(r.source.as_str(), "miss");
    let d = delta(&before, &parse(&metrics.render()));
    assert_eq!(d["feature_cache_miss_total{tier=\"l2\"}"], 1.0);
    assert_eq!(d["cadfeat_cache_wrong_version_total{tier=\"l2\"}"], 1.0);
    assert!(!d.contains_key("feature_cache_hits_total{tier=\"l2\"}"));
    assert_eq!(d["cadfeat_cache_computations_total{status=\"ok\"}"], 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coalesced_request_counts_its_l1_miss_and_a_wait_but_no_l2_lookup() {
    let l2 = Arc::new(MemoryCache::new(8, 0));
    let metrics = Arc::new(Metrics::new());
    let cache = Arc::new(
        TieredCache::new(
            Arc::new(MemoryCache::new(8, 0)),
            Some(l2),
            TieredConfig::default(),
        )
        .with_observer(metrics.clone()),
    );
    // A slow extraction so that the second request arrives while the first computes.
    let slow: cadfeat::cache::ExtractFn = Arc::new(|doc| {
        std::thread::sleep(Duration::from_millis(400));
        FeatureExtractor::new(FeatureVersion::V4).extract(doc)
    });
    let ex = CachedExtractor::with_extract_fn(
        FeatureVersion::V4,
        Limits::default(),
        cache,
        "slow-test",
        slow,
    )
    .with_metrics(metrics.clone());
    let bytes = data("stl/sphere_with_hole_ascii.stl");
    let before = parse(&metrics.render());
    let (e1, e2) = (ex.clone(), ex.clone());
    let (b1, b2) = (bytes.clone(), bytes.clone());
    let t1 = tokio::spawn(async move { e1.extract_bytes(b1, Some("stl")).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t2 = tokio::spawn(async move { e2.extract_bytes(b2, Some("stl")).await });
    let (r1, r2) = (t1.await.unwrap().unwrap(), t2.await.unwrap().unwrap());
    let mut sources = [r1.source.as_str(), r2.source.as_str()];
    sources.sort();
    assert_eq!(sources, ["coalesced", "miss"]);
    let after = parse(&metrics.render());
    let want = merge(
        expect(&[
            ("feature_cache_miss_total{tier=\"l1\"}", 2.0),
            ("feature_cache_miss_total{tier=\"l2\"}", 1.0),
            ("feature_cache_lookup_seconds_count{tier=\"l1\"}", 2.0),
            ("feature_cache_lookup_seconds_count{tier=\"l2\"}", 1.0),
            ("cadfeat_cache_singleflight_waits_total", 1.0),
            ("cadfeat_cache_computations_total{status=\"ok\"}", 1.0),
            ("parse_stage_latency_seconds_count{format=\"stl\"}", 1.0),
            (
                "feature_extraction_latency_seconds_count{version=\"v4\"}",
                1.0,
            ),
            ("analysis_requests_total{status=\"success\"}", 2.0),
            ("feature_cache_size{tier=\"l1\"}", 1.0),
        ]),
        v4_series(&[&r1.vector]),
    );
    assert_eq!(delta(&before, &after), want);
}

#[test]
fn two_registries_never_share_a_counter() {
    let (a, b) = (Metrics::new(), Metrics::new());
    let doc = cadfeat::read_bytes(
        &data("stl/sphere_with_hole_ascii.stl"),
        Some("stl"),
        &Limits::default(),
    )
    .unwrap();
    a.extract(&FeatureExtractor::new(FeatureVersion::V2), &doc);
    let (pa, pb) = (parse(&a.render()), parse(&b.render()));
    assert_eq!(
        pa["feature_extraction_latency_seconds_count{version=\"v2\"}"],
        1.0
    );
    assert_eq!(
        pb["feature_extraction_latency_seconds_count{version=\"v2\"}"],
        0.0
    );
    // v1–v3 vectors have no surface-count / entropy slots: the v4 histograms stay empty.
    assert_eq!(pa["v4_surface_count_count"], 0.0);
}

/// An L2 that stores encoded bytes, like Redis, and counts values that do not decode.
#[derive(Debug, Default)]
struct BytesL2 {
    map: std::sync::Mutex<BTreeMap<String, Vec<u8>>>,
    corrupt: std::sync::atomic::AtomicU64,
}

#[async_trait]
impl CacheBackend for BytesL2 {
    async fn get(&self, key: &str) -> Result<Option<FeatureVector>, CacheError> {
        let bytes = self.map.lock().unwrap().get(key).cloned();
        Ok(bytes.and_then(|b| match cadfeat::cache::decode_vector(&b) {
            Ok(v) => Some(v),
            Err(_) => {
                self.corrupt
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                None
            }
        }))
    }
    async fn set(
        &self,
        key: &str,
        value: &FeatureVector,
        _ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        let b =
            cadfeat::cache::encode_vector(value).map_err(|e| CacheError::Backend(e.to_string()))?;
        self.map.lock().unwrap().insert(key.to_owned(), b);
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        Ok(self.map.lock().unwrap().remove(key).is_some())
    }
    fn stats(&self) -> CacheStats {
        CacheStats {
            corrupt: self.corrupt.load(std::sync::atomic::Ordering::Relaxed),
            ..CacheStats::default()
        }
    }
    fn name(&self) -> &'static str {
        "bytes"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_l2_values_are_exposed_once_per_backend() {
    let l2 = Arc::new(BytesL2::default());
    let (metrics, ex) = setup(8, Some(l2.clone()));
    // Watched twice, and a second cache over the same L2: the backend still counts once.
    metrics.watch_cache(ex.cache());
    metrics.watch_cache(ex.cache());
    let other = Arc::new(TieredCache::new(
        Arc::new(MemoryCache::new(8, 0)),
        Some(l2.clone() as Arc<dyn CacheBackend>),
        TieredConfig::default(),
    ));
    metrics.watch_cache(&other);
    let bytes = data("obj/negative_indices.obj");
    l2.map
        .lock()
        .unwrap()
        .insert(ex.key_for(&bytes), b"not a cadfeat value".to_vec());
    let before = parse(&metrics.render());
    assert_eq!(
        before["cadfeat_cache_corrupt_values_total{tier=\"l2\"}"],
        0.0
    );
    let r = ex.extract_bytes(bytes.clone(), Some("obj")).await.unwrap();
    assert_eq!(r.source.as_str(), "miss");
    let after = parse(&metrics.render());
    let d = delta(&before, &after);
    assert_eq!(d["cadfeat_cache_corrupt_values_total{tier=\"l2\"}"], 1.0);
    assert_eq!(d["feature_cache_miss_total{tier=\"l2\"}"], 1.0);
    assert!(!d.contains_key("cadfeat_cache_corrupt_values_total{tier=\"l1\"}"));
    // The recomputed vector overwrote the corrupt value: the next cold L1 finds it in L2.
    ex.cache().l1().clear();
    let r = ex.extract_bytes(bytes, Some("obj")).await.unwrap();
    assert_eq!(r.source.as_str(), "l2");
    let d = delta(&after, &parse(&metrics.render()));
    assert!(!d.contains_key("cadfeat_cache_corrupt_values_total{tier=\"l2\"}"));
}
