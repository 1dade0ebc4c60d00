//! The L1 cache: an in-process LRU of feature vectors with optional TTL.
//!
//! Semantics follow the original service's `FeatureCache` (spec §5.1) where they are
//! behaviour, and fix it where they were defects (§11.11):
//!
//! * capacity ≥ 1; inserting into a full cache evicts the least recently used entry and
//!   counts it in `evictions`;
//! * a lookup moves the entry to most-recently-used; hits and misses are counted once;
//! * TTL (seconds, 0 = off) counts **from insertion** and is not refreshed by reads; an entry
//!   is expired iff `now − stored_at > ttl` (strict), as in the original. Unlike the original
//!   there is no purge of the whole map on every call: expiry is checked on access (O(1)), an
//!   expired entry found by a lookup is dropped and counted in `expirations`, and before an
//!   insert evicts a live entry, up to 8 expired entries at the LRU end are dropped first
//!   (counted as expirations, not evictions);
//! * [`MemoryCache::update_settings`] accepts capacity ≥ 1 and any TTL; a capacity of 0 is
//!   ignored like the original's invalid values. Entries dropped by a shrink are **not** added
//!   to `evictions` (the original's `stats()` and the golden values rely on that) but to the
//!   separate `shrink_evictions` counter, so they are not lost either;
//! * [`MemoryCache::apply`] / [`MemoryCache::rollback`] implement the 5-minute rollback
//!   window with the statuses `applied`, `window_active`, `no_snapshot`, `expired`,
//!   `rolled_back` and the original's error codes;
//! * [`MemoryCache::prewarm`] touches existing keys (LRU first) moving them to MRU.
//!
//! The map is an [`lru::LruCache`] behind a `Mutex` (about 40–50 ns per hit single-threaded,
//! crate-probe §4). Time comes from an injectable [`Clock`].

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use lru::LruCache;

use super::clock::{Clock, SystemClock, iso_utc};
use super::tuning::{CacheTuning, recommend_from_stats};
use super::{CacheBackend, CacheError, CacheStats, StatsCounters, add, bump};
use crate::features::FeatureVector;

/// How long after an apply a rollback is possible (and a second apply is refused): 5 minutes.
pub const ROLLBACK_WINDOW: Duration = Duration::from_secs(300);

/// How many expired LRU-end entries an insert drops before evicting a live one.
const EXPIRED_SWEEP: usize = 8;

#[derive(Debug)]
struct Entry {
    vector: FeatureVector,
    stored_at: Duration,
    /// A per-entry TTL given to `set`; `None` uses the cache's TTL.
    ttl: Option<Duration>,
}

#[derive(Debug)]
struct Inner {
    map: LruCache<String, Entry>,
    capacity: usize,
    ttl_seconds: u64,
    snapshot: Option<ApplySnapshot>,
}

impl Inner {
    fn is_expired(&self, e: &Entry, now: Duration) -> bool {
        let ttl = match e.ttl {
            Some(t) => t,
            None if self.ttl_seconds > 0 => Duration::from_secs(self.ttl_seconds),
            None => return false,
        };
        now.saturating_sub(e.stored_at) > ttl
    }

    fn has_ttl(&self, e: &Entry) -> bool {
        e.ttl.is_some() || self.ttl_seconds > 0
    }
}

/// Capacity and TTL of a [`MemoryCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    /// Most entries.
    pub capacity: usize,
    /// Time-to-live in seconds from insertion; 0 = no TTL.
    pub ttl_seconds: u64,
}

/// The result of [`MemoryCache::update_settings`]: `{previous, current, evicted}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingsUpdate {
    /// Settings before the call.
    pub previous: CacheSettings,
    /// Settings after the call.
    pub current: CacheSettings,
    /// Entries dropped to fit the new capacity.
    pub evicted: usize,
}

/// The state saved by [`MemoryCache::apply`] for a later rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplySnapshot {
    /// Capacity before the apply.
    pub previous_capacity: usize,
    /// TTL (seconds) before the apply.
    pub previous_ttl_seconds: u64,
    /// When the apply happened.
    pub applied_at: SystemTime,
    /// `applied_at` + [`ROLLBACK_WINDOW`].
    pub can_rollback_until: SystemTime,
}

impl ApplySnapshot {
    /// `applied_at` as ISO 8601 UTC.
    pub fn applied_at_iso(&self) -> String {
        iso_utc(self.applied_at)
    }
    /// `can_rollback_until` as ISO 8601 UTC.
    pub fn can_rollback_until_iso(&self) -> String {
        iso_utc(self.can_rollback_until)
    }
}

/// The result of [`MemoryCache::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The settings were applied; `snapshot` allows a rollback for 5 minutes.
    Applied {
        /// What changed (`applied{capacity, ttl_seconds, evicted}` is `current` + `evicted`).
        applied: SettingsUpdate,
        /// The saved previous settings.
        snapshot: ApplySnapshot,
    },
    /// Refused: an earlier apply can still be rolled back.
    WindowActive {
        /// The snapshot of the earlier apply.
        snapshot: ApplySnapshot,
    },
}

impl ApplyOutcome {
    /// `"applied"` or `"window_active"`.
    pub fn status(&self) -> &'static str {
        match self {
            ApplyOutcome::Applied { .. } => "applied",
            ApplyOutcome::WindowActive { .. } => "window_active",
        }
    }
    /// The original's error code, `None` when applied.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            ApplyOutcome::Applied { .. } => None,
            ApplyOutcome::WindowActive { .. } => Some("CACHE_TUNING_ROLLBACK_WINDOW_ACTIVE"),
        }
    }
}

/// The result of [`MemoryCache::rollback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackOutcome {
    /// The snapshot's settings were restored and the snapshot cleared.
    RolledBack {
        /// What changed (`restored{…}`).
        restored: SettingsUpdate,
    },
    /// There is nothing to roll back.
    NoSnapshot,
    /// The window had passed; the snapshot was cleared and nothing restored.
    Expired {
        /// The cleared snapshot.
        snapshot: ApplySnapshot,
    },
}

impl RollbackOutcome {
    /// `"rolled_back"`, `"no_snapshot"` or `"expired"`.
    pub fn status(&self) -> &'static str {
        match self {
            RollbackOutcome::RolledBack { .. } => "rolled_back",
            RollbackOutcome::NoSnapshot => "no_snapshot",
            RollbackOutcome::Expired { .. } => "expired",
        }
    }
    /// The original's error code, `None` when rolled back.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            RollbackOutcome::RolledBack { .. } => None,
            RollbackOutcome::NoSnapshot => Some("CACHE_TUNING_NO_SNAPSHOT"),
            RollbackOutcome::Expired { .. } => Some("CACHE_TUNING_ROLLBACK_EXPIRED"),
        }
    }
}

/// The result of [`MemoryCache::prewarm`]: `{status:"ok", strategy, touched, limit, size}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrewarmReport {
    /// The strategy name passed in (only `"auto"` exists; it is echoed).
    pub strategy: String,
    /// Keys moved to most-recently-used.
    pub touched: usize,
    /// The limit passed in (0 = all).
    pub limit: usize,
    /// Entries in the cache.
    pub size: usize,
}

/// An in-memory LRU cache of feature vectors (L1). Thread-safe; cheap to share in an `Arc`.
#[derive(Debug)]
pub struct MemoryCache {
    inner: Mutex<Inner>,
    stats: StatsCounters,
    clock: Arc<dyn Clock>,
}

impl MemoryCache {
    /// A cache of `capacity` entries (at least 1) with a TTL of `ttl_seconds` (0 = none).
    /// The original's defaults are `MemoryCache::new(256, 0)`.
    pub fn new(capacity: usize, ttl_seconds: u64) -> Self {
        MemoryCache::with_clock(capacity, ttl_seconds, Arc::new(SystemClock::new()))
    }

    /// Like [`MemoryCache::new`] with an explicit time source (tests use a
    /// [`ManualClock`](super::ManualClock)).
    pub fn with_clock(capacity: usize, ttl_seconds: u64, clock: Arc<dyn Clock>) -> Self {
        let cap = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        MemoryCache {
            inner: Mutex::new(Inner {
                map: LruCache::new(cap),
                capacity: cap.get(),
                ttl_seconds,
                snapshot: None,
            }),
            stats: StatsCounters::default(),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map inconsistent in a way that
        // matters for a cache, so a poisoned lock is simply taken over.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The vector under `key`, moving it to most-recently-used. Counts a hit or a miss (and an
    /// expiration when the entry had expired).
    pub fn lookup(&self, key: &str) -> Option<FeatureVector> {
        self.lookup_counted(key, true)
    }

    /// Like [`MemoryCache::lookup`] without counting a hit or miss (the tiered cache's
    /// second look after waiting for single-flight, so that one request counts once).
    pub(crate) fn lookup_uncounted(&self, key: &str) -> Option<FeatureVector> {
        self.lookup_counted(key, false)
    }

    fn lookup_counted(&self, key: &str, count: bool) -> Option<FeatureVector> {
        let mut g = self.lock();
        let inner = &mut *g;
        let global_ttl = inner.ttl_seconds;
        // One hash lookup on the hit path: `get` promotes, and an expired entry is popped
        // right after (its promotion does not matter).
        let (found, expired) = match inner.map.get(key) {
            None => (None, false),
            Some(e) => {
                let ttl = match e.ttl {
                    Some(t) => Some(t),
                    None if global_ttl > 0 => Some(Duration::from_secs(global_ttl)),
                    None => None,
                };
                let expired =
                    ttl.is_some_and(|ttl| self.clock.monotonic().saturating_sub(e.stored_at) > ttl);
                if expired {
                    (None, true)
                } else {
                    (Some(e.vector.clone()), false)
                }
            }
        };
        if expired {
            inner.map.pop(key);
        }
        drop(g);
        if expired {
            bump(&self.stats.expirations);
        }
        if count {
            bump(if found.is_some() {
                &self.stats.hits
            } else {
                &self.stats.misses
            });
        }
        found
    }

    /// Stores `vector` under `key` with the cache's TTL.
    pub fn insert(&self, key: &str, vector: FeatureVector) {
        let _ = self.insert_entry(key, vector, None);
    }

    /// Stores `vector` under `key` with its own TTL (`None`: the cache's TTL).
    pub fn insert_with_ttl(&self, key: &str, vector: FeatureVector, ttl: Option<Duration>) {
        let _ = self.insert_entry(key, vector, ttl);
    }

    /// Stores `vector` under `key` with the cache's TTL and returns how many live entries it
    /// evicted and the number of entries afterwards (for [`super::CacheObserver`]).
    pub(crate) fn insert_reporting(&self, key: &str, vector: FeatureVector) -> (u64, usize) {
        self.insert_entry(key, vector, None)
    }

    fn insert_entry(
        &self,
        key: &str,
        vector: FeatureVector,
        ttl: Option<Duration>,
    ) -> (u64, usize) {
        let now = self.clock.monotonic();
        let mut g = self.lock();
        let inner = &mut *g;
        let mut expired = 0u64;
        let mut evicted = 0u64;
        if inner.map.len() >= inner.capacity && !inner.map.contains(key) {
            // Prefer dropping expired entries at the LRU end to evicting a live one.
            for _ in 0..EXPIRED_SWEEP {
                let drop_it = match inner.map.peek_lru() {
                    Some((_, e)) => inner.has_ttl(e) && inner.is_expired(e, now),
                    None => false,
                };
                if !drop_it {
                    break;
                }
                inner.map.pop_lru();
                expired += 1;
            }
        }
        let entry = Entry {
            vector,
            stored_at: now,
            ttl,
        };
        if let Some((old_key, old)) = inner.map.push(key.to_owned(), entry)
            && old_key != key
        {
            if inner.has_ttl(&old) && inner.is_expired(&old, now) {
                expired += 1;
            } else {
                evicted += 1;
            }
        }
        let len = inner.map.len();
        drop(g);
        bump(&self.stats.sets);
        add(&self.stats.evictions, evicted);
        add(&self.stats.expirations, expired);
        (evicted, len)
    }

    /// Removes `key`; true when it was present.
    pub fn remove(&self, key: &str) -> bool {
        let removed = self.lock().map.pop(key).is_some();
        if removed {
            bump(&self.stats.deletes);
        }
        removed
    }

    /// Drops every entry (counters are kept).
    pub fn clear(&self) {
        self.lock().map.clear();
    }

    /// Entries currently held (expired entries not yet seen count until dropped).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// True when the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys from least to most recently used (the iteration order of the original's
    /// ordered dict).
    pub fn keys(&self) -> Vec<String> {
        self.lock()
            .map
            .iter()
            .rev()
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The current capacity and TTL.
    pub fn settings(&self) -> CacheSettings {
        let g = self.lock();
        CacheSettings {
            capacity: g.capacity,
            ttl_seconds: g.ttl_seconds,
        }
    }

    /// The counters (`hits`, `misses`, `evictions` are the original's `stats()`).
    pub fn stats(&self) -> CacheStats {
        self.stats.snapshot()
    }

    /// Changes capacity (ignored unless ≥ 1) and/or TTL in seconds, dropping LRU entries down
    /// to the new capacity (counted in `shrink_evictions`, not `evictions`).
    pub fn update_settings(
        &self,
        capacity: Option<usize>,
        ttl_seconds: Option<u64>,
    ) -> SettingsUpdate {
        let mut g = self.lock();
        let u = Self::update_locked(&mut g, capacity, ttl_seconds);
        drop(g);
        add(&self.stats.shrink_evictions, u.evicted as u64);
        u
    }

    fn update_locked(
        inner: &mut Inner,
        capacity: Option<usize>,
        ttl_seconds: Option<u64>,
    ) -> SettingsUpdate {
        let previous = CacheSettings {
            capacity: inner.capacity,
            ttl_seconds: inner.ttl_seconds,
        };
        let mut evicted = 0;
        if let Some(cap) = capacity.and_then(NonZeroUsize::new) {
            while inner.map.len() > cap.get() {
                if inner.map.pop_lru().is_none() {
                    break;
                }
                evicted += 1;
            }
            inner.map.resize(cap);
            inner.capacity = cap.get();
        }
        if let Some(ttl) = ttl_seconds {
            inner.ttl_seconds = ttl;
        }
        SettingsUpdate {
            previous,
            current: CacheSettings {
                capacity: inner.capacity,
                ttl_seconds: inner.ttl_seconds,
            },
            evicted,
        }
    }

    /// Applies new settings, keeping a snapshot for [`MemoryCache::rollback`] during
    /// [`ROLLBACK_WINDOW`]. Refused with `window_active` while an earlier snapshot can still be
    /// rolled back (`can_rollback_until > now`).
    pub fn apply(&self, capacity: Option<usize>, ttl_seconds: Option<u64>) -> ApplyOutcome {
        let now = self.clock.wall();
        let mut g = self.lock();
        if let Some(s) = g.snapshot
            && s.can_rollback_until > now
        {
            return ApplyOutcome::WindowActive { snapshot: s };
        }
        let snapshot = ApplySnapshot {
            previous_capacity: g.capacity,
            previous_ttl_seconds: g.ttl_seconds,
            applied_at: now,
            can_rollback_until: now + ROLLBACK_WINDOW,
        };
        let applied = Self::update_locked(&mut g, capacity, ttl_seconds);
        g.snapshot = Some(snapshot);
        drop(g);
        add(&self.stats.shrink_evictions, applied.evicted as u64);
        ApplyOutcome::Applied { applied, snapshot }
    }

    /// Restores the settings saved by the last [`MemoryCache::apply`] if the window is still
    /// open (`now < can_rollback_until`); an expired snapshot is cleared.
    pub fn rollback(&self) -> RollbackOutcome {
        let now = self.clock.wall();
        let mut g = self.lock();
        let Some(s) = g.snapshot.take() else {
            return RollbackOutcome::NoSnapshot;
        };
        if s.can_rollback_until <= now {
            return RollbackOutcome::Expired { snapshot: s };
        }
        let restored = Self::update_locked(
            &mut g,
            Some(s.previous_capacity),
            Some(s.previous_ttl_seconds),
        );
        drop(g);
        add(&self.stats.shrink_evictions, restored.evicted as u64);
        RollbackOutcome::RolledBack { restored }
    }

    /// The pending snapshot, if any.
    pub fn snapshot(&self) -> Option<ApplySnapshot> {
        self.lock().snapshot
    }

    /// Moves the first `limit` keys (least recently used first; all when `limit` is 0) to
    /// most-recently-used. Does not count hits.
    pub fn prewarm(&self, strategy: &str, limit: usize) -> PrewarmReport {
        let mut g = self.lock();
        let take = if limit == 0 { usize::MAX } else { limit };
        let keys: Vec<String> = g
            .map
            .iter()
            .rev()
            .take(take)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            g.map.promote(k);
        }
        PrewarmReport {
            strategy: strategy.to_owned(),
            touched: keys.len(),
            limit,
            size: g.map.len(),
        }
    }

    /// Recommendation A (spec §5.1, `GET /features/cache/tuning`) from this cache's live
    /// size, settings and counters.
    pub fn tuning(&self) -> CacheTuning {
        let s = self.settings();
        let st = self.stats();
        recommend_from_stats(
            self.len() as u64,
            s.capacity as u64,
            s.ttl_seconds,
            st.hits,
            st.misses,
            st.evictions,
        )
    }
}

#[async_trait]
impl CacheBackend for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<FeatureVector>, CacheError> {
        Ok(self.lookup(key))
    }

    async fn set(
        &self,
        key: &str,
        value: &FeatureVector,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        self.insert_with_ttl(key, value.clone(), ttl);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        Ok(self.remove(key))
    }

    fn stats(&self) -> CacheStats {
        MemoryCache::stats(self)
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::ManualClock;
    use crate::features::FeatureVersion;

    fn v(x: f64) -> FeatureVector {
        FeatureVector {
            version: FeatureVersion::V1,
            values: vec![x; 7],
        }
    }

    fn manual(cap: usize, ttl: u64) -> (MemoryCache, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::at_2026());
        (MemoryCache::with_clock(cap, ttl, clock.clone()), clock)
    }

    #[test]
    fn golden_lru_sequence_and_shrink() {
        // spec §10.6: capacity 2, set a, set b, get a, set c → [a, c],
        // {hits 1, misses 0, evictions 1}.
        let c = MemoryCache::new(2, 0);
        c.insert("a", v(1.0));
        c.insert("b", v(2.0));
        assert_eq!(c.lookup("a"), Some(v(1.0)));
        c.insert("c", v(3.0));
        assert_eq!(c.keys(), ["a", "c"]);
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.evictions), (1, 0, 1));
        // update_settings(capacity=1) → [c], evictions still 1.
        let u = c.update_settings(Some(1), None);
        assert_eq!(c.keys(), ["c"]);
        assert_eq!(u.evicted, 1);
        assert_eq!(u.previous.capacity, 2);
        assert_eq!(u.current.capacity, 1);
        let s = c.stats();
        assert_eq!(s.evictions, 1);
        assert_eq!(s.shrink_evictions, 1);
    }

    #[test]
    fn invalid_settings_are_ignored() {
        let c = MemoryCache::new(4, 10);
        let u = c.update_settings(Some(0), None);
        assert_eq!(
            u.current,
            CacheSettings {
                capacity: 4,
                ttl_seconds: 10
            }
        );
        let u = c.update_settings(None, Some(0));
        assert_eq!(
            u.current,
            CacheSettings {
                capacity: 4,
                ttl_seconds: 0
            }
        );
    }

    #[test]
    fn ttl_counts_from_insertion_strictly() {
        let (c, clock) = manual(10, 60);
        c.insert("k", v(1.0));
        clock.advance(Duration::from_secs(30));
        assert!(c.lookup("k").is_some()); // a read does not refresh the timestamp
        clock.advance(Duration::from_secs(30));
        // now - stored_at == ttl: not expired (strict >).
        assert!(c.lookup("k").is_some());
        clock.advance(Duration::from_nanos(1));
        assert!(c.lookup("k").is_none());
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.expirations, s.evictions), (2, 1, 1, 0));
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn per_entry_ttl_and_no_ttl() {
        let (c, clock) = manual(10, 0);
        c.insert("forever", v(1.0));
        c.insert_with_ttl("short", v(2.0), Some(Duration::from_secs(5)));
        clock.advance(Duration::from_secs(1_000_000));
        assert!(c.lookup("forever").is_some());
        assert!(c.lookup("short").is_none());
    }

    #[test]
    fn expired_entries_are_dropped_before_live_ones_are_evicted() {
        let (c, clock) = manual(2, 10);
        c.insert("old", v(1.0));
        clock.advance(Duration::from_secs(11));
        c.insert("new1", v(2.0));
        c.insert("new2", v(3.0)); // full: "old" is expired and goes first
        let s = c.stats();
        assert_eq!((s.evictions, s.expirations), (0, 1));
        assert_eq!(c.keys(), ["new1", "new2"]);
    }

    #[test]
    fn replacing_a_key_is_not_an_eviction() {
        let c = MemoryCache::new(1, 0);
        c.insert("a", v(1.0));
        c.insert("a", v(2.0));
        assert_eq!(c.lookup("a"), Some(v(2.0)));
        assert_eq!(c.stats().evictions, 0);
        assert!(c.remove("a"));
        assert!(!c.remove("a"));
    }

    #[test]
    fn golden_apply_rollback_window() {
        // spec §10.6: apply, apply within 5 minutes → window_active; rollback → rolled_back;
        // apply again → applied.
        let (c, clock) = manual(256, 0);
        let first = c.apply(Some(100), Some(60));
        assert_eq!(first.status(), "applied");
        let ApplyOutcome::Applied { applied, snapshot } = first else {
            panic!("not applied")
        };
        assert_eq!(
            applied.current,
            CacheSettings {
                capacity: 100,
                ttl_seconds: 60
            }
        );
        assert_eq!(snapshot.previous_capacity, 256);
        assert_eq!(snapshot.previous_ttl_seconds, 0);
        assert_eq!(
            snapshot.applied_at_iso(),
            "2026-01-01T00:00:00.000000+00:00"
        );
        assert_eq!(
            snapshot.can_rollback_until_iso(),
            "2026-01-01T00:05:00.000000+00:00"
        );

        clock.advance(Duration::from_secs(299));
        let second = c.apply(Some(50), None);
        assert_eq!(second.status(), "window_active");
        assert_eq!(
            second.error_code(),
            Some("CACHE_TUNING_ROLLBACK_WINDOW_ACTIVE")
        );
        assert_eq!(c.settings().capacity, 100);

        let rb = c.rollback();
        assert_eq!(rb.status(), "rolled_back");
        assert_eq!(
            c.settings(),
            CacheSettings {
                capacity: 256,
                ttl_seconds: 0
            }
        );
        assert_eq!(c.apply(Some(128), None).status(), "applied");
    }

    #[test]
    fn rollback_statuses() {
        let (c, clock) = manual(10, 0);
        let r = c.rollback();
        assert_eq!(
            (r.status(), r.error_code()),
            ("no_snapshot", Some("CACHE_TUNING_NO_SNAPSHOT"))
        );
        assert_eq!(c.apply(Some(5), None).status(), "applied");
        clock.advance(ROLLBACK_WINDOW);
        // At exactly applied_at + 5 min the window is closed: a new apply is allowed and a
        // rollback is expired.
        let r = c.rollback();
        assert_eq!(
            (r.status(), r.error_code()),
            ("expired", Some("CACHE_TUNING_ROLLBACK_EXPIRED"))
        );
        assert_eq!(c.settings().capacity, 5);
        // The expired snapshot was cleared.
        assert_eq!(c.rollback().status(), "no_snapshot");
        assert_eq!(c.apply(Some(6), None).status(), "applied");
        clock.advance(ROLLBACK_WINDOW + Duration::from_secs(1));
        // An expired snapshot does not block a new apply.
        assert_eq!(c.apply(Some(7), None).status(), "applied");
        assert_eq!(c.rollback().status(), "rolled_back");
        assert_eq!(c.settings().capacity, 6);
    }

    #[test]
    fn prewarm_touches_lru_first() {
        let c = MemoryCache::new(3, 0);
        c.insert("a", v(1.0));
        c.insert("b", v(2.0));
        c.insert("c", v(3.0));
        let r = c.prewarm("auto", 1);
        assert_eq!((r.touched, r.limit, r.size), (1, 1, 3));
        assert_eq!(c.keys(), ["b", "c", "a"]);
        let r = c.prewarm("auto", 0);
        assert_eq!(r.touched, 3);
        assert_eq!(c.stats().hits, 0);
    }
}
