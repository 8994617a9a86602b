//! The `connector` command line: `connector run`, `connector enroll`, `connector token`,
//! `connector ingress validate|rule`, and cloudflared's spellings of them (`connector tunnel run
//! [NAME]`, `tunnel ingress …`, `tunnel ready`, its global flags); `connector access` is in
//! `access`, `connector service` in `service`.

use std::sync::Arc;

use arc_swap::ArcSwap;
use tether_proto::credentials::Credentials;
use tether_proto::enroll::RunToken;
use tether_proto::trust::Trust;
use tether_transport::liveness::Pulse;
use tokio_util::sync::CancellationToken;

use crate::config::ConnectorConfig;
use crate::health::Health;
use crate::metrics::ConnectorMetrics;
use crate::serve::stalls::SiteStalls;
use crate::serve::Streams;
use crate::session::{edge_dialer, Connector, Slot};

mod args;
pub mod invoked;
pub use args::*;

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
            let rule = config.ingress.find(host, uri.path()).map_err(|e| {
                anyhow::anyhow!("`{url}`: {e}; the edge answers such a request 400")
            })?;
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

/// The tunnel's identity is wrong in a way a restart cannot fix (a missing or foreign credentials
/// file, a tunnel name that does not match it): the binary exits 64, like a bad tunnel.yml.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadIdentity(pub String);

/// Where the tunnel's identity comes from: tunnel.yml's credentials file, or a run token.
fn identity(
    config: &ConnectorConfig,
    token: Option<&RunToken>,
) -> anyhow::Result<(Credentials, Trust)> {
    if let Some(token) = token {
        let credentials = token
            .credentials()
            .map_err(|e| BadIdentity(format!("the run token: {e}")))?;
        let trust = token.edge.trust();
        return Ok((credentials, trust));
    }
    let Some(path) = &config.credentials_file else {
        return Err(BadIdentity(format!(
            "{}: credentials-file is missing: add `credentials-file: /path/to/UUID.json` (written by `connector enroll` or `edge tunnel create`), or run with --token / TUNNEL_TOKEN",
            config.source.display()
        ))
        .into());
    };
    let credentials = Credentials::load(path).map_err(|e| BadIdentity(e.to_string()))?;
    let trust = Trust::from_pem(credentials.edge_ca.as_deref());
    Ok((credentials, trust))
}

/// `tunnel:` (or `tunnel run NAME`) naming another tunnel than the credentials: as cloudflared
/// does, the tunnel is the one the credentials (file or run token) are for, with this warning.
fn tunnel_not_in_credentials(
    config: &ConnectorConfig,
    from_token: bool,
    credentials: &Credentials,
) -> Option<String> {
    let t = config.tunnel.as_ref()?;
    let (id, name) = (credentials.tunnel_id, &credentials.tunnel_name);
    if t == &id.to_string() || t == name {
        return None;
    }
    let source = match from_token {
        true => "the run token",
        false => "the credentials file",
    };
    let ran = format!("running tunnel {id} `{name}`, the one {source} is for, as cloudflared does");
    if config.tunnel_from_command_line {
        return Some(format!(
            "tunnel `{t}` (from the command line) is not the one in {source}; {ran}"
        ));
    }
    let at = std::fs::read_to_string(&config.source)
        .ok()
        .and_then(|text| tether_runtime::config_error::locate(&text, &["tunnel"]))
        .map(|(l, _)| format!(":{l}"))
        .unwrap_or_default();
    Some(format!(
        "{}{at}: `tunnel: {t}` is not the tunnel in {source}; {ran}",
        config.source.display()
    ))
}

/// Logs each SIGHUP as a no-op until `stop`.
async fn ignore_hangups(stop: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        return;
    };
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            got = hangups.recv() => match got {
                Some(()) => tracing::info!("SIGHUP: nothing to reload (the rules come from --url)"),
                None => return,
            },
        }
    }
}

/// `connector run`: read the credentials (or the run token), then keep the session alive until
/// a signal.
pub async fn run(
    config: ConnectorConfig,
    token: Option<RunToken>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (credentials, trust) = identity(&config, token.as_ref())?;
    if let Some(warning) = tunnel_not_in_credentials(&config, token.is_some(), &credentials) {
        tracing::warn!("{warning}");
    }
    let key = credentials
        .signing_key()
        .map_err(|_| BadIdentity("bad private key in the credentials: make them again with `edge tunnel create` or `connector enroll`".into()))?;
    let tls = trust.client_config(&[b"http/1.1"])?;
    let edge = config
        .edge
        .clone()
        .unwrap_or_else(|| credentials.edge.clone());
    let target = edge_dialer(&edge, &credentials.server_name, tls, "session")?;
    let url = target.url.clone();
    let is_url = tether_proto::endpoint::Endpoint::parse(&edge).is_ok_and(|e| e.is_url);
    let edges = crate::session::edges::EdgePool::new(target, &credentials.server_name, !is_url);
    let connector_id = uuid::Uuid::new_v4();
    let ingress = Arc::new(ArcSwap::from_pointee(config.ingress.clone()));
    let metrics = Arc::new(ConnectorMetrics::default());
    let stalls = Arc::new(SiteStalls::default());
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
            stalls: stalls.clone(),
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
    tokio::spawn(crate::serve::stalls::keep_sweeping(
        stalls,
        metrics.clone(),
        background.clone(),
    ));
    if config.source.is_file() {
        tokio::spawn(crate::reload::watch(
            config.clone(),
            ingress.clone(),
            background.clone(),
        ));
    } else {
        // No file to reload (--url): SIGHUP (`systemctl reload`) must still not kill us.
        tokio::spawn(ignore_hangups(background.clone()));
    }
    tracing::info!(
        tunnel = %credentials.tunnel_id, connector = %connector_id, edge = %url,
        ha_connections = config.ha_connections, "starting tunnel"
    );
    crate::session::supervisor::run_slots(edges, slots, config.retries, shutdown)
        .await
        .map_err(anyhow::Error::from)
}
