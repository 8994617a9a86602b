//! `policy: { oidc }` against a small OpenID provider the test runs over HTTPS: discovery, an
//! authorization endpoint that signs "alice" in at once, a token endpoint that checks the client
//! secret, the redirect URI and the PKCE verifier, and a JWKS. The test is the browser: it
//! follows the redirects and keeps the cookies. Also: a forged session cookie and a callback
//! with another sign-in's state are refused, and the origin learns who signed in.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use rcgen::{KeyPair, PKCS_ED25519};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use sha2::{Digest, Sha256};
use tests::client::full;
use tests::origin::{loopback_certificate, ok, serve, serve_tls};
use tests::tunnel::Setup;
use tokio::net::TcpStream;

const HOST: &str = "app.example.test";
const CLIENT_ID: &str = "tether-app";
const SECRET: &str = "client-s3cret";

/// What the provider remembers of a code: the PKCE challenge, the nonce, the redirect URI.
type Codes = Arc<Mutex<HashMap<String, (String, String, String)>>>;

fn query(uri: &str) -> HashMap<String, String> {
    let q = uri.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// The provider: its issuer URL and CA (PEM).
async fn provider(tokens_issued: Arc<Mutex<u32>>) -> (String, String) {
    let (ca_pem, leaf_pem, leaf_key) = loopback_certificate();
    let signing = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let jwk = serde_json::json!({ "keys": [{
        "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "k1",
        "x": URL_SAFE_NO_PAD.encode(signing.public_key_raw()),
    }]});
    let key = EncodingKey::from_ed_der(&signing.serialize_der());
    let issuer: Arc<OnceLock<String>> = Arc::default();
    let codes: Codes = Arc::default();
    let me = issuer.clone();
    let addr = serve_tls(&leaf_pem, &leaf_key, move |req: Request<Incoming>| {
        let (me, codes, jwk, key) = (me.clone(), codes.clone(), jwk.clone(), key.clone());
        let issued = tokens_issued.clone();
        async move {
            let iss = me.get().unwrap().clone();
            let uri = req.uri().to_string();
            match req.uri().path() {
                "/.well-known/openid-configuration" => ok(serde_json::json!({
                    "issuer": iss, "authorization_endpoint": format!("{iss}/authorize"),
                    "token_endpoint": format!("{iss}/token"), "jwks_uri": format!("{iss}/jwks"),
                })
                .to_string()),
                "/jwks" => ok(jwk.to_string()),
                "/authorize" => {
                    let q = query(&uri);
                    assert_eq!(q["client_id"], CLIENT_ID);
                    assert_eq!(q["code_challenge_method"], "S256");
                    let code = format!("code-{}", codes.lock().unwrap().len());
                    let remembered = (
                        q["code_challenge"].clone(),
                        q["nonce"].clone(),
                        q["redirect_uri"].clone(),
                    );
                    codes.lock().unwrap().insert(code.clone(), remembered);
                    let to = format!("{}?code={code}&state={}", q["redirect_uri"], q["state"]);
                    let mut r = ok("");
                    *r.status_mut() = StatusCode::FOUND;
                    r.headers_mut()
                        .insert(header::LOCATION, to.parse().unwrap());
                    r
                }
                "/token" => {
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let form: HashMap<String, String> =
                        form_urlencoded::parse(&body).into_owned().collect();
                    let Some((challenge, nonce, redirect)) =
                        codes.lock().unwrap().remove(&form["code"])
                    else {
                        return bad("unknown or used code");
                    };
                    let verified =
                        URL_SAFE_NO_PAD.encode(Sha256::digest(form["code_verifier"].as_bytes()));
                    if verified != challenge
                        || form["client_secret"] != SECRET
                        || form["redirect_uri"] != redirect
                    {
                        return bad("PKCE verifier, client secret or redirect URI wrong");
                    }
                    *issued.lock().unwrap() += 1;
                    let mut header = Header::new(Algorithm::EdDSA);
                    header.kid = Some("k1".into());
                    let claims = serde_json::json!({
                        "iss": iss, "aud": CLIENT_ID, "exp": now() + 300, "sub": "u-1",
                        "email": "alice@example.test", "email_verified": true, "nonce": nonce,
                    });
                    let id_token = encode(&header, &claims, &key).unwrap();
                    ok(
                        serde_json::json!({ "id_token": id_token, "token_type": "Bearer" })
                            .to_string(),
                    )
                }
                _ => bad("no such endpoint"),
            }
        }
    })
    .await;
    issuer.set(format!("https://{addr}")).unwrap();
    (format!("https://{addr}"), ca_pem)
}

fn bad(why: &str) -> hyper::Response<tests::client::Body> {
    let mut r = ok(why.to_string());
    *r.status_mut() = StatusCode::BAD_REQUEST;
    r
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A GET over HTTPS/1.1 to `addr` with SNI and Host `name`, trusting `ca`, with `cookie`.
async fn get(
    addr: SocketAddr,
    name: &str,
    ca: &str,
    path: &str,
    cookie: &str,
) -> (StatusCode, HeaderMap, String) {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(name.to_string()).unwrap(), tcp)
        .await
        .unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::get(path).header(header::HOST, name);
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    let response = send
        .send_request(req.body(full("")).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// `NAME=VALUE` of a response's Set-Cookie.
fn set_cookie(headers: &HeaderMap) -> String {
    let value = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        value.contains("Secure") && value.contains("HttpOnly"),
        "{value}"
    );
    value.split(';').next().unwrap().to_string()
}

fn location(headers: &HeaderMap) -> String {
    headers[header::LOCATION].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_browser_signs_in_at_the_provider_and_comes_back_with_a_session() {
    let tokens = Arc::new(Mutex::new(0));
    let (issuer, provider_ca) = provider(tokens.clone()).await;
    let origin = serve(|req| async move {
        let who = req.headers().get("tether-identity").cloned();
        ok(format!("hello {}", who.unwrap().to_str().unwrap()))
    })
    .await;
    let setup = Setup::new(
        "",
        &[HOST],
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    let edge = &setup.edge;
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), &provider_ca).unwrap();
    edge.set_policy(
        HOST,
        Some(&format!(
            "policy:\n  oidc:\n    issuer: {issuer}\n    client-id: {CLIENT_ID}\n    client-secret: {SECRET}\n    ca-file: {}\n",
            ca_file.path().display()
        )),
    );
    let https = edge.addr("https");
    let edge_ca = std::fs::read_to_string(edge.ca_pem()).unwrap();
    let provider_addr: SocketAddr = issuer.trim_start_matches("https://").parse().unwrap();

    // No session: off to the provider, with a sign-in cookie.
    let (status, headers, _) = get(https, HOST, &edge_ca, "/private?x=1", "").await;
    assert_eq!(status, StatusCode::FOUND);
    let to_provider = location(&headers);
    assert!(
        to_provider.starts_with(&format!("{issuer}/authorize?")),
        "{to_provider}"
    );
    let login = set_cookie(&headers);

    // The provider signs alice in and sends the browser back with a code.
    let path = to_provider.trim_start_matches(&issuer);
    let (status, headers, _) = get(provider_addr, "127.0.0.1", &provider_ca, path, "").await;
    assert_eq!(status, StatusCode::FOUND);
    let back = location(&headers);
    let callback = back
        .split_once(HOST)
        .unwrap()
        .1
        .split_once('/')
        .map(|(_, p)| format!("/{p}"))
        .unwrap();

    // A callback with another sign-in's state is refused, and spends no code.
    let forged_state = callback.replace("state=", "state=x");
    let (status, _, _) = get(https, HOST, &edge_ca, &forged_state, &login).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The real one: the edge redeems the code (the provider checks PKCE) and sets the session.
    let (status, headers, _) = get(https, HOST, &edge_ca, &callback, &login).await;
    assert_eq!(status, StatusCode::FOUND, "{headers:?}");
    assert_eq!(location(&headers), "/private?x=1");
    let session = set_cookie(&headers);
    assert_eq!(*tokens.lock().unwrap(), 1);

    let (status, _, body) = get(https, HOST, &edge_ca, "/private?x=1", &session).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "hello alice@example.test")
    );

    // A session cookie the edge did not sign is no session.
    let (name, value) = session.split_once('=').unwrap();
    let last = if value.ends_with('A') { 'B' } else { 'A' };
    let forged = format!("{name}={}{last}", &value[..value.len() - 1]);
    let (status, _, _) = get(https, HOST, &edge_ca, "/", &forged).await;
    assert_eq!(status, StatusCode::FOUND);
}
