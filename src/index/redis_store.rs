//! [`RedisIndex`]: a [`VectorIndex`] shared by several processes through Redis.
//!
//! The vectors live in Redis; each process keeps a [`MemoryIndex`] copy for searching.
//!
//! * **Load on start**: [`RedisIndex::connect`] reads every stored vector into memory
//!   ([`RedisIndex::reload`] does it again, to see other processes' writes).
//! * **Write-through**: [`VectorIndex::insert`] and [`VectorIndex::remove`] write to Redis
//!   first (one `MULTI` transaction) and change the in-memory copy only when Redis
//!   acknowledged, so a failed write leaves both unchanged and is reported as
//!   [`IndexError::Backend`].
//!
//! Layout, per namespace `ns` (default `default`), under the [`RedisConfig::key_prefix`]:
//! `cadfeat:index:<ns>:v:<id>` is a hash with `v` (the comma-joined floats, shortest
//! round-trip form), `m` (the metadata as a JSON object) and `ts` (Unix seconds of the write),
//! as the original's `HSET vector:{id} v=… m=… ts=…`; `cadfeat:index:<ns>:ids` is the set of ids.
//!
//! The connection uses the cache's [`RedisConfig`]: URL (including `rediss://` with the `tls`
//! feature and a private root certificate), key prefix, connect timeout and command timeout.
//! The client is synchronous (`VectorIndex` methods are synchronous); the pipeline calls it
//! from the blocking pool. A broken connection is dropped and re-established once per call.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::{Connection, RedisError};

use super::memory::MemoryIndex;
use super::{Filter, IndexEntry, IndexError, IndexResult, Metadata, SearchHit, VectorIndex};
use crate::cache::RedisConfig;
use crate::redis_conn;

/// Ids read per round trip when loading.
const LOAD_BATCH: usize = 512;

/// A Redis-backed [`VectorIndex`] (see the module docs).
pub struct RedisIndex {
    config: RedisConfig,
    client: redis::Client,
    conn: Mutex<Option<Connection>>,
    memory: MemoryIndex,
    namespace: String,
    load_skipped: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for RedisIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisIndex")
            .field("namespace", &self.namespace)
            .field("len", &self.memory.len())
            .finish_non_exhaustive()
    }
}

fn backend(e: RedisError) -> IndexError {
    IndexError::Backend(e.to_string())
}

impl RedisIndex {
    /// Connects with `config`, namespace `default`, and loads every stored vector.
    pub fn connect(config: RedisConfig) -> IndexResult<RedisIndex> {
        RedisIndex::connect_namespace(config, "default")
    }

    /// Connects with `config` to the index named `namespace` and loads it.
    pub fn connect_namespace(config: RedisConfig, namespace: &str) -> IndexResult<RedisIndex> {
        let client = redis_conn::client(&config).map_err(|e| IndexError::Backend(e.to_string()))?;
        let index = RedisIndex {
            config,
            client,
            conn: Mutex::new(None),
            memory: MemoryIndex::new(),
            namespace: namespace.to_string(),
            load_skipped: Default::default(),
        };
        index.reload()?;
        Ok(index)
    }

    /// The in-memory copy.
    pub fn memory(&self) -> &MemoryIndex {
        &self.memory
    }

    /// Stored records that could not be read on the last load (bad floats or metadata, wrong
    /// dimension); they are left in Redis untouched.
    pub fn load_skipped(&self) -> usize {
        self.load_skipped.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn ids_key(&self) -> String {
        format!(
            "{}cadfeat:index:{}:ids",
            self.config.key_prefix, self.namespace
        )
    }

    fn vec_key(&self, id: &str) -> String {
        format!(
            "{}cadfeat:index:{}:v:{id}",
            self.config.key_prefix, self.namespace
        )
    }

    /// Runs `f` on the connection, reconnecting once when the connection is broken.
    fn with_conn<T>(&self, f: impl Fn(&mut Connection) -> Result<T, RedisError>) -> IndexResult<T> {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        for attempt in 0..2 {
            if guard.is_none() {
                *guard =
                    Some(redis_conn::sync_connection(&self.client, &self.config).map_err(backend)?);
            }
            let Some(conn) = guard.as_mut() else {
                continue;
            };
            match f(conn) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let retry = e.is_connection_dropped()
                        || e.is_io_error()
                        || e.is_timeout()
                        || e.is_connection_refusal();
                    *guard = None;
                    if !retry || attempt == 1 {
                        return Err(backend(e));
                    }
                }
            }
        }
        Err(IndexError::Backend("no connection".into()))
    }

    /// Replaces the in-memory copy with what Redis holds now; returns the number loaded.
    pub fn reload(&self) -> IndexResult<usize> {
        let ids_key = self.ids_key();
        let mut ids: Vec<String> =
            self.with_conn(|c| redis::cmd("SMEMBERS").arg(&ids_key).query(c))?;
        ids.sort();
        let fresh = MemoryIndex::new();
        let mut skipped = 0usize;
        for chunk in ids.chunks(LOAD_BATCH) {
            let rows: Vec<(Option<String>, Option<String>)> = self.with_conn(|c| {
                let mut p = redis::pipe();
                for id in chunk {
                    p.cmd("HMGET").arg(self.vec_key(id)).arg("v").arg("m");
                }
                p.query(c)
            })?;
            for (id, (v, m)) in chunk.iter().zip(rows) {
                let parsed = v.zip(m).and_then(|(v, m)| {
                    let values = parse_floats(&v)?;
                    let meta: Metadata = serde_json::from_str(&m).ok()?;
                    Some((values, meta))
                });
                match parsed.map(|(v, m)| fresh.insert(id, v, m)) {
                    Some(Ok(())) => {}
                    _ => skipped += 1,
                }
            }
        }
        self.memory.clear();
        let n = fresh.len();
        for e in fresh.entries() {
            self.memory.insert_prepared(&e.id, e.values, e.metadata);
        }
        self.load_skipped
            .store(skipped, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

fn parse_floats(s: &str) -> Option<Vec<f64>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split(',').map(|x| x.trim().parse::<f64>().ok()).collect()
}

fn join_floats(v: &[f64]) -> String {
    let mut out = String::with_capacity(v.len() * 20);
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // `Display` for f64 is the shortest string that parses back to the same value.
        out.push_str(&x.to_string());
    }
    out
}

impl VectorIndex for RedisIndex {
    fn insert(&self, id: &str, values: Vec<f64>, mut metadata: Metadata) -> IndexResult<()> {
        self.memory.prepare(id, &values, &mut metadata)?;
        let v = join_floats(&values);
        let m = serde_json::to_string(&metadata).map_err(|e| IndexError::Backend(e.to_string()))?;
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        let (key, ids_key) = (self.vec_key(id), self.ids_key());
        self.with_conn(|c| {
            redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(&key)
                .arg("v")
                .arg(&v)
                .arg("m")
                .arg(&m)
                .arg("ts")
                .arg(ts)
                .ignore()
                .cmd("SADD")
                .arg(&ids_key)
                .arg(id)
                .ignore()
                .query::<()>(c)
        })?;
        self.memory.insert_prepared(id, values, metadata);
        Ok(())
    }

    fn remove(&self, id: &str) -> IndexResult<bool> {
        let (key, ids_key) = (self.vec_key(id), self.ids_key());
        let (_, removed): (i64, i64) = self.with_conn(|c| {
            redis::pipe()
                .atomic()
                .cmd("DEL")
                .arg(&key)
                .cmd("SREM")
                .arg(&ids_key)
                .arg(id)
                .query(c)
        })?;
        let local = self.memory.remove(id)?;
        Ok(removed > 0 || local)
    }

    fn get(&self, id: &str) -> IndexResult<Option<IndexEntry>> {
        self.memory.get(id)
    }

    fn metadata(&self, id: &str) -> IndexResult<Option<Metadata>> {
        self.memory.metadata(id)
    }

    fn len(&self) -> usize {
        self.memory.len()
    }

    fn ids(&self) -> Vec<String> {
        self.memory.ids()
    }

    fn search(&self, query: &[f64], k: usize, filter: &Filter) -> IndexResult<Vec<SearchHit>> {
        self.memory.search(query, k, filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_through_text() {
        let v = vec![0.1, -2.5e-300, 1.0 / 3.0, 0.0, 12345.678];
        assert_eq!(parse_floats(&join_floats(&v)).unwrap(), v);
        assert_eq!(parse_floats("").unwrap(), Vec::<f64>::new());
        assert!(parse_floats("1,x").is_none());
    }
}
