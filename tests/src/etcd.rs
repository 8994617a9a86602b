//! A real etcd cluster (Debian's `etcd-server`, etcd 3.4) for the tests: members on 127.0.0.1
//! with free ports, data in /dev/shm (etcd 3.4 cannot skip fsync, and a tmpfs makes it cheap).
//! Members can be killed, stopped and started again; the cluster is removed when dropped.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::ports::free_port;
use crate::process::Proc;
use crate::READY;

/// One member: its ports, its data, and its process while it runs.
struct Member {
    name: String,
    client: u16,
    peer: u16,
    proc: Option<Proc>,
}

/// TLS on the client port: the server's certificate and key, and the certificate a client must
/// present (etcd's `--client-cert-auth`), all PEM files.
#[derive(Clone)]
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
    /// What etcdctl presents.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

pub struct EtcdCluster {
    members: Vec<Member>,
    tls: Option<ServerTls>,
    data: tempfile::TempDir,
    initial: String,
    token: String,
    /// One cluster at a time per test process: tests of one binary run in parallel, and several
    /// etcd clusters would compete for the two cores and miss their elections. Last, so it is
    /// released after the members (dropped first) are gone.
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl EtcdCluster {
    /// Starts `n` members and waits until the cluster has a leader.
    pub fn start(n: usize) -> EtcdCluster {
        Self::start_with(n, None)
    }

    /// Starts `n` members serving clients over TLS with client certificates.
    pub fn start_tls(n: usize, tls: ServerTls) -> EtcdCluster {
        Self::start_with(n, Some(tls))
    }

    fn start_with(n: usize, tls: Option<ServerTls>) -> EtcdCluster {
        static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let members: Vec<Member> = (0..n)
            .map(|i| Member {
                name: format!("m{i}"),
                client: free_port(),
                peer: free_port(),
                proc: None,
            })
            .collect();
        let initial = members
            .iter()
            .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer))
            .collect::<Vec<_>>()
            .join(",");
        let data = tempfile::Builder::new()
            .prefix("tether-etcd-")
            .tempdir_in(if std::path::Path::new("/dev/shm").is_dir() {
                "/dev/shm"
            } else {
                "/tmp"
            })
            .expect("etcd data dir");
        let mut cluster = EtcdCluster {
            _turn: turn,
            members,
            tls,
            data,
            initial,
            token: format!("tether-test-{}", uuid::Uuid::new_v4().simple()),
        };
        for i in 0..n {
            cluster.start_member(i);
        }
        cluster.wait_healthy();
        cluster
    }

    fn dir(&self, i: usize) -> PathBuf {
        self.data.path().join(&self.members[i].name)
    }

    /// Starts member `i` (again: its data directory keeps its identity).
    pub fn start_member(&mut self, i: usize) {
        let (name, client, peer) = {
            let m = &self.members[i];
            (m.name.clone(), m.client, m.peer)
        };
        let mut command = Command::new("etcd");
        command.args([
            "--name",
            &name,
            "--data-dir",
            &self.dir(i).display().to_string(),
            "--listen-client-urls",
            &format!("{}://127.0.0.1:{client}", self.scheme()),
            "--advertise-client-urls",
            &format!("{}://127.0.0.1:{client}", self.scheme()),
            "--listen-peer-urls",
            &format!("http://127.0.0.1:{peer}"),
            "--initial-advertise-peer-urls",
            &format!("http://127.0.0.1:{peer}"),
            "--initial-cluster",
            &self.initial,
            "--initial-cluster-token",
            &self.token,
            "--initial-cluster-state",
            "new",
            "--heartbeat-interval",
            "100",
            "--election-timeout",
            "1000",
        ]);
        if let Some(tls) = &self.tls {
            command
                .arg("--cert-file")
                .arg(&tls.cert)
                .arg("--key-file")
                .arg(&tls.key)
                .arg("--client-cert-auth")
                .arg("--trusted-ca-file")
                .arg(&tls.client_ca);
        }
        let proc = Proc::spawn(&format!("etcd-{name}"), command);
        self.members[i].proc = Some(proc);
    }

    fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// `http://127.0.0.1:PORT` (or https) of every member.
    pub fn endpoints(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| format!("{}://127.0.0.1:{}", self.scheme(), m.client))
            .collect()
    }

    /// The `store:` section of an edge.yml for this cluster.
    pub fn store_yaml(&self, prefix: &str, lease_ttl: &str) -> String {
        format!(
            "store:\n  etcd:\n    endpoints: [{}]\n    prefix: {prefix}\n    lease-ttl: {lease_ttl}\n",
            self.endpoints().join(", ")
        )
    }

    fn etcdctl(&self, endpoints: &[String], args: &[&str]) -> Option<String> {
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args(["--endpoints", &endpoints.join(","), "--command-timeout=2s"])
            .args(self.tls.iter().flat_map(|t| {
                [
                    format!("--cacert={}", t.cert.display()),
                    format!("--cert={}", t.client_cert.display()),
                    format!("--key={}", t.client_key.display()),
                ]
            }))
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits (bounded) until every running member reports itself healthy, which needs a leader.
    pub fn wait_healthy(&self) {
        let running: Vec<String> = self
            .members
            .iter()
            .filter(|m| m.proc.is_some())
            .map(|m| format!("{}://127.0.0.1:{}", self.scheme(), m.client))
            .collect();
        let deadline = Instant::now() + READY;
        loop {
            if self
                .etcdctl(&running, &["endpoint", "health", "--cluster=false"])
                .is_some()
            {
                return;
            }
            assert!(Instant::now() < deadline, "etcd did not become healthy");
            // etcdctl has no "wait until healthy"; each try is bounded by its command timeout.
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The index of the member that is the leader now.
    pub fn leader(&self) -> usize {
        let deadline = Instant::now() + READY;
        loop {
            for (i, m) in self.members.iter().enumerate() {
                let endpoint = [format!("{}://127.0.0.1:{}", self.scheme(), m.client)];
                let Some(json) = self.etcdctl(&endpoint, &["endpoint", "status", "-w", "json"])
                else {
                    continue;
                };
                let status: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
                let status = &status[0]["Status"];
                if status["header"]["member_id"] == status["leader"] && !status["leader"].is_null()
                {
                    return i;
                }
            }
            assert!(Instant::now() < deadline, "etcd has no leader");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// kill -9 of member `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut proc) = self.members[i].proc.take() {
            proc.signal("KILL");
            let _ = proc.wait_exit(READY);
        }
    }

    /// Stops every member (SIGKILL: what a power cut does).
    pub fn kill_all(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }

    /// Starts every stopped member and waits for a healthy cluster.
    pub fn start_all(&mut self) {
        for i in 0..self.members.len() {
            if self.members[i].proc.is_none() {
                self.start_member(i);
            }
        }
        self.wait_healthy();
    }
}

/// A TCP relay in front of an etcd member that the test can cut: the edge's connections to etcd
/// drop and new ones are refused, while the test still reaches etcd directly.
pub struct Relay {
    pub addr: std::net::SocketAddr,
    target: std::net::SocketAddr,
    running: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Relay {
    pub async fn start(target: &str) -> Relay {
        let target = target
            .trim_start_matches("http://")
            .parse()
            .expect("etcd address");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind relay");
        let relay = Relay {
            addr: listener.local_addr().expect("relay address"),
            target,
            running: std::sync::Mutex::new(None),
        };
        relay.run(listener);
        relay
    }

    fn run(&self, listener: tokio::net::TcpListener) {
        let target = self.target;
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        *self.running.lock().expect("relay lock") = Some(task);
    }

    /// Drops every relayed connection and stops listening.
    pub fn cut(&self) {
        if let Some(task) = self.running.lock().expect("relay lock").take() {
            // Aborting the accept loop drops the listener and, with the JoinSet, every connection.
            task.abort();
        }
    }

    /// Listens again on the same address.
    pub async fn restore(&self) {
        let deadline = Instant::now() + READY;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                // The aborted listener may take a moment to be dropped.
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.addr),
            }
        };
        self.run(listener);
    }
}
