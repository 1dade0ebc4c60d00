//! Cache benchmarks: L1 hit, SHA-256 keying throughput, L2 (Redis) hit versus a raw `GET` of
//! the same value on the same server, and a batched `MGET`.
//!
//! `cargo bench --bench cache -- --warm-up-time 1 --measurement-time 3`
//!
//! The Redis groups start a private redis-server (tests/support/redis_server.rs) and are
//! skipped, with a message, when redis-server is not installed. Besides criterion's figures,
//! the L2 group prints a paired measurement (alternating L2 hit and raw GET, same key, same
//! connection kind) and the ratio of their medians.

#[path = "../tests/support/redis_server.rs"]
mod redis_server;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cadfeat::cache::{CacheBackend, KeyBuilder, MemoryCache, RedisCache, RedisConfig};
use cadfeat::{FeatureVector, FeatureVersion, Limits};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn vector(version: FeatureVersion, x: f64) -> FeatureVector {
    FeatureVector {
        version,
        values: (0..version.dim()).map(|i| x + i as f64 * 0.25).collect(),
    }
}

fn l1(c: &mut Criterion) {
    let kb = KeyBuilder::new(FeatureVersion::V4, &Limits::default());
    let cache = MemoryCache::new(10_000, 0);
    let keys: Vec<String> = (0..10_000u32).map(|i| kb.key(&i.to_le_bytes())).collect();
    for (i, k) in keys.iter().enumerate() {
        cache.insert(k, vector(FeatureVersion::V4, i as f64));
    }
    let mut g = c.benchmark_group("l1");
    let mut i = 0usize;
    g.bench_function("hit_v4_key_given", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            black_box(cache.lookup(black_box(&keys[i])))
        })
    });
    let ttl_cache = MemoryCache::new(10_000, 3600);
    for (i, k) in keys.iter().enumerate() {
        ttl_cache.insert(k, vector(FeatureVersion::V4, i as f64));
    }
    g.bench_function("hit_v4_key_given_with_ttl", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            black_box(ttl_cache.lookup(black_box(&keys[i])))
        })
    });
    let mut j = 0usize;
    cpu_report("l1 hit v4 (key given)", 2_000_000, 0, || {
        j = (j + 7919) % keys.len();
        black_box(cache.lookup(black_box(&keys[j])));
    });
    cpu_report("l1 hit v4 (key given, TTL on)", 2_000_000, 0, || {
        j = (j + 7919) % keys.len();
        black_box(ttl_cache.lookup(black_box(&keys[j])));
    });
    g.bench_function("insert_with_eviction_v4", |b| {
        let small = MemoryCache::new(1000, 0);
        let v = vector(FeatureVersion::V4, 1.0);
        b.iter(|| {
            i = (i + 7919) % keys.len();
            small.insert(&keys[i], v.clone())
        })
    });
    g.finish();
}

fn keying(c: &mut Criterion) {
    let kb = KeyBuilder::new(FeatureVersion::V4, &Limits::default());
    let mut g = c.benchmark_group("sha256_key");
    for size in [4096usize, 1 << 20, 16 << 20] {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(format!("{size}B"), |b| b.iter(|| kb.key(black_box(&data))));
        let n = (256u64 << 20) / size as u64;
        cpu_report(&format!("sha256 key {size} B"), n, size as u64, || {
            black_box(kb.key(black_box(&data)));
        });
    }
    g.finish();
}

/// On-CPU time of the current thread in ns (`/proc/thread-self/schedstat`, first field), so
/// that figures taken on a loaded machine can be compared with targets; `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Runs `f` `n` times and prints wall and on-CPU time per iteration.
fn cpu_report(name: &str, n: u64, bytes_per_iter: u64, mut f: impl FnMut()) {
    let (t, c0) = (Instant::now(), thread_cpu_ns());
    for _ in 0..n {
        f();
    }
    let wall = t.elapsed().as_nanos() as f64 / n as f64;
    let Some(cpu) = thread_cpu_ns()
        .zip(c0)
        .map(|(a, b)| (a - b) as f64 / n as f64)
    else {
        return;
    };
    if bytes_per_iter > 0 {
        println!(
            "CPU-TIME {name}: {:.0} ns/iter on CPU ({:.2} GB/s), {:.0} ns/iter wall",
            cpu,
            bytes_per_iter as f64 / cpu,
            wall
        );
    } else {
        println!("CPU-TIME {name}: {cpu:.1} ns/iter on CPU, {wall:.1} ns/iter wall");
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn l2(c: &mut Criterion) {
    if !redis_server::redis_available() {
        println!(
            "SKIPPED l2 / mget benchmarks: redis-server not found ({})",
            redis_server::INSTALL_HINT
        );
        return;
    }
    let server = redis_server::RedisServer::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut cfg = RedisConfig::new(server.url());
    cfg.command_timeout = Duration::from_secs(2);
    let cache = Arc::new(RedisCache::new(cfg).expect("redis cache"));
    let kb = KeyBuilder::new(FeatureVersion::V4, &Limits::default());
    let key = kb.key(b"bench");
    let v = vector(FeatureVersion::V4, 1.0);
    rt.block_on(cache.set(&key, &v, None)).expect("set");
    // A raw connection of the same kind as RedisCache uses (a ConnectionManager).
    let client = redis::Client::open(server.url()).expect("client");
    let mut raw = rt
        .block_on(redis::aio::ConnectionManager::new(client))
        .expect("raw connection");
    let mut raw_get = redis::cmd("GET");
    raw_get.arg(&key);

    let mut g = c.benchmark_group("l2");
    g.bench_function("redis_cache_get_hit_v4", |b| {
        b.iter(|| rt.block_on(cache.get(black_box(&key))).expect("get"))
    });
    g.bench_function("raw_get_same_value", |b| {
        b.iter(|| {
            rt.block_on(raw_get.query_async::<Vec<u8>>(&mut raw))
                .expect("raw get")
        })
    });
    g.finish();

    // Paired measurement: alternate the two so both see the same machine load.
    let n = 5000;
    let (mut a, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let t = Instant::now();
        black_box(rt.block_on(cache.get(&key)).expect("get"));
        a.push(t.elapsed());
        let t = Instant::now();
        black_box(
            rt.block_on(raw_get.query_async::<Vec<u8>>(&mut raw))
                .expect("raw get"),
        );
        r.push(t.elapsed());
    }
    let (ma, mr) = (median(a), median(r));
    println!(
        "PAIRED l2 hit median {:.1} us, raw GET median {:.1} us, ratio {:.3} (n = {n})",
        ma.as_secs_f64() * 1e6,
        mr.as_secs_f64() * 1e6,
        ma.as_secs_f64() / mr.as_secs_f64()
    );

    // Batched lookup: 100 keys in one MGET.
    let keys: Vec<String> = (0..100u32).map(|i| kb.key(&i.to_le_bytes())).collect();
    for (i, k) in keys.iter().enumerate() {
        rt.block_on(cache.set(k, &vector(FeatureVersion::V4, i as f64), None))
            .expect("set");
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("mget");
    g.throughput(Throughput::Elements(refs.len() as u64));
    g.bench_function("get_many_100_v4", |b| {
        b.iter(|| rt.block_on(cache.get_many(black_box(&refs))).expect("mget"))
    });
    g.bench_function("sequential_get_100_v4", |b| {
        b.iter(|| {
            for k in &refs {
                black_box(rt.block_on(cache.get(k)).expect("get"));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, l1, keying, l2);
criterion_main!(benches);
