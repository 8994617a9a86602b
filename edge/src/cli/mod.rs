//! The `edge` command line: `edge run`, and the `edge tunnel …` (`tunnel.rs`; its enrollment and
//! revocation in `enroll.rs`), `edge token …`
//! (`token.rs`), `edge store …` (`store.rs`) and `edge cert list` (`cert.rs`) management
//! commands, all on the store edge.yml names.
//!
//! May use: `state`, `tls` (the CA, for credentials files), `acme` (which names, when they
//! renew), and the leaves.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::EdgeConfig;

mod admin;
mod api_client;
mod backend;
mod cert;
mod enroll;
pub mod route_policy;
mod store;
mod token;
mod tunnel;

pub use admin::{admin_command, AdminArgs, AdminCommand};
pub use api_client::ApiArgs;
pub use cert::{cert_command, CertArgs, CertCommand};
pub use store::{store_command, StoreCommand};
pub use token::{token_command, TokenArgs, TokenCommand};
pub use tunnel::{tunnel_command, RouteCommand, TunnelArgs, TunnelCommand};

#[derive(Parser, Debug)]
#[command(
    name = "edge",
    version,
    about = "The Tether edge: public listeners and tunnel sessions"
)]
pub struct Cli {
    /// Path to edge.yml.
    #[arg(long, global = true, default_value = "edge.yml")]
    pub config: PathBuf,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Loads edge.yml, or prints the error (file:line: what and how to fix) and exits with 64.
pub fn load_config_or_exit(path: &Path) -> EdgeConfig {
    match EdgeConfig::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            tether_runtime::exit::Exit::Config.exit();
        }
    }
}

/// Unix seconds as an RFC 3339 time, as the commands print them.
fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the edge.
    Run,
    /// Manage tunnels (on the store, or with --api through an edge's admin API).
    Tunnel(TunnelArgs),
    /// Manage access tokens for `connector access tcp` (routes made with --require-token; on
    /// the store, or with --api through an edge's admin API).
    Token(TokenArgs),
    /// Move the state between stores (`copy --from sqlite --to etcd`).
    #[command(subcommand)]
    Store(StoreCommand),
    /// The admin API's tokens (`token create --role read|write`, `list`, `revoke`; on the
    /// store, or with --api through an edge's admin API).
    Admin(AdminArgs),
    /// ACME certificates (`list`): issuer, expiry and the last error of each name (on the
    /// store, or with --api through an edge's admin API).
    Cert(CertArgs),
    /// Print a shell completion script, e.g. `edge completions bash >
    /// /etc/bash_completion.d/edge`.
    Completions { shell: clap_complete::Shell },
    /// Write the man pages (edge.1, edge-tunnel-create.1, …) into DIR, for packagers.
    #[command(hide = true)]
    Manpages { dir: std::path::PathBuf },
}
