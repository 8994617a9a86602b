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
    let mut next = match EdgeConfig::load(&current.source) {
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
    let at_restart = restart_only_changes(&current, &next);
    if !at_restart.is_empty() {
        tracing::warn!(
            keys = ?at_restart,
            "these keys changed and take effect when the edge restarts"
        );
    }
    keep_restart_only(&current, &mut next);
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

/// Keeps the values in force for the keys only read at start, so that what runs matches what
/// the log said (and the next reload warns again while they differ from the file).
fn keep_restart_only(current: &EdgeConfig, next: &mut EdgeConfig) {
    next.listen = current.listen.clone();
    next.state_dir = current.state_dir.clone();
    next.edge_id = current.edge_id.clone();
    next.public_hostname = current.public_hostname.clone();
    next.advertise_tunnel = current.advertise_tunnel.clone();
    next.addresses = current.addresses.clone();
    next.server_name = current.server_name.clone();
    next.public_certificate = current.public_certificate;
    next.dev_ca = current.dev_ca;
    next.header_read_timeout = current.header_read_timeout;
    next.dns = current.dns.clone();
    // The admin listener and its TLS stay; the Host names it answers to follow the file.
    let hosts = next
        .admin
        .as_ref()
        .map(|a| a.hosts.clone())
        .unwrap_or_default();
    next.admin = current.admin.clone().map(|mut admin| {
        admin.hosts = hosts;
        admin
    });
}

/// Keys that differ but are only read at start: listeners and their TLS setup, the store, the
/// edge's identity and what it advertises, DNS, and the public HTTP/1.1 settings.
fn restart_only_changes(old: &EdgeConfig, new: &EdgeConfig) -> Vec<&'static str> {
    let listen = |c: &EdgeConfig| {
        let l = &c.listen;
        (l.http, l.https, l.tunnel, l.dns, l.metrics)
    };
    let dns = |c: &EdgeConfig| c.dns.as_ref().map(|d| format!("{d:?}"));
    let admin = |c: &EdgeConfig| {
        c.admin
            .as_ref()
            .map(|a| format!("{:?} {:?}", a.listen, a.tls))
    };
    [
        ("listen", listen(old) != listen(new)),
        ("state-dir", old.state_dir != new.state_dir),
        // Empty in a file without the key: the running edge filled in its bound address.
        (
            "edge-id",
            !new.edge_id.is_empty() && old.edge_id != new.edge_id,
        ),
        (
            "public-hostname",
            old.public_hostname != new.public_hostname,
        ),
        (
            "advertise",
            old.advertise_tunnel != new.advertise_tunnel
                || old.addresses != new.addresses
                || old.server_name != new.server_name
                || old.public_certificate != new.public_certificate,
        ),
        ("tls.dev-ca", old.dev_ca != new.dev_ca),
        (
            "header-read-timeout",
            old.header_read_timeout != new.header_read_timeout,
        ),
        ("dns", dns(old) != dns(new)),
        ("admin", admin(old) != admin(new)),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(key, _)| key)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> EdgeConfig {
        EdgeConfig::parse(Path::new("/etc/tether/edge.yml"), text).expect("config")
    }

    #[test]
    fn restart_only_keys_are_named_and_kept_while_live_ones_apply() {
        let running = parse("listen:\n  http: 127.0.0.1:8080\nidle-timeout: 10s\n");
        let mut next =
            parse("listen:\n  http: 127.0.0.1:9090\nstate-dir: /elsewhere\nidle-timeout: 20s\n");
        assert_eq!(
            restart_only_changes(&running, &next),
            ["listen", "state-dir"]
        );
        keep_restart_only(&running, &mut next);
        assert_eq!(next.listen.http, running.listen.http);
        assert_eq!(next.state_dir, running.state_dir);
        assert_eq!(next.idle_timeout, std::time::Duration::from_secs(20));
        assert!(restart_only_changes(&running, &next).is_empty());
    }

    #[test]
    fn an_edge_id_filled_in_at_start_is_no_change() {
        let mut running = parse("listen:\n  http: 127.0.0.1:8080\n");
        running.edge_id = "127.0.0.1:8080".into();
        let next = parse("listen:\n  http: 127.0.0.1:8080\n");
        assert!(restart_only_changes(&running, &next).is_empty());
    }
}
