//! Hot reload of tunnel.yml: on SIGHUP, or when the file's contents change
//! ([`tether_runtime::reload`]), the file is loaded and validated again. Valid ingress rules
//! replace the old ones for new streams, while streams in flight keep the rules they started
//! with; an invalid file is logged, with its line, and changes nothing. Keys that shape the
//! sessions themselves take effect at the next start, and the log says so.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
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
    let mut next = match ConnectorConfig::load(path) {
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
    let at_restart = restart_only_changes(current, &next);
    if !at_restart.is_empty() {
        tracing::warn!(
            keys = ?at_restart,
            "these keys changed and take effect when the connector restarts"
        );
    }
    // What runs keeps the values read at start, so the next reload warns again while the file
    // differs from them.
    next.tunnel = current.tunnel.clone();
    next.credentials_file = current.credentials_file.clone();
    next.edge = current.edge.clone();
    next.ha_connections = current.ha_connections;
    next.grace_period = current.grace_period;
    next.retries = current.retries;
    next.liveness_timeout = current.liveness_timeout;
    next.metrics = current.metrics;
    next.tunnel_from_command_line = current.tunnel_from_command_line;
    next.metrics_from_command_line = current.metrics_from_command_line;
    next.log = current.log.clone();
    ingress.store(Arc::new(next.ingress.clone()));
    tracing::info!(
        reason = why,
        file = %path.display(),
        rules = next.ingress.rules.len(),
        "tunnel.yml reloaded: new streams use the new ingress rules"
    );
    Some(next)
}

/// The keys that differ between `old` and `new` but cannot change while running.
fn restart_only_changes(old: &ConnectorConfig, new: &ConnectorConfig) -> Vec<&'static str> {
    [
        // What the command line set (`tunnel run NAME`, `--metrics`) is not the file's to change.
        (
            "tunnel",
            !old.tunnel_from_command_line && old.tunnel != new.tunnel,
        ),
        (
            "credentials-file",
            old.credentials_file != new.credentials_file,
        ),
        ("edge", old.edge != new.edge),
        ("ha-connections", old.ha_connections != new.ha_connections),
        ("grace-period", old.grace_period != new.grace_period),
        ("retries", old.retries != new.retries),
        (
            "liveness-timeout",
            old.liveness_timeout != new.liveness_timeout,
        ),
        (
            "metrics",
            !old.metrics_from_command_line && old.metrics != new.metrics,
        ),
        ("loglevel", old.log.level != new.log.level),
        ("logfile", old.log.file != new.log.file),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(key, _)| key)
    .collect()
}
