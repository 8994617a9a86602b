//! The edge's route table: hostname → tunnel, kept current from the store's watch.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use super::store::{mirror, Event, Mirrored, Store};
use super::{decode, RouteRecord, ROUTES};
use tether_proto::hostname::route_wildcards;

/// Told of every change, with every route, before the change is logged.
type Listener = Box<dyn Fn(&HashMap<String, RouteRecord>) + Send + Sync>;

#[derive(Clone)]
pub struct RouteTable {
    routes: Arc<RwLock<HashMap<String, RouteRecord>>>,
    listeners: Arc<std::sync::Mutex<Vec<Listener>>>,
    /// The store revision of the last change (bumped by one by [`RouteTable::set`]), for the
    /// DNS answers built from the routes and their serial.
    version: tokio::sync::watch::Sender<i64>,
}

impl Default for RouteTable {
    fn default() -> Self {
        RouteTable {
            routes: Arc::default(),
            listeners: Arc::default(),
            version: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl RouteTable {
    /// The tunnel for a normalised host: an exact route first, then the most specific wildcard.
    pub fn lookup(&self, host: &str) -> Option<Uuid> {
        self.route(host).map(|r| r.tunnel_id)
    }

    /// The route that serves a normalised host, as [`RouteTable::lookup`] finds it.
    pub fn route(&self, host: &str) -> Option<RouteRecord> {
        let routes = self.routes.read().ok()?;
        if let Some(route) = routes.get(host) {
            return Some(route.clone());
        }
        route_wildcards(host).find_map(|w| routes.get(&w).cloned())
    }

    /// Hostnames routed to one tunnel (sent to its connector at registration).
    pub fn hostnames_of(&self, tunnel: Uuid) -> Vec<String> {
        let Ok(routes) = self.routes.read() else {
            return Vec::new();
        };
        let mut names: Vec<String> = routes
            .iter()
            .filter(|(_, r)| r.tunnel_id == tunnel)
            .map(|(h, _)| h.clone())
            .collect();
        names.sort();
        names
    }

    /// Every route.
    pub fn all(&self) -> Vec<RouteRecord> {
        self.routes
            .read()
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Waits for the first full read (the table may also be filled by [`RouteTable::set`]).
    pub async fn loaded(&self) {
        let _ = self.version.subscribe().wait_for(|v| *v > 0).await;
    }

    /// Wakes on every change after this call.
    pub fn changed(&self) -> tokio::sync::watch::Receiver<i64> {
        self.version.subscribe()
    }

    /// The store revision of the last change.
    pub fn revision(&self) -> i64 {
        *self.version.borrow()
    }

    /// Never backwards: a reload may be read at a revision older than an event seen.
    fn advance(&self, revision: i64) {
        self.version.send_if_modified(|v| {
            let next = (*v).max(revision.max(1));
            std::mem::replace(v, next) != next
        });
    }

    /// Calls `listener` with every route now, and again after every change (before the change
    /// is logged: scripts and tests wait for `route added`).
    pub fn on_change(
        &self,
        listener: impl Fn(&HashMap<String, RouteRecord>) + Send + Sync + 'static,
    ) {
        if let Ok(routes) = self.routes.read() {
            listener(&routes);
        }
        if let Ok(mut listeners) = self.listeners.lock() {
            listeners.push(Box::new(listener));
        }
    }

    fn changed_now(&self) {
        let (Ok(routes), Ok(listeners)) = (self.routes.read(), self.listeners.lock()) else {
            return;
        };
        for listener in listeners.iter() {
            listener(&routes);
        }
    }

    fn apply(&self, event: &Event) {
        match event {
            Event::Put(kv) => {
                let Ok(r) = decode::<RouteRecord>(kv) else {
                    return;
                };
                let (hostname, tunnel) = (r.hostname.clone(), r.tunnel_id);
                if let Ok(mut routes) = self.routes.write() {
                    routes.insert(r.hostname.clone(), r);
                }
                self.changed_now();
                tracing::info!(%hostname, %tunnel, "route added");
            }
            Event::Delete { key, .. } => {
                let hostname = key.trim_start_matches(ROUTES);
                if let Ok(mut routes) = self.routes.write() {
                    routes.remove(hostname);
                }
                self.changed_now();
                tracing::info!(hostname, "route removed");
            }
        }
    }

    /// Loads every route, then follows the store; on a watch error it reloads from scratch.
    pub async fn follow(
        self,
        store: Arc<dyn Store>,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        mirror(store, ROUTES, shutdown, |m| match m {
            Mirrored::Reset(kvs, revision) => {
                self.replace(kvs.iter().filter_map(|kv| decode(kv).ok()));
                self.advance(revision);
            }
            Mirrored::Change(event) => {
                self.apply(event);
                self.advance(event.revision());
            }
        })
        .await
    }

    /// Replaces the table (tests and start-up).
    pub fn set(&self, routes: impl IntoIterator<Item = RouteRecord>) {
        self.replace(routes);
        self.version.send_modify(|v| *v += 1);
    }

    fn replace(&self, routes: impl IntoIterator<Item = RouteRecord>) {
        if let Ok(mut table) = self.routes.write() {
            *table = routes
                .into_iter()
                .map(|r| (r.hostname.clone(), r))
                .collect();
        }
        self.changed_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_beats_wildcard_and_wildcards_match_any_depth() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let table = RouteTable::default();
        table.set([
            RouteRecord::new("*.example.test".into(), a),
            RouteRecord::new("api.example.test".into(), b),
        ]);
        assert_eq!(table.lookup("api.example.test"), Some(b));
        assert_eq!(table.lookup("x.example.test"), Some(a));
        assert_eq!(table.lookup("x.y.example.test"), Some(a));
        assert_eq!(table.lookup("example.test"), None);
    }
}
