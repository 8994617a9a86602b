//! `edge tunnel … --api URL --api-token T`: an operator with no edge.yml and no access to the
//! store runs the same commands through the admin API, and sees what the local CLI shows.

use std::process::{Command, Output};

use tests::admin::{curl_through, ADMIN, HELLO};
use tests::process::binaries;
use tests::tunnel::{TestEdge, Tunnel};
use tests::READY;

/// An operator's shell elsewhere: an empty directory (no edge.yml), the API in the environment.
struct Remote {
    dir: tempfile::TempDir,
    url: String,
    token: String,
}

impl Remote {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(&binaries().edge)
            .current_dir(self.dir.path())
            .args(args)
            .env("TETHER_API", &self.url)
            .env("TETHER_API_TOKEN", &self.token)
            .env("NO_COLOR", "1")
            .output()
            .expect("run edge")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "edge {args:?} --api: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The same command on the edge's store and through the API: exit status and output alike.
fn same(edge: &TestEdge, remote: &Remote, args: &[&str]) -> String {
    let local = edge.cli(args);
    let api = remote.run(args);
    assert_eq!(
        local.status.success(),
        api.status.success(),
        "{args:?}: {} / {}",
        text(&local.stderr),
        text(&api.stderr)
    );
    assert_eq!(text(&local.stdout), text(&api.stdout), "{args:?}");
    assert_eq!(text(&local.stderr), text(&api.stderr), "{args:?}");
    text(&api.stdout)
}

#[test]
fn the_cli_over_the_api_creates_routes_lists_and_deletes_as_it_does_on_the_store() {
    let edge = TestEdge::start(ADMIN);
    let token = edge.admin_token("ops", "write");
    let remote = Remote {
        dir: tempfile::tempdir().expect("tempdir"),
        url: edge.admin_url(),
        token,
    };
    assert!(!remote.dir.path().join("edge.yml").exists());

    // Create: the key is made here and only its public half is sent.
    let credentials = remote.dir.path().join("web.json");
    let printed = remote.ok(&[
        "tunnel",
        "create",
        "web",
        "--credentials-file",
        credentials.to_str().unwrap(),
    ]);
    assert!(
        printed.starts_with("Created tunnel web with id "),
        "{printed}"
    );
    let id = printed
        .split("with id ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    let file = std::fs::read_to_string(&credentials).expect("credentials written");
    assert!(file.contains("\"PrivateKey\""), "{file}");
    let listed = same(&edge, &remote, &["tunnel", "list"]);
    assert!(listed.contains(&id) && listed.contains("web"), "{listed}");

    // Route, through the API, and serve traffic with the credentials made remotely.
    let from = edge.proc.log_len();
    let routed = remote.ok(&["tunnel", "route", "dns", "web", "app.example.test"]);
    assert_eq!(
        routed.lines().next(),
        Some(format!("Routed app.example.test to tunnel web ({id})").as_str()),
        "{routed}"
    );
    edge.proc
        .wait_for_from(from, "route added.*hostname=app.example.test", READY);
    let tunnel = Tunnel {
        name: "web".into(),
        id: id.clone(),
        credentials,
    };
    let _connector = edge.connect(&tunnel, HELLO);
    let served = curl_through(&edge, "app.example.test");
    assert!(served.contains("Hello from Tether!"), "{served}");

    // Routing the same name elsewhere fails alike; so does an unknown tunnel.
    let _other = edge.create_tunnel("other");
    same(
        &edge,
        &remote,
        &["tunnel", "route", "dns", "other", "app.example.test"],
    );
    same(
        &edge,
        &remote,
        &["tunnel", "route", "dns", "nosuch", "x.example.test"],
    );
    same(
        &edge,
        &remote,
        &[
            "tunnel",
            "route",
            "tcp",
            "other",
            "*.example.test",
            "--port",
            "2222",
        ],
    );
    same(&edge, &remote, &["tunnel", "delete", "nosuch"]);

    // A policy file is read here, with the files it names, and only the result is sent.
    let policy = remote.dir.path().join("policy.yml");
    std::fs::write(&policy, "client-ip-rules:\n  - allow: [127.0.0.0/8]\n").unwrap();
    let set = remote.ok(&[
        "tunnel",
        "route",
        "policy",
        "app.example.test",
        "--file",
        policy.to_str().unwrap(),
    ]);
    assert!(
        set.contains("Set the policy of app.example.test: ip-rules:1"),
        "{set}"
    );
    let listed = same(&edge, &remote, &["tunnel", "list"]);
    assert!(listed.contains("app.example.test (ip-rules:1)"), "{listed}");
    remote.ok(&["tunnel", "route", "policy", "app.example.test", "--clear"]);

    // An enrollment made through the API works at a site.
    let printed = remote.ok(&["tunnel", "create", "site", "--enroll"]);
    let token = printed
        .lines()
        .find(|l| l.starts_with("tether-enroll."))
        .expect("a token");
    let site = tempfile::tempdir().unwrap();
    let out = Command::new(&binaries().connector)
        .args(["enroll", token, "--out"])
        .arg(site.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "enroll: {}", text(&out.stderr));
    same(&edge, &remote, &["tunnel", "list"]);

    // Delete the route, then the tunnel: both ways see the same.
    let deleted = remote.ok(&["tunnel", "route", "delete", "app.example.test"]);
    assert_eq!(
        deleted.trim(),
        format!("Deleted the route for app.example.test (tunnel {id})")
    );
    same(
        &edge,
        &remote,
        &["tunnel", "route", "delete", "app.example.test"],
    );
    let deleted = remote.ok(&["tunnel", "delete", "web"]);
    assert!(
        deleted.starts_with(&format!("Deleted tunnel web ({id})")),
        "{deleted}"
    );
    let listed = same(&edge, &remote, &["tunnel", "list"]);
    assert!(!listed.contains(&id), "{listed}");
}

#[test]
fn the_cli_over_the_api_needs_a_valid_token_and_says_so() {
    let edge = TestEdge::start(ADMIN);
    let read = edge.admin_token("viewer", "read");
    let mut remote = Remote {
        dir: tempfile::tempdir().expect("tempdir"),
        url: edge.admin_url(),
        token: read,
    };
    let listed = remote.ok(&["tunnel", "list"]);
    assert!(listed.starts_with("ID"), "{listed}");
    let refused = remote.run(&["tunnel", "create", "x"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("read-only"),
        "{}",
        text(&refused.stderr)
    );
    remote.token = "tadm_0123456789abcdef0123456789abcdef.wrong".into();
    let refused = remote.run(&["tunnel", "list"]);
    assert!(
        text(&refused.stderr).contains("unknown, revoked or expired"),
        "{}",
        text(&refused.stderr)
    );
    remote.url = "http://127.0.0.1:1".into();
    let refused = remote.run(&["tunnel", "list"]);
    assert!(
        text(&refused.stderr).contains("cannot reach the admin API at http://127.0.0.1:1"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn over_tls_the_cli_trusts_the_given_ca_and_the_cookie_is_host_only() {
    // `tls: edge`: the public listener's certificates; with the dev CA, the public hostname's.
    let edge = TestEdge::start(&format!("{ADMIN}  tls: edge\n"));
    let token = edge.admin_token("ops", "write");
    let url = format!("https://localhost:{}", edge.addr("admin").port());
    let ca = edge.ca_pem();
    let remote = Remote {
        dir: tempfile::tempdir().expect("tempdir"),
        url: url.clone(),
        token: token.clone(),
    };
    // Without the edge's CA the certificate is not trusted, and the CLI says so.
    let refused = remote.run(&["tunnel", "list"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("cannot reach the admin API"),
        "{}",
        text(&refused.stderr)
    );
    let listed = remote.ok(&["tunnel", "list", "--api-ca", ca.to_str().unwrap()]);
    assert!(listed.starts_with("ID"), "{listed}");
    // The dashboard's login cookie: __Host- prefixed and Secure.
    let out = Command::new("curl")
        .args(["-sS", "-D", "-", "-o", "/dev/null", "--cacert"])
        .arg(&ca)
        .args([
            "-H",
            &format!("Origin: {url}"),
            "-H",
            "Content-Type: application/json",
        ])
        .args(["--data-binary", &format!("{{\"token\": \"{token}\"}}")])
        .arg(format!("{url}/api/v1/login"))
        .output()
        .expect("run curl");
    let headers = text(&out.stdout);
    let cookie = headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie in {headers}"));
    assert!(
        cookie.contains("__Host-tether_admin=") && cookie.contains("Secure"),
        "{cookie}"
    );
    // Plain http:// to another machine is refused before anything is sent.
    let mut far = remote;
    far.url = "http://192.0.2.1:7070".into();
    let refused = far.run(&["tunnel", "list"]);
    assert!(
        text(&refused.stderr).contains("plain http:// only to a loopback address"),
        "{}",
        text(&refused.stderr)
    );
}

/// The token printed on a line of its own by `… create`.
fn secret(created: &str, prefix: &str) -> String {
    created
        .lines()
        .find(|l| l.starts_with(prefix) && !l.contains(' '))
        .unwrap_or_else(|| panic!("no {prefix} token in: {created}"))
        .to_string()
}

#[test]
fn tokens_admin_tokens_and_certificates_are_managed_over_the_api_as_on_the_store() {
    let edge = TestEdge::start(ADMIN);
    let remote = Remote {
        dir: tempfile::tempdir().expect("tempdir"),
        url: edge.admin_url(),
        token: edge.admin_token("ops", "write"),
    };
    // Access tokens: made, listed and revoked through the API; the store sees the same.
    let created = remote.ok(&["token", "create", "laptop", "--ttl", "30days"]);
    assert!(created.contains("Created access token laptop"), "{created}");
    let access = created.lines().last().unwrap_or_default();
    assert!(access.contains("--token"), "{created}");
    let listed = same(&edge, &remote, &["token", "list"]);
    assert!(
        listed.contains("laptop") && listed.contains("every token route"),
        "{listed}"
    );
    let revoked = remote.ok(&["token", "revoke", "laptop"]);
    assert!(revoked.contains("Revoked access token laptop"), "{revoked}");
    assert!(!same(&edge, &remote, &["token", "list"]).contains("laptop"));
    // Admin tokens: one made through the API works, and stops working once revoked there.
    let created = remote.ok(&["admin", "token", "create", "ci", "--role", "read"]);
    assert!(created.contains("Created read admin token ci"), "{created}");
    let ci = Remote {
        dir: tempfile::tempdir().expect("tempdir"),
        url: edge.admin_url(),
        token: secret(&created, "tadm_"),
    };
    assert!(ci.ok(&["tunnel", "list"]).starts_with("ID"));
    // Who holds the API's tokens is for writers only.
    let refused = ci.run(&["admin", "token", "list"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("read-only"),
        "{}",
        text(&refused.stderr)
    );
    let listed = same(&edge, &remote, &["admin", "token", "list"]);
    assert!(listed.contains("  ci  read  "), "{listed}");
    remote.ok(&["admin", "token", "revoke", "ci"]);
    // Every edge refuses it within a second (each follows the store's admin tokens).
    let started = std::time::Instant::now();
    loop {
        let refused = ci.run(&["tunnel", "list"]);
        if !refused.status.success() {
            let why = text(&refused.stderr);
            assert!(why.contains("unknown, revoked or expired"), "{why}");
            break;
        }
        assert!(started.elapsed() < READY, "the revoked token still works");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Certificates: without tls.acme there are none; only the store's CLI knows edge.yml's
    // settings to say why.
    let remote_certs = remote.ok(&["cert", "list"]);
    assert!(
        remote_certs.starts_with("No ACME certificates"),
        "{remote_certs}"
    );
    let local_certs = edge.cli_ok(&["cert", "list"]);
    assert!(
        local_certs.starts_with("tls.acme is not set in"),
        "{local_certs}"
    );
    assert!(local_certs.ends_with(&remote_certs), "{local_certs}");
}
