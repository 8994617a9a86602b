//! One stream the edge opened on a session: dispatched by kind, answered, and for byte pipes
//! (WebSocket, TCP) spliced onto the origin connection.
//!
//! - extended CONNECT with `:protocol websocket` (RFC 8441) → the origin's WebSocket;
//! - plain CONNECT (RFC 9113 §8.5) → a raw TCP connection to the rule's `tcp://`-like service;
//! - anything else → an HTTP request to the origin (or a control message).

use std::sync::Arc;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{Method, Request, Response};
use http_body::Body as _;
use tether_proto::h2body::{send_body, RecvBody};
use tether_proto::splice::{splice, Pipe};

use crate::origin::OriginBody;
use crate::session::SessionCtx;

pub async fn serve(req: Request<RecvStream>, respond: SendResponse<Bytes>, ctx: Arc<SessionCtx>) {
    if req.method() != Method::CONNECT {
        let _open = ctx.metrics.stream("http");
        let response = crate::proxy::handle(req.map(RecvBody::new), ctx.clone()).await;
        return answer(respond, response).await;
    }
    let is_websocket = req
        .extensions()
        .get::<h2::ext::Protocol>()
        .map(|p| p.as_str().eq_ignore_ascii_case("websocket"));
    let (parts, recv) = req.into_parts();
    let _open = ctx.metrics.stream(match is_websocket {
        Some(true) => "websocket",
        _ => "tcp",
    });
    match is_websocket {
        Some(true) => websocket(parts, recv, respond, &ctx).await,
        Some(false) => {
            let mut r = Response::new(crate::proxy::boxed(http_body_util::Empty::new()));
            *r.status_mut() = http::StatusCode::NOT_IMPLEMENTED;
            answer(respond, r).await
        }
        None => crate::tcp::serve(parts, recv, respond, &ctx).await,
    }
}

/// Sends a response head and streams its body.
pub async fn answer(mut respond: SendResponse<Bytes>, response: Response<OriginBody>) {
    let (parts, body) = response.into_parts();
    let end_of_stream = body.is_end_stream();
    match respond.send_response(Response::from_parts(parts, ()), end_of_stream) {
        Ok(send) if !end_of_stream => {
            if let Err(e) = send_body(body, send).await {
                tracing::debug!(error = %e, "response body did not reach the edge");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "cannot answer the stream"),
    }
}

async fn websocket(
    parts: http::request::Parts,
    recv: RecvStream,
    mut respond: SendResponse<Bytes>,
    ctx: &SessionCtx,
) {
    let request_id = crate::proxy::request_id(&parts.headers);
    let mut opened = match crate::proxy::websocket(parts, ctx).await {
        Ok(opened) => opened,
        Err(response) => return answer(respond, response).await,
    };
    // RFC 8441 §5: a 2xx answer to the extended CONNECT means the WebSocket is open.
    let mut ok = Response::new(());
    *ok.headers_mut() = opened.headers;
    let send = match respond.send_response(ok, false) {
        Ok(send) => send,
        Err(e) => return tracing::debug!(request_id, error = %e, "websocket stream gone"),
    };
    let spliced = splice(&mut opened.io, Pipe { send, recv }, None).await;
    tracing::debug!(request_id, ?spliced, "websocket closed");
}
