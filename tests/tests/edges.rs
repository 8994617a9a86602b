//! Several edges sharing one store: a request at an edge holding no session of its tunnel is
//! carried over an edge-to-edge link; a connector spreads its sessions over the edges; one edge
//! killed, stopped or drained costs only what was on it.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use http::StatusCode;
use tests::client::{get_plain, ws_echo};
use tests::load::{Load, Targets};
use tests::origin;
use tests::tunnel::{TestConnector, TestEdge, Tunnel};
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

const APP: &str = "app.example.test";
const WS: &str = "ws.example.test";
const TCP: &str = "tcp.example.test";

/// An origin for the load: `/` answers at once, `/slow` after 20 ms, so some requests are always
/// in flight; a POST's body is read before the answer.
/// `/hold` waits until the test releases it: each such request hands the test a sender on
/// `holds`.
type Holds = mpsc::UnboundedReceiver<oneshot::Sender<()>>;

async fn app_origin() -> (SocketAddr, Holds) {
    let (hold_tx, holds) = mpsc::unbounded_channel();
    let addr = origin::serve(move |req| {
        let hold_tx = hold_tx.clone();
        async move {
            let path = req.uri().path().to_string();
            let _ = http_body_util::BodyExt::collect(req.into_body()).await;
            match path.as_str() {
                "/slow" => tokio::time::sleep(Duration::from_millis(20)).await,
                "/hold" => {
                    let (release, released) = oneshot::channel();
                    let _ = hold_tx.send(release);
                    let _ = released.await;
                }
                _ => {}
            }
            origin::ok("app")
        }
    })
    .await;
    (addr, holds)
}

/// Two edges on one store, a tunnel routed for APP and WS, and a connector first dialling `a`.
struct TwoEdges {
    a: TestEdge,
    b: TestEdge,
    tunnel: Tunnel,
}

impl TwoEdges {
    fn start(edge_extra: &str) -> TwoEdges {
        let a = TestEdge::start(edge_extra);
        let b = a.peer(edge_extra);
        Self::with(a, b)
    }

    fn with(a: TestEdge, b: TestEdge) -> TwoEdges {
        let tunnel = a.create_tunnel("two-edges");
        a.route(&tunnel, APP);
        a.route(&tunnel, WS);
        a.route_as("tcp", &tunnel, TCP, &[]);
        b.proc.wait_for(
            &format!("route added.*hostname={}", regex::escape(WS)),
            READY,
        );
        TwoEdges { a, b, tunnel }
    }

    /// A connector with `ha` sessions and `extra` keys, its ingress sending WS to a WebSocket
    /// echo, TCP to a TCP echo and the rest to [`app_origin`]; waits until `ha` sessions are
    /// registered.
    async fn connect(&self, ha: usize, extra: &str) -> (TestConnector, Holds) {
        let ((app, holds), ws, tcp) = (
            app_origin().await,
            origin::websocket_echo().await,
            tests::tcp::echo().await,
        );
        let body = format!(
            "edge: {}\nha-connections: {ha}\n{extra}ingress:\n  - hostname: {WS}\n    service: http://{ws}\n  - hostname: {TCP}\n    service: tcp://{tcp}\n  - service: http://{app}\n",
            self.a.addr("tunnel")
        );
        let connector = TestConnector::spawn(self.a.dir.path(), &self.tunnel, &body);
        connector
            .proc
            .wait_count("tunnel session registered", ha, READY);
        (connector, holds)
    }

    /// Waits until the edges have logged `ha` registrations in all, then checks that `at_a` of
    /// them are at A (the edge log line comes a moment after the connector's).
    fn assert_spread(&self, ha: usize, at_a: usize) {
        wait_until(READY, "registrations logged at the edges", || {
            self.registered_at(&self.a) + self.registered_at(&self.b) >= ha
        });
        let logs = || format!("{}\n{}", self.a.proc.log_text(), self.b.proc.log_text());
        assert_eq!(self.registered_at(&self.a), at_a, "{}", logs());
        assert_eq!(self.registered_at(&self.b), ha - at_a, "{}", logs());
    }

    /// Sessions of the tunnel registered at `edge` so far.
    fn registered_at(&self, edge: &TestEdge) -> usize {
        edge.proc.count_from(
            0,
            &format!("tunnel session registered tunnel={}", self.tunnel.id),
        )
    }
}

/// Waits until `done` holds, polling; panics with `what` after `bound`.
fn wait_until(bound: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < bound, "{what}: not within {bound:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    started.elapsed()
}

/// Waits for the drain to end with `how` ("drain complete: HOW"), then for the edge to exit
/// with status 0; returns the time since `began`.
fn exits_after_drain(edge: &mut TestEdge, how: &str, began: Instant) -> Duration {
    edge.proc.wait_for(&format!("drain complete: {how}"), READY);
    let status = tokio::task::block_in_place(|| edge.proc.wait_exit(READY));
    assert!(status.success(), "{status:?}");
    began.elapsed()
}

async fn open_ws(edge: &TestEdge) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(edge.addr("http")).await.unwrap();
    let (ws, response) = tokio_tungstenite::client_async(format!("ws://{WS}/echo"), tcp)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    ws
}

#[tokio::test]
async fn a_request_at_an_edge_without_a_session_goes_over_a_link() {
    let two = TwoEdges::start("");
    // One session, at A: B holds none and must ask A.
    let (connector, _) = two.connect(1, "").await;
    two.assert_spread(1, 1);

    // B learns of A's session from the store's watch (SQLite is polled every 200 ms), not by
    // reading the store per request: until then the tunnel is offline as far as B knows (530).
    let started = Instant::now();
    let (status, body) = loop {
        let (status, _, body) = get_plain(two.b.addr("http"), APP, "/").await;
        if status.as_u16() != 530 || started.elapsed() > READY {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status, StatusCode::OK, "{}", two.b.proc.log_text());
    assert_eq!(body, "app");
    two.b.proc.wait_for("edge-to-edge link open", READY);
    two.a.proc.wait_for("edge-to-edge link accepted", READY);
    let mut socket = open_ws(&two.b).await;
    ws_echo(&mut socket, "over the link").await;
    // So does a TCP stream through `connector access tcp` at B.
    let (_access, local) = two.b.access(TCP, &[]);
    let mut tcp = TcpStream::connect(local).await.unwrap();
    tcp.write_all(b"raw bytes").await.unwrap();
    let mut echoed = [0u8; 9];
    tokio::time::timeout(READY, tcp.read_exact(&mut echoed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&echoed, b"raw bytes");
    // More requests reuse the one link.
    for _ in 0..20 {
        let (status, _, _) = get_plain(two.b.addr("http"), APP, "/slow").await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(two.b.proc.count_from(0, "edge-to-edge link open"), 1);

    // A link without the shared key's proof is refused.
    let out = Command::new("curl")
        .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--http1.1"])
        .args(["-H", "Connection: Upgrade", "-H", "Upgrade: websocket"])
        .args(["-H", "Sec-WebSocket-Version: 13"])
        .args(["-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="])
        .args(["-H", "Sec-WebSocket-Protocol: tether-link.v1"])
        .args(["-H", "tether-link-proof: 00"])
        .arg(format!("https://{}/", two.a.addr("tunnel")))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "401");

    // With no session anywhere, B answers the offline page itself.
    let from = two.a.proc.log_len();
    drop(socket);
    drop(connector);
    two.a
        .proc
        .wait_for_from(from, "tunnel session ended", READY);
    let (status, _, _) = get_plain(two.b.addr("http"), APP, "/").await;
    assert_eq!(status.as_u16(), 530);
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_one_of_two_edges_under_load_fails_only_what_was_on_it() {
    let two = TwoEdges::start("liveness-timeout: 1s\n");
    let (connector, _) = two.connect(4, "liveness-timeout: 1s\n").await;
    // The first registration listed both edges; the four sessions are spread two and two.
    two.assert_spread(4, 2);

    const WORKERS: usize = 8;
    let (a_http, b_http) = (two.a.addr("http"), two.b.addr("http"));
    let targets = Targets::new(&[a_http, b_http]);
    let load = Load::start(targets.clone(), APP, WORKERS);
    let started = Instant::now();
    while load.succeeded() < 200 {
        assert!(started.elapsed() < READY, "the load never got going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // DNS stops answering with A as it dies; connections already open to A fail.
    targets.set(&[b_http]);
    let mut a = two.a;
    let from = two.b.proc.log_len();
    a.proc.kill();
    let killed = Instant::now();
    // The connector is back to four sessions, all at B, within a bound that leaves slack for
    // a loaded machine (the first backoff is at most 2 s).
    let back = tokio::task::block_in_place(|| {
        wait_until(Duration::from_secs(20), "back to 4 sessions", || {
            two.b.proc.count_from(
                from,
                &format!("tunnel session registered tunnel={}", two.tunnel.id),
            ) >= 2
        })
    });
    let before = load.succeeded();
    while load.succeeded() < before + 200 {
        assert!(killed.elapsed() < READY, "the load stalled after the kill");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (ok, rate, failures) = load.finish().await;
    let on_b: Vec<_> = failures.iter().filter(|f| f.edge == b_http).collect();
    assert!(
        on_b.is_empty(),
        "requests to the live edge failed: {on_b:?}"
    );
    // At most one failure per connection that was open to A: what was in flight on it.
    let on_a = failures.len();
    assert!(on_a <= WORKERS / 2, "{on_a} failures at A: {failures:?}");
    eprintln!(
        "kill -9 of one edge: {ok} requests at {rate:.0}/s, {on_a} failed (in flight on the killed edge), 0 on the other; back to 4 sessions in {back:?}"
    );
    drop(connector);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_edge_is_detected_and_its_sessions_move() {
    let two = TwoEdges::start("liveness-timeout: 1s\n");
    let (connector, _) = two.connect(2, "liveness-timeout: 1s\n").await;
    let ready = format!("http://{}/ready", connector.status_address());
    two.assert_spread(2, 1);

    let load = Load::start(Targets::new(&[two.b.addr("http")]), APP, 4);
    let from_b = two.b.proc.log_len();
    let from_connector = connector.proc.log_len();
    two.a.proc.signal("STOP");
    let stopped = Instant::now();
    let curl_ready = || {
        let out = Command::new("curl")
            .args(["-s", "-m", "5", &ready])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // The half-dead session is found within the liveness window (with slack), replaced at B,
    // and /ready stays 200 throughout on the session at B.
    let mut detected = None;
    tokio::task::block_in_place(|| {
        wait_until(READY, "the stopped edge's session replaced at B", || {
            let json = curl_ready();
            assert_eq!(json["status"], 200, "{json}");
            if detected.is_none() && connector.proc.count_from(from_connector, "session lost") > 0 {
                detected = Some(stopped.elapsed());
            }
            two.b.proc.count_from(
                from_b,
                &format!("tunnel session registered tunnel={}", two.tunnel.id),
            ) >= 1
                && json["readyConnections"] == 2
        })
    });
    let moved = stopped.elapsed();
    let lost = connector
        .proc
        .wait_for_from(from_connector, "session lost", READY);
    assert!(lost.contains("PING"), "{lost}");
    // liveness-timeout is 1 s; 4 s more of slack for a loaded machine.
    let detected = detected.expect("the loss was logged before the replacement registered");
    assert!(detected < Duration::from_secs(5), "{detected:?}");
    let (ok, _, failures) = load.finish().await;
    assert!(failures.is_empty(), "{failures:?}");
    eprintln!(
        "SIGSTOP of one edge: loss detected in {detected:?}, moved in {moved:?}; {ok} requests at the other, 0 failed"
    );
    two.a.proc.signal("CONT");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edge_drain_moves_sessions_first_and_spares_streams_elsewhere() {
    // A answers DNS as 127.0.0.2, B as 127.0.0.3; B serves the tunnel zone.
    let a = TestEdge::start("grace-period: 20s\nadvertise:\n  addresses: [127.0.0.2]\n");
    let b = a.peer_with(
        "  dns: 127.0.0.1:0\n",
        "advertise:\n  addresses: [127.0.0.3]\ndns:\n  tunnel-zone: tunnels.example.test\n  zones:\n    - name: example.test\n      name-servers:\n        - name: ns1.example.test\n          addresses: [127.0.0.3]\n",
    );
    let two = TwoEdges::with(a, b);
    let (connector, mut holds) = two.connect(2, "").await;
    two.assert_spread(2, 1);
    let endpoint = format!("{}.tunnels.example.test", two.tunnel.id);
    let dns = two.b.addr("dns");
    for edge_ip in ["127.0.0.2", "127.0.0.3"] {
        tests::dns::wait_answer_at(dns, &endpoint, "A", edge_ip);
    }
    let mut through_b = open_ws(&two.b).await;
    ws_echo(&mut through_b, "before").await;
    let mut through_a = open_ws(&two.a).await;
    ws_echo(&mut through_a, "before").await;
    // A request in flight at A when it is told to stop: the origin holds it.
    let a_http = two.a.addr("http");
    let held = tokio::spawn(async move { get_plain(a_http, APP, "/hold").await });
    let release = tokio::time::timeout(READY, holds.recv())
        .await
        .unwrap()
        .unwrap();

    let load = Load::start(Targets::new(&[two.b.addr("http")]), APP, 4);
    let started = Instant::now();
    while load.succeeded() < 100 {
        assert!(started.elapsed() < READY, "the load never got going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let from_b = two.b.proc.log_len();
    let mut a = two.a;
    a.proc.signal("TERM");
    let drain_began = Instant::now();
    // Make before break: the connector opens the replacement at B while A's session, which
    // carries the WebSocket through A, runs on.
    connector.proc.wait_for("asks this session to move", READY);
    two.b.proc.wait_for_from(
        from_b,
        &format!("tunnel session registered tunnel={}", two.tunnel.id),
        READY,
    );
    // DNS leaves the draining edge out while it still runs.
    tests::dns::eventually("the draining edge out of DNS", || {
        let answer = tests::dns::dig_at(dns, &[&endpoint, "A"]);
        let lines = tests::dns::section(&answer, "ANSWER");
        let only_b = lines.iter().all(|l| !l.contains("127.0.0.2"))
            && lines.iter().any(|l| l.contains("127.0.0.3"));
        if only_b {
            Ok(())
        } else {
            Err(answer)
        }
    });
    assert!(a.proc.log_text().contains("draining: out of DNS"));
    assert_eq!(
        a.proc.count_from(0, "drain complete"),
        0,
        "{}",
        a.proc.log_text()
    );
    // No new connection at A; streams already open on it go on, and so do those through B.
    assert!(TcpStream::connect(a_http).await.is_err());
    ws_echo(&mut through_a, "during the drain").await;
    ws_echo(&mut through_b, "during the drain").await;
    release.send(()).unwrap();
    let (status, _, body) = tokio::time::timeout(READY, held).await.unwrap().unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "app"));
    // Once its last stream is done, A's session goes and A exits, long before its grace period.
    through_a.close(None).await.unwrap();
    drop(through_a);
    let drained = exits_after_drain(&mut a, "every session has moved", drain_began);
    assert!(drained < Duration::from_secs(15), "{drained:?}");
    ws_echo(&mut through_b, "after").await;
    let before = load.succeeded();
    while load.succeeded() < before + 100 {
        assert!(
            started.elapsed() < READY,
            "the load stalled after the drain"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (ok, _, failures) = load.finish().await;
    assert!(failures.is_empty(), "{failures:?}");
    eprintln!(
        "edge drain: done in {drained:?}; {ok} requests at the other edge, 0 failed; WebSockets through both edges kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lone_edge_drains_its_open_streams_then_exits() {
    // With no other edge to move to, the drain is nginx's graceful quit: no new connections,
    // open streams finish (within grace-period), then the edge exits at once.
    let edge = TestEdge::start("grace-period: 20s\n");
    let tunnel = edge.create_tunnel("alone");
    edge.route(&tunnel, WS);
    let ws = origin::websocket_echo().await;
    let _connector = edge.connect(
        &tunnel,
        &format!(
            "ingress:\n  - hostname: {WS}\n    service: http://{ws}\n  - service: hello_world\n"
        ),
    );
    let mut socket = open_ws(&edge).await;
    ws_echo(&mut socket, "before").await;
    let mut edge = edge;
    edge.proc.signal("TERM");
    let began = Instant::now();
    edge.proc.wait_for("no other live edge", READY);
    ws_echo(&mut socket, "during the drain").await;
    socket.close(None).await.unwrap();
    drop(socket);
    let took = exits_after_drain(&mut edge, "nothing left open", began);
    assert!(took < Duration::from_secs(10), "{took:?}");
    eprintln!("lone edge drain: exited {took:?} after SIGTERM, its WebSocket served to the end");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolling_restart_of_both_edges_loses_nothing() {
    // B (not the edge in the connector's credentials) is drained and started again, on new
    // ports, then A: the connector learns of the new B only from A's `move`, since nothing
    // registered at B since it came back.
    let two = TwoEdges::start("");
    let (connector, _) = two.connect(2, "").await;
    two.assert_spread(2, 1);
    let TwoEdges { a, b, tunnel } = two;
    let registered = format!("tunnel session registered tunnel={}", tunnel.id);
    let targets = Targets::new(&[a.addr("http")]);
    let load = Load::start(targets.clone(), APP, 4);
    let wait_load = |n: u64| {
        let started = Instant::now();
        let load = &load;
        async move {
            let before = load.succeeded();
            while load.succeeded() < before + n {
                assert!(started.elapsed() < READY, "the load stalled");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_load(100).await;

    // B drains; its session moves to A.
    let from_a = a.proc.log_len();
    let mut b = b;
    b.proc.signal("TERM");
    a.proc.wait_for_from(from_a, &registered, READY);
    let status = tokio::task::block_in_place(|| b.proc.wait_exit(READY));
    assert!(status.success(), "{status:?}");
    wait_load(100).await;

    // B is back, on other ports; clients go there (as DNS would say) while A drains.
    // (It loads the routes before it is ready.)
    let b = a.peer("");
    targets.move_to(&[b.addr("http")]);
    wait_load(100).await;
    let from_b = b.proc.log_len();
    let mut a = a;
    a.proc.signal("TERM");
    b.proc.wait_for_from(from_b, &registered, READY);
    b.proc.wait_count(&registered, 2, READY);
    exits_after_drain(&mut a, "every session has moved", Instant::now());
    assert_eq!(
        connector.proc.count_from(0, "no other edge is known"),
        0,
        "{}",
        connector.proc.log_text()
    );
    wait_load(100).await;
    let (ok, rate, failures) = load.finish().await;
    assert!(
        failures.is_empty(),
        "{failures:?}\nA {}:\n{}\nB {}:\n{}",
        a.addr("http"),
        a.proc.log_text(),
        b.addr("http"),
        b.proc.log_text()
    );
    eprintln!("rolling restart of both edges: {ok} requests at {rate:.0}/s, 0 failures");
}
