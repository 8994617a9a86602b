//! Ingress rules: which origin serves a request the edge sent to this tunnel. Checked top to
//! bottom; the first rule whose hostname and path match wins; the last rule must match everything.
//! The shape and semantics follow cloudflared's `ingress` so existing files keep working.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use regex::Regex;
use serde::Deserialize;
use tether_proto::config_error::ConfigError;

use crate::origin::Origin;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    hostname: Option<String>,
    path: Option<String>,
    service: Option<String>,
    #[serde(rename = "originRequest", default)]
    origin_request: RawOriginRequest,
}

/// `originRequest`, at the top level (inherited) or per rule. Durations are strings like `30s`.
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
    http2_origin: Option<bool>,
    /// `v2`: TCP services send a PROXY protocol v2 header first, so the origin sees the client.
    proxy_protocol: Option<String>,
    /// TCP services: close a connection after this long with no bytes either way.
    tcp_idle_timeout: Option<String>,
    // cloudflared keys without meaning here: accepted with a warning.
    no_happy_eyeballs: Option<yaml_serde::Value>,
    #[serde(rename = "matchSNItoHost")]
    match_sni_to_host: Option<yaml_serde::Value>,
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
    /// PEM file of CAs to trust for an https origin (in addition to none: it replaces the system roots).
    pub ca_pool: Option<std::path::PathBuf>,
    pub no_tls_verify: bool,
    pub disable_chunked_encoding: bool,
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
        for (key, present) in [
            ("noHappyEyeballs", raw.no_happy_eyeballs.is_some()),
            ("matchSNItoHost", raw.match_sni_to_host.is_some()),
            ("bastionMode", raw.bastion_mode.is_some()),
            ("proxyAddress", raw.proxy_address.is_some()),
            ("proxyPort", raw.proxy_port.is_some()),
            ("proxyType", raw.proxy_type.is_some()),
            ("ipRules", raw.ip_rules.is_some()),
            ("access", raw.access.is_some()),
        ] {
            if present {
                let path: Vec<&str> = at.iter().copied().chain([key]).collect();
                let line = tether_proto::config_error::locate(text, &path)
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

/// What a rule sends matching requests to.
#[derive(Debug, Clone)]
pub enum Service {
    /// `http://`, `https://`, `unix:`, `unix+tls:`: a pooled origin.
    Origin(Arc<Origin>),
    /// `http_status:NNN`: answer with this status and no body.
    Status(StatusCode),
    /// `hello_world`: a built-in page that shows the request, for trying a tunnel out.
    HelloWorld,
    /// `tcp://`, `ssh://`, `rdp://`, `smb://`: raw TCP to HOST:PORT.
    Tcp(Arc<TcpOrigin>),
}

/// A raw TCP service.
#[derive(Debug)]
pub struct TcpOrigin {
    /// `HOST:PORT`, resolved at each connection (the origin may move).
    pub address: String,
    pub settings: OriginRequest,
}

/// The TCP service schemes and their default ports.
const TCP_SCHEMES: [(&str, Option<u16>); 4] = [
    ("tcp", None),
    ("ssh", Some(22)),
    ("rdp", Some(3389)),
    ("smb", Some(445)),
];

fn parse_tcp(text: &str, scheme: &str, default_port: Option<u16>) -> Result<String, String> {
    let uri: http::Uri = text
        .parse()
        .map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("`{text}` names no host"))?;
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(format!(
            "`{text}`: a {scheme}:// service is HOST:PORT only, without a path"
        ));
    }
    let port = uri
        .port_u16()
        .or(default_port)
        .ok_or_else(|| format!("`{text}` needs a port, as in tcp://localhost:6379"))?;
    Ok(format!("{host}:{port}"))
}

#[derive(Debug, Clone)]
pub struct Rule {
    /// 1-based, as shown to users.
    pub number: usize,
    /// Lower case; `*.` prefix for wildcards; `None` (or `*`) matches any host.
    pub hostname: Option<String>,
    pub path: Option<Regex>,
    /// The service as written, for `ingress rule` output.
    pub service_text: String,
    pub service: Service,
}

impl Rule {
    pub fn matches(&self, host: &str, path: &str) -> bool {
        let host_ok = match self.hostname.as_deref() {
            None => true,
            Some(rule) => match rule.strip_prefix('*') {
                // cloudflared semantics: `*.example.com` matches any depth of subdomain.
                Some(suffix) => host.ends_with(suffix) && host.len() > suffix.len(),
                None => rule == host,
            },
        };
        host_ok && self.path.as_ref().is_none_or(|re| re.is_match(path))
    }

    pub fn is_catch_all(&self) -> bool {
        self.hostname.is_none() && self.path.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct Ingress {
    pub rules: Vec<Rule>,
}

impl Ingress {
    /// The first matching rule. The last rule is a catch-all, so there always is one.
    pub fn find(&self, host: &str, path: &str) -> &Rule {
        let host = host
            .rsplit_once(':')
            .filter(|(_, p)| p.parse::<u16>().is_ok())
            .map_or(host, |(h, _)| h);
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.rules
            .iter()
            .find(|r| r.matches(&host, path))
            .unwrap_or_else(|| &self.rules[self.rules.len() - 1])
    }

    pub fn build(
        raw: &[RawRule],
        defaults: &OriginRequest,
        file: &str,
        text: &str,
        base: &Path,
        warnings: &mut Vec<String>,
    ) -> Result<Ingress, ConfigError> {
        if raw.is_empty() {
            return Err(ConfigError::at(file, text, &["ingress"], "no ingress rules: add `ingress:` with at least a last catch-all rule such as `- service: http_status:404`"));
        }
        let mut rules = Vec::with_capacity(raw.len());
        for (i, r) in raw.iter().enumerate() {
            let idx = i.to_string();
            let at = |key: &str| ConfigError::at(file, text, &["ingress", &idx, key], "");
            let err = |key: &str, msg: String| ConfigError {
                message: msg,
                ..at(key)
            };
            let number = i + 1;
            let hostname = match r.hostname.as_deref().map(str::trim) {
                None | Some("") | Some("*") => None,
                Some(h) => {
                    let h = h.trim_end_matches('.').to_ascii_lowercase();
                    if !h.is_ascii() {
                        return Err(err("hostname", format!("rule #{number}: hostname `{h}` is not ASCII; write its punycode form (xn--…)")));
                    }
                    if h.contains(':') {
                        return Err(err("hostname", format!("rule #{number}: hostname `{h}` has a port; ingress hostnames never include one")));
                    }
                    if h.chars().skip(1).any(|c| c == '*')
                        || (h.starts_with('*') && !h.starts_with("*."))
                    {
                        return Err(err("hostname", format!("rule #{number}: `{h}`: a wildcard may only be the whole first label, as in `*.example.com`")));
                    }
                    Some(h)
                }
            };
            let path = match &r.path {
                None => None,
                Some(p) => Some(Regex::new(p).map_err(|e| {
                    err(
                        "path",
                        format!(
                            "rule #{number}: path `{p}` is not a valid regular expression: {e}"
                        ),
                    )
                })?),
            };
            let Some(service_text) = r.service.clone() else {
                return Err(ConfigError {
                    message: format!(
                        "rule #{number} has no service: add e.g. `service: http://localhost:8080`"
                    ),
                    ..ConfigError::at(file, text, &["ingress", &idx], "")
                });
            };
            let settings = defaults.merge(
                &r.origin_request,
                file,
                text,
                &["ingress", &idx, "originRequest"],
                warnings,
            )?;
            let service = parse_service(&service_text, settings, base)
                .map_err(|m| err("service", format!("rule #{number}: {m}")))?;
            rules.push(Rule {
                number,
                hostname,
                path,
                service_text,
                service,
            });
        }
        let last = rules.len();
        for rule in &rules {
            if rule.number != last && rule.is_catch_all() {
                let idx = (rule.number - 1).to_string();
                return Err(ConfigError { message: format!("rule #{} matches every request but is not the last rule, so the rules after it can never match; give it a hostname or path, or move it last", rule.number), ..ConfigError::at(file, text, &["ingress", &idx], "") });
            }
        }
        if !rules[last - 1].is_catch_all() {
            let idx = (last - 1).to_string();
            return Err(ConfigError { message: format!("the last ingress rule (#{last}) must match every request: remove its hostname and path, or add a final `- service: http_status:404`"), ..ConfigError::at(file, text, &["ingress", &idx], "") });
        }
        Ok(Ingress { rules })
    }
}

fn parse_service(text: &str, settings: OriginRequest, base: &Path) -> Result<Service, String> {
    if text == "hello_world" {
        return Ok(Service::HelloWorld);
    }
    if let Some(code) = text.strip_prefix("http_status:") {
        let status = code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .filter(|s| s.as_u16() >= 100);
        return status
            .map(Service::Status)
            .ok_or_else(|| format!("`{text}`: http_status needs a status code 100-599"));
    }
    for (prefix, tls) in [("unix+tls:", true), ("unix:", false)] {
        if let Some(path) = text.strip_prefix(prefix) {
            if path.is_empty() {
                return Err(format!("`{text}` names no socket path"));
            }
            let path = base.join(path);
            return Origin::unix(path, tls, settings).map(|o| Service::Origin(Arc::new(o)));
        }
    }
    for (scheme, default_port) in TCP_SCHEMES {
        if text.starts_with(&format!("{scheme}://")) {
            let address = parse_tcp(text, scheme, default_port)?;
            return Ok(Service::Tcp(Arc::new(TcpOrigin { address, settings })));
        }
    }
    if text.starts_with("http://") || text.starts_with("https://") {
        let uri: http::Uri = text
            .parse()
            .map_err(|e| format!("`{text}` is not a URL: {e}"))?;
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(format!(
                "`{text}`: a service URL cannot have a path; match paths with the rule's `path`"
            ));
        }
        return Origin::http(&uri, settings).map(|o| Service::Origin(Arc::new(o)));
    }
    Err(format!("`{text}` is not a service Tether knows: use http://, https://, unix:, unix+tls:, http_status:NNN or hello_world"))
}

#[cfg(test)]
mod tests {
    use crate::config::ConnectorConfig;
    use std::path::Path;

    fn parse(text: &str) -> Result<ConnectorConfig, tether_proto::config_error::ConfigError> {
        tether_proto::install_crypto_provider();
        ConnectorConfig::parse(Path::new("/etc/tether/tunnel.yml"), text)
    }

    const HEAD: &str = "tunnel: t\ncredentials-file: c.json\n";

    #[test]
    fn first_matching_rule_wins_with_paths_and_wildcards() {
        let c = parse(&format!("{HEAD}ingress:\n  - hostname: app.example.test\n    path: ^/api/\n    service: http://127.0.0.1:1\n  - hostname: '*.example.test'\n    service: http_status:418\n  - service: http_status:404\n")).unwrap();
        let ing = &c.ingress;
        assert_eq!(ing.find("app.example.test", "/api/x").number, 1);
        assert_eq!(ing.find("App.Example.test:443", "/other").number, 2);
        assert_eq!(ing.find("a.b.example.test", "/").number, 2);
        assert_eq!(ing.find("example.test", "/").number, 3);
    }

    #[test]
    fn last_rule_must_catch_all_and_the_error_names_it() {
        let e = parse(&format!(
            "{HEAD}ingress:\n  - hostname: a.test\n    service: hello_world\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("#1"), "{e}");
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn catch_all_before_the_end_is_an_error() {
        let e = parse(&format!(
            "{HEAD}ingress:\n  - service: hello_world\n  - service: http_status:404\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("rule #1 matches every request"), "{e}");
    }

    #[test]
    fn unknown_keys_are_errors_and_cloudflared_keys_warnings() {
        let e = parse(&format!("{HEAD}ingres:\n  - service: hello_world\n")).unwrap_err();
        assert_eq!(
            (e.line, e.file.as_str()),
            (Some(3), "/etc/tether/tunnel.yml")
        );
        let c = parse(&format!("{HEAD}protocol: quic\ningress:\n  - service: hello_world\n    originRequest:\n      noHappyEyeballs: true\n")).unwrap();
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("tunnel.yml:3"), "{:?}", c.warnings);
    }

    #[test]
    fn odd_hostnames_are_errors_not_panics() {
        for host in ["é*.test", "é.test", "a.*.test", "*x.test", "app.test:443"] {
            let e = parse(&format!("{HEAD}ingress:\n  - hostname: '{host}'\n    service: hello_world\n  - service: http_status:404\n")).unwrap_err();
            assert!(e.message.contains("rule #1"), "{host}: {e}");
        }
    }

    #[test]
    fn tcp_services_take_default_ports_and_options() {
        let c = parse(&format!("{HEAD}ingress:\n  - hostname: ssh.test\n    service: ssh://localhost\n    originRequest:\n      proxyProtocol: v2\n      tcpIdleTimeout: 5m\n  - hostname: db.test\n    service: tcp://127.0.0.1:6379\n  - hostname: rdp.test\n    service: rdp://[::1]\n  - service: http_status:404\n")).unwrap();
        let tcp = |n: usize| match &c.ingress.rules[n].service {
            super::Service::Tcp(t) => t.clone(),
            other => panic!("rule {n}: {other:?}"),
        };
        assert_eq!(tcp(0).address, "localhost:22");
        assert!(tcp(0).settings.proxy_protocol);
        assert_eq!(
            tcp(0).settings.tcp_idle_timeout,
            Some(std::time::Duration::from_secs(300))
        );
        assert_eq!(tcp(1).address, "127.0.0.1:6379");
        assert_eq!(tcp(1).settings.tcp_idle_timeout, None);
        assert_eq!(tcp(2).address, "[::1]:3389");
        let e = parse(&format!("{HEAD}ingress:\n  - service: tcp://localhost\n")).unwrap_err();
        assert!(e.message.contains("needs a port"), "{e}");
        let e = parse(&format!(
            "{HEAD}ingress:\n  - service: tcp://h:1\n    originRequest:\n      proxyProtocol: v1\n"
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(6), "{e}");
    }

    #[test]
    fn bad_service_and_bad_duration_name_the_rule() {
        let e = parse(&format!("{HEAD}ingress:\n  - service: ftp://x\n")).unwrap_err();
        assert!(e.message.contains("rule #1"), "{e}");
        let e = parse(&format!(
            "{HEAD}originRequest:\n  connectTimeout: soon\ningress:\n  - service: hello_world\n"
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
    }
}
