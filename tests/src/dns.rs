//! An edge serving DNS (`listen.dns`), and the real `dig` and `kdig` pointed at it.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Instant;

use crate::tunnel::{TestEdge, Tunnel};
use crate::READY;

/// The `dns:` section the DNS tests use: zone example.test with in-zone name server, static
/// records (a large TXT set for truncation, a TXT beside which a route must be flattened),
/// split horizon for 127.0.0.2 (client subnets believed from 127.0.0.1 and .2), transfers for
/// 127.0.0.3, per-address rate limiting.
pub const DNS_CONFIG: &str = "advertise:
  addresses: [127.0.0.1]
dns:
  tunnel-zone: tunnels.example.test
  ttl: 30s
  internal-networks: [127.0.0.2/32]
  trusted-resolvers: [127.0.0.1/32, 127.0.0.2/32]
  transfer-allow: [127.0.0.3]
  rate-limit:
    ipv4-prefix: 32
  zones:
    - name: example.test
      name-servers:
        - name: ns1.example.test
          addresses: [127.0.0.1]
      soa:
        ttl: 1h
        minimum: 60s
      records:
        - \"busy 300 IN TXT \\\"keep me\\\"\"
        - \"mail 300 IN A 192.0.2.25\"
        - \"@ 300 IN MX 10 mail\"
";

pub struct DnsEdge {
    pub edge: TestEdge,
    pub tunnel: Tunnel,
    pub port: u16,
}

impl DnsEdge {
    /// An edge with `DNS_CONFIG` plus `records` (zone-file lines) in the zone, and one tunnel
    /// `t1` with no session yet.
    pub fn start(records: &[&str]) -> DnsEdge {
        let mut config = DNS_CONFIG.to_string();
        for r in records {
            config.push_str(&format!("        - \"{}\"\n", r.replace('"', "\\\"")));
        }
        Self::start_config(&config)
    }

    pub fn start_config(config: &str) -> DnsEdge {
        Self::start_on("127.0.0.1:0", config)
    }

    /// An edge whose DNS listens on `listen` (e.g. `"[::]:0"`, dual-stack).
    pub fn start_on(listen: &str, config: &str) -> DnsEdge {
        let dir = tempfile::tempdir().expect("tempdir");
        let edge = TestEdge::start_with(
            dir,
            &format!("  dns: \"{listen}\"\n  metrics: 127.0.0.1:0\n"),
            config,
            "127.0.0.1:0",
        );
        let port = edge.addr("dns").port();
        let tunnel = edge.create_tunnel("t1");
        DnsEdge { edge, tunnel, port }
    }

    pub fn endpoint(&self) -> String {
        format!("{}.tunnels.example.test.", self.tunnel.id)
    }

    /// Runs `dig @127.0.0.1 -p PORT ARGS` and returns its output.
    pub fn dig(&self, args: &[&str]) -> String {
        dig_at(self.edge.addr("dns"), args)
    }

    /// Runs `kdig @127.0.0.1 -p PORT ARGS` (also for a dual-stack listener).
    pub fn kdig(&self, args: &[&str]) -> String {
        let out = Command::new("kdig")
            .args([
                "@127.0.0.1",
                "-p",
                &self.port.to_string(),
                "+time=2",
                "+retry=1",
            ])
            .args(args)
            .output()
            .expect("run kdig (apt-get install knot-dnsutils)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Asks until the answer section of `dig NAME TYPE` contains `wanted` (the zones follow the
    /// store within a watch interval); returns the last full output.
    pub fn wait_answer(&self, name: &str, qtype: &str, wanted: &str) -> String {
        wait_answer_at(self.edge.addr("dns"), name, qtype, wanted)
    }
}

/// Runs `dig @ADDR -p PORT ARGS` (127.0.0.1 for an unspecified listener address).
pub fn dig_at(addr: SocketAddr, args: &[&str]) -> String {
    let ip = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    let out = Command::new("dig")
        .args([
            &format!("@{ip}"),
            "-p",
            &addr.port().to_string(),
            "+time=2",
            "+tries=2",
        ])
        .args(args)
        .output()
        .expect("run dig (apt-get install bind9-dnsutils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn wait_answer_at(addr: SocketAddr, name: &str, qtype: &str, wanted: &str) -> String {
    let mut out = String::new();
    eventually(&format!("{name} {qtype} answering `{wanted}`"), || {
        out = dig_at(addr, &[name, qtype]);
        if section(&out, "ANSWER").iter().any(|l| l.contains(wanted)) {
            Ok(())
        } else {
            Err(out.clone())
        }
    });
    out
}

/// Runs `check` again (every 50 ms) until it is `Ok`; after [`READY`] fails the test with `what`
/// and the last `Err` (what was seen instead). For state that reaches DNS through the store's
/// watch.
pub fn eventually(what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + READY;
    loop {
        let seen = match check() {
            Ok(()) => return,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "never happened: {what}; last seen:\n{seen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `Ok` when `dig NAME A` has status `wanted`, else the status seen.
pub fn has_status(d: &DnsEdge, name: &str, wanted: &str) -> Result<(), String> {
    let seen = status(&d.dig(&[name, "A"]));
    if seen == wanted {
        Ok(())
    } else {
        Err(format!("{name}: {seen}"))
    }
}

/// The records of one section (`ANSWER`, `AUTHORITY`, `ADDITIONAL`) of dig's output, as
/// whitespace-normalized lines.
pub fn section(dig: &str, name: &str) -> Vec<String> {
    let header = format!(";; {name} SECTION:");
    dig.lines()
        .skip_while(|l| !l.starts_with(&header))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The `status:` of dig's header line.
pub fn status(dig: &str) -> String {
    dig.split("status: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or("(no reply)")
        .to_string()
}

/// The header flags (e.g. `qr aa rd`) in dig's (`;; flags:`) or kdig's (`;; Flags:`) output.
pub fn flags(dig: &str) -> Vec<String> {
    dig.lines()
        .find_map(|l| l.strip_prefix(";; flags:").or(l.strip_prefix(";; Flags:")))
        .and_then(|l| l.split(';').next())
        .unwrap_or("")
        .split_whitespace()
        .map(String::from)
        .collect()
}
