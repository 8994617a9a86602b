//! Tether's authoritative DNS server, on hickory-server.
//!
//! - [`config`]: the `dns:` section of edge.yml.
//! - [`snapshot`]: every answer, built from the config and the live state ([`snapshot::Input`]);
//!   [`zone`]: one hosted zone's names, RRsets and wildcard lookup.
//! - [`handler`]: the `ZoneHandler` answering one hosted zone from the current snapshot.
//! - [`frontend`]: the `RequestHandler` in front of the catalog: transfer ACL, response rate
//!   limiting ([`rate_limit`]), [`metrics`], EDNS Client Subnet echo.
//! - [`server`]: [`server::Zones`] (the snapshot being served) and [`server::serve`] (UDP + TCP).
//!
//! The edge feeds [`server::Zones::publish`] from its store (`tether_edge::state::dns_source`).

pub mod config;
pub mod frontend;
pub mod handler;
pub mod metrics;
pub mod question;
pub mod rate_limit;
pub mod server;
pub mod snapshot;
pub mod zone;

#[cfg(test)]
mod truncation_tests;
