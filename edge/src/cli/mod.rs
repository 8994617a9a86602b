//! The `edge` command line: `edge run` and the `edge tunnel …` management commands, all on the
//! store in the config's state directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use ed25519_dalek::SigningKey;
use tether_proto::credentials::Credentials;

use crate::ca::{write_private, TunnelCa};
use crate::config::EdgeConfig;
use crate::state::{decode, EdgeRecord, State, EDGES};
use crate::store::SqliteStore;

#[derive(Parser, Debug)]
#[command(
    name = "edge",
    version,
    about = "The Tether edge: public listeners and tunnel sessions"
)]
pub struct Cli {
    /// Path to edge.yml.
    #[arg(long, global = true, default_value = "edge.yml")]
    pub config: PathBuf,
    /// Log format.
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

/// Logs to stderr; `RUST_LOG` filters (default `info`, with hickory's per-query chatter off, and
/// rustls's warnings about what clients send, such as an IP address as SNI, which any client can
/// trigger once per connection).
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,hickory_server=warn,hickory_proto=warn,rustls=error".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// sysexits.h EX_CONFIG-style exit for a bad configuration (EX_USAGE, 64, as linkerd does).
pub const EXIT_CONFIG: i32 = 64;

/// Loads edge.yml, or prints the error (file:line: what and how to fix) and exits with 64.
pub fn load_config_or_exit(path: &Path) -> EdgeConfig {
    match EdgeConfig::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(EXIT_CONFIG);
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the edge.
    Run,
    /// Manage tunnels.
    #[command(subcommand)]
    Tunnel(TunnelCommand),
    /// Manage access tokens for `connector access tcp` (routes made with --require-token).
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token; it is printed once and stored only as a hash.
    Create { name: String },
    /// List tokens (ids, names, creation times; never the secrets).
    List,
    /// Revoke a token by id or name; access sessions using it are closed at once.
    Revoke { token: String },
}

pub async fn token_command(config: &EdgeConfig, command: TokenCommand) -> anyhow::Result<()> {
    let state = State::new(Arc::new(SqliteStore::open(&config.state_dir)?));
    match command {
        TokenCommand::Create { name } => {
            let (record, token) = state.create_token(&name).await?;
            println!("Created access token {} ({})", record.name, record.id);
            println!("{token}");
            println!("Keep it secret; it is not shown again. Use: connector access tcp --hostname HOST --token {token}");
        }
        TokenCommand::List => {
            let tokens = state.tokens().await?;
            if tokens.is_empty() {
                println!("No access tokens; create one with `edge token create NAME`");
            }
            for t in tokens {
                println!(
                    "{}  {}  created {}",
                    t.id,
                    t.name,
                    humantime::format_rfc3339_seconds(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.created_at)
                    )
                );
            }
        }
        TokenCommand::Revoke { token } => {
            let record = state.revoke_token(&token).await?;
            println!(
                "Revoked access token {} ({}); its sessions close within a second",
                record.name, record.id
            );
        }
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum TunnelCommand {
    /// Create a tunnel and write its credentials file.
    Create {
        name: String,
        /// Where to write the credentials (default: ./UUID.json).
        #[arg(long)]
        credentials_file: Option<PathBuf>,
    },
    /// Route traffic for a hostname to a tunnel.
    #[command(subcommand)]
    Route(RouteCommand),
    /// List tunnels with their routes and live sessions.
    List,
    /// Delete a tunnel and its routes; its live sessions are closed.
    Delete { tunnel: String },
}

#[derive(Subcommand, Debug)]
pub enum RouteCommand {
    /// Route HTTP(S) traffic for HOSTNAME (may be `*.domain`) to TUNNEL (name or UUID). In a zone
    /// this edge's DNS hosts, it also creates `HOSTNAME CNAME UUID.<tunnel-zone>`; otherwise it
    /// prints the record to create at your DNS provider.
    Dns {
        tunnel: String,
        hostname: String,
        /// Split horizon: DNS askers in `dns.internal-networks` get this LAN address instead of
        /// the tunnel.
        #[arg(long, value_name = "IP")]
        direct: Option<std::net::IpAddr>,
    },
    /// Route raw TCP for HOSTNAME to TUNNEL, whose ingress rule for HOSTNAME is a `tcp://`,
    /// `ssh://`, `rdp://` or `smb://` service. `connector access tcp --hostname HOSTNAME` reaches
    /// it through the edge's HTTPS port; with --port, every edge also listens on public TCP port
    /// N. DNS records as for `route dns`.
    Tcp {
        tunnel: String,
        hostname: String,
        /// Public TCP port every edge listens on for this hostname.
        #[arg(long, value_name = "N")]
        port: Option<u16>,
        /// Address to listen on for --port (default: the edge's public listener address).
        #[arg(long, value_name = "ADDR", requires = "port")]
        bind: Option<std::net::IpAddr>,
        /// `connector access tcp` must present an access token (`edge token create`).
        #[arg(long, conflicts_with = "port")]
        require_token: bool,
    },
    /// Remove the route for HOSTNAME (its DNS records, and its public TCP port).
    Delete { hostname: String },
}

pub async fn tunnel_command(config: &EdgeConfig, command: TunnelCommand) -> anyhow::Result<()> {
    let state = State::new(Arc::new(SqliteStore::open(&config.state_dir)?));
    match command {
        TunnelCommand::Create {
            name,
            credentials_file,
        } => create(config, &state, &name, credentials_file).await,
        TunnelCommand::Route(RouteCommand::Dns {
            tunnel,
            hostname,
            direct,
        }) => {
            let tunnel = state.resolve(&tunnel).await?;
            let route = state.route(&tunnel, &hostname, direct).await?;
            println!(
                "Routed {} to tunnel {} ({})",
                route.hostname, tunnel.name, tunnel.id
            );
            dns_advice(config, &state, &route.hostname, &tunnel.id.to_string()).await;
            Ok(())
        }
        TunnelCommand::Route(RouteCommand::Tcp {
            tunnel,
            hostname,
            port,
            bind,
            require_token,
        }) => {
            let tunnel = state.resolve(&tunnel).await?;
            let port = match port {
                Some(port) => Some((
                    check_port(config, &state, &hostname, port, bind).await?,
                    bind,
                )),
                None => None,
            };
            let route = state
                .route_tcp(&tunnel, &hostname, port, require_token)
                .await?;
            println!(
                "Routed TCP for {} to tunnel {} ({})",
                route.hostname, tunnel.name, tunnel.id
            );
            match route.port {
                Some(port) => {
                    println!("Every edge listens on TCP port {port} for it within a second.")
                }
                None => println!(
                    "Reach it with: connector access tcp --hostname {} --url 127.0.0.1:PORT",
                    route.hostname
                ),
            }
            if route.require_token {
                println!("Access needs a token: `edge token create NAME`, then `connector access tcp --token …`.");
            }
            dns_advice(config, &state, &route.hostname, &tunnel.id.to_string()).await;
            Ok(())
        }
        TunnelCommand::Route(RouteCommand::Delete { hostname }) => {
            match state.delete_route(&hostname).await? {
                Some(route) => println!(
                    "Deleted the route for {} (tunnel {})",
                    route.hostname, route.tunnel_id
                ),
                None => {
                    anyhow::bail!("no route for {hostname}; `edge tunnel list` shows the routes")
                }
            }
            Ok(())
        }
        TunnelCommand::List => list(&state).await,
        TunnelCommand::Delete { tunnel } => {
            let tunnel = state.resolve(&tunnel).await?;
            state.delete_tunnel(&tunnel).await?;
            println!(
                "Deleted tunnel {} ({}); its sessions close within seconds",
                tunnel.name, tunnel.id
            );
            Ok(())
        }
    }
}

/// Refuses a public port that cannot work: a wildcard hostname (a port carries one name), port 0,
/// or a port another program on this host already listens on. The store's compare-and-set then
/// refuses a port another route holds.
async fn check_port(
    config: &EdgeConfig,
    state: &State,
    hostname: &str,
    port: u16,
    bind: Option<std::net::IpAddr>,
) -> anyhow::Result<u16> {
    if hostname.starts_with("*.") {
        anyhow::bail!("a public TCP port carries one hostname, not a wildcard: route a name such as db.example.com");
    }
    if port == 0 {
        anyhow::bail!("--port 0 is not a port clients can dial; pick a fixed port such as 2222");
    }
    let ours = state.ports().await?.into_iter().any(|p| p.port == port);
    if ours {
        // Held by a route (maybe this one, re-run): the compare-and-set decides.
        return Ok(port);
    }
    let ip = bind
        .or(config.listen.https.or(config.listen.http).map(|a| a.ip()))
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    if let Err(e) = std::net::TcpListener::bind((ip, port)) {
        anyhow::bail!("port {port} on {ip} is not free ({e}): another program, or one of the edge's own listeners, uses it; pick another port");
    }
    Ok(port)
}

/// Says what DNS now answers for `host`, or the exact record to create elsewhere.
async fn dns_advice(config: &EdgeConfig, state: &State, host: &str, tunnel_id: &str) {
    let Some(dns) = &config.dns else {
        let (edges, _) = state.store.range(EDGES).await.unwrap_or_default();
        let addrs: Vec<String> = edges
            .iter()
            .filter_map(|kv| decode::<EdgeRecord>(kv).ok())
            .flat_map(|e| e.addresses)
            .map(|a| a.to_string())
            .collect();
        if !addrs.is_empty() {
            println!(
                "Point {host} at this edge in your DNS (A/AAAA): {}",
                addrs.join(", ")
            );
        }
        return;
    };
    let Some(endpoint) = dns.endpoint(tunnel_id) else {
        return;
    };
    let name = hickory_name(host);
    match name.as_ref().and_then(|n| dns.zone_of(n)) {
        Some(zone) => println!(
            "DNS: {host} now resolves through {endpoint} (zone {} is served by this edge's DNS)",
            zone.origin
        ),
        None => {
            println!("{host} is in no zone this edge's DNS hosts; create this record at your DNS provider:");
            println!("  {host}. {} IN CNAME {endpoint}", dns.ttl.max(300));
        }
    }
}

fn hickory_name(host: &str) -> Option<tether_dns::config::Name> {
    tether_dns::config::Name::from_ascii(format!("{}.", host.trim_start_matches("*.")).as_str())
        .ok()
}

/// Where connectors dial: `advertise.tunnel`, else the address a running edge announced.
async fn edge_address(config: &EdgeConfig, state: &State) -> anyhow::Result<String> {
    if let Some(addr) = &config.advertise_tunnel {
        return Ok(addr.clone());
    }
    let (edges, _) = state.store.range(EDGES).await?;
    edges
        .iter()
        .filter_map(|kv| decode::<EdgeRecord>(kv).ok())
        .find_map(|e| e.tunnel_address)
        .ok_or_else(|| anyhow::anyhow!("{}: set advertise.tunnel (HOST:PORT connectors dial), or start the edge first so it announces its tunnel address", config.source.display()))
}

async fn create(
    config: &EdgeConfig,
    state: &State,
    name: &str,
    path: Option<PathBuf>,
) -> anyhow::Result<()> {
    let edge = edge_address(config, state).await?;
    let ca = TunnelCa::load_or_create(&config.state_dir)?;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let public_key = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        key.verifying_key().to_bytes(),
    );
    let tunnel = state.create_tunnel(name, public_key).await?;
    let credentials = Credentials {
        tunnel_id: tunnel.id,
        tunnel_name: tunnel.name.clone(),
        private_key: Credentials::encode_key(&key),
        edge,
        server_name: config.server_name.clone(),
        // A public certificate is verified against the system roots; otherwise pin our CA.
        edge_ca: (!config.public_certificate).then(|| ca.pem.clone()),
    };
    let path = path.unwrap_or_else(|| PathBuf::from(format!("{}.json", tunnel.id)));
    write_credentials(&path, &credentials)?;
    println!("Created tunnel {} with id {}", tunnel.name, tunnel.id);
    println!(
        "Credentials written to {} (keep it secret: it holds the tunnel's private key)",
        path.display()
    );
    Ok(())
}

fn write_credentials(path: &Path, credentials: &Credentials) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(credentials)?;
    write_private(path, &json).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

async fn list(state: &State) -> anyhow::Result<()> {
    let tunnels = state.tunnels().await?;
    let routes = state.routes().await?;
    let sessions = state.sessions().await?;
    println!(
        "{:<36}  {:<20}  {:<6}  {:<8}  ROUTES",
        "ID", "NAME", "CONNS", "EDGES"
    );
    for t in tunnels {
        let mine: Vec<_> = sessions.iter().filter(|s| s.tunnel_id == t.id).collect();
        let mut edges: Vec<&str> = mine.iter().map(|s| s.edge_id.as_str()).collect();
        edges.sort();
        edges.dedup();
        // A TCP route shows its public port (`db.example.com:tcp/5432`) and its token requirement.
        let hosts: Vec<String> = routes
            .iter()
            .filter(|r| r.tunnel_id == t.id)
            .map(|r| {
                let port = r.port.map(|p| format!(":tcp/{p}")).unwrap_or_default();
                let token = if r.require_token { " (token)" } else { "" };
                format!("{}{port}{token}", r.hostname)
            })
            .collect();
        println!(
            "{:<36}  {:<20}  {:<6}  {:<8}  {}",
            t.id,
            t.name,
            mine.len(),
            edges.join(","),
            hosts.join(",")
        );
    }
    Ok(())
}
