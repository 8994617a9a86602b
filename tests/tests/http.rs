//! Public HTTP(S) requests through the tunnel: routing, ingress rules, and every page the edge
//! gives itself.

use std::process::Command;
use std::time::Duration;

use http::StatusCode;
use tests::client::get;
use tests::origin;
use tests::tunnel::{Setup, TestEdge};

const CATCH_ALL_404: &str = "  - service: http_status:404\n";

#[tokio::test]
async fn real_curl_reaches_hello_world_over_https() {
    let s = Setup::new(
        "",
        &["hello.example.test"],
        &format!(
            "ingress:\n  - hostname: hello.example.test\n    service: hello_world\n{CATCH_ALL_404}"
        ),
    );
    let port = s.edge.addr("https").port();
    let out = Command::new("curl")
        .args(["-sS", "-i", "--cacert"])
        .arg(s.edge.ca_pem())
        .arg("--resolve")
        .arg(format!("hello.example.test:{port}:127.0.0.1"))
        .arg(format!("https://hello.example.test:{port}/some/path?q=1"))
        .output()
        .expect("run curl (apt-get install curl)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("HTTP/2 200"), "{text}");
    assert!(text.contains("Hello from Tether!"), "{text}");
    assert!(text.contains("GET https://hello.example.test:"), "{text}");
    assert!(text.contains("/some/path?q=1"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("tether-request-id: "),
        "{text}"
    );
    assert!(text.contains("x-forwarded-proto: https"), "{text}");
}

#[tokio::test]
async fn path_and_wildcard_rules_pick_the_origin_and_the_catch_all_answers_the_rest() {
    let api = origin::named("api").await;
    let web = origin::named("web").await;
    let ingress = format!(
        "ingress:\n  - hostname: app.example.test\n    path: ^/api/\n    service: http://{api}\n  - hostname: '*.example.test'\n    service: http://{web}\n  - service: http_status:418\n"
    );
    let s = Setup::new("", &["app.example.test", "*.example.test"], &ingress);
    let (https, ca) = (s.edge.addr("https"), s.edge.ca_pem());
    let (status, _, body) = get(https, "app.example.test", &ca, "/api/v1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.starts_with("origin api: GET /api/v1 host=app.example.test"),
        "{body}"
    );
    let (_, _, body) = get(https, "app.example.test", &ca, "/home").await;
    assert!(body.starts_with("origin web: GET /home"), "{body}");
    let (_, _, body) = get(https, "deep.sub.example.test", &ca, "/").await;
    assert!(
        body.starts_with("origin web: GET / host=deep.sub.example.test"),
        "{body}"
    );
    // The edge routes example.test nowhere… but route *.example.test covers only subdomains, so the
    // apex is 404 at the edge; the catch-all is reached by a routed host no rule names.
    let edge_http = s.edge.addr("http");
    let (status, _, _) = tests::client::get_plain(edge_http, "example.test", "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.edge.route(&s.tunnel, "other.test");
    let (status, _, _) = tests::client::get_plain(edge_http, "other.test", "/").await;
    assert_eq!(status, StatusCode::IM_A_TEAPOT);
}

#[tokio::test]
async fn host_matching_ignores_case_port_and_trailing_dot() {
    let s = Setup::new(
        "",
        &["app.example.test"],
        "ingress:\n  - service: hello_world\n",
    );
    let http = s.edge.addr("http");
    for host in [
        "APP.Example.Test",
        "app.example.test.",
        "app.example.test:8080",
    ] {
        let (status, _, body) = tests::client::get_plain(http, host, "/").await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
    }
}

#[tokio::test]
async fn edge_pages_say_whose_fault_with_the_request_id() {
    // An origin port that refuses connections: bind, learn the port, close.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let slow = origin::serve(|_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        origin::ok("late")
    })
    .await;
    let ingress = format!(
        "ingress:\n  - hostname: dead.example.test\n    service: http://{dead}\n  - hostname: slow.example.test\n    service: http://{slow}\n  - service: hello_world\n"
    );
    let edge_extra = "response-header-timeout: 1s\nmax-request-body: 10\n";
    let s = Setup::new(
        edge_extra,
        &["dead.example.test", "slow.example.test", "ok.example.test"],
        &ingress,
    );
    let (https, http, ca) = (s.edge.addr("https"), s.edge.addr("http"), s.edge.ca_pem());

    let (status, headers, body) = get(https, "dead.example.test", &ca, "/").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(body.contains("Fault: the origin"), "{body}");
    let id = headers["tether-request-id"].to_str().unwrap();
    assert!(body.contains(id), "{body}");

    let (status, _, body) = get(https, "slow.example.test", &ca, "/").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");

    let (status, _, body) = tests::client::get_plain(http, "nowhere.test", "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Fault: the request"), "{body}");

    // SNI ok.example.test, Host dead.example.test: the dev certificate does not cover it.
    let (mut conn, _) = tests::client::connect(
        https,
        Some(("ok.example.test", &ca)),
        tests::client::Proto::Http1,
    )
    .await;
    let req = http::Request::get("/")
        .header("host", "dead.example.test")
        .body(tests::client::full(""))
        .unwrap();
    assert_eq!(
        conn.send(req).await.unwrap().status(),
        StatusCode::MISDIRECTED_REQUEST
    );

    let (mut conn, _) = tests::client::connect(http, None, tests::client::Proto::Http1).await;
    let req = http::Request::post("/")
        .header("host", "ok.example.test")
        .body(tests::client::full("more than ten bytes"))
        .unwrap();
    assert_eq!(
        conn.send(req).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn routed_hostname_without_a_connector_gets_the_offline_page() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("idle");
    edge.route(&tunnel, "idle.example.test");
    let (status, _, body) =
        tests::client::get_plain(edge.addr("http"), "idle.example.test", "/").await;
    assert_eq!(status.as_u16(), 530, "{body}");
    assert!(body.contains("Fault: the tunnel"), "{body}");
}

#[tokio::test]
async fn malformed_and_oversized_requests_are_refused_at_the_edge() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Setup::new(
        "",
        &["app.example.test"],
        "ingress:\n  - service: hello_world\n",
    );
    let http = s.edge.addr("http");
    let raw = |request: Vec<u8>| async move {
        let mut tcp = tokio::net::TcpStream::connect(http).await.unwrap();
        tcp.write_all(&request).await.unwrap();
        let mut buf = vec![0u8; 64];
        let n = tcp.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert!(raw(b"GARBAGE\r\n\r\n".to_vec())
        .await
        .starts_with("HTTP/1.1 400"));
    let huge_header = format!(
        "GET / HTTP/1.1\r\nhost: app.example.test\r\nx-big: {}\r\n\r\n",
        "a".repeat(100_000)
    );
    assert!(raw(huge_header.into_bytes())
        .await
        .starts_with("HTTP/1.1 431"));
    let long_uri = format!(
        "GET /{} HTTP/1.1\r\nhost: app.example.test\r\n\r\n",
        "a".repeat(100_000)
    );
    let answer = raw(long_uri.into_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 414") || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    // None of these reached the connector.
    assert!(!s.connector.proc.log_text().contains("GARBAGE"));
}

#[tokio::test]
async fn unix_socket_origin() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("origin.sock");
    origin::serve_unix(
        &socket,
        |req: http::Request<hyper::body::Incoming>| async move {
            origin::ok(format!("unix origin {}", req.uri()))
        },
    )
    .await;
    let s = Setup::new(
        "",
        &["sock.example.test"],
        &format!("ingress:\n  - service: unix:{}\n", socket.display()),
    );
    let (status, _, body) = get(
        s.edge.addr("https"),
        "sock.example.test",
        &s.edge.ca_pem(),
        "/p",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "unix origin /p");
}

#[tokio::test]
async fn https_origins_with_ca_pool_no_tls_verify_and_origin_server_name() {
    let ca = rcgen::generate_simple_self_signed(vec!["origin.internal".into()]).unwrap();
    let (cert_pem, key_pem) = (ca.cert.pem(), ca.signing_key.serialize_pem());
    let addr = origin::serve_tls(
        &cert_pem,
        &key_pem,
        |req: http::Request<hyper::body::Incoming>| async move {
            origin::ok(format!(
                "tls origin host={}",
                req.headers()["host"].to_str().unwrap()
            ))
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pool = dir.path().join("origin-ca.pem");
    std::fs::write(&pool, &cert_pem).unwrap();
    let ingress = format!(
        "ingress:\n\
         \x20 - hostname: pool.example.test\n    service: https://{addr}\n    originRequest:\n      caPool: {pool}\n      originServerName: origin.internal\n\
         \x20 - hostname: noverify.example.test\n    service: https://{addr}\n    originRequest:\n      noTLSVerify: true\n      httpHostHeader: origin.internal\n\
         \x20 - hostname: strict.example.test\n    service: https://{addr}\n    originRequest:\n      caPool: {pool}\n\
         \x20 - service: http_status:404\n",
        pool = pool.display()
    );
    let hosts = [
        "pool.example.test",
        "noverify.example.test",
        "strict.example.test",
    ];
    let s = Setup::new("", &hosts, &ingress);
    let (https, ca) = (s.edge.addr("https"), s.edge.ca_pem());
    let (status, _, body) = get(https, "pool.example.test", &ca, "/").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "tls origin host=pool.example.test")
    );
    let (status, _, body) = get(https, "noverify.example.test", &ca, "/").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "tls origin host=origin.internal")
    );
    // Without originServerName the origin's certificate (for origin.internal) does not match the
    // IP we dial: the connector must refuse it, and the edge blames the origin.
    let (status, _, body) = get(https, "strict.example.test", &ca, "/").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
}

#[tokio::test]
async fn http_redirect_sends_plain_http_to_https() {
    let edge = TestEdge::start("http-redirect: true\n");
    let (status, headers, _) =
        tests::client::get_plain(edge.addr("http"), "app.example.test", "/a?b=1").await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    let port = edge.addr("https").port();
    assert_eq!(
        headers["location"],
        format!("https://app.example.test:{port}/a?b=1").as_str()
    );
}

#[tokio::test]
async fn tunnel_list_shows_live_sessions_and_routes() {
    let s = Setup::new(
        "",
        &["app.example.test"],
        "ha-connections: 2\ningress:\n  - service: hello_world\n",
    );
    s.edge
        .proc
        .wait_count("tunnel session registered", 2, tests::READY);
    let list = s.edge.cli_ok(&["tunnel", "list"]);
    let row = list
        .lines()
        .find(|l| l.contains(&s.tunnel.id))
        .expect("tunnel row");
    let columns: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(columns[2], "1", "one key expected: {row}");
    assert_eq!(columns[3], "2", "two live sessions expected: {row}");
    assert!(row.ends_with("app.example.test"), "{row}");
}

#[tokio::test]
async fn http2_origin_speaks_http2_to_the_origin() {
    let addr = origin::serve(|req: http::Request<hyper::body::Incoming>| async move {
        origin::ok(format!("origin saw {:?}", req.version()))
    })
    .await;
    let ingress = format!(
        "ingress:\n  - hostname: h2.example.test\n    service: http://{addr}\n    originRequest:\n      http2Origin: true\n  - service: http://{addr}\n"
    );
    let s = Setup::new("", &["h2.example.test", "h1.example.test"], &ingress);
    let (https, ca) = (s.edge.addr("https"), s.edge.ca_pem());
    let (_, _, body) = get(https, "h2.example.test", &ca, "/").await;
    assert_eq!(body, "origin saw HTTP/2.0");
    let (_, _, body) = get(https, "h1.example.test", &ca, "/").await;
    assert_eq!(body, "origin saw HTTP/1.1");
}

#[tokio::test]
async fn unix_tls_socket_origin() {
    // unix+tls: TLS over a unix socket; the origin's certificate names origin.internal.
    let cert = rcgen::generate_simple_self_signed(vec!["origin.internal".into()]).unwrap();
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    let dir = tempfile::tempdir().unwrap();
    let (socket, pool) = (dir.path().join("tls.sock"), dir.path().join("ca.pem"));
    std::fs::write(&pool, &cert_pem).unwrap();
    origin::serve_tls_unix(
        &socket,
        &cert_pem,
        &key_pem,
        |req: http::Request<hyper::body::Incoming>| async move {
            origin::ok(format!("unix tls origin {}", req.uri()))
        },
    )
    .await;
    let ingress = format!(
        "ingress:\n  - service: unix+tls:{}\n    originRequest:\n      caPool: {}\n      originServerName: origin.internal\n",
        socket.display(),
        pool.display()
    );
    let s = Setup::new("", &["utls.example.test"], &ingress);
    let (status, _, body) = get(
        s.edge.addr("https"),
        "utls.example.test",
        &s.edge.ca_pem(),
        "/q",
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "unix tls origin /q")
    );
}
