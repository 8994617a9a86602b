//! An edge and connectors as a user runs them: config files in a temporary directory, the real
//! binaries, the real CLI.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Kept here too: tests import it from `tunnel`.
pub use crate::ports::free_port;
use crate::process::{binaries, Proc};
use crate::READY;

pub struct TestEdge {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub proc: Proc,
    /// Bound addresses by listener name (`http`, `https`, `tunnel`), read from the log.
    pub addrs: HashMap<String, SocketAddr>,
}

/// A created tunnel: its id and credentials file.
pub struct Tunnel {
    pub name: String,
    pub id: String,
    pub credentials: PathBuf,
}

impl TestEdge {
    /// Starts an edge with HTTP, HTTPS (dev CA) and tunnel listeners on port 0, plus `extra` YAML.
    pub fn start(extra: &str) -> TestEdge {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, extra, "127.0.0.1:0")
    }

    /// Starts an edge in `dir` (reusing its state) with the tunnel listener on `tunnel`.
    pub fn start_in(dir: tempfile::TempDir, extra: &str, tunnel: &str) -> TestEdge {
        Self::start_with(dir, "", extra, tunnel)
    }

    /// Like [`TestEdge::start_in`], with more listeners (`listen_extra`, indented YAML lines such
    /// as `  dns: 127.0.0.1:0\n`).
    pub fn start_with(
        dir: tempfile::TempDir,
        listen_extra: &str,
        extra: &str,
        tunnel: &str,
    ) -> TestEdge {
        let yaml = format!(
            "state-dir: state\npublic-hostname: localhost\nlisten:\n  http: 127.0.0.1:0\n  https: 127.0.0.1:0\n  tunnel: {tunnel}\n{listen_extra}tls:\n  dev-ca: true\n{extra}"
        );
        Self::start_config(dir, &yaml)
    }

    /// Starts an edge in `dir` with `yaml` as its whole edge.yml.
    /// The edge-wide request rate is off unless `yaml` sets it: load tests send thousands of
    /// requests a second from 127.0.0.1 (routes' own limits are tested in `policy.rs`).
    pub fn start_config(dir: tempfile::TempDir, yaml: &str) -> TestEdge {
        let config = dir.path().join("edge.yml");
        let mut yaml = yaml.to_string();
        if !yaml.lines().any(|l| l.starts_with("rate-limit:")) {
            if !yaml.ends_with('\n') {
                yaml.push('\n');
            }
            yaml.push_str("rate-limit:\n  requests-per-second: 0\n");
        }
        std::fs::write(&config, &yaml).expect("write edge.yml");
        let mut command = Command::new(&binaries().edge);
        command
            .current_dir(dir.path())
            .args(["run", "--config"])
            .arg(&config);
        let proc = Proc::spawn("edge", command);
        proc.wait_for("edge ready", READY);
        let re = regex::Regex::new(r"listening on (\w+) (\S+)").expect("regex");
        let addrs = proc
            .log_text()
            .lines()
            .filter_map(|l| re.captures(l))
            .filter_map(|c| Some((c[1].to_string(), c[2].parse().ok()?)))
            .collect();
        TestEdge {
            dir,
            config,
            proc,
            addrs,
        }
    }

    /// Starts a second edge sharing this one's store, as another edge on the same host does: its
    /// own directory, whose `state` is a link to this edge's state directory; `extra` YAML as
    /// for [`TestEdge::start`].
    pub fn peer(&self, extra: &str) -> TestEdge {
        self.peer_with("", extra)
    }

    /// [`TestEdge::peer`] with more listeners, as for [`TestEdge::start_with`].
    pub fn peer_with(&self, listen_extra: &str, extra: &str) -> TestEdge {
        let dir = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(self.dir.path().join("state"), dir.path().join("state"))
            .expect("link the state directory");
        Self::start_with(dir, listen_extra, extra, "127.0.0.1:0")
    }

    /// Kills the edge (as a crash would) and starts a new one on the same state and the same
    /// tunnel port, so connectors find it where they left it.
    pub fn restart(self) -> TestEdge {
        let TestEdge {
            dir,
            mut proc,
            addrs,
            ..
        } = self;
        proc.kill();
        let tunnel = addrs["tunnel"].to_string();
        Self::start_in(dir, "", &tunnel)
    }

    pub fn addr(&self, listener: &str) -> SocketAddr {
        self.addrs[listener]
    }

    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("state/ca.pem")
    }

    /// Runs `edge ARGS --config edge.yml` to completion.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(&binaries().edge)
            .current_dir(self.dir.path())
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .env("NO_COLOR", "1")
            .output()
            .expect("run edge cli")
    }

    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "edge {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn create_tunnel(&self, name: &str) -> Tunnel {
        self.create_tunnel_with(name, &[])
    }

    /// [`TestEdge::create_tunnel`] with more arguments (`--id UUID`).
    pub fn create_tunnel_with(&self, name: &str, more: &[&str]) -> Tunnel {
        let credentials = self.dir.path().join(format!("{name}.json"));
        let mut args = vec![
            "tunnel",
            "create",
            name,
            "--credentials-file",
            credentials.to_str().expect("utf-8 path"),
        ];
        args.extend(more);
        let out = self.cli_ok(&args);
        let id = out
            .split("with id ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("tunnel id in output")
            .to_string();
        Tunnel {
            name: name.into(),
            id,
            credentials,
        }
    }

    /// Starts a connector for `tunnel` and waits until this edge has registered its session
    /// (the connector's own log line comes a moment before the edge can route to it).
    pub fn connect(&self, tunnel: &Tunnel, body: &str) -> TestConnector {
        let from = self.proc.log_len();
        let connector = TestConnector::spawn(self.dir.path(), tunnel, body);
        self.wait_session(from, tunnel);
        connector
    }

    /// A tunnel ("t") whose connector sends everything to the HTTP `origin`, routed at `host`.
    pub fn serve_origin(&self, origin: std::net::SocketAddr, host: &str) -> TestConnector {
        let tunnel = self.create_tunnel("t");
        let connector = self.connect(
            &tunnel,
            &format!("ingress:\n  - service: http://{origin}\n"),
        );
        self.route(&tunnel, host);
        connector
    }

    /// Waits for a session of `tunnel` registered after log line `from`.
    pub fn wait_session(&self, from: usize, tunnel: &Tunnel) {
        self.proc.wait_for_from(
            from,
            &format!("tunnel session registered tunnel={}", tunnel.id),
            READY,
        );
    }

    /// Routes `host` to the tunnel and waits until this edge has loaded the route.
    pub fn route(&self, tunnel: &Tunnel, host: &str) -> String {
        self.route_with(tunnel, host, &[])
    }

    /// [`TestEdge::route`] with more arguments (`--direct IP`); returns what the command printed.
    pub fn route_with(&self, tunnel: &Tunnel, host: &str, more: &[&str]) -> String {
        self.route_as("dns", tunnel, host, more)
    }

    /// Writes `yaml` as HOST's policy file and runs `edge tunnel route policy HOST --file F`
    /// (or, with `None`, `--clear`), waiting until this edge has loaded the new record.
    pub fn set_policy(&self, host: &str, yaml: Option<&str>) -> String {
        let from = self.proc.log_len();
        let file = self.dir.path().join(format!("{host}.policy.yml"));
        let printed = match yaml {
            Some(yaml) => {
                std::fs::write(&file, yaml).expect("write policy file");
                let file = file.to_str().expect("utf-8 path");
                self.cli_ok(&["tunnel", "route", "policy", host, "--file", file])
            }
            None => self.cli_ok(&["tunnel", "route", "policy", host, "--clear"]),
        };
        self.proc.wait_for_from(
            from,
            &format!("route added.*hostname={}", regex::escape(host)),
            READY,
        );
        printed
    }

    /// `edge tunnel route KIND TUNNEL HOST MORE…` (`dns` or `tcp`), waiting until this edge has
    /// loaded the route; returns what the command printed.
    pub fn route_as(&self, kind: &str, tunnel: &Tunnel, host: &str, more: &[&str]) -> String {
        let from = self.proc.log_len();
        let printed = self.cli_ok(&[&["tunnel", "route", kind, &tunnel.name, host], more].concat());
        self.proc.wait_for_from(
            from,
            &format!("route added.*hostname={}", regex::escape(host)),
            READY,
        );
        printed
    }
}

impl TestEdge {
    /// `edge tunnel route tcp TUNNEL HOST --port N` on a free port, waiting until this edge
    /// listens on it; returns the public address.
    pub fn route_tcp_port(&self, tunnel: &Tunnel, host: &str) -> SocketAddr {
        let port = free_port();
        let from = self.proc.log_len();
        self.cli_ok(&[
            "tunnel",
            "route",
            "tcp",
            &tunnel.name,
            host,
            "--port",
            &port.to_string(),
        ]);
        let line = self.proc.wait_for_from(
            from,
            &format!(
                r"listening on tcp \S+:{port}\b.*hostname={}",
                regex::escape(host)
            ),
            READY,
        );
        // And the route table has it, so a later change is not mistaken for this one.
        self.proc.wait_for_from(
            from,
            &format!("route added.*hostname={}", regex::escape(host)),
            READY,
        );
        let re = regex::Regex::new(r"listening on tcp (\S+)").expect("regex");
        re.captures(&line)
            .and_then(|c| c[1].parse().ok())
            .expect("listening address")
    }
}

impl TestEdge {
    /// Starts `connector access tcp --hostname HOST --url 127.0.0.1:0` against this edge's HTTPS
    /// port (trusting its dev CA) with `more` arguments; returns it and its local address.
    pub fn access(&self, host: &str, more: &[&str]) -> (Proc, SocketAddr) {
        let https = self.addr("https").to_string();
        let mut command = Command::new(&binaries().connector);
        command
            .args(["access", "tcp", "--hostname", host, "--url", "127.0.0.1:0"])
            .args(["--edge", &https, "--ca"])
            .arg(self.ca_pem())
            .args(more);
        let proc = Proc::spawn("access", command);
        let line = proc.wait_for(r"listening on tcp \S+", READY);
        let addr = regex::Regex::new(r"listening on tcp (\S+)")
            .expect("regex")
            .captures(&line)
            .and_then(|c| c[1].parse().ok())
            .expect("access address");
        (proc, addr)
    }
}

pub struct TestConnector {
    pub config: PathBuf,
    pub proc: Proc,
}

impl TestConnector {
    /// Starts `connector run` with a tunnel.yml made of the credentials line and `body` (the
    /// ingress rules and anything else), without waiting for a session.
    pub fn spawn(dir: &Path, tunnel: &Tunnel, body: &str) -> TestConnector {
        let config = dir.join(format!(
            "tunnel-{}-{}.yml",
            tunnel.name,
            uuid::Uuid::new_v4()
        ));
        let yaml = format!(
            "tunnel: {}\ncredentials-file: {}\n{body}",
            tunnel.id,
            tunnel.credentials.display()
        );
        std::fs::write(&config, yaml).expect("write tunnel.yml");
        let mut command = Command::new(&binaries().connector);
        command.args(["run", "--config"]).arg(&config);
        TestConnector {
            proc: Proc::spawn("connector", command),
            config,
        }
    }

    /// The `IP:PORT` of the connector's `/metrics`, `/ready` and `/healthz`, from its log.
    pub fn status_address(&self) -> String {
        let line = self
            .proc
            .wait_for("serving /metrics, /ready and /healthz", READY);
        line.split("address=")
            .nth(1)
            .and_then(|a| a.split_whitespace().next())
            .expect("address in the log line")
            .to_string()
    }

    /// Starts the connector and waits until its session is registered.
    pub fn start(dir: &Path, tunnel: &Tunnel, body: &str) -> TestConnector {
        let c = Self::spawn(dir, tunnel, body);
        c.proc.wait_for("tunnel session registered", READY);
        c
    }
}

/// An edge with one tunnel routed for `host`, and a connector with `ingress` running for it.
pub struct Setup {
    pub edge: TestEdge,
    pub tunnel: Tunnel,
    pub connector: TestConnector,
}

impl Setup {
    pub fn new(edge_extra: &str, hosts: &[&str], ingress: &str) -> Setup {
        let edge = TestEdge::start(edge_extra);
        let tunnel = edge.create_tunnel("t1");
        for host in hosts {
            edge.route(&tunnel, host);
        }
        let connector = edge.connect(&tunnel, ingress);
        Setup {
            edge,
            tunnel,
            connector,
        }
    }
}
