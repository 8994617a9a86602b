//! Serving: the snapshot handle the store follower publishes into, and the UDP/TCP server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use hickory_proto::rr::LowerName;
use hickory_server::zone_handler::{Catalog, ZoneHandler};
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};
use tokio_util::sync::CancellationToken;

use crate::config::DnsConfig;
use crate::frontend::Frontend;
use crate::handler::TetherZone;
use crate::metrics::DnsMetrics;
use crate::rate_limit::ResponseRateLimit;
use crate::snapshot::{Input, Snapshot};

/// The answers being served now; [`Zones::publish`] swaps in new ones.
pub struct Zones {
    pub config: Arc<DnsConfig>,
    pub current: Arc<ArcSwap<Snapshot>>,
    pub metrics: Arc<DnsMetrics>,
    /// Whether `current` came from the store yet (not the empty placeholder of [`Zones::new`]).
    published: AtomicBool,
}

impl Zones {
    pub fn new(config: DnsConfig, metrics: Arc<DnsMetrics>) -> Self {
        let snapshot = Snapshot::build(&config, Input::default(), None, 0);
        Zones {
            config: Arc::new(config),
            current: Arc::new(ArcSwap::from_pointee(snapshot)),
            metrics,
            published: AtomicBool::new(false),
        }
    }

    /// Rebuilds the answers from state read at store revision `revision`. Returns whether
    /// anything changed.
    pub fn publish(&self, mut input: Input, revision: i64) -> bool {
        input.normalize();
        let first = !self.published.swap(true, Ordering::AcqRel);
        let previous = self.current.load();
        if !first && previous.input == input {
            return false;
        }
        // Serial arithmetic (RFC 1982) wraps at 2^32; so does this.
        let version = revision as u32;
        let next = Snapshot::build(
            &self.config,
            input,
            (!first).then_some(&**previous),
            version,
        );
        tracing::debug!(serial = next.serial, "dns zones rebuilt");
        self.metrics.serial.set(i64::from(next.serial));
        self.current.store(Arc::new(next));
        true
    }
}

/// The request handler for `zones`: the catalog of zones, behind the checks every query
/// passes first (`Frontend`).
pub fn frontend(zones: &Zones) -> Frontend {
    let mut catalog = Catalog::new();
    let internal: Arc<[ipnet::IpNet]> = zones.config.internal_networks.clone().into();
    let trusted: Arc<[ipnet::IpNet]> = zones.config.trusted_resolvers.clone().into();
    for zone in &zones.config.zones {
        let origin = LowerName::new(&zone.origin);
        let handler: Arc<dyn ZoneHandler> = Arc::new(TetherZone {
            origin: origin.clone(),
            snapshot: zones.current.clone(),
            internal_networks: internal.clone(),
            trusted_resolvers: trusted.clone(),
        });
        catalog.upsert(origin, vec![handler]);
    }
    Frontend {
        catalog,
        snapshot: zones.current.clone(),
        transfer_allow: zones.config.transfer_allow.clone(),
        trusted_resolvers: trusted,
        max_udp_payload: zones.config.max_udp_payload,
        rate_limit: ResponseRateLimit::new(zones.config.rate_limit),
        metrics: zones.metrics.clone(),
    }
}

/// How long a TCP client may stay idle between queries (RFC 7766 §6.2.3 suggests seconds).
const TCP_IDLE: Duration = Duration::from_secs(10);

/// Serves the zones on `sockets` until `shutdown`.
pub async fn serve(
    zones: &Zones,
    sockets: Sockets,
    shutdown: CancellationToken,
) -> Result<(), hickory_server::net::NetError> {
    let mut server = Server::new(frontend(zones));
    for udp in sockets.udp {
        server.register_socket(udp);
    }
    server.register_listener(sockets.tcp, TCP_IDLE, 64 * 1024);
    tokio::select! {
        result = server.block_until_done() => result,
        _ = shutdown.cancelled() => server.shutdown_gracefully().await,
    }
}

/// The bound sockets of one DNS listener: UDP and TCP on one port.
pub struct Sockets {
    /// One per core, bound with SO_REUSEPORT: the kernel spreads clients across them, so
    /// receiving and sending (most of the cost of a UDP answer) run on every core, not one.
    pub udp: Vec<UdpSocket>,
    pub tcp: TcpListener,
}

impl Sockets {
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.tcp.local_addr()
    }
}

fn reuseport_udp(addr: std::net::SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    // Room for bursts while a core is busy (the kernel caps it at net.core.rmem_max).
    let _ = socket.set_recv_buffer_size(4 << 20);
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Binds UDP and TCP on the same address. With port 0 the first UDP socket picks the port and the
/// others take the same one, retrying with a new port if another socket already holds it.
pub async fn bind(addr: std::net::SocketAddr) -> std::io::Result<Sockets> {
    let count = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut last = None;
    for _ in 0..16 {
        let first = reuseport_udp(addr)?;
        let bound = first.local_addr()?;
        let attempt = async {
            let mut udp = vec![first];
            for _ in 1..count {
                udp.push(reuseport_udp(bound)?);
            }
            let tcp = TcpListener::bind(bound).await?;
            Ok::<_, std::io::Error>(Sockets { udp, tcp })
        };
        match attempt.await {
            Ok(sockets) => return Ok(sockets),
            Err(e) if addr.port() == 0 => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port for UDP and TCP")))
}
