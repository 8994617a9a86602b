//! The `connector` command line: `connector run`, `connector enroll`, `connector token`,
//! `connector ingress validate|rule` (`connector access` is in `access`).

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
    /// Path to tunnel.yml.
    #[arg(long, global = true, default_value = "tunnel.yml")]
    pub config: PathBuf,
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
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
}

#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    /// Run with a run token instead of tunnel.yml's credentials file (`connector token` prints
    /// one). Also read from TUNNEL_TOKEN.
    #[arg(long, env = "TUNNEL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Send every request to this origin (one catch-all ingress rule, e.g.
    /// http://localhost:8080) instead of reading tunnel.yml.
    #[arg(long)]
    pub url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AccessCommand {
    /// Carry TCP to HOSTNAME's service: from a local port (--url) or stdin/stdout (ssh ProxyCommand).
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
