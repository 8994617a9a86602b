//! One stream from the edge → the origin its ingress rule names → the response back.
//!
//! Origin failures become a 502/504 marked with `tether-origin-error`, so the edge renders a page
//! that blames the origin; one failing origin only fails its own streams.

use http::{header, HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty};
use hyper::body::Body;
use tether_proto::headers::{strip_hop_by_hop, strip_tether, OriginFailure, ORIGIN_ERROR};
use tether_transport::h2body::RecvBody;

use crate::ingress::origin::{BoxError, Origin, OriginBody};
use crate::ingress::{Rule, Service};

use super::respond::{
    bad_path, boxed, classify, edge_went_away, from_edge_body, origin_failed, request_id, text,
};
use super::stream::Streams;

/// The most a `disableChunkedEncoding` origin's request body without a Content-Length may
/// hold: it is gathered in memory to be sent with one.
pub const UNCHUNKED_BODY_LIMIT: usize = 16 << 20;

/// How long a `disableChunkedEncoding` body may take to be gathered, its wait for a turn included.
const UNCHUNKED_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Bodies gathered at once for `disableChunkedEncoding`; more wait their turn, so the connector
/// holds at most 4 × [`UNCHUNKED_BODY_LIMIT`] (64 MiB) of them, however many arrive.
static UNCHUNKED_AT_ONCE: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(4)));

/// Serves one HTTP stream the edge opened, and counts it.
pub async fn handle(req: Request<RecvBody>, streams: &Streams) -> Response<OriginBody> {
    let started = std::time::Instant::now();
    let response = serve(req, streams).await;
    streams
        .metrics
        .answered(response.status(), started.elapsed());
    let failure = response
        .headers()
        .get(ORIGIN_ERROR)
        .and_then(|v| OriginFailure::parse(v.to_str().ok()?));
    if let Some(failure) = failure {
        streams.metrics.origin_error(failure.as_str());
    }
    response
}

/// An HTTP request by its ingress rule.
async fn serve(req: Request<RecvBody>, streams: &Streams) -> Response<OriginBody> {
    let request_id = request_id(req.headers());
    let host = req.uri().host().unwrap_or_default().to_string();
    // The rules in force when the stream started serve it to the end.
    let ingress = streams.ingress.load_full();
    let rule = match ingress.find(&host, req.uri().path()) {
        Ok(rule) => rule,
        Err(e) => return bad_path(&e),
    };
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
pub(super) fn origin_parts(
    parts: &mut http::request::Parts,
    origin: &Origin,
) -> Result<(), BoxError> {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let public_host = parts.uri.authority().map(|a| a.to_string());
    let host = origin.settings.http_host_header.clone().or(public_host);
    let base = origin.base.clone().into_parts();
    let mut uri = Uri::builder().path_and_query(path);
    if let (Some(scheme), Some(mut authority)) = (base.scheme, base.authority) {
        if origin.sni_from_host {
            // The origin's connector dials the configured address and takes the TLS server
            // name from this authority, which also keeps each name's connections apart in
            // the pool.
            let name = host
                .as_deref()
                .and_then(|h| h.parse::<http::uri::Authority>().ok());
            if let Some(name) = name {
                let port = authority.port_u16().unwrap_or(443);
                authority = format!("{}:{port}", name.host()).parse()?;
            }
        }
        uri = uri.scheme(scheme).authority(authority);
    }
    parts.uri = uri.build()?;
    parts.version = http::Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
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
    let body = if origin.settings.disable_chunked_encoding
        && !parts.headers.contains_key(header::CONTENT_LENGTH)
        && !body.is_end_stream()
    {
        match unchunked(body, &mut parts.headers, request_id).await {
            Ok(body) => body,
            Err(response) => return response,
        }
    } else {
        boxed(body)
    };
    match origin
        .client
        .request(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            // Only the connector speaks for the tunnel: an origin cannot fake our signals.
            strip_tether(&mut parts.headers);
            Response::from_parts(parts, boxed(body))
        }
        Err(e) if from_edge_body(&e) => edge_went_away(request_id, &e),
        Err(e) => {
            let failure = classify(&e);
            origin_failed(failure, request_id, &(Box::new(e) as BoxError))
        }
    }
}

/// `disableChunkedEncoding`: the whole body, sent with its Content-Length (hyper sends a known
/// length rather than chunks). Bodies past [`UNCHUNKED_BODY_LIMIT`] get 413.
async fn unchunked(
    body: RecvBody,
    headers: &mut http::HeaderMap,
    request_id: &str,
) -> Result<OriginBody, Response<OriginBody>> {
    // The turn is held until the gathered body has gone to the origin (the body owns it); the
    // semaphore is never closed, so acquiring cannot fail. Waiting for a turn and gathering
    // together take at most UNCHUNKED_TIMEOUT, so slow uploads cannot hold the turns for good.
    let gathered = tokio::time::timeout(UNCHUNKED_TIMEOUT, async {
        let turn = UNCHUNKED_AT_ONCE.clone().acquire_owned().await.ok();
        let collected = http_body_util::Limited::new(body, UNCHUNKED_BODY_LIMIT)
            .collect()
            .await;
        (turn, collected)
    })
    .await;
    let Ok((turn, collected)) = gathered else {
        return Err(text(
            StatusCode::REQUEST_TIMEOUT,
            format!("this origin takes no chunked request bodies (disableChunkedEncoding) and this one, sent without a Content-Length, did not arrive within {UNCHUNKED_TIMEOUT:?}\n"),
        ));
    };
    match collected {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            Ok(boxed(http_body_util::Full::new(bytes).map_frame(move |frame| {
                let _held = &turn;
                frame
            })))
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("this origin takes no chunked request bodies (disableChunkedEncoding) and this one, sent without a Content-Length, is over {} MiB\n", UNCHUNKED_BODY_LIMIT >> 20),
        )),
        Err(e) if from_edge_body(e.as_ref()) => Err(edge_went_away(request_id, e.as_ref())),
        Err(e) => Err(text(
            StatusCode::BAD_REQUEST,
            format!("the request body ended early: {e}\n"),
        )),
    }
}
