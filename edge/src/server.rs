//! `edge run`: the caller binds the listeners and owns the shutdown token; [`run`] serves until
//! the token is cancelled, then drains.

use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use std::time::Duration;

use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ca::TunnelCa;
use crate::certs::{self, CertResolver, DevCa};
use crate::config::{EdgeConfig, Listen};
use crate::error_page::EdgeError;
use crate::link_key::LinkKey;
use crate::links::Links;
use crate::listener::{self, Role};
use crate::routes::RouteTable;
use crate::sessions::{Session, Sessions, StreamGuard};
use crate::state::{EdgeRecord, State, TUNNELS};
use crate::store::{watch, Event, LeaseId, SqliteStore, Store};
use crate::tokens::TokenTable;
use crate::{dns_source, metrics};
use tether_dns::server::Zones;

/// Everything a request or a session needs, shared by all tasks.
pub struct Edge {
    /// Swapped whole when edge.yml is reloaded (`reload.rs`); read it with [`Edge::config`].
    config: ArcSwap<EdgeConfig>,
    pub state: State,
    pub routes: RouteTable,
    /// Access tokens for `connector access tcp`, mirrored from the store.
    pub tokens: TokenTable,
    pub sessions: Sessions,
    pub certs: Arc<CertResolver>,
    /// The lease that binds this edge's presence rows; renewed by [`keep_presence`].
    lease_id: AtomicI64,
    /// Cancelled when the edge's drain begins (`drain.rs`): public listeners stop accepting and
    /// new tunnel sessions are refused; what is open runs on.
    pub draining: CancellationToken,
    /// Cancelled when the drain is over (or cut short): everything still open closes.
    pub shutdown: CancellationToken,
    /// Links to the other edges sharing the store (`links.rs`).
    pub links: Links,
    /// What a peer edge proves on a link to this one (`link_key.rs`).
    pub link_key: LinkKey,
    /// Session and WebSocket tasks, awaited during shutdown.
    pub tracker: TaskTracker,
    pub https_port: Option<u16>,
    pub public_http: auto::Builder<TokioExecutor>,
    pub metrics: Arc<crate::metrics::EdgeMetrics>,
}

impl Edge {
    /// The configuration in force now.
    pub fn config(&self) -> arc_swap::Guard<Arc<EdgeConfig>> {
        self.config.load()
    }

    /// Puts a reloaded configuration in force for what follows.
    pub fn set_config(&self, config: EdgeConfig) {
        self.config.store(Arc::new(config));
    }

    pub fn current_lease(&self) -> LeaseId {
        self.lease_id.load(Ordering::Relaxed)
    }

    pub fn max_streams(&self) -> usize {
        self.config().max_concurrent_streams as usize
    }

    /// A stream slot for `tunnel`: on this edge's least busy session of it, or, when this edge
    /// holds none, over a link to an edge that does. `avoid` is a session (or link) the stream
    /// just failed on.
    pub async fn pick_stream(
        &self,
        tunnel: uuid::Uuid,
        avoid: Option<&Arc<Session>>,
    ) -> Result<StreamGuard, EdgeError> {
        let local_avoid = avoid.filter(|s| !s.over_link);
        match self
            .sessions
            .pick_avoiding(tunnel, self.max_streams(), local_avoid)
        {
            Err(EdgeError::TunnelOffline) => {
                let peer = avoid
                    .filter(|s| s.over_link)
                    .map(|s| s.record.edge_id.as_str());
                match self.links.pick(self, tunnel, peer, avoid.is_some()).await {
                    // Look here once more: a connector moving here from a draining edge may
                    // have closed its session there and be registering (or have just
                    // registered) one here while the links were tried.
                    Err(EdgeError::TunnelOffline) => {
                        if self.sessions.registering_of(tunnel) {
                            self.registered(tunnel).await;
                        }
                        self.sessions
                            .pick_avoiding(tunnel, self.max_streams(), local_avoid)
                    }
                    picked => picked,
                }
            }
            picked => picked,
        }
    }

    /// Waits, for at most [`REGISTERING_WAIT`], until no session of `tunnel` is registering here.
    async fn registered(&self, tunnel: uuid::Uuid) {
        let deadline = tokio::time::Instant::now() + REGISTERING_WAIT;
        loop {
            let changed = self.sessions.changed.notified();
            if !self.sessions.registering_of(tunnel) {
                return;
            }
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    /// The tunnel addresses of the live edges that are not draining (this one included unless
    /// it is), for connectors to spread their sessions over. A wildcard address (an edge bound
    /// to 0.0.0.0 without `advertise.tunnel`) means nothing elsewhere and is left out.
    pub async fn live_tunnel_addresses(&self) -> Vec<String> {
        match self.state.edges().await {
            Ok(edges) => edges
                .into_iter()
                .filter(|e| !e.draining)
                .filter_map(|e| e.tunnel_address)
                .filter(|a| crate::links::dialable(a))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the edges from the store");
                Vec::new()
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot bind {what} listener on {addr}: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Ca(#[from] crate::ca::CaError),
    #[error(transparent)]
    Cert(#[from] certs::CertError),
}

/// The edge's bound sockets. Binding is separate from [`run`] so tests bind port 0 and read the
/// real addresses.
pub struct Listeners {
    pub http: Option<TcpListener>,
    pub https: Option<TcpListener>,
    pub tunnel: Option<TcpListener>,
    /// UDP and TCP on one port.
    pub dns: Option<tether_dns::server::Sockets>,
    pub metrics: Option<TcpListener>,
}

impl Listeners {
    pub async fn bind(listen: &Listen) -> Result<Listeners, RunError> {
        async fn one(
            what: &'static str,
            addr: Option<SocketAddr>,
        ) -> Result<Option<TcpListener>, RunError> {
            match addr {
                None => Ok(None),
                Some(addr) => TcpListener::bind(addr)
                    .await
                    .map(Some)
                    .map_err(|source| RunError::Bind { what, addr, source }),
            }
        }
        let dns = match listen.dns {
            None => None,
            Some(addr) => {
                Some(
                    tether_dns::server::bind(addr)
                        .await
                        .map_err(|source| RunError::Bind {
                            what: "dns",
                            addr,
                            source,
                        })?,
                )
            }
        };
        Ok(Listeners {
            http: one("http", listen.http).await?,
            https: one("https", listen.https).await?,
            tunnel: one("tunnel", listen.tunnel).await?,
            dns,
            metrics: one("metrics", listen.metrics).await?,
        })
    }
}

/// The longest a request waits for a session of its tunnel that is registering here, when no
/// edge has one: registration is one round trip, so this is slack for a loaded machine.
const REGISTERING_WAIT: Duration = Duration::from_secs(2);

/// How long presence rows outlive a dead edge, and how often they are renewed.
const LEASE_TTL: Duration = Duration::from_secs(10);
const LEASE_RENEW: Duration = Duration::from_secs(3);

/// Serves until `stop` is cancelled (the first SIGTERM or SIGINT), then drains (`drain.rs`) for
/// at most `grace-period` and closes.
pub async fn run(
    mut config: EdgeConfig,
    listeners: Listeners,
    stop: CancellationToken,
) -> Result<(), RunError> {
    let shutdown = CancellationToken::new();
    tether_proto::install_crypto_provider();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.state_dir)?);
    let state = State::new(store.clone());
    let ca = Arc::new(TunnelCa::load_or_create(&config.state_dir)?);
    let routes = RouteTable::default();
    routes.set(state.routes().await?);
    let configured = config
        .certificates
        .iter()
        .map(certs::load_pair)
        .collect::<Result<Vec<_>, _>>()?;
    let dev_ca = config.dev_ca.then(|| DevCa {
        ca: ca.clone(),
        routes: routes.clone(),
        public_hostname: config.public_hostname.clone(),
    });
    let resolver = Arc::new(CertResolver::new(configured, dev_ca));

    let local = |l: &Option<TcpListener>| l.as_ref().and_then(|l| l.local_addr().ok());
    let tunnel_addr = local(&listeners.tunnel);
    if config.edge_id.is_empty() {
        // Unique per host and port: the tunnel listener, else the public one.
        let bound = tunnel_addr
            .or(local(&listeners.https))
            .or(local(&listeners.http));
        config.edge_id = bound.map_or_else(|| "edge".into(), |a| a.to_string());
    }
    let lease = store.grant_lease(LEASE_TTL).await?;
    let record = EdgeRecord {
        id: config.edge_id.clone(),
        tunnel_address: config
            .advertise_tunnel
            .clone()
            .or(tunnel_addr.map(|a| a.to_string())),
        addresses: config.addresses.clone(),
        draining: false,
    };
    state.announce_edge(&record, lease).await?;

    let edge = Arc::new(Edge {
        public_http: listener::public_builder(&config),
        https_port: local(&listeners.https).map(|a| a.port()),
        config: ArcSwap::from_pointee(config),
        state,
        routes: routes.clone(),
        tokens: TokenTable::default(),
        sessions: Sessions::default(),
        certs: resolver.clone(),
        lease_id: AtomicI64::new(lease),
        draining: CancellationToken::new(),
        shutdown: shutdown.clone(),
        links: Links::new(
            tether_proto::trust::session_client_config(Some(&ca.pem))
                .map_err(|e| crate::ca::CaError::Key(e.to_string()))?,
            ca.link_key.clone(),
        ),
        link_key: ca.link_key.clone(),
        tracker: TaskTracker::new(),
        metrics: Arc::default(),
    });

    let background = TaskTracker::new();
    let mut registry = prometheus_client::registry::Registry::default();
    edge.metrics.register(&mut registry);
    if let (Some(dns), Some(sockets)) = (edge.config().dns.clone(), listeners.dns) {
        let zones = Arc::new(Zones::new(dns, Arc::default()));
        zones.metrics.register(&mut registry);
        if let Ok(addr) = sockets.local_addr() {
            // Tests and scripts read the bound port from this line.
            tracing::info!("listening on dns {addr}");
        }
        background.spawn(dns_source::run(
            edge.state.clone(),
            zones,
            sockets,
            shutdown.clone(),
        ));
    }
    if let Some(listener) = listeners.metrics {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!("listening on metrics {addr}");
        }
        background.spawn(metrics::serve(
            listener,
            Arc::new(registry),
            shutdown.clone(),
        ));
    }
    background.spawn(routes.follow(store.clone(), shutdown.clone()));
    background.spawn(edge.tokens.clone().follow(store.clone(), shutdown.clone()));
    // Public TCP ports listen where the public HTTP(S) listener does, unless a route says.
    let tcp_bind = local(&listeners.https)
        .or(local(&listeners.http))
        .map(|a| a.ip())
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    background.spawn(crate::tcp_ports::follow(edge.clone(), tcp_bind));
    background.spawn(close_deleted_tunnels(edge.clone()));
    background.spawn(crate::reload::watch(edge.clone(), resolver.clone()));
    background.spawn(keep_presence(edge.clone(), record.clone()));

    let public_tls = TlsAcceptor::from(certs::server_config(resolver, &[b"h2", b"http/1.1"]));
    let tunnel_names = tunnel_certificate_names(&edge.config(), tunnel_addr);
    let tunnel_cert = ca.issue(&tunnel_names)?;
    let tunnel_tls = TlsAcceptor::from(certs::server_config(
        Arc::new(SingleCert(tunnel_cert)),
        &[b"http/1.1"],
    ));

    let mut serving = Vec::new();
    for (what, listener, tls, role) in [
        ("http", listeners.http, None, Role::Public),
        ("https", listeners.https, Some(public_tls), Role::Public),
        ("tunnel", listeners.tunnel, Some(tunnel_tls), Role::Tunnel),
    ] {
        let Some(listener) = listener else { continue };
        if let Ok(addr) = listener.local_addr() {
            // Tests and scripts read the bound port from this line.
            tracing::info!("listening on {what} {addr}");
        }
        serving.push(tokio::spawn(listener::serve(
            listener,
            tls,
            role,
            edge.clone(),
        )));
    }
    tracing::info!(edge = %edge.config().edge_id, "edge ready");
    stop.cancelled().await;
    crate::drain::run(&edge, record).await;
    shutdown.cancel();
    tracing::info!("shutting down");
    for task in serving {
        let _ = task.await;
    }
    edge.sessions.close_all();
    edge.tracker.close();
    let _ = tokio::time::timeout(Duration::from_secs(5), edge.tracker.wait()).await;
    background.close();
    let _ = store.revoke(edge.lease_id.load(Ordering::Relaxed)).await;
    Ok(())
}

/// The names in the tunnel listener's certificate: the advertised server name, plus the
/// advertised host when it is an IP address or `localhost`.
fn tunnel_certificate_names(config: &EdgeConfig, bound: Option<SocketAddr>) -> Vec<String> {
    let mut names = vec![config.server_name.clone()];
    let advertised = config
        .advertise_tunnel
        .as_deref()
        .and_then(|a| tether_proto::endpoint::Endpoint::parse(a).ok())
        .map(|e| e.host);
    for host in advertised
        .into_iter()
        .chain(bound.map(|a| a.ip().to_string()))
    {
        if !names.contains(&host) {
            names.push(host);
        }
    }
    names
}

/// Serves one certificate whatever the SNI (the tunnel listener).
#[derive(Debug)]
struct SingleCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for SingleCert {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Closes the sessions of tunnels deleted from the store (by `edge tunnel delete`, perhaps in
/// another process) within one watch interval. Each (re)start of the watch first reconciles: any
/// live session whose tunnel is gone is closed, so deletes missed while the watch was down (or
/// compacted away) still take effect.
async fn close_deleted_tunnels(edge: Arc<Edge>) {
    loop {
        let (tunnels, from) = match edge.state.store.range(TUNNELS).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read tunnels; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = edge.shutdown.cancelled() => return,
                }
            }
        };
        let existing: HashSet<String> = tunnels.into_iter().map(|kv| kv.key).collect();
        for id in edge.sessions.tunnel_ids() {
            if !existing.contains(&format!("{TUNNELS}{id}")) {
                tracing::info!(tunnel = %id, "tunnel no longer exists; closing its sessions");
                edge.sessions.close_tunnel(id);
            }
        }
        let mut events = watch(edge.state.store.clone(), TUNNELS.into(), from);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(Ok(Event::Delete { key, .. })) => {
                        if let Ok(id) = key.trim_start_matches(TUNNELS).parse() {
                            tracing::info!(tunnel = %id, "tunnel deleted; closing its sessions");
                            edge.sessions.close_tunnel(id);
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
                _ = edge.shutdown.cancelled() => return,
            }
        }
    }
}

/// Renews the presence lease; if it was lost (the edge stalled past the TTL), takes a new one and
/// announces itself again.
async fn keep_presence(edge: Arc<Edge>, record: EdgeRecord) {
    let mut tick = tokio::time::interval(LEASE_RENEW);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = edge.shutdown.cancelled() => return,
        }
        let lease = edge.lease_id.load(Ordering::Relaxed);
        match edge.state.store.keep_alive(lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("presence lease expired; announcing this edge again");
                if let Ok(new) = edge.state.store.grant_lease(LEASE_TTL).await {
                    edge.lease_id.store(new, Ordering::Relaxed);
                    let record = EdgeRecord {
                        draining: edge.draining.is_cancelled(),
                        ..record.clone()
                    };
                    let _ = edge.state.announce_edge(&record, new).await;
                    // The expired lease took the session rows with it: write them again.
                    for session in edge.sessions.records() {
                        let _ = edge.state.add_session(&session, new).await;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot renew presence lease"),
        }
    }
}
