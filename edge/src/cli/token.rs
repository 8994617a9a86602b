//! `edge token …`: access tokens for `connector access tcp` on routes made with
//! `--require-token`.

use clap::Subcommand;

use crate::config::EdgeConfig;
use crate::state::store;
use crate::state::State;

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

pub async fn token_command(config: &EdgeConfig, command: TokenCommand) -> anyhow::Result<()> {
    let state = State::new(store::open(&config.store, &config.state_dir).await?);
    match command {
        TokenCommand::Create {
            name,
            hostnames,
            ttl,
        } => {
            let (record, token) = state.create_token(&name, &hostnames, Some(ttl)).await?;
            println!("Created access token {} ({})", record.name, record.id);
            match record.hostnames.is_empty() {
                true => println!("It opens every route that requires a token; scope it with --hostname HOSTNAME."),
                false => println!("It opens: {}", record.hostnames.join(", ")),
            }
            if let Some(t) = record.expires_at {
                println!(
                    "Valid until {}",
                    humantime::format_rfc3339_seconds(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(t)
                    )
                );
            }
            println!("{token}");
            println!("Keep it secret; it is not shown again. Use: connector access tcp --hostname HOST --token {token}");
        }
        TokenCommand::List => {
            let tokens = state.tokens().await?;
            if tokens.is_empty() {
                println!("No access tokens; create one with `edge token create NAME`");
            }
            let at = |secs: u64| {
                humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
                )
                .to_string()
            };
            for t in tokens {
                let scope = match t.hostnames.is_empty() {
                    true => "every token route".to_string(),
                    false => t.hostnames.join(","),
                };
                let until = t.expires_at.map_or("never".to_string(), at);
                println!(
                    "{}  {}  created {}  expires {until}  opens {scope}",
                    t.id,
                    t.name,
                    at(t.created_at)
                );
            }
        }
        TokenCommand::Revoke { token } => {
            let record = state.revoke_token(&token).await?;
            println!(
                "Revoked access token {} ({}); its sessions close within a second",
                record.name, record.id
            );
        }
    }
    Ok(())
}
