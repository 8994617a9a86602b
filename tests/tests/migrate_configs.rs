//! Real-world cloudflared config.yml files (config-examples/cloudflared/, the shapes of
//! cloudflared's docs and issues) run with only their credentials file changed, or fail with
//! the message docs/migrating-from-cloudflared.md documents. Each tunnel keeps its cloudflared
//! UUID (`edge tunnel create NAME --id UUID`), so the `tunnel:` line stays as it was.

use std::process::Command;

use http::StatusCode;
use tests::cloudflared::{example, migrate, run, validate};
use tests::process::{binaries, Proc};
use tests::tunnel::{free_port, TestEdge};
use tests::{origin, READY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn refused_files_fail_naming_line_and_fix() {
    for (file, line, fix) in [
        (
            "refused-warp-routing.yml",
            5,
            "Tether does not route private networks",
        ),
        ("refused-access.yml", 9, "edge tunnel route policy"),
        ("refused-bastion.yml", 6, "connector access tcp"),
        (
            "refused-bad-port.yml",
            7,
            "`port_nbr` is not a port; write a number from 1 to 65535",
        ),
    ] {
        let path = example(file);
        let out = validate(&path);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{file}: {err}");
        assert!(
            err.contains(&format!("{}:{line}:", path.display())),
            "{file}: {err}"
        );
        assert!(err.contains(fix), "{file}: {err}");
    }
}

#[test]
fn every_other_file_validates() {
    let dir = example("");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Tunnel configs only: not the compose file, nor the Dockerfile beside it.
        let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
        if !yaml || name.starts_with("refused-") || name == "docker-compose.yml" {
            continue;
        }
        let out = validate(&path);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if name == "https-capool.yml" {
            // Its CA file is read at start, as cloudflared reads it: here it is missing.
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(64), "{err}");
            assert!(
                err.contains("caPool /etc/cloudflared/origin-ca.pem: No such file"),
                "{err}"
            );
            checked += 1;
            continue;
        }
        assert!(
            out.status.success() && stdout.starts_with("OK: "),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} files");
}

#[tokio::test(flavor = "multi_thread")]
async fn http_shapes_run_end_to_end() {
    let edge = TestEdge::start("");
    let (https, ca) = (edge.addr("https"), edge.ca_pem());
    let named = |n: &'static str| async move { origin::named(n).await.to_string() };

    // Wildcards and path rules, with cloudflared-only keys (protocol) warned about.
    let (tunnel, config) = migrate(
        &edge,
        "wildcard-paths.yml",
        &[
            ("localhost:8001", named("static").await),
            ("localhost:8002", named("wildcard").await),
            ("localhost:8003", named("api").await),
        ],
    );
    for host in ["static.example.com", "api.example.com", "*.example.com"] {
        edge.route(&tunnel, host);
    }
    let wildcard = run(&edge, &tunnel, &config);
    wildcard.wait_for(
        "`protocol` is a cloudflared setting that Tether does not use",
        READY,
    );
    for (host, path, served) in [
        ("static.example.com", "/logo.png", "static"),
        ("static.example.com", "/index.html", "wildcard"),
        ("api.example.com", "/v1/users", "api"),
        ("api.example.com", "/v2/users", "wildcard"),
        ("deep.sub.example.com", "/", "wildcard"),
    ] {
        let (status, _, body) = tests::client::get(https, host, &ca, path).await;
        assert_eq!(status, StatusCode::OK, "{host}{path}");
        assert!(
            body.starts_with(&format!("origin {served}:")),
            "{host}{path}: {body}"
        );
    }

    // HTTPS origins under a private CA: caPool adds it, originServerName and matchSNItoHost
    // choose the name the certificate is checked against.
    let (ca_pem, cert, key) = private_ca_certificate("secure.internal");
    let tls = origin::serve_tls(
        &cert,
        &key,
        |req: http::Request<hyper::body::Incoming>| async move {
            origin::ok(format!(
                "tls host={}",
                req.headers()["host"].to_str().unwrap()
            ))
        },
    )
    .await;
    let ca_file = edge.ca_pem().with_file_name("origin-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let (tunnel, config) = migrate(
        &edge,
        "https-capool.yml",
        &[
            ("localhost:8443", tls.to_string()),
            (
                "/etc/cloudflared/origin-ca.pem",
                ca_file.display().to_string(),
            ),
        ],
    );
    edge.route(&tunnel, "secure.example.com");
    edge.route(&tunnel, "sni.example.com");
    let _tls = run(&edge, &tunnel, &config);
    let (status, _, body) = tests::client::get(https, "secure.example.com", &ca, "/").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "tls host=secure.example.com")
    );
    let (status, _, body) = tests::client::get(https, "sni.example.com", &ca, "/").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "tls host=secure.internal")
    );

    // A unix socket origin that must not get chunked bodies (disableChunkedEncoding).
    let socket = edge.ca_pem().with_file_name("app.sock");
    origin::serve_unix(
        &socket,
        |req: http::Request<hyper::body::Incoming>| async move {
            let length = req.headers().get("content-length").cloned();
            let chunked = req.headers().contains_key("transfer-encoding");
            let body = http_body_util::BodyExt::collect(req.into_body())
                .await
                .unwrap()
                .to_bytes();
            origin::ok(format!(
                "length={length:?} chunked={chunked} body={}",
                body.len()
            ))
        },
    )
    .await;
    let (tunnel, config) = migrate(
        &edge,
        "unix-socket.yml",
        &[("/run/app/app.sock", socket.display().to_string())],
    );
    edge.route(&tunnel, "app.example.com");
    let _unix = run(&edge, &tunnel, &config);
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(&ca)
        .args([
            "--resolve",
            &format!("app.example.com:{}:127.0.0.1", https.port()),
        ])
        .args(["-H", "Transfer-Encoding: chunked", "--data-binary", "@-"])
        .arg(format!("https://app.example.com:{}/upload", https.port()))
        .stdin(std::fs::File::open(&config).unwrap())
        .output()
        .unwrap();
    let size = std::fs::metadata(&config).unwrap().len();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("length=Some(\"{size}\") chunked=false body={size}"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The older single-origin form, logging to a file at debug level.
    let log = edge.ca_pem().with_file_name("cloudflared.log");
    let (tunnel, config) = migrate(
        &edge,
        "legacy-url.yml",
        &[
            ("localhost:8000", named("legacy").await),
            ("/var/log/cloudflared.log", log.display().to_string()),
            ("localhost:20241", format!("localhost:{}", free_port())),
        ],
    );
    edge.route(&tunnel, "legacy.example.com");
    let _legacy = run(&edge, &tunnel, &config);
    let (status, _, body) = tests::client::get(https, "legacy.example.com", &ca, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("origin legacy:"), "{body}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("starting tunnel"), "{logged}");
    assert!(
        logged.contains("DEBUG"),
        "loglevel: debug is in force: {logged}"
    );
    assert!(!logged.contains("\u{1b}["), "no colours in the file");
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_and_rdp_shapes_run_through_the_access_aliases() {
    let edge = TestEdge::start("");
    let echo = tests::tcp::echo().await;
    let (ssh, ssh_config) = migrate(&edge, "ssh.yml", &[("localhost:22", echo.to_string())]);
    let (rdp, rdp_config) = migrate(&edge, "rdp.yml", &[("localhost:3389", echo.to_string())]);
    edge.route_as("tcp", &ssh, "ssh.example.com", &[]);
    edge.route_as("tcp", &rdp, "rdp.example.com", &[]);
    let _ssh = run(&edge, &ssh, &ssh_config);
    let _rdp = run(&edge, &rdp, &rdp_config);
    // cloudflared's spellings: `access ssh|rdp|smb`, `--url localhost:PORT` or `tcp://…`.
    for (alias, host, url) in [
        (
            "ssh",
            "ssh.example.com",
            format!("localhost:{}", free_port()),
        ),
        (
            "rdp",
            "rdp.example.com",
            format!("tcp://localhost:{}", free_port()),
        ),
        (
            "smb",
            "rdp.example.com",
            format!("127.0.0.1:{}", free_port()),
        ),
    ] {
        let mut command = Command::new(&binaries().connector);
        command
            .args(["access", alias, "--hostname", host, "--url", &url])
            .args(["--edge", &edge.addr("https").to_string(), "--ca"])
            .arg(edge.ca_pem());
        let access = Proc::spawn("access", command);
        access.wait_for("listening on tcp", READY);
        let port = url.rsplit(':').next().unwrap();
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port.parse().unwrap()))
            .await
            .unwrap();
        tcp.write_all(alias.as_bytes()).await.unwrap();
        tcp.shutdown().await.unwrap();
        let mut back = String::new();
        tcp.read_to_string(&mut back).await.unwrap();
        assert_eq!(back, alias, "access {alias}");
    }
}

/// A private CA and a certificate from it for `name`: (CA PEM, certificate PEM, key PEM).
fn private_ca_certificate(name: &str) -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let ca = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    (ca_pem, cert.pem(), key.serialize_pem())
}
