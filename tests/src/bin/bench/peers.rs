//! Peers a user would pick instead, run side by side on scenarios 1–3 when installed, each in
//! front of the same nginx and iperf3:
//! - rathole (`cargo install rathole`) three ways: raw TCP (its default), over TLS, and over
//!   WebSocket with TLS (rathole.rs);
//! - wstunnel over wss, a reverse tunnel with its own TLS (wstunnel.rs), built from its public
//!   repository since it is not on the Rust registry;
//! - bore (`cargo install bore-cli`), raw TCP.
//!
//! The encrypted ones (rathole TLS, rathole WS+TLS, wstunnel) carry the same kind of work per
//! byte as Tether's TLS session; raw rathole and bore carry less, and the table says which is
//! which by name.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use tests::process::Proc;

use crate::origin::{wait_listening, Cert};
use crate::rathole::Transport;

/// A peer tunnel in front of nginx (plain HTTP) and iperf3.
pub struct Peer {
    pub name: &'static str,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
    /// The processes on the public side (the server) and on the origin's side (the client), for
    /// CPU accounting.
    pub server: Vec<u32>,
    pub client: Vec<u32>,
    pub _procs: Vec<Proc>,
}

impl Peer {
    /// Its processes, for CPU accounting.
    pub fn roles(&self) -> crate::cost::Roles {
        vec![
            ("tunnel, public side", self.server.clone()),
            ("tunnel, origin side", self.client.clone()),
        ]
    }
}

/// What each peer needs to start, beside its binary.
pub struct Origins<'a> {
    pub dir: &'a Path,
    pub cert: &'a Cert,
    pub nginx: SocketAddr,
    pub iperf: SocketAddr,
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

type Start = fn(&Path, &Origins) -> anyhow::Result<Peer>;

/// Every peer: its column's name, its binary, how to get it, and how to start it.
const PEERS: [(&str, &str, &str, Start); 5] = [
    ("rathole", "rathole", "cargo install rathole", |b, o| {
        crate::rathole::start(b, o, Transport::Tcp)
    }),
    ("rathole TLS", "rathole", "cargo install rathole", |b, o| {
        crate::rathole::start(b, o, Transport::Tls)
    }),
    (
        "rathole WS+TLS",
        "rathole",
        "cargo install rathole",
        |b, o| crate::rathole::start(b, o, Transport::WebSocketTls),
    ),
    (
        "wstunnel wss",
        "wstunnel",
        "git clone https://github.com/erebe/wstunnel && cargo install --locked --path wstunnel/wstunnel-cli",
        crate::wstunnel::start,
    ),
    ("bore", "bore", "cargo install bore-cli", bore),
];

/// Every installed peer, started in front of the origins.
pub fn start_all(origins: &Origins) -> Vec<Peer> {
    let mut peers = Vec::new();
    for (name, tool, get, start) in PEERS {
        let Some(binary) = find(tool) else {
            eprintln!("{name}: `{tool}` is not installed ({get}); its column stays empty");
            continue;
        };
        match start(&binary, origins) {
            Ok(peer) => peers.push(peer),
            Err(e) => eprintln!("{name} did not start, left out: {e:#}"),
        }
    }
    peers
}

/// A loopback address.
pub fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A loopback port nothing holds, not even a connection in TIME_WAIT: wstunnel binds its
/// listeners without `SO_REUSEADDR`, so a port that an earlier load run's connection used can
/// refuse it (EADDRINUSE) for a minute. `free_port` asks with `SO_REUSEADDR` (std's default)
/// and may hand out such a port; this asks without it.
pub fn unused_port() -> anyhow::Result<u16> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&local(0).into())?;
    let port = socket
        .local_addr()?
        .as_socket()
        .map(|a| a.port())
        .ok_or_else(|| anyhow::anyhow!("no port"))?;
    Ok(port)
}

fn bore(binary: &Path, origins: &Origins) -> anyhow::Result<Peer> {
    // bore's control port is fixed (7835); its tunnels get the ports asked for.
    let mut server = Command::new(binary);
    server.args(["server", "--min-port", "1024", "--max-port", "65535"]);
    let server_proc = Proc::spawn("bore-server", server);
    wait_listening(local(7835))?;
    let mut peer = Peer {
        name: "bore",
        http: local(0),
        tcp: local(0),
        server: vec![server_proc.pid()],
        client: Vec::new(),
        _procs: vec![server_proc],
    };
    let mut public = Vec::new();
    for origin in [origins.nginx, origins.iperf] {
        let port = unused_port()?;
        let mut client = Command::new(binary);
        client
            .args([
                "local",
                &origin.port().to_string(),
                "--local-host",
                "127.0.0.1",
            ])
            .args(["--to", "127.0.0.1", "--port", &port.to_string()]);
        let proc = Proc::spawn("bore-local", client);
        peer.client.push(proc.pid());
        peer._procs.push(proc);
        wait_listening(local(port))?;
        public.push(local(port));
    }
    (peer.http, peer.tcp) = (public[0], public[1]);
    Ok(peer)
}
