//! The edge's view: what the control plane knows, compiled into one immutable value that the data
//! plane reads through one atomic swap. Today it holds the routes ([`Routes`]: each hostname's
//! tunnel, compiled policy, limits and client TLS verifier); it is rebuilt whenever the route
//! table changes, before the change is logged, so a request that follows a `route added` line
//! finds the route. A rebuild keeps every route whose record did not change.
//!
//! May use: `state` (the records it compiles), `policy` and `protect` (what it compiles them
//! into), and the leaves. The data plane (`public`, `access`, `tls`) reads routes here only.

mod route;

use std::sync::Arc;

use arc_swap::ArcSwap;

pub use route::{Route, Routes};

use crate::policy::jwks::KeyCache;
use crate::state::route_table::RouteTable;

/// One compiled state of the edge.
#[derive(Default)]
pub struct EdgeView {
    pub routes: Routes,
}

/// The current view, swapped whole on each change (cheap to clone).
#[derive(Clone, Default)]
pub struct View {
    current: Arc<ArcSwap<EdgeView>>,
}

impl View {
    /// The route serving a normalised host.
    pub fn route(&self, host: &str) -> Option<Arc<Route>> {
        self.current.load().routes.find(host).cloned()
    }

    /// Compiles `table`'s routes now, and again on every change to it; policies' fetched keys
    /// live in `keys`.
    pub fn follow(&self, table: &RouteTable, keys: Arc<KeyCache>) {
        let current = self.current.clone();
        table.on_change(move |records| {
            let previous = current.load();
            let routes = Routes::compile(records.values(), &previous.routes, &keys);
            current.store(Arc::new(EdgeView { routes }));
        });
    }

    /// A view of `table` compiled once and followed (the tests and tools that need no policy
    /// keys shared with a `Gate`).
    pub fn of(table: &RouteTable) -> View {
        let view = View::default();
        view.follow(table, Arc::default());
        view
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
