//! The edge's state: the etcd-shaped [`store::Store`] contract and its SQLite backend, the typed
//! records kept in it ([`records`]) and the operations on them ([`State`]: tunnels and tokens,
//! routing, presence), the tables followed live from it (routes: [`route_table`]), the
//! ACME certificates, locks and challenges ([`acme`]), the feed of
//! the authoritative DNS ([`dns_source`]) and the ended oidc sessions ([`oidc_logouts`]).
//!
//! May use: the leaves (`config`, `metrics`, `error`, `body`, `lifecycle`) only. Every other room
//! reads the state through what is here.

pub mod acme;
pub mod acme_records;
pub mod admin;
mod cluster;
pub mod directory;
pub mod dns_source;
mod enrollment;
pub mod oidc_logouts;
mod presence;
pub mod records;
pub mod route_policy;
pub mod route_table;
mod routing;
pub mod store;
pub mod table;
mod tunnels;

pub use enrollment::RedeemError;
pub use records::*;
pub use tunnels::State;
