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
