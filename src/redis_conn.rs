//! From a [`RedisConfig`] to redis-rs clients and connections (feature `redis`).
//!
//! The one place where cadfeat reads a [`RedisConfig`]'s URL, TLS settings and timeouts, so that
//! the L2 cache ([`RedisCache`](crate::cache::RedisCache), asynchronous, and with the `cluster`
//! feature `RedisClusterCache`) and the index ([`RedisIndex`](crate::index::RedisIndex),
//! synchronous) accept the same URLs and certificates and bound their work the same way:
//!
//! * **URL**: `redis://…`, `redis+unix://…`, and `rediss://…` with the `tls` feature (without
//!   it redis-rs refuses such a URL); a cluster's URL is a comma-separated list of seed nodes.
//! * **TLS**: [`RedisConfig::tls_root_cert_pem`] replaces the trusted roots by a private CA; it
//!   needs the `tls` feature ([`ClientError::TlsNeedsFeature`] without it). With the `tls`
//!   feature, building a client also makes ring the process' rustls crypto provider unless the
//!   application installed one ([`install_tls_provider`]).
//! * **Timeouts**: [`RedisConfig::connect_timeout`] bounds connecting and
//!   [`RedisConfig::command_timeout`] one command (read and write of a synchronous
//!   connection, the response of an asynchronous one).
//!
//! Building a client does not connect: only the URL is checked.

use std::time::Duration;

use redis::aio::ConnectionManagerConfig;
use redis::{Connection, RedisError};

use crate::cache::RedisConfig;

/// Why a client could not be built from a [`RedisConfig`].
#[derive(Debug)]
pub(crate) enum ClientError {
    /// [`RedisConfig::tls_root_cert_pem`] is set but cadfeat was built without `tls`.
    #[cfg_attr(
        feature = "tls",
        expect(dead_code, reason = "only built without `tls`")
    )]
    TlsNeedsFeature,
    /// redis-rs refused the URL (malformed, or `rediss://` without the `tls` feature).
    Redis(RedisError),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::TlsNeedsFeature => {
                f.write_str("tls_root_cert_pem needs cadfeat's `tls` feature")
            }
            ClientError::Redis(e) => e.fmt(f),
        }
    }
}

/// With the `tls` feature: makes ring the process-wide rustls crypto provider unless the
/// application installed one already (redis-rs needs one for `rediss://`).
pub(crate) fn install_tls_provider() {
    #[cfg(feature = "tls")]
    {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    }
}

/// The private CA to trust; without the `tls` feature there is none to hold (`Infallible`).
#[cfg(feature = "tls")]
type PrivateCa = redis::TlsCertificates;
#[cfg(not(feature = "tls"))]
type PrivateCa = std::convert::Infallible;

/// [`RedisConfig::tls_root_cert_pem`] as redis-rs certificates (roots only, no client
/// certificate); `None` when unset.
fn private_ca(config: &RedisConfig) -> Result<Option<PrivateCa>, ClientError> {
    match &config.tls_root_cert_pem {
        None => Ok(None),
        #[cfg(feature = "tls")]
        Some(pem) => Ok(Some(redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.clone()),
        })),
        #[cfg(not(feature = "tls"))]
        Some(_) => Err(ClientError::TlsNeedsFeature),
    }
}

/// A client for the one server of `config.url`, trusting `config.tls_root_cert_pem` when set.
/// Does not connect.
pub(crate) fn client(config: &RedisConfig) -> Result<redis::Client, ClientError> {
    install_tls_provider();
    let client = match private_ca(config)? {
        None => redis::Client::open(config.url.as_str()),
        #[cfg(feature = "tls")]
        Some(ca) => redis::Client::build_with_tls(config.url.as_str(), ca),
    };
    client.map_err(ClientError::Redis)
}

/// A cluster client for the comma-separated seed nodes of `config.url`, with the connect and
/// response timeouts of `config`, one retry, and `config.tls_root_cert_pem` trusted when set.
/// Does not connect.
#[cfg(feature = "cluster")]
pub(crate) fn cluster_client(
    config: &RedisConfig,
) -> Result<redis::cluster::ClusterClient, ClientError> {
    install_tls_provider();
    let nodes: Vec<String> = config
        .url
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let builder = redis::cluster::ClusterClient::builder(nodes)
        .connection_timeout(config.connect_timeout)
        .response_timeout(config.command_timeout)
        .retries(1);
    let builder = match private_ca(config)? {
        None => builder,
        #[cfg(feature = "tls")]
        Some(ca) => builder.certs(ca),
    };
    builder.build().map_err(ClientError::Redis)
}

/// The settings of the cache's asynchronous connection manager: `config`'s connect and
/// response timeouts, no retries of its own (the cache's circuit breaker decides when to try
/// again), reconnect delays from 10 ms up to `config.breaker_cooldown`.
pub(crate) fn manager_config(config: &RedisConfig) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.command_timeout))
        .set_number_of_retries(0)
        .set_min_delay(Duration::from_millis(10))
        .set_max_delay(config.breaker_cooldown)
}

/// A synchronous connection of `client` (the index's), opened within `config.connect_timeout`,
/// every read and write bounded by `config.command_timeout`.
pub(crate) fn sync_connection(
    client: &redis::Client,
    config: &RedisConfig,
) -> Result<Connection, RedisError> {
    let c = client.get_connection_with_timeout(config.connect_timeout)?;
    c.set_read_timeout(Some(config.command_timeout))?;
    c.set_write_timeout(Some(config.command_timeout))?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_without_connecting() {
        // Port 1: nothing listens there, and building a client must not try.
        assert!(client(&RedisConfig::new("redis://127.0.0.1:1/0")).is_ok());
        assert!(matches!(
            client(&RedisConfig::new("not a url")),
            Err(ClientError::Redis(_))
        ));
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn a_private_ca_needs_the_tls_feature() {
        let mut c = RedisConfig::new("redis://127.0.0.1:1/0");
        c.tls_root_cert_pem = Some(b"-----BEGIN CERTIFICATE-----".to_vec());
        let e = client(&c).err();
        assert!(matches!(e, Some(ClientError::TlsNeedsFeature)));
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("tls_root_cert_pem needs cadfeat's `tls` feature")
        );
    }
}
