//! cloudflared files as they are found in the wild, which cloudflared runs: keys that mean nothing
//! where they stand, misspelt keys, `path: ""`, a `tunnel:` line the credentials are not for.
//! Each runs, with one warning per key, all in one pass; `ingress validate` opens no log file.

use std::process::Command;

use http::StatusCode;
use tests::cloudflared::{example, migrate, run, validate};
use tests::process::{binaries, Proc};
use tests::tunnel::TestEdge;
use tests::{origin, READY};

#[tokio::test(flavor = "multi_thread")]
async fn keys_cloudflared_ignores_are_warnings_and_the_file_runs() {
    let edge = TestEdge::start("");
    let (https, ca) = (edge.addr("https"), edge.ca_pem());
    let (nas, media) = (origin::named("nas").await, origin::named("media").await);
    let (tunnel, config) = migrate(
        &edge,
        "homelab-loose-keys.yml",
        &[
            ("localhost:5000", nas.to_string()),
            ("localhost:8096", media.to_string()),
        ],
    );
    edge.route(&tunnel, "nas.example.com");
    edge.route(&tunnel, "media.example.com");
    let file = config.display().to_string();

    // Validation reports every key at once, and it succeeds.
    let out = validate(&config);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings = [
        format!("{file}:5: `log-level` is not a tunnel.yml key; did you mean `loglevel`? it is ignored"),
        format!("{file}:6: `metrics-port` is not a tunnel.yml key"),
        format!("{file}:9:3: originRequest: `keepAliveTimout` is not a key here; did you mean `keepAliveTimeout`?"),
        format!("{file}:13:5: `disableChunkedEncoding` has no effect directly on an ingress rule (cloudflared ignores it there too); it is ignored"),
        format!("{file}:14:5: `noHappyEyeballs` has no effect directly on an ingress rule"),
        format!("{file}:20:7: ingress[1].originRequest: `http2origin` is not a key here; did you mean `http2Origin`?"),
    ];
    for warning in &warnings {
        assert!(
            stderr.contains(warning.as_str()),
            "{warning}\nin:\n{stderr}"
        );
    }
    assert_eq!(stderr.matches(" WARN ").count(), warnings.len(), "{stderr}");

    // It runs: the rule's stray keys change nothing, `path: ""` matches every path.
    let proc = run(&edge, &tunnel, &config);
    proc.wait_for(
        "`noHappyEyeballs` has no effect directly on an ingress rule",
        READY,
    );
    for (host, path, served) in [
        ("nas.example.com", "/", "nas"),
        ("media.example.com", "/web/index.html", "media"),
    ] {
        let (status, _, body) = tests::client::get(https, host, &ca, path).await;
        assert_eq!(status, StatusCode::OK, "{host}{path}");
        assert!(
            body.starts_with(&format!("origin {served}:")),
            "{host}{path}: {body}"
        );
    }
}

#[test]
fn a_tunnel_line_the_credentials_are_not_for_runs_their_tunnel_with_a_warning() {
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("web");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    let rules = "ingress:\n  - service: hello-world\n";
    std::fs::write(
        &config,
        format!(
            "tunnel: old-name\ncredentials-file: {}\n{rules}",
            tunnel.credentials.display()
        ),
    )
    .unwrap();
    let connector = |config: &std::path::Path| {
        let mut command = Command::new(&binaries().connector);
        command
            .arg("run")
            .arg("--config")
            .arg(config)
            .args(["--metrics", "127.0.0.1:0"]);
        command
    };
    let from = edge.proc.log_len();
    let proc = Proc::spawn("connector", connector(&config));
    proc.wait_for(
        &format!(
            "{}:1: `tunnel: old-name` is not the tunnel in the credentials file; running tunnel {} `web`, the one the credentials file is for, as cloudflared does",
            config.display(),
            tunnel.id
        ),
        READY,
    );
    edge.wait_session(from, &tunnel);
    drop(proc);

    // With a run token, `tunnel:` names nothing either.
    let out = Command::new(&binaries().connector)
        .args(["token", "--credentials-file"])
        .arg(&tunnel.credentials)
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    std::fs::write(
        &config,
        format!("tunnel: 00000000-0000-4000-8000-000000000000\n{rules}"),
    )
    .unwrap();
    let from = edge.proc.log_len();
    let mut command = connector(&config);
    command.env("TUNNEL_TOKEN", token);
    let proc = Proc::spawn("connector", command);
    proc.wait_for("is not the tunnel in the run token; running tunnel", READY);
    edge.wait_session(from, &tunnel);
}

#[test]
fn validation_opens_no_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    let text = std::fs::read_to_string(example("legacy-url.yml")).unwrap();
    let unwritable = dir.path().join("not-a-dir");
    std::fs::write(&unwritable, "a file, so nothing can be created under it").unwrap();
    let log = unwritable.join("cloudflared.log");
    std::fs::write(
        &config,
        text.replace("/var/log/cloudflared.log", log.to_str().unwrap()),
    )
    .unwrap();
    assert!(std::fs::read_to_string(&config)
        .unwrap()
        .contains(log.to_str().unwrap()));
    let out = validate(&config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK: 1 ingress rules"));
    // Running does need it, and says so.
    let out = Command::new(&binaries().connector)
        .arg("run")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("cannot open the log file"), "{stderr}");
}
