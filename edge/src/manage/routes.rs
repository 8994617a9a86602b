//! Routes: `dns` and `tcp` (with a public port, or through `connector access tcp`), a route's
//! policy, delete; and what DNS does about a new route.

use std::net::IpAddr;

use super::views::{RouteView, RoutedView};
use super::{ManageError, Manager};
use crate::state::{decode, EdgeRecord, RouteRecord, RouteRules, TunnelRecord, EDGES};

/// What a TCP route asks for besides its tunnel and hostname.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// The public TCP port every edge listens on for it.
    pub port: Option<u16>,
    /// Where to listen for `port` (default: the edge's public listener address).
    pub bind: Option<IpAddr>,
    /// `connector access tcp` must present an access token.
    pub require_token: bool,
}

impl Manager {
    /// Routes HTTP(S) for `hostname` to `tunnel` (`route dns`).
    pub async fn route_dns(
        &self,
        tunnel: &str,
        hostname: &str,
        direct: Option<IpAddr>,
    ) -> Result<RoutedView, ManageError> {
        let tunnel = self.state.resolve(tunnel).await?;
        let route = self.state.route(&tunnel, hostname, direct).await?;
        Ok(self.routed(&tunnel, &route).await)
    }

    /// Routes raw TCP for `hostname` to `tunnel` (`route tcp`).
    pub async fn route_tcp(
        &self,
        tunnel: &str,
        hostname: &str,
        options: TcpOptions,
    ) -> Result<RoutedView, ManageError> {
        if options.port.is_some() && options.require_token {
            return Err(ManageError::invalid("a public TCP port carries no token: use --require-token without --port (`connector access tcp` presents it)"));
        }
        if options.bind.is_some() && options.port.is_none() {
            return Err(ManageError::invalid("--bind needs --port"));
        }
        let tunnel = self.state.resolve(tunnel).await?;
        let port = match options.port {
            Some(port) => Some((
                self.check_port(hostname, port, options.bind).await?,
                options.bind,
            )),
            None => None,
        };
        let route = self
            .state
            .route_tcp(&tunnel, hostname, port, options.require_token)
            .await?;
        Ok(self.routed(&tunnel, &route).await)
    }

    /// Sets the rules of the route for `hostname` (empty rules: open to everyone again).
    pub async fn set_policy(
        &self,
        hostname: &str,
        rules: RouteRules,
    ) -> Result<RouteView, ManageError> {
        let mut rules = rules;
        super::policy::check_rules(&mut rules)
            .map_err(|e| ManageError::invalid(format!("{}: {}", e.keys.join("."), e.message)))?;
        let route = self.state.set_route_rules(hostname, rules).await?;
        Ok(RouteView::of(&route))
    }

    /// Removes the route for `hostname` (its DNS records and its public TCP port).
    pub async fn delete_route(&self, hostname: &str) -> Result<RouteView, ManageError> {
        match self.state.delete_route(hostname).await? {
            Some(route) => Ok(RouteView::of(&route)),
            None => Err(ManageError::new(
                super::ErrorKind::NotFound,
                format!("no route for {hostname}; `edge tunnel list` shows the routes"),
            )),
        }
    }

    pub async fn routes(&self) -> Result<Vec<RouteView>, ManageError> {
        let routes = self.state.routes().await?;
        Ok(routes.iter().map(RouteView::of).collect())
    }

    async fn routed(&self, tunnel: &TunnelRecord, route: &RouteRecord) -> RoutedView {
        RoutedView {
            route: RouteView::of(route),
            tunnel_name: tunnel.name.clone(),
            dns: self
                .dns_advice(&route.hostname, &tunnel.id.to_string())
                .await,
        }
    }

    /// Refuses a public port that cannot work: a wildcard hostname (a port carries one name),
    /// port 0, or a port another program on this host already listens on. The store's
    /// compare-and-set then refuses a port another route holds.
    async fn check_port(
        &self,
        hostname: &str,
        port: u16,
        bind: Option<IpAddr>,
    ) -> Result<u16, ManageError> {
        if hostname.starts_with("*.") {
            return Err(ManageError::invalid("a public TCP port carries one hostname, not a wildcard: route a name such as db.example.com"));
        }
        if port == 0 {
            return Err(ManageError::invalid(
                "--port 0 is not a port clients can dial; pick a fixed port such as 2222",
            ));
        }
        let ours = self
            .state
            .ports()
            .await?
            .into_iter()
            .any(|p| p.port == port);
        if ours {
            // Held by a route (maybe this one, re-run): the compare-and-set decides.
            return Ok(port);
        }
        let listen = &self.config.listen;
        let ip = bind
            .or(listen.https.or(listen.http).map(|a| a.ip()))
            .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
        if let Err(e) = std::net::TcpListener::bind((ip, port)) {
            return Err(ManageError::new(super::ErrorKind::Conflict, format!("port {port} on {ip} is not free ({e}): another program, or one of the edge's own listeners, uses it; pick another port")));
        }
        Ok(port)
    }

    /// What DNS now answers for `host`, or the exact record to create elsewhere.
    async fn dns_advice(&self, host: &str, tunnel_id: &str) -> Vec<String> {
        let Some(dns) = &self.config.dns else {
            let (edges, _) = self.state.store.range(EDGES).await.unwrap_or_default();
            let addrs: Vec<String> = edges
                .iter()
                .filter_map(|kv| decode::<EdgeRecord>(kv).ok())
                .flat_map(|e| e.addresses)
                .map(|a| a.to_string())
                .collect();
            return match addrs.is_empty() {
                true => Vec::new(),
                false => vec![format!(
                    "Point {host} at this edge in your DNS (A/AAAA): {}",
                    addrs.join(", ")
                )],
            };
        };
        let Some(endpoint) = dns.endpoint(tunnel_id) else {
            return Vec::new();
        };
        let name = tether_dns::config::Name::from_ascii(
            format!("{}.", host.trim_start_matches("*.")).as_str(),
        )
        .ok();
        match name.as_ref().and_then(|n| dns.zone_of(n)) {
            Some(zone) => vec![format!(
                "DNS: {host} now resolves through {endpoint} (zone {} is served by this edge's DNS)",
                zone.origin
            )],
            None => vec![
                format!("{host} is in no zone this edge's DNS hosts; create this record at your DNS provider:"),
                format!("  {host}. {} IN CNAME {endpoint}", dns.ttl.max(300)),
            ],
        }
    }
}
