//! Caching of feature vectors: the `CacheBackend` trait, an in-memory LRU, Redis, and the
//! tiered L1 → L2 → compute flow.
