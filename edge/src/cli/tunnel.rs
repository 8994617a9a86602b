//! `edge tunnel …`: create, route, list and delete tunnels; a route in a hosted zone gets its DNS
//! record, one elsewhere prints the record to create. Each runs on the store edge.yml names, or
//! with `--api` through an edge's admin API (`backend.rs`); either way the same lines print.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use ed25519_dalek::SigningKey;
use tether_proto::credentials::Credentials;

use super::api_client::ApiArgs;
use super::backend::Backend;
use super::enroll::{print_enrollment, print_revoked};
use super::rfc3339;
use crate::config::EdgeConfig;
use crate::manage::views::{RoutedView, TunnelView};
use crate::manage::TcpOptions;

/// `edge tunnel [--api URL --api-token T] …`.
#[derive(clap::Args, Debug)]
pub struct TunnelArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub command: TunnelCommand,
}

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
        /// Give the tunnel this id, e.g. the UUID of the cloudflared tunnel it replaces, so
        /// `tunnel:` lines, credentials file names and DNS records keep their names.
        #[arg(long, value_name = "UUID")]
        id: Option<uuid::Uuid>,
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
    /// Show one tunnel: its routes, and its sessions with their edge, connector version, age
    /// and RTT.
    Info { tunnel: String },
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

/// Runs `edge tunnel …`: through the admin API with `--api` (edge.yml is then not read), else on
/// the store `config` names.
pub async fn tunnel_command(config: Option<&EdgeConfig>, args: TunnelArgs) -> anyhow::Result<()> {
    let backend = Backend::open(config, &args.api).await?;
    run(&backend, args.command).await
}

async fn run(backend: &Backend, command: TunnelCommand) -> anyhow::Result<()> {
    match command {
        TunnelCommand::Create {
            name,
            enroll: true,
            ttl,
            id,
            ..
        } => {
            let created = backend.create_tunnel(&name, None, id).await?;
            let tunnel = &created.tunnel;
            println!(
                "Created tunnel {} with id {} (no key yet)",
                tunnel.name, tunnel.id
            );
            let id = tunnel.id.to_string();
            print_enrollment(&backend.enrollment(&id, ttl, None).await?);
            Ok(())
        }
        TunnelCommand::Create {
            name,
            credentials_file,
            id,
            ..
        } => create(backend, &name, credentials_file, id).await,
        TunnelCommand::Token { tunnel, ttl } => {
            print_enrollment(&backend.enrollment(&tunnel, ttl, None).await?);
            Ok(())
        }
        TunnelCommand::Rotate {
            tunnel,
            overlap,
            ttl,
        } => {
            print_enrollment(&backend.enrollment(&tunnel, ttl, Some(overlap)).await?);
            Ok(())
        }
        TunnelCommand::Revoke { tunnel } => {
            print_revoked(&backend.revoke(&tunnel).await?);
            Ok(())
        }
        TunnelCommand::Route(RouteCommand::Dns {
            tunnel,
            hostname,
            direct,
        }) => {
            let routed = backend.route_dns(&tunnel, &hostname, direct).await?;
            println!(
                "Routed {} to tunnel {} ({})",
                routed.route.hostname, routed.tunnel_name, routed.route.tunnel_id
            );
            print_dns(&routed);
            Ok(())
        }
        TunnelCommand::Route(RouteCommand::Tcp {
            tunnel,
            hostname,
            port,
            bind,
            require_token,
        }) => {
            let options = TcpOptions {
                port,
                bind,
                require_token,
            };
            let routed = backend.route_tcp(&tunnel, &hostname, options).await?;
            let route = &routed.route;
            println!(
                "Routed TCP for {} to tunnel {} ({})",
                route.hostname, routed.tunnel_name, route.tunnel_id
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
            print_dns(&routed);
            Ok(())
        }
        TunnelCommand::Route(RouteCommand::Policy { hostname, file, .. }) => {
            super::route_policy::set_policy(backend, &hostname, file.as_deref()).await
        }
        TunnelCommand::Route(RouteCommand::Delete { hostname }) => {
            let route = backend.delete_route(&hostname).await?;
            println!(
                "Deleted the route for {} (tunnel {})",
                route.hostname, route.tunnel_id
            );
            Ok(())
        }
        TunnelCommand::List => {
            list(&backend.tunnels().await?);
            Ok(())
        }
        TunnelCommand::Info { tunnel } => {
            info(&backend.tunnel(&tunnel).await?);
            Ok(())
        }
        TunnelCommand::Delete { tunnel } => {
            let tunnel = backend.delete_tunnel(&tunnel).await?;
            println!(
                "Deleted tunnel {} ({}); its sessions close within seconds",
                tunnel.name, tunnel.id
            );
            Ok(())
        }
    }
}

fn print_dns(routed: &RoutedView) {
    for line in &routed.dns {
        println!("{line}");
    }
}

/// Makes the key here, registers only its public half, and writes the credentials file.
async fn create(
    backend: &Backend,
    name: &str,
    path: Option<PathBuf>,
    id: Option<uuid::Uuid>,
) -> anyhow::Result<()> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let public_key = Credentials::encode_public_key(&key);
    let created = backend.create_tunnel(name, Some(public_key), id).await?;
    let tunnel = &created.tunnel;
    let credentials = Credentials {
        tunnel_id: tunnel.id,
        tunnel_name: tunnel.name.clone(),
        private_key: Credentials::encode_key(&key),
        edge: created.edge.clone(),
        server_name: created.server_name.clone(),
        edge_ca: created.edge_ca.clone(),
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
    tether_runtime::private::write_private(path, &json)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

fn list(tunnels: &[TunnelView]) {
    println!(
        "{:<36}  {:<20}  {:<4}  {:<6}  {:<8}  ROUTES",
        "ID", "NAME", "KEYS", "CONNS", "EDGES"
    );
    for t in tunnels {
        let mut edges: Vec<&str> = t.sessions.iter().map(|s| s.edge_id.as_str()).collect();
        edges.sort();
        edges.dedup();
        let hosts: Vec<String> = t.routes.iter().map(|r| r.label()).collect();
        println!(
            "{:<36}  {:<20}  {:<4}  {:<6}  {:<8}  {}",
            t.id,
            t.name,
            t.keys,
            t.sessions.len(),
            edges.join(","),
            hosts.join(",")
        );
    }
}

fn info(t: &TunnelView) {
    println!("NAME:     {}", t.name);
    println!("ID:       {}", t.id);
    println!("CREATED:  {}", rfc3339(t.created_at));
    println!("KEYS:     {}", t.keys);
    println!("ROUTES:");
    for r in &t.routes {
        println!("  {}", r.label());
    }
    println!(
        "SESSIONS:\n  {:<36}  {:<22}  {:<36}  {:<10}  {:<8}  RTT",
        "SESSION", "EDGE", "CONNECTOR", "VERSION", "AGE"
    );
    for s in &t.sessions {
        let rtt = s.rtt_ms.map_or("-".to_string(), |ms| format!("{ms:.1}ms"));
        let age = humantime::format_duration(std::time::Duration::from_secs(s.age_secs));
        println!(
            "  {:<36}  {:<22}  {:<36}  {:<10}  {:<8}  {rtt}",
            s.session_id,
            s.edge_id,
            s.connector_id,
            s.version,
            age.to_string()
        );
    }
}
