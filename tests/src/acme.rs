//! A real ACME CA for the certificate tests: Debian's `pebble`, with its own HTTPS certificate
//! (made here), validating against the edge's public ports and resolving names with the edge's
//! own DNS (`-dnsserver`); and edges set up to order from it.
//!
//! pebble cannot listen on port 0 and say where, and the edge needs its directory URL before
//! it starts, while pebble needs the edge's ports: so pebble's two ports are picked first
//! ([`Pebble::plan`]), the edge starts with them in its config, and pebble starts last.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use crate::process::Proc;
use crate::tunnel::{free_port, TestEdge};
use crate::READY;

pub struct Pebble {
    pub dir: tempfile::TempDir,
    /// The ACME directory URL.
    pub directory: String,
    /// The root of pebble's own HTTPS certificate: what the edge's `ca-roots` lists.
    pub https_root: PathBuf,
    listen: u16,
    management: u16,
    pub proc: Option<Proc>,
}

impl Pebble {
    /// Picks pebble's ports and makes its HTTPS certificate; nothing runs yet.
    pub fn plan() -> Pebble {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_key = rcgen::KeyPair::generate().expect("key");
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "pebble HTTPS test root");
        let ca_cert = ca.self_signed(&ca_key).expect("ca");
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("params");
        let cert = params.signed_by(&key, &issuer).expect("leaf");
        let write = |name: &str, text: String| {
            std::fs::write(dir.path().join(name), text).expect("write pebble file")
        };
        write("https-root.pem", ca_cert.pem());
        write("cert.pem", cert.pem());
        write("key.pem", key.serialize_pem());
        let listen = free_port();
        Pebble {
            https_root: dir.path().join("https-root.pem"),
            directory: format!("https://127.0.0.1:{listen}/dir"),
            listen,
            management: free_port(),
            dir,
            proc: None,
        }
    }

    /// Starts pebble: HTTP-01 on `http_port`, TLS-ALPN-01 on `tls_port` (the edge's public
    /// ports), names resolved by `dns`; `extra` is more of its JSON config (with a trailing
    /// comma), e.g. `"certificateValidityPeriod": 30,`, which may override the defaults before
    /// it (JSON's last key wins).
    pub fn start(&mut self, http_port: u16, tls_port: u16, dns: SocketAddr, extra: &str) {
        let config = self.dir.path().join("pebble.json");
        let json = format!(
            r#"{{"pebble": {{"ocspResponderURL": "", "externalAccountBindingRequired": false, {extra}
  "listenAddress": "127.0.0.1:{}", "managementListenAddress": "127.0.0.1:{}",
  "certificate": "cert.pem", "privateKey": "key.pem", "httpPort": {http_port}, "tlsPort": {tls_port}}}}}"#,
            self.listen, self.management
        );
        std::fs::write(&config, json).expect("write pebble.json");
        // pebble logs to stdout; the harness reads stderr.
        let mut command = Command::new("sh");
        command
            .current_dir(self.dir.path())
            .args(["-c", "exec pebble -config \"$0\" -dnsserver \"$1\" 1>&2"])
            .arg(&config)
            .arg(dns.to_string())
            // Validations at once, every nonce good and every authorization validated anew,
            // so what a test counts does not vary from run to run. Never VA_ALWAYS_VALID.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0");
        let proc = Proc::spawn("pebble", command);
        proc.wait_for("ACME directory available at", READY);
        self.proc = Some(proc);
    }

    /// Stops pebble (the CA is down).
    pub fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
    }

    /// The root pebble issues from, fetched from its management port, written to a file for
    /// clients to verify against.
    pub fn issuing_root(&self) -> PathBuf {
        let out = Command::new("curl")
            .args(["-sf", "--cacert"])
            .arg(&self.https_root)
            .arg(format!("https://127.0.0.1:{}/roots/0", self.management))
            .output()
            .expect("run curl");
        assert!(out.status.success(), "fetch pebble's root: {out:?}");
        let path = self.dir.path().join("issuing-root.pem");
        std::fs::write(&path, &out.stdout).expect("write root");
        path
    }
}

/// The `dns:` section of the ACME tests: zone example.test served by the edge.
pub const DNS: &str = "dns:
  tunnel-zone: tunnels.example.test
  ttl: 30s
  zones:
    - name: example.test
      name-servers:
        - name: ns1.example.test
          addresses: [127.0.0.1]
";

/// edge.yml for an edge ordering from `pebble`: public HTTP and HTTPS on `ip` (port `ports`,
/// 0 for any), its DNS and metrics, `acme` lines added under `tls.acme` (indented 4).
pub fn edge_yaml(pebble: &Pebble, ip: &str, ports: (u16, u16), acme: &str) -> String {
    format!(
        "state-dir: state
public-hostname: localhost
listen:
  http: {ip}:{}
  https: {ip}:{}
  tunnel: 127.0.0.1:0
  dns: 127.0.0.1:0
  metrics: 127.0.0.1:0
advertise:
  addresses: [{ip}]
tls:
  acme:
    directory: {}
    email: ops@example.test
    ca-roots: [{}]
    order-interval: 1s
{acme}{DNS}",
        ports.0,
        ports.1,
        pebble.directory,
        pebble.https_root.display()
    )
}

/// An edge ordering from pebble, and pebble started against its ports and DNS.
pub fn edge_and_pebble(acme: &str, pebble_extra: &str) -> (TestEdge, Pebble) {
    let mut pebble = Pebble::plan();
    let dir = tempfile::tempdir().expect("tempdir");
    let edge = TestEdge::start_config(dir, &edge_yaml(&pebble, "127.0.0.1", (0, 0), acme));
    pebble.start(
        edge.addr("http").port(),
        edge.addr("https").port(),
        edge.addr("dns"),
        pebble_extra,
    );
    (edge, pebble)
}

/// `/metrics` of an edge.
pub fn metrics(edge: &TestEdge) -> String {
    let out = Command::new("curl")
        .args(["-sf", &format!("http://{}/metrics", edge.addr("metrics"))])
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of one metric line (`name{labels}`), 0 when absent.
pub fn metric(edge: &TestEdge, line: &str) -> u64 {
    crate::client::metric_value(&metrics(edge), line)
}

/// `curl https://HOST:PORT/` verifying against `root` (no `-k`), `HOST` resolved to `addr`:
/// its exit status, and the body or the error.
pub fn curl_verified(addr: SocketAddr, host: &str, root: &std::path::Path) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(root)
        .args([
            "--resolve",
            &format!("{host}:{}:{}", addr.port(), addr.ip()),
            &format!("https://{host}:{}/", addr.port()),
        ])
        .output()
        .expect("run curl");
    let text = match out.status.success() {
        true => String::from_utf8_lossy(&out.stdout),
        false => String::from_utf8_lossy(&out.stderr),
    };
    (out.status.success(), text.into_owned())
}

/// The leaf certificate a handshake for `host` at `addr` gets, verified against `root`: its
/// DER and serial (hex).
pub async fn served_leaf(
    addr: SocketAddr,
    host: &str,
    root: &std::path::Path,
) -> (Vec<u8>, String) {
    let tls = crate::client::tls_connect(addr, host, root, crate::client::Proto::Http1).await;
    let der = tls.get_ref().1.peer_certificates().expect("certificates")[0].to_vec();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("x509");
    let serial = cert.raw_serial_as_string().replace(':', "");
    (der, serial)
}
