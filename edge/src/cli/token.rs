//! `edge token …`: access tokens for `connector access tcp` on routes made with
//! `--require-token`.

use clap::Subcommand;

use super::api_client::ApiArgs;
use super::backend::Backend;
use super::rfc3339;
use crate::config::EdgeConfig;

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token; it is printed once and stored only as a hash.
    Create {
        name: String,
        /// A route it opens (repeat for several); without it, every route that requires a token.
        #[arg(long = "hostname", value_name = "HOSTNAME")]
        hostnames: Vec<String>,
        /// How long it is valid.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "365days")]
        ttl: std::time::Duration,
    },
    /// List tokens (ids, names, creation times; never the secrets).
    List,
    /// Revoke a token by id or name; access sessions using it are closed at once.
    Revoke { token: String },
}

/// `edge token [--api URL --api-token T] …`.
#[derive(clap::Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub command: TokenCommand,
}

pub async fn token_command(config: Option<&EdgeConfig>, args: TokenArgs) -> anyhow::Result<()> {
    let backend = Backend::open(config, &args.api).await?;
    match args.command {
        TokenCommand::Create {
            name,
            hostnames,
            ttl,
        } => {
            let created = backend.create_token(&name, &hostnames, ttl).await?;
            let (t, token) = (&created.view, &created.token);
            println!("Created access token {} ({})", t.name, t.id);
            match t.hostnames.is_empty() {
                true => println!("It opens every route that requires a token; scope it with --hostname HOSTNAME."),
                false => println!("It opens: {}", t.hostnames.join(", ")),
            }
            if let Some(at) = t.expires_at {
                println!("Valid until {}", rfc3339(at));
            }
            println!("{token}");
            println!("Keep it secret; it is not shown again. Use: connector access tcp --hostname HOST --token {token}");
        }
        TokenCommand::List => {
            let tokens = backend.tokens().await?;
            if tokens.is_empty() {
                println!("No access tokens; create one with `edge token create NAME`");
            }
            for t in tokens {
                let scope = match t.hostnames.is_empty() {
                    true => "every token route".to_string(),
                    false => t.hostnames.join(","),
                };
                let until = t.expires_at.map_or("never".to_string(), rfc3339);
                let created = rfc3339(t.created_at);
                println!(
                    "{}  {}  created {created}  expires {until}  opens {scope}",
                    t.id, t.name
                );
            }
        }
        TokenCommand::Revoke { token } => {
            let t = backend.revoke_token(&token).await?;
            println!(
                "Revoked access token {} ({}); its sessions close within a second",
                t.name, t.id
            );
        }
    }
    Ok(())
}
