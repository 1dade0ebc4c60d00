//! The tiered cache: L1 ([`MemoryCache`]) → L2 (any [`CacheBackend`], typically Redis) →
//! compute, with single-flight.
//!
//! [`TieredCache::get_or_compute`] looks in L1, then L2 (an L2 hit fills L1), and only then
//! runs the computation, whose result fills L2 and then L1. Concurrent requests for the same
//! key share **one** computation: the first one runs it, the others wait for its result
//! (reported as [`CacheSource::Coalesced`]). If that computation fails, the error goes to the
//! request that ran it and a waiting request runs its own computation (errors are not shared
//! or cached, so a transient failure never sticks).
//!
//! L2 is an accelerator, never a point of failure: an L2 error, a timeout (each L2 call is
//! bounded by [`TieredConfig::l2_timeout`]), an open circuit breaker, a corrupt value or a
//! vector of the wrong version is a miss, counted in [`TieredStats`], and the vector is
//! computed. The timeout needs a Tokio runtime with the time driver enabled
//! (`Runtime::new()`, `#[tokio::main]`, or `Builder::enable_time`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use super::memory::MemoryCache;
use super::observe::{CacheObserver, L2Op, Tier};
use super::{CacheBackend, CacheError, CacheStats, bump};
use crate::features::{FeatureVector, FeatureVersion};

/// Where a vector came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheSource {
    /// The in-process LRU.
    L1,
    /// The shared L2 (Redis).
    L2,
    /// Computed by this request.
    Miss,
    /// Computed (or fetched) by a concurrent request for the same key that this request
    /// waited for.
    Coalesced,
}

impl CacheSource {
    /// `"l1"`, `"l2"`, `"miss"` or `"coalesced"` (the CLI's `"cache"` field).
    pub fn as_str(self) -> &'static str {
        match self {
            CacheSource::L1 => "l1",
            CacheSource::L2 => "l2",
            CacheSource::Miss => "miss",
            CacheSource::Coalesced => "coalesced",
        }
    }
}

impl std::fmt::Display for CacheSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of a [`TieredCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TieredConfig {
    /// Upper bound on every L2 call (get, set, batch get). Default 300 ms. Backends have their
    /// own, usually shorter, timeouts; this one also bounds backends that have none.
    pub l2_timeout: Duration,
    /// TTL for L2 writes; `None` uses the backend's default.
    pub l2_ttl: Option<Duration>,
}

impl Default for TieredConfig {
    fn default() -> Self {
        TieredConfig {
            l2_timeout: Duration::from_millis(300),
            l2_ttl: None,
        }
    }
}

/// Counters of a [`TieredCache`], with its backends' own counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TieredStats {
    /// The L1 backend's counters.
    pub l1: CacheStats,
    /// The L2 backend's counters (`None` without L2).
    pub l2: Option<CacheStats>,
    /// Requests answered from L1.
    pub l1_hits: u64,
    /// Requests answered from L2.
    pub l2_hits: u64,
    /// Computations started (successful or not).
    pub computations: u64,
    /// Computations that failed.
    pub compute_errors: u64,
    /// Requests that waited for a concurrent request's result.
    pub coalesced: u64,
    /// L2 calls that failed (including timeouts and an open breaker) and degraded to a miss.
    pub l2_errors: u64,
    /// L2 calls cut off by [`TieredConfig::l2_timeout`] (also in `l2_errors`).
    pub l2_timeouts: u64,
    /// L2 values of another feature version than the key's (treated as corrupt).
    pub l2_wrong_version: u64,
}

#[derive(Debug, Default)]
struct Counters {
    l1_hits: AtomicU64,
    l2_hits: AtomicU64,
    computations: AtomicU64,
    compute_errors: AtomicU64,
    coalesced: AtomicU64,
    l2_errors: AtomicU64,
    l2_timeouts: AtomicU64,
    l2_wrong_version: AtomicU64,
}

/// The result of [`TieredCache::get_or_compute`].
#[derive(Debug, Clone)]
pub struct Resolved<T> {
    /// The vector.
    pub vector: FeatureVector,
    /// Where it came from.
    pub source: CacheSource,
    /// What the computation returned besides the vector, when this request ran it.
    pub extra: Option<T>,
}

type Inflight = Mutex<HashMap<String, Arc<OnceCell<FeatureVector>>>>;

/// L1 → L2 → compute with single-flight. Share it in an `Arc`.
#[derive(Debug)]
pub struct TieredCache {
    l1: Arc<MemoryCache>,
    l2: Option<Arc<dyn CacheBackend>>,
    config: TieredConfig,
    inflight: Inflight,
    counters: Counters,
    observer: Option<Arc<dyn CacheObserver>>,
}

impl TieredCache {
    /// A tiered cache over `l1` and an optional `l2`.
    pub fn new(
        l1: Arc<MemoryCache>,
        l2: Option<Arc<dyn CacheBackend>>,
        config: TieredConfig,
    ) -> Self {
        TieredCache {
            l1,
            l2,
            config,
            inflight: Mutex::new(HashMap::new()),
            counters: Counters::default(),
            observer: None,
        }
    }

    /// This cache, reporting its events to `observer` (e.g. `cadfeat::metrics::Metrics`).
    /// See [`CacheObserver`] for what is reported; without one nothing is timed.
    pub fn with_observer(mut self, observer: Arc<dyn CacheObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The observer, if any.
    pub fn observer(&self) -> Option<&Arc<dyn CacheObserver>> {
        self.observer.as_ref()
    }

    /// Stores into L1 and reports the evictions and the new size.
    fn l1_store(&self, key: &str, vector: FeatureVector) {
        let (evicted, len) = self.l1.insert_reporting(key, vector);
        if let Some(o) = &self.observer {
            o.l1_changed(evicted, len);
        }
    }

    /// An L1-only cache of `capacity` entries.
    pub fn memory_only(capacity: usize) -> Self {
        TieredCache::new(
            Arc::new(MemoryCache::new(capacity, 0)),
            None,
            TieredConfig::default(),
        )
    }

    /// The L1 cache.
    pub fn l1(&self) -> &Arc<MemoryCache> {
        &self.l1
    }

    /// The L2 backend, if any.
    pub fn l2(&self) -> Option<&Arc<dyn CacheBackend>> {
        self.l2.as_ref()
    }

    /// The settings.
    pub fn config(&self) -> TieredConfig {
        self.config
    }

    /// The counters of this cache and of its backends.
    pub fn stats(&self) -> TieredStats {
        let r = |c: &AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        let c = &self.counters;
        TieredStats {
            l1: self.l1.stats(),
            l2: self.l2.as_ref().map(|l2| l2.stats()),
            l1_hits: r(&c.l1_hits),
            l2_hits: r(&c.l2_hits),
            computations: r(&c.computations),
            compute_errors: r(&c.compute_errors),
            coalesced: r(&c.coalesced),
            l2_errors: r(&c.l2_errors),
            l2_timeouts: r(&c.l2_timeouts),
            l2_wrong_version: r(&c.l2_wrong_version),
        }
    }

    fn l2_failed(&self, op: L2Op, e: &CacheError) {
        bump(&self.counters.l2_errors);
        if *e == CacheError::Timeout {
            bump(&self.counters.l2_timeouts);
        }
        if let Some(o) = &self.observer {
            o.l2_error(op, e);
        }
    }

    async fn l2_call<R>(
        &self,
        op: L2Op,
        fut: impl Future<Output = Result<R, CacheError>>,
    ) -> Result<R, CacheError> {
        let r = match tokio::time::timeout(self.config.l2_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(CacheError::Timeout),
        };
        if let Err(e) = &r {
            self.l2_failed(op, e);
        }
        r
    }

    /// Looks `key` up in L2 only; failures and wrong versions are misses (and counted).
    async fn l2_lookup(&self, key: &str, version: FeatureVersion) -> Option<FeatureVector> {
        let l2 = self.l2.as_ref()?;
        let start = self.observer.as_ref().map(|_| Instant::now());
        let found = match self.l2_call(L2Op::Get, l2.get(key)).await {
            Ok(Some(v)) if v.version == version && v.values.len() == version.dim() => Some(v),
            Ok(Some(_)) => {
                bump(&self.counters.l2_wrong_version);
                if let Some(o) = &self.observer {
                    o.wrong_version(Tier::L2);
                }
                None
            }
            Ok(None) | Err(_) => None,
        };
        if let (Some(o), Some(start)) = (&self.observer, start) {
            o.lookup_latency(Tier::L2, start.elapsed().as_secs_f64());
            o.lookup(Tier::L2, found.is_some());
        }
        found
    }

    /// Looks `key` up in L1, then L2 (an L2 hit fills L1). Never computes.
    pub async fn get(
        &self,
        key: &str,
        version: FeatureVersion,
    ) -> Option<(FeatureVector, CacheSource)> {
        if let Some(v) = self.l1_lookup(key, version) {
            bump(&self.counters.l1_hits);
            return Some((v, CacheSource::L1));
        }
        let v = self.l2_lookup(key, version).await?;
        bump(&self.counters.l2_hits);
        self.l1_store(key, v.clone());
        Some((v, CacheSource::L2))
    }

    /// One counted L1 lookup (reported to the observer once, with its latency).
    fn l1_lookup(&self, key: &str, version: FeatureVersion) -> Option<FeatureVector> {
        let Some(o) = &self.observer else {
            return self.l1.lookup(key).filter(|v| v.version == version);
        };
        let start = Instant::now();
        let found = self.l1.lookup(key).filter(|v| v.version == version);
        o.lookup_latency(Tier::L1, start.elapsed().as_secs_f64());
        o.lookup(Tier::L1, found.is_some());
        found
    }

    /// Looks up many keys: L1 first, then one batched L2 lookup (Redis `MGET`) for the rest;
    /// L2 hits fill L1. One entry per key, in order.
    pub async fn get_many(
        &self,
        keys: &[&str],
        version: FeatureVersion,
    ) -> Vec<Option<(FeatureVector, CacheSource)>> {
        let mut out: Vec<Option<(FeatureVector, CacheSource)>> = Vec::with_capacity(keys.len());
        let mut missing: Vec<(usize, &str)> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            match self.l1_lookup(k, version) {
                Some(v) => {
                    bump(&self.counters.l1_hits);
                    out.push(Some((v, CacheSource::L1)));
                }
                None => {
                    out.push(None);
                    missing.push((i, k));
                }
            }
        }
        let Some(l2) = self.l2.as_ref() else {
            return out;
        };
        if missing.is_empty() {
            return out;
        }
        let ks: Vec<&str> = missing.iter().map(|(_, k)| *k).collect();
        let start = self.observer.as_ref().map(|_| Instant::now());
        let result = self.l2_call(L2Op::GetMany, l2.get_many(&ks)).await;
        if let (Some(o), Some(start)) = (&self.observer, start) {
            o.lookup_latency(Tier::L2, start.elapsed().as_secs_f64());
        }
        let mut hits = 0usize;
        if let Ok(found) = result {
            for ((i, k), v) in missing.iter().copied().zip(found) {
                match v {
                    Some(v) if v.version == version && v.values.len() == version.dim() => {
                        bump(&self.counters.l2_hits);
                        hits += 1;
                        self.l1_store(k, v.clone());
                        if let Some(slot) = out.get_mut(i) {
                            *slot = Some((v, CacheSource::L2));
                        }
                    }
                    Some(_) => {
                        bump(&self.counters.l2_wrong_version);
                        if let Some(o) = &self.observer {
                            o.wrong_version(Tier::L2);
                        }
                    }
                    None => {}
                }
            }
        }
        if let Some(o) = &self.observer {
            for n in 0..missing.len() {
                o.lookup(Tier::L2, n < hits);
            }
        }
        out
    }

    /// Stores `vector` in L2 (errors counted, not returned) and then L1.
    pub async fn put(&self, key: &str, vector: &FeatureVector) {
        if let Some(l2) = self.l2.as_ref() {
            let _ = self
                .l2_call(L2Op::Set, l2.set(key, vector, self.config.l2_ttl))
                .await;
        }
        self.l1_store(key, vector.clone());
    }

    /// Removes `key` from both levels (L2 errors are counted and ignored).
    pub async fn invalidate(&self, key: &str) {
        if self.l1.remove(key)
            && let Some(o) = &self.observer
        {
            o.l1_changed(0, self.l1.len());
        }
        if let Some(l2) = self.l2.as_ref() {
            let _ = self.l2_call(L2Op::Delete, l2.delete(key)).await;
        }
    }

    /// The vector under `key`: from L1, else L2, else `compute()` (run at most once at a time
    /// per key across concurrent callers). `compute` returns the vector and anything else the
    /// caller wants back (e.g. the parsed document), delivered in [`Resolved::extra`] to the
    /// request that ran it. A vector of another version than `version` found in a cache is
    /// ignored.
    pub async fn get_or_compute<T, E, F, Fut>(
        &self,
        key: &str,
        version: FeatureVersion,
        compute: F,
    ) -> Result<Resolved<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(FeatureVector, T), E>>,
    {
        if let Some(v) = self.l1_lookup(key, version) {
            bump(&self.counters.l1_hits);
            return Ok(Resolved {
                vector: v,
                source: CacheSource::L1,
                extra: None,
            });
        }
        let cell = {
            let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.to_owned()).or_default().clone()
        };
        let mut source: Option<CacheSource> = None;
        let mut extra: Option<T> = None;
        let (source_slot, extra_slot) = (&mut source, &mut extra);
        let result = cell
            .get_or_try_init(move || async move {
                // Someone may have finished this key between our L1 miss and now (not
                // counted again in L1's hits/misses: this request was counted once above).
                if let Some(v) = self
                    .l1
                    .lookup_uncounted(key)
                    .filter(|v| v.version == version)
                {
                    bump(&self.counters.l1_hits);
                    *source_slot = Some(CacheSource::L1);
                    return Ok(v);
                }
                if let Some(v) = self.l2_lookup(key, version).await {
                    bump(&self.counters.l2_hits);
                    self.l1_store(key, v.clone());
                    *source_slot = Some(CacheSource::L2);
                    return Ok(v);
                }
                bump(&self.counters.computations);
                let computed = compute().await;
                if let Some(o) = &self.observer {
                    o.computed(computed.is_ok());
                }
                match computed {
                    Ok((v, x)) => {
                        self.put(key, &v).await;
                        *source_slot = Some(CacheSource::Miss);
                        *extra_slot = Some(x);
                        Ok(v)
                    }
                    Err(e) => {
                        bump(&self.counters.compute_errors);
                        *source_slot = Some(CacheSource::Miss);
                        Err(e)
                    }
                }
            })
            .await
            .cloned();
        if source.is_some() {
            // This request ran the initialisation: retire the in-flight entry (waiters
            // already hold the cell).
            let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            if map.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                map.remove(key);
            }
        }
        let vector = result?;
        let source = match source {
            Some(s) => s,
            None => {
                bump(&self.counters.coalesced);
                if let Some(o) = &self.observer {
                    o.coalesced();
                }
                CacheSource::Coalesced
            }
        };
        Ok(Resolved {
            vector,
            source,
            extra,
        })
    }

    /// Requests currently computing or waiting (for tests and metrics).
    pub fn inflight(&self) -> usize {
        self.inflight.lock().map(|m| m.len()).unwrap_or(0)
    }
}
