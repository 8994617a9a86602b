//! ACME certificates from a real CA: Debian's pebble, started here with its own roots, validating
//! against the edge's public ports and resolving names with the edge's own DNS. Every check is
//! what a browser does: curl verifying against pebble's root, no `-k`.

use std::time::{Duration, Instant};

use tests::acme::{curl_verified, edge_and_pebble, metric};
use tests::READY;

const HELLO: &str = "ingress:\n  - service: hello_world\n";

/// Waits until `host` is served with a certificate `root` verifies; returns how long it took.
fn wait_trusted(edge: &tests::tunnel::TestEdge, host: &str, root: &std::path::Path) -> Duration {
    let started = Instant::now();
    let mut changes = edge.proc.log_len();
    loop {
        let (ok, text) = curl_verified(edge.addr("https"), host, root);
        if ok {
            assert!(text.contains("Hello"), "{host}: {text}");
            return started.elapsed();
        }
        assert!(
            started.elapsed() < READY * 2,
            "{host} never got a trusted certificate; last curl: {text}\nedge log:\n{}",
            edge.proc.log_text()
        );
        // The next certificate change at the edge is the next thing worth a look.
        edge.proc.wait_for_from(
            changes,
            "serving an ACME certificate|ACME order failed",
            READY * 2,
        );
        changes = edge.proc.log_len();
    }
}

#[test]
fn each_challenge_gets_a_trusted_certificate_for_a_route_added_while_the_edge_runs() {
    let (edge, pebble) = edge_and_pebble("    challenge: [tls-alpn-01, dns-01]\n", "");
    let root = pebble.issuing_root();
    let tunnel = edge.create_tunnel("t1");
    let _connector = edge.connect(&tunnel, HELLO);

    // Before any order, a name without a certificate is refused with unrecognized_name.
    let (ok, text) = curl_verified(edge.addr("https"), "nothing.example.test", &root);
    assert!(!ok && text.contains("unrecognized name"), "{text}");

    // TLS-ALPN-01, on the public HTTPS port.
    edge.route(&tunnel, "alpn.example.test");
    let took = wait_trusted(&edge, "alpn.example.test", &root);
    eprintln!("route dns -> trusted certificate served (tls-alpn-01): {took:?}");
    edge.proc.wait_for(
        "answered a TLS-ALPN-01 validation peer=\\S+ hostname=alpn.example.test",
        READY,
    );

    // A wildcard by DNS-01, answered by the edge's own DNS.
    edge.route(&tunnel, "*.wild.example.test");
    let took = wait_trusted(&edge, "any.wild.example.test", &root);
    eprintln!("route dns -> trusted wildcard certificate served (dns-01): {took:?}");

    // HTTP-01, on the public HTTP port, after a reload that prefers it.
    let from = edge.proc.log_len();
    let yaml = std::fs::read_to_string(&edge.config).unwrap();
    std::fs::write(
        &edge.config,
        yaml.replace("[tls-alpn-01, dns-01]", "[http-01]"),
    )
    .unwrap();
    edge.proc.wait_for_from(from, "edge.yml reloaded", READY);
    edge.route(&tunnel, "http.example.test");
    let took = wait_trusted(&edge, "http.example.test", &root);
    eprintln!("route dns -> trusted certificate served (http-01): {took:?}");
    edge.proc.wait_for("answered an HTTP-01 validation", READY);

    // What each name got, as `edge cert list` shows it, and the metric.
    let list = edge.cli_ok(&["cert", "list"]);
    for (name, challenge) in [
        ("alpn.example.test", "tls-alpn-01"),
        ("*.wild.example.test", "dns-01"),
        ("http.example.test", "http-01"),
    ] {
        let line = list
            .lines()
            .find(|l| l.starts_with(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("{name} in:\n{list}"));
        assert!(line.contains("Pebble Intermediate CA"), "{line}");
        assert!(line.contains(&format!("\t{challenge}\t")), "{line}");
        assert!(line.ends_with("\t-"), "no error: {line}");
    }
    assert_eq!(
        metric(
            &edge,
            "tether_edge_acme_orders_total{result=\"issued\",kind=\"new\"}"
        ),
        3
    );
    assert_eq!(
        metric(
            &edge,
            "tether_edge_acme_orders_total{result=\"failed\",kind=\"new\"}"
        ),
        0
    );
    // The wildcard covers one level, and only it; other names keep being refused.
    let (ok, text) = curl_verified(edge.addr("https"), "a.b.wild.example.test", &root);
    assert!(!ok, "{text}");
}
