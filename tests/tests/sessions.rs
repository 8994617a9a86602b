//! Tunnel sessions: authentication without a replayable secret, isolation between tunnels,
//! deletion, and reconnection.

use http::StatusCode;
use tests::client::get_plain;
use tests::tunnel::{TestConnector, TestEdge};
use tests::READY;

const HELLO: &str = "ingress:\n  - service: hello_world\n";

#[tokio::test]
async fn a_wrong_key_is_refused_and_the_connector_exits_with_the_reason() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("victim");
    edge.route(&tunnel, "victim.example.test");
    // Same tunnel id, someone else's key.
    let mut creds: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tunnel.credentials).unwrap()).unwrap();
    creds["PrivateKey"] =
        serde_json::Value::String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into());
    std::fs::write(&tunnel.credentials, serde_json::to_vec(&creds).unwrap()).unwrap();

    let mut connector = TestConnector::spawn(edge.dir.path(), &tunnel, HELLO);
    let status = connector.proc.wait_exit(READY);
    // Its own status, so a service manager can stop retrying (RestartPreventExitStatus=77).
    assert_eq!(status.code(), Some(77));
    let log = connector.proc.log_text();
    assert!(
        log.contains("401") && log.contains("its key is not accepted"),
        "{log}"
    );
    edge.proc.wait_for("session refused", READY);
    let (status, _, _) = get_plain(edge.addr("http"), "victim.example.test", "/").await;
    assert_eq!(status.as_u16(), 530, "the hostname stays offline");
}

#[tokio::test]
async fn a_tunnel_never_receives_another_tunnels_traffic() {
    let edge = TestEdge::start("");
    let a = edge.create_tunnel("a");
    let b = edge.create_tunnel("b");
    edge.route(&a, "a.example.test");
    edge.route(&b, "b.example.test");
    // B's connector claims A's hostname in its ingress: connectors never announce hostnames.
    let connector_b = edge.connect(&b, "ingress:\n  - hostname: a.example.test\n    service: hello_world\n  - service: hello_world\n");
    connector_b.proc.wait_for(
        "ingress rule #1 \\(hostname a.example.test\\) is unreachable",
        READY,
    );
    let (status, _, body) = get_plain(edge.addr("http"), "a.example.test", "/").await;
    assert_eq!(
        status.as_u16(),
        530,
        "A has no connector, so A is offline: {body}"
    );
    let (status, _, _) = get_plain(edge.addr("http"), "b.example.test", "/").await;
    assert_eq!(status, StatusCode::OK);
    // And a route to a hostname another tunnel holds is refused.
    let out = edge.cli(&["tunnel", "route", "dns", "b", "a.example.test"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already routed"));
}

#[tokio::test]
async fn deleting_a_tunnel_closes_its_session_and_stops_the_connector() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("doomed");
    edge.route(&tunnel, "doomed.example.test");
    let mut connector = edge.connect(&tunnel, HELLO);
    let (status, _, _) = get_plain(edge.addr("http"), "doomed.example.test", "/").await;
    assert_eq!(status, StatusCode::OK);
    edge.cli_ok(&["tunnel", "delete", "doomed"]);
    edge.proc
        .wait_for(&format!("tunnel session ended tunnel={}", tunnel.id), READY);
    let status = connector.proc.wait_exit(READY);
    assert!(!status.success());
    assert!(
        connector.proc.log_text().contains("was deleted"),
        "{}",
        connector.proc.log_text()
    );
    // The route table follows its own watch of the store: the sessions may close a moment
    // before it drops the route (a request then gets 530, the tunnel offline).
    let deadline = tokio::time::Instant::now() + READY;
    let mut status = StatusCode::OK;
    while tokio::time::Instant::now() < deadline {
        status = get_plain(edge.addr("http"), "doomed.example.test", "/")
            .await
            .0;
        if status != StatusCode::from_u16(530).unwrap() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the route went with the tunnel"
    );
}

#[tokio::test]
async fn the_connector_reconnects_after_the_edge_restarts() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("sturdy");
    edge.route(&tunnel, "sturdy.example.test");
    let connector = edge.connect(&tunnel, HELLO);
    let edge = edge.restart();
    edge.wait_session(0, &tunnel);
    let (status, _, _) = get_plain(edge.addr("http"), "sturdy.example.test", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(connector
        .proc
        .log_text()
        .contains("reconnecting after backoff"));
}

#[tokio::test]
async fn connectors_can_dial_the_public_https_port_at_the_reserved_path() {
    // For sites that allow only outbound 443: the session goes to the edge's public HTTPS
    // listener, at its own hostname (`public-hostname: localhost` in the test edge).
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("outbound443");
    edge.route(&tunnel, "via443.example.test");
    let port = edge.addr("https").port();
    let body = format!("edge: wss://localhost:{port}/.well-known/tether/tunnel\n{HELLO}");
    let connector = edge.connect(&tunnel, &body);
    assert!(connector
        .proc
        .log_text()
        .contains(&format!("edge=wss://localhost:{port}/")));
    let (status, _, body) = get_plain(edge.addr("http"), "via443.example.test", "/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn without_a_pinned_ca_the_connector_verifies_against_the_system_roots() {
    // `advertise.public-certificate: true` means "my endpoint has a public certificate": the
    // credentials pin nothing. This edge's tunnel certificate is from its private CA, so a
    // connector that really verifies must refuse it (and keep retrying: it may be fixed).
    let edge = TestEdge::start("advertise:\n  public-certificate: true\n");
    let tunnel = edge.create_tunnel("public");
    let creds: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tunnel.credentials).unwrap()).unwrap();
    assert!(creds.get("EdgeCA").is_none(), "{creds}");
    let c = TestConnector::spawn(edge.dir.path(), &tunnel, HELLO);
    let line = c.proc.wait_for("TLS handshake failed", READY);
    assert!(
        line.contains("UnknownIssuer") || line.contains("invalid peer certificate"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_reset_streams_does_not_bring_the_session_down() {
    // Many public clients going away at once (a load generator stopping, a browser closing a
    // page of requests) reset hundreds of tunnel streams in one burst, some before the connector
    // has accepted them. h2's rapid-reset guard would take those for an attack and close the
    // whole session; the tunnel must shrug them off.
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let origin = tests::origin::serve(move |req: http::Request<hyper::body::Incoming>| {
        let seen = seen_tx.clone();
        async move {
            if req.uri().path() == "/ok" {
                return tests::origin::ok("ok");
            }
            let _ = seen.send(());
            // Never answers: the stream stays open until the client resets it.
            std::future::pending::<()>().await;
            tests::origin::ok("unreachable")
        }
    })
    .await;
    let s = tests::tunnel::Setup::new(
        "",
        &["burst.example.test"],
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    let from = s.edge.proc.log_len();
    for _round in 0..3 {
        let (conn, _) = tests::client::connect(
            s.edge.addr("https"),
            Some(("burst.example.test", &s.edge.ca_pem())),
            tests::client::Proto::Http2,
        )
        .await;
        let tests::client::Conn::H2(sender) = conn else {
            unreachable!("asked for HTTP/2")
        };
        let requests: Vec<_> = (0..500)
            .map(|_| {
                let mut sender = sender.clone();
                tokio::spawn(async move {
                    let req = http::Request::get("https://burst.example.test/")
                        .body(tests::client::full(""))
                        .unwrap();
                    sender.send_request(req).await
                })
            })
            .collect();
        // Once the first request is at the origin, the rest are on their way: reset them all.
        tokio::time::timeout(READY, seen_rx.recv()).await.unwrap();
        requests.iter().for_each(|r| r.abort());
        drop(sender);
    }
    // The session is the one registered at the start, and it still carries requests.
    let (status, _, _) = get_plain(s.edge.addr("http"), "burst.example.test", "/ok").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        s.edge.proc.count_from(from, "tunnel session ended"),
        0,
        "the session was closed:\n{}",
        s.edge.proc.log_text()
    );
}

/// Seconds since midnight of a log line's timestamp (`2026-11-30T18:39:36.543582Z …`).
fn log_seconds(line: &str) -> f64 {
    let time = line.split('T').nth(1).and_then(|t| t.split('Z').next());
    let parts: Vec<f64> = time
        .map(|t| t.split(':').filter_map(|p| p.parse().ok()).collect())
        .unwrap_or_default();
    assert_eq!(parts.len(), 3, "no timestamp in {line}");
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnections_after_an_edge_restart_spread_over_the_backoff_window() {
    // 100 tunnels, one session each, from in-process connectors.
    let edge = TestEdge::start("");
    let tunnels = tokio::task::block_in_place(|| tests::many::create_tunnels(&edge, 100)).unwrap();
    let connectors = tests::many::connect_tunnels(&edge, &tunnels).await.unwrap();
    let edge = tokio::task::block_in_place(|| edge.restart());
    let pattern = "tunnel session registered";
    tokio::task::block_in_place(|| edge.proc.wait_count(pattern, 100, READY * 4));
    let log = edge.proc.log_text();
    let times: Vec<f64> = log
        .lines()
        .filter(|l| l.contains(pattern))
        .map(log_seconds)
        .collect();
    let first = times.iter().copied().fold(f64::INFINITY, f64::min);
    let mut buckets = std::collections::HashMap::<i64, usize>::new();
    for t in &times {
        // Across midnight the later times are small: a day later, not earlier.
        let since = if *t < first {
            t + 86_400.0 - first
        } else {
            t - first
        };
        *buckets.entry((since * 10.0) as i64).or_default() += 1;
    }
    let fullest = buckets.values().copied().max().unwrap_or(0);
    let span = buckets.keys().max().unwrap_or(&0) - buckets.keys().min().unwrap_or(&0);
    eprintln!("100 reconnections over {span} buckets of 100 ms, at most {fullest} in one");
    assert!(
        fullest <= 20,
        "{fullest} of 100 reconnections fell in one 100 ms bucket: {buckets:?}"
    );
    connectors.cancel();
}
