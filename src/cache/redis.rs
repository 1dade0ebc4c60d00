//! The L2 cache on Redis: [`RedisCache`] (one server) and, with the `cluster` feature,
//! `RedisClusterCache` (Redis Cluster).
//!
//! Values are the [`codec`](super::codec) encoding under `<key_prefix><key>`, written with
//! `SET … PX <ttl>` (or without expiry when no TTL is configured). Batched lookups use one
//! `MGET`.
//!
//! # Configuration
//!
//! [`RedisConfig::new`] takes a URL: `redis://[user][:password]@host[:port][/db]`,
//! `rediss://…` for TLS (the `tls` feature; without it such a URL is a configuration error),
//! or `redis+unix:///path`. A password alone authenticates as `default`; a user name selects
//! an ACL user. The environment variable `CADFEAT_REDIS_URL` is read by
//! [`RedisConfig::from_env`].
//!
//! # Faults
//!
//! Redis is an accelerator. Every operation is bounded by `command_timeout`, connecting by
//! `connect_timeout`. Failures are returned as [`CacheError`] and counted (`errors`,
//! `timeouts`); [`TieredCache`](super::TieredCache) turns them into misses.
//!
//! A **circuit breaker** keeps a down or hung server from costing a timeout per request:
//! after `breaker_threshold` consecutive connection-level failures (refused, reset, timed out,
//! authentication failed) it opens, and for `breaker_cooldown` every call fails at once with
//! [`CacheError::CircuitOpen`] (counted as `short_circuited`). Then one probe request is let
//! through on a fresh connection: success closes the breaker, failure reopens it with twice the
//! cooldown (up to `breaker_max_cooldown`). So a restarted server is used again within one
//! cooldown, without restarting cadfeat. Server *replies* that are errors (e.g. `OOM` when the
//! server is full with `noeviction`) are counted as errors but do not open the breaker: reads
//! still work on a full server.
//!
//! A value that is not a cadfeat vector (garbage, another program's data, another codec
//! version, a `WRONGTYPE` key) is a miss counted as `corrupt`; the tiered cache then writes the
//! recomputed vector over it.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, ErrorKind, FromRedisValue, RedisError};

use super::codec::{decode_vector, encode_vector};
use super::{CacheBackend, CacheError, CacheStats, StatsCounters, bump};
use crate::features::FeatureVector;
use crate::redis_conn::{self, ClientError};

/// Settings of a [`RedisCache`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://…`, `rediss://…` (feature `tls`) or `redis+unix://…`. For
    /// `RedisClusterCache`, one or more node URLs separated by commas.
    pub url: String,
    /// Prepended to every key (a namespace), e.g. `"myapp:"`. Default empty (cadfeat's keys
    /// already start with `cadfeat:`).
    pub key_prefix: String,
    /// Expiry of stored vectors; `None` = no expiry (rely on Redis' eviction policy).
    /// Default 7 days.
    pub ttl: Option<Duration>,
    /// Bound on establishing a connection. Default 500 ms.
    pub connect_timeout: Duration,
    /// Bound on one command. Default 250 ms (a GET on a LAN takes well under 1 ms).
    pub command_timeout: Duration,
    /// Consecutive connection-level failures that open the breaker. Default 3.
    pub breaker_threshold: u32,
    /// How long the breaker stays open before a probe. Default 1 s.
    pub breaker_cooldown: Duration,
    /// Upper bound of the doubling cooldown. Default 30 s.
    pub breaker_max_cooldown: Duration,
    /// PEM root certificate(s) to trust for `rediss://` instead of the system and webpki roots
    /// (a private CA). Needs the `tls` feature; without it, `Some` is a configuration error.
    pub tls_root_cert_pem: Option<Vec<u8>>,
}

impl RedisConfig {
    /// Defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            key_prefix: String::new(),
            ttl: Some(Duration::from_secs(7 * 24 * 3600)),
            connect_timeout: Duration::from_millis(500),
            command_timeout: Duration::from_millis(250),
            breaker_threshold: 3,
            breaker_cooldown: Duration::from_secs(1),
            breaker_max_cooldown: Duration::from_secs(30),
            tls_root_cert_pem: None,
        }
    }

    /// A configuration from `CADFEAT_REDIS_URL`, `None` when unset or empty.
    pub fn from_env() -> Option<Self> {
        std::env::var("CADFEAT_REDIS_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .map(|u| RedisConfig::new(u.trim()))
    }
}

/// The state of the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests go to Redis.
    Closed,
    /// Requests fail at once for `retry_in` more.
    Open {
        /// Time until the next probe.
        retry_in: Duration,
    },
    /// The cooldown has passed; the next request is a probe.
    HalfOpen,
}

#[derive(Debug)]
struct BreakerInner {
    failures: u32,
    open_until: Option<Instant>,
    cooldown: Duration,
}

#[derive(Debug)]
struct Breaker {
    inner: Mutex<BreakerInner>,
    threshold: u32,
    base: Duration,
    max: Duration,
}

enum Admit {
    Yes,
    /// A probe after an open period: use a fresh connection.
    Probe,
    No,
}

impl Breaker {
    fn new(c: &RedisConfig) -> Self {
        Breaker {
            inner: Mutex::new(BreakerInner {
                failures: 0,
                open_until: None,
                cooldown: c.breaker_cooldown,
            }),
            threshold: c.breaker_threshold.max(1),
            base: c.breaker_cooldown,
            max: c.breaker_max_cooldown.max(c.breaker_cooldown),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn admit(&self) -> Admit {
        let mut g = self.lock();
        match g.open_until {
            None => Admit::Yes,
            Some(t) if Instant::now() < t => Admit::No,
            Some(_) => {
                // Half-open: let this request probe and keep the others out for another
                // cooldown unless the probe closes the breaker first. (No "probe in flight"
                // flag, so a cancelled probe cannot wedge the breaker.)
                g.open_until = Some(Instant::now() + g.cooldown);
                Admit::Probe
            }
        }
    }

    fn success(&self) {
        let mut g = self.lock();
        g.failures = 0;
        g.open_until = None;
        g.cooldown = self.base;
    }

    /// Records a connection-level failure; true when this opened (or reopened) the breaker.
    fn failure(&self, probe: bool) -> bool {
        let mut g = self.lock();
        g.failures = g.failures.saturating_add(1);
        if probe {
            g.cooldown = (g.cooldown * 2).min(self.max);
            g.open_until = Some(Instant::now() + g.cooldown);
            true
        } else if g.open_until.is_none() && g.failures >= self.threshold {
            g.cooldown = self.base;
            g.open_until = Some(Instant::now() + g.cooldown);
            true
        } else {
            false
        }
    }

    fn state(&self) -> BreakerState {
        let g = self.lock();
        match g.open_until {
            None => BreakerState::Closed,
            Some(t) => {
                let now = Instant::now();
                if now < t {
                    BreakerState::Open { retry_in: t - now }
                } else {
                    BreakerState::HalfOpen
                }
            }
        }
    }
}

/// Opens connections of one kind (a single server or a cluster).
trait Connector: Send + Sync + 'static {
    type Conn: ConnectionLike + Clone + Send + Sync + 'static;
    fn connect(&self) -> impl Future<Output = Result<Self::Conn, RedisError>> + Send;
}

struct SingleConnector {
    client: redis::Client,
    config: ConnectionManagerConfig,
}

impl Connector for SingleConnector {
    type Conn = ConnectionManager;
    fn connect(&self) -> impl Future<Output = Result<ConnectionManager, RedisError>> + Send {
        ConnectionManager::new_with_config(self.client.clone(), self.config.clone())
    }
}

/// How a Redis error affects the breaker and the counters.
enum Failure {
    /// The connection is unusable: count, open the breaker eventually, reconnect.
    Connection(CacheError),
    /// The server answered with an error: count only.
    Reply(CacheError),
    /// The key holds something else than a string (`WRONGTYPE`): a corrupt value.
    WrongType,
}

fn classify(e: &RedisError) -> Failure {
    let code = e.code().unwrap_or("");
    if code == "WRONGTYPE" {
        return Failure::WrongType;
    }
    if e.is_timeout() {
        return Failure::Connection(CacheError::Timeout);
    }
    let auth = matches!(e.kind(), ErrorKind::AuthenticationFailed)
        || matches!(code, "NOAUTH" | "WRONGPASS");
    if auth
        || e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
    {
        return Failure::Connection(CacheError::Unavailable(e.to_string()));
    }
    Failure::Reply(CacheError::Backend(e.to_string()))
}

/// The shared machinery of [`RedisCache`] and `RedisClusterCache`.
struct Core<C: Connector> {
    config: RedisConfig,
    connector: C,
    conn: Mutex<Option<C::Conn>>,
    connecting: tokio::sync::Mutex<()>,
    breaker: Breaker,
    stats: StatsCounters,
}

impl<C: Connector> Core<C> {
    fn new(config: RedisConfig, connector: C) -> Self {
        Core {
            breaker: Breaker::new(&config),
            config,
            connector,
            conn: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            stats: StatsCounters::default(),
        }
    }

    fn cached_conn(&self) -> Option<C::Conn> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn drop_conn(&self) {
        *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    async fn connection(&self) -> Result<C::Conn, RedisError> {
        if let Some(c) = self.cached_conn() {
            return Ok(c);
        }
        let _g = self.connecting.lock().await;
        if let Some(c) = self.cached_conn() {
            return Ok(c);
        }
        let c = match tokio::time::timeout(self.config.connect_timeout, self.connector.connect())
            .await
        {
            Ok(r) => r?,
            Err(_) => {
                return Err(RedisError::from(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connect timed out",
                )));
            }
        };
        *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
        Ok(c)
    }

    fn record_connection_failure(&self, e: &CacheError, probe: bool) {
        bump(&self.stats.errors);
        if *e == CacheError::Timeout {
            bump(&self.stats.timeouts);
        }
        if self.breaker.failure(probe) {
            // Start over with a fresh connection after the cooldown (this also recovers from
            // failures the connection manager does not reconnect on, such as a bad password
            // that has since been fixed on the server).
            self.drop_conn();
        }
    }

    /// Runs `cmd`. `Ok(Err(()))` means the key held a value of another type (`WRONGTYPE`).
    async fn run<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<Result<T, ()>, CacheError> {
        let probe = match self.breaker.admit() {
            Admit::No => {
                bump(&self.stats.short_circuited);
                return Err(CacheError::CircuitOpen);
            }
            Admit::Probe => {
                self.drop_conn();
                true
            }
            Admit::Yes => false,
        };
        let mut conn = match self.connection().await {
            Ok(c) => c,
            Err(e) => {
                let err = match classify(&e) {
                    Failure::Connection(err) | Failure::Reply(err) => err,
                    Failure::WrongType => CacheError::Unavailable(e.to_string()),
                };
                let err = if err == CacheError::Timeout {
                    err
                } else {
                    CacheError::Unavailable(e.to_string())
                };
                self.record_connection_failure(&err, probe);
                return Err(err);
            }
        };
        let r = tokio::time::timeout(self.config.command_timeout, cmd.query_async::<T>(&mut conn))
            .await;
        match r {
            Ok(Ok(v)) => {
                self.breaker.success();
                Ok(Ok(v))
            }
            Ok(Err(e)) => match classify(&e) {
                Failure::WrongType => {
                    self.breaker.success();
                    Ok(Err(()))
                }
                Failure::Reply(err) => {
                    self.breaker.success();
                    bump(&self.stats.errors);
                    Err(err)
                }
                Failure::Connection(err) => {
                    self.record_connection_failure(&err, probe);
                    Err(err)
                }
            },
            Err(_) => {
                let err = CacheError::Timeout;
                self.record_connection_failure(&err, probe);
                Err(err)
            }
        }
    }

    fn full_key(&self, key: &str) -> String {
        let mut k = String::with_capacity(self.config.key_prefix.len() + key.len());
        k.push_str(&self.config.key_prefix);
        k.push_str(key);
        k
    }

    fn decode(&self, raw: Option<Vec<u8>>) -> Option<FeatureVector> {
        match raw {
            None => {
                bump(&self.stats.misses);
                None
            }
            Some(bytes) => match decode_vector(&bytes) {
                Ok(v) => {
                    bump(&self.stats.hits);
                    Some(v)
                }
                Err(_) => {
                    bump(&self.stats.corrupt);
                    bump(&self.stats.misses);
                    None
                }
            },
        }
    }

    async fn get(&self, key: &str) -> Result<Option<FeatureVector>, CacheError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.full_key(key));
        match self.run::<Option<Vec<u8>>>(&cmd).await? {
            Ok(raw) => Ok(self.decode(raw)),
            Err(()) => {
                bump(&self.stats.corrupt);
                bump(&self.stats.misses);
                Ok(None)
            }
        }
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<FeatureVector>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("MGET");
        for k in keys {
            cmd.arg(self.full_key(k));
        }
        // MGET answers nil for keys of another type, so WRONGTYPE cannot happen here.
        match self.run::<Vec<Option<Vec<u8>>>>(&cmd).await? {
            Ok(raws) if raws.len() == keys.len() => {
                Ok(raws.into_iter().map(|r| self.decode(r)).collect())
            }
            Ok(raws) => {
                bump(&self.stats.errors);
                Err(CacheError::Backend(format!(
                    "MGET returned {} values for {} keys",
                    raws.len(),
                    keys.len()
                )))
            }
            Err(()) => Ok(vec![None; keys.len()]),
        }
    }

    async fn set(
        &self,
        key: &str,
        value: &FeatureVector,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        let bytes = encode_vector(value)
            .map_err(|e| CacheError::Backend(format!("cannot encode vector: {e}")))?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.full_key(key)).arg(bytes);
        if let Some(ttl) = ttl.or(self.config.ttl) {
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            cmd.arg("PX").arg(ms);
        }
        match self.run::<()>(&cmd).await? {
            Ok(()) => {
                bump(&self.stats.sets);
                Ok(())
            }
            Err(()) => Err(CacheError::Backend("unexpected WRONGTYPE on SET".into())),
        }
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.full_key(key));
        match self.run::<u64>(&cmd).await? {
            Ok(n) => {
                if n > 0 {
                    bump(&self.stats.deletes);
                }
                Ok(n > 0)
            }
            Err(()) => Ok(false),
        }
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let cmd = redis::cmd("PING");
        self.run::<String>(&cmd).await.map(|_| ())
    }
}

/// A Redis L2 cache on one server (see the module docs). Cheap to share in an `Arc`.
pub struct RedisCache {
    core: Arc<Core<SingleConnector>>,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache")
            .field("url", &redact(&self.core.config.url))
            .field("key_prefix", &self.core.config.key_prefix)
            .field("breaker", &self.core.breaker.state())
            .finish()
    }
}

/// A client that could not be built, as a configuration error (the URL redacted).
fn client_error(config: &RedisConfig, e: ClientError) -> CacheError {
    match e {
        ClientError::TlsNeedsFeature => CacheError::Config(e.to_string()),
        ClientError::Redis(e) => CacheError::Config(format!("{}: {e}", redact(&config.url))),
    }
}

/// The URL with any password replaced by `***`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl RedisCache {
    /// A cache for `config`. Does not connect: an absent server is not an error here (the
    /// first operations fail fast and open the breaker). Fails only on an invalid URL
    /// (including `rediss://` without the `tls` feature).
    pub fn new(config: RedisConfig) -> Result<Self, CacheError> {
        let client = redis_conn::client(&config).map_err(|e| client_error(&config, e))?;
        let mc = redis_conn::manager_config(&config);
        Ok(RedisCache {
            core: Arc::new(Core::new(config, SingleConnector { client, config: mc })),
        })
    }

    /// `PING`, through the breaker (counts like any other operation).
    pub async fn ping(&self) -> Result<(), CacheError> {
        self.core.ping().await
    }

    /// The breaker's state.
    pub fn breaker_state(&self) -> BreakerState {
        self.core.breaker.state()
    }

    /// The configuration.
    pub fn config(&self) -> &RedisConfig {
        &self.core.config
    }
}

#[async_trait]
impl CacheBackend for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<FeatureVector>, CacheError> {
        self.core.get(key).await
    }
    async fn set(
        &self,
        key: &str,
        value: &FeatureVector,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        self.core.set(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.core.delete(key).await
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<FeatureVector>>, CacheError> {
        self.core.get_many(keys).await
    }
    fn stats(&self) -> CacheStats {
        self.core.stats.snapshot()
    }
    fn name(&self) -> &'static str {
        "redis"
    }
}

#[cfg(feature = "cluster")]
mod cluster {
    use super::*;
    use redis::cluster::ClusterClient;
    use redis::cluster_async::ClusterConnection;

    pub(super) struct ClusterConnector {
        pub(super) client: ClusterClient,
    }

    impl Connector for ClusterConnector {
        type Conn = ClusterConnection;
        fn connect(&self) -> impl Future<Output = Result<ClusterConnection, RedisError>> + Send {
            let client = self.client.clone();
            async move { client.get_async_connection().await }
        }
    }

    /// A Redis Cluster L2 cache (feature `cluster`): same behaviour as
    /// [`RedisCache`](super::RedisCache), with keys spread over the cluster's slots and `MGET`
    /// split per slot by the client. `RedisConfig::url` lists one or more seed nodes,
    /// comma-separated.
    pub struct RedisClusterCache {
        pub(super) core: Arc<Core<ClusterConnector>>,
    }

    impl std::fmt::Debug for RedisClusterCache {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RedisClusterCache")
                .field("nodes", &redact(&self.core.config.url))
                .field("breaker", &self.core.breaker.state())
                .finish()
        }
    }

    impl RedisClusterCache {
        /// A cluster cache for `config` (`url` = comma-separated seed nodes). Does not
        /// connect; fails only on invalid URLs.
        pub fn new(config: RedisConfig) -> Result<Self, CacheError> {
            let client =
                redis_conn::cluster_client(&config).map_err(|e| client_error(&config, e))?;
            Ok(RedisClusterCache {
                core: Arc::new(Core::new(config, ClusterConnector { client })),
            })
        }

        /// `PING` (to a random node), through the breaker.
        pub async fn ping(&self) -> Result<(), CacheError> {
            self.core.ping().await
        }

        /// The breaker's state.
        pub fn breaker_state(&self) -> BreakerState {
            self.core.breaker.state()
        }
    }

    #[async_trait]
    impl CacheBackend for RedisClusterCache {
        async fn get(&self, key: &str) -> Result<Option<FeatureVector>, CacheError> {
            self.core.get(key).await
        }
        async fn set(
            &self,
            key: &str,
            value: &FeatureVector,
            ttl: Option<Duration>,
        ) -> Result<(), CacheError> {
            self.core.set(key, value, ttl).await
        }
        async fn delete(&self, key: &str) -> Result<bool, CacheError> {
            self.core.delete(key).await
        }
        async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<FeatureVector>>, CacheError> {
            self.core.get_many(keys).await
        }
        fn stats(&self) -> CacheStats {
            self.core.stats.snapshot()
        }
        fn name(&self) -> &'static str {
            "redis-cluster"
        }
    }
}

#[cfg(feature = "cluster")]
pub use cluster::RedisClusterCache;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("redis://:secret@h:1/0"), "redis://:***@h:1/0");
        assert_eq!(redact("redis://user:secret@h"), "redis://user:***@h");
        assert_eq!(redact("redis://h:1"), "redis://h:1");
    }

    #[test]
    fn invalid_urls_are_config_errors() {
        assert!(matches!(
            RedisCache::new(RedisConfig::new("not a url")),
            Err(CacheError::Config(_))
        ));
        #[cfg(not(feature = "tls"))]
        assert!(matches!(
            RedisCache::new(RedisConfig::new("rediss://127.0.0.1:1")),
            Err(CacheError::Config(_))
        ));
    }

    #[test]
    fn breaker_opens_after_threshold_and_probes_after_cooldown() {
        let mut c = RedisConfig::new("redis://127.0.0.1:1");
        c.breaker_threshold = 2;
        c.breaker_cooldown = Duration::from_millis(30);
        let b = Breaker::new(&c);
        assert!(matches!(b.admit(), Admit::Yes));
        assert!(!b.failure(false));
        assert!(b.failure(false));
        assert!(matches!(b.admit(), Admit::No));
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        std::thread::sleep(Duration::from_millis(35));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(matches!(b.admit(), Admit::Probe));
        // Others stay out while the probe runs.
        assert!(matches!(b.admit(), Admit::No));
        // A failed probe doubles the cooldown.
        assert!(b.failure(true));
        match b.state() {
            BreakerState::Open { retry_in } => assert!(retry_in > Duration::from_millis(30)),
            s => panic!("{s:?}"),
        }
        b.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
