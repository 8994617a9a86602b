//! The Tether connector: runs next to private services and opens outbound sessions to the edge.
//! See `docs/architecture.md`.

pub mod access;
pub mod cli;
pub mod config;
pub mod health;
pub mod ingress;
pub mod metrics;
pub mod reload;
pub mod serve;
pub mod session;

// The old flat paths, while the rooms are being wired with handles (removed in the next step).
pub use ingress::origin;
pub use serve::{http as proxy, stream, tcp};
pub use session::{control, edges, supervisor};
