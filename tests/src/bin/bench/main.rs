//! `bench`: Tether's benchmark harness (docs/benchmarks.md).
//!
//! `cargo run --release -p tests --bin bench -- all` builds release binaries, starts nginx,
//! iperf3 and a WebSocket echo server on loopback, an edge and a connector in front of them (and
//! rathole and bore when installed), and prints a table in which every figure is compared with
//! the direct path measured in the same round: direct and tunnel runs alternate, `--rounds` of
//! each (3 by default), and each cell is the median with min–max. `--smoke` is a short run that
//! only proves the harness works; the test suite runs it. Nothing here asserts timing.

mod dns;
mod footprint;
mod load;
mod origin;
mod peers;
mod startup;
mod table;
mod tether;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use load::percentile;
use table::{Compare, Row};
use tether::{plain, tls};

#[derive(Parser)]
#[command(about = "Tether's benchmark harness: every figure against the direct path, same run")]
struct Args {
    /// Scenarios to run (comma-separated): all, http, bulk, latency, footprint, startup, dns.
    #[arg(default_value = "all", value_delimiter = ',')]
    scenarios: Vec<Scenario>,
    /// Rounds of each measurement (direct and through the tunnel alternate).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds per load run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// A short run that proves the harness works: one round of 1 s, 16 MiB bulk, 100 streams,
    /// 10 tunnels, no peers. The test suite runs it.
    #[arg(long)]
    smoke: bool,
    /// Idle WebSocket streams held open for the footprint (default 10,000; smoke 100).
    #[arg(long, value_name = "N")]
    streams: Option<usize>,
    /// Tunnels connected for the footprint (default 1,000; smoke 10).
    #[arg(long, value_name = "N")]
    tunnels: Option<usize>,
    /// Leave rathole and bore out even when installed.
    #[arg(long)]
    no_peers: bool,
    /// Also write the table and the raw samples to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    All,
    Http,
    Bulk,
    Latency,
    Footprint,
    Startup,
    Dns,
}

/// What one run measures, from the arguments.
struct Plan {
    rounds: usize,
    time: Duration,
    big: u64,
    streams: usize,
    tunnels: usize,
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some(origin::WS_ECHO_MODE) {
        return origin::ws_echo_process();
    }
    let args = Args::parse();
    // Quiet processes: no access log line per request (it would measure the log pipe), but the
    // lines the harness waits for.
    std::env::set_var(
        "RUST_LOG",
        "info,access=warn,rustls=error,hickory_server=warn,hickory_proto=warn",
    );
    let _ = rlimit::increase_nofile_limit(1 << 20);
    tether_proto::install_crypto_provider();
    let plan = if args.smoke {
        Plan {
            rounds: 1,
            time: Duration::from_secs(1),
            big: 16 << 20,
            streams: 100,
            tunnels: 10,
        }
    } else {
        Plan {
            rounds: args.rounds.max(1),
            time: Duration::from_secs(args.seconds.max(1)),
            big: 1 << 30,
            streams: 10_000,
            tunnels: 1_000,
        }
    };
    let plan = Plan {
        streams: args.streams.unwrap_or(plan.streams),
        tunnels: args.tunnels.unwrap_or(plan.tunnels),
        ..plan
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let rows = runtime.block_on(run(&args, &plan))?;
    let report = format!(
        "{}\nRaw samples:\n\n```\n{}```\n",
        table::render(&rows),
        table::raw(&rows)
    );
    println!("\n{report}");
    if let Some(path) = &args.out {
        std::fs::write(path, &report)?;
    }
    Ok(())
}

async fn run(args: &Args, plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let wants =
        |s: Scenario| args.scenarios.contains(&Scenario::All) || args.scenarios.contains(&s);
    let work = tempfile::tempdir()?;
    let cert = origin::Cert::new(work.path(), &[tether::HTTP_HOST, tether::WS_HOST])?;
    let nginx = origin::Nginx::start(&work.path().join("nginx"), &cert, plan.big)?;
    let iperf = origin::Iperf::start()?;
    let ws_echo = origin::WsEcho::start()?;
    let ws = ws_echo.addr;
    let tether = tether::Tether::start(&cert, &tether::ingress(nginx.http, ws, iperf.addr))?;
    load::wait_serving(&tether.http())?;
    let peers = if args.smoke || args.no_peers {
        Vec::new()
    } else {
        peers::start_all(work.path(), nginx.http, iperf.addr)
    };
    for peer in &peers {
        load::wait_serving(&plain(peer.http))?;
    }
    let pids = vec![tether.edge.proc.pid(), tether.connector.proc.pid()];
    let mut rows = Vec::new();
    let mut footprint = vec![
        Row::new("4 footprint", "edge RSS, idle", "MiB", Compare::Absolute),
        Row::new(
            "4 footprint",
            "connector RSS, idle",
            "MiB",
            Compare::Absolute,
        ),
    ];
    for (row, pid) in footprint.iter_mut().zip(&pids) {
        row.push("tether", footprint::rss_kib(*pid)? / 1024.0);
    }

    let mut max_rps = None;
    if wants(Scenario::Http) {
        eprintln!("== 1 small HTTP requests");
        let sampler = footprint::PeakRss::start(pids.clone());
        let http = small_requests(plan, &tether, &nginx, &peers)?;
        let peak = sampler.stop();
        for (name, kib) in ["edge", "connector"].iter().zip(peak) {
            let mut row = Row::new(
                "4 footprint",
                &format!("{name} RSS, peak under scenario 1"),
                "MiB",
                Compare::Absolute,
            );
            row.push("tether", kib / 1024.0);
            footprint.push(row);
        }
        max_rps = table::spread(&http[0].paths[0].1).map(|(median, _, _)| median);
        rows.extend(http);
    }
    if wants(Scenario::Bulk) {
        eprintln!("== 2 bulk");
        rows.extend(bulk(
            plan,
            work.path(),
            &tether,
            &nginx,
            iperf.addr,
            &peers,
        )?);
    }
    if wants(Scenario::Latency) {
        eprintln!("== 3 latency");
        let max = match max_rps {
            Some(rps) => rps,
            None => load::wrk(&tether.http(), plan.time)?,
        };
        rows.extend(latency(
            plan,
            work.path(),
            &tether,
            &nginx,
            &peers,
            max / 2.0,
        )?);
    }
    if wants(Scenario::Startup) {
        eprintln!("== 5 start-up");
        let tunnel = startup::prepare(&tether.edge);
        let mut row = Row::new(
            "5 start-up",
            "`connector run` to first request served",
            "ms",
            Compare::Absolute,
        );
        for _ in 0..plan.rounds {
            row.push("tether", startup::once(&tether.edge, &tunnel, nginx.http)?);
        }
        rows.push(row);
    }
    if wants(Scenario::Footprint) {
        eprintln!("== 4 footprint");
        footprint.extend(idle_streams(plan, &tether).await?);
        footprint.push(tunnels(plan, &tether).await?);
    }
    rows.extend(footprint);
    if wants(Scenario::Dns) {
        eprintln!("== 6 DNS");
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let bins = tests::process::binaries()
            .edge
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        rows.push(dns::run(&workspace, &bins, plan.rounds, plan.time)?);
    }
    // In scenario order (a stable sort keeps each scenario's rows as measured).
    rows.sort_by_key(|row| row.scenario);
    Ok(rows)
}

/// Scenario 1: wrk over HTTP/1.1 and over HTTPS, h2load over HTTP/2 (requests/s).
fn small_requests(
    plan: &Plan,
    tether: &tether::Tether,
    nginx: &origin::Nginx,
    peers: &[peers::Peer],
) -> anyhow::Result<Vec<Row>> {
    let mut http = Row::new(
        "1 small requests",
        "wrk -t2 -c50, HTTP/1.1",
        "req/s",
        Compare::Ratio,
    );
    let mut https = Row::new(
        "1 small requests",
        "wrk -t2 -c50, HTTPS",
        "req/s",
        Compare::Ratio,
    );
    let mut h2 = Row::new(
        "1 small requests",
        "h2load -c50 -m10, HTTP/2 over TLS",
        "req/s",
        Compare::Ratio,
    );
    for _ in 0..plan.rounds {
        http.push("direct", load::wrk(&plain(nginx.http), plan.time)?);
        http.push("tether", load::wrk(&tether.http(), plan.time)?);
        for peer in peers {
            http.push(peer.name, load::wrk(&plain(peer.http), plan.time)?);
        }
        https.push("direct", load::wrk(&tls(nginx.https), plan.time)?);
        https.push("tether", load::wrk(&tether.https(), plan.time)?);
        h2.push("direct", load::h2load_rps(&tls(nginx.https), plan.time)?);
        h2.push("tether", load::h2load_rps(&tether.https(), plan.time)?);
    }
    Ok(vec![http, https, h2])
}

/// Scenario 2: 1 GB down and up over HTTP (MB/s); iperf3 through a public TCP port (Gbit/s).
fn bulk(
    plan: &Plan,
    dir: &std::path::Path,
    tether: &tether::Tether,
    nginx: &origin::Nginx,
    iperf: std::net::SocketAddr,
    peers: &[peers::Peer],
) -> anyhow::Result<Vec<Row>> {
    let upload_file = dir.join("upload.bin");
    std::fs::File::create(&upload_file)?.set_len(plan.big)?;
    let size = format!("{} MiB", plan.big >> 20);
    let mut down = Row::new(
        "2 bulk",
        &format!("{size} download, HTTP"),
        "MB/s",
        Compare::Ratio,
    );
    let mut up = Row::new(
        "2 bulk",
        &format!("{size} upload, HTTP"),
        "MB/s",
        Compare::Ratio,
    );
    let mut one = Row::new(
        "2 bulk",
        "iperf3, 1 stream, public TCP port",
        "Gbit/s",
        Compare::Ratio,
    );
    let mut eight = Row::new(
        "2 bulk",
        "iperf3, 8 streams, public TCP port",
        "Gbit/s",
        Compare::Ratio,
    );
    let paths = |direct: std::net::SocketAddr, through: std::net::SocketAddr| {
        let mut all = vec![("direct", direct), ("tether", through)];
        all.extend(
            peers
                .iter()
                .map(|p| (p.name, if direct == iperf { p.tcp } else { p.http })),
        );
        all
    };
    for _ in 0..plan.rounds {
        for (path, addr) in paths(nginx.http, tether.edge.addr("http")) {
            down.push(path, load::download(&plain(addr))?);
            up.push(path, load::upload(&plain(addr), &upload_file)?);
        }
        for (path, addr) in paths(iperf, tether.tcp) {
            one.push(path, load::iperf(addr, 1, plan.time)?);
            eight.push(path, load::iperf(addr, 8, plan.time)?);
        }
    }
    Ok(vec![down, up, one, eight])
}

/// Scenario 3: latency added at one connection, and at a fixed rate of half the maximum.
fn latency(
    plan: &Plan,
    dir: &std::path::Path,
    tether: &tether::Tether,
    nginx: &origin::Nginx,
    peers: &[peers::Peer],
    rate: f64,
) -> anyhow::Result<Vec<Row>> {
    let log = dir.join("h2load.log");
    let mut targets = vec![("direct", plain(nginx.http)), ("tether", tether.http())];
    targets.extend(peers.iter().map(|p| (p.name, plain(p.http))));
    // oha paces each request; h2load's `--rps` sends each client's share in bursts, so its
    // figures carry the generator's own queueing. oha is used when installed.
    let oha = peers::find("oha");
    let generator = if oha.is_some() {
        "oha -q"
    } else {
        "h2load --rps"
    };
    let fixed = format!("{rate:.0} req/s ({generator})");
    let mut rows = vec![
        Row::new("3 latency", "p50, 1 connection", "µs", Compare::Added),
        Row::new("3 latency", "p99, 1 connection", "µs", Compare::Added),
        Row::new(
            "3 latency",
            &format!("p50, 50 connections at {fixed}"),
            "µs",
            Compare::Added,
        ),
        Row::new(
            "3 latency",
            &format!("p99, 50 connections at {fixed}"),
            "µs",
            Compare::Added,
        ),
    ];
    for _ in 0..plan.rounds {
        for (path, target) in &targets {
            let mut one = load::latencies(target, 1, None, plan.time, &log)?;
            rows[0].push(path, percentile(&mut one, 50.0));
            rows[1].push(path, percentile(&mut one, 99.0));
            let (p50, p99) = match &oha {
                Some(oha) => load::oha_fixed_rate(oha, target, 50, rate, plan.time)?,
                None => {
                    let mut loaded = load::latencies(target, 50, Some(rate), plan.time, &log)?;
                    (percentile(&mut loaded, 50.0), percentile(&mut loaded, 99.0))
                }
            };
            rows[2].push(path, p50);
            rows[3].push(path, p99);
        }
    }
    Ok(rows)
}

/// Scenario 4: (RSS with N WebSocket streams open − RSS with none) / N, edge and connector.
async fn idle_streams(plan: &Plan, tether: &tether::Tether) -> anyhow::Result<Vec<Row>> {
    let pids = [tether.edge.proc.pid(), tether.connector.proc.pid()];
    let mut rows = Vec::new();
    let before: Vec<f64> = pids
        .iter()
        .map(|p| footprint::rss_kib(*p))
        .collect::<Result<_, _>>()?;
    let open =
        footprint::open_websockets(tether.edge.addr("http"), tether::WS_HOST, plan.streams).await?;
    let after: Vec<f64> = pids
        .iter()
        .map(|p| footprint::rss_kib(*p))
        .collect::<Result<_, _>>()?;
    for (i, name) in ["edge", "connector"].iter().enumerate() {
        let mut row = Row::new(
            "4 footprint",
            &format!("{name}, per idle WebSocket stream (N = {})", plan.streams),
            "KiB",
            Compare::Absolute,
        );
        row.push("tether", (after[i] - before[i]) / plan.streams as f64);
        rows.push(row);
    }
    drop(open);
    Ok(rows)
}

/// Scenario 4: (edge RSS with N tunnels connected − with none) / N.
async fn tunnels(plan: &Plan, tether: &tether::Tether) -> anyhow::Result<Row> {
    let pid = tether.edge.proc.pid();
    let mut row = Row::new(
        "4 footprint",
        &format!("edge, per connected tunnel (N = {})", plan.tunnels),
        "KiB",
        Compare::Absolute,
    );
    let created = tests::many::create_tunnels(&tether.edge, plan.tunnels)?;
    let before = footprint::rss_kib(pid)?;
    let shutdown = tests::many::connect_tunnels(&tether.edge, &created).await?;
    let after = footprint::rss_kib(pid)?;
    shutdown.cancel();
    row.push("tether", (after - before) / plan.tunnels as f64);
    Ok(row)
}
