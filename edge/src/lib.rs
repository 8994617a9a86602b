//! The Tether edge: it owns the public side of every tunnel. See `docs/architecture.md`.

pub mod access;
pub mod body;
pub mod cli;
pub mod config;
pub mod drain;
pub mod error;
pub mod links;
pub mod metrics;
pub mod public;
pub mod reload;
pub mod server;
pub mod state;
pub mod tls;
pub mod tunnels;

// The old flat paths, while the rooms are being wired with handles (removed in the next step).
pub use access::tokens;
pub use error as error_page;
pub use links::{accept as link_accept, key as link_key};
pub use public::{access_log, activity, forwarded, listener, proxy, tcp_ports, websocket};
pub use state::{dns_source, hostname, route_table as routes, store};
pub use tls::{ca, certs};
pub use tunnels::{accept as session_accept, sessions, stream as tunnel_stream};
