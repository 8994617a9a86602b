//! Which of edge.yml's keys are read only at start (its boot part) and which apply while the
//! edge runs (its live part), in one list: a reload ([`diff`]) keeps each boot key's running
//! value and names the ones the file changed, so what runs matches what the log says, and a key
//! can never be kept without being reported, or reported without being kept.

use std::fmt::Debug;

use tether_runtime::boot::{BootKey, Reload};

use super::EdgeConfig;

/// Equal by their debug form (for settings types without `PartialEq`).
fn same<T: Debug>(a: &T, b: &T) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

macro_rules! boot {
    ($name:literal, $($field:ident),+) => {
        BootKey {
            name: $name,
            changed: |old, new| $(!same(&old.$field, &new.$field))||+,
            keep: |old, new| { $(new.$field = old.$field.clone();)+ },
        }
    };
}

/// Listeners and their TLS set-up, the store, the edge's identity and what it advertises, DNS,
/// and the public HTTP/1.1 settings.
const BOOT: &[BootKey<EdgeConfig>] = &[
    boot!("listen", listen),
    boot!("state-dir", state_dir),
    boot!("store", store),
    BootKey {
        name: "edge-id",
        // Empty in a file without the key: the running edge filled in its bound address.
        changed: |old, new| !new.edge_id.is_empty() && old.edge_id != new.edge_id,
        keep: |old, new| new.edge_id = old.edge_id.clone(),
    },
    boot!("public-hostname", public_hostname),
    boot!(
        "advertise",
        advertise_tunnel,
        addresses,
        server_name,
        public_certificate
    ),
    boot!("tls.dev-ca", dev_ca),
    boot!("header-read-timeout", header_read_timeout),
    boot!("dns", dns),
    BootKey {
        name: "admin",
        // The listener and its TLS stay; the Host names it answers to follow the file.
        changed: |old, new| {
            let bound =
                |c: &EdgeConfig| c.admin.as_ref().map(|a| (a.listen, format!("{:?}", a.tls)));
            bound(old) != bound(new)
        },
        keep: |old, new| {
            let hosts = new
                .admin
                .as_ref()
                .map(|a| a.hosts.clone())
                .unwrap_or_default();
            new.admin = old.admin.clone().map(|mut admin| {
                admin.hosts = hosts;
                admin
            });
        },
    },
];

/// A reload from the running `old` to the file's `new`: pure, so a test holds every key to it.
pub fn diff(old: &EdgeConfig, new: EdgeConfig) -> Reload<EdgeConfig> {
    tether_runtime::boot::diff(BOOT, old, new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> EdgeConfig {
        EdgeConfig::parse(Path::new("/etc/tether/edge.yml"), text).expect("config")
    }

    #[test]
    fn boot_keys_are_named_and_kept_while_live_ones_apply() {
        let running = parse("listen:\n  http: 127.0.0.1:8080\nidle-timeout: 10s\n");
        let next =
            parse("listen:\n  http: 127.0.0.1:9090\nstate-dir: /elsewhere\nidle-timeout: 20s\n");
        let reload = diff(&running, next);
        assert_eq!(reload.at_restart, ["listen", "state-dir"]);
        assert_eq!(reload.apply.listen.http, running.listen.http);
        assert_eq!(reload.apply.state_dir, running.state_dir);
        assert_eq!(
            reload.apply.idle_timeout,
            std::time::Duration::from_secs(20)
        );
        assert!(diff(&running, reload.apply).at_restart.is_empty());
    }

    #[test]
    fn an_edge_id_filled_in_at_start_is_no_change() {
        let mut running = parse("listen:\n  http: 127.0.0.1:8080\n");
        running.edge_id = "127.0.0.1:8080".into();
        let next = parse("listen:\n  http: 127.0.0.1:8080\n");
        let reload = diff(&running, next);
        assert!(reload.at_restart.is_empty());
        assert_eq!(reload.apply.edge_id, "127.0.0.1:8080");
    }

    #[test]
    fn a_changed_store_waits_for_a_restart_and_admin_hosts_apply() {
        let admin = "admin:\n  listen: 127.0.0.1:7070\n";
        let running = parse(&format!("listen:\n  http: 127.0.0.1:8080\n{admin}"));
        let next = parse(&format!(
            "listen:\n  http: 127.0.0.1:8080\n{admin}  hosts: [ops.example.com]\nstore:\n  etcd:\n    endpoints: [http://127.0.0.1:2379]\n"
        ));
        let reload = diff(&running, next);
        assert_eq!(reload.at_restart, ["store"]);
        assert_eq!(reload.apply.store, running.store);
        let hosts = reload.apply.admin.map(|a| a.hosts).unwrap_or_default();
        assert_eq!(hosts, ["ops.example.com"]);
    }

    /// A field added to EdgeConfig stops this from compiling until it is placed: in `BOOT`
    /// (read only at start) or among the live ones (read at each use through `LiveConfig`).
    #[test]
    fn every_field_of_the_config_is_placed() {
        let config = parse("listen:\n  http: 127.0.0.1:8080\n");
        let EdgeConfig {
            // Boot: in BOOT.
            listen: _,
            state_dir: _,
            store: _,
            edge_id: _,
            public_hostname: _,
            advertise_tunnel: _,
            addresses: _,
            server_name: _,
            public_certificate: _,
            dev_ca: _,
            header_read_timeout: _,
            dns: _,
            admin: _,
            // Live.
            source: _,
            store_stale_limit: _,
            certificates: _,
            acme: _,
            http_redirect: _,
            response_header_timeout: _,
            idle_timeout: _,
            liveness_timeout: _,
            grace_period: _,
            max_request_body: _,
            max_concurrent_streams: _,
            max_connections: _,
            max_connections_per_ip: _,
            rate_limit: _,
            streams: _,
            trusted_proxies: _,
            cloudflare_headers: _,
            proxy_protocol: _,
            retry_methods: _,
        } = &config;
        assert!(diff(&config, config.clone()).at_restart.is_empty());
    }
}
