//! `policy: { jwt }` against an issuer the test runs: its JWKS over HTTPS (a CA of the test's
//! own, given as `ca-file`), Ed25519 keys. Valid, expired, wrong audience, wrong key, `alg:
//! none`, no token, the cookie, and a key rotation at the issuer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::StatusCode;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use rcgen::{KeyPair, PKCS_ED25519};
use tests::client::request_from;
use tests::origin::{loopback_certificate, ok, serve, serve_tls};
use tests::tunnel::TestEdge;

const HOST: &str = "app.example.test";
const ISSUER: &str = "https://id.example.test";

struct SigningKey {
    kid: String,
    key: EncodingKey,
    jwk: serde_json::Value,
}

fn signing_key(kid: &str) -> SigningKey {
    let pair = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    SigningKey {
        kid: kid.into(),
        key: EncodingKey::from_ed_der(&pair.serialize_der()),
        jwk: serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(pair.public_key_raw()),
        }),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(key: &SigningKey, aud: &str, exp: u64) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    let claims = serde_json::json!({
        "iss": ISSUER, "aud": aud, "exp": exp, "sub": "u-1", "email": "ann@example.test",
        "email_verified": true,
    });
    encode(&header, &claims, &key.key).unwrap()
}

/// The issuer's JWKS endpoint over HTTPS; returns its URL, its CA (PEM) and the served keys.
async fn issuer(
    keys: Vec<serde_json::Value>,
) -> (String, String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let (ca_pem, leaf_pem, leaf_key) = loopback_certificate();
    let served = Arc::new(Mutex::new(keys));
    let jwks = served.clone();
    let addr = serve_tls(&leaf_pem, &leaf_key, move |_req| {
        let body = serde_json::json!({ "keys": *jwks.lock().unwrap() }).to_string();
        async move { ok(body) }
    })
    .await;
    (format!("https://{addr}/jwks"), ca_pem, served)
}

#[tokio::test]
async fn jwt_checks_issuer_keys_audience_and_expiry_and_follows_a_rotation() {
    let k1 = signing_key("k1");
    let (url, ca_pem, served) = issuer(vec![k1.jwk.clone()]).await;
    let origin = serve(|req| async move {
        let who = req
            .headers()
            .get("tether-identity")
            .map(|v| v.to_str().unwrap().to_string());
        ok(format!("identity={}", who.unwrap_or_default()))
    })
    .await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("t");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    edge.route(&tunnel, HOST);
    std::fs::write(edge.dir.path().join("idp-ca.pem"), ca_pem).unwrap();
    edge.set_policy(
        HOST,
        // Plain HTTP on purpose: the token checks are under test (`allow-cleartext`).
        Some(&format!("allow-cleartext: true\npolicy:\n  jwt:\n    issuer: {ISSUER}\n    audience: app\n    jwks-url: {url}\n    ca-file: idp-ca.pem\n")),
    );
    let get = |headers: Vec<(&'static str, String)>| {
        let addr = edge.addr("http");
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            request_from("127.0.0.1".parse().unwrap(), addr, HOST, &headers).await
        }
    };
    let bearer = |t: &str| vec![("authorization", format!("Bearer {t}"))];

    let (status, _, body) = get(bearer(&token(&k1, "app", now() + 300))).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "identity=ann@example.test")
    );
    let cookie = vec![(
        "cookie",
        format!(
            "a=b; TETHER_AUTHORIZATION={}",
            token(&k1, "app", now() + 300)
        ),
    )];
    assert_eq!(get(cookie).await.0, StatusCode::OK);
    assert_eq!(get(vec![]).await.0, StatusCode::UNAUTHORIZED);

    let refused = [
        ("expired", token(&k1, "app", now() - 600), "has expired"),
        (
            "wrong audience",
            token(&k1, "other", now() + 300),
            "another audience",
        ),
        (
            "wrong key",
            token(
                &SigningKey {
                    kid: "k1".into(),
                    ..signing_key("x")
                },
                "app",
                now() + 300,
            ),
            "does not verify",
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
                URL_SAFE_NO_PAD.encode(format!(
                    r#"{{"iss":"{ISSUER}","aud":"app","exp":{}}}"#,
                    now() + 300
                ))
            ),
            "not a signed JWT",
        ),
    ];
    for (case, t, reason) in refused {
        let (status, _, page) = get(bearer(&t)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{case}: {page}");
        edge.proc.wait_for(
            &format!("status=403.*reason=\"?jwt: [^\\n]*{reason}"),
            tests::READY,
        );
    }

    // The issuer rotates to k2: a token signed by it names a key the edge has not seen, and the
    // edge fetches the JWKS again (at most every 2 s) rather than refusing it for good.
    let k2 = signing_key("k2");
    served.lock().unwrap().push(k2.jwk.clone());
    let t2 = token(&k2, "app", now() + 300);
    let started = Instant::now();
    loop {
        let status = get(bearer(&t2)).await.0;
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the rotated key was never fetched"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("rotated key accepted after {:?}", started.elapsed());

    // `require:` narrows who of the issuer's users may pass.
    let policy = |require: &str| {
        format!("allow-cleartext: true\npolicy:\n  jwt:\n    issuer: {ISSUER}\n    audience: app\n    jwks-url: {url}\n    ca-file: idp-ca.pem\n    require:\n      {require}\n")
    };
    edge.set_policy(HOST, Some(&policy("email-domains: [example.test]")));
    assert_eq!(get(bearer(&t2)).await.0, StatusCode::OK);
    edge.set_policy(HOST, Some(&policy("emails: [bob@example.test]")));
    let (status, _, page) = get(bearer(&t2)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    edge.proc.wait_for(
        "status=403.*reason=\"?jwt: the verified email is not one the route requires",
        tests::READY,
    );
}
