//! `connector access tcp`: TCP to a tunnel's service through the edge's HTTPS port, from a local
//! port or as ssh's ProxyCommand; access tokens for routes that require them, and revocation.

use std::process::Command;

use http::StatusCode;
use tests::client::access_connect;
use tests::process::binaries;
use tests::tcp::{abort, next_report, read_all, scenario_origin};
use tests::tunnel::{free_port, TestConnector, TestEdge, Tunnel};
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn access_tcp_carries_half_close_and_aborts() {
    let (origin, mut reports) = scenario_origin().await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("t");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - hostname: echo.example.test\n    service: tcp://{origin}\n  - service: http_status:404\n"),
    );
    let printed = edge.route_as("tcp", &tunnel, "echo.example.test", &[]);
    assert!(
        printed.contains("connector access tcp --hostname echo.example.test"),
        "{printed}"
    );
    let (_access, local) = edge.access("echo.example.test", &[]);

    let mut tcp = TcpStream::connect(local).await.unwrap();
    tcp.write_all(b"Ahello").await.unwrap();
    tcp.shutdown().await.unwrap();
    assert_eq!(read_all(&mut tcp).await.unwrap(), "got 5");

    let mut tcp = TcpStream::connect(local).await.unwrap();
    tcp.write_all(b"B").await.unwrap();
    assert_eq!(read_all(&mut tcp).await.unwrap(), "banner");
    tcp.write_all(b"late data").await.unwrap();
    tcp.shutdown().await.unwrap();
    assert_eq!(next_report(&mut reports).await, "B:late data");

    let mut tcp = TcpStream::connect(local).await.unwrap();
    tcp.write_all(b"C").await.unwrap();
    let mut ready = [0u8; 5];
    tcp.read_exact(&mut ready).await.unwrap();
    abort(tcp);
    assert_eq!(next_report(&mut reports).await, "C:reset");

    let mut tcp = TcpStream::connect(local).await.unwrap();
    tcp.write_all(b"D").await.unwrap();
    let err = read_all(&mut tcp).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
}

/// An edge whose tunnel serves `secure.example.test`, a TCP route that requires an access token,
/// from the scenario origin (whose reports come with it).
async fn secure_route() -> (
    TestEdge,
    Tunnel,
    TestConnector,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let (origin, reports) = scenario_origin().await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("t");
    let connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - hostname: secure.example.test\n    service: tcp://{origin}\n  - service: http_status:404\n"),
    );
    edge.route_as("tcp", &tunnel, "secure.example.test", &["--require-token"]);
    (edge, tunnel, connector, reports)
}

#[tokio::test]
async fn tokens_gate_a_route_and_revoking_one_closes_its_streams() {
    let (edge, _tunnel, _connector, mut reports) = secure_route().await;

    // Without a token: refused, and the access client says why.
    let (without, local) = edge.access("secure.example.test", &[]);
    let mut tcp = TcpStream::connect(local).await.unwrap();
    assert!(read_all(&mut tcp)
        .await
        .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset));
    without.wait_for("secure.example.test requires an access token", READY);

    // A wrong token: the session is refused at once.
    let (wrong, local) = edge.access(
        "secure.example.test",
        &["--token", "tta_00000000000000000000000000000000.bad"],
    );
    let mut tcp = TcpStream::connect(local).await.unwrap();
    assert!(read_all(&mut tcp).await.is_err());
    wrong.wait_for("401 Unauthorized the access token is not valid", READY);

    // A valid token: carried (once this edge has loaded it from the store).
    let from = edge.proc.log_len();
    let created = edge.cli_ok(&["token", "create", "ci"]);
    edge.proc
        .wait_for_from(from, "access token added.*name=\"?ci", READY);
    let token = created
        .lines()
        .find(|l| l.starts_with("tta_"))
        .expect("token printed")
        .to_string();
    let listed = edge.cli_ok(&["token", "list"]);
    assert!(
        listed.contains("ci") && !listed.contains(&token),
        "{listed}"
    );
    let (_with, local) = edge.access("secure.example.test", &["--token", &token]);
    let mut held = TcpStream::connect(local).await.unwrap();
    held.write_all(b"C").await.unwrap();
    let mut ready = [0u8; 5];
    held.read_exact(&mut ready).await.unwrap();
    assert_eq!(&ready, b"ready");

    // Revoked: the open stream is closed at both ends (the origin's connection is aborted, not
    // left open), and new connections are refused.
    edge.cli_ok(&["token", "revoke", "ci"]);
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(READY, held.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "the revoked token's stream stayed open");
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(next_report(&mut reports).await, "C:reset");
    let mut tcp = TcpStream::connect(local).await.unwrap();
    assert!(read_all(&mut tcp).await.is_err());
}

/// Makes `edge token create NAME MORE…` and waits until the edge has it; returns the token.
fn token(edge: &TestEdge, name: &str, more: &[&str]) -> String {
    let from = edge.proc.log_len();
    let created = edge.cli_ok(&[&["token", "create", name], more].concat());
    edge.proc
        .wait_for_from(from, &format!("access token added.*name=\"?{name}"), READY);
    created
        .lines()
        .find(|l| l.starts_with("tta_"))
        .expect("token printed")
        .to_string()
}

/// What `connector access tcp` with `more` arguments logs once a connection through it fails.
async fn refusal(edge: &TestEdge, more: &[&str], expected: &str) {
    let (access, local) = edge.access("secure.example.test", more);
    let mut tcp = TcpStream::connect(local).await.unwrap();
    assert!(read_all(&mut tcp).await.is_err());
    access.wait_for(expected, READY);
}

#[tokio::test]
async fn a_token_opens_only_its_routes_until_it_expires_and_a_requirement_is_never_dropped() {
    let (edge, tunnel, _connector, _reports) = secure_route().await;
    // Scoped to another route: refused here, and it says so.
    let elsewhere = token(&edge, "elsewhere", &["--hostname", "other.example.test"]);
    refusal(
        &edge,
        &["--token", &elsewhere],
        "is not valid for this route",
    )
    .await;
    // Scoped to this route: carried.
    let here = token(
        &edge,
        "here",
        &["--hostname", "secure.example.test", "--ttl", "1h"],
    );
    let (_with, local) = edge.access("secure.example.test", &["--token", &here]);
    let mut held = TcpStream::connect(local).await.unwrap();
    held.write_all(b"C").await.unwrap();
    let mut ready = [0u8; 5];
    held.read_exact(&mut ready).await.unwrap();
    assert_eq!(&ready, b"ready");
    let listed = edge.cli_ok(&["token", "list"]);
    assert!(listed.contains("opens secure.example.test"), "{listed}");
    // Expired: refused like any invalid token.
    let brief = token(&edge, "brief", &["--ttl", "1s"]);
    // Waiting for the token's own expiry, not for anything to get ready.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    refusal(&edge, &["--token", &brief], "the access token is not valid").await;
    // `route dns` on the token route would have made it public: refused, saying why.
    let out = edge.cli(&[
        "tunnel",
        "route",
        "dns",
        &tunnel.name,
        "secure.example.test",
    ]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("would drop that requirement"), "{said}");
    refusal(&edge, &[], "requires an access token").await;
}

/// `CONNECT x@secure.example.test` once missed the exact route that requires a token, matched a
/// tokenless wildcard route, and reached the origin (the connector routes on the bare host).
#[tokio::test]
async fn an_authority_with_userinfo_is_refused_on_every_path() {
    let (edge, tunnel, _connector, _reports) = secure_route().await;
    edge.route(&tunnel, "*.example.test");
    let (https, ca) = (edge.addr("https"), edge.ca_pem());

    let plain = access_connect(https, &ca, "secure.example.test", "secure.example.test:22").await;
    assert_eq!(plain.0, StatusCode::FORBIDDEN, "{plain:?}");
    assert!(plain.1.contains("requires an access token"), "{plain:?}");
    for authority in ["x@secure.example.test:22", "@secure.example.test:22"] {
        let (status, reason) = access_connect(https, &ca, "secure.example.test", authority).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{authority}: {reason}");
        assert!(reason.contains("without user@"), "{authority}: {reason}");
    }

    let (status, _, body) =
        tests::client::get_plain(edge.addr("http"), "x@secure.example.test", "/").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("user information"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_through_access_tcp_as_proxy_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    for (key, kind) in [("host_key", "ed25519"), ("id", "ed25519")] {
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-f", &path(key)])
            .output()
            .expect("ssh-keygen (apt-get install openssh-client)");
        assert!(out.status.success(), "{out:?}");
    }
    std::fs::copy(path("id.pub"), path("authorized_keys")).unwrap();
    let port = free_port();
    std::fs::write(
        path("sshd_config"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\n\
             StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\n",
            path("host_key"),
            path("authorized_keys"),
            path("sshd.pid")
        ),
    )
    .unwrap();
    // sshd insists on its privilege separation directory.
    let _ = std::fs::create_dir_all("/run/sshd");
    let mut sshd = Command::new("/usr/sbin/sshd");
    sshd.args(["-D", "-e", "-f", &path("sshd_config")]);
    let sshd = tests::process::Proc::spawn("sshd", sshd);
    sshd.wait_for(&format!("Server listening on 127.0.0.1 port {port}"), READY);

    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("t");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - hostname: ssh.example.test\n    service: ssh://127.0.0.1:{port}\n  - service: http_status:404\n"),
    );
    edge.route_as("tcp", &tunnel, "ssh.example.test", &[]);
    let proxy = format!(
        "ProxyCommand={} access tcp --hostname %h --edge {} --ca {}",
        binaries().connector.display(),
        edge.addr("https"),
        edge.ca_pem().display()
    );
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let identity = path("id");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("ssh")
            .args(["-i", &identity, "-o", &proxy])
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
            ])
            .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=20"])
            .arg(format!("{user}@ssh.example.test"))
            .arg("echo hello from $(hostname) over ssh through tether")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("over ssh through tether"),
        "ssh failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A route's client-ip-rules hold for access streams, and its policy too: the access client
/// presents the credentials with `--header`, on every stream.
#[tokio::test]
async fn access_streams_obey_client_ip_rules_and_present_a_policys_credentials() {
    let (origin, _reports) = scenario_origin().await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("t");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - hostname: db.example.test\n    service: tcp://{origin}\n  - service: http_status:404\n"),
    );
    edge.route_as("tcp", &tunnel, "db.example.test", &[]);
    edge.set_policy(
        "db.example.test",
        Some("client-ip-rules:\n  - deny: [127.0.0.1]\n"),
    );
    let (denied, local) = edge.access("db.example.test", &[]);
    let mut tcp = TcpStream::connect(local).await.unwrap();
    assert!(read_all(&mut tcp).await.is_err());
    denied.wait_for(
        "client-ip-rules: the client's address is not allowed",
        READY,
    );

    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"s3cret"));
    edge.set_policy(
        "db.example.test",
        Some(&format!("policy:\n  bearer: [{hash}]\n")),
    );
    let (refused, local) = edge.access("db.example.test", &[]);
    let mut tcp = TcpStream::connect(local).await.unwrap();
    assert!(read_all(&mut tcp).await.is_err());
    refused.wait_for("pass its bearer credentials with --header", READY);

    let (_allowed, local) = edge.access(
        "db.example.test",
        &["--header", "Authorization: Bearer s3cret"],
    );
    let mut tcp = TcpStream::connect(local).await.unwrap();
    tcp.write_all(b"Ahello").await.unwrap();
    tcp.shutdown().await.unwrap();
    assert_eq!(read_all(&mut tcp).await.unwrap(), "got 5");
}
