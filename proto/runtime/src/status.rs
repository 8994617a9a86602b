//! A small plain-HTTP server for operators' endpoints (`/metrics`, `/ready`, `/healthz`), used
//! by both the edge and the connector: every request is answered by a function of its path.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// One answer: status, content type, body.
pub struct Page {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: String,
}

impl Page {
    pub fn text(status: StatusCode, body: impl Into<String>) -> Page {
        Page {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }
}

/// The Prometheus text exposition format's content type.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics page: what `encode` writes (prometheus-client's text encoder), or 500.
pub fn metrics_page(encode: impl FnOnce(&mut String) -> std::fmt::Result) -> Page {
    let mut text = String::new();
    match encode(&mut text) {
        Ok(()) => Page {
            status: StatusCode::OK,
            content_type: PROMETHEUS_TEXT,
            body: text,
        },
        Err(_) => Page::text(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode metrics\n"),
    }
}

/// Serves `page` on `listener` until `shutdown`.
pub async fn serve<F>(listener: TcpListener, shutdown: CancellationToken, page: F)
where
    F: Fn(&str) -> Page + Send + Sync + 'static,
{
    let page = Arc::new(page);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => continue,
            },
            _ = shutdown.cancelled() => return,
        };
        let page = page.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let Page {
                        status,
                        content_type,
                        body,
                    } = page(req.uri().path());
                    let mut response = Response::new(Full::new(Bytes::from(body)));
                    *response.status_mut() = status;
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static(content_type),
                    );
                    async move { Ok::<_, Infallible>(response) }
                });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
