//! Listeners that idle connections cannot fill: a connection must send a whole request head
//! within `header-read-timeout` of its accept (plain, before TLS and after it), and the admin
//! listener lets one address hold only a few of its connections, so 256 connections that send
//! nothing leave the API answering everyone else at once.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use tests::admin::ADMIN;
use tests::client::{tls_connect, Proto};
use tests::tunnel::TestEdge;
use tests::READY;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpSocket, TcpStream};

/// How long `io` stayed open, sending nothing, until the edge closed it (bounded by `READY`).
async fn closed_after<T: AsyncRead + Unpin>(io: &mut T, since: Instant) -> Duration {
    let mut buf = [0u8; 256];
    let closed = async {
        while let Ok(n @ 1..) = io.read(&mut buf).await {
            let _ = n;
        }
    };
    tokio::time::timeout(READY, closed)
        .await
        .expect("the edge closed the silent connection");
    since.elapsed()
}

/// A connection from `source` that sends nothing.
async fn silent(source: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.expect("connect")
}

#[tokio::test]
async fn a_public_connection_that_sends_nothing_is_closed_after_header_read_timeout() {
    let edge = TestEdge::start("header-read-timeout: 2s\n");
    // Plain HTTP: not a byte.
    let started = Instant::now();
    let mut plain = TcpStream::connect(edge.addr("http")).await.unwrap();
    let waited = closed_after(&mut plain, started).await;
    assert!(
        waited >= Duration::from_millis(1500),
        "closed too soon: {waited:?}"
    );
    assert!(waited < Duration::from_secs(10), "held {waited:?}, not 2 s");
    // HTTPS: no ClientHello at all.
    let started = Instant::now();
    let mut no_hello = TcpStream::connect(edge.addr("https")).await.unwrap();
    let waited = closed_after(&mut no_hello, started).await;
    assert!(
        waited < Duration::from_secs(5),
        "held {waited:?} before TLS, not 2 s"
    );
    // HTTPS: the handshake done, then nothing.
    let started = Instant::now();
    let mut after_tls = tls_connect(
        edge.addr("https"),
        "localhost",
        &edge.ca_pem(),
        Proto::Http1,
    )
    .await;
    let waited = closed_after(&mut after_tls, started).await;
    assert!(
        waited >= Duration::from_millis(1500),
        "closed too soon: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "held {waited:?} after TLS, not 2 s"
    );
}

#[tokio::test]
async fn idle_connections_from_one_address_leave_the_admin_api_answering_another() {
    let edge = TestEdge::start(&format!("{ADMIN}header-read-timeout: 3s\n"));
    let admin = edge.addr("admin");
    let token = edge.admin_token("ops", "read");
    let started = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..256 {
        idle.push(silent("127.0.0.1", admin).await);
    }
    // Another address is answered at once.
    let asked = Instant::now();
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "5", "--interface", "127.0.0.2"])
        .args(["-o", "/dev/null", "-w", "%{http_code}"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(format!("http://{admin}/api/v1/tunnels"))
        .output()
        .expect("run curl");
    let status = String::from_utf8_lossy(&out.stdout);
    assert_eq!(status, "200", "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        asked.elapsed()
    );
    // And the idle ones do not stay: every one is closed, the last after the header timeout.
    let mut longest = Duration::ZERO;
    for tcp in &mut idle {
        longest = longest.max(closed_after(tcp, started).await);
    }
    assert!(
        longest >= Duration::from_millis(2500),
        "none waited for the timeout: {longest:?}"
    );
}
