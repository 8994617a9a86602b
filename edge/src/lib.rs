//! The Tether edge: it owns the public side of every tunnel. Its rooms, in the order a request
//! meets them (`docs/architecture.md` has the tree and the path of a request):
//!
//! - [`public`]: listeners, TLS by SNI, the HTTP proxy, WebSockets, public TCP ports, forwarding
//!   headers, the access log.
//! - [`access`]: `connector access tcp` sessions and their tokens.
//! - [`links`]: edge-to-edge links, sending and receiving, and their key.
//! - [`tunnels`]: connector sessions accepted and kept, the session table, the stream opener
//!   with its retries, this edge's presence in the store.
//! - [`tls`]: the tunnel CA and the certificates served.
//! - [`state`]: the `Store` contract and its SQLite backend, the typed records, the route
//!   table, the DNS source.
//! - [`cli`]: the `edge` commands.
//! - Leaves any room may use: [`config`] (edge.yml), [`metrics`], [`error`] (every error the
//!   public client sees, and its page), [`body`], [`lifecycle`] (draining, shutdown).
//! - Wiring, which no room imports: [`server`] (`edge run`), [`reload`], [`drain`].
//!
//! Dependencies point one way: `public`, `access` and `links` use `tunnels`; `tunnels` uses
//! `state`; `tests/tests/layout.rs` keeps it so.

pub mod access;
pub mod body;
pub mod cli;
pub mod config;
pub mod drain;
pub mod error;
pub mod lifecycle;
pub mod links;
pub mod metrics;
pub mod public;
pub mod reload;
pub mod server;
pub mod state;
pub mod tls;
pub mod tunnels;
