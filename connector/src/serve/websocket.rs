//! WebSockets through the tunnel: an extended CONNECT stream (RFC 8441) becomes the origin's
//! HTTP/1.1 WebSocket handshake; once the origin answers 101, the stream is answered 200 and
//! spliced onto the upgraded connection, bytes only.

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tether_proto::headers::{strip_hop_by_hop, strip_tether, OriginFailure, ORIGIN_STATUS};
use tether_transport::splice::{splice, Pipe, Watch};
use tether_transport::stall::StallClock;

use crate::ingress::origin::{BoxError, OriginBody};
use crate::ingress::Service;

use super::http::origin_parts;
use super::respond::{answer, bad_path, boxed, classify, origin_failed, request_id, text};
use super::stream::Streams;

/// Serves one WebSocket stream to its end.
pub async fn serve(
    parts: http::request::Parts,
    recv: RecvStream,
    mut respond: SendResponse<Bytes>,
    streams: &Streams,
    stall: &StallClock,
) {
    let request_id = request_id(&parts.headers);
    let mut opened = match open(parts, streams).await {
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
    let spliced = splice(
        &mut opened.io,
        Pipe { send, recv },
        None,
        Some(Watch::Tunnel(stall)),
    )
    .await;
    tracing::debug!(request_id, ?spliced, "websocket closed");
}

/// The origin side of an opened WebSocket: the headers of its 101 and the upgraded connection.
pub struct OpenedWebSocket {
    pub headers: http::HeaderMap,
    pub io: TokioIo<hyper::upgrade::Upgraded>,
}

/// An extended CONNECT stream (RFC 8441): the HTTP/1.1 WebSocket handshake with the origin. On
/// success the caller answers 200 and splices the stream onto the origin; otherwise the returned
/// response goes back as the stream's answer.
async fn open(
    mut parts: http::request::Parts,
    streams: &Streams,
) -> Result<OpenedWebSocket, Response<OriginBody>> {
    let request_id = request_id(&parts.headers);
    let host = parts.uri.host().unwrap_or_default().to_string();
    let ingress = streams.ingress.load_full();
    let rule = ingress
        .find(&host, parts.uri.path())
        .map_err(|e| bad_path(&e))?;
    let origin = match &rule.service {
        Service::Origin(origin) => origin,
        Service::Status(status) => {
            let mut r = Response::new(boxed(Empty::new()));
            *r.status_mut() = *status;
            return Err(r);
        }
        _ => {
            return Err(text(
                StatusCode::NOT_IMPLEMENTED,
                format!("ingress rule #{} cannot serve a WebSocket\n", rule.number),
            ))
        }
    };
    parts.method = Method::GET;
    parts.extensions = http::Extensions::new();
    if let Err(e) = origin_parts(&mut parts, origin) {
        return Err(origin_failed(OriginFailure::Unreachable, &request_id, &e));
    }
    parts
        .headers
        .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    parts
        .headers
        .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    let mut response = match origin
        .client
        .request(Request::from_parts(parts, boxed(Empty::new())))
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let failure = classify(&e);
            return Err(origin_failed(
                failure,
                &request_id,
                &(Box::new(e) as BoxError),
            ));
        }
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        // The origin refused the upgrade; its answer goes back, under a non-2xx stream status.
        let (mut parts, body) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        strip_tether(&mut parts.headers);
        if parts.status.is_success() || parts.status.is_informational() {
            parts
                .headers
                .insert(ORIGIN_STATUS, HeaderValue::from(parts.status.as_u16()));
            parts.status = StatusCode::BAD_GATEWAY;
        }
        return Err(Response::from_parts(parts, boxed(body)));
    }
    let mut headers = response.headers().clone();
    strip_hop_by_hop(&mut headers);
    strip_tether(&mut headers);
    match hyper::upgrade::on(&mut response).await {
        Ok(upgraded) => Ok(OpenedWebSocket {
            headers,
            io: TokioIo::new(upgraded),
        }),
        Err(e) => Err(origin_failed(
            OriginFailure::Unreachable,
            &request_id,
            &(Box::new(e) as BoxError),
        )),
    }
}
