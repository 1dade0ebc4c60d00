//! Observing a [`TieredCache`](super::TieredCache): the hook metrics are recorded through.
//!
//! The cache itself knows nothing about Prometheus. A [`CacheObserver`] installed with
//! [`TieredCache::with_observer`](super::TieredCache::with_observer) is told about every event
//! once, at the place it happens; without an observer the cache does no timing and no extra
//! work. `cadfeat::metrics::Metrics` (feature `metrics`) implements this trait.
//!
//! What is reported, per tiered request:
//!
//! * exactly one [`CacheObserver::lookup`] for L1 (hit or miss), at the first L1 lookup: the
//!   re-check of L1 that a request makes after winning the single-flight race is not a second
//!   lookup (this matches [`MemoryCache::stats`](super::MemoryCache::stats), which counts it
//!   once too);
//! * after an L1 miss, at most one [`CacheObserver::lookup`] for L2: a hit, or a miss for an
//!   absent value, a value of another version, an error, a timeout or an open breaker. A
//!   request that waits for a concurrent request's result ([`CacheObserver::coalesced`]) does
//!   not look in L2 itself;
//! * every L2 failure once more in [`CacheObserver::l2_error`] (a different signal: a failed
//!   lookup is both a miss and an error, as it should be);
//! * every store into L1 with the number of live entries it evicted and the size afterwards.

use std::fmt;

use super::CacheError;

/// A cache level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// The in-process LRU.
    L1,
    /// The shared cache (Redis).
    L2,
}

impl Tier {
    /// `"l1"` or `"l2"` (the `tier` metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::L1 => "l1",
            Tier::L2 => "l2",
        }
    }
}

/// An L2 operation (the `operation` label of L2 errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L2Op {
    /// A single-key lookup.
    Get,
    /// A batched lookup (Redis `MGET`).
    GetMany,
    /// A store.
    Set,
    /// A delete.
    Delete,
}

impl L2Op {
    /// `"get"`, `"get_many"`, `"set"` or `"delete"`.
    pub fn as_str(self) -> &'static str {
        match self {
            L2Op::Get => "get",
            L2Op::GetMany => "get_many",
            L2Op::Set => "set",
            L2Op::Delete => "delete",
        }
    }
}

/// The kind of a [`CacheError`] as a short stable label value.
pub fn error_kind(e: &CacheError) -> &'static str {
    match e {
        CacheError::Unavailable(_) => "unavailable",
        CacheError::Timeout => "timeout",
        CacheError::CircuitOpen => "circuit_open",
        CacheError::Backend(_) => "backend",
        CacheError::Config(_) => "config",
    }
}

/// Receives the events of a [`TieredCache`](super::TieredCache). Every method has an empty
/// default, so an observer implements only what it needs. Methods are called on the request's
/// task and must be cheap (atomic increments, no I/O, no locks held for long).
pub trait CacheObserver: Send + Sync + fmt::Debug {
    /// One key looked up in `tier`: found a usable vector (`hit`) or not.
    fn lookup(&self, tier: Tier, hit: bool) {
        let _ = (tier, hit);
    }

    /// The time one lookup call in `tier` took, in seconds (a batched L2 lookup is one call).
    fn lookup_latency(&self, tier: Tier, seconds: f64) {
        let _ = (tier, seconds);
    }

    /// An L2 call failed (including a timeout and an open breaker) and was degraded to a miss.
    fn l2_error(&self, op: L2Op, error: &CacheError) {
        let _ = (op, error);
    }

    /// A value of another feature version (or length) than the key's was found in `tier` and
    /// ignored.
    fn wrong_version(&self, tier: Tier) {
        let _ = tier;
    }

    /// L1 changed: a store evicted `evicted` live entries (0 for a removal), and it now holds
    /// `len` entries.
    fn l1_changed(&self, evicted: u64, len: usize) {
        let _ = (evicted, len);
    }

    /// A request waited for a concurrent request's result for the same key (single-flight).
    fn coalesced(&self) {}

    /// A computation finished, successfully or not.
    fn computed(&self, ok: bool) {
        let _ = ok;
    }
}
