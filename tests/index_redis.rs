//! RedisIndex against a private redis-server: two "processes" (two instances) share one index,
//! write-through, load on start, key prefix from the cache's RedisConfig, failures leave the
//! in-memory copy unchanged. Never touches 127.0.0.1:6379; fails when redis-server is missing.

#![cfg(feature = "redis")]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::time::Duration;

use cadfeat::FeatureVersion;
use cadfeat::cache::RedisConfig;
use cadfeat::index::{Filter, IndexError, RedisIndex, VectorIndex, metadata_for};
use redis_server::RedisServer;

fn config(url: &str) -> RedisConfig {
    let mut c = RedisConfig::new(url);
    c.key_prefix = "test:".into();
    c.connect_timeout = Duration::from_millis(300);
    c.command_timeout = Duration::from_millis(300);
    c
}

#[test]
fn two_instances_share_one_index_through_redis() {
    let server = RedisServer::start();
    let a = RedisIndex::connect(config(&server.url())).unwrap();
    assert!(a.is_empty());
    let mut m = metadata_for(FeatureVersion::V2, 0);
    m.insert("material".into(), "steel".into());
    let v: Vec<f64> = (0..12).map(|i| 0.1 * i as f64 + 1.0 / 3.0).collect();
    a.insert("p1", v.clone(), m.clone()).unwrap();
    a.insert("p2", vec![1.0; 12], metadata_for(FeatureVersion::V2, 0))
        .unwrap();
    a.insert("p3", vec![0.5; 22], metadata_for(FeatureVersion::V3, 0))
        .unwrap();
    // The original's layout: a hash with v, m and ts, under the configured prefix.
    assert_eq!(
        server.cli(&["SCARD", "test:cadfeat:index:default:ids"]),
        "3"
    );
    let stored_v = server.cli(&["HGET", "test:cadfeat:index:default:v:p1", "v"]);
    assert_eq!(stored_v.split(',').count(), 12);
    assert!(
        server
            .cli(&["HGET", "test:cadfeat:index:default:v:p1", "m"])
            .contains("\"material\":\"steel\"")
    );

    // A second process loads everything on start, bit-exact.
    let b = RedisIndex::connect(config(&server.url())).unwrap();
    assert_eq!(b.len(), 3);
    let e = b.get("p1").unwrap().unwrap();
    assert_eq!(e.values, v);
    assert_eq!(e.metadata["material"], "steel");
    let hits = b
        .search(&v, 5, &Filter::new().eq("material", "steel"))
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "p1");

    // Writes go through; the other instance sees them after a reload.
    assert!(b.remove("p2").unwrap());
    assert_eq!(a.len(), 3);
    assert_eq!(a.reload().unwrap(), 2);
    assert!(a.get("p2").unwrap().is_none());

    // Another namespace is another index.
    let other = RedisIndex::connect_namespace(config(&server.url()), "other").unwrap();
    assert!(other.is_empty());

    // A record another program wrote badly is skipped on load, not fatal.
    server.cli(&[
        "HSET",
        "test:cadfeat:index:default:v:junk",
        "v",
        "1,x",
        "m",
        "{}",
    ]);
    server.cli(&["SADD", "test:cadfeat:index:default:ids", "junk"]);
    let c = RedisIndex::connect(config(&server.url())).unwrap();
    assert_eq!((c.len(), c.load_skipped()), (2, 1));
}

#[test]
fn a_failed_write_changes_nothing_and_reconnects_later() {
    let mut server = RedisServer::start();
    let idx = RedisIndex::connect(config(&server.url())).unwrap();
    idx.insert("keep", vec![1.0; 7], metadata_for(FeatureVersion::V1, 0))
        .unwrap();
    server.kill();
    let err = idx
        .insert("new", vec![2.0; 7], metadata_for(FeatureVersion::V1, 0))
        .unwrap_err();
    assert!(matches!(err, IndexError::Backend(_)), "{err}");
    assert!(idx.get("new").unwrap().is_none());
    assert!(idx.remove("keep").is_err());
    assert!(idx.get("keep").unwrap().is_some());
    // Dimension errors are found before Redis is asked.
    assert!(matches!(
        idx.insert("bad", vec![2.0; 8], metadata_for(FeatureVersion::V1, 0)),
        Err(IndexError::Dimension { .. })
    ));
    server.restart();
    idx.insert("new", vec![2.0; 7], metadata_for(FeatureVersion::V1, 0))
        .unwrap();
    assert_eq!(
        server.cli(&["SCARD", "test:cadfeat:index:default:ids"]),
        "1"
    );
    // Nothing to connect to at start is an error (there is nothing to load).
    server.kill();
    assert!(RedisIndex::connect(config(&server.url())).is_err());
}

#[test]
fn migration_writes_through_to_redis() {
    use cadfeat::index::{MigrateOptions, MigrationStatus, migrate};
    let server = RedisServer::start();
    let idx = RedisIndex::connect(config(&server.url())).unwrap();
    // §7.2 golden: 27 floats, v4 + l3 (3) → v3 gives 25.
    let values: Vec<f64> = (0..27).map(f64::from).collect();
    idx.insert("g", values, metadata_for(FeatureVersion::V4, 3))
        .unwrap();
    let r = migrate(
        &idx,
        &["g".to_string()],
        &MigrateOptions::new(FeatureVersion::V3),
        None,
    );
    assert_eq!(r.items[0].status, MigrationStatus::Downgraded);
    let stored = server.cli(&["HGET", "test:cadfeat:index:default:v:g", "v"]);
    assert_eq!(stored.split(',').count(), 25);
    let other = RedisIndex::connect(config(&server.url())).unwrap();
    let m = other.metadata("g").unwrap().unwrap();
    assert_eq!(
        (
            m["feature_version"].as_str(),
            m["total_dim"].as_str(),
            m["geometric_dim"].as_str()
        ),
        ("v3", "25", "20")
    );
}
