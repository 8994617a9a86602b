//! The PROXY protocol from a trusted load balancer (`proxy-protocol.trusted`): the client its
//! header names is the one `client-ip-rules` judge and the origin is told of; a header from
//! anybody else is refused, and the balancer's own health checks (no header) still pass.
//! The balancer is 127.0.0.5; an untrusted peer is 127.0.0.6.

use std::net::{IpAddr, SocketAddr};

use tests::origin::{ok, serve};
use tests::tunnel::TestEdge;
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const HOST: &str = "app.example.test";

/// One HTTP/1.1 GET from `source` to `addr`, `prefix` sent first; the whole answer.
async fn get(source: &str, addr: SocketAddr, prefix: &str) -> String {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(source.parse::<IpAddr>().unwrap(), 0))
        .unwrap();
    let mut tcp = socket.connect(addr).await.unwrap();
    let request = format!("{prefix}GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(READY, tcp.read_to_end(&mut answer))
        .await
        .expect("answer in time");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_trusted_balancers_header_names_the_client_and_nobody_elses_is_read() {
    let origin = serve(|req| async move {
        let xff = req.headers().get("x-forwarded-for").cloned();
        ok(format!("client={}", xff.unwrap().to_str().unwrap()))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let edge = TestEdge::start_with(
        dir,
        "",
        "proxy-protocol:\n  trusted: [127.0.0.5]\n",
        "127.0.0.1:0",
    );
    let tunnel = edge.create_tunnel("t");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    edge.route(&tunnel, HOST);
    edge.set_policy(HOST, Some("client-ip-rules:\n  - deny: [203.0.113.0/24]\n"));
    let http = edge.addr("http");

    // The client the header names is judged, not the balancer.
    let denied = get(
        "127.0.0.5",
        http,
        "PROXY TCP4 203.0.113.7 127.0.0.1 4000 80\r\n",
    )
    .await;
    assert!(denied.starts_with("HTTP/1.1 403"), "{denied}");
    let allowed = get(
        "127.0.0.5",
        http,
        "PROXY TCP4 198.51.100.9 127.0.0.1 4000 80\r\n",
    )
    .await;
    assert!(allowed.starts_with("HTTP/1.1 200"), "{allowed}");
    assert!(allowed.ends_with("client=198.51.100.9"), "{allowed}");

    // A health check from the balancer, without a header, is the balancer itself.
    let check = get("127.0.0.5", http, "").await;
    assert!(check.ends_with("client=127.0.0.5"), "{check}");

    // From anybody else, a header is just a malformed request.
    let forged = get(
        "127.0.0.6",
        http,
        "PROXY TCP4 198.51.100.9 127.0.0.1 4000 80\r\n",
    )
    .await;
    assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");
}
