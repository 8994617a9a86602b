//! ACME failures a person can act on: the cause named (an untrusted CA certificate, a CA
//! certificate used as the server's own, a refused connection) in the log line scripts read, in
//! `edge cert list` and in the admin API; and, as it is not the CA's verdict, retried within a
//! minute rather than after `order-interval` (here an hour).

use tests::acme::{metric, Pebble};
use tests::admin::ADMIN;
use tests::tunnel::{free_port, TestEdge};
use tests::READY;

/// An edge ordering `app.example.test` (HTTP-01) from `directory`, trusting `ca_roots` (a flow
/// list's inside, or one path), one order an hour.
fn edge_ordering(directory: &str, ca_roots: &str) -> TestEdge {
    let acme = format!(
        "  acme:\n    directory: {directory}\n    email: ops@example.test\n{ca_roots}    challenge: [http-01]\n    names: [app.example.test]\n    order-interval: 1h\n{ADMIN}"
    );
    let dir = tempfile::tempdir().unwrap();
    TestEdge::start_with(dir, "  metrics: 127.0.0.1:0\n", &acme, "127.0.0.1:0")
}

/// Waits for the `failures`th failed order's log line, `retry_in` after which the next comes,
/// and checks that `edge cert list` and `GET /api/v1/certificates` give the same cause.
fn failed_with(edge: &TestEdge, cause: &str, failures: u32, retry_in: &str) {
    edge.proc.wait_for(
        &format!("ACME order failed; the certificate in force stays name=\"app.example.test\" kind=\"new\" error={cause}.* failures={failures} retry_in={retry_in}"),
        // The first retry comes a minute after the first failure.
        READY * 3,
    );
    let list = edge.cli_ok(&["cert", "list"]);
    let line = list
        .lines()
        .find(|l| l.starts_with("app.example.test\t"))
        .unwrap_or_else(|| panic!("{list}"));
    let plain = cause.replace('\\', "");
    let in_a_row = format!("{failures} failed in a row");
    assert!(line.contains(&plain) && line.contains(&in_a_row), "{line}");
    let token = edge.admin_token("ops", "read");
    let answer = edge.api("GET", "/api/v1/certificates", Some(&token), None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let doc = tests::admin::openapi();
    tests::admin::assert_documented(&doc, "GET", "/api/v1/certificates", &answer);
    let entry = &answer.body[0];
    assert_eq!(entry["name"], "app.example.test", "{}", answer.body);
    let error = entry["last_error"].as_str().unwrap_or_default();
    assert!(error.starts_with(&plain), "{error}");
    assert_eq!(entry["failures"], failures);
    assert!(
        metric(
            edge,
            "tether_edge_acme_orders_total{result=\"failed\",kind=\"new\"}"
        ) >= 1
    );
}

#[test]
fn a_ca_down_at_start_is_retried_within_a_minute_and_an_untrusted_one_is_named() {
    let mut pebble = Pebble::plan();
    let edge = edge_ordering(&pebble.directory, "");
    failed_with(&edge, "the CA refused the connection", 1, "60s");
    // The CA is up, but its HTTPS certificate is from a root the edge was not given.
    // No validation is reached: pebble's resolver is never asked.
    let dns = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    pebble.start(edge.addr("http").port(), edge.addr("https").port(), dns, "");
    failed_with(&edge, "the CA's HTTPS certificate has an unknown issuer: list the root of the CA's HTTPS certificate in tls.acme.ca-roots", 2, "120s");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ca_certificate_used_as_the_servers_own_is_named() {
    // A private CA's self-signed certificate as the HTTPS server's own, and listed as the root.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let ca = tests::origin::serve_tls(&cert.pem(), &key.serialize_pem(), |_req| async {
        tests::origin::ok("not an ACME directory".to_string())
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ca.pem");
    std::fs::write(&root, cert.pem()).unwrap();
    // `ca-roots` as one path, not a list.
    let edge = edge_ordering(
        &format!("https://{ca}/dir"),
        &format!("    ca-roots: {}\n", root.display()),
    );
    failed_with(
        &edge,
        "the CA's HTTPS server presents a CA certificate as its own \\(CaUsedAsEndEntity\\)",
        1,
        "60s",
    );
}
