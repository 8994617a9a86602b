//! `edge token …`: access tokens for `connector access tcp` on routes made with
//! `--require-token`.

use clap::Subcommand;

use crate::config::EdgeConfig;
use crate::state::store;
use crate::state::State;

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token; it is printed once and stored only as a hash.
    Create { name: String },
    /// List tokens (ids, names, creation times; never the secrets).
    List,
    /// Revoke a token by id or name; access sessions using it are closed at once.
    Revoke { token: String },
}

pub async fn token_command(config: &EdgeConfig, command: TokenCommand) -> anyhow::Result<()> {
    let state = State::new(store::open(&config.store, &config.state_dir).await?);
    match command {
        TokenCommand::Create { name } => {
            let (record, token) = state.create_token(&name).await?;
            println!("Created access token {} ({})", record.name, record.id);
            println!("{token}");
            println!("Keep it secret; it is not shown again. Use: connector access tcp --hostname HOST --token {token}");
        }
        TokenCommand::List => {
            let tokens = state.tokens().await?;
            if tokens.is_empty() {
                println!("No access tokens; create one with `edge token create NAME`");
            }
            for t in tokens {
                println!(
                    "{}  {}  created {}",
                    t.id,
                    t.name,
                    humantime::format_rfc3339_seconds(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.created_at)
                    )
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
