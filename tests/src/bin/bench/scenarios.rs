//! Scenarios 1–3, each path measured in turn within every round: the direct path, Tether's two
//! paths (the HTTP listener, L7, routing by hostname; and a public TCP port, L4, like the peers),
//! and every peer that started.

use std::net::SocketAddr;

use crate::cost::{Cost, Roles};
use crate::load::{self, percentile, Target};
use crate::origin::Nginx;
use crate::peers::Peer;
use crate::table::{Compare, Row};
use crate::tether::{plain, tls, Tether};
use crate::Plan;

/// Tether through its HTTP listener (routing by Host; the column also holds footprint, start-up
/// and DNS), and through a public TCP port.
pub const L7: &str = "tether";
pub const L4: &str = "tether L4";

/// A path the small requests take: its column, where the load goes, and its processes beside
/// the origin's.
struct Path {
    name: &'static str,
    target: Target,
    roles: Roles,
}

fn http_paths(tether: &Tether, nginx: &Nginx, peers: &[Peer]) -> Vec<Path> {
    let mut paths = vec![
        Path {
            name: "direct",
            target: plain(nginx.http),
            roles: Vec::new(),
        },
        Path {
            name: L7,
            target: tether.http(),
            roles: tether.roles(),
        },
        Path {
            name: L4,
            target: tether.l4(),
            roles: tether.roles(),
        },
    ];
    paths.extend(peers.iter().map(|p| Path {
        name: p.name,
        target: plain(p.http),
        roles: p.roles(),
    }));
    paths
}

/// Scenario 1: wrk over HTTP/1.1 on every path, with the CPU each process spent per request;
/// wrk over HTTPS and h2load over HTTP/2 through the edge's TLS listener (requests/s).
pub fn small_requests(
    plan: &Plan,
    tether: &Tether,
    nginx: &Nginx,
    peers: &[Peer],
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
    let mut cpu: Vec<Row> = Vec::new();
    let paths = http_paths(tether, nginx, peers);
    for _ in 0..plan.rounds {
        for path in &paths {
            let mut roles = vec![("origin (nginx)", nginx.pids())];
            roles.extend(path.roles.iter().cloned());
            let cost = Cost::start(roles)?;
            let (rps, requests) = load::wrk_counted(&path.target, plan.time)?;
            http.push(path.name, rps);
            for (role, micros) in cost.per_request(requests)? {
                let metric = format!("CPU per request (wrk, HTTP/1.1): {role}");
                let row = match cpu.iter().position(|r| r.metric == metric) {
                    Some(i) => &mut cpu[i],
                    None => {
                        cpu.push(Row::new("1 small requests", &metric, "µs", Compare::Own));
                        cpu.last_mut().expect("just pushed")
                    }
                };
                row.push(path.name, micros);
            }
        }
        https.push("direct", load::wrk(&tls(nginx.https), plan.time)?);
        https.push(L7, load::wrk(&tether.https(), plan.time)?);
        h2.push("direct", load::h2load_rps(&tls(nginx.https), plan.time)?);
        h2.push(L7, load::h2load_rps(&tether.https(), plan.time)?);
    }
    // The sum over every process last (the direct path, measured first, has no tunnel rows).
    cpu.sort_by_key(|row| row.metric.ends_with(crate::cost::ALL));
    let mut rows = vec![http, https, h2];
    rows.extend(cpu);
    Ok(rows)
}

/// Scenario 2: 1 GB down and up over HTTP (MB/s); iperf3 through a public TCP port (Gbit/s).
pub fn bulk(
    plan: &Plan,
    dir: &std::path::Path,
    tether: &Tether,
    nginx: &Nginx,
    iperf: SocketAddr,
    peers: &[Peer],
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
    let mut to_nginx = vec![
        ("direct", nginx.http),
        (L7, tether.edge.addr("http")),
        (L4, tether.nginx_tcp),
    ];
    to_nginx.extend(peers.iter().map(|p| (p.name, p.http)));
    let mut to_iperf = vec![("direct", iperf), (L4, tether.tcp)];
    to_iperf.extend(peers.iter().map(|p| (p.name, p.tcp)));
    for _ in 0..plan.rounds {
        for (path, addr) in &to_nginx {
            down.push(path, load::download(&plain(*addr))?);
            up.push(path, load::upload(&plain(*addr), &upload_file)?);
        }
        for (path, addr) in &to_iperf {
            one.push(path, load::iperf(*addr, 1, plan.time)?);
            eight.push(path, load::iperf(*addr, 8, plan.time)?);
        }
    }
    Ok(vec![down, up, one, eight])
}

/// Scenario 3: latency added at one connection, and at a fixed rate of half the maximum.
pub fn latency(
    plan: &Plan,
    dir: &std::path::Path,
    tether: &Tether,
    nginx: &Nginx,
    peers: &[Peer],
    rate: f64,
) -> anyhow::Result<Vec<Row>> {
    let log = dir.join("h2load.log");
    let targets: Vec<(&str, Target)> = http_paths(tether, nginx, peers)
        .into_iter()
        .map(|p| (p.name, p.target))
        .collect();
    // oha paces each request; h2load's `--rps` sends each client's share in bursts, so its
    // figures carry the generator's own queueing. oha is used when installed.
    let oha = crate::peers::find("oha");
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
