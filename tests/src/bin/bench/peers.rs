//! Peers a user would pick instead, run side by side on scenarios 1–3 when installed:
//! rathole (`cargo install rathole`) and bore (`cargo install bore-cli`). Both forward raw TCP
//! without encryption in their default set-up, which is how they are run here, so they carry
//! less work per byte than Tether's TLS session; the table says so.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use tests::process::Proc;
use tests::tunnel::free_port;

use crate::origin::wait_listening;

/// A peer tunnel in front of nginx (plain HTTP) and iperf3.
pub struct Peer {
    pub name: &'static str,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
    _procs: Vec<Proc>,
}

/// `tool` on PATH or in cargo's bin directory.
pub fn find(tool: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|c| c.join("bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

/// Every installed peer, started in front of `nginx` and `iperf`.
pub fn start_all(dir: &Path, nginx: SocketAddr, iperf: SocketAddr) -> Vec<Peer> {
    let mut peers = Vec::new();
    for (name, start) in [
        (
            "rathole",
            rathole as fn(&Path, &Path, SocketAddr, SocketAddr) -> anyhow::Result<Peer>,
        ),
        ("bore", bore),
    ] {
        let Some(binary) = find(name) else {
            eprintln!("{name} is not installed; its columns stay empty");
            continue;
        };
        match start(&binary, dir, nginx, iperf) {
            Ok(peer) => peers.push(peer),
            Err(e) => eprintln!("{name} did not start, left out: {e:#}"),
        }
    }
    peers
}

fn rathole(
    binary: &Path,
    dir: &Path,
    nginx: SocketAddr,
    iperf: SocketAddr,
) -> anyhow::Result<Peer> {
    let (control, http, tcp) = (free_port(), free_port(), free_port());
    let server = dir.join("rathole-server.toml");
    std::fs::write(
        &server,
        format!(
            "[server]\nbind_addr = \"127.0.0.1:{control}\"\n\n[server.services.http]\ntoken = \"bench\"\nbind_addr = \"127.0.0.1:{http}\"\n\n[server.services.tcp]\ntoken = \"bench\"\nbind_addr = \"127.0.0.1:{tcp}\"\n"
        ),
    )?;
    let client = dir.join("rathole-client.toml");
    std::fs::write(
        &client,
        format!(
            "[client]\nremote_addr = \"127.0.0.1:{control}\"\n\n[client.services.http]\ntoken = \"bench\"\nlocal_addr = \"{nginx}\"\n\n[client.services.tcp]\ntoken = \"bench\"\nlocal_addr = \"{iperf}\"\n"
        ),
    )?;
    let quiet = |path: &Path| {
        let mut c = Command::new(binary);
        c.arg(path).env("RUST_LOG", "warn");
        c
    };
    let server_proc = Proc::spawn("rathole-server", quiet(&server));
    wait_listening(SocketAddr::from(([127, 0, 0, 1], control)))?;
    let client_proc = Proc::spawn("rathole-client", quiet(&client));
    let (http, tcp) = (
        SocketAddr::from(([127, 0, 0, 1], http)),
        SocketAddr::from(([127, 0, 0, 1], tcp)),
    );
    wait_listening(http)?;
    wait_listening(tcp)?;
    Ok(Peer {
        name: "rathole",
        http,
        tcp,
        _procs: vec![server_proc, client_proc],
    })
}

fn bore(binary: &Path, _dir: &Path, nginx: SocketAddr, iperf: SocketAddr) -> anyhow::Result<Peer> {
    // bore's control port is fixed (7835); its tunnels get the ports asked for.
    let mut server = Command::new(binary);
    server.args(["server", "--min-port", "1024", "--max-port", "65535"]);
    let server_proc = Proc::spawn("bore-server", server);
    wait_listening(SocketAddr::from(([127, 0, 0, 1], 7835)))?;
    let mut procs = vec![server_proc];
    let mut public = Vec::new();
    for local in [nginx, iperf] {
        let port = free_port();
        let mut client = Command::new(binary);
        client
            .args([
                "local",
                &local.port().to_string(),
                "--local-host",
                "127.0.0.1",
            ])
            .args(["--to", "127.0.0.1", "--port", &port.to_string()]);
        procs.push(Proc::spawn("bore-local", client));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_listening(addr)?;
        public.push(addr);
    }
    Ok(Peer {
        name: "bore",
        http: public[0],
        tcp: public[1],
        _procs: procs,
    })
}
