//! Tether as a user runs it, on loopback: one edge (public HTTP and HTTPS listeners with the
//! benchmark's certificate, a tunnel listener) and one connector whose rules send
//! `bench.example.test` to nginx, `ws.example.test` to a WebSocket echo server and
//! `iperf.example.test` (a public TCP port) to iperf3, and `nginx-tcp.example.test` (another
//! public TCP port) to nginx, so small requests can go through the edge at L4 as through the
//! peers, beside the HTTP listener's L7 path; `victim.example.test` is nginx again, for the
//! noisy-neighbour scenario.

use std::net::SocketAddr;

use tests::tunnel::{TestConnector, TestEdge};

use crate::load::Target;
use crate::origin::Cert;

pub const HTTP_HOST: &str = "bench.example.test";
pub const WS_HOST: &str = "ws.example.test";
pub const TCP_HOST: &str = "iperf.example.test";
pub const NGINX_TCP_HOST: &str = "nginx-tcp.example.test";
/// nginx again, for the noisy-neighbour scenario's victim: another hostname of the same tunnel.
pub const VICTIM_HOST: &str = "victim.example.test";

pub struct Tether {
    pub edge: TestEdge,
    pub connector: TestConnector,
    /// The public TCP port routed to iperf3.
    pub tcp: SocketAddr,
    /// The public TCP port routed to nginx's plain HTTP listener.
    pub nginx_tcp: SocketAddr,
}

/// The edge's configuration for the benchmark: the shipped defaults but for the certificate, and
/// the per-address limits (#9) set where they cannot bind, since every client here is 127.0.0.1:
/// room for the footprint scenario's 10,000 streams on one session and 1,000 connectors, and a
/// request rate no run reaches (the limiter still checks every request, as it does by default).
pub fn edge_yaml(cert: &Cert) -> String {
    format!(
        "state-dir: state\npublic-hostname: localhost\nlisten:\n  http: 127.0.0.1:0\n  https: 127.0.0.1:0\n  tunnel: 127.0.0.1:0\ntls:\n  certificates:\n    - cert: {}\n      key: {}\nmax-concurrent-streams: 100000\n# Every client and every one of a thousand connectors is on 127.0.0.1 here.\nmax-connections-per-ip: 100000\nrate-limit:\n  requests-per-second: 1000000\n  burst: 1000000\n",
        cert.cert.display(),
        cert.key.display()
    )
}

/// The connector's rules.
pub fn ingress(nginx: SocketAddr, ws: SocketAddr, iperf: SocketAddr) -> String {
    format!(
        "ingress:\n  - hostname: {HTTP_HOST}\n    service: http://{nginx}\n  - hostname: {VICTIM_HOST}\n    service: http://{nginx}\n  - hostname: {WS_HOST}\n    service: http://{ws}\n  - hostname: {TCP_HOST}\n    service: tcp://{iperf}\n  - hostname: {NGINX_TCP_HOST}\n    service: tcp://{nginx}\n  - service: http_status:404\n"
    )
}

impl Tether {
    pub fn start(cert: &Cert, rules: &str) -> anyhow::Result<Tether> {
        let edge = TestEdge::start_config(tempfile::tempdir()?, &edge_yaml(cert));
        let tunnel = edge.create_tunnel("bench");
        edge.route(&tunnel, HTTP_HOST);
        edge.route(&tunnel, WS_HOST);
        edge.route(&tunnel, VICTIM_HOST);
        let tcp = edge.route_tcp_port(&tunnel, TCP_HOST);
        let nginx_tcp = edge.route_tcp_port(&tunnel, NGINX_TCP_HOST);
        let connector = edge.connect(&tunnel, rules);
        Ok(Tether {
            edge,
            connector,
            tcp,
            nginx_tcp,
        })
    }

    pub fn http(&self) -> Target {
        plain(self.edge.addr("http"))
    }

    pub fn https(&self) -> Target {
        tls(self.edge.addr("https"))
    }

    /// nginx through the public TCP port (L4: the edge does not read HTTP).
    pub fn l4(&self) -> Target {
        plain(self.nginx_tcp)
    }

    /// The edge and the connector, for CPU accounting.
    pub fn roles(&self) -> Vec<(&'static str, Vec<u32>)> {
        vec![
            ("tunnel, public side", vec![self.edge.proc.pid()]),
            ("tunnel, origin side", vec![self.connector.proc.pid()]),
        ]
    }
}

/// The benchmark's hostname over plain HTTP at `addr` (the edge, nginx, or a peer).
pub fn plain(addr: SocketAddr) -> Target {
    Target {
        addr,
        host: HTTP_HOST.into(),
        tls: false,
    }
}

/// The same over TLS.
pub fn tls(addr: SocketAddr) -> Target {
    Target {
        tls: true,
        ..plain(addr)
    }
}
