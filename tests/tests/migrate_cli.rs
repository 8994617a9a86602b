//! What a cloudflared user types, run against Tether: `tunnel run [NAME]`, the global flags and
//! TUNNEL_* variables, `tunnel ingress`, `tunnel ready` for container health checks,
//! `service install`, /healthcheck and the cloudflared metric names, and Cloudflare's client
//! headers read by nginx's `real_ip_header CF-Connecting-IP`.

use std::path::Path;
use std::process::{Command, Output};

use tests::process::{binaries, Proc};
use tests::tunnel::{free_port, TestEdge, Tunnel};
use tests::READY;

fn connector(args: &[&str]) -> Command {
    let mut command = Command::new(&binaries().connector);
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    command
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "curl {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tunnel.yml for `tunnel` (by name, as cloudflared files often say) serving hello_world.
fn tunnel_yml(dir: &Path, tunnel: &Tunnel, more: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{}.yml", tunnel.name));
    std::fs::write(
        &path,
        format!(
            "tunnel: {}\ncredentials-file: {}\n{more}ingress:\n  - service: hello-world\n",
            tunnel.name,
            tunnel.credentials.display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn cloudflared_command_lines_run_and_tunnel_ready_follows_a_stopped_edge() {
    let mut edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("web");
    edge.route(&tunnel, "web.example.test");
    let dir = tempfile::tempdir().unwrap();
    let config = tunnel_yml(dir.path(), &tunnel, "ha-connections: 1\n");
    let metrics = format!("127.0.0.1:{}", free_port());
    let log = dir.path().join("connector.log");

    // A NAME the credentials are not for runs the credentials' tunnel, with a warning, as
    // cloudflared takes the tunnel from its credentials file.
    let from = edge.proc.log_len();
    let mut command = connector(&[
        "tunnel",
        "--config",
        config.to_str().unwrap(),
        "run",
        "other",
    ]);
    command.env("TUNNEL_METRICS", &metrics);
    let other = Proc::spawn("connector", command);
    other.wait_for(
        &format!(
            "tunnel `other` \\(from the command line\\) is not the one in the credentials file; running tunnel {} `web`",
            tunnel.id
        ),
        READY,
    );
    edge.wait_session(from, &tunnel);
    drop(other);

    let from = edge.proc.log_len();
    let mut command = connector(&[
        "--loglevel",
        "debug",
        "--logfile",
        log.to_str().unwrap(),
        "--no-autoupdate",
        "--protocol",
        "quic",
        "--edge-ip-version",
        "4",
        "--region",
        "us",
        "tunnel",
        "--config",
        config.to_str().unwrap(),
        "run",
        "web",
    ]);
    command
        .env("TUNNEL_METRICS", &metrics)
        .env_remove("RUST_LOG");
    let proc = Proc::spawn("connector", command);
    edge.wait_session(from, &tunnel);
    for flag in ["--protocol", "--edge-ip-version", "--region"] {
        proc.wait_for(
            &format!("{flag} is a cloudflared flag that Tether does not use"),
            READY,
        );
    }

    let https = edge.addr("https");
    let url = format!("https://web.example.test:{}/", https.port());
    let resolve = format!("web.example.test:{}:127.0.0.1", https.port());
    let ca = edge.ca_pem();
    let page = curl(&[
        "--cacert",
        ca.to_str().unwrap(),
        "--resolve",
        &resolve,
        &url,
    ]);
    assert!(page.starts_with("Hello from Tether!"), "{page}");

    assert_eq!(curl(&[&format!("http://{metrics}/healthcheck")]), "OK\n");
    let scraped = curl(&[&format!("http://{metrics}/metrics")]);
    for line in [
        "cloudflared_tunnel_total_requests 1\n",
        "cloudflared_tunnel_request_errors 0\n",
        "cloudflared_tunnel_ha_connections 1\n",
        "cloudflared_tunnel_response_by_code{status_code=\"200\"} 1\n",
    ] {
        assert!(scraped.contains(line), "{line} in {scraped}");
    }
    // Its stream may not have been counted out yet: the name is what dashboards need.
    assert!(
        scraped
            .lines()
            .any(|l| l.starts_with("cloudflared_tunnel_concurrent_requests_per_tunnel ")),
        "{scraped}"
    );
    let location = format!(
        "cloudflared_tunnel_server_locations{{connection_id=\"0\",edge_location=\"{}\"}} 1\n",
        edge.addr("tunnel")
    );
    assert!(scraped.contains(&location), "{location} in {scraped}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("DEBUG") && logged.contains("starting tunnel"),
        "{logged}"
    );

    // The container health check: 0 while a session is up, then not once the edge is gone.
    let ready = || {
        connector(&["tunnel", "ready"])
            .env("TUNNEL_METRICS", &metrics)
            .output()
            .unwrap()
    };
    let out = ready();
    assert!(out.status.success(), "{}", text(&out));
    let lost = proc.log_len();
    edge.proc.kill();
    proc.wait_for_from(lost, "reconnecting after backoff", READY);
    let out = ready();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("/ready endpoint returned status code 503"),
        "{}",
        text(&out)
    );
    // Nothing listens: also a failure, not a hang.
    let out = connector(&[
        "tunnel",
        "--metrics",
        &format!("127.0.0.1:{}", free_port()),
        "ready",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn tunnel_ingress_aliases_and_log_levels() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config-examples");
    let tunnel = examples.join("tunnel.yml");
    let out = connector(&[
        "tunnel",
        "--config",
        tunnel.to_str().unwrap(),
        "ingress",
        "rule",
        "https://app.example.com/api/users",
    ])
    .output()
    .unwrap();
    assert!(text(&out).starts_with("Matched rule #1"), "{}", text(&out));

    let cloudflared = examples.join("cloudflared-config.yml");
    let validate = |level: Option<&str>| {
        let mut command = connector(&["tunnel", "ingress", "validate", "--config"]);
        command.arg(&cloudflared);
        if let Some(level) = level {
            command.env("TUNNEL_LOGLEVEL", level);
        }
        command.output().unwrap()
    };
    let warning = "`protocol` is a cloudflared setting that Tether does not use";
    let out = validate(None);
    assert!(
        out.status.success() && text(&out).contains(warning),
        "{}",
        text(&out)
    );
    let out = validate(Some("error"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains(warning),
        "TUNNEL_LOGLEVEL=error: {}",
        text(&out)
    );
    let out = validate(Some("loud"));
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(text(&out).contains("not a log level"), "{}", text(&out));
}

/// `systemd-analyze verify` passes `unit` with nothing to say about it.
fn verify(unit: &Path) {
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(unit)
        .output()
        .expect("systemd-analyze (Debian's systemd package)");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        !said.contains(unit.to_str().unwrap()),
        "warnings about the unit: {said}"
    );
}

#[test]
fn service_install_writes_units_systemd_accepts_and_they_run() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("svc");
    // Not under /tmp: the unit has a private /tmp, and install refuses files there. The build's
    // own scratch directory, unless the checkout itself is under /tmp; then $HOME.
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let base = [env!("CARGO_TARGET_TMPDIR"), home.as_str()]
        .into_iter()
        .find(|d| !d.starts_with("/tmp") && !d.starts_with("/var/tmp"))
        .expect("a directory outside /tmp");
    let dir = tempfile::tempdir_in(base).unwrap();
    let credentials = dir.path().join("svc.json");
    std::fs::copy(&tunnel.credentials, &credentials).unwrap();
    let tunnel = Tunnel {
        credentials,
        ..tunnel
    };
    let config = tunnel_yml(dir.path(), &tunnel, "");
    let in_tmp = tempfile::tempdir_in("/tmp").unwrap();
    let out = connector(&["service", "install", "--no-enable", "--unit-dir"])
        .arg(in_tmp.path())
        .arg("--config")
        .arg(tunnel_yml(in_tmp.path(), &tunnel, ""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("PrivateTmp=yes"), "{}", text(&out));
    assert!(!in_tmp.path().join("tether-connector.service").exists());
    let units = dir.path().join("units");
    let install = |args: &[&str]| {
        let mut command = connector(&["service", "install"]);
        command
            .args(args)
            .arg("--unit-dir")
            .arg(&units)
            .arg("--token-file")
            .arg(dir.path().join("etc/token"))
            .arg("--no-enable");
        command.output().unwrap()
    };
    let out = install(&["--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let unit = units.join("tether-connector.service");
    let written = std::fs::read_to_string(&unit).unwrap();
    assert!(
        written.contains(&format!("--config {} tunnel run\n", config.display())),
        "{written}"
    );
    verify(&unit);
    let out = install(&["--config", config.to_str().unwrap()]);
    assert!(text(&out).contains("already exists"), "{}", text(&out));

    let out = connector(&["service", "uninstall", "--no-enable", "--unit-dir"])
        .arg(&units)
        .arg("--token-file")
        .arg(dir.path().join("etc/token"))
        .output()
        .unwrap();
    assert!(out.status.success() && !unit.exists(), "{}", text(&out));

    // With a run token: kept in a file of its own, mode 0600, never in the unit.
    let token = connector(&["token", "--credentials-file"])
        .arg(&tunnel.credentials)
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    let out = install(&[&token, "--url", "http://localhost:8080"]);
    assert!(out.status.success(), "{}", text(&out));
    let written = std::fs::read_to_string(&unit).unwrap();
    assert!(!written.contains(&token), "{written}");
    let token_file = dir.path().join("etc/token");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&token_file).unwrap().trim(), token);
    verify(&unit);

    // The unit's own command line runs the tunnel.
    let exec = written
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let words: Vec<&str> = exec.split(' ').collect();
    let mut command = Command::new(words[0]);
    command.args(&words[1..]).args(["--metrics", "127.0.0.1:0"]);
    let from = edge.proc.log_len();
    let _running = Proc::spawn("connector", command);
    edge.wait_session(from, &tunnel);
}

#[test]
fn nginx_real_ip_header_logs_the_real_client() {
    let edge = TestEdge::start("compat-headers: cloudflare\n");
    let tunnel = edge.create_tunnel("real");
    edge.route(&tunnel, "real.example.test");
    let nginx = tempfile::tempdir().unwrap();
    let d = nginx.path().display();
    let port = free_port();
    std::fs::write(
        nginx.path().join("nginx.conf"),
        format!(
            r#"worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  log_format realip '$remote_addr cf=$http_cf_connecting_ip visitor=$http_cf_visitor';
  access_log {d}/access.log realip;
  server {{
    listen 127.0.0.1:{port};
    set_real_ip_from 127.0.0.1;
    real_ip_header CF-Connecting-IP;
    location / {{ return 200 "hello from nginx\n"; }}
  }}
}}
"#
        ),
    )
    .unwrap();
    let mut command = Command::new("nginx");
    command
        .arg("-c")
        .arg(nginx.path().join("nginx.conf"))
        .arg("-p")
        .arg(nginx.path());
    let server = Proc::spawn("nginx", command);
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - service: http://127.0.0.1:{port}\n"),
    );
    let https = edge.addr("https");
    let resolve = format!("real.example.test:{}:127.0.0.1", https.port());
    let url = format!("https://real.example.test:{}/", https.port());
    let ca = edge.ca_pem();
    // nginx logs nothing when it is up: wait until it listens.
    let deadline = std::time::Instant::now() + READY;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nginx does not listen"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let page = curl(&[
        "--interface",
        "127.0.0.2",
        "--cacert",
        ca.to_str().unwrap(),
        "--resolve",
        &resolve,
        "-H",
        "CF-Connecting-IP: 6.6.6.6",
        &url,
    ]);
    assert_eq!(page, "hello from nginx\n");
    let log = std::fs::read_to_string(nginx.path().join("access.log")).unwrap();
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("127.0.0.2 cf=127.0.0.2 visitor={\\x22scheme\\x22:\\x22https\\x22}"),
        "the client's address, not the connector's nor the forged header: {log}"
    );
    drop(server_stop(server));
}

/// SIGTERM, so the master stops its workers (a killed master leaves them running).
fn server_stop(mut server: Proc) -> Proc {
    server.signal("TERM");
    server.wait_exit(READY);
    server
}

#[test]
fn the_docker_compose_token_set_up_runs_with_its_health_check() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("compose");
    edge.route(&tunnel, "compose.example.test");
    let dir = tempfile::tempdir().unwrap();
    let token = connector(&["token", "--credentials-file"])
        .arg(&tunnel.credentials)
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    let compose = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../config-examples/cloudflared/docker-compose.yml"),
    )
    .unwrap();
    let compose: yaml_serde::Value = yaml_serde::from_str(&compose).unwrap();
    let service = &compose["services"]["tunnel"];
    // The service's command, with the origin on this machine instead of the `app` container.
    let command_line = service["command"].as_str().unwrap();
    let args: Vec<&str> = command_line.split(' ').collect();
    assert_eq!(&args[..4], ["tunnel", "--no-autoupdate", "run", "--url"]);
    let metrics = format!("127.0.0.1:{}", free_port());
    let environment: Vec<(String, String)> = service["environment"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| {
            let (k, v) = e.as_str().unwrap().split_once('=').unwrap();
            let v = match k {
                "TUNNEL_TOKEN" => token.clone(),
                // Inside a container 0.0.0.0; here the loopback, on a free port.
                "TUNNEL_METRICS" => metrics.clone(),
                _ => v.to_string(),
            };
            (k.to_string(), v)
        })
        .collect();
    let mut command = connector(&args[..4]);
    command.arg("hello_world").envs(environment.clone());
    command.env("TUNNEL_LOGDIRECTORY", dir.path());
    let from = edge.proc.log_len();
    let _tunnel = Proc::spawn("connector", command);
    edge.wait_session(from, &tunnel);

    // The health check exactly as compose runs it (the binary on PATH is ours).
    let test = service["healthcheck"]["test"].as_sequence().unwrap();
    let check: Vec<&str> = test.iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(check[..2], ["CMD", "connector"]);
    let out = connector(&check[2..]).envs(environment).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let logged = std::fs::read_to_string(dir.path().join("connector.log")).unwrap();
    assert!(logged.contains("starting tunnel"), "{logged}");

    // `connector tunnel` with no command runs too, here with the token in a file; and the run
    // flags may stand before `run`, with cloudflared's NO_AUTOUPDATE=1 (and an empty
    // TUNNEL_METRICS, as compose files leave it: unset).
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let mut command = connector(&["tunnel", "--url", "hello_world", "--metrics", "127.0.0.1:0"]);
    command.env("TUNNEL_TOKEN_FILE", &token_file);
    let from = edge.proc.log_len();
    let _bare = Proc::spawn("connector", command);
    edge.wait_session(from, &tunnel);
    let mut command = connector(&["tunnel", "--token-file"]);
    command
        .arg(&token_file)
        .args(["--url", "localhost:9", "run"])
        .env("NO_AUTOUPDATE", "1")
        .env("TUNNEL_METRICS", "");
    let from = edge.proc.log_len();
    let before = Proc::spawn("connector", command);
    edge.wait_session(from, &tunnel);
    // `localhost:9` is cloudflared's scheme-less form of http://localhost:9.
    before.wait_for("starting tunnel", READY);
}

#[test]
fn a_chosen_id_in_use_is_refused_and_the_name_stays_free() {
    let edge = TestEdge::start("");
    let id = "0b8d3ac4-35c1-4e57-9a9d-3b4de3b0a1c1";
    let first = edge.create_tunnel_with("first", &["--id", id]);
    assert_eq!(first.id, id);
    let out = edge.cli(&["tunnel", "create", "second", "--id", id]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(&format!("a tunnel with id {id} already exists")),
        "{said}"
    );
    // The name was not taken by the failed create, and `first` is untouched.
    let second = edge.create_tunnel("second");
    assert_ne!(second.id, id);
    let listed = edge.cli_ok(&["tunnel", "list"]);
    assert!(
        listed.contains("first") && listed.contains("second"),
        "{listed}"
    );
}
