//! The load generators, each a real client from Debian run to completion and its output parsed:
//! wrk (HTTP/1.1 requests/s), h2load (HTTP/2 requests/s, and per-request latencies from its log
//! file at one connection or at a fixed rate), curl (bulk MB/s) and iperf3 (raw TCP Gbit/s).
//! Each fails loudly when the tool saw an error, so no figure comes from failed requests.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Context};

/// Where a load goes: the address, and the hostname to present (Host / `:authority`).
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
    pub tls: bool,
}

impl Target {
    fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }
}

fn run(command: &mut Command) -> anyhow::Result<String> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        out.status.success(),
        "{command:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(stdout)
}

/// `wrk -t2 -c50`: requests/s for the small file.
pub fn wrk(target: &Target, time: Duration) -> anyhow::Result<f64> {
    Ok(wrk_counted(target, time)?.0)
}

/// `wrk -t2 -c50`: requests/s for the small file, and how many requests were answered.
pub fn wrk_counted(target: &Target, time: Duration) -> anyhow::Result<(f64, u64)> {
    let out = run(Command::new("wrk")
        .args(["-t2", "-c50", &format!("-d{}s", time.as_secs().max(1))])
        .args(["-H", &format!("Host: {}", target.host)])
        .arg(target.url("/small.txt")))?;
    ensure!(
        !out.contains("Non-2xx") && !out.contains("Socket errors"),
        "wrk saw errors against {}:\n{out}",
        target.url("")
    );
    // "  523456 requests in 10.00s, 212.34MB read"
    let requests = out
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.parse().ok())
        .with_context(|| format!("no request count in:\n{out}"))?;
    Ok((number_after(&out, "Requests/sec:")?, requests))
}

/// `h2load` over HTTP/2 (TLS, ALPN h2), 50 connections with 10 streams each: requests/s.
pub fn h2load_rps(target: &Target, time: Duration) -> anyhow::Result<f64> {
    let out = run(Command::new("h2load")
        .args([
            "-t2",
            "-c50",
            "-m10",
            "-D",
            &time.as_secs().max(1).to_string(),
        ])
        .args(["-H", &format!(":authority: {}", target.host)])
        .arg(target.url("/small.txt")))?;
    h2load_check(&out)?;
    // "finished in 10.00s, 41234.50 req/s, 12.3MB/s"
    let line = out
        .lines()
        .find(|l| l.starts_with("finished in"))
        .context("h2load printed no result")?;
    let rps = line
        .split(", ")
        .find(|part| part.ends_with("req/s"))
        .and_then(|part| part.trim_end_matches(" req/s").parse().ok())
        .context("no req/s in h2load's result")?;
    Ok(rps)
}

/// Every request h2load made succeeded with a 2xx.
fn h2load_check(out: &str) -> anyhow::Result<()> {
    // "requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored, 0 timeout"
    // "status codes: 1000 2xx, 0 3xx, 0 4xx, 0 5xx"
    let requests = out
        .lines()
        .find(|l| l.starts_with("requests:"))
        .context("h2load printed no request counts")?;
    let field = |line: &str, name: &str| -> Option<u64> {
        line.split(", ").find(|p| p.ends_with(name)).and_then(|p| {
            p.trim_start_matches("requests: ")
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
    };
    let done = field(requests, "done").unwrap_or(0);
    let failed = field(requests, "failed").unwrap_or(1);
    let errored = field(requests, "errored").unwrap_or(1);
    // Requests cut off when the time was up may count in the statuses but not as done.
    let status = out
        .lines()
        .find(|l| l.starts_with("status codes:"))
        .unwrap_or("");
    let not_2xx: u64 = status
        .trim_start_matches("status codes: ")
        .split(", ")
        .filter(|p| !p.ends_with("2xx"))
        .filter_map(|p| p.split(' ').next()?.parse::<u64>().ok())
        .sum();
    ensure!(
        done > 0 && failed == 0 && errored == 0 && not_2xx == 0 && !status.is_empty(),
        "h2load saw failures:\n{out}"
    );
    Ok(())
}

/// Per-request latencies in µs over HTTP/1.1 with `clients` connections, as fast as they go
/// (`rate` None) or at a fixed total rate (`h2load --rps`, per client). From h2load's log file.
pub fn latencies(
    target: &Target,
    clients: u32,
    rate: Option<f64>,
    time: Duration,
    log: &std::path::Path,
) -> anyhow::Result<Vec<f64>> {
    // h2load appends to its log file.
    let _ = std::fs::remove_file(log);
    let mut command = Command::new("h2load");
    command
        .args(["--h1", "-c", &clients.to_string(), "-m1"])
        .args(["-D", &time.as_secs().max(1).to_string()])
        // `:authority` is h2load's Host in HTTP/1.1 too (a `host:` header would be a second one).
        .args(["-H", &format!(":authority: {}", target.host)])
        .arg("--log-file")
        .arg(log);
    if let Some(rate) = rate {
        command.args(["--rps", &format!("{:.2}", rate / clients as f64)]);
    }
    let out = run(command.arg(target.url("/small.txt")))?;
    h2load_check(&out)?;
    // Lines: start time (µs since the epoch), status, µs until the end of the response.
    let text = std::fs::read_to_string(log)?;
    let mut micros = Vec::new();
    for line in text.lines() {
        let mut cols = line.split('\t');
        let (_, status, took) = (cols.next(), cols.next(), cols.next());
        let status: u16 = status.and_then(|s| s.parse().ok()).unwrap_or(0);
        ensure!(
            (200..300).contains(&status),
            "h2load logged status {status}"
        );
        micros.push(
            took.and_then(|t| t.parse().ok())
                .context("bad h2load log line")?,
        );
    }
    ensure!(!micros.is_empty(), "h2load logged no requests");
    Ok(micros)
}

/// p50 and p99 in µs at a fixed total rate from oha (`cargo install oha`): `-q` paces the
/// requests one by one over the clients, and `--latency-correction` measures each from the
/// moment it was due, so a stall shows in the figures rather than lowering the rate.
pub fn oha_fixed_rate(
    oha: &std::path::Path,
    target: &Target,
    clients: u32,
    rate: f64,
    time: Duration,
) -> anyhow::Result<(f64, f64)> {
    let out = run(Command::new(oha)
        .args(["-c", &clients.to_string(), "-q", &format!("{rate:.0}")])
        .args(["-z", &format!("{}s", time.as_secs().max(1))])
        .args([
            "--latency-correction",
            "--no-tui",
            "--output-format",
            "json",
        ])
        .args(["-H", &format!("Host: {}", target.host)])
        .arg(target.url("/small.txt")))?;
    let report: serde_json::Value =
        serde_json::from_str(&out).with_context(|| format!("oha printed no JSON: {out}"))?;
    // Requests still in flight when the time is up are cut off; anything else is a failure.
    let errors: u64 = report["errorDistribution"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(cause, _)| *cause != "aborted due to deadline")
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    let statuses = report["statusCodeDistribution"]
        .as_object()
        .context("oha reported no statuses")?;
    ensure!(
        errors == 0 && !statuses.is_empty() && statuses.keys().all(|s| s.starts_with('2')),
        "oha saw failures: {}",
        report["errorDistribution"]
    );
    let micros = |p: &str| {
        report["latencyPercentiles"][p]
            .as_f64()
            .map(|s| s * 1e6)
            .with_context(|| format!("oha reported no {p}"))
    };
    Ok((micros("p50")?, micros("p99")?))
}

/// The `p`-th percentile (0–100) of `values`, nearest rank.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// A `curl` download of `/big.bin`: MB/s.
pub fn download(target: &Target) -> anyhow::Result<f64> {
    let out = run(Command::new("curl")
        .args(["-sS", "-f", "-k", "-o", "/dev/null"])
        .args(["-H", &format!("Host: {}", target.host)])
        .args(["-w", "%{speed_download} %{size_download}"])
        .arg(target.url("/big.bin")))?;
    speed(&out)
}

/// A `curl` download of `path`: the seconds until the first byte of the answer, and until the
/// last.
pub fn fetch_seconds(target: &Target, path: &str) -> anyhow::Result<(f64, f64)> {
    let out = run(Command::new("curl")
        .args(["-sS", "-f", "-k", "-o", "/dev/null"])
        .args(["-H", &format!("Host: {}", target.host)])
        .args(["-w", "%{time_starttransfer} %{time_total}"])
        .arg(target.url(path)))?;
    let mut times = out.split_whitespace().map(str::parse::<f64>);
    match (times.next(), times.next()) {
        (Some(Ok(first)), Some(Ok(last))) => Ok((first, last)),
        _ => anyhow::bail!("curl printed no times: {out}"),
    }
}

/// A `curl` upload of `file` to `/upload`: MB/s.
pub fn upload(target: &Target, file: &std::path::Path) -> anyhow::Result<f64> {
    let out = run(Command::new("curl")
        .args(["-sS", "-f", "-k", "-o", "/dev/null", "-T"])
        .arg(file)
        .args(["-H", &format!("Host: {}", target.host)])
        .args(["-w", "%{speed_upload} %{size_upload}"])
        .arg(target.url("/upload")))?;
    speed(&out)
}

fn speed(out: &str) -> anyhow::Result<f64> {
    let mut parts = out.split_whitespace();
    let bytes_per_s: f64 = parts.next().context("no speed")?.parse()?;
    let size: f64 = parts.next().context("no size")?.parse()?;
    ensure!(size > 0.0, "curl moved no bytes");
    Ok(bytes_per_s / 1e6)
}

/// iperf3 client with `streams` parallel streams for `time`: Gbit/s received.
///
/// iperf3's server runs one test at a time and turns away a client that arrives while it is still
/// finishing the previous test, closing the socket unread (the client sees "busy" or a reset).
/// Through a tunnel the next client's connection can reach the server before the previous
/// client's last control message does, since they travel on different streams; CI saw this once
/// in about forty runs. So a test turned away before it started is tried again after a growing
/// pause (the server gives no other sign that it is idle); a failure once data flowed is not.
pub fn iperf(addr: SocketAddr, streams: u32, time: Duration) -> anyhow::Result<f64> {
    const TRIES: u32 = 6;
    let mut tries = 0;
    loop {
        tries += 1;
        match iperf_once(addr, streams, time) {
            Err(IperfError::TurnedAway(why)) if tries < TRIES => {
                eprintln!("iperf3 to {addr} turned away ({why}); trying again");
                std::thread::sleep(Duration::from_millis(200) * tries);
            }
            Err(IperfError::TurnedAway(why)) => {
                bail!("iperf3 to {addr}: turned away {TRIES} times, last: {why}")
            }
            Err(IperfError::Failed(e)) => return Err(e.context(format!("iperf3 to {addr}"))),
            Ok(gbits) => return Ok(gbits),
        }
    }
}

enum IperfError {
    /// The server refused the test before it started: it was still busy with the last one.
    TurnedAway(String),
    Failed(anyhow::Error),
}

fn iperf_once(addr: SocketAddr, streams: u32, time: Duration) -> Result<f64, IperfError> {
    let out = Command::new("iperf3")
        .args(["-c", &addr.ip().to_string(), "-p", &addr.port().to_string()])
        .args(["-P", &streams.to_string(), "-J"])
        .args(["-t", &time.as_secs().max(1).to_string()])
        .output()
        .map_err(|e| IperfError::Failed(anyhow::Error::new(e).context("cannot run iperf3")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).map_err(|e| {
        IperfError::Failed(anyhow::anyhow!(
            "unreadable report ({e}): {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })?;
    if let Some(error) = json.get("error").and_then(|e| e.as_str()) {
        let before_start = [
            "busy",
            "unable to receive control message",
            "unable to connect",
        ];
        return Err(if before_start.iter().any(|s| error.contains(s)) {
            IperfError::TurnedAway(error.to_owned())
        } else {
            IperfError::Failed(anyhow::anyhow!("{error}"))
        });
    }
    let bits = json["end"]["sum_received"]["bits_per_second"]
        .as_f64()
        .ok_or_else(|| IperfError::Failed(anyhow::anyhow!("no sum_received in its report")))?;
    Ok(bits / 1e9)
}

fn number_after(out: &str, label: &str) -> anyhow::Result<f64> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|rest| rest.trim().parse().ok())
        .with_context(|| format!("no `{label}` in:\n{out}"))
}

/// One `GET /small.txt` to `addr` for `host` on a new connection; its status.
pub fn status(addr: SocketAddr, host: &str) -> anyhow::Result<u16> {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(tests::READY))?;
    write!(
        tcp,
        "GET /small.txt HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    tcp.read_exact(&mut head)?;
    Ok(std::str::from_utf8(&head[9..12])?.parse()?)
}

/// Waits (bounded) until `target` answers the small file with 200.
pub fn wait_serving(target: &Target) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + tests::READY;
    loop {
        if let Ok(200) = status(target.addr, &target.host) {
            return Ok(());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "{} never served the small file",
            target.url("")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
