//! `dns run --config edge.yml`: Tether's authoritative DNS on its own, answering from the same
//! store (edge.yml's `store:`, SQLite in `state-dir` or etcd) as the edges. Listens on
//! `--listen`, else `listen.dns`. It follows the store in memory, so it keeps answering from
//! what it last saw while the store is unreachable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tether_dns::server::Zones;
use tether_edge::cli::{load_config_or_exit, LogFormat};
use tether_edge::config::EdgeConfig;
use tether_edge::state::acme::AcmeTables;
use tether_edge::state::directory::Directory;
use tether_edge::state::dns_source::Sources;
use tether_edge::state::route_table::RouteTable;
use tether_edge::state::store;
use tether_runtime::exit::{signalled, Exit};
use tokio_util::sync::CancellationToken;

#[derive(Parser, Debug)]
#[command(name = "dns", version, about = "Tether's authoritative DNS server")]
struct Cli {
    /// Path to edge.yml (its `dns:` section and `state-dir`).
    #[arg(long, global = true, default_value = "edge.yml")]
    config: PathBuf,
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the zones over UDP and TCP.
    Run {
        /// Where to listen (UDP and TCP); default `listen.dns` from the config.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Prometheus `/metrics` address; default none.
        #[arg(long)]
        metrics: Option<SocketAddr>,
    },
    /// Print a shell completion script, e.g. `dns completions bash`.
    Completions { shell: clap_complete::Shell },
    /// Write the man pages (dns.1, dns-run.1) into DIR, for packagers.
    #[command(hide = true)]
    Manpages { dir: PathBuf },
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    tether_runtime::logs::init(
        cli.log_format == LogFormat::Json,
        tether_runtime::logs::EDGE_FILTER,
    );
    let (listen, metrics) = match cli.command {
        Command::Run { listen, metrics } => (listen, metrics),
        Command::Completions { shell } => {
            return tether_runtime::cli_docs::completions(
                <Cli as clap::CommandFactory>::command(),
                shell,
            )
        }
        Command::Manpages { dir } => {
            if let Err(e) =
                tether_runtime::cli_docs::manpages(<Cli as clap::CommandFactory>::command(), &dir)
            {
                eprintln!("error: {}: {e}", dir.display());
                Exit::Failure.exit();
            }
            return;
        }
    };
    let config = load_config_or_exit(&cli.config);
    if let Err(e) = run(config, listen, metrics).await {
        eprintln!("error: {e:#}");
        Exit::Failure.exit();
    }
}

async fn run(
    config: EdgeConfig,
    listen: Option<SocketAddr>,
    metrics: Option<SocketAddr>,
) -> anyhow::Result<()> {
    let source = config.source.display().to_string();
    let dns = config.dns.clone().ok_or_else(|| {
        anyhow::anyhow!("{source}: no `dns:` section; list the zones to serve (see docs/dns.md)")
    })?;
    let addr = listen.or(config.listen.dns).ok_or_else(|| {
        anyhow::anyhow!("{source}: no address to listen on: set listen.dns or pass --listen")
    })?;
    let sockets = tether_dns::server::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind dns listener on {addr}: {e}"))?;
    tracing::info!("listening on dns {}", sockets.local_addr()?);
    let store = store::open(&config.store, &config.state_dir).await?;
    let zones = Arc::new(Zones::new(dns, Arc::default()));
    let shutdown = CancellationToken::new();
    let directory = Directory::follow(store.clone(), shutdown.clone()).await;
    let routes = RouteTable::default();
    tokio::spawn(routes.clone().follow(store.clone(), shutdown.clone()));
    routes.loaded().await;
    let acme = AcmeTables::follow(store, shutdown.clone()).await;
    if let Some(addr) = metrics {
        let mut registry = prometheus_client::registry::Registry::default();
        zones.metrics.register(&mut registry);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind metrics listener on {addr}: {e}"))?;
        tracing::info!("listening on metrics {}", listener.local_addr()?);
        tokio::spawn(tether_edge::metrics::serve(
            listener,
            Arc::new(registry),
            shutdown.clone(),
        ));
    }
    let signal = shutdown.clone();
    tokio::spawn(async move {
        signalled().await;
        signal.cancel();
    });
    let sources = Sources {
        directory,
        routes,
        acme,
    };
    tether_edge::state::dns_source::run(sources, zones, sockets, shutdown).await;
    Ok(())
}
