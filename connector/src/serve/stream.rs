//! One stream the edge opened on a session, dispatched by kind:
//!
//! - extended CONNECT with `:protocol websocket` (RFC 8441) → the origin's WebSocket;
//! - plain CONNECT (RFC 9113 §8.5) → a raw TCP connection to the rule's `tcp://`-like service;
//! - anything else → an HTTP request to the origin.
//!
//! Control messages never get here: the session answers them itself.

use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{Request, StatusCode};
use tether_proto::headers::CLIENT_ADDR;
use tether_transport::h2body::RecvBody;
use tether_transport::stall::{Backpressure, StallClock};

use crate::ingress::Ingress;
use crate::metrics::ConnectorMetrics;

use super::respond::{answer, answer_watched, status_only};
use super::stalls::SiteStalls;

/// What serving a stream needs: the rules in force, the metrics and the watch on stalled
/// streams. Cheap to clone; every session holds one.
#[derive(Clone)]
pub struct Streams {
    /// Swapped whole on reload; each stream keeps the snapshot it started with.
    pub ingress: Arc<ArcSwap<Ingress>>,
    pub metrics: Arc<ConnectorMetrics>,
    pub stalls: Arc<SiteStalls>,
}

impl Streams {
    /// Serves one stream to its end, or until the sweep resets it (`serve::stalls`): then
    /// dropping it resets its tunnel stream (`CANCEL`) and closes its origin connection, which
    /// still holds unread data, with a reset. `session` is the connection of the session the
    /// stream came on.
    pub async fn serve(
        self,
        req: Request<RecvStream>,
        respond: SendResponse<Bytes>,
        session: Backpressure,
    ) {
        let client = req
            .headers()
            .get(CLIENT_ADDR)
            .and_then(|v| v.to_str().ok()?.parse::<SocketAddr>().ok())
            .map(|a| a.ip());
        let watch = self.stalls.watch(client, session);
        tokio::select! {
            _ = self.dispatch(req, respond, watch.clock()) => {}
            _ = watch.reset() => {
                tracing::debug!(?client, "stream reset: its client stopped reading and the machine is short of TCP memory");
            }
        }
    }

    async fn dispatch(
        &self,
        req: Request<RecvStream>,
        respond: SendResponse<Bytes>,
        stall: &StallClock,
    ) {
        if req.method() != http::Method::CONNECT {
            let _open = self.metrics.stream("http");
            let response = super::http::handle(req.map(RecvBody::new), self).await;
            return answer_watched(respond, response, Some(stall)).await;
        }
        let is_websocket = req
            .extensions()
            .get::<h2::ext::Protocol>()
            .map(|p| p.as_str().eq_ignore_ascii_case("websocket"));
        let (parts, recv) = req.into_parts();
        let _open = self.metrics.stream(match is_websocket {
            Some(true) => "websocket",
            _ => "tcp",
        });
        match is_websocket {
            Some(true) => super::websocket::serve(parts, recv, respond, self, stall).await,
            Some(false) => answer(respond, status_only(StatusCode::NOT_IMPLEMENTED)).await,
            None => super::tcp::serve(parts, recv, respond, self, stall).await,
        }
    }
}
