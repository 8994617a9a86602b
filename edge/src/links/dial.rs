//! Edge-to-edge links, the sending side. DNS caches and outside CNAMEs send public clients to any
//! edge; a request that reaches an edge holding no session of its tunnel goes over a link to an
//! edge that holds one, and the offline page comes only when no edge does.
//!
//! One link per peer edge, dialled on first need and kept while it answers PINGs: TCP to the
//! peer's advertised tunnel address, TLS verified against the edges' shared CA, a WebSocket
//! upgrade with subprotocol `tether-link.v1` carrying the link proof (`key.rs`), then HTTP/2
//! with this edge the client, as on a tunnel session. Each stream is the very stream a connector
//! would get, plus `tether-link-tunnel`; the peer carries it on its own session (`accept.rs`).
//! Which edges hold a tunnel's sessions, and whether they are draining, is read from the
//! [`Directory`] (in memory from the store's watch), so a request never waits on the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::SendRequest;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use tether_proto::handshake::{HDR_LINK_PROOF, LINK_SUBPROTOCOL};
use tether_proto::headers::CONTROL;
use tether_transport::dial::Dialer;
use tether_transport::error::{Step, TransportError};
use tether_transport::liveness::{Heard, Liveness, Pulse};
use tether_transport::pressed_window;
use tether_transport::session_io::SessionIo;
use tether_transport::tuning;
use tether_transport::wsstream::WsStream;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::LiveConfig;
use crate::error::EdgeError;
use crate::metrics::EdgeMetrics;
use crate::state::directory::Directory;
use crate::state::{EdgeRecord, SessionRecord};
use crate::tunnels::presence::dialable;
use crate::tunnels::sessions::{Session, StreamGuard};
use crate::tunnels::Elsewhere;

use super::key::LinkKey;
use super::LinkError;

/// Bounds each step of dialling a peer: TCP, TLS, the upgrade, the first exchange.
const DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// A peer whose dial failed is not dialled again for this long: requests meanwhile try another
/// peer or get the offline page at once, rather than each waiting on a hung peer.
const FAILED_FOR: Duration = Duration::from_secs(5);
/// The control kind of the first exchange on a link, which proves the peer's SETTINGS (extended
/// CONNECT, for WebSockets) have arrived.
pub const HELLO: &str = "link-hello";

/// An open link: clone the sender per stream.
#[derive(Clone)]
struct Link {
    sender: SendRequest<Bytes>,
    closed: CancellationToken,
}

/// An edge holding sessions of a tunnel, and how many.
#[derive(Clone)]
struct Holder {
    edge: EdgeRecord,
    sessions: usize,
}

/// A peer's link, or when its last dial failed.
#[derive(Default)]
struct Slot {
    link: Option<Link>,
    failed_at: Option<Instant>,
}

/// The links of this edge, by peer edge id.
pub struct Links {
    /// One slot per peer; its async lock is held while dialling, so concurrent requests for the
    /// same peer share one dial.
    by_edge: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
    /// Trusts the edges' CA.
    tls: Arc<rustls::ClientConfig>,
    key: LinkKey,
    /// Which edges hold which tunnel's sessions.
    directory: Directory,
    config: LiveConfig,
    metrics: Arc<EdgeMetrics>,
}

impl Links {
    /// `tls` trusts the edges' CA; `key` is the link key the edges share.
    pub fn new(
        tls: Arc<rustls::ClientConfig>,
        key: LinkKey,
        directory: Directory,
        config: LiveConfig,
        metrics: Arc<EdgeMetrics>,
    ) -> Links {
        Links {
            by_edge: Mutex::default(),
            tls,
            key,
            directory,
            config,
            metrics,
        }
    }
}

#[async_trait::async_trait]
impl Elsewhere for Links {
    /// A stream slot for `tunnel` over a link to a live edge other than this one (and other than
    /// `avoid`, an edge a stream just failed through) that holds a session of it. The holders
    /// come from the directory, as current as the store's watch, so `_fresh` (the stream just
    /// failed elsewhere) needs no re-read.
    async fn pick(
        &self,
        tunnel: Uuid,
        avoid: Option<&str>,
        _fresh: bool,
    ) -> Result<StreamGuard, EdgeError> {
        let me = self.config.get().edge_id.clone();
        let mut peers: Vec<Holder> = self
            .holders(tunnel)
            .into_iter()
            .filter(|h| h.edge.id != me && Some(h.edge.id.as_str()) != avoid)
            .collect();
        // Live edges before draining ones (a draining edge still serves its sessions until they
        // have moved), then a linked peer before a new dial, then the most sessions.
        let linked = self.linked();
        peers.sort_by_key(|p| {
            let draining = p.edge.draining;
            (
                draining,
                !linked.contains(&p.edge.id),
                std::cmp::Reverse(p.sessions),
            )
        });
        for peer in peers {
            let peer = peer.edge;
            let server_name = self.config.get().server_name.clone();
            match self.link(&peer, &server_name).await {
                Ok(link) => {
                    let record = SessionRecord {
                        session_id: Uuid::new_v4(),
                        tunnel_id: tunnel,
                        edge_id: peer.id.clone(),
                        connector_id: Uuid::nil(),
                        conn_index: 0,
                        version: String::new(),
                        connected_at: 0,
                        key: String::new(),
                    };
                    self.metrics.link_stream("out");
                    return Ok(Session::over_link(record, link.sender));
                }
                Err(e) => tracing::debug!(peer = %peer.id, error = %e, "cannot link to peer edge"),
            }
        }
        Err(EdgeError::TunnelOffline)
    }
}

impl Links {
    /// The live edges holding sessions of `tunnel` (this one included), with a dialable tunnel
    /// address.
    fn holders(&self, tunnel: Uuid) -> Vec<Holder> {
        let sessions = self.directory.sessions_of(tunnel);
        self.directory
            .edges()
            .into_iter()
            // A wildcard address (0.0.0.0) would dial this host, not the peer.
            .filter(|e| e.tunnel_address.as_deref().is_some_and(dialable))
            .filter_map(|e| {
                let held = sessions.iter().filter(|s| s.edge_id == e.id).count();
                (held > 0).then_some(Holder {
                    edge: e,
                    sessions: held,
                })
            })
            .collect()
    }

    /// Peers with an open link.
    fn linked(&self) -> Vec<String> {
        let Ok(map) = self.by_edge.lock() else {
            return Vec::new();
        };
        map.iter()
            .filter(|(_, slot)| {
                // One being dialled is not linked yet: it may hang.
                slot.try_lock()
                    .is_ok_and(|s| s.link.as_ref().is_some_and(|l| !l.closed.is_cancelled()))
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The open link to `peer`, dialled now if there is none.
    async fn link(&self, peer: &EdgeRecord, server_name: &str) -> Result<Link, LinkError> {
        let slot = self
            .by_edge
            .lock()
            .map_err(|_| LinkError::Poisoned)?
            .entry(peer.id.clone())
            .or_default()
            .clone();
        let mut slot = slot.lock().await;
        if let Some(link) = slot.link.as_ref().filter(|l| !l.closed.is_cancelled()) {
            return Ok(link.clone());
        }
        if slot.failed_at.is_some_and(|at| at.elapsed() < FAILED_FOR) {
            return Err(LinkError::RecentlyFailed);
        }
        let address = peer.tunnel_address.as_deref().unwrap_or_default();
        let dialled = self
            .dial(address, server_name, self.config.get().liveness_timeout)
            .await;
        let link = dialled.inspect_err(|_| slot.failed_at = Some(Instant::now()))?;
        tracing::info!(peer = %peer.id, %address, "edge-to-edge link open");
        *slot = Slot {
            link: Some(link.clone()),
            failed_at: None,
        };
        Ok(link)
    }

    async fn dial(
        &self,
        address: &str,
        server_name: &str,
        liveness_timeout: Duration,
    ) -> Result<Link, LinkError> {
        let mut dialer = Dialer::new(
            address.to_string(),
            format!("wss://{address}/"),
            server_name,
            self.tls.clone(),
            "link",
        )?;
        dialer.timeout = DIAL_TIMEOUT;
        let proved = dialer
            .websocket(&[LINK_SUBPROTOCOL], |exporter| {
                let proof = HeaderValue::from_str(&self.key.prove(exporter)).map_err(|_| {
                    TransportError::local(Step::Upgrade, "the link proof is not a header value")
                })?;
                Ok(HeaderMap::from_iter([(
                    HeaderName::from_static(HDR_LINK_PROOF),
                    proof,
                )]))
            })
            .await;
        let ws = proved?.ws;
        let heard = Heard::default();
        let (sender, mut connection) = tuning::h2_client()
            .handshake::<_, Bytes>(SessionIo::new(WsStream::new(ws), heard.clone()))
            .await?;
        let closed = CancellationToken::new();
        let liveness =
            Liveness::new(liveness_timeout).watch(connection.ping_pong(), Pulse::new(), heard);
        let ended = closed.clone();
        let peer = address.to_string();
        let driven = pressed_window::drive(connection, pressed_window::shortage());
        tokio::spawn(async move {
            let reason = tokio::select! {
                result = driven => format!("{result:?}"),
                reason = liveness => reason,
            };
            tracing::info!(peer, reason, "edge-to-edge link closed");
            ended.cancel();
        });
        let link = Link { sender, closed };
        hello(&link).await.inspect_err(|_| link.closed.cancel())?;
        Ok(link)
    }
}

/// The first exchange on a new link; its answer means the peer's SETTINGS are in force.
async fn hello(link: &Link) -> Result<(), LinkError> {
    let req = Request::post(format!(
        "https://tether.control{}",
        tether_proto::control::PATH
    ))
    .header(CONTROL, HELLO)
    .body(())?;
    let exchange = async {
        let mut sender = link.sender.clone().ready().await?;
        let (response, _) = sender.send_request(req, true)?;
        response.await
    };
    let response = tokio::time::timeout(DIAL_TIMEOUT, exchange)
        .await
        .map_err(|_| LinkError::NoHello)??;
    if response.status() != StatusCode::OK {
        return Err(LinkError::HelloRefused(response.status()));
    }
    Ok(())
}
