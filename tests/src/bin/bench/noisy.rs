//! Scenario 7, noisy neighbour: attacking addresses on 127.0.0.0/8 (1, then 16, then 256) each
//! open streams of every kind whose clients never read: HTTP downloads of `big.bin`, the same
//! through the public TCP port to nginx, and WebSockets whose echo comes back unread. Meanwhile
//! a client on 127.0.0.1 measures, on another hostname of the same tunnel, a 4 MiB download and
//! small-request p99, against the same figures measured unloaded in the same round; and the
//! edge's peak RSS above idle, per attacking address. Targets (#29): the download within 2× its
//! unloaded time, p99 at most 5 ms above unloaded, at most 64 MiB per attacking address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use futures_util::SinkExt;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

use crate::footprint::{rss_kib, PeakRss};
use crate::load::{self, percentile, Target};
use crate::table::{Compare, Row};
use crate::tether::{Tether, HTTP_HOST, VICTIM_HOST, WS_HOST};

const SCENARIO: &str = "7 noisy neighbour";

/// What one attacking address holds: this many streams of each kind.
struct Attack {
    addresses: usize,
    per_kind: usize,
}

/// The attacks of a full run, and of a smoke run.
fn attacks(smoke: bool) -> Vec<Attack> {
    let (sizes, per_kind) = match smoke {
        true => (vec![1, 2], 2),
        false => (vec![1, 16, 256], 16),
    };
    // `NOISY_PER_KIND=4` spreads fewer streams over more addresses (each process here may
    // hold 20,000 sockets: 1,024 addresses at 16 of each kind would need 49,152).
    let per_kind = std::env::var("NOISY_PER_KIND")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(per_kind);
    // `NOISY_ADDRESSES=16,64` runs those attack sizes only (for a closer look at one).
    let sizes = match std::env::var("NOISY_ADDRESSES") {
        Ok(list) => list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect(),
        Err(_) => sizes,
    };
    sizes
        .into_iter()
        .map(|addresses| Attack {
            addresses,
            per_kind,
        })
        .collect()
}

/// Attacking address `n`: 127.3.x.y, never 127.0.0.1.
fn attacker(n: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        3 + (n / 62_500) as u8,
        ((n / 250) % 250) as u8,
        1 + (n % 250) as u8,
    ))
}

/// A connection from `source` with a receive buffer as small as the kernel allows.
async fn dial(source: IpAddr, to: SocketAddr) -> anyhow::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    socket.bind(SocketAddr::new(source, 0))?;
    Ok(socket.connect(to).await?)
}

/// Asks for `big.bin` over HTTP/1.1 (through the edge's listener, or the TCP port to nginx) and
/// never reads the answer.
async fn unread_download(source: IpAddr, to: SocketAddr) -> anyhow::Result<TcpStream> {
    let mut tcp = dial(source, to).await?;
    let head = format!("GET /big.bin HTTP/1.1\r\nHost: {HTTP_HOST}\r\n\r\n");
    tcp.write_all(head.as_bytes()).await?;
    Ok(tcp)
}

/// A WebSocket to the echo origin that sends 1 MiB and never reads the echo, held in `tasks`.
async fn unread_websocket(
    source: IpAddr,
    to: SocketAddr,
    tasks: &mut JoinSet<()>,
) -> anyhow::Result<()> {
    let tcp = dial(source, to).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{WS_HOST}/"), tcp).await?;
    tasks.spawn(async move {
        let message = vec![b'w'; 64 << 10];
        for _ in 0..16 {
            if ws.send(Message::binary(message.clone())).await.is_err() {
                return;
            }
        }
        // Held open, unread, until the edge resets it or the scenario ends.
        std::future::pending::<()>().await;
    });
    Ok(())
}

/// The kinds of stream each address opens: all three, unless `NOISY_KINDS` names some
/// (`http`, `port`, `ws`, comma-separated), for a closer look at one.
#[derive(Clone, Copy)]
struct Kinds {
    http: bool,
    port: bool,
    websocket: bool,
}

impl Kinds {
    fn from_env() -> Kinds {
        let named = std::env::var("NOISY_KINDS").unwrap_or_else(|_| "http,port,ws".into());
        let has = |kind: &str| named.split(',').any(|k| k.trim() == kind);
        Kinds {
            http: has("http"),
            port: has("port"),
            websocket: has("ws"),
        }
    }
}

/// The attack's open streams: dropping this closes them. `refused` counts the streams the
/// tunnel refused or failed to open (a 502, a reset): under attack that is the edge or the
/// machine protecting itself, an outcome to report, not a failure of the run.
struct Held {
    downloads: Vec<TcpStream>,
    websockets: JoinSet<()>,
    refused: usize,
}

impl Held {
    fn new() -> Held {
        Held {
            downloads: Vec::new(),
            websockets: JoinSet::new(),
            refused: 0,
        }
    }

    fn download(&mut self, opened: anyhow::Result<TcpStream>) {
        match opened {
            Ok(tcp) => self.downloads.push(tcp),
            Err(_) => self.refused += 1,
        }
    }
}

/// Opens the attack's streams, every address's at once.
async fn open(attack: &Attack, tether: &Tether) -> anyhow::Result<Held> {
    let (http, l4) = (tether.edge.addr("http"), tether.nginx_tcp);
    let kinds = Kinds::from_env();
    let mut opening = JoinSet::new();
    for n in 0..attack.addresses {
        let per_kind = attack.per_kind;
        opening.spawn(async move {
            let source = attacker(n);
            let mut held = Held::new();
            for _ in 0..per_kind {
                if kinds.http {
                    held.download(unread_download(source, http).await);
                }
                if kinds.port {
                    held.download(unread_download(source, l4).await);
                }
                if kinds.websocket
                    && unread_websocket(source, http, &mut held.websockets)
                        .await
                        .is_err()
                {
                    held.refused += 1;
                }
            }
            held
        });
    }
    let mut all = Held::new();
    while let Some(opened) = opening.join_next().await {
        let mut held = opened?;
        all.downloads.append(&mut held.downloads);
        all.refused += held.refused;
        // Each address's WebSocket tasks stay in its own set, kept alive here.
        all.websockets
            .spawn(async move { while held.websockets.join_next().await.is_some() {} });
    }
    Ok(all)
}

/// The victim's figures: the 4 MiB download in ms and small-request p99 in µs.
fn victim(
    plan: &crate::Plan,
    target: &Target,
    log: &std::path::Path,
) -> anyhow::Result<(f64, f64)> {
    let (first, seconds) = load::fetch_seconds(target, "/four.bin")?;
    eprintln!(
        "   4 MiB: first byte after {:.1} ms, last after {:.1} ms",
        first * 1e3,
        seconds * 1e3
    );
    let mut latencies = load::latencies(target, 10, None, plan.time, log)?;
    Ok((seconds * 1000.0, percentile(&mut latencies, 99.0)))
}

/// Pages of kernel memory the machine's TCP sockets hold (`/proc/net/sockstat`).
fn tcp_pages() -> anyhow::Result<u64> {
    tether_transport::tcp_memory::read()
        .map(|m| m.pages)
        .ok_or_else(|| anyhow::anyhow!("no TCP memory in /proc/net/sockstat"))
}

/// Waits (at most a minute) until the previous attack's sockets have let go of what they
/// held and the tunnel has finished closing its streams (its processes use under a tenth of a
/// core), so a round's unloaded figures are not measured beside its clean-up: measured
/// during one, a 4 MiB download took 50–90 ms instead of 10, and the round's ratio meant nothing.
async fn settle(idle_pages: u64, tunnel: &[u32]) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while tcp_pages()? > idle_pages + 2_048 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let span = Duration::from_millis(500);
    while std::time::Instant::now() < deadline {
        let before = crate::cost::cpu_seconds(tunnel)?;
        tokio::time::sleep(span).await;
        if crate::cost::cpu_seconds(tunnel)? - before < 0.1 * span.as_secs_f64() {
            break;
        }
    }
    Ok(())
}

/// Runs every attack size, `plan.rounds` times each.
pub async fn run(
    plan: &crate::Plan,
    smoke: bool,
    dir: &std::path::Path,
    tether: &Tether,
) -> anyhow::Result<Vec<Row>> {
    let target = Target {
        addr: tether.edge.addr("http"),
        host: VICTIM_HOST.into(),
        tls: false,
    };
    let log = dir.join("noisy-h2load.log");
    let edge = tether.edge.proc.pid();
    let tunnel = [edge, tether.connector.proc.pid()];
    let idle_pages = tcp_pages()?;
    let mut rows = Vec::new();
    for attack in attacks(smoke) {
        let who = match attack.addresses {
            1 => "1 address".to_string(),
            n => format!("{n} addresses"),
        };
        let mut download = Row::new(
            SCENARIO,
            &format!("4 MiB download beside {who}: time / unloaded"),
            "×",
            Compare::Absolute,
        );
        let mut p99 = Row::new(
            SCENARIO,
            &format!("small-request p99 beside {who}: added to unloaded"),
            "ms",
            Compare::Absolute,
        );
        let mut rss = Row::new(
            SCENARIO,
            &format!("edge RSS above idle, per attacking address ({who})"),
            "MiB",
            Compare::Absolute,
        );
        for _ in 0..plan.rounds {
            settle(idle_pages, &tunnel).await?;
            let (calm_ms, calm_p99) = victim(plan, &target, &log)?;
            let idle = rss_kib(edge)?;
            let peak = PeakRss::start(vec![edge]);
            let opening = std::time::Instant::now();
            let held = open(&attack, tether).await?;
            eprintln!(
                "   {who}: streams open in {:?}, {} refused",
                opening.elapsed(),
                held.refused
            );
            // Let the attack settle: every stream stalled, the first sweeps run.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let (loud_ms, loud_p99) = victim(plan, &target, &log)?;
            let peak = peak.stop()[0];
            drop(held);
            let per_address = (peak - idle) / 1024.0 / attack.addresses as f64;
            eprintln!("   {who}: download {calm_ms:.0} -> {loud_ms:.0} ms, p99 {calm_p99:.0} -> {loud_p99:.0} µs, edge RSS +{per_address:.1} MiB per address");
            download.push("tether", loud_ms / calm_ms);
            p99.push("tether", (loud_p99 - calm_p99) / 1000.0);
            rss.push("tether", per_address);
        }
        rows.extend([download, p99, rss]);
    }
    Ok(rows)
}
