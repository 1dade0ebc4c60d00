//! Caching of feature vectors: the [`CacheBackend`] trait, an in-memory LRU ([`MemoryCache`]),
//! Redis ([`RedisCache`], and `RedisClusterCache` with the `cluster` feature), and the tiered
//! L1 → L2 → compute flow ([`TieredCache`], [`CachedExtractor`]).
//!
//! Extracting a feature vector means parsing a CAD file, which can take seconds. Extracting the
//! *same bytes* again must cost a hash and a lookup, within a process (L1, [`MemoryCache`]) and
//! across processes and machines (L2, Redis).
//!
//! ```text
//! bytes ──sha256──► key ──► L1 (MemoryCache) ──hit──► vector
//!                            │ miss
//!                            ▼
//!                           L2 (Redis) ──hit──► fill L1 ──► vector
//!                            │ miss / error / timeout / breaker open / corrupt value
//!                            ▼
//!                           compute (once per key: single-flight) ──► fill L2 ──► fill L1 ──► vector
//! ```
//!
//! * [`key`]: the key scheme, `cadfeat:<cache format>:<feature version>:<options>:<sha256 hex>`.
//! * [`codec`]: the versioned, checksummed binary value format used in L2. A value that does
//!   not decode (garbage, a truncated value, another program's data, another format version)
//!   is a miss, counted as `corrupt`, and is overwritten by the recomputed vector.
//! * [`memory`]: the L1 LRU with optional TTL, the original service's `update_settings`,
//!   apply / rollback with a 5-minute window and prewarm.
//! * [`tuning`]: the original service's two cache-tuning recommenders, rule for rule.
//! * `redis` (feature `redis`): the L2 with timeouts, reconnection and a circuit breaker.
//! * [`tiered`]: the L1 → L2 → compute flow with single-flight.
//! * [`observe`]: the [`CacheObserver`] hook that metrics are recorded through.
//! * [`extract`]: cached extraction from bytes or a path.
//!
//! **The cache is an accelerator, never a point of failure.** Backends report failures as
//! [`CacheError`]; [`TieredCache`] turns every L2 failure into a miss, counts it in the
//! statistics, and computes the vector.
//!
//! # Wiring it up
//!
//! ```no_run
//! use std::sync::Arc;
//! use cadfeat::cache::{CacheBackend, CachedExtractor, MemoryCache, TieredCache, TieredConfig};
//! use cadfeat::{FeatureExtractor, FeatureVersion, Limits};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let l1 = Arc::new(MemoryCache::new(4096, 0)); // --l1-capacity
//! let mut l2: Option<Arc<dyn CacheBackend>> = None;
//! #[cfg(feature = "redis")]
//! if let Some(config) = cadfeat::cache::RedisConfig::from_env() {
//!     // --redis URL or CADFEAT_REDIS_URL; fails only on an invalid URL.
//!     l2 = Some(Arc::new(cadfeat::cache::RedisCache::new(config)?));
//! }
//! let cache = Arc::new(TieredCache::new(l1, l2, TieredConfig::default()));
//! let extractor =
//!     CachedExtractor::new(FeatureExtractor::new(FeatureVersion::V4), Limits::default(), cache);
//! let rt = tokio::runtime::Runtime::new()?; // multi-threaded, with the time driver
//! let r = rt.block_on(extractor.extract_path("part.step"))?;
//! println!("{} {:?}", r.source.as_str(), r.vector.values); // "miss" | "l1" | "l2"
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use crate::features::FeatureVector;

pub mod clock;
pub mod codec;
pub mod extract;
pub mod key;
pub mod memory;
pub mod observe;
#[cfg(feature = "redis")]
pub mod redis;
pub mod tiered;
pub mod tuning;

pub use clock::{Clock, ManualClock, SystemClock};
pub use codec::{CodecError, decode_vector, encode_vector};
pub use extract::{CachedExtraction, CachedExtractor, ExtractFn};
pub use key::{CACHE_FORMAT_VERSION, KeyBuilder, sha256_hex};
pub use memory::{
    ApplyOutcome, ApplySnapshot, CacheSettings, MemoryCache, PrewarmReport, ROLLBACK_WINDOW,
    RollbackOutcome, SettingsUpdate,
};
pub use observe::{CacheObserver, L2Op, Tier};
#[cfg(feature = "cluster")]
pub use redis::RedisClusterCache;
#[cfg(feature = "redis")]
pub use redis::{BreakerState, RedisCache, RedisConfig};
pub use tiered::{CacheSource, Resolved, TieredCache, TieredConfig, TieredStats};
pub use tuning::{
    CacheTuning, MetricsSummary, TuningAdvice, TuningError, recommend_from_hit_rate,
    recommend_from_stats,
};

/// Why a cache operation failed. [`TieredCache`] treats every one of these as a miss.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheError {
    /// The backend could not be reached (connection refused, reset, authentication failed…).
    Unavailable(String),
    /// The operation did not finish within the configured timeout.
    Timeout,
    /// The circuit breaker is open after recent failures; the backend was not asked.
    CircuitOpen,
    /// The backend answered with an error (e.g. Redis `OOM` when full with `noeviction`).
    Backend(String),
    /// The configuration is invalid (e.g. an unparsable Redis URL).
    Config(String),
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheError::Unavailable(m) => write!(f, "cache backend unavailable: {m}"),
            CacheError::Timeout => f.write_str("cache operation timed out"),
            CacheError::CircuitOpen => f.write_str("cache circuit breaker open"),
            CacheError::Backend(m) => write!(f, "cache backend error: {m}"),
            CacheError::Config(m) => write!(f, "cache configuration error: {m}"),
        }
    }
}

impl std::error::Error for CacheError {}

/// A snapshot of a backend's counters. Fields a backend does not use stay 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that returned a vector.
    pub hits: u64,
    /// Lookups that found nothing usable (absent, expired or corrupt).
    pub misses: u64,
    /// Successful stores.
    pub sets: u64,
    /// Successful deletes of a present key.
    pub deletes: u64,
    /// Entries pushed out by capacity on insert (L1).
    pub evictions: u64,
    /// Entries dropped because their TTL had passed (L1).
    pub expirations: u64,
    /// Entries dropped by shrinking the capacity (`update_settings`); not in `evictions`,
    /// matching the original service's `stats()`.
    pub shrink_evictions: u64,
    /// Operations that failed (connection, authentication, server error). Includes timeouts.
    pub errors: u64,
    /// Operations that timed out (also counted in `errors`).
    pub timeouts: u64,
    /// Values under a key that did not decode as a cadfeat vector (counted as misses too).
    pub corrupt: u64,
    /// Operations skipped because the circuit breaker was open (not counted in `errors`).
    pub short_circuited: u64,
}

impl CacheStats {
    /// `hits / (hits + misses)`, or `None` before the first lookup (as the original's
    /// `hit_ratio: null`).
    pub fn hit_ratio(&self) -> Option<f64> {
        let total = self.hits + self.misses;
        (total > 0).then(|| self.hits as f64 / total as f64)
    }
}

/// Thread-safe counters behind a [`CacheStats`] snapshot.
#[derive(Debug, Default)]
pub struct StatsCounters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) sets: AtomicU64,
    pub(crate) deletes: AtomicU64,
    pub(crate) evictions: AtomicU64,
    pub(crate) expirations: AtomicU64,
    pub(crate) shrink_evictions: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) corrupt: AtomicU64,
    pub(crate) short_circuited: AtomicU64,
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn add(c: &AtomicU64, n: u64) {
    if n > 0 {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

impl StatsCounters {
    /// A consistent-enough snapshot (each counter is read atomically).
    pub fn snapshot(&self) -> CacheStats {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            hits: r(&self.hits),
            misses: r(&self.misses),
            sets: r(&self.sets),
            deletes: r(&self.deletes),
            evictions: r(&self.evictions),
            expirations: r(&self.expirations),
            shrink_evictions: r(&self.shrink_evictions),
            errors: r(&self.errors),
            timeouts: r(&self.timeouts),
            corrupt: r(&self.corrupt),
            short_circuited: r(&self.short_circuited),
        }
    }
}

/// A store of feature vectors by key (see [`key`] for the key scheme).
///
/// Object-safe: use it as `Arc<dyn CacheBackend>`. Implementations count every outcome in
/// [`CacheBackend::stats`]; a corrupt value is reported as `Ok(None)` and counted as `corrupt`.
#[async_trait]
pub trait CacheBackend: Send + Sync + fmt::Debug {
    /// The vector stored under `key`, `Ok(None)` when absent, expired or corrupt.
    async fn get(&self, key: &str) -> Result<Option<FeatureVector>, CacheError>;

    /// Stores `value` under `key`. `ttl` overrides the backend's default time-to-live
    /// (`None`: the backend's default).
    async fn set(
        &self,
        key: &str,
        value: &FeatureVector,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError>;

    /// Removes `key`; `Ok(true)` when it was present.
    async fn delete(&self, key: &str) -> Result<bool, CacheError>;

    /// Looks up many keys at once (Redis: one `MGET`). The result has one entry per key, in
    /// order. The default implementation calls [`CacheBackend::get`] for each key.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<FeatureVector>>, CacheError> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.get(k).await?);
        }
        Ok(out)
    }

    /// A snapshot of the counters.
    fn stats(&self) -> CacheStats;

    /// A short name for logs and metrics labels (`"memory"`, `"redis"`, `"redis-cluster"`).
    fn name(&self) -> &'static str;
}
