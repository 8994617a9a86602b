//! Hot reload. tunnel.yml: a valid file (SIGHUP) and then an invalid one (noticed as a change)
//! while a WebSocket is open: it survives both, new requests follow the new rules, and the
//! invalid file changes nothing. edge.yml: a renewed certificate and a new setting (noticed as a
//! change), then an invalid file (SIGHUP), with a kept-alive connection open throughout.

use http::StatusCode;
use tests::client::{get_plain, ws_echo};
use tests::origin;
use tests::tunnel::Setup;
use tests::READY;
use tokio::net::TcpStream;

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
    ws_echo(&mut ws, "before").await;

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
    ws_echo(&mut ws, "after a valid reload").await;

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
    ws_echo(&mut ws, "after an invalid reload").await;
    ws.close(None).await.unwrap();
}

/// `curl` through the edge's HTTPS port trusting only `ca`: the status, or 0 when TLS failed.
fn curl_https(port: u16, ca: &std::path::Path, extra: &[&str]) -> u16 {
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "10"])
        .arg("--cacert")
        .arg(ca)
        .args(["--resolve", &format!("app.example.test:{port}:127.0.0.1")])
        .args(extra)
        .arg(format!("https://app.example.test:{port}/"))
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[tokio::test]
async fn the_edge_reloads_certificates_and_settings_without_dropping_a_connection() {
    let dir = tempfile::tempdir().unwrap();
    // A new self-signed certificate for the name, installed as cert.pem and key.pem; returns a
    // copy of it for curl to trust (and nothing else).
    let write_pair = |n: &str| {
        let pair = rcgen::generate_simple_self_signed(vec!["app.example.test".into()]).unwrap();
        let cert = pair.cert.pem();
        std::fs::write(dir.path().join(format!("{n}.pem")), &cert).unwrap();
        std::fs::write(dir.path().join("cert.pem"), &cert).unwrap();
        std::fs::write(dir.path().join("key.pem"), pair.signing_key.serialize_pem()).unwrap();
        dir.path().join(format!("{n}.pem"))
    };
    let ca_a = write_pair("a");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let yaml = format!(
        "state-dir: state\npublic-hostname: localhost\nlisten:\n  http: 127.0.0.1:0\n  https: 127.0.0.1:0\n  tunnel: 127.0.0.1:0\ntls:\n  certificates:\n    - cert: {}\n      key: {}\n",
        cert.display(),
        key.display()
    );
    let edge = tests::tunnel::TestEdge::start_config(tempfile::tempdir().unwrap(), &yaml);
    let edge_yml = edge.dir.path().join("edge.yml");
    let tunnel = edge.create_tunnel("certs");
    edge.route(&tunnel, "app.example.test");
    let _connector = edge.connect(&tunnel, "ingress:\n  - service: hello_world\n");
    let https = edge.addr("https");
    assert_eq!(curl_https(https.port(), &ca_a, &[]), 200);

    // A connection opened before the reload, kept alive across it.
    let (conn, _) = tests::client::connect(
        https,
        Some(("app.example.test", &ca_a)),
        tests::client::Proto::Http1,
    )
    .await;
    let tests::client::Conn::H1(mut kept) = conn else {
        unreachable!("asked for HTTP/1.1")
    };
    let mut get = async || {
        let req = http::Request::get("/")
            .header("host", "app.example.test")
            .body(tests::client::full(""))
            .unwrap();
        let response = kept.send_request(req).await.unwrap();
        let status = response.status();
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap();
        status
    };
    assert_eq!(get().await, 200);

    // A renewed certificate and a new setting, noticed without a signal.
    let ca_b = write_pair("b");
    let with_limit = std::fs::read_to_string(&edge_yml).unwrap() + "max-request-body: 10\n";
    let from = edge.proc.log_len();
    std::fs::write(&edge_yml, &with_limit).unwrap();
    edge.proc.wait_for_from(from, "edge.yml reloaded", READY);
    assert_eq!(curl_https(https.port(), &ca_b, &[]), 200);
    assert_eq!(
        curl_https(https.port(), &ca_a, &[]),
        0,
        "the old certificate is gone"
    );
    let post = ["--data", "more than ten bytes"];
    assert_eq!(curl_https(https.port(), &ca_b, &post), 413);
    assert_eq!(get().await, 200);

    // An invalid file, on SIGHUP: logged, and nothing changes.
    let from = edge.proc.log_len();
    std::fs::write(
        &edge_yml,
        with_limit.replace("max-request-body", "max-request-bdy"),
    )
    .unwrap();
    edge.proc.signal("HUP");
    let line = edge
        .proc
        .wait_for_from(from, "edge.yml not reloaded", READY);
    assert!(line.contains("max-request-bdy"), "{line}");
    assert_eq!(curl_https(https.port(), &ca_b, &post), 413);
    assert_eq!(get().await, 200);
}
