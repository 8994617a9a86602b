//! WebSockets through the tunnel with a real WebSocket client (tokio-tungstenite): the HTTP/1.1
//! upgrade, and RFC 8441 extended CONNECT over a public HTTP/2 connection.

use futures_util::{SinkExt, StreamExt};
use http::{Request, StatusCode};
use hyper::ext::Protocol;
use hyper_util::rt::TokioIo;
use tests::client::{connect, tls_connect, Proto};
use tests::origin;
use tests::tunnel::Setup;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

async fn echo_round_trip<S>(ws: &mut WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    ws.send(Message::text("hello through the tunnel"))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::text("hello through the tunnel")
    );
    let blob = vec![7u8; 300_000];
    ws.send(Message::binary(blob.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(blob));
}

#[tokio::test]
async fn websocket_over_http1_upgrade() {
    let addr = origin::websocket_echo().await;
    let s = Setup::new(
        "",
        &["ws.example.test"],
        &format!("ingress:\n  - service: http://{addr}\n"),
    );
    let tls = tls_connect(
        s.edge.addr("https"),
        "ws.example.test",
        &s.edge.ca_pem(),
        Proto::Http1,
    )
    .await;
    let port = s.edge.addr("https").port();
    let (mut ws, response) =
        tokio_tungstenite::client_async(format!("wss://ws.example.test:{port}/echo"), tls)
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert!(response.headers().contains_key("tether-request-id"));
    echo_round_trip(&mut ws).await;
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn websocket_over_public_http2_extended_connect() {
    let addr = origin::websocket_echo().await;
    let s = Setup::new(
        "",
        &["ws.example.test"],
        &format!("ingress:\n  - service: http://{addr}\n"),
    );
    let (mut conn, alpn) = connect(
        s.edge.addr("https"),
        Some(("ws.example.test", &s.edge.ca_pem())),
        Proto::Http2,
    )
    .await;
    assert_eq!(
        alpn.as_deref(),
        Some(&b"h2"[..]),
        "HTTP/2 must be negotiated"
    );
    // A first request lets the edge's SETTINGS (ENABLE_CONNECT_PROTOCOL) arrive.
    let warm = Request::get("https://ws.example.test/")
        .body(tests::client::full(""))
        .unwrap();
    conn.send(warm).await.unwrap();
    let mut req = Request::connect("https://ws.example.test/echo")
        .header("sec-websocket-version", "13")
        .body(tests::client::full(""))
        .unwrap();
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    let response = conn.send(req).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "RFC 8441: 200 opens the WebSocket"
    );
    assert!(!response.headers().contains_key("sec-websocket-accept"));
    let upgraded = hyper::upgrade::on(response).await.unwrap();
    let mut ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await;
    echo_round_trip(&mut ws).await;
}

#[tokio::test]
async fn origin_refusing_the_upgrade_is_passed_through() {
    let addr = origin::named("plain").await;
    let s = Setup::new(
        "",
        &["ws.example.test"],
        &format!("ingress:\n  - service: http://{addr}\n"),
    );
    let tcp = tokio::net::TcpStream::connect(s.edge.addr("http"))
        .await
        .unwrap();
    let result = tokio_tungstenite::client_async("ws://ws.example.test/echo", tcp).await;
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::OK)
        }
        other => panic!("expected the origin's plain answer, got {other:?}"),
    }
}
