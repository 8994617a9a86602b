//! Per-route rules at the edge (`edge tunnel route policy`): client-ip-rules, request rates,
//! and the basic and bearer policies, with the verified identity passed to the origin in a
//! header no client can set. Other clients are 127.0.0.2 and up.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use base64::Engine;
use http::StatusCode;
use sha2::{Digest, Sha256};
use tests::client::request_from;
use tests::origin::{ok, serve};
use tests::tunnel::TestEdge;

const HOST: &str = "app.example.test";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An edge (with metrics) whose tunnel serves HOST from an origin that answers with the
/// identity header it was given.
async fn app() -> (TestEdge, tests::tunnel::TestConnector) {
    let origin = serve(|req| async move {
        let who = req
            .headers()
            .get("tether-identity")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_else(|| "-".into());
        ok(format!("identity={who}"))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let edge = TestEdge::start_with(dir, "  metrics: 127.0.0.1:0\n", "", "127.0.0.1:0");
    let tunnel = edge.create_tunnel("t");
    let connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    edge.route(&tunnel, HOST);
    (edge, connector)
}

async fn get(
    edge: &TestEdge,
    from: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, http::HeaderMap, String) {
    request_from(ip(from), edge.addr("http"), HOST, headers).await
}

/// `/metrics` of the edge.
async fn metrics(edge: &TestEdge) -> String {
    let addr: SocketAddr = edge.addr("metrics");
    tests::client::get_plain(addr, "metrics", "/metrics")
        .await
        .2
}

fn metric(text: &str, line_start: &str) -> u64 {
    tests::client::metric_value(text, line_start)
}

#[tokio::test]
async fn client_ip_rules_allow_and_deny_and_a_route_rate_gives_429_at_its_rate() {
    let (edge, _connector) = app().await;
    let printed = edge.set_policy(
        HOST,
        Some("client-ip-rules:\n  - deny: [127.0.0.2]\n  - allow: [127.0.0.0/8]\n  - deny: [0.0.0.0/0]\nlimits:\n  requests-per-second: 5\n  burst: 5\n"),
    );
    assert!(printed.contains("ip-rules:3"), "{printed}");

    // Denied by the first rule; allowed by the second.
    let (status, _, page) = get(&edge, "127.0.0.2", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("not allowed"), "{page}");
    edge.proc
        .wait_for("status=403.*reason=\"?client-ip-rules", tests::READY);
    let (status, _, body) = get(&edge, "127.0.0.9", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "identity=-", "no policy, no identity");

    // 5 at once, then 5 a second: what passes is the burst plus the rate times the time taken.
    let started = Instant::now();
    let (mut passed, mut limited) = (0u32, 0u32);
    for _ in 0..60 {
        let (status, headers, _) = get(&edge, "127.0.0.3", &[]).await;
        match status {
            StatusCode::OK => passed += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
                assert!((1..=2).contains(&wait), "Retry-After {wait}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    let took = started.elapsed().as_secs_f64();
    let allowed = 5.0 + 5.0 * took;
    println!("{passed} passed, {limited} limited in {took:.2}s (the rate allows {allowed:.1})");
    assert!(passed >= 5, "the burst passes: {passed}");
    assert!(
        f64::from(passed) <= allowed + 1.0,
        "{passed} passed, the rate allows {allowed:.1}"
    );
    assert_eq!(passed + limited, 60);
    // Another address has its own budget.
    assert_eq!(get(&edge, "127.0.0.4", &[]).await.0, StatusCode::OK);
    let counted = metric(
        &metrics(&edge).await,
        "tether_edge_limited_total{limit=\"request_rate\"}",
    );
    assert_eq!(counted, u64::from(limited));

    // Cleared: open to all again.
    edge.set_policy(HOST, None);
    assert_eq!(get(&edge, "127.0.0.2", &[]).await.0, StatusCode::OK);
}

fn basic(user: &str, password: &str) -> String {
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {creds}")
}

#[tokio::test]
async fn basic_passes_the_user_to_the_origin_refuses_wrong_passwords_and_slows_guessing() {
    let (edge, _connector) = app().await;
    let htpasswd = format!(
        "# made by htpasswd -B\nalice:{}\nbob:{}\n",
        bcrypt::hash("correct horse", 4).unwrap(),
        bcrypt::hash("battery staple", 4).unwrap()
    );
    std::fs::write(edge.dir.path().join("users.htpasswd"), htpasswd).unwrap();
    edge.set_policy(
        HOST,
        // Plain HTTP on purpose: the policy's own checks are under test (`allow-cleartext`).
        Some("allow-cleartext: true\npolicy:\n  basic:\n    realm: Staff\n    htpasswd-file: users.htpasswd\n"),
    );

    let (status, headers, _) = get(&edge, "127.0.0.1", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=\"Staff\""),
        "{headers:?}"
    );
    let right = basic("alice", "correct horse");
    // A client's own identity header is replaced by the verified one.
    let (status, _, body) = get(
        &edge,
        "127.0.0.1",
        &[("authorization", &right), ("tether-identity", "root")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "identity=alice");
    let (status, _, _) = get(
        &edge,
        "127.0.0.1",
        &[("authorization", &basic("bob", "battery staple"))],
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let wrong = basic("alice", "wrong");
    let (status, _, _) = get(&edge, "127.0.0.1", &[("authorization", &wrong)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    edge.proc.wait_for(
        "status=401.*reason=\"?basic: wrong user or password",
        tests::READY,
    );

    // Guessing from one address: after the failure budget (10), refused before any check.
    let mut codes = Vec::new();
    for _ in 0..12 {
        codes.push(
            get(&edge, "127.0.0.6", &[("authorization", &wrong)])
                .await
                .0,
        );
    }
    assert!(
        codes[..10].iter().all(|c| *c == StatusCode::UNAUTHORIZED),
        "{codes:?}"
    );
    assert_eq!(codes[11], StatusCode::TOO_MANY_REQUESTS, "{codes:?}");
    let right_from_guesser = get(&edge, "127.0.0.6", &[("authorization", &right)])
        .await
        .0;
    assert_eq!(
        right_from_guesser,
        StatusCode::TOO_MANY_REQUESTS,
        "the address waits its turn"
    );
    assert_eq!(
        get(&edge, "127.0.0.7", &[("authorization", &right)])
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bearer_accepts_a_listed_token_hash_and_nothing_else() {
    let (edge, _connector) = app().await;
    let hash = hex::encode(Sha256::digest(b"tok-123"));
    edge.set_policy(
        HOST,
        Some(&format!(
            "allow-cleartext: true\npolicy:\n  bearer:\n    - {hash}\n"
        )),
    );
    let (status, _, body) = get(&edge, "127.0.0.1", &[("authorization", "Bearer tok-123")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("identity=bearer:{}", &hash[..12]));
    let (status, headers, _) =
        get(&edge, "127.0.0.1", &[("authorization", "Bearer tok-124")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    assert_eq!(
        get(&edge, "127.0.0.1", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A plain token where a hash belongs is a config error naming the line and the fix.
    let file = edge.dir.path().join("bad.policy.yml");
    std::fs::write(&file, "policy:\n  bearer:\n    - tok-123\n").unwrap();
    let out = edge.cli(&[
        "tunnel",
        "route",
        "policy",
        HOST,
        "--file",
        file.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("bad.policy.yml:3") && err.contains("sha256sum"),
        "{err}"
    );
}

#[tokio::test]
async fn a_policy_route_sends_plain_http_to_https_unless_it_allows_cleartext() {
    let origin = serve(|_| async { ok("origin") }).await;
    let dir = tempfile::tempdir().unwrap();
    // 127.0.0.1 is a TLS-terminating balancer here; other clients are 127.0.0.2 and up.
    let edge = TestEdge::start_with(dir, "", "trusted-proxies: [127.0.0.1]\n", "127.0.0.1:0");
    let tunnel = edge.create_tunnel("t");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - service: http://{origin}\n"),
    );
    edge.route(&tunnel, HOST);
    let hash = hex::encode(Sha256::digest(b"tok-123"));
    edge.set_policy(HOST, Some(&format!("policy:\n  bearer:\n    - {hash}\n")));
    let https_port = edge.addr("https").port();

    // Credentials never cross in clear: 308 to the same URL over HTTPS, before any check.
    let bearer = ("authorization", "Bearer tok-123");
    let (status, headers, _) = get(&edge, "127.0.0.2", &[bearer]).await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        headers["location"],
        format!("https://{HOST}:{https_port}/").as_str()
    );
    // A trusted balancer that took the client's HTTPS is not sent round again.
    let (status, _, body) = get(
        &edge,
        "127.0.0.1",
        &[bearer, ("x-forwarded-proto", "https")],
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "origin"));
    // Anyone else's word for it counts for nothing.
    let (status, _, _) = get(
        &edge,
        "127.0.0.2",
        &[bearer, ("x-forwarded-proto", "https")],
    )
    .await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);

    // The route's owner may say cleartext is fine.
    edge.set_policy(
        HOST,
        Some(&format!(
            "allow-cleartext: true\npolicy:\n  bearer:\n    - {hash}\n"
        )),
    );
    let (status, _, body) = get(&edge, "127.0.0.2", &[bearer]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "origin"));
}
