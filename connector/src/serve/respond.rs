//! Answers to the edge's streams: bodies boxed into [`OriginBody`], plain-text and status-only
//! responses, origin failures marked with `tether-origin-error` (so the edge renders a page that
//! blames the origin), and sending a response head and body on a stream.

use bytes::Bytes;
use h2::server::SendResponse;
use http::{HeaderValue, Response, StatusCode};
use http_body::Body as _;
use http_body_util::{BodyExt, Empty, Full};
use tether_proto::headers::{OriginFailure, ORIGIN_ERROR, REQUEST_ID};
use tether_transport::h2body::send_body;
use tether_transport::stall::StallClock;

use crate::ingress::origin::{BoxError, OriginBody, OriginTimeout};
use crate::ingress::path::BadPath;

pub fn boxed<B>(body: B) -> OriginBody
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

pub fn text(status: StatusCode, body: String) -> Response<OriginBody> {
    let mut r = Response::new(boxed(Full::new(Bytes::from(body))));
    *r.status_mut() = status;
    r
}

/// 400 for a path the ingress rules cannot match honestly (`ingress::path`).
pub fn bad_path(why: &BadPath) -> Response<OriginBody> {
    text(StatusCode::BAD_REQUEST, format!("Bad request: {why}.\n"))
}

pub fn origin_failed(
    failure: OriginFailure,
    request_id: &str,
    error: &BoxError,
) -> Response<OriginBody> {
    let error = chain(error.as_ref());
    tracing::warn!(
        request_id,
        cause = failure.as_str(),
        error,
        "origin request failed"
    );
    let status = match failure {
        OriginFailure::Unreachable => StatusCode::BAD_GATEWAY,
        OriginFailure::Timeout => StatusCode::GATEWAY_TIMEOUT,
    };
    let mut r = text(status, format!("origin {}\n", failure.as_str()));
    r.headers_mut()
        .insert(ORIGIN_ERROR, HeaderValue::from_static(failure.as_str()));
    r
}

/// The request's body stopped coming from the edge (its public client went away, or the edge
/// reset the stream): nobody is left to answer, and the origin is not to blame. 499, as nginx
/// logs a client that closed its request, not counted as an origin failure.
pub fn edge_went_away(
    request_id: &str,
    error: &(dyn std::error::Error + 'static),
) -> Response<OriginBody> {
    tracing::debug!(
        request_id,
        error = chain(error),
        "request body ended at the edge"
    );
    status_only(StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST))
}

/// Whether `error` (an origin request's, or a body's) comes from the request body the edge was
/// sending: hyper's "user body" error caused by the tunnel stream's own h2 error.
pub fn from_edge_body(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
            let source = std::error::Error::source(hyper);
            return hyper.is_user() && source.is_some_and(|s| s.is::<h2::Error>());
        }
        if e.is::<h2::Error>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// An error with its causes, `outer: inner: root` (hyper's own messages name only the layer,
/// such as "client error (SendRequest)").
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

pub fn classify(error: &(dyn std::error::Error + 'static)) -> OriginFailure {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<OriginTimeout>() {
            return OriginFailure::Timeout;
        }
        cause = e.source();
    }
    OriginFailure::Unreachable
}

/// The request id the edge put on the stream, for logs on both sides.
pub fn request_id(headers: &http::HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// An answer with only a status.
pub fn status_only(status: StatusCode) -> Response<OriginBody> {
    let mut r = Response::new(boxed(Empty::<Bytes>::new()));
    *r.status_mut() = status;
    r
}

/// Sends a response head and streams its body.
pub async fn answer(respond: SendResponse<Bytes>, response: Response<OriginBody>) {
    answer_watched(respond, response, None).await
}

/// [`answer`], with `stall` running while the body waits for the edge's credit.
pub async fn answer_watched(
    mut respond: SendResponse<Bytes>,
    response: Response<OriginBody>,
    stall: Option<&StallClock>,
) {
    let (parts, body) = response.into_parts();
    let end_of_stream = body.is_end_stream();
    match respond.send_response(Response::from_parts(parts, ()), end_of_stream) {
        Ok(send) if !end_of_stream => {
            if let Err(e) = send_body(body, send, stall).await {
                tracing::debug!(error = %e, "response body did not reach the edge");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "cannot answer the stream"),
    }
}
