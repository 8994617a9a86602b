//! tunnel.yml, in cloudflared's config.yml shape, so a cloudflared user's file runs unchanged apart
//! from the credentials. Unknown keys are warnings naming file, line and column, all in one pass,
//! as cloudflared runs such files; cloudflared keys that mean nothing here are accepted with a
//! warning too (listed in docs/configuration.md). Errors are kept for what would silently lose
//! protection (`compat`) and for values that cannot mean what they say.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tether_runtime::config_error::ConfigError;

use crate::ingress::{Ingress, OriginRequest, RawOriginRequest, RawRule};

/// More sessions than this buy nothing but memory at the edges.
const MAX_HA_CONNECTIONS: u8 = 16;
/// 1 s × 2^16 is about 18 hours.
const MAX_RETRIES: u32 = 16;

/// tunnel.yml as written. Unknown keys are not serde's to reject: [`crate::compat`] checks the
/// top level first (cloudflared's flags are warnings there); nested structs deny unknown keys.
#[derive(Debug, Deserialize)]
struct RawConfig {
    tunnel: Option<String>,
    #[serde(rename = "credentials-file")]
    credentials_file: Option<String>,
    /// Overrides the edge address in the credentials: `HOST:PORT`, or a `wss://` URL such as the
    /// edge's public port and reserved path.
    edge: Option<String>,
    #[serde(rename = "originRequest", default)]
    origin_request: RawOriginRequest,
    #[serde(default)]
    ingress: Vec<RawRule>,
    /// Sessions held at once (cloudflared's key).
    #[serde(rename = "ha-connections")]
    ha_connections: Option<u8>,
    /// How long in-flight streams may finish after SIGTERM (cloudflared's key).
    #[serde(rename = "grace-period")]
    grace_period: Option<String>,
    /// Caps the reconnect backoff's exponent (cloudflared's key).
    retries: Option<u32>,
    /// Where `/metrics`, `/ready` and `/healthz` are served (cloudflared's key).
    metrics: Option<String>,
    /// How long a session may go without answering a PING before it is declared dead.
    #[serde(rename = "liveness-timeout")]
    liveness_timeout: Option<String>,
    /// cloudflared's log keys: a level, a file, or a directory for `connector.log`.
    loglevel: Option<String>,
    logfile: Option<String>,
    #[serde(rename = "log-directory")]
    log_directory: Option<String>,
    /// cloudflared's single-origin keys, used when there are no ingress rules.
    url: Option<String>,
    #[serde(rename = "hello-world")]
    hello_world: Option<bool>,
    #[serde(rename = "unix-socket")]
    unix_socket: Option<String>,
    /// cloudflared's private-network routing: refused when enabled.
    #[serde(rename = "warp-routing")]
    warp_routing: Option<yaml_serde::Value>,
}

/// Where the connector logs, from tunnel.yml (the command line's flags win).
#[derive(Debug, Clone, Default)]
pub struct LogConfig {
    /// `loglevel`: debug, info, warn, error or fatal.
    pub level: Option<String>,
    /// `logfile`, or `log-directory`/connector.log.
    pub file: Option<PathBuf>,
}

/// A validated tunnel.yml.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    pub source: PathBuf,
    /// The `tunnel:` value (name or UUID): a warning when the credentials are another tunnel's.
    pub tunnel: Option<String>,
    /// `tunnel` came from `connector tunnel run NAME`, not from the file.
    pub tunnel_from_command_line: bool,
    /// `metrics` came from `--metrics` or `TUNNEL_METRICS`, not from the file.
    pub metrics_from_command_line: bool,
    /// `credentials-file`; without it, `connector run` needs a run token (`--token`,
    /// `TUNNEL_TOKEN`).
    pub credentials_file: Option<PathBuf>,
    pub edge: Option<String>,
    pub ingress: Ingress,
    /// Sessions held at once, each its own TLS connection (`ha-connections`, default 4).
    pub ha_connections: u8,
    /// After SIGTERM, how long in-flight streams may run on (`grace-period`, default 30 s).
    pub grace_period: Duration,
    /// The reconnect backoff grows to at most 1 s × 2^retries (`retries`, default 5).
    pub retries: u32,
    /// A session that answers no PING and sends nothing for this long is dead (`liveness-timeout`, default 5 s).
    pub liveness_timeout: Duration,
    /// `metrics:`; unset, the first free port of 127.0.0.1:20241–20245, then any.
    pub metrics: Option<SocketAddr>,
    pub log: LogConfig,
    /// Messages about accepted-but-ignored keys, logged at start.
    pub warnings: Vec<String>,
}

impl ConnectorConfig {
    /// The configuration of `connector run --token T --url URL`: one catch-all rule to `url`,
    /// every other key at its default.
    pub fn from_url(url: &str) -> Result<ConnectorConfig, ConfigError> {
        // A JSON string is a YAML scalar: the URL goes through the same validation as a rule's
        // `service:` in a file.
        let url = crate::ingress::url_with_scheme(url);
        let quoted = serde_json::to_string(&url).unwrap_or_default();
        Self::parse(
            Path::new("--url"),
            &format!("ingress:\n  - service: {quoted}\n"),
        )
    }

    pub fn load(path: &Path) -> Result<ConnectorConfig, ConfigError> {
        let file = path.display().to_string();
        let text = tether_runtime::small_file::read_to_string(path)
            .map_err(|e| ConfigError::file(&file, format!("cannot read config file: {e}")))?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ConnectorConfig, ConfigError> {
        let mut warnings = Vec::new();
        Self::parse_warning(path, text, &mut warnings).map_err(|mut e| {
            // A misspelt key may be why the file fails (`ingres:`): its warning goes with the error.
            if !warnings.is_empty() {
                e.message = format!("{}\n{}", e.message, warnings.join("\n"));
            }
            e
        })
    }

    fn parse_warning(
        path: &Path,
        text: &str,
        warnings: &mut Vec<String>,
    ) -> Result<ConnectorConfig, ConfigError> {
        let file = path.display().to_string();
        let raw = raw_config(&file, text, warnings)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let relative = |p: &str| {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        };
        let credentials_file = raw.credentials_file.as_deref().map(relative);
        if let Some(level) = &raw.loglevel {
            if tether_runtime::logs::level_filter(level).is_none() {
                return Err(ConfigError::at(
                    &file,
                    text,
                    &["loglevel"],
                    format!(
                        "`{level}` is not a log level; write trace, debug, info, warn, error or fatal"
                    ),
                ));
            }
        }
        let log = LogConfig {
            level: raw.loglevel.clone(),
            file: raw.logfile.as_deref().map(relative).or_else(|| {
                raw.log_directory
                    .as_deref()
                    .map(|d| relative(d).join("connector.log"))
            }),
        };
        let defaults = OriginRequest::default().merge(
            &raw.origin_request,
            &file,
            text,
            &["originRequest"],
            warnings,
        )?;
        let ingress = Ingress::build(&raw.ingress, &defaults, &file, text, base, warnings)?;
        let err = |key: &str, msg: String| ConfigError::at(&file, text, &[key], msg);
        let duration = |key: &str, value: &Option<String>, default: Duration| match value {
            None => Ok(default),
            Some(v) => humantime::parse_duration(v).map_err(|e| {
                err(
                    key,
                    format!("`{v}` is not a duration ({e}); write e.g. 30s or 1m30s"),
                )
            }),
        };
        let ha_connections = raw.ha_connections.unwrap_or(4);
        if !(1..=MAX_HA_CONNECTIONS).contains(&ha_connections) {
            return Err(err(
                "ha-connections",
                format!("ha-connections is {ha_connections}; write a number from 1 to {MAX_HA_CONNECTIONS}"),
            ));
        }
        let retries = raw.retries.unwrap_or(5);
        if retries > MAX_RETRIES {
            return Err(err(
                "retries",
                format!("retries is {retries}; write at most {MAX_RETRIES} (the backoff then grows to about 18 hours)"),
            ));
        }
        let liveness_timeout = duration(
            "liveness-timeout",
            &raw.liveness_timeout,
            Duration::from_secs(5),
        )?;
        if liveness_timeout < Duration::from_millis(100) {
            return Err(err(
                "liveness-timeout",
                "liveness-timeout must be at least 100ms".into(),
            ));
        }
        let metrics = match raw.metrics.as_deref() {
            None => None,
            Some(v) => Some(metrics_address(v).ok_or_else(|| {
                err(
                    "metrics",
                    format!("`{v}` is not an address; write IP:PORT or localhost:PORT, e.g. 127.0.0.1:20241"),
                )
            })?),
        };
        Ok(ConnectorConfig {
            source: path.to_path_buf(),
            tunnel: raw.tunnel,
            tunnel_from_command_line: false,
            metrics_from_command_line: false,
            credentials_file,
            edge: raw.edge,
            ingress,
            ha_connections,
            grace_period: duration("grace-period", &raw.grace_period, Duration::from_secs(30))?,
            retries,
            liveness_timeout,
            metrics,
            log,
            warnings: std::mem::take(warnings),
        })
    }
}

/// The file as written, with a warning for each unknown key (at any level: as cloudflared runs
/// such files) and each cloudflared key Tether does not use; the single-origin keys made a rule.
fn raw_config(
    file: &str,
    text: &str,
    warnings: &mut Vec<String>,
) -> Result<RawConfig, ConfigError> {
    warnings.extend(crate::compat::check_top_level(file, text)?);
    // The top level's unknown keys were checked just above; these are the nested ones.
    let parsed = tether_runtime::unknown_keys::parse::<RawConfig>(file, text)?;
    let mut raw = parsed.value;
    for unknown in parsed.unknown {
        let mut warning = unknown.error;
        warning.message = match crate::compat::no_effect_there(&unknown.within, &unknown.key) {
            Some(message) => message,
            // serde's message names the place and the keys known there.
            None => format!("{}; it is ignored", warning.message),
        };
        warnings.push(warning.to_string());
    }
    refuse_warp_routing(&raw, file, text)?;
    single_origin(&mut raw, file, text, warnings)?;
    Ok(raw)
}

/// `warp-routing` with `enabled: true` asked cloudflared to route private networks, which Tether
/// does not do; cloudflared's other warp-routing keys are warnings.
fn refuse_warp_routing(raw: &RawConfig, file: &str, text: &str) -> Result<(), ConfigError> {
    let Some(warp) = &raw.warp_routing else {
        return Ok(());
    };
    if warp.get("enabled").and_then(|v| v.as_bool()) == Some(true) {
        return Err(ConfigError::at(file, text, &["warp-routing", "enabled"], "`warp-routing: enabled: true`: Tether does not route private networks for WARP clients; publish each service with an ingress rule (TCP ones with `service: tcp://HOST:PORT` and `connector access tcp`), then remove `warp-routing`"));
    }
    Ok(())
}

/// cloudflared's `url:`, `hello-world:` and `unix-socket:` serve every request when there are no
/// ingress rules, set up by its origin flags (`http-host-header`, `no-tls-verify`, …); with
/// rules, cloudflared ignores them, and so does Tether (with a warning).
fn single_origin(
    raw: &mut RawConfig,
    file: &str,
    text: &str,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    let service = match (raw.hello_world, &raw.url, &raw.unix_socket) {
        (Some(true), _, _) => Some(("hello-world", "hello_world".to_string())),
        (_, Some(url), _) => Some(("url", crate::ingress::url_with_scheme(url))),
        (_, None, Some(path)) => Some(("unix-socket", format!("unix:{path}"))),
        _ => None,
    };
    let Some((key, service)) = service else {
        return Ok(());
    };
    if !raw.ingress.is_empty() {
        let line = tether_runtime::config_error::locate(text, &[key])
            .map(|(l, _)| format!(":{l}"))
            .unwrap_or_default();
        warnings.push(format!("{file}{line}: `{key}` is ignored because the file has ingress rules (as cloudflared does)"));
        return Ok(());
    }
    // The one rule, with cloudflared's origin flags as its originRequest.
    let top: yaml_serde::Value =
        yaml_serde::from_str(text).map_err(|e| ConfigError::from_yaml(file, &e))?;
    let mut origin = yaml_serde::Mapping::new();
    for (flag, setting) in crate::compat::SINGLE_ORIGIN_FLAGS {
        if let Some(value) = top.get(flag) {
            origin.insert((*setting).into(), value.clone());
        }
    }
    let mut rule = yaml_serde::Mapping::new();
    rule.insert("service".into(), service.into());
    if !origin.is_empty() {
        rule.insert("originRequest".into(), origin.into());
    }
    let rules = yaml_serde::Value::Sequence(vec![rule.into()]);
    raw.ingress = yaml_serde::from_value(rules)
        .map_err(|e| ConfigError::at(file, text, &[key], format!("{e}")))?;
    Ok(())
}

/// `IP:PORT`, or `localhost:PORT` as cloudflared's examples write it.
pub fn metrics_address(value: &str) -> Option<SocketAddr> {
    if let Some(port) = value.strip_prefix("localhost:") {
        return Some((Ipv4Addr::LOCALHOST, port.parse().ok()?).into());
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConnectorConfig, ConfigError> {
        let base = "credentials-file: creds.json\ningress:\n  - service: hello_world\n";
        ConnectorConfig::parse(
            Path::new("/etc/tether/tunnel.yml"),
            &format!("{base}{text}"),
        )
    }

    #[test]
    fn lifecycle_keys_have_cloudflareds_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.ha_connections, 4);
        assert_eq!(c.grace_period, Duration::from_secs(30));
        assert_eq!(c.retries, 5);
        assert_eq!(c.liveness_timeout, Duration::from_secs(5));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let c = parse("ha-connections: 2\ngrace-period: 1m\nretries: 3\nliveness-timeout: 500ms\n")
            .unwrap();
        assert_eq!(c.ha_connections, 2);
        assert_eq!(c.grace_period, Duration::from_secs(60));
        assert_eq!(c.retries, 3);
        assert_eq!(c.liveness_timeout, Duration::from_millis(500));
    }

    #[test]
    fn out_of_range_lifecycle_keys_name_the_line_and_the_fix() {
        let e = parse("ha-connections: 0\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("from 1 to 16"), "{e}");
        let e = parse("retries: 40\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        let e = parse("metrics: everywhere\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("localhost:PORT"), "{e}");
        assert_eq!(
            parse("metrics: localhost:2000\n").unwrap().metrics,
            Some("127.0.0.1:2000".parse().unwrap())
        );
        let e = parse("grace-period: soon\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("30s"), "{e}");
    }
}
