//! Every response the edge gives on its own behalf, in one place: which status, whose fault, and
//! the page the public client sees. Each page carries the request id.

use http::{header, Response, StatusCode};

use crate::body::{self, EdgeBody};

/// Who a failure is attributed to on the page and in the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Request,
    Tunnel,
    Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeError {
    /// Malformed request: no Host, bad URI.
    BadRequest(&'static str),
    /// The certificate served for the SNI does not cover the Host (RFC 9110 §15.5.20).
    Misdirected,
    /// A method the edge does not proxy (plain CONNECT).
    MethodNotAllowed,
    /// `max-request-body` exceeded.
    BodyTooLarge,
    /// No route for the hostname.
    NoRoute,
    /// Routed, but no connector holds a session of the tunnel. Cloudflare answers 530 (error
    /// 1033) here; so do we, so monitors written for cloudflared keep working.
    TunnelOffline,
    /// Every session of the tunnel is at its concurrent stream limit; we never queue silently.
    TunnelBusy,
    /// The session failed while carrying the request.
    TunnelFailed,
    /// The connector could not reach the origin.
    OriginUnreachable,
    /// No response headers within `response-header-timeout`, or the origin timed out.
    OriginTimeout,
}

impl EdgeError {
    pub fn status(&self) -> StatusCode {
        match self {
            EdgeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            EdgeError::Misdirected => StatusCode::MISDIRECTED_REQUEST,
            EdgeError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            EdgeError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            EdgeError::NoRoute => StatusCode::NOT_FOUND,
            EdgeError::TunnelOffline => {
                StatusCode::from_u16(530).unwrap_or(StatusCode::BAD_GATEWAY)
            }
            EdgeError::TunnelBusy => StatusCode::SERVICE_UNAVAILABLE,
            EdgeError::TunnelFailed | EdgeError::OriginUnreachable => StatusCode::BAD_GATEWAY,
            EdgeError::OriginTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The error a cause label names ([`EdgeError::cause`]), for those an edge reports to
    /// another over a link. Offline is not among them: a link peer says that by refusing the
    /// stream unprocessed, which lets the sending edge send it elsewhere.
    pub fn from_cause(cause: &str) -> Option<EdgeError> {
        [
            EdgeError::TunnelBusy,
            EdgeError::TunnelFailed,
            EdgeError::OriginUnreachable,
            EdgeError::OriginTimeout,
        ]
        .into_iter()
        .find(|e| e.cause() == cause)
    }

    /// The cause as a metric label.
    pub fn cause(&self) -> &'static str {
        match self {
            EdgeError::BadRequest(_) => "bad_request",
            EdgeError::Misdirected => "misdirected",
            EdgeError::BodyTooLarge => "body_too_large",
            EdgeError::MethodNotAllowed => "method_not_allowed",
            EdgeError::NoRoute => "no_route",
            EdgeError::TunnelOffline => "tunnel_offline",
            EdgeError::TunnelBusy => "tunnel_busy",
            EdgeError::TunnelFailed => "tunnel_failed",
            EdgeError::OriginUnreachable => "origin_unreachable",
            EdgeError::OriginTimeout => "origin_timeout",
        }
    }

    pub fn fault(&self) -> Fault {
        match self {
            EdgeError::BadRequest(_)
            | EdgeError::MethodNotAllowed
            | EdgeError::Misdirected
            | EdgeError::BodyTooLarge
            | EdgeError::NoRoute => Fault::Request,
            EdgeError::TunnelOffline | EdgeError::TunnelBusy | EdgeError::TunnelFailed => {
                Fault::Tunnel
            }
            EdgeError::OriginUnreachable | EdgeError::OriginTimeout => Fault::Origin,
        }
    }

    pub fn explanation(&self) -> &'static str {
        match self {
            EdgeError::BadRequest(why) => why,
            EdgeError::Misdirected => "This hostname is not covered by the certificate of this connection; open a new connection for it.",
            EdgeError::BodyTooLarge => "The request body is larger than this edge accepts.",
            EdgeError::MethodNotAllowed => "This edge is not a forward proxy: CONNECT is only accepted for WebSockets.",
            EdgeError::NoRoute => "No tunnel is routed for this hostname.",
            EdgeError::TunnelOffline => "The tunnel for this hostname has no connector online.",
            EdgeError::TunnelBusy => "Every connection of the tunnel for this hostname is at its stream limit; try again shortly.",
            EdgeError::TunnelFailed => "The tunnel connection failed while carrying the request.",
            EdgeError::OriginUnreachable => "The connector could not reach the origin service.",
            EdgeError::OriginTimeout => "The origin service did not answer in time.",
        }
    }

    /// The page for the public client.
    pub fn response(&self, request_id: &str) -> Response<EdgeBody> {
        let fault = match self.fault() {
            Fault::Request => "the request",
            Fault::Tunnel => "the tunnel",
            Fault::Origin => "the origin",
        };
        let status = self.status();
        let page = format!(
            "<!doctype html>\n<html><head><title>{code} {reason}</title></head><body>\n\
             <h1>{code} {reason}</h1>\n<p>{why}</p>\n<p>Fault: {fault}.</p>\n\
             <p>Request ID: <code>{request_id}</code></p>\n<p><small>Tether edge</small></p>\n</body></html>\n",
            code = status.as_u16(),
            reason = status.canonical_reason().unwrap_or("Error"),
            why = self.explanation(),
        );
        let mut response = Response::new(body::full(page));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        if let Ok(v) = request_id.parse() {
            headers.insert(tether_proto::headers::REQUEST_ID, v);
        }
        response
    }
}
