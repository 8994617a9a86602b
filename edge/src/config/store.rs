//! `store:` in edge.yml: absent or `sqlite` (the embedded store in `state-dir`), or an `etcd:`
//! section for edges on many machines; and `store-stale-limit`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tether_runtime::config_error::ConfigError;

use super::raw::Fields;

/// Which store edge.yml's `store:` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// `state.db` in the state directory (the default).
    Sqlite,
    Etcd(EtcdSettings),
}

impl StoreConfig {
    /// How long an edge's presence rows outlive it.
    pub fn lease_ttl(&self) -> Duration {
        match self {
            StoreConfig::Sqlite => DEFAULT_LEASE_TTL,
            StoreConfig::Etcd(etcd) => etcd.lease_ttl,
        }
    }
}

/// `store: etcd:` in edge.yml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdSettings {
    /// `http://host:port` or `https://host:port` (plain `host:port` is http, or https with `tls`).
    pub endpoints: Vec<String>,
    /// Every key of this cluster starts with it, so several clusters can share one etcd.
    pub prefix: String,
    pub tls: Option<EtcdTls>,
    /// etcd's own authentication (`username`/`password`).
    pub user: Option<(String, String)>,
    /// How long an edge's presence rows outlive it (`lease-ttl`).
    pub lease_ttl: Duration,
}

/// `store.etcd.tls`: the CA that signs etcd's certificates and, for client-certificate
/// authentication, this edge's certificate and key (all PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdTls {
    pub ca: PathBuf,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    etcd: RawEtcd,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawEtcd {
    endpoints: Vec<String>,
    prefix: Option<String>,
    tls: Option<RawEtcdTls>,
    username: Option<String>,
    password: Option<String>,
    lease_ttl: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEtcdTls {
    ca: String,
    cert: Option<String>,
    key: Option<String>,
}

/// How long presence rows outlive a dead edge when edge.yml does not say (`lease-ttl`).
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(10);

/// How long an edge that cannot reach its store keeps accepting new tunnel sessions.
pub const DEFAULT_STALE_LIMIT: Duration = Duration::from_secs(600);

pub(super) fn store(
    at: &Fields,
    value: &Option<yaml_serde::Value>,
) -> Result<StoreConfig, ConfigError> {
    const FIX: &str = "write `store: sqlite` (the default), or `store:` with an `etcd:` section \
                       (endpoints, prefix, tls, username, password, lease-ttl); see \
                       docs/configuration.md";
    let value = match value {
        None | Some(yaml_serde::Value::Null) => return Ok(StoreConfig::Sqlite),
        Some(yaml_serde::Value::String(name)) if name == "sqlite" => {
            return Ok(StoreConfig::Sqlite)
        }
        Some(yaml_serde::Value::String(name)) => {
            return Err(at.err(&["store"], format!("`{name}` is not a store: {FIX}")))
        }
        Some(v) => v.clone(),
    };
    let raw: RawSection =
        yaml_serde::from_value(value).map_err(|e| at.err(&["store"], format!("{e}: {FIX}")))?;
    let etcd = raw.etcd;
    let keys = |k: &'static str| ["store", "etcd", k];
    if etcd.endpoints.is_empty() {
        return Err(at.err(
            &keys("endpoints"),
            "list at least one etcd endpoint, e.g. [http://127.0.0.1:2379]".into(),
        ));
    }
    let user = match (etcd.username, etcd.password) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        _ => {
            return Err(at.err(
                &["store", "etcd"],
                "set both username and password, or neither".into(),
            ))
        }
    };
    let tls = match etcd.tls {
        Some(t) if t.cert.is_some() != t.key.is_some() => {
            return Err(at.err(
                &keys("tls"),
                "tls needs both cert and key (client certificate), or neither".into(),
            ))
        }
        Some(t) => Some(EtcdTls {
            ca: at.relative(&t.ca),
            cert: t.cert.as_deref().map(|p| at.relative(p)),
            key: t.key.as_deref().map(|p| at.relative(p)),
        }),
        None => None,
    };
    let lease_ttl = at.duration_at(&keys("lease-ttl"), &etcd.lease_ttl, DEFAULT_LEASE_TTL)?;
    if lease_ttl < Duration::from_secs(2) {
        return Err(at.err(
            &keys("lease-ttl"),
            "lease-ttl must be at least 2s (etcd counts it in whole seconds)".into(),
        ));
    }
    let mut prefix = etcd.prefix.unwrap_or_else(|| "/tether/".into());
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    Ok(StoreConfig::Etcd(EtcdSettings {
        endpoints: etcd.endpoints,
        prefix,
        tls,
        user,
        lease_ttl,
    }))
}

#[cfg(test)]
mod tests {
    use crate::config::{EdgeConfig, StoreConfig};
    use std::path::Path;
    use std::time::Duration;

    fn parse(text: &str) -> Result<EdgeConfig, tether_runtime::config_error::ConfigError> {
        EdgeConfig::parse(
            Path::new("/etc/tether/edge.yml"),
            &format!("listen:\n  http: 127.0.0.1:0\n{text}"),
        )
    }

    #[test]
    fn absent_or_sqlite_is_the_embedded_store() {
        assert_eq!(parse("").unwrap().store, StoreConfig::Sqlite);
        assert_eq!(parse("store: sqlite\n").unwrap().store, StoreConfig::Sqlite);
    }

    #[test]
    fn an_etcd_section_gets_defaults() {
        let c = parse("store:\n  etcd:\n    endpoints: [http://127.0.0.1:2379]\n").unwrap();
        let StoreConfig::Etcd(etcd) = c.store else {
            panic!("not etcd")
        };
        assert_eq!(etcd.prefix, "/tether/");
        assert_eq!(etcd.lease_ttl, Duration::from_secs(10));
        assert!(etcd.tls.is_none() && etcd.user.is_none());
        assert_eq!(c.store_stale_limit, Duration::from_secs(600));
    }

    #[test]
    fn etcd_mistakes_name_their_line() {
        let e = parse("store: mysql\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("etcd:"), "{e}");
        let e = parse("store:\n  etcd:\n    endpoints: []\n").unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        let e = parse("store:\n  etcd:\n    endpoints: [a:1]\n    lease-ttl: 1s\n").unwrap_err();
        assert_eq!(e.line, Some(6), "{e}");
        let e = parse("store:\n  etcd:\n    endpoints: [a:1]\n    username: u\n").unwrap_err();
        assert!(e.message.contains("password"), "{e}");
        let e = parse("store:\n  etcd:\n    endpoint: [a:1]\n").unwrap_err();
        assert!(e.message.contains("endpoint"), "{e}");
    }
}
