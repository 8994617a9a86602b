//! Many tunnels at once: created with the CLI, connected by in-process connectors (the
//! connector's library, one per tunnel) rather than one process each. Used by the footprint
//! benchmark and by the reconnection tests.

use tokio_util::sync::CancellationToken;

use crate::tunnel::{TestEdge, Tunnel};

/// Creates `n` tunnels on `edge` (the CLI, as an operator would).
pub fn create_tunnels(edge: &TestEdge, n: usize) -> anyhow::Result<Vec<Tunnel>> {
    let names: Vec<String> = (0..n).map(|i| format!("many-{i}")).collect();
    // `edge tunnel create` is a process each; two at a time keeps both cores busy.
    let tunnels: Vec<Tunnel> = std::thread::scope(|s| {
        let halves: Vec<_> = names
            .chunks(n.div_ceil(2).max(1))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|name| edge.create_tunnel(name))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    anyhow::ensure!(
        tunnels.len() == n,
        "created {} of {n} tunnels",
        tunnels.len()
    );
    Ok(tunnels)
}

/// Connects every tunnel with an in-process connector and waits until the edge has registered
/// all their sessions; returns the shutdown that ends them.
pub async fn connect_tunnels(
    edge: &TestEdge,
    tunnels: &[Tunnel],
) -> anyhow::Result<CancellationToken> {
    let dir = edge.dir.path().join("many");
    std::fs::create_dir_all(&dir)?;
    let from = edge.proc.log_len();
    let shutdown = CancellationToken::new();
    for tunnel in tunnels {
        let path = dir.join(format!("{}.yml", tunnel.name));
        let text = format!(
            // One session per tunnel: the figure is per connected session.
            "tunnel: {}\ncredentials-file: {}\nha-connections: 1\ningress:\n  - service: http_status:404\n",
            tunnel.id,
            tunnel.credentials.display()
        );
        let config = tether_connector::config::ConnectorConfig::parse(&path, &text)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let stop = shutdown.clone();
        tokio::spawn(async move {
            if let Err(e) = tether_connector::cli::run(config, None, stop).await {
                eprintln!("in-process connector failed: {e:#}");
            }
        });
    }
    let deadline = tokio::time::Instant::now() + crate::READY * 4;
    loop {
        let registered = edge.proc.count_from(from, "tunnel session registered");
        if registered >= tunnels.len() {
            return Ok(shutdown);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{registered} of {} tunnel sessions registered",
            tunnels.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
