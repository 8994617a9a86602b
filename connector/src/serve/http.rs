//! One stream from the edge → the origin its ingress rule names → the response back.
//!
//! Origin failures become a 502/504 marked with `tether-origin-error`, so the edge renders a page
//! that blames the origin; one failing origin only fails its own streams.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::rt::TokioIo;
use tether_proto::h2body::RecvBody;
use tether_proto::headers::{
    strip_hop_by_hop, strip_tether, OriginFailure, CONTROL, ORIGIN_ERROR, ORIGIN_STATUS, REQUEST_ID,
};

use crate::ingress::{Rule, Service};
use crate::metrics::CauseLabels;
use crate::origin::{BoxError, Origin, OriginBody, OriginTimeout};
use crate::session::SessionCtx;

pub fn boxed<B>(body: B) -> OriginBody
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

fn text(status: StatusCode, body: String) -> Response<OriginBody> {
    let mut r = Response::new(boxed(Full::new(Bytes::from(body))));
    *r.status_mut() = status;
    r
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

fn classify(error: &(dyn std::error::Error + 'static)) -> OriginFailure {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<OriginTimeout>() {
            return OriginFailure::Timeout;
        }
        cause = e.source();
    }
    OriginFailure::Unreachable
}

/// Serves one stream the edge opened on this session.
pub async fn handle(req: Request<RecvBody>, ctx: Arc<SessionCtx>) -> Response<OriginBody> {
    if let Some(kind) = req.headers().get(CONTROL) {
        let kind = kind.to_str().unwrap_or_default().to_string();
        return crate::control::handle(&kind, req, &ctx).await;
    }
    let started = std::time::Instant::now();
    let response = serve(req, &ctx).await;
    ctx.metrics.answered(response.status(), started.elapsed());
    let failure = response
        .headers()
        .get(ORIGIN_ERROR)
        .and_then(|v| OriginFailure::parse(v.to_str().ok()?));
    if let Some(failure) = failure {
        ctx.metrics
            .origin_errors
            .get_or_create(&CauseLabels {
                cause: failure.as_str(),
            })
            .inc();
    }
    response
}

/// An HTTP request by its ingress rule.
async fn serve(req: Request<RecvBody>, ctx: &SessionCtx) -> Response<OriginBody> {
    let request_id = request_id(req.headers());
    let host = req.uri().host().unwrap_or_default().to_string();
    // The rules in force when the stream started serve it to the end.
    let ingress = ctx.ingress.load_full();
    let rule = ingress.find(&host, req.uri().path());
    tracing::debug!(
        request_id,
        host,
        path = req.uri().path(),
        rule = rule.number,
        "stream"
    );
    match &rule.service {
        Service::Status(status) => {
            let mut r = Response::new(boxed(Empty::new()));
            *r.status_mut() = *status;
            r
        }
        Service::HelloWorld => hello_world(&req, rule),
        Service::Origin(origin) => forward(req, origin, &request_id).await,
        Service::Tcp(_) => text(
            StatusCode::BAD_GATEWAY,
            format!("ingress rule #{} serves raw TCP, not HTTP: reach it with `connector access tcp --hostname {host}` or a public TCP port\n", rule.number),
        ),
    }
}

fn hello_world(req: &Request<RecvBody>, rule: &Rule) -> Response<OriginBody> {
    let mut page = format!(
        "Hello from Tether!\n\nThis response came from the connector's built-in hello_world service (ingress rule #{}).\n\n{} {}\n",
        rule.number,
        req.method(),
        req.uri()
    );
    for (name, value) in req.headers() {
        page.push_str(&format!(
            "{name}: {}\n",
            value.to_str().unwrap_or("<binary>")
        ));
    }
    let mut r = text(StatusCode::OK, page);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The origin request's URI and Host: the origin's base, the stream's path, and the public host
/// unless `httpHostHeader` overrides it.
fn origin_parts(parts: &mut http::request::Parts, origin: &Origin) -> Result<(), BoxError> {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let public_host = parts.uri.authority().map(|a| a.to_string());
    let base = origin.base.clone().into_parts();
    let mut uri = Uri::builder().path_and_query(path);
    if let (Some(scheme), Some(authority)) = (base.scheme, base.authority) {
        uri = uri.scheme(scheme).authority(authority);
    }
    parts.uri = uri.build()?;
    parts.version = http::Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    let host = origin.settings.http_host_header.clone().or(public_host);
    if let Some(host) = host.and_then(|h| HeaderValue::from_str(&h).ok()) {
        parts.headers.insert(header::HOST, host);
    }
    Ok(())
}

async fn forward(
    req: Request<RecvBody>,
    origin: &Origin,
    request_id: &str,
) -> Response<OriginBody> {
    let (mut parts, body) = req.into_parts();
    if let Err(e) = origin_parts(&mut parts, origin) {
        return origin_failed(OriginFailure::Unreachable, request_id, &e);
    }
    match origin
        .client
        .request(Request::from_parts(parts, boxed(body)))
        .await
    {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            // Only the connector speaks for the tunnel: an origin cannot fake our signals.
            strip_tether(&mut parts.headers);
            Response::from_parts(parts, boxed(body))
        }
        Err(e) => {
            let failure = classify(&e);
            origin_failed(failure, request_id, &(Box::new(e) as BoxError))
        }
    }
}

/// The origin side of an opened WebSocket: the headers of its 101 and the upgraded connection.
pub struct OpenedWebSocket {
    pub headers: http::HeaderMap,
    pub io: TokioIo<hyper::upgrade::Upgraded>,
}

/// An extended CONNECT stream (RFC 8441): the HTTP/1.1 WebSocket handshake with the origin. On
/// success the caller answers 200 and splices the stream onto the origin; otherwise the returned
/// response goes back as the stream's answer.
pub async fn websocket(
    mut parts: http::request::Parts,
    ctx: &SessionCtx,
) -> Result<OpenedWebSocket, Response<OriginBody>> {
    let request_id = request_id(&parts.headers);
    let host = parts.uri.host().unwrap_or_default().to_string();
    let ingress = ctx.ingress.load_full();
    let rule = ingress.find(&host, parts.uri.path());
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

/// The request id the edge put on the stream, for logs on both sides.
pub fn request_id(headers: &http::HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}
