//! `connector`: parse the command line, load and validate tunnel.yml (exit 64 when it is bad),
//! then hand over to the library.

use clap::Parser;
use tether_connector::cli::{self, Cli, Command, LogFormat};
use tether_connector::config::ConnectorConfig;
use tokio_util::sync::CancellationToken;

const EXIT_CONFIG: i32 = 64;

fn init_logs(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    tether_proto::install_crypto_provider();
    if let Command::Access(cli::AccessCommand::Tcp(args)) = cli.command {
        // Exit here rather than return: a blocked read of stdin would hold up the runtime's
        // shutdown after the connection has ended.
        match tether_connector::access::run(args).await {
            Ok(()) => std::process::exit(0),
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
        }
    }
    let config = match ConnectorConfig::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(EXIT_CONFIG);
        }
    };
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let result = match cli.command {
        Command::Access(_) => Ok(()),
        Command::Ingress(cmd) => cli::ingress_command(&config, cmd),
        Command::Run => {
            let shutdown = CancellationToken::new();
            let on_signal = shutdown.clone();
            tokio::spawn(async move {
                use tokio::signal::unix::{signal, SignalKind};
                if let Ok(mut term) = signal(SignalKind::terminate()) {
                    tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
                } else {
                    let _ = tokio::signal::ctrl_c().await;
                }
                on_signal.cancel();
            });
            // On a worker, not in `block_on`: the session's connection task then runs beside
            // the streams it wakes instead of on a third thread of its own.
            match tokio::spawn(cli::run(config, shutdown)).await {
                Ok(result) => result,
                Err(e) => Err(anyhow::anyhow!("the connector's main task failed: {e}")),
            }
        }
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
