//! What the rules see is what the origin sees. An ingress `path:` rule matches the path the
//! origin will act on, so `path: ^/admin` → 403 also stops `/%61dmin`, `/x/../admin`, `//admin`,
//! `/./admin` and `/admin;x`, while the origin still gets the path exactly as sent; a path that
//! cannot be decoded (`%00`, bytes that are not UTF-8) gets 400.

use std::net::SocketAddr;

use http::Request;
use hyper::body::Incoming;
use tests::origin::{ok, serve};
use tests::tunnel::Setup;
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HOST: &str = "app.example.test";

/// One request written by hand (so the path goes out byte for byte), with `extra` header
/// lines; the status and the body.
async fn raw_request(addr: SocketAddr, path: &str, extra: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{extra}Connection: close\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(READY, tcp.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    (status, body.to_string())
}

/// An edge and connector whose rules deny `^/admin` and send the rest to an origin that
/// answers with the path it was sent.
async fn denying_admin() -> Setup {
    let origin =
        serve(
            |req: Request<Incoming>| async move { ok(format!("origin got {}", req.uri().path())) },
        )
        .await;
    Setup::new(
        "",
        &[HOST],
        &format!("ingress:\n  - hostname: {HOST}\n    path: ^/admin\n    service: http_status:403\n  - service: http://{origin}\n"),
    )
}

#[tokio::test]
async fn a_path_rule_sees_the_path_the_origin_acts_on() {
    let s = denying_admin().await;
    let http = s.edge.addr("http");
    for path in [
        "/admin",
        "/%61dmin",
        "/%61%64%6d%69%6e/users",
        "/%2e%2e/admin",
        "/x/%2e%2e/admin",
        "/x/../admin",
        "//admin",
        "/%2fadmin",
        "/./admin",
        "/admin;jsessionid=1",
        "/;x/admin",
    ] {
        let (status, body) = raw_request(http, path, "").await;
        assert_eq!(status, 403, "{path} reached the origin: {body}");
    }
    // Everything else reaches the origin as it was sent, escapes and all.
    let (status, body) = raw_request(http, "/%61pi/x", "").await;
    assert_eq!((status, body.as_str()), (200, "origin got /%61pi/x"));
    // Paths that cannot be decoded honestly are refused.
    for path in ["/%00admin", "/%ff", "/50%zz"] {
        let (status, body) = raw_request(http, path, "").await;
        assert_eq!(status, 400, "{path}: {body}");
    }
}
