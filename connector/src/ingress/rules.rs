//! Ingress rules: which origin serves a request the edge sent to this tunnel. Checked top to
//! bottom; the first rule whose hostname and path match wins; the last rule must match everything.
//! The shape and semantics follow cloudflared's `ingress` so existing files keep working.

use std::path::Path;

use regex::Regex;
use serde::Deserialize;
use tether_runtime::config_error::ConfigError;

use super::path::{for_matching, BadPath};
use super::service::{OriginRequest, RawOriginRequest, Service};
use super::service_error::ServiceError;
use super::service_text::parse_service;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    hostname: Option<String>,
    path: Option<String>,
    service: Option<String>,
    #[serde(rename = "originRequest", default)]
    origin_request: RawOriginRequest,
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
            // cloudflared's semantics, a route wildcard's: `*.example.com` matches any depth.
            Some(rule) => tether_proto::hostname::route_covers(rule, host),
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
    /// The first rule matching `host` and `path` (as the client sent it: rules see it decoded
    /// and normalised, [`super::path`]). The last rule is a catch-all, so there always is one,
    /// unless the path cannot be decoded.
    pub fn find(&self, host: &str, path: &str) -> Result<&Rule, BadPath> {
        let path = for_matching(path)?;
        let host = tether_proto::hostname::normalize_host(host);
        Ok(self
            .rules
            .iter()
            .find(|r| r.matches(&host, &path))
            .unwrap_or_else(|| &self.rules[self.rules.len() - 1]))
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
                    let h = h.trim_end_matches('.').to_lowercase();
                    // Browsers send a Unicode name's punycode form (as cloudflared matches it).
                    let h = if h.is_ascii() {
                        h
                    } else {
                        let (wild, name) = match h.strip_prefix("*.") {
                            Some(rest) => ("*.", rest),
                            None => ("", h.as_str()),
                        };
                        match idna::domain_to_ascii(name) {
                            Ok(ascii) => format!("{wild}{ascii}"),
                            Err(_) => return Err(err("hostname", format!("rule #{number}: hostname `{h}` is not a valid internationalised domain name"))),
                        }
                    };
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
                // cloudflared reads an empty path as none: the rule matches every path.
                None => None,
                Some(p) if p.is_empty() => None,
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
            let service = parse_service(&service_text, settings, base).map_err(|m| {
                // A caPool problem is reported where caPool is written: this rule's, else the
                // top level's it inherited.
                let own = ["ingress", idx.as_str(), "originRequest", "caPool"];
                let top = ["originRequest", "caPool"];
                let found = |p: &[&str]| tether_runtime::config_error::locate(text, p).is_some();
                // The rule's own, else the top level's; unplaceable (flow style), the rule's
                // path, which `at` narrows to its nearest enclosing key.
                let at: &[&str] = if !found(&own) && found(&top) {
                    &top
                } else {
                    &own
                };
                match m {
                    ServiceError::CaPool { .. } => {
                        ConfigError::at(file, text, at, format!("rule #{number}: {m}"))
                    }
                    _ => err("service", format!("rule #{number}: {m}")),
                }
            })?;
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

#[cfg(test)]
mod tests {
    use crate::config::ConnectorConfig;
    use std::path::Path;

    fn parse(text: &str) -> Result<ConnectorConfig, tether_runtime::config_error::ConfigError> {
        tether_proto::install_crypto_provider();
        ConnectorConfig::parse(Path::new("/etc/tether/tunnel.yml"), text)
    }

    const HEAD: &str = "tunnel: t\ncredentials-file: c.json\n";

    #[test]
    fn first_matching_rule_wins_with_paths_and_wildcards() {
        let c = parse(&format!("{HEAD}ingress:\n  - hostname: app.example.test\n    path: ^/api/\n    service: http://127.0.0.1:1\n  - hostname: '*.example.test'\n    service: http_status:418\n  - service: http_status:404\n")).unwrap();
        let ing = &c.ingress;
        assert_eq!(ing.find("app.example.test", "/api/x").unwrap().number, 1);
        assert_eq!(
            ing.find("App.Example.test:443", "/other").unwrap().number,
            2
        );
        assert_eq!(ing.find("a.b.example.test", "/").unwrap().number, 2);
        assert_eq!(ing.find("example.test", "/").unwrap().number, 3);
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
    fn unknown_keys_and_cloudflared_keys_are_warnings() {
        // The misspelt key is why the file has no rules: its warning comes with the error.
        let e = parse(&format!("{HEAD}ingres:\n  - service: hello_world\n")).unwrap_err();
        assert!(e.message.starts_with("no ingress rules"), "{e}");
        assert!(
            e.message.contains("\n/etc/tether/tunnel.yml:3: `ingres` is not a tunnel.yml key; did you mean `ingress`?"),
            "{e}"
        );
        let c = parse(&format!("{HEAD}protocol: quic\ningress:\n  - service: hello_world\n    originRequest:\n      noHappyEyeballs: true\n")).unwrap();
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("tunnel.yml:3"), "{:?}", c.warnings);
    }

    #[test]
    fn odd_hostnames_are_errors_not_panics() {
        for host in [
            "é*.test",
            "a.*.test",
            "*x.test",
            "app.test:443",
            "ü.test:80",
        ] {
            let e = parse(&format!("{HEAD}ingress:\n  - hostname: '{host}'\n    service: hello_world\n  - service: http_status:404\n")).unwrap_err();
            assert!(e.message.contains("rule #1"), "{host}: {e}");
        }
    }

    #[test]
    fn unicode_hostnames_become_punycode_and_ws_schemes_are_http() {
        let c = parse(&format!("{HEAD}ingress:\n  - hostname: bücher.example\n    service: ws://localhost:8080\n  - hostname: '*.münchen.test'\n    service: wss://localhost:8443\n  - service: hello-world\n")).unwrap();
        let rules = &c.ingress.rules;
        assert_eq!(rules[0].hostname.as_deref(), Some("xn--bcher-kva.example"));
        assert_eq!(rules[1].hostname.as_deref(), Some("*.xn--mnchen-3ya.test"));
        assert_eq!(
            c.ingress.find("xn--bcher-kva.example", "/").unwrap().number,
            1
        );
        let base = |n: usize| match &rules[n].service {
            super::Service::Origin(o) => o.base.to_string(),
            other => panic!("rule {n}: {other:?}"),
        };
        assert_eq!(base(0), "http://localhost:8080/");
        assert_eq!(base(1), "https://localhost:8443/");
        assert!(matches!(rules[2].service, super::Service::HelloWorld));
        for service in ["bastion", "socks-proxy"] {
            let e = parse(&format!("{HEAD}ingress:\n  - service: {service}\n")).unwrap_err();
            assert!(e.message.contains("connector access tcp"), "{e}");
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
        // cloudflared's forms: tcp:// without a port, any other scheme as TCP.
        let c = parse(&format!("{HEAD}ingress:\n  - hostname: a.test\n    service: tcp://localhost\n  - service: postgres://db:5432\n")).unwrap();
        let tcp = |n: usize| match &c.ingress.rules[n].service {
            super::Service::Tcp(t) => t.address.clone(),
            other => panic!("rule {n}: {other:?}"),
        };
        assert_eq!(
            (tcp(0).as_str(), tcp(1).as_str()),
            ("localhost:7864", "db:5432")
        );
        let e = parse(&format!("{HEAD}ingress:\n  - service: postgres://db\n")).unwrap_err();
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
