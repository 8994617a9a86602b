//! What a rule's `service` names, and `originRequest`, the settings it is reached with
//! (inherited from the top level, overridden per rule): HTTP(S) and unix-socket origins, raw TCP
//! services (`tcp://`, `ssh://`, `rdp://`, `smb://`, and any other scheme, as cloudflared does),
//! status answers and `hello_world`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;
use tether_runtime::config_error::ConfigError;

use super::origin::Origin;

/// `originRequest`, at the top level (inherited) or per rule. Durations are strings like `30s`.
/// An unknown key is a warning ([`crate::compat::no_effect_there`] for these keys written
/// elsewhere), set aside by
/// [`tether_runtime::unknown_keys`] before serde sees the rest.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawOriginRequest {
    connect_timeout: Option<String>,
    tls_timeout: Option<String>,
    tcp_keep_alive: Option<String>,
    keep_alive_connections: Option<usize>,
    keep_alive_timeout: Option<String>,
    http_host_header: Option<String>,
    origin_server_name: Option<String>,
    ca_pool: Option<String>,
    #[serde(rename = "noTLSVerify")]
    no_tls_verify: Option<bool>,
    disable_chunked_encoding: Option<bool>,
    /// https origins: the TLS server name is the request's Host (after `httpHostHeader`).
    #[serde(rename = "matchSNItoHost")]
    match_sni_to_host: Option<bool>,
    http2_origin: Option<bool>,
    /// `v2`: TCP services send a PROXY protocol v2 header first, so the origin sees the client.
    proxy_protocol: Option<String>,
    /// TCP services: close a connection after this long with no bytes either way.
    tcp_idle_timeout: Option<String>,
    // cloudflared keys without meaning here: accepted with a warning.
    no_happy_eyeballs: Option<yaml_serde::Value>,
    bastion_mode: Option<yaml_serde::Value>,
    proxy_address: Option<yaml_serde::Value>,
    proxy_port: Option<yaml_serde::Value>,
    proxy_type: Option<yaml_serde::Value>,
    ip_rules: Option<yaml_serde::Value>,
    access: Option<yaml_serde::Value>,
}

/// Effective origin settings of a rule (cloudflared's defaults).
#[derive(Debug, Clone)]
pub struct OriginRequest {
    pub connect_timeout: Duration,
    pub tls_timeout: Duration,
    pub tcp_keep_alive: Duration,
    pub keep_alive_connections: usize,
    pub keep_alive_timeout: Duration,
    pub http_host_header: Option<String>,
    pub origin_server_name: Option<String>,
    /// PEM file of CAs to trust for an https origin, besides the system's roots (as cloudflared).
    pub ca_pool: Option<std::path::PathBuf>,
    pub no_tls_verify: bool,
    /// Requests reach the origin with a Content-Length, never chunked (WSGI servers want this):
    /// a body without one is gathered first, up to 16 MiB (`UNCHUNKED_BODY_LIMIT`).
    pub disable_chunked_encoding: bool,
    /// https origins: send the request's Host as the TLS server name.
    pub match_sni_to_host: bool,
    pub http2_origin: bool,
    /// TCP services: send a PROXY protocol v2 header to the origin first.
    pub proxy_protocol: bool,
    /// TCP services: idle timeout; `None` (the default) never cuts a quiet connection, as SSH
    /// sessions and database pools expect.
    pub tcp_idle_timeout: Option<Duration>,
}

impl Default for OriginRequest {
    fn default() -> Self {
        OriginRequest {
            connect_timeout: Duration::from_secs(30),
            tls_timeout: Duration::from_secs(10),
            tcp_keep_alive: Duration::from_secs(30),
            keep_alive_connections: 100,
            keep_alive_timeout: Duration::from_secs(90),
            http_host_header: None,
            origin_server_name: None,
            ca_pool: None,
            no_tls_verify: false,
            disable_chunked_encoding: false,
            match_sni_to_host: false,
            http2_origin: false,
            proxy_protocol: false,
            tcp_idle_timeout: None,
        }
    }
}

impl OriginRequest {
    /// These settings overridden by `raw`; `at` is the key path of `raw` for error messages.
    pub fn merge(
        &self,
        raw: &RawOriginRequest,
        file: &str,
        text: &str,
        at: &[&str],
        warnings: &mut Vec<String>,
    ) -> Result<OriginRequest, ConfigError> {
        let duration = |key: &str,
                        value: &Option<String>,
                        current: Duration|
         -> Result<Duration, ConfigError> {
            match value {
                None => Ok(current),
                Some(v) => humantime::parse_duration(v).map_err(|e| {
                    let path: Vec<&str> = at.iter().copied().chain([key]).collect();
                    ConfigError::at(
                        file,
                        text,
                        &path,
                        format!("`{v}` is not a duration ({e}); write e.g. 30s or 1m30s"),
                    )
                }),
            }
        };
        refuse_what_would_be_lost(raw, file, text, at)?;
        for (key, present) in [
            ("noHappyEyeballs", raw.no_happy_eyeballs.is_some()),
            ("bastionMode", raw.bastion_mode.is_some()),
            ("proxyAddress", raw.proxy_address.is_some()),
            ("proxyPort", raw.proxy_port.is_some()),
            ("proxyType", raw.proxy_type.is_some()),
            ("access", raw.access.is_some()),
        ] {
            if present {
                let path: Vec<&str> = at.iter().copied().chain([key]).collect();
                let line = tether_runtime::config_error::locate(text, &path)
                    .map(|(l, _)| format!(":{l}"))
                    .unwrap_or_default();
                warnings.push(format!("{file}{line}: originRequest.{key} is a cloudflared setting that Tether does not use; it is ignored"));
            }
        }
        let base = Path::new(file).parent().unwrap_or(Path::new("."));
        Ok(OriginRequest {
            connect_timeout: duration(
                "connectTimeout",
                &raw.connect_timeout,
                self.connect_timeout,
            )?,
            tls_timeout: duration("tlsTimeout", &raw.tls_timeout, self.tls_timeout)?,
            tcp_keep_alive: duration("tcpKeepAlive", &raw.tcp_keep_alive, self.tcp_keep_alive)?,
            keep_alive_connections: raw
                .keep_alive_connections
                .unwrap_or(self.keep_alive_connections),
            keep_alive_timeout: duration(
                "keepAliveTimeout",
                &raw.keep_alive_timeout,
                self.keep_alive_timeout,
            )?,
            http_host_header: raw
                .http_host_header
                .clone()
                .or_else(|| self.http_host_header.clone()),
            origin_server_name: raw
                .origin_server_name
                .clone()
                .or_else(|| self.origin_server_name.clone()),
            ca_pool: raw
                .ca_pool
                .as_ref()
                .map(|p| base.join(p))
                .or_else(|| self.ca_pool.clone()),
            no_tls_verify: raw.no_tls_verify.unwrap_or(self.no_tls_verify),
            disable_chunked_encoding: raw
                .disable_chunked_encoding
                .unwrap_or(self.disable_chunked_encoding),
            match_sni_to_host: raw.match_sni_to_host.unwrap_or(self.match_sni_to_host),
            http2_origin: raw.http2_origin.unwrap_or(self.http2_origin),
            proxy_protocol: match raw.proxy_protocol.as_deref() {
                None => self.proxy_protocol,
                Some("v2") => true,
                Some("" | "none" | "off") => false,
                Some(other) => {
                    let path: Vec<&str> = at.iter().copied().chain(["proxyProtocol"]).collect();
                    return Err(ConfigError::at(
                        file,
                        text,
                        &path,
                        format!("`{other}` is not a PROXY protocol version Tether sends; write `v2` or `none`"),
                    ));
                }
            },
            tcp_idle_timeout: match &raw.tcp_idle_timeout {
                None => self.tcp_idle_timeout,
                Some(_) => Some(duration(
                    "tcpIdleTimeout",
                    &raw.tcp_idle_timeout,
                    Duration::ZERO,
                )?)
                .filter(|d| !d.is_zero()),
            },
        })
    }
}

/// cloudflared settings whose silent loss would open or change a service: errors naming the
/// edge-side setting that does the same job.
fn refuse_what_would_be_lost(
    raw: &RawOriginRequest,
    file: &str,
    text: &str,
    at: &[&str],
) -> Result<(), ConfigError> {
    let refuse = |key: &str, message: &str| {
        let path: Vec<&str> = at.iter().copied().chain([key]).collect();
        Err(ConfigError::at(file, text, &path, message))
    };
    if raw.bastion_mode.as_ref().and_then(|v| v.as_bool()) == Some(true) {
        return refuse("bastionMode", "`bastionMode: true`: Tether has no bastion mode; give each TCP service a rule of its own (`service: tcp://HOST:PORT`), reach it with `connector access tcp`, and remove bastionMode");
    }
    if raw.ip_rules.is_some() {
        return refuse("ipRules", "`ipRules` limit where cloudflared's socks-proxy may connect, and Tether has no SOCKS proxy; to limit which clients reach a hostname, put `client-ip-rules` in a route policy file and apply it at the edge with `edge tunnel route policy HOSTNAME --file policy.yml` (docs/security.md), then remove ipRules");
    }
    let required = raw
        .access
        .as_ref()
        .and_then(|a| a.get("required"))
        .and_then(|v| v.as_bool());
    if required == Some(true) {
        let path: Vec<&str> = at.iter().copied().chain(["access"]).collect();
        return Err(ConfigError::at(file, text, &path, "`access: required: true` checks Cloudflare Access tokens, which no Tether edge issues; protect the hostname at the edge instead, with a `policy:` (jwt, oidc, basic, bearer or mtls) in a route policy file applied by `edge tunnel route policy HOSTNAME --file policy.yml` (docs/security.md), then remove `access`"));
    }
    Ok(())
}

/// What a rule sends matching requests to.
#[derive(Debug, Clone)]
pub enum Service {
    /// `http://`, `https://` (`ws://`, `wss://`), `unix:`, `unix+tls:`: a pooled origin.
    Origin(Arc<Origin>),
    /// `http_status:NNN`: answer with this status and no body.
    Status(StatusCode),
    /// `hello_world`: a built-in page that shows the request, for trying a tunnel out.
    HelloWorld,
    /// `tcp://`, `ssh://`, `rdp://`, `smb://`, any other scheme: raw TCP to HOST:PORT.
    Tcp(Arc<TcpOrigin>),
}

/// A raw TCP service.
#[derive(Debug)]
pub struct TcpOrigin {
    /// `HOST:PORT`, resolved at each connection (the origin may move).
    pub address: String,
    pub settings: OriginRequest,
}
