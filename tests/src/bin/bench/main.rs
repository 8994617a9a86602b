//! `bench`: Tether's benchmark harness (docs/benchmarks.md).
//!
//! `cargo run --release -p tests --bin bench -- all` builds release binaries, starts nginx,
//! iperf3 and a WebSocket echo server on loopback, an edge and a connector in front of them (and
//! rathole and bore when installed), and prints a table in which every figure is compared with
//! the direct path measured in the same round: direct and tunnel runs alternate, `--rounds` of
//! each (3 by default), and each cell is the median with min–max. `--smoke` is a short run that
//! only proves the harness works; the test suite runs it. Nothing here asserts timing.

mod cost;
mod dns;
mod footprint;
mod load;
mod noisy;
mod origin;
mod peers;
mod rathole;
mod scenarios;
mod startup;
mod table;
mod tether;
mod wstunnel;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use table::{Compare, Row};
use tether::plain;

#[derive(Parser)]
#[command(about = "Tether's benchmark harness: every figure against the direct path, same run")]
struct Args {
    /// Scenarios to run (comma-separated): all, http, bulk, latency, footprint, startup, dns,
    /// noisy.
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
    /// Leave the peers (rathole, wstunnel, bore) out even when installed.
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
    Noisy,
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
    let (rows, load) = runtime.block_on(run(&args, &plan))?;
    let report = format!(
        "{}\nMachine load (`/proc/loadavg`: 1, 5 and 15 minutes) around each scenario:\n\n{}\nRaw samples:\n\n```\n{}```\n",
        table::render(&rows),
        table::render_load(&load),
        table::raw(&rows)
    );
    println!("\n{report}");
    if let Some(path) = &args.out {
        std::fs::write(path, &report)?;
    }
    Ok(())
}

/// The machine's load before and after each scenario.
type Load = Vec<(&'static str, String, String)>;

async fn run(args: &Args, plan: &Plan) -> anyhow::Result<(Vec<Row>, Load)> {
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
        peers::start_all(&peers::Origins {
            dir: work.path(),
            cert: &cert,
            nginx: nginx.http,
            iperf: iperf.addr,
        })
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

    let mut load: Load = Vec::new();
    let mut max_rps = None;
    if wants(Scenario::Http) {
        eprintln!("== 1 small HTTP requests");
        let before = cost::loadavg();
        let sampler = footprint::PeakRss::start(pids.clone());
        let http = scenarios::small_requests(plan, &tether, &nginx, &peers)?;
        load.push(("1 small requests", before, cost::loadavg()));
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
        let before = cost::loadavg();
        rows.extend(scenarios::bulk(
            plan,
            work.path(),
            &tether,
            &nginx,
            iperf.addr,
            &peers,
        )?);
        load.push(("2 bulk", before, cost::loadavg()));
    }
    if wants(Scenario::Latency) {
        eprintln!("== 3 latency");
        let before = cost::loadavg();
        let max = match max_rps {
            Some(rps) => rps,
            None => load::wrk(&tether.http(), plan.time)?,
        };
        rows.extend(scenarios::latency(
            plan,
            work.path(),
            &tether,
            &nginx,
            &peers,
            max / 2.0,
        )?);
        load.push(("3 latency", before, cost::loadavg()));
    }
    if wants(Scenario::Startup) {
        eprintln!("== 5 start-up");
        let before = cost::loadavg();
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
        load.push(("5 start-up", before, cost::loadavg()));
    }
    if wants(Scenario::Footprint) {
        eprintln!("== 4 footprint");
        let before = cost::loadavg();
        footprint.extend(footprint::idle_streams(plan, &tether).await?);
        footprint.push(footprint::tunnels(plan, &tether).await?);
        load.push(("4 footprint", before, cost::loadavg()));
    }
    rows.extend(footprint);
    if wants(Scenario::Dns) {
        eprintln!("== 6 DNS");
        let before = cost::loadavg();
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let bins = tests::process::binaries()
            .edge
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        rows.push(dns::run(&workspace, &bins, plan.rounds, plan.time)?);
        load.push(("6 dns", before, cost::loadavg()));
    }
    if wants(Scenario::Noisy) {
        eprintln!("== 7 noisy neighbour");
        let before = cost::loadavg();
        rows.extend(noisy::run(plan, args.smoke, work.path(), &tether).await?);
        load.push(("7 noisy neighbour", before, cost::loadavg()));
    }
    // In scenario order (a stable sort keeps each scenario's rows as measured).
    rows.sort_by_key(|row| row.scenario);
    load.sort_by_key(|(scenario, _, _)| *scenario);
    Ok((rows, load))
}
