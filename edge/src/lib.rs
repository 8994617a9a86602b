//! The Tether edge.
pub mod config;
pub mod store;
