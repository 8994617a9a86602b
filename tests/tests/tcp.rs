//! Raw TCP through a public TCP port (`edge tunnel route tcp … --port N`): half-close both ways,
//! aborts both ways, a real redis-cli against redis-server, 1 GB of iperf3, and 1,000
//! connections held open at once.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

use tests::tcp::{abort, next_report, read_all, scenario_origin};
use tests::tunnel::{free_port, TestConnector, TestEdge};
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An edge, a tunnel whose connector sends `host` to the TCP service `origin`, and the public
/// port routed to it.
struct TcpSetup {
    _edge: TestEdge,
    _connector: TestConnector,
    public: SocketAddr,
}

fn tcp_setup(host: &str, service: &str) -> TcpSetup {
    tcp_setup_with("", host, service)
}

/// [`tcp_setup`] with more edge.yml (`edge_extra`).
fn tcp_setup_with(edge_extra: &str, host: &str, service: &str) -> TcpSetup {
    let edge = TestEdge::start(edge_extra);
    let tunnel = edge.create_tunnel("tcp");
    let connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - hostname: {host}\n    service: {service}\n  - service: http_status:404\n"),
    );
    let public = edge.route_tcp_port(&tunnel, host);
    TcpSetup {
        _edge: edge,
        _connector: connector,
        public,
    }
}

#[tokio::test]
async fn half_close_and_abort_travel_both_ways() {
    let (origin, mut reports) = scenario_origin().await;
    let s = tcp_setup("echo.example.test", &format!("tcp://{origin}"));

    // Client FIN reaches the origin, whose answer still comes back after it.
    let mut tcp = TcpStream::connect(s.public).await.unwrap();
    tcp.write_all(b"Ahello").await.unwrap();
    tcp.shutdown().await.unwrap();
    assert_eq!(read_all(&mut tcp).await.unwrap(), "got 5");

    // Origin FIN reaches the client, which can still send afterwards.
    let mut tcp = TcpStream::connect(s.public).await.unwrap();
    tcp.write_all(b"B").await.unwrap();
    assert_eq!(read_all(&mut tcp).await.unwrap(), "banner");
    tcp.write_all(b"late data").await.unwrap();
    tcp.shutdown().await.unwrap();
    assert_eq!(next_report(&mut reports).await, "B:late data");

    // A client RST reaches the origin as a reset, not as a clean end.
    let mut tcp = TcpStream::connect(s.public).await.unwrap();
    tcp.write_all(b"C").await.unwrap();
    let mut ready = [0u8; 5];
    tcp.read_exact(&mut ready).await.unwrap();
    assert_eq!(&ready, b"ready");
    abort(tcp);
    assert_eq!(next_report(&mut reports).await, "C:reset");

    // An origin RST reaches the client as a reset.
    let mut tcp = TcpStream::connect(s.public).await.unwrap();
    tcp.write_all(b"D").await.unwrap();
    let err = read_all(&mut tcp).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");

    // None of that disturbed the tunnel: a new connection still works.
    let mut tcp = TcpStream::connect(s.public).await.unwrap();
    tcp.write_all(b"Aagain").await.unwrap();
    tcp.shutdown().await.unwrap();
    assert_eq!(read_all(&mut tcp).await.unwrap(), "got 5");
}

#[tokio::test]
async fn a_reset_after_the_origins_fin_still_reaches_the_edge() {
    // The origin sends its banner and FIN; the client reads it and then sits quietly with its
    // own half open. The connector's idle timeout then resets the stream: the edge must notice
    // although nothing polls that stream's receiving half any more, and free the connection.
    let (origin, mut reports) = scenario_origin().await;
    let edge = TestEdge::start("");
    let tunnel = edge.create_tunnel("tcp");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - hostname: quiet.example.test\n    service: tcp://{origin}\n    originRequest:\n      tcpIdleTimeout: 1s\n  - service: http_status:404\n"),
    );
    let public = edge.route_tcp_port(&tunnel, "quiet.example.test");
    let from = edge.proc.log_len();
    let mut tcp = TcpStream::connect(public).await.unwrap();
    tcp.write_all(b"B").await.unwrap();
    assert_eq!(read_all(&mut tcp).await.unwrap(), "banner");
    assert!(next_report(&mut reports).await.starts_with("B:error"));
    edge.proc.wait_for_from(
        from,
        "hostname=\"?quiet.example.test.*ended=PeerAborted",
        READY,
    );
}

#[tokio::test]
async fn thousand_connections_open_at_once_then_all_echo() {
    const N: usize = 1000;
    rlimit::increase_nofile_limit(16_384).unwrap();
    let (origin, mut reports) = scenario_origin().await;
    // Every connection comes from 127.0.0.1: past the default 256 per address.
    let s = tcp_setup_with(
        "max-connections-per-ip: 2000\n",
        "many.example.test",
        &format!("tcp://{origin}"),
    );
    let mut conns = Vec::with_capacity(N);
    for _ in 0..N {
        let mut tcp = TcpStream::connect(s.public).await.unwrap();
        tcp.write_all(b"E").await.unwrap();
        conns.push(tcp);
    }
    // The barrier: every connection is open end to end before any echoes.
    for _ in 0..N {
        assert_eq!(next_report(&mut reports).await, "E:open");
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, mut tcp)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let message = format!("connection {i} says hello");
                tcp.write_all(message.as_bytes()).await.unwrap();
                tcp.shutdown().await.unwrap();
                assert_eq!(read_all(&mut tcp).await.unwrap(), message);
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(READY, task).await.unwrap().unwrap();
    }
}

/// Runs a command to completion (bounded), returning stdout; panics with its output if it fails.
fn run(command: &mut Command) -> String {
    let output = command.output().expect("spawn");
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A child process killed when the test ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `check` until it succeeds (bounded by [`READY`]).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + READY;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not happen in time"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_cli_through_a_public_port() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let _redis = Child(
        Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server)"),
    );
    let direct = port.to_string();
    eventually("redis-server answering", || {
        Command::new("redis-cli")
            .args(["-p", &direct, "ping"])
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"PONG"))
    });
    let s = tcp_setup("redis.example.test", &format!("tcp://127.0.0.1:{port}"));
    let public = s.public.port().to_string();
    let cli = |args: &[&str]| {
        run(Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &public])
            .args(args))
    };
    assert_eq!(
        cli(&["set", "greeting", "hello through the tunnel"]).trim(),
        "OK"
    );
    assert_eq!(cli(&["get", "greeting"]).trim(), "hello through the tunnel");
    // 1 MiB through stdin (`-x`): too long for an argument.
    let mut set = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &public, "-x", "set", "big"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut set.stdin.take().unwrap(),
        "x".repeat(1 << 20).as_bytes(),
    )
    .unwrap();
    let out = set.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");
    assert_eq!(cli(&["strlen", "big"]).trim(), (1 << 20).to_string());
}

/// The largest a TCP socket's send (`tcp_wmem`) or receive (`tcp_rmem`) buffer may grow to.
fn kernel_buffer_max(which: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/sys/net/ipv4/{which}"))
        .ok()
        .and_then(|t| t.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(6 << 20)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_gigabyte_of_iperf3() {
    let port = free_port();
    let _server = Child(
        Command::new("iperf3")
            .args(["-s", "-1", "-B", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("iperf3 (apt-get install iperf3)"),
    );
    let s = tcp_setup("iperf.example.test", &format!("tcp://127.0.0.1:{port}"));
    let out = run(Command::new("iperf3").args([
        "-c",
        "127.0.0.1",
        "-p",
        &s.public.port().to_string(),
        "-n",
        "1G",
        "-J",
        "--connect-timeout",
        "10000",
    ]));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sent = report["end"]["sum_sent"]["bytes"].as_u64().unwrap();
    let received = report["end"]["sum_received"]["bytes"].as_u64().unwrap();
    assert_eq!(sent, 1 << 30, "{out}");
    // iperf3's receiver stops counting (and closes) when the client's TEST_END arrives on the
    // control connection, which can overtake data still in flight on the data connection: at
    // most one stream window (4 MiB) plus the socket buffers on either side of the tunnel, as
    // large as the kernel lets them grow (`tcp_wmem`, `tcp_rmem`: 4 MiB and 32 MiB on the CI
    // machine, where a fixed 8 MiB bound was once exceeded by 0.2 MiB). The exact count is
    // checked by `one_gigabyte_counted_exactly`, whose receiver reads to EOF.
    let in_flight = (1u64 << 30) - received;
    let bound = u64::from(tether_transport::tuning::STREAM_WINDOW)
        + kernel_buffer_max("tcp_wmem")
        + kernel_buffer_max("tcp_rmem");
    assert!(
        in_flight <= bound,
        "{in_flight} bytes (of at most {bound}) not counted by iperf3: {out}"
    );
}

#[tokio::test]
async fn one_gigabyte_counted_exactly() {
    let (origin, _reports) = scenario_origin().await;
    let s = tcp_setup("count.example.test", &format!("tcp://{origin}"));
    let mut tcp = TcpStream::connect(s.public).await.unwrap();
    tcp.write_all(b"F").await.unwrap();
    let chunk = vec![0x5au8; 1 << 20];
    for _ in 0..1024 {
        tcp.write_all(&chunk).await.unwrap();
    }
    tcp.shutdown().await.unwrap();
    assert_eq!(read_all(&mut tcp).await.unwrap(), (1u64 << 30).to_string());
}

#[tokio::test]
async fn a_tcp_port_obeys_client_ip_rules_and_closes_a_connection_idle_for_stream_idle_timeout() {
    let (origin, mut reports) = scenario_origin().await;
    let host = "rules.example.test";
    let s = tcp_setup_with(
        "stream-idle-timeout: 1s\n",
        host,
        &format!("tcp://{origin}"),
    );
    s._edge
        .set_policy(host, Some("client-ip-rules:\n  - deny: [127.0.0.2]\n"));

    // Denied: closed before anything reaches the tunnel.
    let from = s._edge.proc.log_len();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    // The edge may close it so fast that the reset arrives before `connect` has returned.
    match socket.connect(s.public).await {
        Ok(mut denied) => {
            let _ = denied.write_all(b"E").await;
            let mut rest = Vec::new();
            let read = tokio::time::timeout(READY, denied.read_to_end(&mut rest)).await;
            assert!(read.expect("closed in time").is_err() || rest.is_empty());
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    s._edge
        .proc
        .wait_for_from(from, "TCP connection refused.*client-ip-rules", READY);

    // Allowed, then quiet: the edge closes it after about a second. The denied connection
    // never reached the origin: this is its only report.
    let mut quiet = TcpStream::connect(s.public).await.unwrap();
    quiet.write_all(b"E").await.unwrap();
    assert_eq!(next_report(&mut reports).await, "E:open");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(READY, quiet.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the idle connection was closed");
    assert!(
        reports.try_recv().is_err(),
        "one connection reached the origin"
    );
}
