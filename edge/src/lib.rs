//! The Tether edge.
pub mod ca;
pub mod certs;
pub mod config;
pub mod hostname;
pub mod routes;
pub mod state;
pub mod store;
