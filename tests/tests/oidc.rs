//! `policy: { oidc }` against a small OpenID provider the test runs over HTTPS: discovery, an
//! authorization endpoint that signs "alice" in at once, a token endpoint that checks the client
//! secret, the redirect URI and the PKCE verifier, and a JWKS. The test is the browser: it
//! follows the redirects and keeps the cookies. Also: a forged session cookie and a callback
//! with another sign-in's state are refused, and the origin learns who signed in; a session
//! holds on every edge of the cluster until a logout at one of them ends it on all, and only
//! under the policy it was made under; `require` refuses whom it does not list.

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
                    "end_session_endpoint": format!("{iss}/logout"),
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

/// The test's view of a tunnel with an oidc route: the edge's HTTPS address and CA, the
/// provider's issuer, address and CA.
#[derive(Clone)]
struct Browser {
    https: SocketAddr,
    edge_ca: String,
    issuer: String,
    provider_ca: String,
}

impl Browser {
    async fn get(&self, path: &str, cookie: &str) -> (StatusCode, HeaderMap, String) {
        get(self.https, HOST, &self.edge_ca, path, cookie).await
    }

    /// Asks for `path` without a session: the edge sends the browser to the provider, which
    /// signs alice in at once and sends it back. Returns the callback's path and the sign-in
    /// cookie.
    async fn to_provider_and_back(&self, path: &str) -> (String, String) {
        let (status, headers, _) = self.get(path, "").await;
        assert_eq!(status, StatusCode::FOUND);
        let to_provider = location(&headers);
        assert!(
            to_provider.starts_with(&format!("{}/authorize?", self.issuer)),
            "{to_provider}"
        );
        let login = set_cookie(&headers);
        let provider: SocketAddr = self.issuer.trim_start_matches("https://").parse().unwrap();
        let path = to_provider.trim_start_matches(&self.issuer);
        let (status, headers, _) = get(provider, "127.0.0.1", &self.provider_ca, path, "").await;
        assert_eq!(status, StatusCode::FOUND);
        let back = location(&headers);
        let callback = back.split_once(HOST).unwrap().1;
        (callback.to_string(), login)
    }

    /// A whole sign-in: the session cookie.
    async fn sign_in(&self) -> String {
        let (callback, login) = self.to_provider_and_back("/").await;
        let (status, headers, _) = self.get(&callback, &login).await;
        assert_eq!(status, StatusCode::FOUND, "{headers:?}");
        set_cookie(&headers)
    }
}

/// An origin that says who the edge let in, and a tunnel to it with an oidc policy on HOST
/// (`require` YAML lines, indented under `oidc:`, added to it).
async fn oidc_route(require: &str) -> (Setup, Browser, Arc<Mutex<u32>>, PolicyFile) {
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
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), &provider_ca).unwrap();
    let policy = PolicyFile {
        issuer: issuer.clone(),
        ca_file,
    };
    setup.edge.set_policy(HOST, Some(&policy.yaml(require)));
    let browser = Browser {
        https: setup.edge.addr("https"),
        edge_ca: std::fs::read_to_string(setup.edge.ca_pem()).unwrap(),
        issuer,
        provider_ca,
    };
    (setup, browser, tokens, policy)
}

struct PolicyFile {
    issuer: String,
    ca_file: tempfile::NamedTempFile,
}

impl PolicyFile {
    fn yaml(&self, more: &str) -> String {
        format!(
            "policy:\n  oidc:\n    issuer: {}\n    client-id: {CLIENT_ID}\n    client-secret: {SECRET}\n    ca-file: {}\n{more}",
            self.issuer,
            self.ca_file.path().display()
        )
    }
}

#[tokio::test]
async fn a_browser_signs_in_at_the_provider_and_comes_back_with_a_session() {
    let (_setup, browser, tokens, _policy) = oidc_route("").await;

    // No session: off to the provider, with a sign-in cookie; the provider signs alice in and
    // sends the browser back with a code.
    let (callback, login) = browser.to_provider_and_back("/private?x=1").await;

    // A callback with another sign-in's state is refused, and spends no code.
    let forged_state = callback.replace("state=", "state=x");
    let (status, _, _) = browser.get(&forged_state, &login).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The real one: the edge redeems the code (the provider checks PKCE) and sets the session.
    let (status, headers, _) = browser.get(&callback, &login).await;
    assert_eq!(status, StatusCode::FOUND, "{headers:?}");
    assert_eq!(location(&headers), "/private?x=1");
    let session = set_cookie(&headers);
    assert_eq!(*tokens.lock().unwrap(), 1);

    let (status, _, body) = browser.get("/private?x=1", &session).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "hello alice@example.test")
    );

    // A session cookie the edge did not sign is no session.
    let (name, value) = session.split_once('=').unwrap();
    let last = if value.ends_with('A') { 'B' } else { 'A' };
    let forged = format!("{name}={}{last}", &value[..value.len() - 1]);
    let (status, _, _) = browser.get("/", &forged).await;
    assert_eq!(status, StatusCode::FOUND);
}

/// Polls `browser` with `session` until it is sent to sign in (a 302), for at most 5 s.
async fn until_refused(browser: &Browser, session: &str) -> StatusCode {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, _, _) = browser.get("/", session).await;
        if status != StatusCode::OK || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_logout_at_one_edge_ends_the_session_on_every_edge() {
    let (setup, browser, _tokens, _policy) = oidc_route("").await;
    let other = setup.edge.peer("");
    let at_other = Browser {
        https: other.addr("https"),
        ..browser.clone()
    };
    let session = browser.sign_in().await;
    for edge in [&browser, &at_other] {
        let (status, _, body) = edge.get("/", &session).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "hello alice@example.test")
        );
    }

    // The logout clears the cookie and goes on to the provider's own logout.
    let (status, headers, _) = browser.get("/.tether/oidc/logout", &session).await;
    assert_eq!(status, StatusCode::FOUND);
    let expected = format!("{}/logout?client_id={CLIENT_ID}", browser.issuer);
    assert_eq!(location(&headers), expected);
    assert!(set_cookie(&headers).ends_with('='), "{headers:?}");

    // A copy of the cookie kept elsewhere opens nothing, here at once and at the other edge as
    // soon as the store's watch reaches it.
    let (status, _, _) = browser.get("/", &session).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(until_refused(&at_other, &session).await, StatusCode::FOUND);
    // A new sign-in works again.
    let again = browser.sign_in().await;
    assert_eq!(at_other.get("/", &again).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_changed_policy_ends_its_sessions_and_require_refuses_the_unlisted() {
    let (setup, browser, _tokens, policy) = oidc_route("").await;
    let session = browser.sign_in().await;
    assert_eq!(browser.get("/", &session).await.0, StatusCode::OK);

    // Alice is still admitted by the new policy, but her session was made under the old one.
    let alice_only = "    require:\n      emails: [Alice@Example.test]\n";
    setup.edge.set_policy(HOST, Some(&policy.yaml(alice_only)));
    assert_eq!(browser.get("/", &session).await.0, StatusCode::FOUND);
    let session = browser.sign_in().await;
    let (status, _, body) = browser.get("/", &session).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "hello alice@example.test")
    );

    // A policy that lists only others refuses alice at the callback: no session is made.
    let others = "    require:\n      email-domains: [example.org]\n      groups: [admins]\n";
    setup.edge.set_policy(HOST, Some(&policy.yaml(others)));
    let (callback, login) = browser.to_provider_and_back("/").await;
    let (status, headers, _) = browser.get(&callback, &login).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get(header::SET_COOKIE).is_none(), "{headers:?}");
}
