//! The origins every scenario measures against: nginx (Debian) serving a small file and a big one
//! over HTTP/1.1 and over TLS with HTTP/2, with an upload location that discards bodies; an
//! iperf3 server for raw TCP; and a WebSocket echo server (in-process) for idle streams.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use tests::process::Proc;
use tests::tunnel::free_port;

/// The size of the small file: a typical API answer.
pub const SMALL: usize = 200;

/// A self-signed certificate for the benchmark's hostnames, used by nginx and by the edge, so a
/// client without SNI (wrk, h2load against an IP) is served it.
pub struct Cert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Cert {
    pub fn new(dir: &Path, names: &[&str]) -> anyhow::Result<Cert> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let generated = rcgen::generate_simple_self_signed(names)?;
        let cert = dir.join("bench.crt");
        let key = dir.join("bench.key");
        std::fs::write(&cert, generated.cert.pem())?;
        std::fs::write(&key, generated.signing_key.serialize_pem())?;
        Ok(Cert { cert, key })
    }
}

pub struct Nginx {
    pub http: SocketAddr,
    pub https: SocketAddr,
    proc: Proc,
}

impl Nginx {
    /// Starts nginx in `dir` (its files, logs and config) with a `big.bin` of `big` bytes.
    pub fn start(dir: &Path, cert: &Cert, big: u64) -> anyhow::Result<Nginx> {
        which("nginx", "nginx")?;
        let www = dir.join("www");
        std::fs::create_dir_all(&www)?;
        std::fs::create_dir_all(dir.join("logs"))?;
        std::fs::write(www.join("small.txt"), "x".repeat(SMALL))?;
        // Sparse: nginx serves it with sendfile, so the direct path costs no disk.
        std::fs::File::create(www.join("big.bin"))?.set_len(big)?;
        // What the noisy-neighbour scenario's victim downloads.
        std::fs::File::create(www.join("four.bin"))?.set_len(4 << 20)?;
        // nginx workers run as nobody and must read the files.
        set_mode(dir, 0o755)?;
        set_mode(&www, 0o755)?;
        let (http, https) = (free_port(), free_port());
        let d = dir.display();
        let conf = format!(
            r#"worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  sendfile on;
  client_body_temp_path {d}/logs;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{http};
    listen 127.0.0.1:{https} ssl http2;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    root {d}/www;
    location /upload {{ client_max_body_size 0; return 204; }}
  }}
}}
"#,
            cert = cert.cert.display(),
            key = cert.key.display(),
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf)?;
        let mut command = Command::new("nginx");
        command.arg("-c").arg(&path).arg("-p").arg(dir);
        let proc = Proc::spawn("nginx", command);
        let http = SocketAddr::from(([127, 0, 0, 1], http));
        let https = SocketAddr::from(([127, 0, 0, 1], https));
        wait_listening(http)?;
        wait_listening(https)?;
        Ok(Nginx { http, https, proc })
    }

    /// The master and its workers.
    pub fn pids(&self) -> Vec<u32> {
        crate::cost::with_children(self.proc.pid())
    }
}

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers (a killed master leaves them running).
    fn drop(&mut self) {
        let pid = self.proc.pid().to_string();
        if Command::new("kill").args(["-TERM", &pid]).status().is_ok() {
            self.proc.wait_exit(tests::READY);
        }
    }
}

pub struct Iperf {
    pub addr: SocketAddr,
    _proc: Proc,
}

impl Iperf {
    pub fn start() -> anyhow::Result<Iperf> {
        which("iperf3", "iperf3")?;
        let port = free_port();
        let mut command = Command::new("iperf3");
        command.args(["-s", "-B", "127.0.0.1", "-p", &port.to_string()]);
        let proc = Proc::spawn("iperf3", command);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_listening(addr)?;
        Ok(Iperf { addr, _proc: proc })
    }
}

/// The harness runs itself with this argument to be the WebSocket echo origin.
pub const WS_ECHO_MODE: &str = "ws-echo-origin";

/// A WebSocket echo origin in a process of its own: 10,000 idle streams are 10,000 sockets on
/// each side, and with the clients in the harness they would pass one process's file limit.
pub struct WsEcho {
    pub addr: SocketAddr,
    _proc: Proc,
}

impl WsEcho {
    pub fn start() -> anyhow::Result<WsEcho> {
        let proc = Proc::spawn("ws-echo", {
            let mut c = Command::new(std::env::current_exe()?);
            c.arg(WS_ECHO_MODE);
            c
        });
        let line = proc.wait_for(r"listening on \S+", tests::READY);
        let addr = line
            .rsplit(' ')
            .next()
            .and_then(|a| a.parse().ok())
            .context("ws-echo address")?;
        Ok(WsEcho { addr, _proc: proc })
    }
}

/// The body of the ws-echo process (see [`WsEcho`]).
pub fn ws_echo_process() -> anyhow::Result<()> {
    let _ = rlimit::increase_nofile_limit(1 << 20);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let addr = tests::origin::websocket_echo().await;
            eprintln!("listening on {addr}");
            std::future::pending::<()>().await;
        });
    Ok(())
}

/// Fails with the install line when `tool` is missing.
pub fn which(tool: &str, package: &str) -> anyhow::Result<()> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
        .unwrap_or(false);
    anyhow::ensure!(
        found || Path::new("/usr/sbin").join(tool).is_file(),
        "the benchmark needs {tool}: apt-get install {package}"
    );
    Ok(())
}

/// Waits (bounded) until something accepts connections on `addr`; for programs that print no
/// readiness line.
pub fn wait_listening(addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + tests::READY;
    while std::net::TcpStream::connect(addr).is_err() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "nothing listens on {addr}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}
