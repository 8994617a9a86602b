//! Hostnames and ingress matching: a public request's Host (normalised, checked), a route's
//! hostname, the wildcard names a host falls under, and the connector's ingress rules (host and
//! path, the path decoded and normalised) finding the rule for a request. The input is the host,
//! a NUL, the path.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tether_connector::config::ConnectorConfig;
use tether_proto::hostname::{
    normalize_host, normalize_route, request_host, route_wildcards,
};

static CONFIG: LazyLock<ConnectorConfig> = LazyLock::new(|| {
    let yaml = r#"tunnel: 0f0e0d0c-0b0a-0908-0706-050403020100
credentials-file: /nonexistent/creds.json
ingress:
  - hostname: app.example.test
    path: ^/api/(v1|v2)/
    service: http://127.0.0.1:1
  - hostname: "*.wild.example.test"
    service: http://127.0.0.1:2
  - hostname: files.example.test
    path: \.(png|jpg)$
    service: http_status:403
  - hostname: ssh.example.test
    service: ssh://127.0.0.1:22
  - service: http_status:404
"#;
    ConnectorConfig::parse(Path::new("/nonexistent/tunnel.yml"), yaml)
        .expect("the fuzz config loads")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (host, path) = text.split_once('\0').unwrap_or((text, "/"));
    let _ = normalize_host(host);
    let _ = normalize_route(host);
    if let Ok(h) = request_host(host) {
        // A name (not an IPv6 literal, which comes back without its brackets) is normalised once.
        if !h.contains(':') {
            assert_eq!(
                request_host(&h).as_deref(),
                Ok(h.as_str()),
                "normalising twice changes nothing"
            );
        }
        for _ in route_wildcards(&h) {}
    }
    if let Ok(rule) = CONFIG.ingress.find(host, path) {
        let _ = rule.number;
    }
});
