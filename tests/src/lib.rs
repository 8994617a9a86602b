//! The end-to-end harness: real `edge` and `connector` processes on 127.0.0.1 with port 0, origins
//! in-process, real clients. Readiness is read from the processes' log lines; nothing sleeps a
//! fixed time. Every wait is bounded.
//!
//! - [`process`]: spawn a binary, follow its log, wait for a line or its exit.
//! - [`tunnel`]: [`tunnel::TestEdge`] and [`tunnel::TestConnector`]; [`many`]: many tunnels with
//!   in-process connectors.
//! - [`dns`]: an edge serving DNS, and `dig`/`kdig` helpers.
//! - [`acme`]: a real ACME CA (pebble) and edges ordering from it.
//! - [`etcd`]: a real etcd cluster (members killed and restarted at will).
//! - [`cloudflared`]: cloudflared config files migrated and run.
//! - [`client`]: HTTP/1.1 and HTTP/2 clients that dial the edge with a chosen SNI.
//! - [`load`]: steady HTTP load through edges, every failure counted.
//! - [`ports`]: ports for processes that cannot bind port 0 themselves.
//! - [`proxy`]: a real HTTP proxy (squid) with basic authentication.
//! - [`origin`]: origin servers the tests put behind the tunnel; [`tcp`]: a raw TCP one.

pub mod acme;
pub mod admin;
pub mod browser;
pub mod client;
pub mod cloudflared;
pub mod dns;
pub mod etcd;
pub mod h2frames;
pub mod load;
pub mod many;
pub mod origin;
pub mod ports;
pub mod process;
pub mod proxy;
pub mod tcp;
pub mod tunnel;

use std::time::Duration;

/// Generous bound for anything a healthy system does "at once": slack for a loaded CI machine.
pub const READY: Duration = Duration::from_secs(30);
