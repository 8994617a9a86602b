//! Feeds the DNS server from what the edge knows ([`Directory`], [`RouteTable`] and
//! [`AcmeTables`], all in memory from the store's watches): which tunnels exist, which live edges
//! hold their sessions (and at which addresses), the routes, and the ACME DNS-01 challenges. Rebuilt after every batch of changes; with the store
//! gone, the last answers stay.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tether_dns::server::Zones;
use tether_dns::snapshot::{Input, Route};
use tokio_util::sync::CancellationToken;

use super::acme::AcmeTables;
use super::directory::Directory;
use super::route_table::RouteTable;

/// How long a rebuild waits after a change for the rest of its batch.
const SETTLE: Duration = Duration::from_millis(20);

/// The state the answers depend on.
pub fn input(directory: &Directory, routes: &RouteTable, acme: &AcmeTables) -> Input {
    let records = directory.edges();
    // A draining edge is left out, unless every edge is draining (an answer beats none).
    let all_draining = records.iter().all(|e| e.draining);
    let edges: HashMap<String, Vec<IpAddr>> = records
        .into_iter()
        .filter(|e| all_draining || !e.draining)
        .map(|e| (e.id, e.addresses))
        .collect();
    let every_edge: Vec<IpAddr> = edges.values().flatten().copied().collect();
    let sessions = directory.sessions.all();
    let endpoints = directory
        .tunnels
        .all()
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
    let routes = routes
        .all()
        .into_iter()
        .map(|r| Route {
            hostname: r.hostname,
            tunnel_id: r.tunnel_id.to_string(),
            direct: r.direct,
        })
        .collect();
    Input {
        endpoints,
        routes,
        acme_challenges: acme.dns01(),
    }
}

/// What the DNS answers from, all in memory.
#[derive(Clone)]
pub struct Sources {
    pub directory: Directory,
    pub routes: RouteTable,
    pub acme: AcmeTables,
}

fn refresh(sources: &Sources, zones: &Zones) {
    let Sources {
        directory,
        routes,
        acme,
    } = sources;
    // The store's revision, so every DNS server on one store gives one content one serial.
    let revision = directory
        .revision()
        .max(routes.revision())
        .max(acme.challenges.revision());
    if zones.publish(input(directory, routes, acme), revision) {
        tracing::info!(serial = zones.current.load().serial, "dns zones updated");
    }
}

/// Keeps `zones` current until `shutdown`: one rebuild now, then one per batch of changes.
pub async fn follow(sources: Sources, zones: Arc<Zones>, shutdown: CancellationToken) {
    let mut changes = [
        sources.directory.tunnels.changed(),
        sources.directory.edges.changed(),
        sources.directory.sessions.changed(),
        sources.routes.changed(),
        sources.acme.challenges.changed(),
    ];
    loop {
        refresh(&sources, &zones);
        let [tunnels, edges, sessions, routes, challenges] = &mut changes;
        tokio::select! {
            _ = tunnels.changed() => {}
            _ = edges.changed() => {}
            _ = sessions.changed() => {}
            _ = routes.changed() => {}
            _ = challenges.changed() => {}
            _ = shutdown.cancelled() => return,
        }
        tokio::time::sleep(SETTLE).await;
        for c in &mut changes {
            c.mark_unchanged();
        }
    }
}

/// Runs the DNS server on `sockets` until `shutdown`, answering from `sources` (already
/// loaded). Queries that arrive before the first rebuild wait in the socket buffers.
pub async fn run(
    sources: Sources,
    zones: Arc<Zones>,
    sockets: tether_dns::server::Sockets,
    shutdown: CancellationToken,
) {
    refresh(&sources, &zones);
    let following = tokio::spawn(follow(sources, zones.clone(), shutdown.clone()));
    if let Err(e) = tether_dns::server::serve(&zones, sockets, shutdown).await {
        tracing::error!(error = %e, "dns server stopped");
    }
    following.abort();
}
