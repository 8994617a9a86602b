//! Edge protection: a flood of bad handshakes from many addresses costs the edge bounded memory
//! and does not keep a good connector out or other clients waiting; one address that keeps
//! failing is refused before anything is looked up.
//!
//! Attackers bind 127.0.0.2 and up; the good connector and clients stay on 127.0.0.1.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;
use rustls::pki_types::ServerName;
use tests::client::{get_plain, tls_config, Proto};
use tests::tunnel::TestEdge;
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const HELLO: &str = "ingress:\n  - service: hello_world\n";

/// One bad session handshake from `source`: TLS 1.3, then an upgrade claiming a random tunnel
/// with a signature that cannot verify. Returns the status the edge answered, after checking it
/// closed the connection.
async fn bad_handshake(
    source: IpAddr,
    edge: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    claim: Claim,
) -> std::io::Result<u16> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let tcp = socket.connect(edge).await?;
    let name = ServerName::try_from("tunnel.tether.internal").expect("name");
    let mut tls = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: edge\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: tether.v1\r\ntether-tunnel-id: {}\r\ntether-connector-id: {}\r\ntether-conn-index: 0\r\ntether-version: flood\r\ntether-signature: {}\r\n\r\n",
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        "A".repeat(86) + "==",
    );
    let request = match claim {
        Claim::UnknownTunnel => request,
        // No signature header: refused as malformed, before any lookup.
        Claim::Malformed => request.replace("tether-signature", "x-not-a-signature"),
    };
    tls.write_all(request.as_bytes()).await?;
    // The edge closes after a refusal: reading to the end must finish (with or without a TLS
    // close_notify).
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer))
        .await
        .map_err(|_| std::io::Error::other("the edge kept a refused connection open"))?;
    match read {
        Err(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => return Err(e),
        _ => {}
    }
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {text:?}")))
}

/// What a bad handshake claims.
#[derive(Clone, Copy)]
enum Claim {
    /// A random tunnel with a signature that cannot verify (401).
    UnknownTunnel,
    /// No signature at all (400).
    Malformed,
}

/// The edge's resident memory, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// The `n`-th attacker address: 127.0.0.2, 127.0.0.3, … (skipping .0 and .255 of each /24).
fn attacker(n: u32) -> IpAddr {
    let host = 2 + n;
    let (b, c) = (host / 254, host % 254 + 1);
    IpAddr::V4(Ipv4Addr::new(
        127,
        (b / 254) as u8,
        (b % 254) as u8,
        c as u8,
    ))
}

/// Sends `count` bad handshakes, `concurrency` at a time, the `i`-th from `source(i)`; returns
/// how many got each status.
async fn flood(
    count: u32,
    concurrency: usize,
    tunnel: SocketAddr,
    ca: &Path,
    claim: Claim,
    source: impl Fn(u32) -> IpAddr,
) -> std::collections::BTreeMap<u16, u32> {
    let tls = tls_config(ca, Proto::Http1);
    let mut statuses = std::collections::BTreeMap::new();
    let mut running: tokio::task::JoinSet<std::io::Result<u16>> = tokio::task::JoinSet::new();
    for i in 0..count {
        if running.len() >= concurrency {
            let status = running.join_next().await.expect("task").expect("join");
            *statuses.entry(status.expect("bad handshake")).or_insert(0) += 1;
        }
        running.spawn(bad_handshake(source(i), tunnel, tls.clone(), claim));
    }
    while let Some(status) = running.join_next().await {
        *statuses
            .entry(status.expect("join").expect("bad handshake"))
            .or_insert(0) += 1;
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_bad_handshakes_from_many_addresses_cost_bounded_memory_and_nobody_waits() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("good");
    edge.route(&tunnel, "good.example.test");
    let (tunnel_addr, ca) = (edge.addr("tunnel"), edge.ca_pem());
    // Warm up (first TLS handshakes, first allocations), then measure.
    flood(200, 16, tunnel_addr, &ca, Claim::UnknownTunnel, attacker).await;
    let before = rss_kib(edge.proc.pid());

    let started = Instant::now();
    let attack = {
        let ca = ca.clone();
        tokio::spawn(async move {
            flood(10_000, 32, tunnel_addr, &ca, Claim::UnknownTunnel, |i| {
                attacker(200 + i)
            })
            .await
        })
    };
    // During the flood: a good connector registers, and a client is served.
    let connector = edge.connect(&tunnel, HELLO);
    let (status, _, _) = get_plain(edge.addr("http"), "good.example.test", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !attack.is_finished(),
        "the flood ended before the good clients were tried"
    );
    let statuses = attack.await.expect("flood");
    let elapsed = started.elapsed();

    // Each address failed once: each was refused, 401 (after waiting for the directory) or 503
    // (no wait free: come back), and none was blocked.
    let refused = statuses.get(&401).unwrap_or(&0) + statuses.get(&503).unwrap_or(&0);
    assert_eq!(refused, 10_000, "{statuses:?}");
    assert!(statuses.get(&401).is_some_and(|n| *n > 0), "{statuses:?}");
    let after = rss_kib(edge.proc.pid());
    let grew = after.saturating_sub(before);
    eprintln!(
        "10,000 bad handshakes from 10,000 addresses in {elapsed:?}: edge RSS {before} KiB -> {after} KiB"
    );
    assert!(
        grew < 32 * 1024,
        "the edge grew by {grew} KiB under the flood"
    );
    drop(connector);
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_refused_before_any_lookup_and_others_are_not() {
    let edge = TestEdge::start("");
    let (tunnel_addr, ca) = (edge.addr("tunnel"), edge.ca_pem());
    let bad = IpAddr::V4(Ipv4Addr::new(127, 0, 9, 9));
    // Ten failures are the budget (one more every 6 s); after them the address gets 429, even
    // for a claim that would be looked up.
    let statuses = flood(30, 1, tunnel_addr, &ca, Claim::Malformed, |_| bad).await;
    assert_eq!(statuses.get(&400), Some(&10), "{statuses:?}");
    assert_eq!(statuses.get(&429), Some(&20), "{statuses:?}");
    let blocked = flood(1, 1, tunnel_addr, &ca, Claim::UnknownTunnel, |_| bad).await;
    assert_eq!(blocked.get(&429), Some(&1), "{blocked:?}");
    // Another address is untouched, and a good connector on 127.0.0.1 registers.
    let other = IpAddr::V4(Ipv4Addr::new(127, 0, 9, 10));
    let other = flood(1, 1, tunnel_addr, &ca, Claim::UnknownTunnel, |_| other).await;
    assert_eq!(other.get(&401), Some(&1), "{other:?}");
    let tunnel = edge.create_tunnel("good");
    let _connector = edge.connect(&tunnel, HELLO);
    edge.proc.wait_for("session refused", READY);
}

/// An access session's WebSocket on `https`, or its refusal.
async fn access_session(
    https: SocketAddr,
    ca: &Path,
) -> Result<impl Send, tether_transport::error::TransportError> {
    tests::client::access_websocket(https, ca, "localhost").await
}

#[tokio::test]
async fn one_address_holds_at_most_32_access_sessions() {
    let edge = TestEdge::start("");
    let (https, ca) = (edge.addr("https"), edge.ca_pem());
    let mut open = Vec::new();
    for _ in 0..32 {
        open.push(access_session(https, &ca).await.expect("an access session"));
    }
    let refused = access_session(https, &ca)
        .await
        .err()
        .expect("the 33rd is refused");
    assert!(refused.to_string().contains("429"), "{refused}");
    assert!(
        refused.to_string().contains("32 access sessions open"),
        "{refused}"
    );
    // Closing one gives its place back.
    drop(open.pop());
    let started = Instant::now();
    while access_session(https, &ca).await.is_err() {
        assert!(started.elapsed() < READY, "the place never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections_and_others_are_served() {
    let edge = TestEdge::start("max-connections-per-ip: 8\n");
    let tunnel = edge.create_tunnel("good");
    edge.route(&tunnel, "good.example.test");
    let _connector = edge.connect(&tunnel, HELLO);
    let http = edge.addr("http");
    let hog = IpAddr::V4(Ipv4Addr::new(127, 0, 7, 7));
    let dial = || async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(hog, 0)).unwrap();
        socket.connect(http).await.unwrap()
    };
    // Eight idle connections are held (each waits for its request head)…
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(dial().await);
    }
    // …the ninth is closed at once, before anything is read from it…
    let mut ninth = dial().await;
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(READY, ninth.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the ninth connection stayed open: {read:?}"
    );
    // …and another address is served meanwhile.
    let (status, _, _) = get_plain(http, "good.example.test", "/").await;
    assert_eq!(status, StatusCode::OK);
    // A held connection still works.
    let mut first = held.remove(0);
    first
        .write_all(b"GET / HTTP/1.1\r\nHost: good.example.test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(READY, first.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}
