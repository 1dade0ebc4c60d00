//! RedisClusterCache against a private three-master Redis Cluster (feature `cluster`).
//! Run with `cargo test --features cluster --test cache_cluster`.

#![cfg(feature = "cluster")]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cadfeat::cache::{
    CacheBackend, CacheSource, MemoryCache, RedisClusterCache, RedisConfig, TieredCache,
    TieredConfig,
};
use cadfeat::{Error, FeatureVector, FeatureVersion};
use redis_server::RedisCluster;

fn vec5(x: f64) -> FeatureVector {
    FeatureVector {
        version: FeatureVersion::V5,
        values: (0..64).map(|i| x + i as f64).collect(),
    }
}

fn config(urls: &str) -> RedisConfig {
    let mut c = RedisConfig::new(urls);
    c.connect_timeout = Duration::from_millis(500);
    c.command_timeout = Duration::from_millis(300);
    c.breaker_threshold = 2;
    c.breaker_cooldown = Duration::from_millis(200);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_round_trip_and_cross_slot_mget() {
    let cluster = RedisCluster::start();
    let r = RedisClusterCache::new(config(&cluster.urls())).unwrap();
    r.ping().await.unwrap();
    let keys: Vec<String> = (0..30).map(|i| format!("cadfeat:1:v5:k{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        r.set(k, &vec5(i as f64), None).await.unwrap();
    }
    // The keys really are spread over the three masters.
    let per_node: Vec<u64> = cluster
        .nodes
        .iter()
        .map(|n| n.cli(&["dbsize"]).parse().unwrap())
        .collect();
    assert_eq!(per_node.iter().sum::<u64>(), 30);
    assert!(per_node.iter().all(|&c| c > 0), "{per_node:?}");
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(r.get(k).await.unwrap(), Some(vec5(i as f64)));
    }
    // MGET over many slots.
    let mut ks: Vec<&str> = keys.iter().map(String::as_str).collect();
    ks.push("cadfeat:1:v5:absent");
    let got = r.get_many(&ks).await.unwrap();
    assert_eq!(got.len(), 31);
    for (i, g) in got.iter().take(30).enumerate() {
        assert_eq!(g.as_ref(), Some(&vec5(i as f64)));
    }
    assert_eq!(got[30], None);
    assert!(r.delete(&keys[0]).await.unwrap());
    assert_eq!(r.stats().errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_outage_degrades_to_computing() {
    let mut cluster = RedisCluster::start();
    let redis = Arc::new(RedisClusterCache::new(config(&cluster.urls())).unwrap());
    let cache = TieredCache::new(
        Arc::new(MemoryCache::new(100, 0)),
        Some(redis.clone()),
        TieredConfig {
            l2_timeout: Duration::from_millis(800),
            l2_ttl: None,
        },
    );
    let n = AtomicUsize::new(0);
    let resolve = |key: String, x: f64| {
        let (cache, n) = (&cache, &n);
        async move {
            let r = cache
                .get_or_compute(&key, FeatureVersion::V5, || async {
                    n.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, Error>((vec5(x), ()))
                })
                .await
                .unwrap();
            assert_eq!(r.vector, vec5(x));
            r.source
        }
    };
    assert_eq!(resolve("a".into(), 1.0).await, CacheSource::Miss);
    cache.l1().clear();
    assert_eq!(resolve("a".into(), 1.0).await, CacheSource::L2);
    for node in cluster.nodes.iter_mut() {
        node.kill();
    }
    for i in 0..5 {
        assert_eq!(resolve(format!("b{i}"), 2.0).await, CacheSource::Miss);
    }
    let st = cache.stats();
    assert!(st.l2_errors >= 5, "{st:?}");
}
