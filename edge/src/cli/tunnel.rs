//! `edge tunnel …`: create, route, list and delete tunnels; a route in a hosted zone gets its DNS
//! record, one elsewhere prints the record to create.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use ed25519_dalek::SigningKey;
use tether_proto::credentials::Credentials;

use crate::config::EdgeConfig;
use crate::state::store;
use crate::state::{decode, EdgeRecord, State, EDGES};
use crate::tls::ca::TunnelCa;

use super::enroll::{print_enrollment, revoke};

#[derive(Subcommand, Debug)]
pub enum TunnelCommand {
    /// Create a tunnel and write its credentials file (or, with --enroll, print an enrollment
    /// token instead, so the key is made at the site).
    Create {
        name: String,
        /// Where to write the credentials (default: ./UUID.json).
        #[arg(long, conflicts_with = "enroll")]
        credentials_file: Option<PathBuf>,
        /// Create the tunnel without a key and print a one-time enrollment token for
        /// `connector enroll`.
        #[arg(long)]
        enroll: bool,
        /// How long the enrollment token is valid.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "1h", requires = "enroll")]
        ttl: std::time::Duration,
    },
    /// Print a one-time enrollment token for TUNNEL: `connector enroll TOKEN` makes a key at
    /// the site and registers it (the private key never leaves the site). The tunnel's
    /// existing keys stay valid.
    Token {
        tunnel: String,
        /// How long the token is valid.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "1h")]
        ttl: std::time::Duration,
    },
    /// Replace TUNNEL's key: prints an enrollment token; once it is redeemed, the old keys stay
    /// valid for --overlap and their sessions are then closed.
    Rotate {
        tunnel: String,
        /// How long the old keys stay valid after the new one is enrolled.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "1h")]
        overlap: std::time::Duration,
        /// How long the token is valid.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "1h")]
        ttl: std::time::Duration,
    },
    /// Take every key of TUNNEL away: its sessions on every edge close within a second and its
    /// connectors exit; it runs again only after `edge tunnel token`.
    Revoke { tunnel: String },
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
    /// Set what HOSTNAME's route asks of public clients, from a policy file: client-ip-rules,
    /// limits, and a policy (basic, bearer, jwt, oidc, mtls); see docs/security.md.
    Policy {
        hostname: String,
        /// The policy file (YAML); the files it names are read now and stored with it.
        #[arg(long, required_unless_present = "clear")]
        file: Option<PathBuf>,
        /// Remove the route's policy: it is open to everyone again.
        #[arg(long, conflicts_with = "file")]
        clear: bool,
    },
    /// Remove the route for HOSTNAME (its DNS records, and its public TCP port).
    Delete { hostname: String },
}

pub async fn tunnel_command(config: &EdgeConfig, command: TunnelCommand) -> anyhow::Result<()> {
    let state = State::new(store::open(&config.store, &config.state_dir).await?);
    match command {
        TunnelCommand::Create {
            name,
            enroll: true,
            ttl,
            ..
        } => {
            let tunnel = state.create_tunnel(&name, None).await?;
            println!(
                "Created tunnel {} with id {} (no key yet)",
                tunnel.name, tunnel.id
            );
            print_enrollment(config, &state, &tunnel, ttl, None).await
        }
        TunnelCommand::Create {
            name,
            credentials_file,
            ..
        } => create(config, &state, &name, credentials_file).await,
        TunnelCommand::Token { tunnel, ttl } => {
            let tunnel = state.resolve(&tunnel).await?;
            print_enrollment(config, &state, &tunnel, ttl, None).await
        }
        TunnelCommand::Rotate {
            tunnel,
            overlap,
            ttl,
        } => {
            let tunnel = state.resolve(&tunnel).await?;
            print_enrollment(config, &state, &tunnel, ttl, Some(overlap)).await
        }
        TunnelCommand::Revoke { tunnel } => {
            let tunnel = state.resolve(&tunnel).await?;
            revoke(&state, &tunnel).await
        }
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
        TunnelCommand::Route(RouteCommand::Policy { hostname, file, .. }) => {
            super::route_policy::set_policy(&state, &hostname, file.as_deref()).await
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
pub(super) async fn edge_address(config: &EdgeConfig, state: &State) -> anyhow::Result<String> {
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
    let ca = TunnelCa::load_or_create(state, &config.state_dir).await?;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let public_key = Credentials::encode_public_key(&key);
    let tunnel = state.create_tunnel(name, Some(public_key)).await?;
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
    tether_proto::private::write_private(path, &json)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

async fn list(state: &State) -> anyhow::Result<()> {
    let tunnels = state.tunnels().await?;
    let routes = state.routes().await?;
    let sessions = state.sessions().await?;
    let now = crate::state::now_secs();
    println!(
        "{:<36}  {:<20}  {:<4}  {:<6}  {:<8}  ROUTES",
        "ID", "NAME", "KEYS", "CONNS", "EDGES"
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
                let rules = match r.rules.summary() {
                    s if s.is_empty() => s,
                    s => format!(" ({s})"),
                };
                format!("{}{port}{token}{rules}", r.hostname)
            })
            .collect();
        println!(
            "{:<36}  {:<20}  {:<4}  {:<6}  {:<8}  {}",
            t.id,
            t.name,
            t.live_keys(now).count(),
            mine.len(),
            edges.join(","),
            hosts.join(",")
        );
    }
    Ok(())
}
