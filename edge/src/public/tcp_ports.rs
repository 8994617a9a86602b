//! Public TCP ports (`edge tunnel route tcp … --port N`): every edge listens on each port claimed
//! in the store and carries each accepted connection through a CONNECT stream to the tunnel's
//! ingress rule for the route's hostname. Removing the route closes the listener; connections
//! already carried run on.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tether_transport::sockets::{abort_tcp, abort_tcp_after_sent, keepalive, limit_unsent};
use tether_transport::splice::{splice, Ended, Watch};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::config::LiveConfig;
use crate::lifecycle::Lifecycle;
use crate::metrics::EdgeMetrics;
use crate::protect::counts::Counts;
use crate::protect::stalls::Stalls;
use crate::state::directory::Directory;
use crate::state::PortRecord;
use crate::tunnels::stream::{connect_head, new_request_id};
use crate::tunnels::StreamOpener;
use crate::view::View;

use super::{forwarded, proxy_protocol};

/// What the public TCP ports need (cheap to clone: each listener's task holds one).
#[derive(Clone)]
pub struct TcpPorts {
    /// The claimed ports, followed live.
    pub directory: Directory,
    pub opener: Arc<StreamOpener>,
    pub lifecycle: Lifecycle,
    pub metrics: Arc<EdgeMetrics>,
    pub config: LiveConfig,
    /// The routes, for their `client-ip-rules`.
    pub view: View,
    /// Connections held at once per client address and in all, over every port.
    pub open: Arc<Counts>,
    /// The watch on streams whose clients stopped reading, shared with every public stream.
    pub stalls: Arc<Stalls>,
}

/// How often a port that could not be bound is tried again.
const RETRY_BIND: Duration = Duration::from_secs(5);

/// Keepalive on public TCP connections, as cloudflared's default `tcpKeepAlive` toward origins.
const PUBLIC_KEEPALIVE: Duration = Duration::from_secs(30);

/// One open listener: its stop switch and the route it serves (swapped in place when only the
/// route's hostname or tunnel changed).
struct Open {
    bind: IpAddr,
    route: Arc<ArcSwap<PortRecord>>,
    stop: CancellationToken,
}

impl TcpPorts {
    /// Keeps this edge's TCP listeners equal to the claimed ports until shutdown.
    pub async fn follow(self, default_bind: IpAddr) {
        let mut open: HashMap<u16, Open> = HashMap::new();
        let mut changed = self.directory.ports.changed();
        loop {
            let wanted = self.directory.ports.all();
            let failed = !self.reconcile(&mut open, wanted, default_bind).await;
            tokio::select! {
                // Any change is followed by a full reconcile.
                _ = changed.changed() => {}
                _ = tokio::time::sleep(RETRY_BIND), if failed => {}
                _ = self.lifecycle.shutdown.cancelled() => break,
            }
        }
        for (_, listener) in open {
            listener.stop.cancel();
        }
    }

    /// Opens and closes listeners to match `wanted`; false if some port could not be bound.
    async fn reconcile(
        &self,
        open: &mut HashMap<u16, Open>,
        wanted: Vec<PortRecord>,
        default_bind: IpAddr,
    ) -> bool {
        let mut all_bound = true;
        let wanted: HashMap<u16, PortRecord> = wanted.into_iter().map(|p| (p.port, p)).collect();
        open.retain(|port, listener| {
            let keep = wanted
                .get(port)
                .is_some_and(|w| w.bind.unwrap_or(default_bind) == listener.bind);
            if !keep {
                tracing::info!(port, "public TCP port closed");
                listener.stop.cancel();
            }
            keep
        });
        for (port, record) in wanted {
            if let Some(listener) = open.get(&port) {
                listener.route.store(Arc::new(record));
                continue;
            }
            let bind = record.bind.unwrap_or(default_bind);
            let addr = SocketAddr::new(bind, port);
            match tether_transport::sockets::listen(addr) {
                Ok(listener) => {
                    // Tests and scripts read this line to know the port is open (and filter by its
                    // target, the module's name before the edge was laid out in rooms).
                    tracing::info!(target: "tether_edge::tcp_ports", hostname = %record.hostname, "listening on tcp {addr}");
                    let route = Arc::new(ArcSwap::from_pointee(record));
                    let stop = self.lifecycle.shutdown.child_token();
                    tokio::spawn(self.clone().accept(listener, route.clone(), stop.clone()));
                    open.insert(port, Open { bind, route, stop });
                }
                Err(e) => {
                    all_bound = false;
                    tracing::error!(
                        hostname = %record.hostname,
                        "cannot listen on public TCP port {addr}: {e}; retrying every {}s",
                        RETRY_BIND.as_secs()
                    );
                }
            }
        }
        all_bound
    }

    async fn accept(
        self,
        listener: TcpListener,
        route: Arc<ArcSwap<PortRecord>>,
        stop: CancellationToken,
    ) {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.cancelled() => return,
                // A draining edge takes no new public connections; open ones run on.
                _ = self.lifecycle.draining.cancelled() => return,
            };
            match accepted {
                Ok((tcp, peer)) => {
                    let admitted = self.clone().admit(tcp, peer, route.load_full());
                    self.lifecycle.tracker.spawn(admitted);
                }
                Err(e) => {
                    // Out of file descriptors, most likely: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a TCP connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// The checks before a connection is carried: the client a trusted balancer's PROXY header
    /// names, `max-connections-per-ip` and `max-connections`, the route's `client-ip-rules`.
    /// A connection that fails one is closed at once; nothing reaches the tunnel.
    async fn admit(self, mut tcp: TcpStream, mut peer: SocketAddr, route: Arc<PortRecord>) {
        if forwarded::is_trusted(peer.ip(), &self.config.get().proxy_protocol) {
            peer = match proxy_protocol::client_of(&mut tcp, peer).await {
                Ok(client) => client,
                Err(e) => return tracing::debug!(%peer, error = %e, "TCP connection refused"),
            };
        }
        let Ok(_counted) = self.open.acquire(peer.ip()) else {
            return tracing::debug!(%peer, "TCP connection refused: too many open");
        };
        let admits = self.view.route(&route.hostname);
        if !admits.is_none_or(|r| r.access.admits(peer.ip())) {
            tracing::info!(target: "access", %peer, hostname = route.hostname, port = route.port, reason = "client-ip-rules", "TCP connection refused");
            return abort_tcp(tcp);
        }
        self.carry(tcp, peer, route).await;
    }

    /// One public TCP connection through the tunnel.
    async fn carry(self, mut tcp: TcpStream, peer: SocketAddr, route: Arc<PortRecord>) {
        let started = Instant::now();
        let request_id = new_request_id();
        let _ = tcp.set_nodelay(true);
        limit_unsent(&tcp);
        // A public client that vanished (sleeping laptop, NAT that forgot the flow) would otherwise
        // pin its stream and origin connection until the tunnel runs out of streams.
        keepalive(&tcp, PUBLIC_KEEPALIVE);
        let local = tcp
            .local_addr()
            .unwrap_or(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), route.port));
        let opened = match connect_head(&route.hostname, route.port, &request_id, peer, local) {
            Ok(head) => self.opener.open_pipe(route.tunnel_id, head).await,
            Err(e) => Err(e.into()),
        };
        let (pipe, guard) = match opened {
            Ok(opened) => opened,
            Err(why) => {
                tracing::info!(target: "access", request_id, %peer, tunnel = %route.tunnel_id, hostname = route.hostname, port = route.port, ?why, "TCP connection not carried");
                return abort_tcp(tcp);
            }
        };
        let idle = self.config.get().streams.stream_idle_timeout;
        let watch = self.stalls.watch_pipe(route.tunnel_id, peer.ip());
        let spliced = tokio::select! {
            spliced = splice(&mut tcp, pipe, idle, Some(Watch::Socket(watch.clock()))) => Some(spliced),
            _ = watch.reset() => None,
        };
        drop(guard);
        let Some(spliced) = spliced else {
            tracing::info!(target: "access", request_id, %peer, tunnel = %route.tunnel_id, hostname = route.hostname, port = route.port, "TCP connection reset: the client took nothing for too long");
            return abort_tcp(tcp);
        };
        self.metrics.bytes_in.inc_by(spliced.up);
        self.metrics.bytes_out.inc_by(spliced.down);
        tracing::info!(
            target: "access", request_id, %peer, tunnel = %route.tunnel_id, hostname = route.hostname, port = route.port,
            up = spliced.up, down = spliced.down, ended = ?spliced.ended, duration_ms = started.elapsed().as_millis() as u64,
        );
        if let Ended::PeerAborted(_) = spliced.ended {
            abort_tcp_after_sent(tcp);
        }
    }
}
