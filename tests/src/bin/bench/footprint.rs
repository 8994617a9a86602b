//! Footprint: resident memory of the edge and the connector, idle and under load, per idle open
//! WebSocket stream, and per connected tunnel at the edge, the tunnels' sessions opened by this
//! process itself (the connector's library, one in-process connector per tunnel) rather than by
//! 1,000 connector processes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::table::{Compare, Row};

/// Resident memory of process `pid`, KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}

/// Samples the peak RSS of some processes while a load runs (every 50 ms).
pub struct PeakRss {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<f64>>,
}

impl PeakRss {
    pub fn start(pids: Vec<u32>) -> PeakRss {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = vec![0.0f64; pids.len()];
            while !flag.load(Ordering::Relaxed) {
                for (p, pid) in peak.iter_mut().zip(&pids) {
                    *p = p.max(rss_kib(*pid).unwrap_or(0.0));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            peak
        });
        PeakRss { stop, thread }
    }

    /// The peak of each process, KiB, in the order given.
    pub fn stop(self) -> Vec<f64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Opens `n` WebSocket connections through the edge's plain HTTP listener to the echo origin,
/// each checked with one echoed message, and returns them open.
pub async fn open_websockets(
    edge: SocketAddr,
    host: &str,
    n: usize,
) -> anyhow::Result<Vec<WebSocketStream<TcpStream>>> {
    let url = format!("ws://{host}/");
    let mut open = Vec::with_capacity(n);
    // 200 handshakes at a time: fast, and far below any listen backlog.
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let handshakes = chunk.iter().map(|_| {
            let url = url.clone();
            async move {
                let tcp = TcpStream::connect(edge).await?;
                let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await?;
                ws.send(Message::text("x")).await?;
                match ws.next().await {
                    Some(Ok(Message::Text(t))) if t.as_str() == "x" => Ok(ws),
                    other => anyhow::bail!("no echo: {other:?}"),
                }
            }
        });
        for ws in futures_util::future::join_all(handshakes).await {
            open.push(ws?);
        }
    }
    Ok(open)
}

/// Scenario 4: (RSS with N WebSocket streams open − RSS with none) / N, edge and connector.
pub async fn idle_streams(
    plan: &crate::Plan,
    tether: &crate::tether::Tether,
) -> anyhow::Result<Vec<Row>> {
    let pids = [tether.edge.proc.pid(), tether.connector.proc.pid()];
    let mut rows = Vec::new();
    let before: Vec<f64> = pids.iter().map(|p| rss_kib(*p)).collect::<Result<_, _>>()?;
    let open = open_websockets(
        tether.edge.addr("http"),
        crate::tether::WS_HOST,
        plan.streams,
    )
    .await?;
    let after: Vec<f64> = pids.iter().map(|p| rss_kib(*p)).collect::<Result<_, _>>()?;
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
pub async fn tunnels(plan: &crate::Plan, tether: &crate::tether::Tether) -> anyhow::Result<Row> {
    let pid = tether.edge.proc.pid();
    let mut row = Row::new(
        "4 footprint",
        &format!("edge, per connected tunnel (N = {})", plan.tunnels),
        "KiB",
        Compare::Absolute,
    );
    let created = tests::many::create_tunnels(&tether.edge, plan.tunnels)?;
    let before = rss_kib(pid)?;
    let shutdown = tests::many::connect_tunnels(&tether.edge, &created).await?;
    let after = rss_kib(pid)?;
    shutdown.cancel();
    row.push("tether", (after - before) / plan.tunnels as f64);
    Ok(row)
}
