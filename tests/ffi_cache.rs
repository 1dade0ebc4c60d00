//! The C API's cache: memory hits, a shared Redis between two extractors, a Redis that is not
//! there, and the statistics. Vectors from a cache are compared with the computed ones bit for
//! bit. Redis tests start a private `redis-server` (tests/support/redis_server.rs) and fail with
//! an install hint when it is missing.

#![cfg(all(feature = "ffi", feature = "redis"))]

mod common;
#[path = "support/redis_server.rs"]
mod redis_server;

use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

use cadfeat::ffi::*;

fn last_error() -> String {
    // SAFETY: never NULL, NUL-terminated.
    unsafe { CStr::from_ptr(cadfeat_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn config(capacity: u64, redis_url: Option<&CString>, prefix: Option<&CString>) -> CadfeatConfig {
    // SAFETY: zeroed is a valid bit pattern for the plain C struct; init fills it.
    let mut c = unsafe { std::mem::zeroed::<CadfeatConfig>() };
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { cadfeat_config_init(&mut c) }, CadfeatStatus::Ok);
    c.feature_version = 4;
    c.cache_capacity = capacity;
    c.redis_url = redis_url.map_or(null(), |u| u.as_ptr());
    c.redis_prefix = prefix.map_or(null(), |p| p.as_ptr());
    c
}

fn new_extractor(c: &CadfeatConfig) -> *mut CadfeatExtractor {
    let mut ex = null_mut();
    // SAFETY: valid pointers.
    let st = unsafe { cadfeat_extractor_new(c, &mut ex) };
    assert_eq!(st, CadfeatStatus::Ok, "{}", last_error());
    ex
}

/// (status, vector bits, cache_source, has_document, format)
fn extract(ex: *mut CadfeatExtractor, data: &[u8]) -> (CadfeatStatus, Vec<u64>, u32, bool, String) {
    let mut r = null_mut();
    // SAFETY: valid pointers; the result is freed once.
    unsafe {
        let st = cadfeat_extract_bytes(ex, data.as_ptr(), data.len(), c"json".as_ptr(), &mut r);
        if st != CadfeatStatus::Ok {
            return (st, Vec::new(), 0, false, last_error());
        }
        let res = &*r;
        let bits = std::slice::from_raw_parts(res.vector, res.len)
            .iter()
            .map(|x| x.to_bits())
            .collect();
        let out = (
            st,
            bits,
            res.cache_source,
            res.has_document,
            CStr::from_ptr(res.format).to_string_lossy().into_owned(),
        );
        cadfeat_result_free(r);
        out
    }
}

fn stats(ex: *mut CadfeatExtractor) -> CadfeatCacheStats {
    let mut s = CadfeatCacheStats::default();
    // SAFETY: valid pointers.
    let st = unsafe { cadfeat_extractor_cache_stats(ex, &mut s) };
    assert_eq!(st, CadfeatStatus::Ok, "{}", last_error());
    s
}

fn bracket() -> Vec<u8> {
    std::fs::read(common::data_dir().join("ffi").join("bracket.json")).expect("bracket.json")
}

#[test]
fn memory_cache_hit_returns_the_same_bits() {
    let data = bracket();
    let plain = new_extractor(&config(0, None, None));
    let cached = new_extractor(&config(16, None, None));
    let (st, want, src, has_doc, format) = extract(plain, &data);
    assert_eq!(st, CadfeatStatus::Ok, "{format}");
    assert_eq!((src, has_doc), (0, true));

    let first = extract(cached, &data);
    assert_eq!(first.0, CadfeatStatus::Ok);
    assert_eq!(first.1, want, "computed through the cache");
    assert_eq!((first.2, first.3), (0, true), "a miss parses the file");
    let second = extract(cached, &data);
    assert_eq!(second.1, want, "memory hit");
    assert_eq!((second.2, second.3), (1, false), "a hit does not parse");
    assert_eq!(second.4, "json", "the format of a hit is still known");

    let s = stats(cached);
    assert_eq!(s.memory_hits, 1);
    assert_eq!(s.computations, 1);
    assert_eq!(s.memory_entries, 1);

    // Errors are not cached and fail the same way as without a cache.
    let junk = b"\x00\x01garbage";
    let mut r = null_mut();
    // SAFETY: valid pointers.
    let st = unsafe { cadfeat_extract_bytes(cached, junk.as_ptr(), junk.len(), null(), &mut r) };
    assert_eq!(st, CadfeatStatus::UnknownFormat);
    assert!(r.is_null());

    // SAFETY: freed once.
    unsafe {
        cadfeat_extractor_free(plain);
        cadfeat_extractor_free(cached);
    }
}

#[test]
fn two_extractors_share_vectors_through_redis() {
    let server = redis_server::RedisServer::start();
    let url = CString::new(server.url()).unwrap();
    let prefix = CString::new("ffi-test:").unwrap();
    let data = bracket();
    let a = new_extractor(&config(8, Some(&url), Some(&prefix)));
    let b = new_extractor(&config(8, Some(&url), Some(&prefix)));
    let first = extract(a, &data);
    assert_eq!(first.0, CadfeatStatus::Ok, "{}", first.4);
    assert_eq!(first.2, 0, "computed");
    let second = extract(b, &data);
    assert_eq!(second.1, first.1, "the Redis copy has the same bits");
    assert_eq!(second.2, 2, "answered by Redis");
    assert!(!second.3);
    let s = stats(b);
    assert_eq!((s.redis_hits, s.computations, s.redis_errors), (1, 0, 0));
    // The prefix is used for the keys.
    let keys = server.cli(&["KEYS", "ffi-test:*"]);
    assert!(keys.contains("ffi-test:cadfeat:"), "{keys}");
    // SAFETY: freed once.
    unsafe {
        cadfeat_extractor_free(a);
        cadfeat_extractor_free(b);
    }
}

#[test]
fn absent_redis_degrades_to_computing() {
    let port = redis_server::free_port();
    let url = CString::new(format!("redis://127.0.0.1:{port}/")).unwrap();
    let data = bracket();
    let ex = new_extractor(&config(0, Some(&url), None));
    let plain = new_extractor(&config(0, None, None));
    let want = extract(plain, &data);
    let got = extract(ex, &data);
    assert_eq!(got.0, CadfeatStatus::Ok, "{}", got.4);
    assert_eq!(got.1, want.1);
    assert_eq!(got.2, 0);
    let s = stats(ex);
    assert!(s.redis_errors >= 1, "{s:?}");
    // SAFETY: freed once.
    unsafe {
        cadfeat_extractor_free(ex);
        cadfeat_extractor_free(plain);
    }
}

/// One cached extractor used by 8 C-style threads at once: the same bits everywhere, and the
/// input is computed once (the tiered cache's single-flight), the others hit or wait.
#[test]
fn cached_extractor_is_shared_between_threads() {
    struct Shared(*mut CadfeatExtractor);
    // SAFETY: the header documents extractors as usable from many threads at once.
    unsafe impl Sync for Shared {}
    let ex = Shared(new_extractor(&config(32, None, None)));
    let data = bracket();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let ex = &ex;
                    extract(ex.0, &data)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &results {
        assert_eq!(r.0, CadfeatStatus::Ok, "{}", r.4);
        assert_eq!(r.1, results[0].1);
    }
    let s = stats(ex.0);
    assert_eq!(s.computations, 1, "{s:?}");
    assert_eq!(s.memory_hits + s.coalesced, 7, "{s:?}");
    // SAFETY: freed once, after the threads finished.
    unsafe { cadfeat_extractor_free(ex.0) };
}
