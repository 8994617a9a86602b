//! ACME certificates from a real CA: Debian's pebble, started here with its own roots, validating
//! against the edge's public ports and resolving names with the edge's own DNS. Every check is
//! what a browser does: curl verifying against pebble's root, no `-k`.

use std::time::{Duration, Instant};

use http::Request;
use tests::acme::{curl_verified, edge_and_pebble, edge_yaml, metric, served_leaf, Pebble};
use tests::client::{connect, full, Proto};
use tests::tunnel::TestEdge;
use tests::READY;

const HELLO: &str = "ingress:\n  - service: hello_world\n";

/// Waits until `host` is served with a certificate `root` verifies; returns how long it took.
fn wait_trusted(edge: &TestEdge, host: &str, root: &std::path::Path) -> Duration {
    wait_trusted_since(edge, host, root, Instant::now())
}

/// [`wait_trusted`], timed from `started`.
fn wait_trusted_since(
    edge: &TestEdge,
    host: &str,
    root: &std::path::Path,
    started: Instant,
) -> Duration {
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

/// Routes `route` and waits until `host` under it is served with a trusted certificate; prints
/// the time from `edge tunnel route dns` to then.
fn route_until_trusted(
    edge: &TestEdge,
    tunnel: &tests::tunnel::Tunnel,
    route: &str,
    host: &str,
    root: &std::path::Path,
) {
    let started = Instant::now();
    edge.route(tunnel, route);
    let took = wait_trusted_since(edge, host, root, started);
    eprintln!("edge tunnel route dns {route} -> trusted certificate for {host} served: {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_challenge_gets_a_trusted_certificate_for_a_route_added_while_the_edge_runs() {
    let (edge, pebble) = edge_and_pebble("    challenge: [tls-alpn-01, dns-01]\n", "");
    let root = pebble.issuing_root();
    let tunnel = edge.create_tunnel("t1");
    let _connector = edge.connect(&tunnel, HELLO);

    // Before any order, a name without a certificate is refused with unrecognized_name.
    let (ok, text) = curl_verified(edge.addr("https"), "nothing.example.test", &root);
    assert!(!ok && text.contains("unrecognized name"), "{text}");
    // The public hostname keeps the tunnel CA's certificate, which connectors pin.
    served_leaf(edge.addr("https"), "localhost", &edge.ca_pem()).await;

    // TLS-ALPN-01, on the public HTTPS port; timed from `edge tunnel route dns`.
    route_until_trusted(
        &edge,
        &tunnel,
        "alpn.example.test",
        "alpn.example.test",
        &root,
    );
    edge.proc.wait_for(
        "answered a TLS-ALPN-01 validation peer=\\S+ hostname=alpn.example.test",
        READY,
    );

    // A wildcard by DNS-01, answered by the edge's own DNS.
    route_until_trusted(
        &edge,
        &tunnel,
        "*.wild.example.test",
        "any.wild.example.test",
        &root,
    );

    // HTTP-01, on the public HTTP port, after a reload that prefers it; answered before the
    // redirect to HTTPS that plain HTTP otherwise gets.
    let from = edge.proc.log_len();
    let yaml = std::fs::read_to_string(&edge.config).unwrap();
    let yaml = yaml.replace("[tls-alpn-01, dns-01]", "[http-01]") + "http-redirect: true\n";
    std::fs::write(&edge.config, yaml).unwrap();
    edge.proc.wait_for_from(from, "edge.yml reloaded", READY);
    route_until_trusted(
        &edge,
        &tunnel,
        "http.example.test",
        "http.example.test",
        &root,
    );
    edge.proc.wait_for(
        "answered an HTTP-01 validation hostname=http.example.test",
        READY,
    );
    let other_token = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(["-H", "Host: http.example.test"])
        .arg(format!(
            "http://{}/.well-known/acme-challenge/not-in-flight",
            edge.addr("http")
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&other_token.stdout), "308");

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
    assert!(!ok && text.contains("unrecognized name"), "{text}");
    // No order was placed for the public hostname.
    assert_eq!(
        edge.proc
            .count_from(0, "ordering an ACME certificate name=\"localhost\""),
        0
    );
    assert!(!list.contains("localhost"), "{list}");
}

/// How many log lines of `edge` say `name` was issued for `kind` (new or renewal).
fn issued(edge: &TestEdge, name: &str, kind: &str) -> usize {
    let pattern = format!(
        "ACME certificate issued name=\"{}\" kind=\"{kind}\"",
        regex::escape(name)
    );
    edge.proc.count_from(0, &pattern)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_due_certificate_is_renewed_once_and_an_open_http2_connection_survives_the_swap() {
    // 30-second certificates: renewed when a third of the life is left, 20 s in.
    let (edge, pebble) = edge_and_pebble(
        "    challenge: [tls-alpn-01]\n",
        r#""certificateValidityPeriod": 30,"#,
    );
    let root = pebble.issuing_root();
    let tunnel = edge.create_tunnel("t1");
    let _connector = edge.connect(&tunnel, HELLO);
    let host = "app.example.test";
    edge.route(&tunnel, host);
    wait_trusted(&edge, host, &root);
    let (first, first_serial) = served_leaf(edge.addr("https"), host, &root).await;

    // An HTTP/2 connection opened on the first certificate.
    let (mut open, alpn) = connect(edge.addr("https"), Some((host, &root)), Proto::Http2).await;
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    let get = || {
        Request::get(format!("https://{host}/"))
            .body(full(""))
            .unwrap()
    };
    assert_eq!(open.send(get()).await.unwrap().status(), 200);

    let renewed = edge.proc.wait_for(
        &format!("ACME certificate issued name=\"{host}\" kind=\"renewal\""),
        READY * 2,
    );
    edge.proc.wait_count(
        &format!("serving an ACME certificate name={host} "),
        2,
        READY,
    );
    // New handshakes get the renewed certificate; the open connection keeps working.
    let (second, second_serial) = served_leaf(edge.addr("https"), host, &root).await;
    assert_ne!(first, second, "{renewed}");
    assert_ne!(first_serial, second_serial);
    assert!(renewed.contains(&second_serial), "{renewed}");
    assert_eq!(open.send(get()).await.unwrap().status(), 200);

    // Once, not in a loop: the renewed certificate is not due for another 20 s, and orders
    // may come every second (order-interval), so a loop would show here several times over.
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(5) {
        assert_eq!(
            issued(&edge, host, "renewal"),
            1,
            "{}",
            edge.proc.log_text()
        );
        assert_eq!(edge.proc.count_from(0, "ordering an ACME certificate"), 2);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        metric(
            &edge,
            "tether_edge_acme_orders_total{result=\"issued\",kind=\"renewal\"}"
        ),
        1
    );
    assert_eq!(open.send(get()).await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_ca_refuses_or_is_down_the_edge_keeps_serving_and_backs_off() {
    let (edge, mut pebble) = edge_and_pebble(
        "    challenge: [tls-alpn-01]\n",
        r#""certificateValidityPeriod": 60, "domainBlocklist": ["refused.example.test"],"#,
    );
    let root = pebble.issuing_root();
    let tunnel = edge.create_tunnel("t1");
    let _connector = edge.connect(&tunnel, HELLO);
    edge.route(&tunnel, "app.example.test");
    wait_trusted(&edge, "app.example.test", &root);
    let (served, _) = served_leaf(edge.addr("https"), "app.example.test", &root).await;

    // Refused: logged, counted, retried with a doubling wait (order-interval 1s), no loop.
    edge.route(&tunnel, "refused.example.test");
    for (n, wait) in [(1, "1s"), (2, "2s"), (3, "4s")] {
        edge.proc.wait_for(
            &format!("ACME order failed; the certificate in force stays name=\"refused.example.test\" kind=\"new\" error=.*rejectedIdentifier.* failures={n} retry_in={wait}"),
            READY,
        );
    }
    assert!(
        metric(
            &edge,
            "tether_edge_acme_orders_total{result=\"failed\",kind=\"new\"}"
        ) >= 3
    );
    let list = edge.cli_ok(&["cert", "list"]);
    let line = list
        .lines()
        .find(|l| l.starts_with("refused.example.test\t"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        line.contains("rejectedIdentifier") && line.contains("failed in a row"),
        "{line}"
    );

    // Down: the renewal (due 40 s in) fails, and the certificate in force is still served.
    pebble.stop();
    edge.proc.wait_for(
        "ACME order failed; the certificate in force stays name=\"app.example.test\" kind=\"renewal\"",
        READY * 2,
    );
    assert!(
        metric(
            &edge,
            "tether_edge_acme_orders_total{result=\"failed\",kind=\"renewal\"}"
        ) >= 1
    );
    let (still, _) = served_leaf(edge.addr("https"), "app.example.test", &root).await;
    assert_eq!(served, still);
    let (ok, text) = curl_verified(edge.addr("https"), "app.example.test", &root);
    assert!(ok, "{text}");

    // Back, but reset (a new pebble knows neither the account nor its old root): the edge
    // registers again and renews, from the new root.
    let https = edge.addr("https");
    pebble.start(edge.addr("http").port(), https.port(), edge.addr("dns"), "");
    let new_root = pebble.issuing_root();
    edge.proc
        .wait_for("the CA no longer knows the ACME account", READY);
    edge.proc.wait_for(
        "ACME certificate issued name=\"app.example.test\" kind=\"renewal\"",
        READY,
    );
    edge.proc.wait_count(
        "serving an ACME certificate name=app.example.test ",
        2,
        READY,
    );
    let (ok, text) = curl_verified(https, "app.example.test", &new_root);
    assert!(ok, "{text}");
}

/// Two edges on one store, A on 127.0.0.1 and B on 127.0.0.2 with the same port numbers (pebble
/// validates on one port), the DNS (A's) answering B's address for the routed names because
/// only B holds the tunnel's session. A orders everything; B only `both.example.test` (its
/// `domains` allowlist), for which the two race for the lock.
#[tokio::test(flavor = "multi_thread")]
async fn two_edges_order_once_and_the_edge_without_the_lock_answers_the_ca() {
    let mut pebble = Pebble::plan();
    let a = TestEdge::start_config(
        tempfile::tempdir().unwrap(),
        &edge_yaml(&pebble, "127.0.0.1", (0, 0), "    challenge: [http-01]\n"),
    );
    let ports = (a.addr("http").port(), a.addr("https").port());
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(a.dir.path().join("state"), dir.path().join("state")).unwrap();
    let b = TestEdge::start_config(
        dir,
        &edge_yaml(
            &pebble,
            "127.0.0.2",
            ports,
            "    challenge: [tls-alpn-01]\n    domains: [both.example.test]\n",
        ),
    );
    pebble.start(ports.0, ports.1, a.addr("dns"), "");
    let root = pebble.issuing_root();
    let tunnel = b.create_tunnel("t1");
    let from = b.proc.log_len();
    let _connector = tests::tunnel::TestConnector::spawn(
        b.dir.path(),
        &tunnel,
        &format!("edge: {}\nha-connections: 1\n{HELLO}", b.addr("tunnel")),
    );
    b.wait_session(from, &tunnel);

    // Only A may order `one`: by HTTP-01, which the CA sends to B.
    a.route(&tunnel, "one.example.test");
    wait_trusted(&b, "one.example.test", &root);
    b.proc.wait_for("answered an HTTP-01 validation", READY);
    // Then `two` by TLS-ALPN-01 (A reloaded to prefer it), answered by B too.
    let from = a.proc.log_len();
    let yaml = std::fs::read_to_string(&a.config).unwrap();
    std::fs::write(&a.config, yaml.replace("[http-01]", "[tls-alpn-01]")).unwrap();
    a.proc.wait_for_from(from, "edge.yml reloaded", READY);
    a.route(&tunnel, "two.example.test");
    wait_trusted(&b, "two.example.test", &root);
    b.proc.wait_for(
        "answered a TLS-ALPN-01 validation peer=\\S+ hostname=two.example.test",
        READY,
    );
    // `both`: each edge may order it; the lock lets one.
    a.route(&tunnel, "both.example.test");
    wait_trusted(&b, "both.example.test", &root);

    for name in ["one.example.test", "two.example.test", "both.example.test"] {
        let orders = [&a, &b]
            .iter()
            .map(|e| {
                e.proc
                    .count_from(0, &format!("ordering an ACME certificate name=\"{name}\""))
            })
            .sum::<usize>();
        assert_eq!(orders, 1, "{name}: one order in the cluster");
        assert_eq!(
            issued(&a, name, "new") + issued(&b, name, "new"),
            1,
            "{name}"
        );
        // Both edges serve the same certificate (A once it has loaded it).
        a.proc
            .wait_for(&format!("serving an ACME certificate name={name} "), READY);
        let at_a = served_leaf(a.addr("https"), name, &root).await;
        let at_b = served_leaf(b.addr("https"), name, &root).await;
        assert_eq!(at_a.1, at_b.1, "{name}: the same serial at both edges");
    }
    assert_eq!(issued(&b, "one.example.test", "new"), 0);
    assert_eq!(issued(&b, "two.example.test", "new"), 0);
    // The CA never reached A: DNS pointed it at B.
    assert_eq!(
        a.proc
            .count_from(0, "answered an? (HTTP-01|TLS-ALPN-01) validation"),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ca_that_requires_external_account_binding_gets_it() {
    let mac = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
    let (edge, pebble) = edge_and_pebble(
        &format!("    challenge: [http-01]\n    eab:\n      key-id: kid-1\n      hmac: {mac}\n"),
        &format!(
            r#""externalAccountBindingRequired": true, "externalAccountMACKeys": {{"kid-1": "{mac}"}},"#
        ),
    );
    let root = pebble.issuing_root();
    let tunnel = edge.create_tunnel("t1");
    let _connector = edge.connect(&tunnel, HELLO);
    edge.route(&tunnel, "app.example.test");
    wait_trusted(&edge, "app.example.test", &root);
    edge.proc.wait_for("ACME account registered", READY);
}
