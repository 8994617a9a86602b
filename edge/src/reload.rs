//! Hot reload of edge.yml and its certificates: on SIGHUP, or when the file or any configured
//! certificate or key file changes ([`tether_runtime::reload`]: certbot renewals are picked up by
//! themselves). Everything is loaded and validated first; only then do the new settings and
//! certificates apply, to new requests and handshakes, while connections, sessions and streams
//! already open go on. An invalid file or an unreadable certificate is logged and changes
//! nothing. Listeners, the store and identity take effect at the next start, and the log says so.

use std::path::PathBuf;
use std::sync::Arc;

use tether_runtime::reload::Trigger;
use tokio_util::sync::CancellationToken;

use tether_runtime::boot::Reload;

use crate::config::boot;
use crate::config::{EdgeConfig, LiveConfig};
use crate::tls::certs::{self, CertResolver};

/// The files a reload reads: edge.yml and every certificate and key it names.
fn files(config: &EdgeConfig) -> Vec<PathBuf> {
    let mut files = vec![config.source.clone()];
    for pair in &config.certificates {
        files.push(pair.cert.clone());
        files.push(pair.key.clone());
    }
    files
}

/// Reloads until `shutdown`.
pub async fn watch(config: LiveConfig, certs: Arc<CertResolver>, shutdown: CancellationToken) {
    let mut trigger = Trigger::new(files(&config.get()));
    while let Some(why) = trigger.next(&shutdown).await {
        // Whether or not it could be applied, a readable edge.yml says which files to watch:
        // certificates it names that do not exist yet are picked up when they appear.
        if let Some(named) = reload(&config, &certs, why) {
            trigger.watch(named);
        }
    }
}

/// Applies edge.yml if it and its certificates are valid; returns the files it names, if it
/// could be read at all.
fn reload(config: &LiveConfig, certs: &CertResolver, why: &str) -> Option<Vec<PathBuf>> {
    let current = config.get();
    let next = match EdgeConfig::load(&current.source) {
        Ok(next) => next,
        Err(e) => {
            tracing::error!(
                reason = why,
                "edge.yml not reloaded, the configuration in force stays: {e}"
            );
            return None;
        }
    };
    let pairs = match next
        .certificates
        .iter()
        .map(certs::load_pair)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(pairs) => pairs,
        Err(e) => {
            tracing::error!(
                reason = why,
                "edge.yml not reloaded, the certificates in force stay: {e}"
            );
            return None;
        }
    };
    let Reload {
        apply: next,
        at_restart,
    } = boot::diff(&current, next);
    if !at_restart.is_empty() {
        tracing::warn!(
            keys = ?at_restart,
            "these keys changed and take effect when the edge restarts"
        );
    }
    let named = files(&next);
    let count = next.certificates.len();
    certs.replace_configured(pairs);
    config.set(next);
    tracing::info!(
        reason = why,
        certificates = count,
        "edge.yml reloaded: new requests and TLS handshakes use it"
    );
    Some(named)
}
