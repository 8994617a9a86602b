//! Routes and public TCP ports in the store: a hostname and a port each belong to one tunnel,
//! claimed by compare-and-set, released by compare-and-delete.

use std::net::IpAddr;

use super::records::*;
use super::store::Expect;
use super::State;
use tether_proto::hostname;

impl State {
    /// Routes `hostname` to a tunnel (`route dns`). Idempotent for the same tunnel (which may
    /// change the direct address); refused for another.
    pub async fn route(
        &self,
        tunnel: &TunnelRecord,
        hostname: &str,
        direct: Option<IpAddr>,
    ) -> Result<RouteRecord, StateError> {
        let host = hostname::normalize_route(hostname)
            .map_err(|why| StateError::BadHostname(hostname.into(), why))?;
        // A requirement is never dropped without saying so: a token route stays one, and a
        // route's policy stays with it.
        let current = self.current_route(&host).await?;
        if let Some(current) = current.as_ref().filter(|c| c.tunnel_id == tunnel.id) {
            if current.require_token {
                return Err(StateError::WouldDropToken(host));
            }
        }
        let record = RouteRecord {
            direct,
            rules: kept_rules(current.as_ref(), tunnel),
            ..RouteRecord::new(host, tunnel.id)
        };
        let previous = self.put_route(record.clone()).await?;
        self.release_old_port(previous.as_ref(), &record).await?;
        Ok(record)
    }

    /// Routes `hostname` to a tunnel for TCP (`route tcp`): with `port`, claims that public port
    /// first, so two routes can never share one.
    pub async fn route_tcp(
        &self,
        tunnel: &TunnelRecord,
        hostname: &str,
        port: Option<(u16, Option<IpAddr>)>,
        require_token: bool,
    ) -> Result<RouteRecord, StateError> {
        let host = hostname::normalize_route(hostname)
            .map_err(|why| StateError::BadHostname(hostname.into(), why))?;
        let current = self.current_route(&host).await?;
        let record = RouteRecord {
            port: port.map(|(p, _)| p),
            require_token,
            rules: kept_rules(current.as_ref(), tunnel),
            ..RouteRecord::new(host.clone(), tunnel.id)
        };
        if record.port.is_some() && record.rules.policy.is_some() {
            return Err(StateError::PolicyOnPort(host));
        }
        if let Some((port, bind)) = port {
            self.claim_port(PortRecord {
                port,
                bind,
                hostname: host,
                tunnel_id: tunnel.id,
            })
            .await?;
        }
        let previous = match self.put_route(record.clone()).await {
            Ok(previous) => previous,
            Err(e) => {
                if let Some((port, _)) = port {
                    self.release_port(port, &record.hostname).await?;
                }
                return Err(e);
            }
        };
        self.release_old_port(previous.as_ref(), &record).await?;
        Ok(record)
    }

    /// Claims a public port by compare-and-set; the same claim again (perhaps with a new bind
    /// address) is fine.
    async fn claim_port(&self, claim: PortRecord) -> Result<(), StateError> {
        let key = format!("{PORTS}{}", claim.port);
        let taken = |current: &PortRecord| {
            StateError::PortTaken(claim.port, current.hostname.clone(), current.tunnel_id)
        };
        match self
            .store
            .put_if(&key, encode(&claim), None, Expect::Absent)
            .await?
        {
            Ok(_) => Ok(()),
            Err(Some(kv)) => {
                let current: PortRecord = decode(&kv)?;
                if current.hostname != claim.hostname || current.tunnel_id != claim.tunnel_id {
                    return Err(taken(&current));
                }
                let expect = Expect::ModRevision(kv.mod_revision);
                match self
                    .store
                    .put_if(&key, encode(&claim), None, expect)
                    .await?
                {
                    Ok(_) => Ok(()),
                    Err(_) => Err(concurrent()),
                }
            }
            Err(None) => Err(concurrent()),
        }
    }

    /// Frees the port `previous` held when the route no longer uses it.
    async fn release_old_port(
        &self,
        previous: Option<&RouteRecord>,
        now: &RouteRecord,
    ) -> Result<(), StateError> {
        match previous
            .and_then(|p| p.port)
            .filter(|p| Some(*p) != now.port)
        {
            Some(port) => self.release_port(port, &now.hostname).await,
            None => Ok(()),
        }
    }

    /// Deletes the claim on `port` if `hostname` still holds it, by compare-and-delete: a claim
    /// made meanwhile by a concurrent `route tcp` survives.
    async fn release_port(&self, port: u16, hostname: &str) -> Result<(), StateError> {
        let key = format!("{PORTS}{port}");
        let Some(kv) = self.store.get(&key).await? else {
            return Ok(());
        };
        let claim: PortRecord = decode(&kv)?;
        if claim.hostname == hostname {
            self.store.delete_if(&key, kv.mod_revision).await?;
        }
        Ok(())
    }

    /// Writes a route unless another tunnel holds the hostname; returns the record it replaced.
    async fn put_route(&self, record: RouteRecord) -> Result<Option<RouteRecord>, StateError> {
        let host = record.hostname.clone();
        match self
            .store
            .put_if(
                &format!("{ROUTES}{host}"),
                encode(&record),
                None,
                Expect::Absent,
            )
            .await?
        {
            Ok(_) => Ok(None),
            Err(Some(current)) => {
                let existing: RouteRecord = decode(&current)?;
                if existing.tunnel_id != record.tunnel_id {
                    Err(StateError::HostnameTaken(host, existing.tunnel_id))
                } else if existing == record {
                    Ok(Some(existing))
                } else {
                    let key = format!("{ROUTES}{host}");
                    let expect = Expect::ModRevision(current.mod_revision);
                    match self
                        .store
                        .put_if(&key, encode(&record), None, expect)
                        .await?
                    {
                        Ok(_) => Ok(Some(existing)),
                        Err(_) => Err(concurrent()),
                    }
                }
            }
            // Deleted between the check and now: trying once more would race again; report it.
            Err(None) => Err(concurrent()),
        }
    }

    /// The route for a normalised hostname, if there is one.
    async fn current_route(&self, host: &str) -> Result<Option<RouteRecord>, StateError> {
        match self.store.get(&format!("{ROUTES}{host}")).await? {
            Some(kv) => Ok(Some(decode(&kv)?)),
            None => Ok(None),
        }
    }

    /// Sets the client rules, limits and policy of the route for `hostname`
    /// (`edge tunnel route policy`); empty rules clear them.
    pub async fn set_route_rules(
        &self,
        hostname: &str,
        rules: RouteRules,
    ) -> Result<RouteRecord, StateError> {
        let host = hostname::normalize_route(hostname)
            .map_err(|why| StateError::BadHostname(hostname.into(), why))?;
        let key = format!("{ROUTES}{host}");
        let Some(kv) = self.store.get(&key).await? else {
            return Err(StateError::NoSuchRoute(host));
        };
        let current: RouteRecord = decode(&kv)?;
        if current.port.is_some() && rules.policy.is_some() {
            return Err(StateError::PolicyOnPort(host));
        }
        let record = RouteRecord { rules, ..current };
        match self
            .store
            .put_if(
                &key,
                encode(&record),
                None,
                Expect::ModRevision(kv.mod_revision),
            )
            .await?
        {
            Ok(_) => Ok(record),
            Err(_) => Err(concurrent()),
        }
    }

    /// Removes the route for `hostname`; returns it if there was one.
    pub async fn delete_route(&self, hostname: &str) -> Result<Option<RouteRecord>, StateError> {
        let host = hostname::normalize_route(hostname)
            .map_err(|why| StateError::BadHostname(hostname.into(), why))?;
        let key = format!("{ROUTES}{host}");
        let Some(kv) = self.store.get(&key).await? else {
            return Ok(None);
        };
        let route: RouteRecord = decode(&kv)?;
        // Compare-and-delete: a `route` that rewrote the hostname meanwhile keeps it.
        if !self.store.delete_if(&key, kv.mod_revision).await? {
            return Err(concurrent());
        }
        if let Some(port) = route.port {
            self.release_port(port, &route.hostname).await?;
        }
        Ok(Some(route))
    }

    pub async fn ports(&self) -> Result<Vec<PortRecord>, StateError> {
        self.store
            .range(PORTS)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    pub async fn routes(&self) -> Result<Vec<RouteRecord>, StateError> {
        self.store
            .range(ROUTES)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }
}

/// The rules a re-routed hostname keeps: its own, when it stays with the same tunnel.
fn kept_rules(current: Option<&RouteRecord>, tunnel: &TunnelRecord) -> RouteRules {
    current
        .filter(|c| c.tunnel_id == tunnel.id)
        .map(|c| c.rules.clone())
        .unwrap_or_default()
}
