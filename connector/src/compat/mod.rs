//! cloudflared's names in a migrated config.yml. cloudflared reads every command-line flag as a
//! top-level key too, so a real file can hold any of them: the ones Tether has no use for are
//! accepted with one warning each, the ones whose silent loss would change what the tunnel does
//! are errors that name the fix, and anything else is an unknown key: a warning, as cloudflared
//! runs such files. The names themselves are in [`names`].

use tether_runtime::config_error::{locate, ConfigError};

mod names;
pub use names::*;

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

/// A key that means something under `originRequest` but stands directly on a rule or at the top
/// level (`within`: `ingress[0]`, or empty) has no effect in cloudflared: the warning says so and
/// does not invite moving it, which would change what the tunnel does.
pub fn no_effect_there(within: &str, key: &str) -> Option<String> {
    let rule = within.starts_with("ingress[") && !within.contains('.');
    if !(within.is_empty() || rule) || !ORIGIN_REQUEST_KEYS.contains(&key) {
        return None;
    }
    let place = if rule {
        "an ingress rule"
    } else {
        "the top level"
    };
    Some(format!("`{key}` has no effect directly on {place} (cloudflared ignores it there too); it is ignored"))
}

/// What an unknown top-level key gets: a warning, as cloudflared runs such a file.
fn unknown_top_level_key(key: &str) -> String {
    if let Some(message) = no_effect_there("", key) {
        return message;
    }
    let hint = tether_runtime::config_error::closest_key(key, TETHER_KEYS, 2)
        .map(|k| format!("did you mean `{k}`? "))
        .unwrap_or_default();
    format!("`{key}` is not a tunnel.yml key; {hint}it is ignored (the keys are listed in docs/configuration.md)")
}

/// Checks tunnel.yml's top-level keys; returns one warning per accepted cloudflared flag and per
/// unknown key.
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
        warnings.push(format!("{file}{}: {}", line(), unknown_top_level_key(key)));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::ConnectorConfig;

    const HEAD: &str = "credentials-file: creds.json\n";
    const RULES: &str = "ingress:\n  - service: hello_world\n";

    fn parse(text: &str) -> Result<ConnectorConfig, tether_runtime::config_error::ConfigError> {
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
    fn unknown_keys_anywhere_are_warnings_all_in_one_pass() {
        let text = "log-level: debug\nfrobnicate: 1\noriginRequest:\n  conectTimeout: 5s\n  connectTimeout: 7s\ningress:\n  - hostname: a.example.com\n    disableChunkedEncoding: true\n    noHappyEyeballs: true\n    service: http://localhost:8080\n  - service: http_status:404\n    extra:\n      - 1\n";
        let c = parse(text).unwrap();
        let w = &c.warnings;
        assert_eq!(w.len(), 6, "{w:#?}");
        assert!(w[0].starts_with("/etc/tether/tunnel.yml:2: `log-level` is not a tunnel.yml key; did you mean `loglevel`?"), "{w:#?}");
        assert!(
            w[1].starts_with("/etc/tether/tunnel.yml:3: `frobnicate`"),
            "{w:#?}"
        );
        assert!(w[2].starts_with("/etc/tether/tunnel.yml:5:3: originRequest: `conectTimeout` is not a key here; did you mean `connectTimeout`?"), "{w:#?}");
        for (warning, line) in [(&w[3], 9), (&w[4], 10)] {
            assert!(
                warning.starts_with(&format!("/etc/tether/tunnel.yml:{line}:5: `")),
                "{w:#?}"
            );
            assert!(
                warning.contains(
                    "has no effect directly on an ingress rule (cloudflared ignores it there too)"
                ),
                "{w:#?}"
            );
            assert!(
                !warning.contains("originRequest"),
                "no invitation to move it: {warning}"
            );
        }
        assert!(
            w[5].starts_with("/etc/tether/tunnel.yml:13:5: ingress[1]: `extra` is not a key here"),
            "{w:#?}"
        );
        // What was known still counts, next to what was not.
        let crate::ingress::Service::Origin(origin) = &c.ingress.rules[0].service else {
            panic!("an origin")
        };
        assert_eq!(
            origin.settings.connect_timeout,
            std::time::Duration::from_secs(7)
        );
        assert!(
            !origin.settings.disable_chunked_encoding,
            "ignored where it stands"
        );
        assert_eq!(c.ingress.rules.len(), 2);
    }

    #[test]
    fn an_origin_request_key_at_the_top_level_has_no_effect() {
        let c = parse(&format!("noTLSVerify: true\n{RULES}")).unwrap();
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(
            c.warnings[0].contains("`noTLSVerify` has no effect directly on the top level"),
            "{:?}",
            c.warnings
        );
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
