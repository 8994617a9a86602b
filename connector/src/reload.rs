//! Hot reload of tunnel.yml: on SIGHUP, or when the file's contents change (read every second),
//! the file is loaded and validated again. Valid ingress rules replace the old ones for new
//! streams, while streams in flight keep the rules they started with; an invalid file is logged,
//! with its line, and changes nothing. Keys that shape the sessions themselves take effect at the
//! next start, and the log says so.
//!
//! The file is read rather than watched with inotify: editors and Kubernetes ConfigMaps replace
//! it by renaming, which silently ends a watch on the old inode, and reading a few kilobytes a
//! second costs nothing.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use crate::config::ConnectorConfig;
use crate::ingress::Ingress;

const POLL: Duration = Duration::from_secs(1);

/// Reloads `config.source` into `ingress` until `stop`.
pub async fn watch(
    config: ConnectorConfig,
    ingress: Arc<ArcSwap<Ingress>>,
    stop: CancellationToken,
) {
    let path = config.source.clone();
    let mut hangup = match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; tunnel.yml is still reloaded when it changes");
            None
        }
    };
    let mut seen = std::fs::read(&path).ok();
    let mut current = config;
    loop {
        let asked = tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(POLL) => false,
            Some(()) = async { hangup.as_mut()?.recv().await } => true,
        };
        let text = std::fs::read(&path).ok();
        if !asked && text == seen {
            continue;
        }
        seen = text;
        let why = if asked { "SIGHUP" } else { "the file changed" };
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
    ingress.store(Arc::new(next.ingress.clone()));
    tracing::info!(
        reason = why,
        rules = next.ingress.rules.len(),
        "tunnel.yml reloaded: new streams use the new ingress rules"
    );
    Some(next)
}

/// The keys that differ between `old` and `new` but cannot change while running.
fn restart_only_changes(old: &ConnectorConfig, new: &ConnectorConfig) -> Vec<&'static str> {
    [
        ("tunnel", old.tunnel != new.tunnel),
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
        ("metrics", old.metrics != new.metrics),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(key, _)| key)
    .collect()
}
