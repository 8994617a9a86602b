//! edge.yml: parsed strictly (unknown keys are errors, all reported at once), then validated
//! into [`EdgeConfig`].
//! Loading binds nothing and creates nothing; every error names the file, line and fix.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use ipnet::IpNet;
use tether_runtime::config_error::ConfigError;

mod acme;
mod admin;
pub mod boot;
mod limits;
mod listen;
mod raw;
mod store;

pub use acme::{
    AcmeConfig, ChallengeKind, Eab, DEFAULT_ORDER_INTERVAL, LETSENCRYPT, LETSENCRYPT_STAGING,
};
pub use admin::{AdminConfig, AdminTls, DEFAULT_ADMIN_LISTEN};
pub use limits::{RateLimit, StreamLimits, DEFAULT_RATE_LIMIT, DEFAULT_STREAM_LIMITS};
pub use listen::Listen;
use listen::{advertise, listen};
use raw::{Fields, Raw};
pub use store::{EtcdSettings, EtcdTls, StoreConfig, DEFAULT_LEASE_TTL, DEFAULT_STALE_LIMIT};

/// A configured certificate and key, both PEM files.
#[derive(Debug, Clone)]
pub struct CertificateFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// The file this came from, for messages.
    pub source: PathBuf,
    /// Holds the embedded store (and, from before the CA moved into the store, its files);
    /// shared by `edge run` and the CLI.
    pub state_dir: PathBuf,
    /// Where the state lives: SQLite in `state_dir` (the default) or etcd (`store:`).
    pub store: StoreConfig,
    /// Without the store for this long, an edge refuses new tunnel sessions (a revoked key must
    /// not work forever); those it has keep going (`store-stale-limit`).
    pub store_stale_limit: Duration,
    /// This edge's own hostname; connectors may reach the tunnel endpoint through the public HTTPS
    /// listener at this name.
    pub public_hostname: Option<String>,
    /// Names this edge in the store; defaults to the tunnel address it advertises, else (empty
    /// here) the address its tunnel listener is bound to, filled in by `server::run`, so two
    /// edges on one host never share a name.
    pub edge_id: String,
    pub listen: Listen,
    /// `host:port` connectors dial; written into credentials files.
    pub advertise_tunnel: Option<String>,
    /// The TLS name in the tunnel listener's certificate.
    pub server_name: String,
    /// The advertised tunnel endpoint has a certificate from a public CA (e.g. `advertise.tunnel`
    /// is the public HTTPS port): credentials then pin no CA and connectors use the system roots.
    pub public_certificate: bool,
    /// Public IPs of this edge (for DNS, later).
    pub addresses: Vec<IpAddr>,
    pub certificates: Vec<CertificateFiles>,
    pub dev_ca: bool,
    /// Certificates from an ACME CA for the routed hostnames (`tls.acme`).
    pub acme: Option<AcmeConfig>,
    pub http_redirect: bool,
    pub response_header_timeout: Duration,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    /// A tunnel session that answers no PING and sends nothing for this long is dead (`liveness-timeout`).
    pub liveness_timeout: Duration,
    /// How long the edge's own drain may take before it closes what is left (`grace-period`).
    pub grace_period: Duration,
    pub max_request_body: Option<u64>,
    pub max_concurrent_streams: u32,
    /// TCP connections the edge's listeners hold at once, in all and per client address
    /// (`max-connections`, `max-connections-per-ip`); read at start.
    pub max_connections: u32,
    pub max_connections_per_ip: u32,
    /// Public requests per client address (`rate-limit`); a route's `limits` replace it.
    pub rate_limit: RateLimit,
    /// The slow-client limits on public streams.
    pub streams: StreamLimits,
    /// Peers whose X-Forwarded-For / Forwarded headers are kept; everyone else's are replaced.
    pub trusted_proxies: Vec<IpNet>,
    /// `compat-headers: cloudflare`: requests to origins carry CF-Connecting-IP,
    /// CF-Connecting-IPv6 and CF-Visitor as Cloudflare's edge sends them (off by default).
    pub cloudflare_headers: bool,
    /// Load balancers whose PROXY protocol header (v1 or v2) names the real client
    /// (`proxy-protocol.trusted`); nobody else's is read.
    pub proxy_protocol: Vec<IpNet>,
    /// Methods besides GET, HEAD and OPTIONS that may be sent again on another session when
    /// the first died before answering (`retry-methods`).
    pub retry_methods: Vec<http::Method>,
    /// Hosted zones, served by `listen.dns` or by the standalone `dns run`; also tells
    /// `edge tunnel route dns` which records it creates itself.
    pub dns: Option<tether_dns::config::DnsConfig>,
    /// The admin API and dashboard (`admin:`); off when absent.
    pub admin: Option<AdminConfig>,
}

impl EdgeConfig {
    pub fn load(path: &Path) -> Result<EdgeConfig, ConfigError> {
        let file = path.display().to_string();
        let text = tether_runtime::small_file::read_to_string(path)
            .map_err(|e| ConfigError::file(&file, format!("cannot read config file: {e}")))?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<EdgeConfig, ConfigError> {
        let file = path.display().to_string();
        // Every unknown key in one pass: edge.yml is Tether's own file, so each is an error.
        let parsed = tether_runtime::unknown_keys::parse::<Raw>(&file, text)?;
        let unknown = parsed.unknown.into_iter().map(|u| u.error).collect();
        if let Some(error) = tether_runtime::unknown_keys::combined(unknown) {
            return Err(error);
        }
        let raw = parsed.value;
        let at = Fields { path, text };
        // In the order of the file's sections, so that of several errors the first is reported.
        let store = store::store(&at, &raw.store)?;
        let store_stale_limit = at.duration(
            "store-stale-limit",
            &raw.store_stale_limit,
            DEFAULT_STALE_LIMIT,
        )?;
        let admin = admin::admin(&at, &raw)?;
        let mut listen = listen(&at, &raw)?;
        listen.admin = admin.as_ref().map(|a| a.listen);
        let (advertise_tunnel, addresses) = advertise(&at, &raw, &listen)?;
        let trusted_proxies = networks(&at, &["trusted-proxies"], &raw.trusted_proxies)?;
        let cloudflare_headers = match raw.compat_headers.as_deref() {
            None | Some("none") => false,
            Some("cloudflare") => true,
            Some(other) => {
                return Err(at.err(
                    &["compat-headers"],
                    format!("`{other}` is not a header set the edge knows; write `cloudflare` (CF-Connecting-IP, CF-Connecting-IPv6, CF-Visitor) or `none`"),
                ))
            }
        };
        let proxy_protocol = networks(
            &at,
            &["proxy-protocol", "trusted"],
            &raw.proxy_protocol.trusted,
        )?;
        let liveness_timeout = liveness_timeout(&at, &raw)?;
        let grace_period =
            at.duration("grace-period", &raw.grace_period, Duration::from_secs(30))?;
        let retry_methods = retry_methods(&at, &raw)?;
        let dns = dns(&at, &raw, &listen)?;
        let acme = acme::acme(&at, &raw, &listen)?;
        let certificates = certificates(&at, &raw, &listen, acme.is_some())?;
        let edge_id = raw
            .edge_id
            .clone()
            .or(advertise_tunnel.clone())
            .unwrap_or_default();
        Ok(EdgeConfig {
            source: path.to_path_buf(),
            state_dir: at.relative(raw.state_dir.as_deref().unwrap_or(".tether/edge")),
            store,
            store_stale_limit,
            public_hostname: raw.public_hostname.as_ref().map(|h| h.to_ascii_lowercase()),
            edge_id,
            listen,
            advertise_tunnel,
            server_name: raw
                .advertise
                .server_name
                .clone()
                .unwrap_or_else(|| "tunnel.tether.internal".into()),
            public_certificate: raw.advertise.public_certificate,
            addresses,
            certificates,
            dev_ca: raw.tls.dev_ca,
            acme,
            http_redirect: raw.http_redirect,
            response_header_timeout: at.duration(
                "response-header-timeout",
                &raw.response_header_timeout,
                Duration::from_secs(100),
            )?,
            header_read_timeout: at.duration(
                "header-read-timeout",
                &raw.header_read_timeout,
                Duration::from_secs(30),
            )?,
            idle_timeout: at.duration(
                "idle-timeout",
                &raw.idle_timeout,
                Duration::from_secs(300),
            )?,
            liveness_timeout,
            grace_period,
            max_request_body: raw.max_request_body,
            max_concurrent_streams: raw.max_concurrent_streams.unwrap_or(10_000),
            max_connections: at.positive("max-connections", raw.max_connections, 16_384)?,
            max_connections_per_ip: at.positive(
                "max-connections-per-ip",
                raw.max_connections_per_ip,
                256,
            )?,
            rate_limit: limits::rate_limit(&at, &raw)?,
            streams: limits::stream_limits(&at, &raw)?,
            trusted_proxies,
            cloudflare_headers,
            proxy_protocol,
            retry_methods,
            dns,
            admin,
        })
    }

    /// The public hostname when its certificate comes from the tunnel CA: connectors that dial
    /// it pin that CA unless `advertise.public-certificate` says otherwise, and `tls.dev-ca`
    /// issues it one anyway. It then gets no ACME certificate.
    pub fn pinned_public_hostname(&self) -> Option<&str> {
        self.public_hostname
            .as_deref()
            .filter(|_| self.dev_ca || !self.public_certificate)
    }

    /// Whether a request with `method` may be sent a second time, on another session, after the
    /// first session died before answering: the safe methods, and those `retry-methods` adds.
    pub fn is_replayable(&self, method: &http::Method) -> bool {
        matches!(
            *method,
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        ) || self.retry_methods.contains(method)
    }
}

fn certificates(
    at: &Fields,
    raw: &Raw,
    listen: &Listen,
    acme: bool,
) -> Result<Vec<CertificateFiles>, ConfigError> {
    let certificates = raw
        .tls
        .certificates
        .iter()
        .map(|c| CertificateFiles {
            cert: at.relative(&c.cert),
            key: at.relative(&c.key),
        })
        .collect::<Vec<_>>();
    if listen.https.is_some() && certificates.is_empty() && !raw.tls.dev_ca && !acme {
        return Err(at.err(&["tls"], "the HTTPS listener has no certificate: set tls.acme (certificates from Let's Encrypt or another ACME CA), list tls.certificates, or set tls.dev-ca: true for testing".into()));
    }
    Ok(certificates)
}

fn dns(
    at: &Fields,
    raw: &Raw,
    listen: &Listen,
) -> Result<Option<tether_dns::config::DnsConfig>, ConfigError> {
    let dns = match &raw.dns {
        Some(d) => Some(tether_dns::config::DnsConfig::from_raw(d, &|keys, msg| {
            at.err(&[&["dns"], keys].concat(), msg)
        })?),
        None => None,
    };
    if listen.dns.is_some() && dns.is_none() {
        return Err(at.err(
            &["listen", "dns"],
            "listen.dns needs a `dns:` section naming the zones to serve (see docs/dns.md)".into(),
        ));
    }
    Ok(dns)
}

fn liveness_timeout(at: &Fields, raw: &Raw) -> Result<Duration, ConfigError> {
    let timeout = at.duration(
        "liveness-timeout",
        &raw.liveness_timeout,
        tether_transport::liveness::DEFAULT_TIMEOUT,
    )?;
    if timeout < Duration::from_millis(100) {
        return Err(at.err(
            &["liveness-timeout"],
            "liveness-timeout must be at least 100ms".into(),
        ));
    }
    Ok(timeout)
}

/// A list of IPs or CIDRs at `keys`.
fn networks(at: &Fields, keys: &[&str], list: &[String]) -> Result<Vec<IpNet>, ConfigError> {
    let mut trusted = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let idx = i.to_string();
        let net = p
            .parse::<IpNet>()
            .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| {
                at.err(
                    &[keys, &[idx.as_str()]].concat(),
                    format!("`{p}` is not an IP or CIDR"),
                )
            })?;
        trusted.push(net);
    }
    Ok(trusted)
}

fn retry_methods(at: &Fields, raw: &Raw) -> Result<Vec<http::Method>, ConfigError> {
    let mut methods = Vec::new();
    for (i, m) in raw.retry_methods.iter().enumerate() {
        let idx = i.to_string();
        let method = http::Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .ok()
            .filter(|_| !m.is_empty() && !m.eq_ignore_ascii_case("CONNECT"))
            .ok_or_else(|| {
                at.err(
                    &["retry-methods", &idx],
                    format!(
                        "`{m}` is not an HTTP method that can be retried; write e.g. PUT or DELETE"
                    ),
                )
            })?;
        methods.push(method);
    }
    Ok(methods)
}

/// The configuration in force, shared by every room: swapped whole when edge.yml is reloaded
/// (`reload.rs`), so a request reads one consistent snapshot.
#[derive(Clone)]
pub struct LiveConfig(Arc<ArcSwap<EdgeConfig>>);

impl LiveConfig {
    pub fn new(config: EdgeConfig) -> LiveConfig {
        LiveConfig(Arc::new(ArcSwap::from_pointee(config)))
    }

    /// The configuration in force now.
    pub fn get(&self) -> arc_swap::Guard<Arc<EdgeConfig>> {
        self.0.load()
    }

    /// The configuration in force now, kept whole by a request for as long as it runs.
    pub fn snapshot(&self) -> Arc<EdgeConfig> {
        self.0.load_full()
    }

    /// Puts a reloaded configuration in force for what follows.
    pub fn set(&self, config: EdgeConfig) {
        self.0.store(Arc::new(config));
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
