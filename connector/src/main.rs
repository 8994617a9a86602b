//! `connector`: parse the command line, load and validate tunnel.yml (exit 64 when it is bad),
//! then hand over to the library.

use tether_connector::cli::{self, Action, Cli, Command, GlobalArgs, LogFormat, RunArgs};
use tether_connector::config::{self, ConnectorConfig};
use tether_connector::session::Stopped;
use tether_proto::enroll::RunToken;
use tether_runtime::exit::{stop_on_signals, Exit};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() {
    let cli: Cli = cli::invoked::parse();
    let global = cli.global.without_empty_values();
    // Looked up once: the default places are searched on disk.
    let config_path = global.config_path();
    let no_config = global.config.is_none() && !config_path.is_file();
    tether_proto::install_crypto_provider();
    let command = match cli.command {
        Command::Access(cli::AccessCommand::Tcp(args)) => {
            init_logs(&global, &Default::default());
            // Exit here rather than return: a blocked read of stdin would hold up the runtime's
            // shutdown after the connection has ended.
            exit_with(tether_connector::access::run(args).await)
        }
        Command::Completions { shell } => {
            tether_runtime::cli_docs::completions(<Cli as clap::CommandFactory>::command(), shell);
            Exit::Success.exit()
        }
        Command::Manpages { dir } => exit_with(
            tether_runtime::cli_docs::manpages(<Cli as clap::CommandFactory>::command(), &dir)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display())),
        ),
        Command::Service(command) => {
            exit_with(tether_connector::service::command(command, &config_path))
        }
        command @ (Command::Enroll(_) | Command::Token { .. }) => {
            init_logs(&global, &Default::default());
            other_command(command).await.exit()
        }
        command => command,
    };
    let Some(action) = command.action() else {
        unreachable!("every other command was handled above")
    };
    let metrics = match global
        .metrics
        .as_deref()
        .map(|m| (m, config::metrics_address(m)))
    {
        None => None,
        Some((_, Some(addr))) => Some(addr),
        Some((m, None)) => {
            eprintln!("error: --metrics / TUNNEL_METRICS: `{m}` is not an address; write IP:PORT or localhost:PORT, e.g. 127.0.0.1:20241");
            Exit::Config.exit();
        }
    };
    let (args, name, ingress) = match action {
        Action::Ready => {
            let config = (!no_config).then_some(config_path.as_path());
            ready(&global, config, metrics).await.exit()
        }
        Action::Run(args, name) => (args, name, None),
        Action::Ingress(cmd) => (RunArgs::default(), None, Some(cmd)),
    };
    // Only running needs a token (`ingress validate` reads the file alone).
    let token = match ingress.is_none().then(|| run_token(&args)).transpose() {
        Ok(token) => token.flatten(),
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Config.exit();
        }
    };
    let loaded = match &args.url {
        Some(url) => ConnectorConfig::from_url(url),
        None if token.is_some() && !config_path.exists() => {
            eprintln!(
                "error: {} does not exist: with a run token, give the origin with --url (e.g. --url http://localhost:8080), or the ingress rules in a tunnel.yml (--config)",
                config_path.display()
            );
            Exit::Config.exit();
        }
        None if no_config => {
            eprintln!("error: no configuration file: give one with --config FILE (looked for ./tunnel.yml, /etc/tether/tunnel.yml, and config.yml where cloudflared keeps it: ~/.cloudflared, /etc/cloudflared, /usr/local/etc/cloudflared)");
            Exit::Config.exit();
        }
        None => ConnectorConfig::load(&config_path),
    };
    let mut config = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Config.exit();
        }
    };
    // The command line wins over tunnel.yml, as in cloudflared.
    if let Some(name) = name {
        config.tunnel = Some(name);
        config.tunnel_from_command_line = true;
    }
    if metrics.is_some() {
        config.metrics = metrics;
        config.metrics_from_command_line = true;
    }
    if ingress.is_some() {
        // `ingress validate|rule` write no log: their warnings go to stderr, no file is opened.
        let level_only = config::LogConfig {
            file: None,
            ..config.log.clone()
        };
        init_logs(&global.clone().without_log_files(), &level_only);
    } else {
        init_logs(&global, &config.log);
    }
    for warning in config.warnings.iter().chain(&global.warnings()) {
        tracing::warn!("{warning}");
    }
    let result = match ingress {
        Some(cmd) => cli::ingress_command(&config, cmd),
        None => run_until_signalled(config, token).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        exit_status(&e).exit();
    }
}

/// The one mapping from a failed run to the connector's exit status: a tunnel the edge refused
/// for good is 77 and a bad identity (credentials, token) 64, so systemd's
/// `RestartPreventExitStatus=64 77` stops retrying them; anything else is 1.
fn exit_status(e: &anyhow::Error) -> Exit {
    if let Some(Stopped::Refused(_)) = e.downcast_ref::<Stopped>() {
        Exit::Refused
    } else if e.downcast_ref::<cli::BadIdentity>().is_some() {
        Exit::Config
    } else {
        Exit::Failure
    }
}

/// The run token: `--token`, else `--token-file`, else `TUNNEL_TOKEN`, else the file
/// `TUNNEL_TOKEN_FILE` names (flags beat variables; empty ones count as unset).
fn run_token(args: &RunArgs) -> Result<Option<RunToken>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let read = |file: &std::path::Path, from: &str| {
        tether_runtime::small_file::read_to_string(file)
            .map_err(|e| format!("{from} {}: {e}", file.display()))
    };
    let (text, from) = if let Some(token) = args.token.clone().filter(|t| !t.is_empty()) {
        (token, "--token")
    } else if let Some(file) = &args.token_file {
        (read(file, "--token-file")?, "--token-file")
    } else if let Some(token) = var("TUNNEL_TOKEN") {
        (token, "TUNNEL_TOKEN")
    } else if let Some(file) = var("TUNNEL_TOKEN_FILE") {
        (
            read(std::path::Path::new(&file), "TUNNEL_TOKEN_FILE")?,
            "TUNNEL_TOKEN_FILE",
        )
    } else {
        return Ok(None);
    };
    RunToken::decode(text.trim())
        .map(Some)
        .map_err(|e| format!("{from}: {e}"))
}

/// Exits 0 on `Ok`, else 1 after printing the error.
fn exit_with(result: anyhow::Result<()>) -> ! {
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        Exit::Failure.exit();
    }
    Exit::Success.exit()
}

/// The log set-up: flags over tunnel.yml's `loglevel`, `logfile` and `log-directory`.
fn init_logs(global: &GlobalArgs, from_config: &config::LogConfig) {
    let level = global.loglevel.as_deref().or(from_config.level.as_deref());
    if let Some(level) = level.filter(|l| tether_runtime::logs::level_filter(l).is_none()) {
        eprintln!("error: --loglevel / TUNNEL_LOGLEVEL: `{level}` is not a log level; write trace, debug, info, warn, error or fatal");
        Exit::Config.exit();
    }
    let path = global
        .logfile
        .clone()
        .or_else(|| {
            global
                .log_directory
                .as_ref()
                .map(|d| d.join("connector.log"))
        })
        .or_else(|| from_config.file.clone());
    let file = path.map(|path| {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| {
                eprintln!("error: cannot open the log file {}: {e}", path.display());
                Exit::Config.exit();
            })
    });
    tether_runtime::logs::init_with(&tether_runtime::logs::LogOptions {
        json: global.log_format == LogFormat::Json,
        default_filter: tether_runtime::logs::CONNECTOR_FILTER,
        level,
        level_wins: global.loglevel.is_some(),
        file,
    });
}

/// `connector tunnel ready`: 0 when the connector's /ready answers 200.
async fn ready(
    global: &GlobalArgs,
    config: Option<&std::path::Path>,
    metrics: Option<std::net::SocketAddr>,
) -> Exit {
    // The address from the flag, else from the configuration file: one named with --config
    // must load (a wrong guess could report another connector on this host as ready); a default
    // one is read when present.
    let configured = match metrics {
        Some(addr) => Some(addr),
        None => match config.map(ConnectorConfig::load) {
            None => None,
            Some(Ok(config)) => config.metrics,
            Some(Err(e)) if global.config.is_some() => {
                eprintln!("error: {e}");
                return Exit::Config;
            }
            Some(Err(_)) => None,
        },
    };
    let addresses = tether_connector::health::ready_addresses(configured);
    match tether_connector::health::probe_ready(&addresses).await {
        Ok(()) => Exit::Success,
        Err(e) => {
            eprintln!("{e}");
            Exit::Failure
        }
    }
}

/// Runs the tunnel: the first SIGTERM or SIGINT drains (`grace-period`); a second exits at once.
async fn run_until_signalled(
    config: ConnectorConfig,
    token: Option<RunToken>,
) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    stop_on_signals(
        shutdown.clone(),
        Some("shutting down: draining sessions; signal again to exit at once"),
        "second signal: exiting without waiting for open streams",
    );
    // On a worker, not in `block_on`: the session's connection task then runs beside the
    // streams it wakes instead of on a third thread of its own.
    match tokio::spawn(cli::run(config, token, shutdown)).await {
        Ok(result) => result,
        Err(e) => Err(anyhow::anyhow!("the connector's main task failed: {e}")),
    }
}

/// The commands that need no tunnel.yml: `enroll` and `token`. Returns the exit status.
async fn other_command(command: Command) -> Exit {
    let result = match command {
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
        Ok(()) => Exit::Success,
        Err(e) => {
            eprintln!("error: {e:#}");
            Exit::Failure
        }
    }
}
