//! Opening one stream on a tunnel session: the request head, the body streamed behind it by its
//! own task, and the response head, bounded by `response-header-timeout` (which never limits the
//! body that follows). Origin failures the connector reports become typed errors here.

use bytes::Bytes;
use h2::{RecvStream, SendStream};
use std::net::SocketAddr;

use http::{Method, Request, Response};
use http_body::Body as _;
use tether_proto::h2body::send_body;
use tether_proto::headers::{OriginFailure, CLIENT_ADDR, ORIGIN_ERROR, REQUEST_ID, SERVER_ADDR};
use tether_proto::splice::Pipe;

use crate::body::EdgeBody;
use crate::error_page::EdgeError;
use crate::server::Edge;
use crate::sessions::StreamGuard;

/// What follows the request head.
pub enum Outgoing {
    /// A request body, streamed to the end.
    Body(EdgeBody),
    /// A byte pipe (WebSocket, TCP): the sending half is handed back with the response.
    Pipe,
}

/// The response head and, for [`Outgoing::Pipe`], the stream's sending half.
pub struct Answer {
    pub response: Response<RecvStream>,
    pub send: Option<SendStream<Bytes>>,
}

/// The head of a TCP stream: a plain CONNECT (RFC 9113 §8.5) to `HOSTNAME:PORT`, whose
/// hostname picks the connector's ingress rule, with the public client's and the edge's
/// addresses for PROXY protocol.
pub fn connect_head(
    hostname: &str,
    port: u16,
    request_id: &str,
    client: SocketAddr,
    server: SocketAddr,
) -> Result<Request<()>, EdgeError> {
    Request::builder()
        .method(Method::CONNECT)
        .uri(format!("{hostname}:{port}"))
        .header(REQUEST_ID, request_id)
        .header(CLIENT_ADDR, client.to_string())
        .header(SERVER_ADDR, server.to_string())
        .body(())
        .map_err(|_| EdgeError::BadRequest("The hostname is not valid."))
}

pub async fn open(
    head: Request<()>,
    outgoing: Outgoing,
    guard: &StreamGuard,
    edge: &Edge,
) -> Result<Answer, EdgeError> {
    let session = &guard.session.record.session_id;
    let failed = |e: h2::Error| {
        tracing::warn!(%session, error = %e, "stream failed on the tunnel session");
        EdgeError::TunnelFailed
    };
    let exchange = async {
        let mut sender = guard.sender().ready().await.map_err(failed)?;
        let end_of_stream = matches!(&outgoing, Outgoing::Body(b) if b.is_end_stream());
        let (response, send) = sender.send_request(head, end_of_stream).map_err(failed)?;
        let send = match outgoing {
            Outgoing::Body(body) => {
                if !end_of_stream {
                    tokio::spawn(async move {
                        if let Err(e) = send_body(body, send).await {
                            tracing::debug!(error = %e, "request body did not reach the tunnel");
                        }
                    });
                }
                None
            }
            Outgoing::Pipe => Some(send),
        };
        Ok::<_, EdgeError>((response.await.map_err(failed)?, send))
    };
    let (response, send) = tokio::time::timeout(edge.config.response_header_timeout, exchange)
        .await
        .map_err(|_| EdgeError::OriginTimeout)??;
    match response
        .headers()
        .get(ORIGIN_ERROR)
        .and_then(|v| OriginFailure::parse(v.to_str().ok()?))
    {
        Some(OriginFailure::Unreachable) => Err(EdgeError::OriginUnreachable),
        Some(OriginFailure::Timeout) => Err(EdgeError::OriginTimeout),
        None => Ok(Answer { response, send }),
    }
}

/// Why a TCP stream did not open.
#[derive(Debug)]
pub enum PipeError {
    /// The edge could not carry it (offline, busy, session failed, origin failure reported).
    Edge(EdgeError),
    /// The connector answered this status instead of 200 (e.g. the rule is not a TCP service).
    Refused(http::StatusCode),
}

impl From<EdgeError> for PipeError {
    fn from(e: EdgeError) -> Self {
        PipeError::Edge(e)
    }
}

/// Opens a TCP stream (`head` from [`connect_head`]) on a live session of `tunnel`; the guard
/// counts it on the session until dropped.
pub async fn open_pipe(
    edge: &Edge,
    tunnel: uuid::Uuid,
    head: Request<()>,
) -> Result<(Pipe, StreamGuard), PipeError> {
    let guard = edge.sessions.pick(tunnel, edge.max_streams())?;
    let Answer { response, send } = open(head, Outgoing::Pipe, &guard, edge).await?;
    match send {
        Some(send) if response.status() == http::StatusCode::OK => Ok((
            Pipe {
                send,
                recv: response.into_body(),
            },
            guard,
        )),
        _ => Err(PipeError::Refused(response.status())),
    }
}
