//! The `connector` command line: `connector run`, `connector enroll`, `connector token`,
//! `connector ingress validate|rule`, and cloudflared's spellings of them (`connector tunnel run
//! [NAME]`, `tunnel ingress …`, `tunnel ready`, its global flags); `connector access` is in
//! `access`, `connector service` in `service`.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use clap::{Parser, Subcommand, ValueEnum};
use tether_proto::credentials::Credentials;
use tether_proto::enroll::RunToken;
use tether_proto::liveness::Pulse;
use tether_proto::trust::Trust;
use tokio_util::sync::CancellationToken;

use crate::config::ConnectorConfig;
use crate::health::Health;
use crate::metrics::ConnectorMetrics;
use crate::serve::Streams;
use crate::session::{Connector, EdgeTarget, Slot};

#[derive(Parser, Debug)]
#[command(
    name = "connector",
    version,
    about = "The Tether connector: outbound tunnel sessions to the edge"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags taken before or after any command (`connector tunnel --config F run` as well as
/// `connector run --config F`), with cloudflared's names and environment variables.
#[derive(clap::Args, Debug)]
pub struct GlobalArgs {
    /// Path to tunnel.yml (a cloudflared config.yml works too).
    #[arg(long, global = true, default_value = "tunnel.yml")]
    pub config: PathBuf,
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// debug, info, warn, error or fatal (overrides tunnel.yml's `loglevel`; RUST_LOG wins).
    #[arg(
        long,
        global = true,
        alias = "log-level",
        env = "TUNNEL_LOGLEVEL",
        value_name = "LEVEL"
    )]
    pub loglevel: Option<String>,
    /// Also append the log to this file (overrides tunnel.yml's `logfile`).
    #[arg(long, global = true, env = "TUNNEL_LOGFILE", value_name = "FILE")]
    pub logfile: Option<PathBuf>,
    /// Also append the log to DIR/connector.log (overrides tunnel.yml's `log-directory`).
    #[arg(long, global = true, env = "TUNNEL_LOGDIRECTORY", value_name = "DIR")]
    pub log_directory: Option<PathBuf>,
    /// Where /metrics, /ready and /healthz are served, IP:PORT or localhost:PORT (overrides
    /// tunnel.yml's `metrics`); `tunnel ready` asks here.
    #[arg(long, global = true, env = "TUNNEL_METRICS", value_name = "ADDR")]
    pub metrics: Option<String>,
    /// Accepted for cloudflared's command lines: Tether never updates itself.
    #[arg(long, global = true, env = "NO_AUTOUPDATE")]
    pub no_autoupdate: bool,
    /// Accepted for cloudflared's command lines and ignored: sessions are always HTTP/2 over a
    /// TLS WebSocket.
    #[arg(
        long,
        global = true,
        env = "TUNNEL_TRANSPORT_PROTOCOL",
        value_name = "auto|http2|quic"
    )]
    pub protocol: Option<String>,
    /// Accepted for cloudflared's command lines and ignored: the edge's address decides.
    #[arg(
        long,
        global = true,
        env = "TUNNEL_EDGE_IP_VERSION",
        value_name = "4|6|auto"
    )]
    pub edge_ip_version: Option<String>,
    /// Accepted for cloudflared's command lines and ignored: you choose the edges yourself.
    #[arg(long, global = true, env = "TUNNEL_REGION")]
    pub region: Option<String>,
}

impl GlobalArgs {
    /// What the ignored cloudflared flags get: one warning each.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for (flag, set, why) in [
            (
                "--protocol",
                self.protocol.is_some(),
                "sessions are always HTTP/2 over a TLS WebSocket",
            ),
            (
                "--edge-ip-version",
                self.edge_ip_version.is_some(),
                "the edge's address decides",
            ),
            (
                "--region",
                self.region.is_some(),
                "you choose the edges yourself",
            ),
        ] {
            if set {
                warnings.push(format!(
                    "{flag} is a cloudflared flag that Tether does not use ({why}); it is ignored"
                ));
            }
        }
        warnings
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the tunnel.
    Run(RunArgs),
    /// cloudflared's spelling: `tunnel run [NAME]`, `tunnel ingress …`, `tunnel ready`; with no
    /// command, runs the tunnel.
    Tunnel(TunnelArgs),
    /// Redeem an enrollment token (`edge tunnel token NAME`): make this site's key and write
    /// its credentials file.
    Enroll(crate::enroll::Enroll),
    /// Print the run token of a credentials file, for `connector run --token` or TUNNEL_TOKEN.
    Token {
        #[arg(long)]
        credentials_file: PathBuf,
    },
    /// Check ingress rules.
    #[command(subcommand)]
    Ingress(IngressCommand),
    /// Reach a TCP service through the edge from this machine (no tunnel.yml needed).
    #[command(subcommand)]
    Access(AccessCommand),
    /// Run the connector as a system service.
    #[command(subcommand)]
    Service(crate::service::ServiceCommand),
}

#[derive(clap::Args, Debug, Default, Clone)]
pub struct RunArgs {
    /// Run with a run token instead of tunnel.yml's credentials file (`connector token` prints
    /// one). Also read from TUNNEL_TOKEN.
    #[arg(long, env = "TUNNEL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Read the run token from this file (as `service install --token` writes it).
    #[arg(
        long,
        env = "TUNNEL_TOKEN_FILE",
        value_name = "FILE",
        conflicts_with = "token"
    )]
    pub token_file: Option<PathBuf>,
    /// Send every request to this origin (one catch-all ingress rule, e.g.
    /// http://localhost:8080) instead of reading tunnel.yml.
    #[arg(long)]
    pub url: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct TunnelArgs {
    #[command(subcommand)]
    pub command: Option<TunnelCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum TunnelCommand {
    /// Run the tunnel; NAME (name or id), when given, must match the credentials.
    Run {
        #[command(flatten)]
        run: RunArgs,
        name: Option<String>,
    },
    /// Check ingress rules.
    #[command(subcommand)]
    Ingress(IngressCommand),
    /// Exit 0 when the running connector's /ready answers 200 (for container health checks);
    /// asks --metrics, TUNNEL_METRICS or tunnel.yml's `metrics`, else ports 20241-20245.
    Ready,
}

/// What a command line asks of the tunnel, once `connector tunnel …` is unfolded.
pub enum Action {
    Run(RunArgs, Option<String>),
    Ingress(IngressCommand),
    Ready,
}

impl Command {
    /// The tunnel action of `run`, `ingress` and their `tunnel …` spellings.
    pub fn action(self) -> Option<Action> {
        match self {
            Command::Run(run) => Some(Action::Run(run, None)),
            Command::Ingress(cmd) => Some(Action::Ingress(cmd)),
            Command::Tunnel(TunnelArgs { command, run }) => Some(match command {
                None => Action::Run(run, None),
                Some(TunnelCommand::Run { run, name }) => Action::Run(run, name),
                Some(TunnelCommand::Ingress(cmd)) => Action::Ingress(cmd),
                Some(TunnelCommand::Ready) => Action::Ready,
            }),
            _ => None,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum AccessCommand {
    /// Carry TCP to HOSTNAME's service: from a local port (--url) or stdin/stdout (ssh ProxyCommand).
    #[command(visible_aliases = ["ssh", "rdp", "smb"])]
    Tcp(crate::access::AccessTcp),
}

#[derive(Subcommand, Debug)]
pub enum IngressCommand {
    /// Validate the ingress rules of the config.
    Validate,
    /// Print the rule that matches URL.
    Rule { url: String },
}

pub fn ingress_command(config: &ConnectorConfig, command: IngressCommand) -> anyhow::Result<()> {
    match command {
        IngressCommand::Validate => {
            println!(
                "OK: {} ingress rules in {}",
                config.ingress.rules.len(),
                config.source.display()
            );
            Ok(())
        }
        IngressCommand::Rule { url } => {
            let uri: http::Uri = url
                .parse()
                .map_err(|e| anyhow::anyhow!("`{url}` is not a URL: {e}"))?;
            let host = uri.host().ok_or_else(|| {
                anyhow::anyhow!("`{url}` has no hostname; write e.g. https://app.example.com/path")
            })?;
            let rule = config.ingress.find(host, uri.path());
            println!("Matched rule #{}", rule.number);
            if let Some(h) = &rule.hostname {
                println!("\thostname: {h}");
            }
            if let Some(p) = &rule.path {
                println!("\tpath: {p}");
            }
            println!("\tservice: {}", rule.service_text);
            Ok(())
        }
    }
}

/// The edge refused the tunnel for good (deleted, wrong key): retrying cannot help, so the
/// binary exits with its own status and a service manager can leave it stopped.
#[derive(Debug, thiserror::Error)]
#[error("the edge refused this tunnel: {0}")]
pub struct Refused(pub String);

/// Where the tunnel's identity comes from: tunnel.yml's credentials file, or a run token.
fn identity(
    config: &ConnectorConfig,
    token: Option<&RunToken>,
) -> anyhow::Result<(Credentials, Trust)> {
    if let Some(token) = token {
        let credentials = token.credentials()?;
        let trust = token.edge.trust();
        return Ok((credentials, trust));
    }
    let Some(path) = &config.credentials_file else {
        anyhow::bail!(
            "{}: credentials-file is missing: add `credentials-file: /path/to/UUID.json` (written by `connector enroll` or `edge tunnel create`), or run with --token / TUNNEL_TOKEN",
            config.source.display()
        );
    };
    let credentials = Credentials::load(path)?;
    let trust = Trust::from_pem(credentials.edge_ca.as_deref());
    Ok((credentials, trust))
}

/// `connector run`: read the credentials (or the run token), then keep the session alive until
/// a signal.
pub async fn run(
    config: ConnectorConfig,
    token: Option<RunToken>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (credentials, trust) = identity(&config, token.as_ref())?;
    if let Some(t) = &config.tunnel {
        if t != &credentials.tunnel_id.to_string() && t != &credentials.tunnel_name {
            anyhow::bail!(
                "{}: tunnel `{t}` does not match the credentials (tunnel {} `{}`)",
                config.source.display(),
                credentials.tunnel_id,
                credentials.tunnel_name
            );
        }
    }
    let key = credentials
        .signing_key()
        .map_err(|_| anyhow::anyhow!("bad private key in the credentials"))?;
    let tls = trust.client_config(&[b"http/1.1"])?;
    let edge = config
        .edge
        .clone()
        .unwrap_or_else(|| credentials.edge.clone());
    let target =
        EdgeTarget::new(&edge, &credentials.server_name, tls).map_err(|e| anyhow::anyhow!(e))?;
    let url = target.url.clone();
    let is_url = tether_proto::endpoint::Endpoint::parse(&edge).is_ok_and(|e| e.is_url);
    let edges = crate::session::edges::EdgePool::new(target, &credentials.server_name, !is_url);
    let connector_id = uuid::Uuid::new_v4();
    let ingress = Arc::new(ArcSwap::from_pointee(config.ingress.clone()));
    let metrics = Arc::new(ConnectorMetrics::default());
    let pulses: Vec<Pulse> = (0..config.ha_connections)
        .map(|_| {
            let metrics = metrics.clone();
            Pulse::observed(move |rtt| metrics.ping_rtt.observe(rtt.as_secs_f64()))
        })
        .collect();
    let connector = Arc::new(Connector {
        tunnel_id: credentials.tunnel_id,
        connector_id,
        key,
        edges: edges.clone(),
        liveness_timeout: config.liveness_timeout,
        grace_period: config.grace_period,
        metrics: metrics.clone(),
        streams: Streams {
            ingress: ingress.clone(),
            metrics: metrics.clone(),
        },
        revoked: Default::default(),
    });
    let slots: Vec<Arc<Slot>> = (0..config.ha_connections)
        .zip(&pulses)
        .map(|(index, pulse)| Arc::new(Slot::new(connector.clone(), index, pulse.clone())))
        .collect();
    let listener = crate::health::bind(config.metrics).await?;
    let mut registry = prometheus_client::registry::Registry::default();
    metrics.register(&mut registry);
    let health = Arc::new(Health {
        connector_id,
        pulses,
        window: config.liveness_timeout,
        registry,
        draining: shutdown.clone(),
    });
    tracing::info!(
        address = %listener.local_addr()?, "serving /metrics, /ready and /healthz"
    );
    // Served, and tunnel.yml watched, while the sessions run, drain included.
    let background = CancellationToken::new();
    let _stop_background_on_return = background.clone().drop_guard();
    tokio::spawn(crate::health::serve(listener, health, background.clone()));
    if config.source.is_file() {
        tokio::spawn(crate::reload::watch(
            config.clone(),
            ingress.clone(),
            background.clone(),
        ));
    }
    tracing::info!(
        tunnel = %credentials.tunnel_id, connector = %connector_id, edge = %url,
        ha_connections = config.ha_connections, "starting tunnel"
    );
    crate::session::supervisor::run_slots(edges, slots, config.retries, shutdown)
        .await
        .map_err(|reason| Refused(reason).into())
}
