//! The tiered L1 → L2 → compute flow, single-flight and fault handling, with in-process
//! backends (no Redis needed). Redis itself is tested in `cache_redis.rs`.

#![cfg(feature = "cache")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use cadfeat::cache::{
    CacheBackend, CacheError, CacheSource, CacheStats, CachedExtractor, KeyBuilder, MemoryCache,
    TieredCache, TieredConfig,
};
use cadfeat::{Error, FeatureVector, FeatureVersion, LimitKind, Limits};

fn vec4(x: f64) -> FeatureVector {
    FeatureVector {
        version: FeatureVersion::V4,
        values: (0..24).map(|i| x + i as f64).collect(),
    }
}

fn tiered(l2: Option<Arc<dyn CacheBackend>>) -> TieredCache {
    TieredCache::new(
        Arc::new(MemoryCache::new(64, 0)),
        l2,
        TieredConfig {
            l2_timeout: Duration::from_millis(100),
            l2_ttl: None,
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_requests_compute_once() {
    let cache = Arc::new(tiered(Some(Arc::new(MemoryCache::new(64, 0)))));
    let computations = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (cache, computations) = (cache.clone(), computations.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_compute("k", FeatureVersion::V4, || async {
                    computations.fetch_add(1, Ordering::SeqCst);
                    // Long enough for all 16 to pile up behind the first.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Ok::<_, Error>((vec4(1.0), ()))
                })
                .await
                .map(|r| (r.vector, r.source))
        }));
    }
    let mut sources = Vec::new();
    for t in tasks {
        let (v, s) = t.await.unwrap().unwrap();
        assert_eq!(v, vec4(1.0));
        sources.push(s);
    }
    assert_eq!(computations.load(Ordering::SeqCst), 1);
    assert_eq!(
        sources.iter().filter(|s| **s == CacheSource::Miss).count(),
        1
    );
    let st = cache.stats();
    assert_eq!(st.computations, 1);
    assert_eq!(st.coalesced + st.l1_hits, 15);
    assert_eq!(cache.inflight(), 0);
    // L2 was filled once.
    assert_eq!(st.l2.unwrap().sets, 1);
}

#[tokio::test]
async fn l1_then_l2_then_compute_and_fills() {
    let l2 = Arc::new(MemoryCache::new(64, 0));
    let cache = tiered(Some(l2.clone()));
    let n = AtomicUsize::new(0);
    let compute = || async {
        n.fetch_add(1, Ordering::SeqCst);
        Ok::<_, Error>((vec4(2.0), "doc"))
    };
    let r = cache
        .get_or_compute("a", FeatureVersion::V4, compute)
        .await
        .unwrap();
    assert_eq!((r.source, r.extra), (CacheSource::Miss, Some("doc")));
    // compute → fill L2 → fill L1
    assert_eq!(l2.lookup("a"), Some(vec4(2.0)));
    let r = cache
        .get_or_compute("a", FeatureVersion::V4, compute)
        .await
        .unwrap();
    assert_eq!((r.source, r.extra), (CacheSource::L1, None));
    // Drop L1: the next request comes from L2 and refills L1.
    cache.l1().clear();
    let r = cache
        .get_or_compute("a", FeatureVersion::V4, compute)
        .await
        .unwrap();
    assert_eq!(r.source, CacheSource::L2);
    assert_eq!(r.vector, vec4(2.0));
    assert_eq!(cache.l1().lookup("a"), Some(vec4(2.0)));
    assert_eq!(n.load(Ordering::SeqCst), 1);
    let st = cache.stats();
    assert_eq!((st.l1_hits, st.l2_hits, st.computations), (1, 1, 1));
    // Each request counted once in L1 (two misses, one hit) plus the direct lookup above.
    assert_eq!((st.l1.hits, st.l1.misses), (2, 2));
}

#[tokio::test]
async fn compute_errors_are_returned_and_not_cached() {
    let cache = tiered(None);
    let r = cache
        .get_or_compute("bad", FeatureVersion::V4, || async {
            Err::<(FeatureVector, ()), _>(Error::Empty)
        })
        .await;
    assert!(matches!(r, Err(Error::Empty)));
    assert_eq!(cache.inflight(), 0);
    assert!(cache.l1().is_empty());
    let r = cache
        .get_or_compute("bad", FeatureVersion::V4, || async {
            Ok::<_, Error>((vec4(3.0), ()))
        })
        .await
        .unwrap();
    assert_eq!(r.source, CacheSource::Miss);
    assert_eq!(cache.stats().compute_errors, 1);
}

/// An L2 that fails in a chosen way.
#[derive(Debug)]
enum Broken {
    Error,
    Slow,
    WrongVersion,
}

#[async_trait]
impl CacheBackend for Broken {
    async fn get(&self, _key: &str) -> Result<Option<FeatureVector>, CacheError> {
        match self {
            Broken::Error => Err(CacheError::Unavailable("down".into())),
            Broken::Slow => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(None)
            }
            Broken::WrongVersion => Ok(Some(FeatureVector {
                version: FeatureVersion::V1,
                values: vec![9.0; 7],
            })),
        }
    }
    async fn set(&self, _: &str, _: &FeatureVector, _: Option<Duration>) -> Result<(), CacheError> {
        match self {
            Broken::Slow => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(())
            }
            Broken::Error => Err(CacheError::Backend("OOM".into())),
            Broken::WrongVersion => Ok(()),
        }
    }
    async fn delete(&self, _: &str) -> Result<bool, CacheError> {
        Err(CacheError::Unavailable("down".into()))
    }
    fn stats(&self) -> CacheStats {
        CacheStats::default()
    }
    fn name(&self) -> &'static str {
        "broken"
    }
}

#[tokio::test]
async fn a_broken_l2_degrades_to_computing() {
    for (l2, errors, timeouts, wrong) in [
        (Broken::Error, 2, 0, 0),
        (Broken::Slow, 2, 2, 0),
        (Broken::WrongVersion, 0, 0, 1),
    ] {
        let cache = tiered(Some(Arc::new(l2)));
        let r = cache
            .get_or_compute("k", FeatureVersion::V4, || async {
                Ok::<_, Error>((vec4(4.0), ()))
            })
            .await
            .unwrap();
        assert_eq!((r.source, r.vector), (CacheSource::Miss, vec4(4.0)));
        let st = cache.stats();
        assert_eq!(
            (st.l2_errors, st.l2_timeouts, st.l2_wrong_version),
            (errors, timeouts, wrong),
            "{:?}",
            cache.l2()
        );
        // L1 still works.
        let r = cache
            .get_or_compute("k", FeatureVersion::V4, || async {
                Ok::<_, Error>((vec4(5.0), ()))
            })
            .await
            .unwrap();
        assert_eq!((r.source, r.vector), (CacheSource::L1, vec4(4.0)));
    }
}

#[tokio::test]
async fn batched_lookup_uses_l1_then_l2() {
    let l2 = Arc::new(MemoryCache::new(64, 0));
    let cache = tiered(Some(l2.clone()));
    cache.l1().insert("a", vec4(1.0));
    l2.insert("b", vec4(2.0));
    let got = cache.get_many(&["a", "b", "c"], FeatureVersion::V4).await;
    assert_eq!(got[0], Some((vec4(1.0), CacheSource::L1)));
    assert_eq!(got[1], Some((vec4(2.0), CacheSource::L2)));
    assert_eq!(got[2], None);
    assert_eq!(cache.l1().lookup("b"), Some(vec4(2.0)));
    // A version mismatch is not returned.
    assert_eq!(cache.get("a", FeatureVersion::V5).await, None);
}

#[tokio::test]
async fn cached_extractor_serves_hits_without_parsing() {
    let cache = Arc::new(tiered(Some(Arc::new(MemoryCache::new(64, 0)))));
    let parses = Arc::new(AtomicUsize::new(0));
    let p = parses.clone();
    let ex = CachedExtractor::with_extract_fn(
        FeatureVersion::V4,
        Limits::default(),
        cache.clone(),
        "test-fn-1",
        Arc::new(move |_doc| {
            p.fetch_add(1, Ordering::SeqCst);
            vec4(7.0)
        }),
    );
    let bytes: &[u8] = b"solid t\nendsolid t\n";
    let key = ex.key_for(bytes);
    assert_eq!(
        key,
        KeyBuilder::new(FeatureVersion::V4, &Limits::default())
            .with_options_tag("test-fn-1")
            .key(bytes)
    );
    // Seed L2 only: the first request is an L2 hit (no parse), the second an L1 hit.
    cache
        .l2()
        .unwrap()
        .set(&key, &vec4(6.0), None)
        .await
        .unwrap();
    let r = ex.extract_bytes(bytes, Some("stl")).await.unwrap();
    assert_eq!(
        (r.source, &r.vector, r.document.is_none()),
        (CacheSource::L2, &vec4(6.0), true)
    );
    let r = ex.extract_bytes(bytes, Some("stl")).await.unwrap();
    assert_eq!(r.source, CacheSource::L1);
    assert_eq!(parses.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn cached_extractor_miss_matches_the_direct_path() {
    let cache = Arc::new(tiered(None));
    let ex = CachedExtractor::with_extract_fn(
        FeatureVersion::V4,
        Limits::default(),
        cache.clone(),
        "len",
        Arc::new(|doc| FeatureVector {
            version: FeatureVersion::V4,
            values: vec![doc.mesh.as_ref().map_or(0, |m| m.triangles.len()) as f64; 24],
        }),
    );
    // A one-triangle ASCII STL.
    let bytes: &[u8] = b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n\
vertex 0 1 0\nendloop\nendfacet\nendsolid t\n";
    let direct = cadfeat::read_bytes(bytes, Some("stl"), &Limits::default());
    let cached = ex.extract_bytes(bytes, Some("stl")).await;
    match direct {
        Ok(doc) => {
            // With a working reader: a miss that returns the parsed document, then an L1 hit.
            let c = cached.unwrap();
            assert_eq!(c.source, CacheSource::Miss);
            let d = c.document.expect("document on a miss");
            assert_eq!(
                d.mesh.map(|m| m.triangles.len()),
                doc.mesh.map(|m| m.triangles.len())
            );
            let again = ex.extract_bytes(bytes, Some("stl")).await.unwrap();
            assert_eq!((again.source, again.vector), (CacheSource::L1, c.vector));
        }
        Err(e) => {
            // Without one (the reader lands in another branch): the same error, nothing cached.
            assert_eq!(cached.unwrap_err().to_string(), e.to_string());
            assert!(cache.l1().is_empty());
        }
    }
}

#[tokio::test]
async fn cached_extractor_checks_the_size_limit_first() {
    let cache = Arc::new(tiered(None));
    let limits = Limits {
        max_bytes: 4,
        ..Limits::default()
    };
    let ex = CachedExtractor::with_extract_fn(
        FeatureVersion::V4,
        limits,
        cache.clone(),
        "x",
        Arc::new(|_| vec4(0.0)),
    );
    let e = ex.extract_bytes(&b"12345"[..], None).await.unwrap_err();
    assert!(matches!(
        e,
        Error::LimitExceeded {
            limit: LimitKind::Bytes,
            actual: 5,
            max: 4
        }
    ));
    assert_eq!(cache.stats().computations, 0);
    // extract_path refuses before reading too.
    let dir = std::env::temp_dir().join(format!("cadfeat-cache-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("big.stl");
    std::fs::write(&p, b"0123456789").unwrap();
    let e = ex.extract_path(&p).await.unwrap_err();
    assert!(matches!(
        e,
        Error::LimitExceeded {
            limit: LimitKind::Bytes,
            ..
        }
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
