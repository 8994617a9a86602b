//! The `mtls` policy, decided by SNI: a handshake naming the route must present a client
//! certificate from the route's CA (none, or another CA's, and it fails); the certificate's
//! subject reaches the origin in the identity header; a connection opened for another name
//! (one certificate covers both, as a wildcard does) and reused for this one gets 421.

use std::sync::Arc;

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tests::client::full;
use tests::origin::{ok, serve};
use tests::tunnel::TestEdge;
use tokio::net::TcpStream;

const SECURE: &str = "secure.example.test";
const OPEN: &str = "open.example.test";

/// A CA: its PEM and its issuer.
fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let pem = params.self_signed(&key).unwrap().pem();
    (pem, Issuer::new(params, key))
}

/// A certificate for `names` (or, with none, a client named `cn`) from `issuer`: DER and key.
fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    names: &[&str],
    cn: &str,
) -> (CertificateDer<'static>, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.der().clone(), key)
}

/// A certificate as PEM (one base64 line, which PEM readers accept).
fn pem(der: &CertificateDer) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
}

/// HTTPS to `edge` with SNI `sni`, Host `host`, and the client certificate `client` if any:
/// the status and body, or the error of the handshake or request.
async fn get(
    edge: &TestEdge,
    server_ca: &CertificateDer<'static>,
    sni: &str,
    host: &str,
    client: Option<&(CertificateDer<'static>, KeyPair)>,
) -> Result<(StatusCode, String), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_ca.clone()).unwrap();
    let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
    let config = match client {
        Some((cert, key)) => {
            let key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
            builder
                .with_client_auth_cert(vec![cert.clone()], key)
                .unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    let tcp = TcpStream::connect(edge.addr("https")).await.unwrap();
    let name = ServerName::try_from(sni.to_string()).unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| format!("http: {e}"))?;
    tokio::spawn(conn);
    let req = Request::get("/")
        .header("host", host)
        .body(full(""))
        .unwrap();
    let response = send
        .send_request(req)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        status,
        String::from_utf8_lossy(&body.to_bytes()).into_owned(),
    ))
}

#[tokio::test]
async fn a_route_with_mtls_wants_a_certificate_from_its_ca_and_names_its_subject() {
    let origin = serve(|req| async move {
        let who = req.headers().get("tether-identity").cloned();
        ok(format!(
            "identity={}",
            who.map_or("-".into(), |v| v.to_str().unwrap().to_string())
        ))
    })
    .await;
    // The edge's certificate: one wildcard for both names, from a server CA.
    let (server_ca_pem, server_ca) = ca("server ca");
    let (wildcard, wildcard_key) = leaf(&server_ca, &["*.example.test"], "*.example.test");
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("server.pem"), pem(&wildcard)).unwrap();
    std::fs::write(files.join("server.key"), wildcard_key.serialize_pem()).unwrap();
    let certificates = format!(
        "  certificates:\n    - cert: {}\n      key: {}\n",
        files.join("server.pem").display(),
        files.join("server.key").display()
    );
    let edge = TestEdge::start_with(dir, "", &certificates, "127.0.0.1:0");
    let tunnel = edge.create_tunnel("t");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    edge.route(&tunnel, SECURE);
    edge.route(&tunnel, OPEN);
    let (clients_pem, clients) = ca("client ca");
    let ca_file = files.join("clients.pem");
    std::fs::write(&ca_file, &clients_pem).unwrap();
    let printed = edge.set_policy(
        SECURE,
        Some(&format!(
            "policy:\n  mtls:\n    ca-file: {}\n",
            ca_file.display()
        )),
    );
    assert!(printed.contains("mtls"), "{printed}");
    let server_ca_der = CertificateDer::from_pem_slice(server_ca_pem.as_bytes()).unwrap();
    let alice = leaf(&clients, &[], "alice");
    let (_, other_ca) = ca("other ca");
    let mallory = leaf(&other_ca, &[], "mallory");

    // With a certificate from the route's CA: in, and the origin learns who.
    let answer = get(&edge, &server_ca_der, SECURE, SECURE, Some(&alice)).await;
    assert_eq!(answer, Ok((StatusCode::OK, "identity=alice".into())));

    // Without one, or with another CA's: the handshake fails (TLS 1.3 reports it to the client
    // on its first read, so the request fails).
    for client in [None, Some(&mallory)] {
        let answer = get(&edge, &server_ca_der, SECURE, SECURE, client).await;
        assert!(answer.is_err(), "{answer:?}");
    }

    // A connection opened for the other name carries no verified certificate: 421.
    let answer = get(&edge, &server_ca_der, OPEN, SECURE, Some(&alice)).await;
    assert_eq!(answer.map(|(s, _)| s), Ok(StatusCode::MISDIRECTED_REQUEST));
    // And the other name itself asks for nothing.
    let answer = get(&edge, &server_ca_der, OPEN, OPEN, None).await;
    assert_eq!(answer, Ok((StatusCode::OK, "identity=-".into())));
}
