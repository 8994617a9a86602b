//! The Tether edge: it owns the public side of every tunnel.
//!
//! A map of the crate, in the order a request meets it:
//! - [`listener`]: accept loops for the public HTTP/HTTPS and tunnel listeners.
//! - [`certs`]: the certificate for each TLS handshake, by SNI (wildcards, dev CA).
//! - [`proxy`]: a public request → route → session → stream → response; [`websocket`] for
//!   upgrades; [`forwarded`] for X-Forwarded-* / Forwarded; [`error_page`] for every response the
//!   edge gives itself; [`access_log`] the line per request, written when its body is done.
//! - [`routes`]: hostname → tunnel, followed live from the store; [`hostname`] the matching rules.
//! - [`sessions`]: live sessions per tunnel; [`session_accept`] opens them (authentication);
//!   [`tunnel_stream`] opens one stream on a session and waits for its response head.
//! - [`links`]: a request for a tunnel this edge holds no session of goes over an edge-to-edge
//!   link to an edge that holds one; [`link_accept`] is the receiving side, [`link_key`] the
//!   proof between them.
//! - [`drain`]: the edge's own shutdown: out of DNS, connectors moved, then closed.
//! - [`tcp_ports`]: public TCP ports (`route tcp --port`), each connection a CONNECT stream;
//!   [`access`]: `connector access tcp` sessions on the HTTPS port; [`tokens`]: their tokens.
//! - [`store`]: the etcd-shaped state store (SQLite embedded); [`state`] the records in it.
//! - [`dns_source`]: feeds the authoritative DNS (`tether-dns`) from the store; [`metrics`]:
//!   the Prometheus metrics and `/metrics`.
//! - [`reload`]: edge.yml and certificates reloaded on SIGHUP or change, validated first.
//! - [`ca`]: the tunnel CA; [`server`]: `run(config, listeners, shutdown)`; [`cli`]: the commands.

pub mod access;
pub mod access_log;
pub mod activity;
pub mod body;
pub mod ca;
pub mod certs;
pub mod cli;
pub mod config;
pub mod dns_source;
pub mod drain;
pub mod error_page;
pub mod forwarded;
pub mod hostname;
pub mod link_accept;
pub mod link_key;
pub mod links;
pub mod listener;
pub mod metrics;
pub mod proxy;
pub mod reload;
pub mod routes;
pub mod server;
pub mod session_accept;
pub mod sessions;
pub mod state;
pub mod store;
pub mod tcp_ports;
pub mod tokens;
pub mod tunnel_stream;
pub mod websocket;
