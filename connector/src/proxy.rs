//! One stream from the edge → the origin its ingress rule names → the response back.
//!
//! Origin failures become a 502/504 marked with `tether-origin-error`, so the edge renders a page
//! that blames the origin; one failing origin only fails its own streams.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::ext::Protocol;
use hyper_util::rt::TokioIo;
use tether_proto::headers::{
    strip_hop_by_hop, strip_tether, OriginFailure, CONTROL, ORIGIN_ERROR, ORIGIN_STATUS, REQUEST_ID,
};

use crate::ingress::{Rule, Service};
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

fn origin_failed(
    failure: OriginFailure,
    request_id: &str,
    error: &BoxError,
) -> Response<OriginBody> {
    tracing::warn!(request_id, cause = failure.as_str(), error = %error, "origin request failed");
    let status = match failure {
        OriginFailure::Unreachable => StatusCode::BAD_GATEWAY,
        OriginFailure::Timeout => StatusCode::GATEWAY_TIMEOUT,
    };
    let mut r = text(status, format!("origin {}\n", failure.as_str()));
    r.headers_mut()
        .insert(ORIGIN_ERROR, HeaderValue::from_static(failure.as_str()));
    r
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
pub async fn handle(req: Request<Incoming>, ctx: Arc<SessionCtx>) -> Response<OriginBody> {
    if let Some(kind) = req.headers().get(CONTROL) {
        let kind = kind.to_str().unwrap_or_default().to_string();
        return crate::control::handle(&kind, req, &ctx).await;
    }
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
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
        Service::Origin(origin) => {
            if is_websocket(&req) {
                websocket(req, origin, &request_id).await
            } else {
                forward(req, origin, &request_id).await
            }
        }
    }
}

fn is_websocket(req: &Request<Incoming>) -> bool {
    req.method() == Method::CONNECT
        && req
            .extensions()
            .get::<Protocol>()
            .is_some_and(|p| p.as_str().eq_ignore_ascii_case("websocket"))
}

fn hello_world(req: &Request<Incoming>, rule: &Rule) -> Response<OriginBody> {
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
    req: Request<Incoming>,
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

/// An extended CONNECT stream: the HTTP/1.1 WebSocket handshake with the origin, then bytes.
async fn websocket(
    mut req: Request<Incoming>,
    origin: &Origin,
    request_id: &str,
) -> Response<OriginBody> {
    let stream_upgrade = hyper::upgrade::on(&mut req);
    let (mut parts, _) = req.into_parts();
    parts.method = Method::GET;
    parts.extensions = http::Extensions::new();
    if let Err(e) = origin_parts(&mut parts, origin) {
        return origin_failed(OriginFailure::Unreachable, request_id, &e);
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
            return origin_failed(failure, request_id, &(Box::new(e) as BoxError));
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
        return Response::from_parts(parts, boxed(body));
    }
    let origin_upgrade = hyper::upgrade::on(&mut response);
    let mut headers = response.headers().clone();
    strip_hop_by_hop(&mut headers);
    strip_tether(&mut headers);
    let request_id = request_id.to_string();
    tokio::spawn(async move {
        match tokio::try_join!(stream_upgrade, origin_upgrade) {
            Ok((stream, origin)) => {
                let (mut stream, mut origin) = (TokioIo::new(stream), TokioIo::new(origin));
                let result = tokio::io::copy_bidirectional(&mut stream, &mut origin).await;
                tracing::debug!(request_id, ?result, "websocket closed");
            }
            Err(e) => tracing::debug!(request_id, error = %e, "websocket upgrade did not complete"),
        }
    });
    // RFC 8441 §5: a 2xx answer to the extended CONNECT means the WebSocket is open.
    let mut ok = Response::new(boxed(Empty::new()));
    *ok.headers_mut() = headers;
    ok
}
