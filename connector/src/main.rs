//! `connector`: parse the command line, load and validate tunnel.yml (exit 64 when it is bad),
//! then hand over to the library.

use clap::Parser;
use tether_connector::cli::{self, Cli, Command, LogFormat};
use tether_connector::config::ConnectorConfig;
use tokio_util::sync::CancellationToken;

const EXIT_CONFIG: i32 = 64;
/// Exit status after a second SIGTERM or SIGINT cut the drain short (128 + SIGINT, as shells do).
const EXIT_SIGNAL: i32 = 130;
/// Exit status when the edge refused the tunnel for good (sysexits' EX_NOPERM): systemd's
/// `RestartPreventExitStatus=64 77` then stops retrying a bad config or a deleted tunnel.
const EXIT_REFUSED: i32 = 77;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    tether_proto::logs::init(
        cli.log_format == LogFormat::Json,
        tether_proto::logs::CONNECTOR_FILTER,
    );
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
                // The first SIGTERM or SIGINT drains (`grace-period`); a second exits at once.
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    tracing::error!("cannot listen for SIGTERM and SIGINT");
                    return;
                };
                tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
                tracing::info!("shutting down: draining sessions; signal again to exit at once");
                on_signal.cancel();
                tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
                tracing::warn!("second signal: exiting without waiting for open streams");
                std::process::exit(EXIT_SIGNAL);
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
        let refused = e.downcast_ref::<cli::Refused>().is_some();
        std::process::exit(if refused { EXIT_REFUSED } else { 1 });
    }
}
