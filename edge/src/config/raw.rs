//! edge.yml as serde reads it (unknown keys are errors), and [`Fields`], which turns a raw value
//! into a typed one or an error naming the file, the line of its key and the fix.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tether_runtime::config_error::ConfigError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Raw {
    pub(super) state_dir: Option<String>,
    pub(super) store: Option<yaml_serde::Value>,
    pub(super) store_stale_limit: Option<String>,
    pub(super) public_hostname: Option<String>,
    pub(super) edge_id: Option<String>,
    #[serde(default)]
    pub(super) listen: RawListen,
    #[serde(default)]
    pub(super) advertise: RawAdvertise,
    #[serde(default)]
    pub(super) tls: RawTls,
    #[serde(default)]
    pub(super) http_redirect: bool,
    pub(super) response_header_timeout: Option<String>,
    pub(super) header_read_timeout: Option<String>,
    pub(super) idle_timeout: Option<String>,
    pub(super) liveness_timeout: Option<String>,
    pub(super) grace_period: Option<String>,
    pub(super) max_request_body: Option<u64>,
    pub(super) max_concurrent_streams: Option<u32>,
    pub(super) max_connections: Option<u32>,
    pub(super) max_connections_per_ip: Option<u32>,
    pub(super) body_read_timeout: Option<String>,
    pub(super) send_timeout: Option<String>,
    pub(super) stream_idle_timeout: Option<String>,
    pub(super) max_streams_per_connection: Option<u32>,
    pub(super) max_stalled_streams_per_client: Option<u32>,
    pub(super) max_stalled_memory: Option<yaml_serde::Value>,
    #[serde(default)]
    pub(super) rate_limit: RawRateLimit,
    #[serde(default)]
    pub(super) trusted_proxies: Vec<String>,
    /// `cloudflare`: the headers Cloudflare's edge sends origins (CF-Connecting-IP, …).
    pub(super) compat_headers: Option<String>,
    #[serde(default)]
    pub(super) proxy_protocol: RawProxyProtocol,
    #[serde(default)]
    pub(super) retry_methods: Vec<String>,
    pub(super) dns: Option<tether_dns::config::RawDns>,
    pub(super) admin: Option<super::admin::RawAdmin>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProxyProtocol {
    #[serde(default)]
    pub(super) trusted: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRateLimit {
    pub(super) requests_per_second: Option<u32>,
    pub(super) burst: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawListen {
    pub(super) http: Option<String>,
    pub(super) https: Option<String>,
    pub(super) tunnel: Option<String>,
    pub(super) dns: Option<String>,
    pub(super) metrics: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawAdvertise {
    pub(super) tunnel: Option<String>,
    pub(super) server_name: Option<String>,
    #[serde(default)]
    pub(super) addresses: Vec<String>,
    #[serde(default)]
    pub(super) public_certificate: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawTls {
    #[serde(default)]
    pub(super) certificates: Vec<RawCertificate>,
    #[serde(default)]
    pub(super) dev_ca: bool,
    pub(super) acme: Option<super::acme::RawAcme>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCertificate {
    pub(super) cert: String,
    pub(super) key: String,
}

/// Where the raw values come from: the file (for messages and relative paths) and its text (for
/// the line of a key).
pub(super) struct Fields<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl Fields<'_> {
    /// An error at the key `keys` (a path into the YAML).
    pub(super) fn err(&self, keys: &[&str], msg: String) -> ConfigError {
        ConfigError::at(&self.path.display().to_string(), self.text, keys, msg)
    }

    pub(super) fn addr(
        &self,
        keys: &[&str],
        value: &Option<String>,
    ) -> Result<Option<SocketAddr>, ConfigError> {
        value
            .as_deref()
            .map(|v| {
                v.parse::<SocketAddr>().map_err(|_| {
                    self.err(keys, format!("`{v}` is not an address; write IP:PORT, e.g. 127.0.0.1:8443 (port 0 picks a free port)"))
                })
            })
            .transpose()
    }

    pub(super) fn duration(
        &self,
        key: &str,
        value: &Option<String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        self.duration_at(&[key], value, default)
    }

    /// A duration at a nested key (`keys` is its path).
    pub(super) fn duration_at(
        &self,
        keys: &[&str],
        value: &Option<String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match value {
            None => Ok(default),
            Some(v) => humantime::parse_duration(v).map_err(|e| {
                self.err(
                    keys,
                    format!("`{v}` is not a duration ({e}); write e.g. 100s, 5m or 250ms"),
                )
            }),
        }
    }

    /// A size in bytes: a number, or a string such as `512MiB` or `1 GiB`; `default` when absent.
    pub(super) fn bytes(
        &self,
        key: &str,
        value: &Option<yaml_serde::Value>,
        default: u64,
    ) -> Result<u64, ConfigError> {
        let bad = |v: &dyn std::fmt::Display| {
            self.err(
                &[key],
                format!("`{v}` is not a size; write bytes, or e.g. 512MiB or 1GiB"),
            )
        };
        match value {
            None => Ok(default),
            Some(yaml_serde::Value::Number(n)) => n.as_u64().ok_or_else(|| bad(n)),
            Some(yaml_serde::Value::String(v)) => v
                .parse::<bytesize::ByteSize>()
                .map(|b| b.as_u64())
                .map_err(|_| bad(v)),
            Some(other) => Err(bad(&format!("{other:?}"))),
        }
    }

    /// A count that must be at least 1, `default` when absent.
    pub(super) fn positive(
        &self,
        key: &str,
        value: Option<u32>,
        default: u32,
    ) -> Result<u32, ConfigError> {
        match value {
            None => Ok(default),
            Some(0) => Err(self.err(
                &[key],
                format!("{key} is 0, which would refuse everything; write at least 1 (default {default})"),
            )),
            Some(n) => Ok(n),
        }
    }

    /// A path in the file, relative to the file's folder.
    pub(super) fn relative(&self, p: &str) -> PathBuf {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }
}
