//! Config files as users write them: the shipped examples, cloudflared's shape, and errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use http::StatusCode;
use tests::origin;
use tests::process::binaries;
use tests::tunnel::TestEdge;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config-examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("config-examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_config_example_parses() {
    let files = examples();
    assert!(!files.is_empty(), "no files found in config-examples/");
    let mut edges = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // An edge config has `listen:`; everything else is a tunnel config.
        if text.lines().any(|l| l.starts_with("listen:")) {
            tether_edge::config::EdgeConfig::parse(file, &text).unwrap_or_else(|e| panic!("{e}"));
            edges += 1;
        } else {
            let c = tether_connector::config::ConnectorConfig::parse(file, &text)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!c.ingress.rules.is_empty());
        }
    }
    assert!(
        edges >= 1 && edges < files.len(),
        "expected both edge and tunnel examples"
    );
}

#[tokio::test]
async fn a_cloudflared_config_runs_end_to_end() {
    let gitlab = origin::serve(|req: http::Request<hyper::body::Incoming>| async move {
        origin::ok(format!(
            "gitlab host={}",
            req.headers()["host"].to_str().unwrap()
        ))
    })
    .await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("widgetcorp");
    edge.route(&tunnel, "gitlab.widgetcorp.tech");
    edge.route(&tunnel, "gitlab-ssh.widgetcorp.tech");
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../config-examples/cloudflared-config.yml"),
    )
    .unwrap();
    // Only what a user changes: the credentials (and here the origin's test port).
    let body: String = example
        .lines()
        .filter(|l| !l.starts_with("tunnel:") && !l.starts_with("credentials-file:"))
        .map(|l| l.replace("http://localhost:8000", &format!("http://{gitlab}")) + "\n")
        .collect();
    let connector = edge.connect(&tunnel, &body);
    connector.proc.wait_for(
        "`protocol` is a cloudflared setting that Tether does not use",
        tests::READY,
    );
    let (https, ca) = (edge.addr("https"), edge.ca_pem());
    let (status, _, text) = tests::client::get(https, "gitlab.widgetcorp.tech", &ca, "/").await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::OK, "gitlab host=gitlab.internal")
    );
    let (status, _, _) =
        tests::client::get(https, "gitlab-ssh.widgetcorp.tech", &ca, "/status").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) =
        tests::client::get(https, "gitlab-ssh.widgetcorp.tech", &ca, "/other").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn run(binary: &Path, args: &[&str], config: &Path) -> std::process::Output {
    Command::new(binary)
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap()
}

#[test]
fn config_errors_exit_64_naming_file_line_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let tunnel = dir.path().join("tunnel.yml");
    std::fs::write(&tunnel, "tunnel: x\ncredentials-file: x.json\ningress:\n  - hostname: a.test\n    service: hello_world\n").unwrap();
    let out = run(&binaries().connector, &["ingress", "validate"], &tunnel);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(err.contains(&format!("{}:4:", tunnel.display())), "{err}");
    assert!(
        err.contains("http_status:404"),
        "the fix is suggested: {err}"
    );

    let edge = dir.path().join("edge.yml");
    std::fs::write(&edge, "listen:\n  http: 127.0.0.1:0\n  htps: 127.0.0.1:0\n").unwrap();
    let out = run(&binaries().edge, &["run"], &edge);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(err.contains(&format!("{}:3:", edge.display())), "{err}");
}

#[test]
fn ingress_rule_prints_the_matching_rule() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config-examples/tunnel.yml");
    let out = run(
        &binaries().connector,
        &["ingress", "rule", "https://app.example.com/api/users"],
        &example,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("Matched rule #1"), "{text}");
    assert!(text.contains("service: http://localhost:8081"), "{text}");
    let out = run(
        &binaries().connector,
        &["ingress", "rule", "https://x.preview.example.com/"],
        &example,
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Matched rule #4"));
    let out = run(&binaries().connector, &["ingress", "validate"], &example);
    assert!(out.status.success());
}
