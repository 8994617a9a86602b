//! wstunnel (github.com/erebe/wstunnel, `cargo install --locked --path wstunnel-cli` from a
//! clone; it is not on the Rust registry) as a peer: a reverse tunnel over wss, as its README
//! sets one up. `wstunnel server wss://…` with the benchmark's certificate is the public side;
//! `wstunnel client -R tcp://PORT:ORIGIN` on the origin's side asks it to listen on PORT and
//! carries each connection back over a TLS WebSocket. Its defaults otherwise. (Its `NO_COLOR`
//! takes `true`, not the `1` the harness sets for other programs.)

use std::path::Path;
use std::process::Command;

use tests::process::Proc;

use crate::origin::wait_listening;
use crate::peers::{local, unused_port, Origins, Peer};

pub fn start(binary: &Path, origins: &Origins) -> anyhow::Result<Peer> {
    let (control, http, tcp) = (unused_port()?, unused_port()?, unused_port()?);
    let mut server = Command::new(binary);
    server
        .env("NO_COLOR", "true")
        .args(["--log-lvl", "WARN", "server"])
        .arg(format!("wss://127.0.0.1:{control}"))
        .arg("--tls-certificate")
        .arg(&origins.cert.cert)
        .arg("--tls-private-key")
        .arg(&origins.cert.key);
    let server_proc = Proc::spawn("wstunnel-server", server);
    wait_listening(local(control))?;
    let mut client = Command::new(binary);
    client
        .env("NO_COLOR", "true")
        .args(["--log-lvl", "WARN", "client"])
        .arg("-R")
        .arg(format!("tcp://127.0.0.1:{http}:{}", origins.nginx))
        .arg("-R")
        .arg(format!("tcp://127.0.0.1:{tcp}:{}", origins.iperf))
        .arg(format!("wss://127.0.0.1:{control}"));
    let client_proc = Proc::spawn("wstunnel-client", client);
    wait_listening(local(http))?;
    wait_listening(local(tcp))?;
    Ok(Peer {
        name: "wstunnel wss",
        http: local(http),
        tcp: local(tcp),
        server: vec![server_proc.pid()],
        client: vec![client_proc.pid()],
        _procs: vec![server_proc, client_proc],
    })
}
