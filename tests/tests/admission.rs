//! Admission: a site enrolls with a one-time token (its key made there), runs from a run token
//! with no files, and loses its sessions on every edge within a second when the tunnel is
//! revoked or its old key rotated out.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use http::StatusCode;
use tests::client::{get_plain, ws_echo};
use tests::origin;
use tests::process::{binaries, Proc};
use tests::tunnel::{TestConnector, TestEdge, Tunnel};
use tests::READY;
use tether_proto::enroll::EnrollmentToken;
use tokio::net::TcpStream;

const HELLO: &str = "ingress:\n  - service: hello_world\n";

/// The enrollment token in what `edge tunnel token|rotate|create --enroll` printed.
fn token_in(printed: &str) -> String {
    printed
        .lines()
        .find(|l| l.starts_with("tether-enroll."))
        .unwrap_or_else(|| panic!("no token in: {printed}"))
        .to_string()
}

/// `connector enroll TOKEN --out DIR`.
fn enroll(token: &str, out: &Path) -> Output {
    Command::new(&binaries().connector)
        .args(["enroll", token, "--out"])
        .arg(out)
        .output()
        .expect("run connector enroll")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Enrolls with `token` into `dir`, which must succeed; the tunnel as the tests use it.
fn enrolled(name: &str, token: &str, dir: &Path) -> Tunnel {
    let out = enroll(token, dir);
    assert!(out.status.success(), "enroll failed: {}", stderr(&out));
    let id = EnrollmentToken::decode(token)
        .unwrap()
        .tunnel_id
        .to_string();
    Tunnel {
        name: name.into(),
        id: id.clone(),
        credentials: dir.join(format!("{id}.json")),
    }
}

#[tokio::test]
async fn a_site_enrolls_once_with_its_own_key_and_a_used_expired_or_foreign_token_is_refused() {
    let edge = TestEdge::start("");
    let token = token_in(&edge.cli_ok(&["tunnel", "create", "site", "--enroll"]));
    let site = tempfile::tempdir().unwrap();
    let tunnel = enrolled("site", &token, site.path());

    // The credentials hold this site's key and the edge's CA, readable by the owner only.
    let mode = std::fs::metadata(&tunnel.credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let creds: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tunnel.credentials).unwrap()).unwrap();
    let ca = std::fs::read_to_string(edge.ca_pem()).unwrap();
    assert_eq!(creds["EdgeCA"].as_str(), Some(ca.as_str()));
    assert_eq!(creds["TunnelID"].as_str(), Some(tunnel.id.as_str()));

    // The same token again: refused, and it says why.
    let again = enroll(&token, tempfile::tempdir().unwrap().path());
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already been used"),
        "{}",
        stderr(&again)
    );

    // The enrolled site runs and serves.
    edge.route(&tunnel, "site.example.test");
    let _connector = edge.connect(&tunnel, HELLO);
    let (status, _, _) = get_plain(edge.addr("http"), "site.example.test", "/").await;
    assert_eq!(status, StatusCode::OK);

    // A token of one tunnel presented for another is not known there.
    let other = token_in(&edge.cli_ok(&["tunnel", "create", "other", "--enroll"]));
    let mut foreign = EnrollmentToken::decode(&other).unwrap();
    foreign.tunnel_id = tunnel.id.parse().unwrap();
    let out = enroll(&foreign.encode(), tempfile::tempdir().unwrap().path());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not known to the edge"),
        "{}",
        stderr(&out)
    );

    // An expired token: the edge's clock decides.
    let short = token_in(&edge.cli_ok(&["tunnel", "token", "other", "--ttl", "1s"]));
    let expires = EnrollmentToken::decode(&short).unwrap().expires_at;
    let at = std::time::UNIX_EPOCH + Duration::from_secs(expires);
    if let Ok(wait) = at.duration_since(std::time::SystemTime::now()) {
        // Waiting for the token's own expiry, not for anything to get ready.
        tokio::time::sleep(wait + Duration::from_millis(50)).await;
    }
    let out = enroll(&short, tempfile::tempdir().unwrap().path());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));

    // A token whose CA pin is not this edge's: the connector does not talk to that edge.
    let fresh = token_in(&edge.cli_ok(&["tunnel", "token", "other"]));
    let mut pinned_elsewhere = EnrollmentToken::decode(&fresh).unwrap();
    pinned_elsewhere.edge.ca_pin = Some("00".repeat(32));
    let out = enroll(
        &pinned_elsewhere.encode(),
        tempfile::tempdir().unwrap().path(),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("pinned key"), "{}", stderr(&out));
    // That refusal happened in the TLS handshake: the token is still good at the real edge.
    enrolled("other", &fresh, tempfile::tempdir().unwrap().path());
}

#[tokio::test]
async fn a_run_token_runs_a_tunnel_with_no_files() {
    let edge = TestEdge::start("");
    let token = token_in(&edge.cli_ok(&["tunnel", "create", "nofiles", "--enroll"]));
    let site = tempfile::tempdir().unwrap();
    let tunnel = enrolled("nofiles", &token, site.path());
    let printed = Command::new(&binaries().connector)
        .args(["token", "--credentials-file"])
        .arg(&tunnel.credentials)
        .output()
        .unwrap();
    assert!(printed.status.success(), "{}", stderr(&printed));
    let run_token = String::from_utf8(printed.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert!(run_token.starts_with("tether-run."), "{run_token}");
    edge.route(&tunnel, "nofiles.example.test");
    let origin = origin::named("from-token").await;

    // In an empty directory: no tunnel.yml, no credentials file; the token in TUNNEL_TOKEN.
    let empty = tempfile::tempdir().unwrap();
    let from = edge.proc.log_len();
    let mut command = Command::new(&binaries().connector);
    command
        .current_dir(empty.path())
        .args(["run", "--url", &format!("http://{origin}")])
        .env("TUNNEL_TOKEN", &run_token);
    let _connector = Proc::spawn("connector", command);
    edge.wait_session(from, &tunnel);
    let (status, _, body) = get_plain(edge.addr("http"), "nofiles.example.test", "/x").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("origin from-token"), "{body}");

    // A damaged token is a clear error, not a retry loop.
    let out = Command::new(&binaries().connector)
        .current_dir(empty.path())
        .args(["run", "--url", "hello_world", "--token"])
        .arg(&run_token[..run_token.len() - 8])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
}

/// A WebSocket through `edge`'s HTTP port to the echo behind `host`.
async fn open_ws(edge: &TestEdge, host: &str) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(edge.addr("http")).await.unwrap();
    let (ws, response) = tokio_tungstenite::client_async(format!("ws://{host}/echo"), tcp)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    ws
}

/// How long until the WebSocket ends (a close, an error or the end of the stream).
async fn ends_within(
    ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>,
    bound: Duration,
) -> Duration {
    let started = Instant::now();
    let ended = tokio::time::timeout(bound, async {
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_close() {
                break;
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the WebSocket was still open after {bound:?}"
    );
    started.elapsed()
}

/// Two edges on one store; a tunnel whose connector (one session) is at A, routed for `host` to
/// a WebSocket echo.
async fn two_edges_and_a_connector(host: &str) -> (TestEdge, TestEdge, Tunnel, TestConnector) {
    let a = TestEdge::start("");
    let b = a.peer("");
    let token = token_in(&a.cli_ok(&["tunnel", "create", "held", "--enroll"]));
    let tunnel = enrolled("held", &token, a.dir.path());
    a.route(&tunnel, host);
    b.proc.wait_for(
        &format!("route added.*hostname={}", regex::escape(host)),
        READY,
    );
    let echo = origin::websocket_echo().await;
    let body = format!(
        "edge: {}\nha-connections: 1\ningress:\n  - service: http://{echo}\n",
        a.addr("tunnel")
    );
    let from = a.proc.log_len();
    let connector = TestConnector::spawn(a.dir.path(), &tunnel, &body);
    a.wait_session(from, &tunnel);
    (a, b, tunnel, connector)
}

/// A WebSocket through B (over the link to A) that echoes, once B has learned of A's session.
async fn websocket_through(
    b: &TestEdge,
    host: &str,
) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let started = Instant::now();
    loop {
        let (status, _, _) = get_plain(b.addr("http"), host, "/").await;
        // 530 until B's directory has A's session; then the echo answers a plain GET itself.
        if status.as_u16() != 530 {
            break;
        }
        assert!(started.elapsed() < READY, "B never learned of A's session");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut ws = open_ws(b, host).await;
    ws_echo(&mut ws, "before").await;
    ws
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_a_tunnel_cuts_a_websocket_held_through_two_edges_within_a_second() {
    const HOST: &str = "held.example.test";
    let (a, b, tunnel, mut connector) = two_edges_and_a_connector(HOST).await;
    let mut ws = websocket_through(&b, HOST).await;

    let revoked = Instant::now();
    a.cli_ok(&["tunnel", "revoke", "held"]);
    ends_within(&mut ws, Duration::from_secs(5)).await;
    let cut = revoked.elapsed();
    assert!(
        cut < Duration::from_secs(1),
        "the WebSocket lived {cut:?} past the revocation"
    );

    // The connector stops with the reason (77: a service manager does not restart it).
    let status = tokio::task::block_in_place(|| connector.proc.wait_exit(READY));
    assert_eq!(status.code(), Some(77), "{}", connector.proc.log_text());
    assert!(
        connector.proc.log_text().contains("revoked"),
        "{}",
        connector.proc.log_text()
    );
    // And it cannot come back with the old key.
    let mut again = TestConnector::spawn(a.dir.path(), &tunnel, HELLO);
    let status = tokio::task::block_in_place(|| again.proc.wait_exit(READY));
    assert_eq!(status.code(), Some(77), "{}", again.proc.log_text());
    eprintln!("revocation cut the WebSocket through the other edge after {cut:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_keeps_the_old_key_for_its_overlap_then_closes_its_sessions() {
    const HOST: &str = "rotated.example.test";
    let (a, b, tunnel, mut old) = two_edges_and_a_connector(HOST).await;
    let mut ws = websocket_through(&b, HOST).await;
    let printed = a.cli_ok(&["tunnel", "rotate", "held", "--overlap", "3s"]);
    assert!(printed.contains("stay valid for 3s"), "{printed}");
    let site = tempfile::tempdir().unwrap();
    let new = enrolled("held", &token_in(&printed), site.path());
    let enrolled_at = Instant::now();
    // The new key registers while the old one still serves.
    let from = a.proc.log_len();
    let body = format!("edge: {}\n{HELLO}", a.addr("tunnel"));
    let _new = TestConnector::spawn(a.dir.path(), &new, &body);
    a.wait_session(from, &new);
    ws_echo(&mut ws, "during the overlap").await;
    // A session opened on the old key during the overlap (a reconnect, a restarted replica) is
    // admitted, and goes with the others when the overlap ends: here at B, which held no
    // session of the tunnel when the rotation happened.
    let from = b.proc.log_len();
    let late_body = format!("edge: {}\nha-connections: 1\n{HELLO}", b.addr("tunnel"));
    let mut late = TestConnector::spawn(a.dir.path(), &tunnel, &late_body);
    b.wait_session(from, &tunnel);
    // When the overlap ends (3 s after the redemption, counted in whole seconds of the edge's
    // clock: 2 to 3 s after it) the old key's session goes, and its connector stops.
    ends_within(&mut ws, Duration::from_secs(10)).await;
    let lived = enrolled_at.elapsed();
    assert!(
        lived > Duration::from_millis(1900) && lived < Duration::from_millis(4500),
        "the old key's session ended {lived:?} after the new key was enrolled"
    );
    let status = tokio::task::block_in_place(|| old.proc.wait_exit(READY));
    assert_eq!(status.code(), Some(77), "{}", old.proc.log_text());
    assert!(
        old.proc.log_text().contains("rotated out"),
        "{}",
        old.proc.log_text()
    );
    let status = tokio::task::block_in_place(|| late.proc.wait_exit(READY));
    assert_eq!(status.code(), Some(77), "{}", late.proc.log_text());
    // The new key keeps serving.
    let (status, _, _) = get_plain(a.addr("http"), HOST, "/").await;
    assert_eq!(status, StatusCode::OK);
}
