//! Hot reload of tunnel.yml: on SIGHUP, or when the file's contents change
//! ([`tether_runtime::reload`]), the file is loaded and validated again. Valid ingress rules
//! replace the old ones for new streams, while streams in flight keep the rules they started
//! with; an invalid file is logged, with its line, and changes nothing. Keys that shape the
//! sessions themselves take effect at the next start, and the log says so.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tether_runtime::boot::{BootKey, Reload};
use tether_runtime::reload::Trigger;
use tokio_util::sync::CancellationToken;

use crate::config::ConnectorConfig;
use crate::ingress::Ingress;

/// Reloads `config.source` into `ingress` until `stop`.
pub async fn watch(
    config: ConnectorConfig,
    ingress: Arc<ArcSwap<Ingress>>,
    stop: CancellationToken,
) {
    let path = config.source.clone();
    let mut trigger = Trigger::new(vec![path.clone()]);
    let mut current = config;
    while let Some(why) = trigger.next(&stop).await {
        if let Some(next) = reload(&path, &current, &ingress, why) {
            current = next;
        }
    }
}

fn reload(
    path: &Path,
    current: &ConnectorConfig,
    ingress: &ArcSwap<Ingress>,
    why: &str,
) -> Option<ConnectorConfig> {
    let next = match ConnectorConfig::load(path) {
        Ok(next) => next,
        Err(e) => {
            tracing::error!(
                reason = why,
                file = %path.display(),
                "tunnel.yml not reloaded, the rules in force stay: {e}"
            );
            return None;
        }
    };
    for warning in &next.warnings {
        tracing::warn!("{warning}");
    }
    let Reload {
        apply: next,
        at_restart,
    } = diff(current, next);
    if !at_restart.is_empty() {
        tracing::warn!(
            keys = ?at_restart,
            "these keys changed and take effect when the connector restarts"
        );
    }
    ingress.store(Arc::new(next.ingress.clone()));
    tracing::info!(
        reason = why,
        file = %path.display(),
        rules = next.ingress.rules.len(),
        "tunnel.yml reloaded: new streams use the new ingress rules"
    );
    Some(next)
}

// tunnel.yml's keys read only at start (its boot part), in one list
// (`tether_runtime::boot`); everything else (the ingress rules and their `originRequest`)
// applies to new streams.
macro_rules! boot {
    ($name:literal, $($field:ident).+) => {
        BootKey {
            name: $name,
            changed: |old, new| old.$($field).+ != new.$($field).+,
            keep: |old, new| new.$($field).+ = old.$($field).+.clone(),
        }
    };
}

const BOOT: &[BootKey<ConnectorConfig>] = &[
    BootKey {
        name: "tunnel",
        // What the command line set (`tunnel run NAME`) is not the file's to change.
        changed: |old, new| !old.tunnel_from_command_line && old.tunnel != new.tunnel,
        keep: |old, new| {
            new.tunnel = old.tunnel.clone();
            new.tunnel_from_command_line = old.tunnel_from_command_line;
        },
    },
    boot!("credentials-file", credentials_file),
    boot!("edge", edge),
    boot!("ha-connections", ha_connections),
    boot!("grace-period", grace_period),
    boot!("retries", retries),
    boot!("liveness-timeout", liveness_timeout),
    BootKey {
        name: "metrics",
        // As `tunnel`: `--metrics` wins over the file.
        changed: |old, new| !old.metrics_from_command_line && old.metrics != new.metrics,
        keep: |old, new| {
            new.metrics = old.metrics;
            new.metrics_from_command_line = old.metrics_from_command_line;
        },
    },
    boot!("loglevel", log.level),
    boot!("logfile", log.file),
];

/// A reload from the running `old` to the file's `new`: pure, so a test holds every key to it.
fn diff(old: &ConnectorConfig, new: ConnectorConfig) -> Reload<ConnectorConfig> {
    tether_runtime::boot::diff(BOOT, old, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConnectorConfig {
        ConnectorConfig::parse(Path::new("/etc/tether/tunnel.yml"), text).expect("tunnel.yml")
    }

    const RULES: &str = "ingress:\n  - service: http_status:404\n";

    #[test]
    fn boot_keys_are_named_and_kept_while_the_rules_apply() {
        let running = parse(&format!("tunnel: a\nha-connections: 2\n{RULES}"));
        let next = parse(
            "tunnel: b\nha-connections: 4\nloglevel: debug\ningress:\n  - service: hello_world\n",
        );
        let reload = diff(&running, next);
        assert_eq!(reload.at_restart, ["tunnel", "ha-connections", "loglevel"]);
        assert_eq!(reload.apply.tunnel.as_deref(), Some("a"));
        assert_eq!(reload.apply.ha_connections, 2);
        assert_eq!(reload.apply.log.level, running.log.level);
        assert_eq!(reload.apply.ingress.rules[0].service_text, "hello_world");
        assert!(diff(&running, reload.apply).at_restart.is_empty());
    }

    #[test]
    fn what_the_command_line_set_is_not_the_files_to_change() {
        let mut running = parse(&format!("tunnel: a\n{RULES}"));
        running.tunnel = Some("from-the-command-line".into());
        running.tunnel_from_command_line = true;
        let reload = diff(&running, parse(&format!("tunnel: b\n{RULES}")));
        assert!(reload.at_restart.is_empty());
        assert_eq!(
            reload.apply.tunnel.as_deref(),
            Some("from-the-command-line")
        );
        assert!(reload.apply.tunnel_from_command_line);
    }

    /// A field added to ConnectorConfig stops this from compiling until it is placed: in
    /// `BOOT` (read only at start) or among what applies to new streams.
    #[test]
    fn every_field_of_the_config_is_placed() {
        let config = parse(RULES);
        let ConnectorConfig {
            // Boot: in BOOT.
            tunnel: _,
            tunnel_from_command_line: _,
            credentials_file: _,
            edge: _,
            ha_connections: _,
            grace_period: _,
            retries: _,
            liveness_timeout: _,
            metrics: _,
            metrics_from_command_line: _,
            log: _,
            // Live, or not settings: the rules apply to new streams; where the file is and
            // what it warned of are the file's own.
            ingress: _,
            source: _,
            warnings: _,
        } = &config;
        assert!(diff(&config, config.clone()).at_restart.is_empty());
    }
}
