//! `edge store copy --from sqlite --to etcd`: moves a cluster's state from one store to another
//! (tunnels, their names, routes, ports, access tokens, the CA and the link secret; not who is
//! alive, which each edge writes again), so connectors' existing credentials keep working.

use clap::{Subcommand, ValueEnum};

use crate::config::{EdgeConfig, StoreConfig};
use crate::state::store::{self, Store};
use crate::state::{State, DURABLE};
use crate::tls::ca::TunnelCa;

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Copy the state from one store to another: SQLite is the one in `state-dir`, etcd the one
    /// `store: etcd:` names in edge.yml.
    Copy {
        #[arg(long, value_enum)]
        from: Backend,
        #[arg(long, value_enum)]
        to: Backend,
        /// Replace what the destination holds (by default a destination that already holds a
        /// cluster is left alone).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Etcd,
}

async fn open(config: &EdgeConfig, backend: Backend) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    let chosen = match backend {
        Backend::Sqlite => StoreConfig::Sqlite,
        Backend::Etcd => match &config.store {
            etcd @ StoreConfig::Etcd(_) => etcd.clone(),
            StoreConfig::Sqlite => anyhow::bail!(
                "{}: no `store: etcd:` section to copy to or from; add one (see docs/operations.md#cluster-on-etcd)",
                config.source.display()
            ),
        },
    };
    Ok(store::open(&chosen, &config.state_dir).await?)
}

pub async fn store_command(config: &EdgeConfig, command: StoreCommand) -> anyhow::Result<()> {
    let StoreCommand::Copy { from, to, force } = command;
    if from == to {
        anyhow::bail!("--from and --to name the same store");
    }
    let (source, target) = (open(config, from).await?, open(config, to).await?);
    // A CA an older edge left in the state directory goes into the source first, so it travels.
    TunnelCa::load_or_create(&State::new(source.clone()), &config.state_dir).await?;
    let mut existing = 0;
    for prefix in DURABLE {
        existing += target.range(prefix).await?.0.len();
    }
    if existing > 0 && !force {
        anyhow::bail!(
            "{} already holds {existing} records of a cluster; nothing was copied. Pass --force to replace them with those of {}",
            target.describe(),
            source.describe()
        );
    }
    let mut copied = Vec::new();
    for prefix in DURABLE {
        let (rows, _) = source.range(prefix).await?;
        let (old, _) = target.range(prefix).await?;
        for kv in &rows {
            target.put(&kv.key, kv.value.clone(), None).await?;
        }
        for kv in old.iter().filter(|o| !rows.iter().any(|r| r.key == o.key)) {
            target.delete(&kv.key).await?;
        }
        copied.push(format!("{} {}", rows.len(), prefix.trim_end_matches('/')));
    }
    println!(
        "Copied {} from {} to {}",
        copied.join(", "),
        source.describe(),
        target.describe()
    );
    println!("Point every edge's `store:` at the new store and restart them; connectors keep their credentials.");
    Ok(())
}
