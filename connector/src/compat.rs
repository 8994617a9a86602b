//! cloudflared's names in a migrated config.yml. cloudflared reads every command-line flag as a
//! top-level key too, so a real file can hold any of them: the ones Tether has no use for are
//! accepted with one warning each, the ones whose silent loss would change what the tunnel does
//! are errors that name the fix, and anything else is an unknown key.

use tether_proto::config_error::{locate, ConfigError};

/// The top-level keys tunnel.yml gives a meaning (see `config.rs`).
pub const TETHER_KEYS: &[&str] = &[
    "tunnel",
    "credentials-file",
    "edge",
    "originRequest",
    "ingress",
    "ha-connections",
    "grace-period",
    "retries",
    "metrics",
    "liveness-timeout",
    "loglevel",
    "logfile",
    "log-directory",
    "url",
    "hello-world",
    "unix-socket",
    "warp-routing",
];

/// Every other flag name (and alias) of `cloudflared tunnel` and `cloudflared tunnel run`, from
/// cmd/cloudflared/tunnel/{cmd,subcommands}.go and cliutil/logger.go of cloudflared 2026.8.
/// Accepted in tunnel.yml with a warning: each tunes something Tether does not have (QUIC, the
/// Cloudflare API, autoupdate, the removed DNS proxy) or does its own way.
pub const CLOUDFLARED_FLAGS: &[&str] = &[
    "config",
    "origincert",
    "autoupdate-freq",
    "no-autoupdate",
    "no-prechecks",
    "pidfile",
    "socks5",
    "proxy-connect-timeout",
    "proxy-tls-timeout",
    "proxy-tcp-keepalive",
    "proxy-no-happy-eyeballs",
    "proxy-keepalive-connections",
    "proxy-keepalive-timeout",
    "proxy-connection-timeout",
    "proxy-expect-continue-timeout",
    "http-host-header",
    "origin-server-name",
    "origin-ca-pool",
    "no-tls-verify",
    "no-chunked-encoding",
    "http2-origin",
    "management-hostname",
    "service-op-ip",
    "local-ssh-port",
    "ssh-idle-timeout",
    "ssh-max-timeout",
    "bucket-name",
    "region-name",
    "secret-id",
    "access-key-id",
    "session-token",
    "s3-url-host",
    "host-key-path",
    "ssh-server",
    "bastion",
    "proxy-address",
    "proxy-port",
    "transport-loglevel",
    "proto-loglevel",
    "trace-output",
    "output",
    "proxy-dns",
    "proxy-dns-port",
    "proxy-dns-address",
    "proxy-dns-upstream",
    "proxy-dns-max-upstream-conns",
    "proxy-dns-bootstrap",
    "cred-file",
    "is-autoupdated",
    "region",
    "edge-ip-version",
    "edge-bind-address",
    "cacert",
    "hostname",
    "id",
    "lb-pool",
    "api-key",
    "api-email",
    "api-ca-key",
    "api-url",
    "metrics-update-freq",
    "tag",
    "heartbeat-interval",
    "heartbeat-count",
    "max-edge-addr-retries",
    "rpc-timeout",
    "write-stream-timeout",
    "quic-disable-pmtu-discovery",
    "quic-connection-level-flow-control-limit",
    "quic-stream-level-flow-control-limit",
    "label",
    "compression-quality",
    "use-reconnect-token",
    "dial-edge-timeout",
    "stdin-control",
    "name",
    "n",
    "ui",
    "quick-service",
    "max-fetch-size",
    "post-quantum",
    "pq",
    "management-diagnostics",
    "protocol",
    "p",
    "overwrite-dns",
    "f",
    "credentials-contents",
    "features",
    "F",
    "token",
    "token-file",
    "icmpv4-src",
    "icmpv6-src",
    "max-active-flows",
    "dns-resolver-addrs",
];

/// cloudflared's origin flags, which set up the one origin of `url:` (`hello-world`,
/// `unix-socket`) when a file has no ingress rules, and the `originRequest` key each stands for.
/// With ingress rules cloudflared ignores them, and so does Tether (with a warning).
pub const SINGLE_ORIGIN_FLAGS: &[(&str, &str)] = &[
    ("http-host-header", "httpHostHeader"),
    ("origin-server-name", "originServerName"),
    ("origin-ca-pool", "caPool"),
    ("no-tls-verify", "noTLSVerify"),
    ("no-chunked-encoding", "disableChunkedEncoding"),
    ("http2-origin", "http2Origin"),
    ("proxy-connect-timeout", "connectTimeout"),
    ("proxy-tls-timeout", "tlsTimeout"),
    ("proxy-tcp-keepalive", "tcpKeepAlive"),
    ("proxy-keepalive-connections", "keepAliveConnections"),
    ("proxy-keepalive-timeout", "keepAliveTimeout"),
];

/// Whether a file serves one origin: `url`, `hello-world: true` or `unix-socket`, and no
/// ingress rules.
pub fn is_single_origin(file: &yaml_serde::Value) -> bool {
    let has = |k: &str| file.get(k).is_some_and(|v| !v.is_null());
    let rules = file
        .get("ingress")
        .and_then(|v| v.as_sequence())
        .is_some_and(|r| !r.is_empty());
    !rules
        && (has("url")
            || has("unix-socket")
            || file.get("hello-world").and_then(|v| v.as_bool()) == Some(true))
}

/// cloudflared flags that turn on a mode Tether does not have: ignoring them would run a tunnel
/// that silently does something else, so `true` is an error naming the fix.
const REFUSED_WHEN_TRUE: &[(&str, &str)] = &[
    ("bastion", "Tether has no bastion mode: give each TCP service a rule of its own (`service: tcp://HOST:PORT`) and reach it with `connector access tcp`; then remove `bastion`"),
    ("socks5", "Tether has no SOCKS proxy: give each TCP service a rule of its own (`service: tcp://HOST:PORT`); then remove `socks5`"),
];

/// Checks tunnel.yml's top-level keys; returns one warning per accepted cloudflared flag.
pub fn check_top_level(file: &str, text: &str) -> Result<Vec<String>, ConfigError> {
    let value: yaml_serde::Value =
        yaml_serde::from_str(text).map_err(|e| ConfigError::from_yaml(file, &e))?;
    let Some(map) = value.as_mapping() else {
        // Not a mapping: serde's error on the real parse says so, with its place.
        return Ok(Vec::new());
    };
    let single_origin = is_single_origin(&value);
    let mut warnings = Vec::new();
    for (key, value) in map {
        let Some(key) = key.as_str() else { continue };
        let line = || {
            locate(text, &[key])
                .map(|(l, _)| format!(":{l}"))
                .unwrap_or_default()
        };
        let origin_flag = SINGLE_ORIGIN_FLAGS.iter().any(|(k, _)| *k == key);
        if TETHER_KEYS.contains(&key) || (single_origin && origin_flag) {
            continue;
        }
        if let Some((_, fix)) = REFUSED_WHEN_TRUE.iter().find(|(k, _)| *k == key) {
            if value.as_bool() == Some(true) {
                return Err(ConfigError::at(
                    file,
                    text,
                    &[key],
                    format!("`{key}: true`: {fix}"),
                ));
            }
        }
        if CLOUDFLARED_FLAGS.contains(&key) {
            warnings.push(format!(
                "{file}{}: `{key}` is a cloudflared setting that Tether does not use; it is ignored",
                line()
            ));
            continue;
        }
        let hint = tether_proto::config_error::closest_key(key, TETHER_KEYS, 2)
            .map(|k| format!("did you mean `{k}`? "))
            .unwrap_or_default();
        return Err(ConfigError::at(
            file,
            text,
            &[key],
            format!("`{key}` is not a tunnel.yml key; {hint}the keys are listed in docs/configuration.md"),
        ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::ConnectorConfig;

    const HEAD: &str = "credentials-file: creds.json\n";
    const RULES: &str = "ingress:\n  - service: hello_world\n";

    fn parse(text: &str) -> Result<ConnectorConfig, tether_proto::config_error::ConfigError> {
        ConnectorConfig::parse(
            Path::new("/etc/tether/tunnel.yml"),
            &format!("{HEAD}{text}"),
        )
    }

    #[test]
    fn every_cloudflared_flag_is_accepted_with_one_warning() {
        for flag in super::CLOUDFLARED_FLAGS {
            let c =
                parse(&format!("{flag}: false\n{RULES}")).unwrap_or_else(|e| panic!("{flag}: {e}"));
            assert_eq!(c.warnings.len(), 1, "{flag}: {:?}", c.warnings);
            assert!(
                c.warnings[0].starts_with("/etc/tether/tunnel.yml:2: `"),
                "{:?}",
                c.warnings
            );
        }
        let c = parse(&format!("proxy-dns-port: 53\nmax-active-flows: 10\ndial-edge-timeout: 5s\nlabel: x\noutput: json\n{RULES}")).unwrap();
        assert_eq!(c.warnings.len(), 5, "{:?}", c.warnings);
    }

    #[test]
    fn modes_tether_lacks_are_errors_that_name_the_fix() {
        for (text, line, fix) in [
            ("bastion: true\n", 2, "connector access tcp"),
            ("socks5: true\n", 2, "tcp://HOST:PORT"),
            (
                "warp-routing:\n  enabled: true\n",
                3,
                "does not route private networks",
            ),
            (
                "originRequest:\n  bastionMode: true\n",
                3,
                "connector access tcp",
            ),
            (
                "originRequest:\n  ipRules:\n    - prefix: 10.0.0.0/8\n      allow: true\n",
                3,
                "client-ip-rules",
            ),
            (
                "originRequest:\n  access:\n    required: true\n    teamName: t\n",
                3,
                "edge tunnel route policy",
            ),
        ] {
            let e = parse(&format!("{text}{RULES}")).unwrap_err();
            assert_eq!(e.line, Some(line), "{text}: {e}");
            assert!(e.message.contains(fix), "{text}: {e}");
        }
        let e = parse("ingress:\n  - service: http://localhost:1\n    originRequest:\n      access:\n        required: true\n").unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        // Off, they change nothing: accepted with a warning.
        let c = parse(&format!("warp-routing:\n  enabled: false\nbastion: false\noriginRequest:\n  access:\n    required: false\n{RULES}")).unwrap();
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_suggestion() {
        let e = parse("ingres:\n  - service: hello_world\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("did you mean `ingress`?"), "{e}");
        let e = parse(&format!("frobnicate: 1\n{RULES}")).unwrap_err();
        assert!(e.message.contains("not a tunnel.yml key"), "{e}");
    }

    #[test]
    fn single_origin_keys_serve_everything_without_ingress() {
        let c = parse("url: http://localhost:8000\n").unwrap();
        assert_eq!(c.ingress.rules.len(), 1);
        assert_eq!(c.ingress.rules[0].service_text, "http://localhost:8000");
        let c = parse("hello-world: true\n").unwrap();
        assert_eq!(c.ingress.rules[0].service_text, "hello_world");
        let c = parse("url: https://localhost:8443\nhttp-host-header: app.internal\nno-tls-verify: true\nproxy-connect-timeout: 5s\n").unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let crate::ingress::Service::Origin(origin) = &c.ingress.rules[0].service else {
            panic!("an origin")
        };
        assert_eq!(
            origin.settings.http_host_header.as_deref(),
            Some("app.internal")
        );
        assert!(origin.settings.no_tls_verify);
        assert_eq!(
            origin.settings.connect_timeout,
            std::time::Duration::from_secs(5)
        );
        let c = parse(&format!("url: http://localhost:8000\n{RULES}")).unwrap();
        assert_eq!(c.ingress.rules[0].service_text, "hello_world");
        assert!(
            c.warnings[0].contains("`url` is ignored"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn log_keys_work() {
        let c = parse(&format!("loglevel: debug\nlog-directory: logs\n{RULES}")).unwrap();
        assert_eq!(c.log.level.as_deref(), Some("debug"));
        assert_eq!(
            c.log.file.as_deref(),
            Some(Path::new("/etc/tether/logs/connector.log"))
        );
        let c = parse(&format!("logfile: /var/log/tether.log\n{RULES}")).unwrap();
        assert_eq!(
            c.log.file.as_deref(),
            Some(Path::new("/var/log/tether.log"))
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let e = parse(&format!("loglevel: loud\n{RULES}")).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }
}
