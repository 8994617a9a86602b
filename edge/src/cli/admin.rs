//! `edge admin token …`: the admin API's tokens, kept in the store (as hashes) so every edge
//! honours them.

use clap::Subcommand;

use super::api_client::ApiArgs;
use super::backend::Backend;
use super::rfc3339;
use crate::config::EdgeConfig;
use crate::state::admin::Role;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Admin tokens for the API and the dashboard.
    #[command(subcommand)]
    Token(AdminTokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum AdminTokenCommand {
    /// Create a token; it is printed once and stored only as a hash.
    Create {
        /// A name to recognise it by (who or what uses it).
        #[arg(default_value = "admin")]
        name: String,
        /// `read`: every GET, and the dashboard without actions; `write`: everything.
        #[arg(long, value_parser = Role::parse, default_value = "read")]
        role: Role,
        /// How long it is valid.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "90days")]
        ttl: std::time::Duration,
    },
    /// List admin tokens (ids, names, roles, expiry; never the secrets).
    List,
    /// Revoke a token by id or name; every edge refuses it within a second.
    Revoke { token: String },
}

/// `edge admin [--api URL --api-token T] token …`.
#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub command: AdminCommand,
}

pub async fn admin_command(config: Option<&EdgeConfig>, args: AdminArgs) -> anyhow::Result<()> {
    let backend = Backend::open(config, &args.api).await?;
    let AdminCommand::Token(command) = args.command;
    match command {
        AdminTokenCommand::Create { name, role, ttl } => {
            if ttl.is_zero() {
                anyhow::bail!("--ttl must be longer than 0s, e.g. --ttl 30days");
            }
            let created = backend.create_admin_token(&name, role, ttl).await?;
            let (t, token) = (&created.view, &created.token);
            println!("Created {} admin token {} ({})", t.role, t.name, t.id);
            if let Some(at) = t.expires_at {
                println!("Valid until {}", rfc3339(at));
            }
            println!("{token}");
            println!("Keep it secret; it is not shown again. Log in to the dashboard with it, or: edge tunnel list --api URL --api-token TOKEN");
        }
        AdminTokenCommand::List => {
            let tokens = backend.admin_tokens().await?;
            if tokens.is_empty() {
                println!("No admin tokens; create one with `edge admin token create NAME --role read|write`");
            }
            for t in tokens {
                let until = t.expires_at.map_or("never".to_string(), rfc3339);
                let created = rfc3339(t.created_at);
                println!(
                    "{}  {}  {}  created {created}  expires {until}",
                    t.id, t.name, t.role
                );
            }
        }
        AdminTokenCommand::Revoke { token } => {
            let t = backend.revoke_admin_token(&token).await?;
            println!(
                "Revoked admin token {} ({}); every edge refuses it within a second",
                t.name, t.id
            );
        }
    }
    Ok(())
}
