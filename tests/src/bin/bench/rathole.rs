//! rathole (`cargo install rathole`, 0.5) as a peer, three ways over the same server and client
//! binary: its default raw TCP transport, TLS (`type = "tls"`, native-tls with a PKCS#12
//! identity made from the benchmark's certificate by `openssl pkcs12`), and WebSocket over TLS
//! (`type = "websocket"`, `tls = true`). Everything else stays at rathole's defaults.

use std::path::Path;
use std::process::Command;

use anyhow::ensure;
use tests::process::Proc;

use crate::origin::{wait_listening, which};
use crate::peers::{local, unused_port, Origins, Peer};
use crate::tether::HTTP_HOST;

#[derive(Clone, Copy)]
pub enum Transport {
    Tcp,
    Tls,
    WebSocketTls,
}

const PKCS12_PASSWORD: &str = "bench";

pub fn start(binary: &Path, origins: &Origins, transport: Transport) -> anyhow::Result<Peer> {
    let (name, tag) = match transport {
        Transport::Tcp => ("rathole", "tcp"),
        Transport::Tls => ("rathole TLS", "tls"),
        Transport::WebSocketTls => ("rathole WS+TLS", "ws"),
    };
    let (server_transport, client_transport) = match transport {
        Transport::Tcp => (String::new(), String::new()),
        Transport::Tls | Transport::WebSocketTls => {
            let identity = pkcs12(origins)?;
            let (kind, websocket) = match transport {
                Transport::WebSocketTls => ("websocket", "websocket]\ntls = true\n"),
                _ => ("tls", ""),
            };
            let section = |side: &str| {
                if websocket.is_empty() {
                    String::new()
                } else {
                    format!("[{side}.transport.{websocket}")
                }
            };
            let server = format!(
                "[server.transport]\ntype = \"{kind}\"\n[server.transport.tls]\npkcs12 = {identity:?}\npkcs12_password = \"{PKCS12_PASSWORD}\"\n{}",
                section("server")
            );
            let client = format!(
                "[client.transport]\ntype = \"{kind}\"\n[client.transport.tls]\ntrusted_root = {:?}\nhostname = \"{HTTP_HOST}\"\n{}",
                origins.cert.cert.display().to_string(),
                section("client")
            );
            (server, client)
        }
    };
    let (control, http, tcp) = (unused_port()?, unused_port()?, unused_port()?);
    let server = origins.dir.join(format!("rathole-{tag}-server.toml"));
    std::fs::write(
        &server,
        format!(
            "[server]\nbind_addr = \"127.0.0.1:{control}\"\n{server_transport}\n[server.services.http]\ntoken = \"bench\"\nbind_addr = \"127.0.0.1:{http}\"\n\n[server.services.tcp]\ntoken = \"bench\"\nbind_addr = \"127.0.0.1:{tcp}\"\n"
        ),
    )?;
    let client = origins.dir.join(format!("rathole-{tag}-client.toml"));
    std::fs::write(
        &client,
        format!(
            "[client]\nremote_addr = \"127.0.0.1:{control}\"\n{client_transport}\n[client.services.http]\ntoken = \"bench\"\nlocal_addr = \"{}\"\n\n[client.services.tcp]\ntoken = \"bench\"\nlocal_addr = \"{}\"\n",
            origins.nginx, origins.iperf
        ),
    )?;
    let quiet = |path: &Path| {
        let mut c = Command::new(binary);
        c.arg(path).env("RUST_LOG", "warn");
        c
    };
    let server_proc = Proc::spawn(&format!("rathole-{tag}-server"), quiet(&server));
    wait_listening(local(control))?;
    let client_proc = Proc::spawn(&format!("rathole-{tag}-client"), quiet(&client));
    wait_listening(local(http))?;
    wait_listening(local(tcp))?;
    Ok(Peer {
        name,
        http: local(http),
        tcp: local(tcp),
        server: vec![server_proc.pid()],
        client: vec![client_proc.pid()],
        _procs: vec![server_proc, client_proc],
    })
}

/// The benchmark's certificate and key as the PKCS#12 file rathole's server wants.
fn pkcs12(origins: &Origins) -> anyhow::Result<String> {
    let path = origins.dir.join("rathole-identity.p12");
    if !path.exists() {
        which("openssl", "openssl")?;
        let status = Command::new("openssl")
            .args(["pkcs12", "-export", "-passout"])
            .arg(format!("pass:{PKCS12_PASSWORD}"))
            .arg("-in")
            .arg(&origins.cert.cert)
            .arg("-inkey")
            .arg(&origins.cert.key)
            .arg("-out")
            .arg(&path)
            .status()?;
        ensure!(status.success(), "openssl pkcs12 -export failed");
    }
    Ok(path.display().to_string())
}
