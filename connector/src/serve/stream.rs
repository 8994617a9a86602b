//! One stream the edge opened on a session, dispatched by kind:
//!
//! - extended CONNECT with `:protocol websocket` (RFC 8441) → the origin's WebSocket;
//! - plain CONNECT (RFC 9113 §8.5) → a raw TCP connection to the rule's `tcp://`-like service;
//! - anything else → an HTTP request to the origin.
//!
//! Control messages never get here: the session answers them itself.

use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{Request, StatusCode};
use tether_proto::h2body::RecvBody;

use crate::ingress::Ingress;
use crate::metrics::ConnectorMetrics;

use super::respond::{answer, status_only};

/// What serving a stream needs: the rules in force and the metrics. Cheap to clone; every
/// session holds one.
#[derive(Clone)]
pub struct Streams {
    /// Swapped whole on reload; each stream keeps the snapshot it started with.
    pub ingress: Arc<ArcSwap<Ingress>>,
    pub metrics: Arc<ConnectorMetrics>,
}

impl Streams {
    /// Serves one stream to its end.
    pub async fn serve(self, req: Request<RecvStream>, respond: SendResponse<Bytes>) {
        if req.method() != http::Method::CONNECT {
            let _open = self.metrics.stream("http");
            let response = super::http::handle(req.map(RecvBody::new), &self).await;
            return answer(respond, response).await;
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
            Some(true) => super::websocket::serve(parts, recv, respond, &self).await,
            Some(false) => answer(respond, status_only(StatusCode::NOT_IMPLEMENTED)).await,
            None => super::tcp::serve(parts, recv, respond, &self).await,
        }
    }
}
