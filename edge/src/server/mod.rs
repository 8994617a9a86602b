//! `edge run`, the wiring: the caller binds the listeners and owns the stop token; [`run`] builds
//! each room's handles from the config, starts the rooms, serves until the token is cancelled,
//! then drains and closes them in order. Nothing here decides what a request or a session does,
//! and no room imports this file.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::tls::client_auth::ServerTls;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::TokenTable;
use crate::config::{EdgeConfig, LiveConfig};
use crate::lifecycle::Lifecycle;
use crate::links::key::LinkKey;
use crate::links::Links;
pub use crate::listeners::{BindError, Listeners};
use crate::metrics::{self, EdgeMetrics};
use crate::protect::counts::Counts;
use crate::protect::failures::{FailureBudget, Failures};
use crate::protect::stalls;
use crate::public::admit::Guards;
use crate::public::{listener, Service};
use crate::state::acme::AcmeTables;
use crate::state::directory::Directory;
use crate::state::oidc_logouts::SignedOut;
use crate::state::route_table::RouteTable;
use crate::state::store;
use crate::state::{dns_source, EdgeRecord, State};
use crate::tls::acme_certs::AcmeCerts;
use crate::tls::ca::TunnelCa;
use crate::tls::certs::{self, CertResolver};
use crate::tls::tunnel_cert::tunnel_certificate;
use crate::tunnels::accept::FRESHNESS_WAITERS;
use crate::tunnels::revocations::close_revoked_sessions;
use crate::tunnels::{presence::Presence, sessions::Sessions, StreamOpener};
use crate::view::View;
use tether_dns::server::Zones;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error(transparent)]
    Store(#[from] crate::state::store::StoreError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Ca(#[from] crate::tls::ca::CaError),
    #[error(transparent)]
    Cert(#[from] certs::CertError),
    #[error("admin.tls: {0}")]
    AdminTls(String),
}

/// The handles the wiring holds; each room gets the few it needs.
struct Rooms {
    config: LiveConfig,
    /// What the edge knows of the cluster, in memory.
    directory: Directory,
    /// The store, for what is not on the data path.
    state: State,
    lifecycle: Lifecycle,
    metrics: Arc<EdgeMetrics>,
    sessions: Arc<Sessions>,
    presence: Arc<Presence>,
    routes: RouteTable,
    /// The routes compiled for the data plane.
    view: View,
    tokens: TokenTable,
    certs: Arc<CertResolver>,
    /// ACME certificates and challenges in the store, followed in memory.
    acme: AcmeTables,
    acme_certs: Arc<AcmeCerts>,
    opener: Arc<StreamOpener>,
    link_key: LinkKey,
    /// Failed handshakes per address, shared by every listener's sessions, links, access
    /// sessions and enrollments.
    failures: Arc<Failures>,
    /// Per-route policies, request rates and unread responses, shared by the public listeners.
    guards: Guards,
    /// The tunnel CA's certificate, which enrolled credentials pin.
    ca_pem: String,
    /// Shared by the session acceptors of every listener.
    freshness: Arc<tokio::sync::Semaphore>,
}

/// Stalled streams cannot fill a session while every stream at its starting window plus every
/// grown window fits the session window (`tether_transport::tuning`); say so when edge.yml's
/// `max-concurrent-streams` and `max-stalled-memory` no longer let them.
fn warn_if_sessions_can_fill(config: &EdgeConfig) {
    use tether_transport::tuning::{CONNECTION_WINDOW, STREAM_WINDOW_START};
    let worst = u64::from(config.max_concurrent_streams) * u64::from(STREAM_WINDOW_START)
        + config.streams.max_stalled_memory / 2;
    if worst > u64::from(CONNECTION_WINDOW) {
        tracing::warn!(
            max_concurrent_streams = config.max_concurrent_streams,
            max_stalled_memory = config.streams.max_stalled_memory,
            "streams whose clients stopped reading could fill a tunnel session: max-concurrent-streams x 128 KiB plus half of max-stalled-memory exceeds the 2 GiB session window; lower either (the defaults, 10000 and 512MiB, fit)"
        );
    }
}

/// Serves until `stop` is cancelled (the first SIGTERM or SIGINT), then drains (`drain.rs`) for
/// at most `grace-period` and closes.
pub async fn run(
    mut config: EdgeConfig,
    listeners: Listeners,
    stop: CancellationToken,
) -> Result<(), RunError> {
    tether_proto::install_crypto_provider();
    let state = State::new(store::open(&config.store, &config.state_dir).await?);
    let ca = Arc::new(TunnelCa::load_or_create(&state, &config.state_dir).await?);
    if let Err(e) = ca.export(&config.state_dir) {
        tracing::warn!(error = %e, "cannot export the tunnel CA certificate");
    }
    let tunnel_addr = Listeners::local(&listeners.tunnel);
    let public_addr = Listeners::local(&listeners.https).or(Listeners::local(&listeners.http));
    if config.edge_id.is_empty() {
        // Unique per host and port: the tunnel listener, else the public one.
        let bound = tunnel_addr.or(public_addr);
        config.edge_id = bound.map_or_else(|| "edge".into(), |a| a.to_string());
    }
    let https_port = Listeners::local(&listeners.https).map(|a| a.port());
    warn_if_sessions_can_fill(&config);
    let rooms = Rooms::build(config, state, &ca, tunnel_addr).await?;
    let Listeners {
        http,
        https,
        tunnel,
        dns,
        metrics,
        admin,
    } = listeners;
    let background = rooms.start_background(dns, metrics);
    rooms.start_admin(admin, &background)?;
    // Public TCP ports listen where the public HTTP(S) listener does, unless a route says.
    let tcp_bind = public_addr
        .map(|a| a.ip())
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    background.spawn(rooms.tcp_ports().follow(tcp_bind));
    let serving = rooms.serve(http, https, tunnel, &ca, tunnel_addr, https_port)?;
    tracing::info!(edge = %rooms.config.get().edge_id, "edge ready");
    stop.cancelled().await;
    rooms.drain().run().await;
    rooms.shut_down(serving, background).await;
    Ok(())
}

impl Rooms {
    /// Reads what the rooms start from (the directory, routes, certificates, the link secret),
    /// announces this edge in the store and builds the handles.
    async fn build(
        config: EdgeConfig,
        state: State,
        ca: &Arc<TunnelCa>,
        tunnel_addr: Option<SocketAddr>,
    ) -> Result<Rooms, RunError> {
        let lifecycle = Lifecycle::default();
        let directory = Directory::follow(state.store.clone(), lifecycle.shutdown.clone()).await;
        let routes = RouteTable::default();
        routes.set(state.routes().await?);
        // Compiled from the routes once the policies' key cache exists (below).
        let view = View::default();
        let acme = AcmeTables::follow(state.store.clone(), lifecycle.shutdown.clone()).await;
        let acme_certs = AcmeCerts::new(acme.clone());
        let certs = Arc::new(CertResolver::from_config(
            &config,
            ca,
            &view,
            Some(acme_certs.clone()),
        )?);
        let record = EdgeRecord {
            id: config.edge_id.clone(),
            tunnel_address: config
                .advertise_tunnel
                .clone()
                .or(tunnel_addr.map(|a| a.to_string())),
            addresses: config.addresses.clone(),
            draining: false,
        };
        let ttl = config.store.lease_ttl();
        let presence = Presence::announce(
            state.clone(),
            directory.clone(),
            record,
            ttl,
            lifecycle.clone(),
        );
        let presence = Arc::new(presence.await?);
        let config = LiveConfig::new(config);
        let metrics = Arc::new(EdgeMetrics::default());
        let sessions = Arc::new(Sessions::default());
        let secret = state.link_secret().await?;
        let link_key = LinkKey::derive(&secret);
        let links = Links::new(
            tether_proto::trust::session_client_config(Some(&ca.pem))
                .map_err(|e| crate::tls::ca::CaError::Key(e.to_string()))?,
            link_key.clone(),
            directory.clone(),
            config.clone(),
            metrics.clone(),
        );
        let opener = Arc::new(StreamOpener::new(
            sessions.clone(),
            Arc::new(links),
            config.clone(),
            metrics.clone(),
        ));
        let failures = Arc::new(Failures::new(FailureBudget::default()));
        let signed_out = SignedOut::follow(state.clone(), lifecycle.shutdown.clone());
        let guards = Guards::new(failures.clone(), &secret, signed_out);
        view.follow(&routes, guards.gate.keys());
        Ok(Rooms {
            config,
            directory,
            state,
            lifecycle,
            metrics,
            sessions,
            presence,
            routes,
            view,
            tokens: TokenTable::default(),
            certs,
            acme,
            acme_certs,
            opener,
            link_key,
            failures: failures.clone(),
            guards,
            ca_pem: ca.pem.clone(),
            freshness: Arc::new(tokio::sync::Semaphore::new(FRESHNESS_WAITERS)),
        })
    }

    /// DNS, `/metrics`, the tables followed from the store, deleted tunnels, reload and the
    /// presence lease: tasks that run until shutdown.
    fn start_background(
        &self,
        dns: Option<tether_dns::server::Sockets>,
        metrics: Option<TcpListener>,
    ) -> TaskTracker {
        let (background, store) = (TaskTracker::new(), self.state.store.clone());
        let shutdown = self.lifecycle.shutdown.clone();
        let mut registry = prometheus_client::registry::Registry::default();
        self.metrics.register(&mut registry);
        if let (Some(dns), Some(sockets)) = (self.config.get().dns.clone(), dns) {
            let zones = Arc::new(Zones::new(dns, Arc::default()));
            zones.metrics.register(&mut registry);
            if let Ok(addr) = sockets.local_addr() {
                // Tests and scripts read the bound port from this line.
                tracing::info!("listening on dns {addr}");
            }
            let sources = dns_source::Sources {
                directory: self.directory.clone(),
                routes: self.routes.clone(),
                acme: self.acme.clone(),
            };
            let dns = dns_source::run(sources, zones, sockets, shutdown.clone());
            background.spawn(dns);
        }
        if let Some(listener) = metrics {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!("listening on metrics {addr}");
            }
            let registry = Arc::new(registry);
            background.spawn(metrics::serve(listener, registry, shutdown.clone()));
        }
        background.spawn(self.routes.clone().follow(store.clone(), shutdown.clone()));
        background.spawn(self.tokens.clone().follow(store.clone(), shutdown.clone()));
        let (directory, state) = (self.directory.clone(), self.state.clone());
        let revocations =
            close_revoked_sessions(directory, state, self.sessions.clone(), shutdown.clone());
        background.spawn(revocations);
        let (config, certs) = (self.config.clone(), self.certs.clone());
        background.spawn(crate::reload::watch(config, certs, shutdown.clone()));
        background.spawn(self.presence.clone().keep(self.sessions.clone()));
        background.spawn(self.acme_certs.clone().follow(shutdown.clone()));
        background.spawn(self.acme_manager().run(shutdown.clone()));
        let (stalls, metrics) = (self.guards.stalls.clone(), self.metrics.clone());
        background.spawn(stalls::keep_sweeping(
            stalls,
            self.config.clone(),
            metrics,
            shutdown,
        ));
        background
    }

    /// Serves each bound listener: the public ones with the proxy (HTTPS with a certificate by
    /// SNI), the tunnel listener with the session and link acceptors.
    fn serve(
        &self,
        http: Option<TcpListener>,
        https: Option<TcpListener>,
        tunnel: Option<TcpListener>,
        ca: &Arc<TunnelCa>,
        tunnel_addr: Option<SocketAddr>,
        https_port: Option<u16>,
    ) -> Result<Vec<JoinHandle<()>>, RunError> {
        let base = certs::server_config(self.certs.clone(), &[b"h2", b"http/1.1"], false);
        let public_tls = ServerTls::by_sni(
            base,
            self.certs.clone(),
            self.view.clone(),
            Some(self.acme_certs.clone()),
        );
        let tunnel_cert = tunnel_certificate(ca, &self.config.get(), tunnel_addr)?;
        let tunnel_config = certs::server_config(tunnel_cert, &[b"http/1.1"], true);
        let (public_tls, tunnel_tls) = (
            Arc::new(public_tls),
            Arc::new(ServerTls::fixed(tunnel_config)),
        );
        let proxy = Service::Public(Arc::new(self.proxy(https_port)));
        let tunnel_service = Service::Tunnel {
            sessions: Arc::new(self.session_acceptor()),
            links: Arc::new(self.link_acceptor()),
            enroll: Arc::new(self.enroller()),
        };
        let mut serving = Vec::new();
        let open = Counts::of_config(&self.config.get());
        for (what, listener, tls, service) in [
            ("http", http, None, proxy.clone()),
            ("https", https, Some(public_tls), proxy),
            ("tunnel", tunnel, Some(tunnel_tls), tunnel_service),
        ] {
            let Some(listener) = listener else { continue };
            if let Ok(addr) = listener.local_addr() {
                // Tests and scripts read the bound port from this line.
                tracing::info!("listening on {what} {addr}");
            }
            serving.push(tokio::spawn(listener::serve(
                listener,
                tls,
                service,
                self.lifecycle.clone(),
                self.config.clone(),
                open.clone(),
            )));
        }
        Ok(serving)
    }

    /// After the drain: everything still open closes, the listeners and tracked tasks end (5 s at
    /// most), and last the presence lease is revoked, so the store drops this edge at once.
    async fn shut_down(&self, serving: Vec<JoinHandle<()>>, background: TaskTracker) {
        self.lifecycle.shutdown.cancel();
        tracing::info!("shutting down");
        for task in serving {
            let _ = task.await;
        }
        self.sessions.close_all();
        self.lifecycle.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.lifecycle.tracker.wait()).await;
        background.close();
        self.presence.revoke().await;
    }
}

mod admin;
mod handles;
