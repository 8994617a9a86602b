//! What the rules see is what the origin sees. An ingress `path:` rule matches the path the
//! origin will act on, so `path: ^/admin` → 403 also stops `/%61dmin`, `/x/../admin`, `//admin`,
//! `/./admin` and `/admin;x`, while the origin still gets the path exactly as sent; a path that
//! cannot be decoded (`%00`, bytes that are not UTF-8) gets 400. Headers only Cloudflare (or
//! Tether) may set never pass from a client, and a Host that is not a host name, or two of
//! them, get 400 instead of reaching a wildcard route's origin.

use std::net::SocketAddr;

use http::Request;
use hyper::body::Incoming;
use tests::origin::{ok, serve};
use tests::tunnel::Setup;
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HOST: &str = "app.example.test";

/// One request to `HOST` written by hand (so the path goes out byte for byte), with `extra`
/// header lines; the status and the body.
async fn raw_request(addr: SocketAddr, path: &str, extra: &str) -> (u16, String) {
    raw_request_to(addr, HOST, path, extra).await
}

/// [`raw_request`] with another `Host`.
async fn raw_request_to(addr: SocketAddr, host: &str, path: &str, extra: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
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

/// The headers an origin moved from Cloudflare may trust, forged by a client.
const FORGED: [&str; 6] = [
    "Cf-Access-Authenticated-User-Email",
    "Cf-Access-Jwt-Assertion",
    "CF-IPCountry",
    "CF-Ray",
    "X-Client-IP",
    "Client-IP",
];

#[tokio::test]
async fn headers_only_cloudflare_or_the_edge_may_set_never_pass_from_a_client() {
    let origin = serve(|req: Request<Incoming>| async move {
        let mut seen = String::new();
        for name in FORGED {
            let value = req.headers().get(name).and_then(|v| v.to_str().ok());
            seen.push_str(&format!("{name}={}\n", value.unwrap_or("-")));
        }
        ok(seen)
    })
    .await;
    let s = Setup::new(
        "compat-headers: cloudflare\n",
        &[HOST],
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    // A policy route, as the review found: the forged identity headers passed even there.
    let htpasswd = format!("ops:{}\n", bcrypt::hash("secret", 4).unwrap());
    std::fs::write(s.edge.dir.path().join("users.htpasswd"), htpasswd).unwrap();
    s.edge.set_policy(
        HOST,
        Some("allow-cleartext: true\npolicy:\n  basic:\n    htpasswd-file: users.htpasswd\n"),
    );
    let forged: String = FORGED
        .iter()
        .map(|n| format!("{n}: ceo@example.test\r\n"))
        .collect();
    // ops:secret
    let auth = "Authorization: Basic b3BzOnNlY3JldA==\r\n";
    let (status, seen) = raw_request(s.edge.addr("http"), "/", &format!("{forged}{auth}")).await;
    assert_eq!(status, 200, "{seen}");
    for name in &FORGED[..4] {
        assert!(
            seen.contains(&format!("{name}=-")),
            "{name} reached the origin:\n{seen}"
        );
    }
    for name in &FORGED[4..] {
        assert!(
            seen.contains(&format!("{name}=127.0.0.1")),
            "{name} is not the client:\n{seen}"
        );
    }
}

#[tokio::test]
async fn a_host_that_is_not_a_name_or_twice_is_refused() {
    let origin = serve(|req: Request<Incoming>| async move {
        ok(format!("origin got host {:?}", req.headers().get("host")))
    })
    .await;
    let s = Setup::new(
        "",
        &["*.wild.example.test"],
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    let http = s.edge.addr("http");
    let (status, body) = raw_request_to(http, "a.wild.example.test", "/", "").await;
    assert_eq!(status, 200, "{body}");
    for (host, extra) in [
        ("evil.example,a.wild.example.test", ""),
        ("evil.example/a.wild.example.test", ""),
        ("a.wild.example.test", "Host: evil.example\r\n"),
    ] {
        let (status, body) = raw_request_to(http, host, "/", extra).await;
        assert_eq!(status, 400, "{host} {extra:?}: {body}");
        assert!(!body.contains("origin got"), "{body}");
    }
}
