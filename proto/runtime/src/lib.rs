//! What a Tether process needs around its work, shared by the `edge`, `connector` and `dns`
//! binaries: none of it is on the wire.
//!
//! - [`logs`]: the log set-up every binary shares.
//! - [`exit`]: exit codes and the stop signals (the first drains, the second exits).
//! - [`status`]: the plain-HTTP server for `/metrics`, `/ready` and `/healthz`.
//! - [`metric_parts`]: label sets and helpers both sides' Prometheus metrics use.
//! - [`config_error`]: configuration errors that name the file, the line and the fix;
//!   [`unknown_keys`] collects every unknown key of a YAML file in one pass; [`one_or_many`]
//!   reads a key written as one value or a list.
//! - [`small_file`]: reading a file a config names, bounded; [`private`]: files only their owner
//!   may read, written atomically.
//! - [`reload`]: when to reload a configuration (SIGHUP, or a changed file); [`boot`]: which of
//!   its keys a reload applies and which wait for a restart.
//! - [`cli_docs`]: shell completions and manual pages from a binary's clap definition.

pub mod boot;
pub mod cli_docs;
pub mod config_error;
pub mod exit;
pub mod logs;
pub mod metric_parts;
pub mod one_or_many;
pub mod private;
pub mod reload;
pub mod small_file;
pub mod status;
pub mod unknown_keys;
