//! A reset never overtakes the bytes before it, end to end: an origin that writes and then resets
//! its connection (as a WebSocket server does when it fails a connection with data unread) gets
//! its bytes to the client before the reset, on a public TCP port and on a WebSocket. Autobahn's
//! cases 3.4, 4.1.5 and 4.2.5 lost the echo this way; `scripts/autobahn.sh` runs the whole suite.

use futures_util::{SinkExt, StreamExt};
use tests::client::{tls_connect, Proto};
use tests::tcp::abort;
use tests::tunnel::{TestConnector, TestEdge};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// Rounds per test: the reset raced the bytes, so one round could pass by luck.
const ROUNDS: usize = 20;
const ANSWER: usize = 3000;

/// A TCP origin that answers each connection with `ANSWER` bytes and then resets it.
async fn write_then_reset_origin() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            // Sent at once, not held by Nagle behind an unacknowledged segment: an abort
            // discards what the origin's own kernel still holds unsent.
            tcp.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut hello = [0u8; 5];
                if tcp.read_exact(&mut hello).await.is_ok() {
                    let _ = tcp.write_all(&[7u8; ANSWER]).await;
                }
                abort(tcp);
            });
        }
    });
    addr
}

/// A WebSocket origin that echoes the first message and then fails the connection with RST, as
/// a server does on an invalid frame when more is unread.
async fn echo_once_then_reset_origin() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tcp.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                if let Some(Ok(msg)) = ws.next().await {
                    let _ = ws.send(msg).await;
                }
                let _ = socket2::SockRef::from(ws.get_ref())
                    .set_linger(Some(std::time::Duration::ZERO));
            });
        }
    });
    addr
}

fn setup(service: &str) -> (TestEdge, TestConnector, std::net::SocketAddr) {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("resets");
    let connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - hostname: app.example.test\n    service: {service}\n  - service: http_status:404\n"),
    );
    let public = edge.route_tcp_port(&tunnel, "app.example.test");
    (edge, connector, public)
}

#[tokio::test]
async fn a_tcp_origins_bytes_arrive_before_its_reset() {
    let origin = write_then_reset_origin().await;
    let (_edge, _connector, public) = setup(&format!("tcp://{origin}"));
    for round in 0..ROUNDS {
        let mut tcp = TcpStream::connect(public).await.unwrap();
        tcp.write_all(b"hello").await.unwrap();
        let mut got = 0;
        let mut buf = [0u8; 4096];
        let end = loop {
            match tokio::time::timeout(tests::READY, tcp.read(&mut buf))
                .await
                .unwrap()
            {
                Ok(0) => break "FIN".to_string(),
                Ok(n) => got += n,
                Err(e) => break e.kind().to_string(),
            }
        };
        assert_eq!(
            (got, end.as_str()),
            (ANSWER, "connection reset"),
            "round {round}"
        );
    }
}

#[tokio::test]
async fn a_websocket_origins_echo_arrives_before_its_reset() {
    let origin = echo_once_then_reset_origin().await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("resets");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    edge.route(&tunnel, "ws.example.test");
    let port = edge.addr("https").port();
    for round in 0..ROUNDS {
        let tls = tls_connect(
            edge.addr("https"),
            "ws.example.test",
            &edge.ca_pem(),
            Proto::Http1,
        )
        .await;
        let url = format!("wss://ws.example.test:{port}/");
        let (mut ws, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
        // The message, and more the origin will not read before it fails the connection.
        ws.send(Message::text("hello")).await.unwrap();
        ws.send(Message::Ping("are you there".into()))
            .await
            .unwrap();
        let echo = tokio::time::timeout(tests::READY, ws.next()).await.unwrap();
        assert_eq!(
            echo.map(|m| m.map_err(|e| e.to_string())),
            Some(Ok(Message::text("hello"))),
            "round {round}"
        );
    }
}
