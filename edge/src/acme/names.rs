//! Which names get an ACME certificate, and by which challenges: every routed hostname, the
//! names listed in `tls.acme.names`, and the public hostname only when connectors trust public
//! CAs for it; of those, only what `tls.acme.domains` allows when it is set.

use tether_dns::config::DnsConfig;

use crate::config::{AcmeConfig, ChallengeKind, EdgeConfig};

/// Whether `domains` allows ordering `name`: `example.com` allows that name, `*.example.com`
/// the wildcard and every name under example.com.
pub fn allowed(config: &AcmeConfig, name: &str) -> bool {
    let Some(domains) = &config.domains else {
        return true;
    };
    domains
        .iter()
        .any(|d| name == d || tether_proto::hostname::route_covers(d, name))
}

/// The names to hold certificates for, in order, without repeats: the routes' hostnames, the
/// listed names, and the public hostname with `advertise.public-certificate`.
pub fn wanted(edge: &EdgeConfig, acme: &AcmeConfig, routed: Vec<String>) -> Vec<String> {
    // Connectors that dial the public hostname pin the tunnel CA, unless it has a public
    // certificate: then it is ordered like any name, else never (not even when routed or listed).
    let public = edge.public_hostname.clone();
    let pinned = edge.pinned_public_hostname().map(str::to_string);
    let listed = acme.names.clone();
    let mut names = Vec::new();
    for name in routed.into_iter().chain(listed).chain(public) {
        if allowed(acme, &name) && !names.contains(&name) && Some(&name) != pinned.as_ref() {
            names.push(name);
        }
    }
    names
}

/// The challenges to try for `name`, in order. Wildcards can only be proved by dns-01 (RFC 8555
/// §7.1.3), and dns-01 only in a zone this edge's DNS serves. Unless `challenge:` was written,
/// such names try dns-01 first: it needs no public port and works before DNS points here.
pub fn challenges_for(
    name: &str,
    acme: &AcmeConfig,
    dns: Option<&DnsConfig>,
) -> Vec<ChallengeKind> {
    let hosted = dns.is_some_and(|d| d.hosts(name.strip_prefix("*.").unwrap_or(name)));
    let mut kinds: Vec<ChallengeKind> = acme
        .challenges
        .iter()
        .copied()
        .filter(|k| *k != ChallengeKind::Dns01 || hosted)
        .collect();
    if name.starts_with("*.") {
        kinds.retain(|k| *k == ChallengeKind::Dns01);
    } else if hosted && !acme.challenge_order_set {
        kinds.sort_by_key(|k| *k != ChallengeKind::Dns01);
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn edge(acme: &str) -> EdgeConfig {
        let text = format!("listen:\n  http: 127.0.0.1:80\n  https: 127.0.0.1:443\npublic-hostname: edge.example.test\ndns:\n  tunnel-zone: t.example.test\n  zones:\n    - name: example.test\n      name-servers:\n        - name: ns1.example.test\n          addresses: [192.0.2.1]\ntls:\n  acme:\n    directory: https://ca.test/dir\n{acme}");
        EdgeConfig::parse(Path::new("edge.yml"), &text).expect("config")
    }

    #[test]
    fn the_allowlist_admits_listed_names_and_names_under_a_wildcard() {
        let e = edge("    domains: [app.example.test, \"*.apps.example.test\"]\n    names: [app.example.test, \"*.apps.example.test\", not.allowed.test]\n");
        let a = e.acme.as_ref().unwrap();
        assert!(allowed(a, "app.example.test"));
        assert!(allowed(a, "*.apps.example.test"));
        assert!(allowed(a, "x.y.apps.example.test"));
        assert!(!allowed(a, "apps.example.test"));
        assert!(!allowed(a, "evilapps.example.test"));
        let names = wanted(
            &e,
            a,
            vec!["x.apps.example.test".into(), "other.example.test".into()],
        );
        assert_eq!(
            names,
            [
                "x.apps.example.test",
                "app.example.test",
                "*.apps.example.test"
            ]
        );
    }

    #[test]
    fn hosted_names_prefer_dns_01_unless_the_order_is_written_and_wildcards_need_it() {
        let e = edge("");
        let a = e.acme.as_ref().unwrap();
        let dns = e.dns.as_ref();
        use ChallengeKind::*;
        assert_eq!(
            challenges_for("app.example.test", a, dns),
            [Dns01, TlsAlpn01, Http01]
        );
        assert_eq!(
            challenges_for("app.elsewhere.test", a, dns),
            [TlsAlpn01, Http01]
        );
        assert_eq!(challenges_for("*.example.test", a, dns), [Dns01]);
        assert!(challenges_for("*.elsewhere.test", a, dns).is_empty());
        let e = edge("    challenge: [http-01, dns-01]\n");
        let a = e.acme.as_ref().unwrap();
        assert_eq!(
            challenges_for("app.example.test", a, e.dns.as_ref()),
            [Http01, Dns01]
        );
        // Without the key, the public hostname is the tunnel CA's (connectors pin it).
        assert!(wanted(&e, a, vec!["edge.example.test".into()]).is_empty());
        let mut public = e.clone();
        public.public_certificate = true;
        assert_eq!(wanted(&public, a, vec![]), ["edge.example.test"]);
    }
}
