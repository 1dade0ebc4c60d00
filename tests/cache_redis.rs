//! RedisCache and the tiered flow against real, private redis-server processes: round trips,
//! batching, corrupt values, and every fault of issue 4 (absent at start, killed and
//! restarted, slow, wrong password, full). Never touches 127.0.0.1:6379; fails (does not skip)
//! when redis-server is missing.

#![cfg(feature = "redis")]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cadfeat::cache::{
    BreakerState, CacheBackend, CacheError, CacheSource, MemoryCache, RedisCache, RedisConfig,
    TieredCache, TieredConfig, encode_vector,
};
use cadfeat::{Error, FeatureVector, FeatureVersion};
use redis_server::{RedisServer, free_port};

fn vec4(x: f64) -> FeatureVector {
    FeatureVector {
        version: FeatureVersion::V4,
        values: (0..24).map(|i| x * 100.0 + i as f64).collect(),
    }
}

/// Short timeouts so that fault tests stay fast.
fn config(url: &str) -> RedisConfig {
    let mut c = RedisConfig::new(url);
    c.connect_timeout = Duration::from_millis(200);
    c.command_timeout = Duration::from_millis(150);
    c.breaker_threshold = 2;
    c.breaker_cooldown = Duration::from_millis(200);
    c.breaker_max_cooldown = Duration::from_millis(400);
    c
}

/// Generous timeouts for tests that count exact errors (a loaded CI machine must not turn a
/// healthy command into a timeout).
fn config_healthy(url: &str) -> RedisConfig {
    let mut c = config(url);
    c.connect_timeout = Duration::from_secs(2);
    c.command_timeout = Duration::from_secs(2);
    c
}

fn tiered(redis: Arc<RedisCache>) -> TieredCache {
    TieredCache::new(
        Arc::new(MemoryCache::new(1024, 0)),
        Some(redis),
        TieredConfig {
            l2_timeout: Duration::from_secs(3),
            l2_ttl: None,
        },
    )
}

/// get_or_compute with a counting computation returning `vec4(x)`.
async fn resolve(cache: &TieredCache, key: &str, x: f64, n: &AtomicUsize) -> CacheSource {
    let r = cache
        .get_or_compute(key, FeatureVersion::V4, || async {
            n.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Error>((vec4(x), ()))
        })
        .await
        .unwrap();
    assert_eq!(r.vector, vec4(x), "always the right vector");
    r.source
}

/// Waits (bounded) until the breaker lets a probe through and the server answers.
async fn until_healthy(r: &RedisCache) {
    for _ in 0..100 {
        if r.ping().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("redis did not come back: {:?}", r.breaker_state());
}

#[tokio::test]
async fn round_trip_prefix_ttl_delete_and_mget() {
    let server = RedisServer::start();
    let mut c = config_healthy(&server.url());
    c.key_prefix = "ns1:".into();
    let r = RedisCache::new(c).unwrap();
    assert_eq!(r.get("k1").await.unwrap(), None);
    r.set("k1", &vec4(1.0), None).await.unwrap();
    r.set("k2", &vec4(2.0), None).await.unwrap();
    assert_eq!(r.get("k1").await.unwrap(), Some(vec4(1.0)));
    // The prefix is a namespace; the value is the codec encoding; the default TTL is set.
    assert_eq!(server.cli(&["exists", "ns1:k1"]), "1");
    assert_eq!(server.cli(&["strlen", "ns1:k1"]), "208");
    let pttl: i64 = server.cli(&["pttl", "ns1:k1"]).parse().unwrap();
    assert!(pttl > 6 * 24 * 3600 * 1000, "pttl {pttl}");
    // One MGET, in order, with misses.
    let got = r.get_many(&["k2", "nope", "k1"]).await.unwrap();
    assert_eq!(got, vec![Some(vec4(2.0)), None, Some(vec4(1.0))]);
    // Per-call TTL.
    r.set("short", &vec4(3.0), Some(Duration::from_millis(100)))
        .await
        .unwrap();
    let pttl: i64 = server.cli(&["pttl", "ns1:short"]).parse().unwrap();
    assert!((1..=100).contains(&pttl), "pttl {pttl}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r.get("short").await.unwrap(), None);
    assert!(r.delete("k1").await.unwrap());
    assert!(!r.delete("k1").await.unwrap());
    let s = r.stats();
    assert_eq!((s.hits, s.sets, s.deletes, s.errors), (3, 3, 1, 0));
    assert_eq!(s.misses, 3);
}

#[tokio::test]
async fn database_and_acl_user_from_the_url() {
    let server = RedisServer::start();
    assert_eq!(
        server.cli(&["acl", "setuser", "cadfeat", "on", ">s3cret", "~*", "+@all"]),
        "OK"
    );
    let url = format!("redis://cadfeat:s3cret@127.0.0.1:{}/3", server.port);
    let r = RedisCache::new(config_healthy(&url)).unwrap();
    r.set("k", &vec4(1.0), None).await.unwrap();
    assert_eq!(server.cli(&["-n", "3", "exists", "k"]), "1");
    assert_eq!(server.cli(&["-n", "0", "exists", "k"]), "0");
    assert_eq!(r.get("k").await.unwrap(), Some(vec4(1.0)));
    // The Debug form does not leak the password.
    assert!(!format!("{r:?}").contains("s3cret"));
}

#[tokio::test]
async fn garbage_under_a_key_is_a_counted_miss_and_is_overwritten() {
    let server = RedisServer::start();
    let redis = Arc::new(RedisCache::new(config_healthy(&server.url())).unwrap());
    let cache = tiered(redis.clone());
    let n = AtomicUsize::new(0);
    let mut good = encode_vector(&vec4(1.0)).unwrap();
    let last = good.len() - 1;
    good[last] ^= 1; // a flipped checksum bit
    // Binary values go in through a raw connection.
    let client = redis::Client::open(server.url()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg("flipped")
        .arg(&good)
        .query_async(&mut raw)
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("other-codec")
        .arg({
            let mut v = encode_vector(&vec4(1.0)).unwrap();
            v[4] = 2;
            v
        })
        .query_async(&mut raw)
        .await
        .unwrap();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("garbage", vec!["set", "garbage", "hello, not a vector"]),
        ("empty", vec!["set", "empty", ""]),
        ("truncated", vec!["set", "truncated", "CFV1"]),
        ("flipped", vec!["strlen", "flipped"]),
        ("other-codec", vec!["strlen", "other-codec"]),
        ("list", vec!["rpush", "list", "a", "b"]),
    ];
    for (i, (key, cmd)) in cases.iter().enumerate() {
        assert!(!server.cli(cmd).is_empty());
        assert_eq!(resolve(&cache, key, 1.0, &n).await, CacheSource::Miss);
        assert_eq!(redis.stats().corrupt, i as u64 + 1, "{key}");
        // Overwritten with a valid value.
        assert_eq!(redis.get(key).await.unwrap(), Some(vec4(1.0)), "{key}");
    }
    assert_eq!(n.load(Ordering::SeqCst), cases.len());
    assert_eq!(redis.stats().errors, 0);
}

#[tokio::test]
async fn absent_at_start_then_started_works_without_restarting() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let redis = Arc::new(RedisCache::new(config(&url)).unwrap());
    let cache = tiered(redis.clone());
    let n = AtomicUsize::new(0);
    for i in 0..10 {
        let key = format!("k{i}");
        assert_eq!(resolve(&cache, &key, i as f64, &n).await, CacheSource::Miss);
    }
    let s = redis.stats();
    assert!(s.errors >= 2, "{s:?}");
    // The breaker kept most requests from even trying.
    assert!(s.short_circuited >= 10, "{s:?}");
    assert!(matches!(redis.breaker_state(), BreakerState::Open { .. }));
    assert!(cache.stats().l2_errors >= 20);

    let _server = RedisServer::start_on(port, &[]);
    until_healthy(&redis).await;
    assert_eq!(resolve(&cache, "fresh", 5.0, &n).await, CacheSource::Miss);
    cache.l1().clear();
    assert_eq!(resolve(&cache, "fresh", 5.0, &n).await, CacheSource::L2);
}

#[tokio::test]
async fn killed_mid_run_then_restarted() {
    let mut server = RedisServer::start();
    let redis = Arc::new(RedisCache::new(config(&server.url())).unwrap());
    let cache = tiered(redis.clone());
    let n = AtomicUsize::new(0);
    assert_eq!(resolve(&cache, "a", 1.0, &n).await, CacheSource::Miss);
    cache.l1().clear();
    assert_eq!(resolve(&cache, "a", 1.0, &n).await, CacheSource::L2);

    server.kill();
    cache.l1().clear();
    for i in 0..6 {
        assert_eq!(
            resolve(&cache, &format!("b{i}"), 2.0, &n).await,
            CacheSource::Miss
        );
    }
    let s = redis.stats();
    assert!(s.errors >= 1 && s.short_circuited >= 1, "{s:?}");

    server.restart();
    until_healthy(&redis).await;
    assert_eq!(resolve(&cache, "c", 3.0, &n).await, CacheSource::Miss);
    cache.l1().clear();
    assert_eq!(resolve(&cache, "c", 3.0, &n).await, CacheSource::L2);
}

#[tokio::test]
async fn slow_server_times_out_then_recovers() {
    let server = RedisServer::start();
    let redis = Arc::new(RedisCache::new(config(&server.url())).unwrap());
    let cache = tiered(redis.clone());
    let n = AtomicUsize::new(0);
    assert_eq!(resolve(&cache, "warm", 1.0, &n).await, CacheSource::Miss);

    server.pause(); // SIGSTOP: connected, but no answers
    for i in 0..6 {
        assert_eq!(
            resolve(&cache, &format!("s{i}"), 2.0, &n).await,
            CacheSource::Miss
        );
    }
    let s = redis.stats();
    assert!(s.timeouts >= 2, "{s:?}");
    assert!(s.short_circuited >= 1, "{s:?}");
    server.resume();

    until_healthy(&redis).await;
    assert_eq!(resolve(&cache, "after", 3.0, &n).await, CacheSource::Miss);
    cache.l1().clear();
    assert_eq!(resolve(&cache, "after", 3.0, &n).await, CacheSource::L2);
    assert_eq!(resolve(&cache, "warm", 1.0, &n).await, CacheSource::L2);
}

#[tokio::test]
async fn debug_sleep_is_a_timeout() {
    let server = RedisServer::start_with(&["--enable-debug-command", "yes"]);
    let redis = Arc::new(RedisCache::new(config(&server.url())).unwrap());
    redis.set("k", &vec4(1.0), None).await.unwrap();
    let port = server.port;
    let sleeper = std::thread::spawn(move || {
        std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "debug", "sleep", "0.6"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(redis.get("k").await, Err(CacheError::Timeout));
    assert_eq!(sleeper.join().unwrap().unwrap(), "OK");
    assert_eq!(redis.stats().timeouts, 1);
    assert_eq!(redis.get("k").await.unwrap(), Some(vec4(1.0)));
}

#[tokio::test]
async fn wrong_password_degrades_and_right_password_works() {
    let server = RedisServer::start_with(&["--requirepass", "right"]);
    let wrong = format!("redis://:wrong@127.0.0.1:{}", server.port);
    let redis = Arc::new(RedisCache::new(config(&wrong)).unwrap());
    let cache = tiered(redis.clone());
    let n = AtomicUsize::new(0);
    for i in 0..5 {
        assert_eq!(
            resolve(&cache, &format!("w{i}"), 1.0, &n).await,
            CacheSource::Miss
        );
    }
    let s = redis.stats();
    assert!(s.errors >= 2 && s.short_circuited >= 1, "{s:?}");
    assert_eq!(
        server.cli(&["-a", "right", "--no-auth-warning", "dbsize"]),
        "0"
    );

    let right = format!("redis://:right@127.0.0.1:{}", server.port);
    let ok = RedisCache::new(config_healthy(&right)).unwrap();
    ok.set("k", &vec4(2.0), None).await.unwrap();
    assert_eq!(ok.get("k").await.unwrap(), Some(vec4(2.0)));
    assert_eq!(ok.stats().errors, 0);
}

#[tokio::test]
async fn full_server_with_noeviction_still_serves_reads() {
    let server = RedisServer::start_with(&["--maxmemory-policy", "noeviction"]);
    let redis = Arc::new(RedisCache::new(config_healthy(&server.url())).unwrap());
    let cache = tiered(redis.clone());
    let n = AtomicUsize::new(0);
    assert_eq!(resolve(&cache, "old", 1.0, &n).await, CacheSource::Miss);
    // Full: any write is refused with OOM.
    assert_eq!(server.cli(&["config", "set", "maxmemory", "1"]), "OK");
    for i in 0..5 {
        assert_eq!(
            resolve(&cache, &format!("new{i}"), 2.0, &n).await,
            CacheSource::Miss
        );
    }
    let s = redis.stats();
    assert_eq!(s.errors, 5, "{s:?}");
    // Server errors do not open the breaker: reads keep working.
    assert_eq!(redis.breaker_state(), BreakerState::Closed);
    assert_eq!(s.short_circuited, 0);
    cache.l1().clear();
    assert_eq!(resolve(&cache, "old", 1.0, &n).await, CacheSource::L2);
    assert!(matches!(
        redis.set("x", &vec4(3.0), None).await,
        Err(CacheError::Backend(m)) if m.contains("OOM")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_flight_across_l2() {
    let server = RedisServer::start();
    let redis = Arc::new(RedisCache::new(config_healthy(&server.url())).unwrap());
    let cache = Arc::new(tiered(redis.clone()));
    let n = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (cache, n) = (cache.clone(), n.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_compute("one", FeatureVersion::V4, || async {
                    n.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Ok::<_, Error>((vec4(9.0), ()))
                })
                .await
                .unwrap()
                .vector
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), vec4(9.0));
    }
    assert_eq!(n.load(Ordering::SeqCst), 1);
    assert_eq!(redis.stats().sets, 1);
}
