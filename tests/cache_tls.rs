//! `rediss://` against a private TLS-only redis-server with a private CA (feature `tls`).
//! Run with `cargo test --features tls --test cache_tls`.

#![cfg(feature = "tls")]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::time::Duration;

use cadfeat::cache::{CacheBackend, CacheError, RedisCache, RedisConfig};
use cadfeat::{FeatureVector, FeatureVersion};
use redis_server::RedisServer;

fn config(url: &str) -> RedisConfig {
    let mut c = RedisConfig::new(url);
    c.connect_timeout = Duration::from_millis(1000);
    c.command_timeout = Duration::from_millis(500);
    c
}

#[tokio::test]
async fn rediss_with_a_private_ca() {
    let server = RedisServer::start_tls();
    assert!(server.url().starts_with("rediss://"));
    let mut c = config(&server.url());
    c.tls_root_cert_pem = Some(server.ca_pem());
    let r = RedisCache::new(c).unwrap();
    let v = FeatureVector {
        version: FeatureVersion::V2,
        values: (0..12).map(f64::from).collect(),
    };
    r.set("k", &v, None).await.unwrap();
    assert_eq!(r.get("k").await.unwrap(), Some(v));

    // Without the CA the certificate is not trusted: an error, never a wrong answer.
    let untrusting = RedisCache::new(config(&server.url())).unwrap();
    assert!(matches!(
        untrusting.get("k").await,
        Err(CacheError::Unavailable(_)) | Err(CacheError::Timeout)
    ));
}

/// The Redis index shares the cache's connection settings, `rediss://` and the private CA
/// included (its client is synchronous, the cache's asynchronous).
#[test]
fn index_over_rediss_with_a_private_ca() {
    use cadfeat::FeatureVersion;
    use cadfeat::index::{RedisIndex, VectorIndex, metadata_for};

    let server = RedisServer::start_tls();
    let mut c = config(&server.url());
    c.tls_root_cert_pem = Some(server.ca_pem());
    let a = RedisIndex::connect(c.clone()).unwrap();
    let v: Vec<f64> = (0..12).map(f64::from).collect();
    a.insert("p1", v.clone(), metadata_for(FeatureVersion::V2, 0))
        .unwrap();
    let b = RedisIndex::connect(c).unwrap();
    assert_eq!(b.get("p1").unwrap().unwrap().values, v);

    // Without the CA the certificate is not trusted: an error, never a wrong answer.
    assert!(RedisIndex::connect(config(&server.url())).is_err());
}
