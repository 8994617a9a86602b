//! `connector`: parse the command line, load and validate tunnel.yml (exit 64 when it is bad),
//! then hand over to the library.

use clap::Parser;
use tether_connector::cli::{self, Cli, Command, LogFormat};
use tether_connector::config::ConnectorConfig;
use tether_proto::enroll::RunToken;
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
    match &cli.command {
        Command::Enroll(_) | Command::Token { .. } => std::process::exit(other_command(cli).await),
        _ => {}
    }
    let (url, token) = match &cli.command {
        Command::Run(args) => (args.url.clone(), args.token.clone()),
        _ => (None, None),
    };
    let token = match token.as_deref().map(RunToken::decode) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            eprintln!("error: --token / TUNNEL_TOKEN: {e}");
            std::process::exit(EXIT_CONFIG);
        }
    };
    let loaded = match &url {
        Some(url) => ConnectorConfig::from_url(url),
        None if token.is_some() && !cli.config.exists() => {
            eprintln!(
                "error: {} does not exist: with a run token, give the origin with --url (e.g. --url http://localhost:8080), or the ingress rules in a tunnel.yml (--config)",
                cli.config.display()
            );
            std::process::exit(EXIT_CONFIG);
        }
        None => ConnectorConfig::load(&cli.config),
    };
    let config = match loaded {
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
        Command::Access(_) | Command::Enroll(_) | Command::Token { .. } => Ok(()),
        Command::Ingress(cmd) => cli::ingress_command(&config, cmd),
        Command::Run(_) => {
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
            match tokio::spawn(cli::run(config, token, shutdown)).await {
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

/// The commands that need no tunnel.yml: `enroll` and `token`. Returns the exit status.
async fn other_command(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Enroll(args) => tether_connector::enroll::enroll(args).await.map(|path| {
            println!("Enrolled: credentials written to {} (keep it secret: it holds this site's private key)", path.display());
            println!("Next: set `credentials-file: {}` in tunnel.yml and run `connector run --config tunnel.yml`,", path.display());
            println!("  or run without files: connector run --token \"$(connector token --credentials-file {})\" --url http://localhost:8080", path.display());
        }),
        Command::Token { credentials_file } => {
            tether_connector::enroll::run_token(&credentials_file).map(|t| println!("{t}"))
        }
        _ => Ok(()),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}
