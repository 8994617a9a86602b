//! What the edge knows of the cluster, in memory from the store's watches: the tunnels, the live
//! edges, the sessions each holds, the public TCP ports. Tunnel registration, links to peer
//! edges, the connectors' edge list and DNS read it here, so none of them waits on the store; if
//! the store goes away they go on with what was last seen.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::store::Store;
use super::table::Table;
use super::{EdgeRecord, PortRecord, SessionRecord, TunnelRecord};
use super::{EDGES, PORTS, SESSIONS, TUNNELS};

#[derive(Clone)]
pub struct Directory {
    pub tunnels: Table<TunnelRecord>,
    pub edges: Table<EdgeRecord>,
    pub sessions: Table<SessionRecord>,
    pub ports: Table<PortRecord>,
}

impl Default for Directory {
    fn default() -> Self {
        Directory {
            tunnels: Table::new(TUNNELS),
            edges: Table::new(EDGES),
            sessions: Table::new(SESSIONS),
            ports: Table::new(PORTS),
        }
    }
}

impl Directory {
    /// Starts following the store (until `shutdown`) and waits for the first full read of each
    /// table.
    pub async fn follow(store: Arc<dyn Store>, shutdown: CancellationToken) -> Directory {
        let directory = Directory::default();
        tokio::spawn(
            directory
                .tunnels
                .clone()
                .follow(store.clone(), shutdown.clone()),
        );
        tokio::spawn(
            directory
                .edges
                .clone()
                .follow(store.clone(), shutdown.clone()),
        );
        tokio::spawn(
            directory
                .sessions
                .clone()
                .follow(store.clone(), shutdown.clone()),
        );
        tokio::spawn(directory.ports.clone().follow(store, shutdown));
        directory.tunnels.loaded().await;
        directory.edges.loaded().await;
        directory.sessions.loaded().await;
        directory.ports.loaded().await;
        directory
    }

    pub fn tunnel(&self, id: Uuid) -> Option<TunnelRecord> {
        self.tunnels.get(&id.to_string())
    }

    /// The sessions of one tunnel, on every edge.
    pub fn sessions_of(&self, tunnel: Uuid) -> Vec<SessionRecord> {
        self.sessions.under(&format!("{tunnel}/"))
    }

    /// Every edge whose presence lease is alive, draining or not.
    pub fn edges(&self) -> Vec<EdgeRecord> {
        self.edges.all()
    }

    /// The highest revision any table has seen: the DNS serial.
    pub fn revision(&self) -> i64 {
        [
            self.tunnels.revision(),
            self.edges.revision(),
            self.sessions.revision(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }
}
