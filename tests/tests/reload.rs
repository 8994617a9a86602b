//! Hot reload of tunnel.yml: a valid file (SIGHUP) and then an invalid one (noticed as a
//! change) while a WebSocket is open: it survives both, new requests follow the new rules, and
//! the invalid file changes nothing.

use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use tests::client::get_plain;
use tests::origin;
use tests::tunnel::Setup;
use tests::READY;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

async fn echo(ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
    let back = tokio::time::timeout(READY, ws.next()).await.unwrap();
    assert_eq!(back.unwrap().unwrap(), Message::text(text));
}

#[tokio::test]
async fn reloading_tunnel_yml_keeps_open_streams_and_applies_to_new_requests() {
    let ws_origin = origin::websocket_echo().await;
    let one = origin::named("one").await;
    let two = origin::named("two").await;
    let rules = |app: std::net::SocketAddr| {
        format!("ingress:\n  - hostname: ws.example.test\n    service: http://{ws_origin}\n  - hostname: app.example.test\n    service: http://{app}\n  - service: http_status:404\n")
    };
    let s = Setup::new("", &["ws.example.test", "app.example.test"], &rules(one));
    let http = s.edge.addr("http");
    let (_, _, body) = get_plain(http, "app.example.test", "/").await;
    assert!(body.starts_with("origin one"), "{body}");

    let tcp = TcpStream::connect(http).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async("ws://ws.example.test/", tcp)
        .await
        .unwrap();
    echo(&mut ws, "before").await;

    // A valid file, applied on SIGHUP.
    let credentials = std::fs::read_to_string(&s.connector.config).unwrap();
    let head: String = credentials
        .lines()
        .take_while(|l| !l.starts_with("ingress:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&s.connector.config, format!("{head}{}", rules(two))).unwrap();
    let from = s.connector.proc.log_len();
    s.connector.proc.signal("HUP");
    s.connector
        .proc
        .wait_for_from(from, "tunnel.yml reloaded", READY);
    let (_, _, body) = get_plain(http, "app.example.test", "/").await;
    assert!(body.starts_with("origin two"), "{body}");
    echo(&mut ws, "after a valid reload").await;

    // An invalid file, noticed without a signal: logged with its line, nothing changes.
    let from = s.connector.proc.log_len();
    std::fs::write(
        &s.connector.config,
        format!("{head}ingress:\n  - hostname: app.example.test\n    service: gopher://nowhere\n  - service: http_status:404\n"),
    )
    .unwrap();
    let line = s
        .connector
        .proc
        .wait_for_from(from, "tunnel.yml not reloaded", READY);
    let at = format!("{}:5:", s.connector.config.display());
    assert!(
        line.contains(&at),
        "the error names the file and line: {line}"
    );
    let (status, _, body) = get_plain(http, "app.example.test", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("origin two"), "{body}");
    echo(&mut ws, "after an invalid reload").await;
    ws.close(None).await.unwrap();
}
