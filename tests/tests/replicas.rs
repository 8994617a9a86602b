//! Connector replicas and their lifecycle: `ha-connections` sessions per connector, a rolling
//! restart of two replicas under load that loses nothing, and a GET whose session dies before
//! the answer, sent again on the other replica.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use http::{Request, StatusCode};
use hyper::body::Incoming;
use tests::client::{connect, full, Conn, Proto};
use tests::load::{Load, Targets};
use tests::origin;
use tests::tunnel::{TestConnector, TestEdge, Tunnel};
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const APP: &str = "app.example.test";
const WS: &str = "ws.example.test";
const TCP: &str = "tcp.example.test";

/// Waits until `connector` has registered `n` sessions.
fn wait_sessions(connector: &TestConnector, n: usize) {
    connector
        .proc
        .wait_count("tunnel session registered", n, READY);
}

#[tokio::test]
async fn a_connector_holds_ha_connections_sessions() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("ha");
    edge.route(&tunnel, APP);
    let connector = edge.connect(
        &tunnel,
        "ha-connections: 3\ningress:\n  - service: hello_world\n",
    );
    wait_sessions(&connector, 3);
    edge.proc.wait_count(
        &format!("tunnel session registered tunnel={}", tunnel.id),
        3,
        READY,
    );
    for index in 0..3 {
        assert_eq!(
            edge.proc.count_from(
                0,
                &format!(
                    "tunnel session registered tunnel={}.* index={index} ",
                    tunnel.id
                )
            ),
            1,
            "{}",
            edge.proc.log_text()
        );
    }
    let (status, _, _) = tests::client::get_plain(edge.addr("http"), APP, "/").await;
    assert_eq!(status, StatusCode::OK);
}

/// A WebSocket and a TCP stream opened through the edge, to be used across a drain.
struct Long {
    ws: tokio_tungstenite::WebSocketStream<TcpStream>,
    tcp: TcpStream,
}

impl Long {
    async fn open(edge: &TestEdge, tcp_port: SocketAddr) -> Long {
        let tcp = TcpStream::connect(edge.addr("http")).await.unwrap();
        let url = format!("ws://{WS}/echo");
        let (ws, response) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        let tcp = TcpStream::connect(tcp_port).await.unwrap();
        let mut long = Long { ws, tcp };
        long.exchange("opened").await;
        long
    }

    /// One echo on each: both still work.
    async fn exchange(&mut self, text: &str) {
        tests::client::ws_echo(&mut self.ws, text).await;
        let line = format!("{text}\n");
        self.tcp.write_all(line.as_bytes()).await.unwrap();
        let mut back = vec![0u8; line.len()];
        tokio::time::timeout(READY, self.tcp.read_exact(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, line.as_bytes());
    }

    /// Closes both the way a client ends them: a WebSocket close handshake, a TCP FIN
    /// answered by the origin's.
    async fn close(mut self) {
        self.ws.close(None).await.unwrap();
        while let Some(msg) = tokio::time::timeout(READY, self.ws.next()).await.unwrap() {
            if msg.unwrap().is_close() {
                break;
            }
        }
        self.tcp.shutdown().await.unwrap();
        let mut rest = Vec::new();
        tokio::time::timeout(READY, self.tcp.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
        assert!(rest.is_empty());
    }
}

/// SIGTERM to `replica` with `long` open through it: the streams keep working while it
/// drains, end cleanly, and the replica exits by itself once they have.
async fn drain(mut replica: TestConnector, mut long: Long, load: &Load) {
    let before = load.succeeded();
    replica.proc.signal("TERM");
    replica.proc.wait_for("shutting down: draining", READY);
    long.exchange("still open while the connector drains").await;
    // Requests keep succeeding meanwhile, on the other replica.
    let deadline = Instant::now() + READY;
    while load.succeeded() < before + 100 {
        assert!(
            Instant::now() < deadline,
            "the load stalled during the drain"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    long.close().await;
    // The replica exits once its last stream has closed, well before `grace-period` (60 s)
    // runs out, which `READY` (30 s) is shorter than.
    let status = tokio::task::spawn_blocking(move || {
        let status = replica.proc.wait_exit(READY);
        (status, replica)
    })
    .await
    .unwrap();
    assert!(status.0.success(), "{}", status.1.proc.log_text());
}

/// Starts a replica and waits until the edge routes to both its sessions: the edge logs a
/// session once it is in its table, a moment after the connector logs its registration.
fn replica(edge: &TestEdge, tunnel: &Tunnel, body: &str) -> TestConnector {
    let pattern = format!("tunnel session registered tunnel={}", tunnel.id);
    let before = edge.proc.count_from(0, &pattern);
    let c = TestConnector::spawn(edge.dir.path(), tunnel, body);
    edge.proc.wait_count(&pattern, before + 2, READY);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_of_two_replicas_under_load_loses_nothing() {
    let origin = origin::serve(|req: Request<Incoming>| async move {
        if req.uri().path() == "/slow" {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Read the body before answering, as a well-behaved origin does (one that answers a
        // POST without reading it may close the kept-alive connection under the next request).
        let body = http_body_util::BodyExt::collect(req.into_body()).await;
        match body {
            Ok(_) => origin::ok("ok"),
            Err(e) => origin::ok(format!("body failed: {e}")),
        }
    })
    .await;
    let ws = origin::websocket_echo().await;
    let echo = tests::tcp::echo().await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("rolling");
    edge.route(&tunnel, APP);
    edge.route(&tunnel, WS);
    let tcp_port = edge.route_tcp_port(&tunnel, TCP);
    let body = format!(
        "ha-connections: 2\ngrace-period: 60s\ningress:\n  - hostname: {WS}\n    service: http://{ws}\n  - hostname: {TCP}\n    service: tcp://{echo}\n  - service: http://{origin}\n"
    );

    // Replica A alone first, so the first long-lived streams are on it.
    let a = replica(&edge, &tunnel, &body);
    let load = Load::start(Targets::new(&[edge.addr("http")]), APP, 16);
    let long_a = Long::open(&edge, tcp_port).await;
    let b = replica(&edge, &tunnel, &body);
    drain(a, long_a, &load).await;

    // With A gone, the next long-lived streams are on B; then A comes back and B restarts.
    let long_b = Long::open(&edge, tcp_port).await;
    let a = replica(&edge, &tunnel, &body);
    drain(b, long_b, &load).await;
    let b = replica(&edge, &tunnel, &body);

    let (ok, rate, failures) = load.finish().await;
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {:?}\nedge log:\n{}",
        failures.len(),
        ok + failures.len() as u64,
        &failures[..failures.len().min(10)],
        edge.proc.log_text()
    );
    assert!(
        rate >= 200.0,
        "the load ran at {rate:.0} requests/s, under the 200/s the test needs"
    );
    eprintln!("rolling restart: {ok} requests at {rate:.0}/s, 0 failures");
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_whose_session_dies_before_the_answer_is_sent_again_on_another_replica() {
    // Replica A's origin takes requests and never answers; replica B's answers at once.
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stuck = origin::serve(move |req: Request<Incoming>| {
        let seen = seen_tx.clone();
        async move {
            let _ = seen.send(req.method().to_string());
            std::future::pending::<()>().await;
            origin::ok("unreachable")
        }
    })
    .await;
    let good = origin::named("b").await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("retry");
    edge.route(&tunnel, APP);
    let config =
        |origin: SocketAddr| format!("ha-connections: 1\ningress:\n  - service: http://{origin}\n");

    for (method, retried) in [("GET", true), ("POST", false)] {
        let mut a = replica_with(&edge, &tunnel, &config(stuck));
        let (conn, _) = connect(edge.addr("http"), None, Proto::Http1).await;
        let Conn::H1(mut sender) = conn else {
            unreachable!("asked for HTTP/1.1")
        };
        let req = Request::builder()
            .method(method)
            .uri("/item")
            .header("host", APP)
            // No body for either: a POST is held back by its method alone.
            .body(full(""))
            .unwrap();
        let pending = tokio::spawn(async move { sender.send_request(req).await });
        // The request is at A's origin: now B comes up, and A dies without a word.
        let at_origin = tokio::time::timeout(READY, seen_rx.recv()).await.unwrap();
        assert_eq!(at_origin.as_deref(), Some(method));
        let b = replica_with(&edge, &tunnel, &config(good));
        a.proc.kill();
        let response = tokio::time::timeout(READY, pending)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let status = response.status();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        if retried {
            assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
            assert_eq!(&body[..], b"origin b: GET /item host=app.example.test");
        } else {
            // A POST may have been acted on: it is never sent twice.
            assert_eq!(status, StatusCode::BAD_GATEWAY);
        }
        drop(b);
        // Both replicas gone before the next round, so its request lands on the new A.
        let registered = edge.proc.count_from(0, "tunnel session registered");
        edge.proc
            .wait_count("tunnel session ended", registered, READY);
    }
}

fn replica_with(edge: &TestEdge, tunnel: &Tunnel, body: &str) -> TestConnector {
    let from = edge.proc.log_len();
    let c = TestConnector::spawn(edge.dir.path(), tunnel, body);
    edge.wait_session(from, tunnel);
    c
}
