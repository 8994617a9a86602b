//! Feeds the DNS server from the store: which tunnels exist, which live edges hold their sessions
//! (and at which addresses), and the routes. Rebuilt after every batch of store changes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tether_dns::server::Zones;
use tether_dns::snapshot::{Input, Route};
use tokio_util::sync::CancellationToken;

use super::store::{watch, Revision};
use super::{decode, EdgeRecord, State, StateError, EDGES};

/// Reads the state the answers depend on, and the store revision the reading started at.
pub async fn input(state: &State) -> Result<(Input, Revision), StateError> {
    let (edge_rows, revision) = state.store.range(EDGES).await?;
    let records: Vec<EdgeRecord> = edge_rows
        .iter()
        .filter_map(|kv| decode::<EdgeRecord>(kv).ok())
        .collect();
    // A draining edge is left out, unless every edge is draining (an answer beats none).
    let all_draining = records.iter().all(|e| e.draining);
    let edges: HashMap<String, Vec<IpAddr>> = records
        .into_iter()
        .filter(|e| all_draining || !e.draining)
        .map(|e| (e.id, e.addresses))
        .collect();
    let every_edge: Vec<IpAddr> = edges.values().flatten().copied().collect();
    let sessions = state.sessions().await?;
    let endpoints = state
        .tunnels()
        .await?
        .into_iter()
        .map(|t| {
            let holding: Vec<IpAddr> = sessions
                .iter()
                .filter(|s| s.tunnel_id == t.id)
                .filter_map(|s| edges.get(&s.edge_id))
                .flatten()
                .copied()
                .collect();
            // No live session: every live edge, each of which can say the tunnel is offline.
            let addrs = if holding.is_empty() {
                every_edge.clone()
            } else {
                holding
            };
            (t.id.to_string(), addrs)
        })
        .collect();
    let routes = state
        .routes()
        .await?
        .into_iter()
        .map(|r| Route {
            hostname: r.hostname,
            tunnel_id: r.tunnel_id.to_string(),
            direct: r.direct,
        })
        .collect();
    Ok((Input { endpoints, routes }, revision))
}

/// Keeps `zones` current until `shutdown`: a full read, then one rebuild per batch of changes.
pub async fn follow(state: State, zones: Arc<Zones>, shutdown: CancellationToken) {
    loop {
        let revision = match state.store.range(EDGES).await {
            Ok((_, revision)) => revision,
            Err(e) => {
                tracing::warn!(error = %e, "dns: cannot read the store; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = shutdown.cancelled() => return,
                }
            }
        };
        refresh(&state, &zones).await;
        let mut events = watch(state.store.clone(), String::new(), revision);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(Ok(_)) => {
                        // Take the whole batch, then rebuild once.
                        while let Ok(Ok(_)) = events.try_recv() {}
                        refresh(&state, &zones).await;
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "dns: store watch failed; reloading");
                        break;
                    }
                    None => break,
                },
                _ = shutdown.cancelled() => return,
            }
        }
    }
}

async fn refresh(state: &State, zones: &Zones) {
    match input(state).await {
        Ok((input, revision)) => {
            if zones.publish(input, revision) {
                tracing::info!(serial = zones.current.load().serial, "dns zones updated");
            }
        }
        Err(e) => tracing::warn!(error = %e, "dns: cannot read the store"),
    }
}

/// Runs the DNS server on `sockets` from the store until `shutdown`: reads the state once
/// before answering anything, then follows it. Queries that arrive before the first read wait in
/// the socket buffers.
pub async fn run(
    state: State,
    zones: Arc<Zones>,
    sockets: tether_dns::server::Sockets,
    shutdown: CancellationToken,
) {
    refresh(&state, &zones).await;
    let following = tokio::spawn(follow(state, zones.clone(), shutdown.clone()));
    if let Err(e) = tether_dns::server::serve(&zones, sockets, shutdown).await {
        tracing::error!(error = %e, "dns server stopped");
    }
    following.abort();
}
