//! `edge`: parse the command line, load and validate the config (exit 64 when it is bad), then
//! hand over to the library.

use clap::Parser;
use tether_edge::cli::{self, Cli, Command, LogFormat};
use tether_edge::config::EdgeConfig;
use tether_edge::server::{self, Listeners};
use tether_runtime::exit::{stop_on_signals, Exit};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    tether_runtime::logs::init(
        cli.log_format == LogFormat::Json,
        tether_runtime::logs::EDGE_FILTER,
    );
    // Neither needs edge.yml.
    match &cli.command {
        Command::Completions { shell } => {
            return tether_runtime::cli_docs::completions(
                <Cli as clap::CommandFactory>::command(),
                *shell,
            )
        }
        Command::Manpages { dir } => {
            let written =
                tether_runtime::cli_docs::manpages(<Cli as clap::CommandFactory>::command(), dir);
            return exit_on_error(written.map_err(|e| anyhow::anyhow!("{}: {e}", dir.display())));
        }
        _ => {}
    }
    // Through the admin API (`--api`), the management commands need no edge.yml.
    let config_unless = |api: &cli::ApiArgs| match api.url {
        Some(_) => None,
        None => Some(cli::load_config_or_exit(&cli.config)),
    };
    let result = match cli.command {
        Command::Tunnel(args) => cli::tunnel_command(config_unless(&args.api).as_ref(), args).await,
        Command::Token(args) => cli::token_command(config_unless(&args.api).as_ref(), args).await,
        Command::Admin(args) => cli::admin_command(config_unless(&args.api).as_ref(), args).await,
        Command::Cert(args) => cli::cert_command(config_unless(&args.api).as_ref(), args).await,
        Command::Run => run(cli::load_config_or_exit(&cli.config)).await,
        Command::Store(cmd) => {
            cli::store_command(&cli::load_config_or_exit(&cli.config), cmd).await
        }
        Command::Completions { .. } | Command::Manpages { .. } => Ok(()),
    };
    exit_on_error(result);
}

fn exit_on_error(result: anyhow::Result<()>) {
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        Exit::Failure.exit();
    }
}

async fn run(config: EdgeConfig) -> anyhow::Result<()> {
    let listeners = Listeners::bind(&config.listen).await?;
    let stop = CancellationToken::new();
    // The first SIGTERM or SIGINT drains (`grace-period`, drain.rs; it logs its own start); a
    // second exits at once.
    stop_on_signals(
        stop.clone(),
        None,
        "second signal: exiting without waiting for the drain",
    );
    server::run(config, listeners, stop).await?;
    Ok(())
}
