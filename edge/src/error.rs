//! Every response the edge gives on its own behalf, in one place: which status, whose fault, and
//! the page the public client sees. Each page carries the request id.

use http::{header, Response, StatusCode};

use crate::body::{self, EdgeBody};

/// Who a failure is attributed to on the page and in the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Request,
    /// The edge itself (its store).
    Edge,
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
    /// The request body sent nothing for `body-read-timeout`.
    BodyTimeout,
    /// The client's connection ended before its request body did (nginx logs this 499 too;
    /// nobody is left to read the page).
    ClientClosed,
    /// No route for the hostname.
    NoRoute,
    /// The route's policy wants credentials the request lacks, or that are wrong; `challenge`
    /// goes into `WWW-Authenticate`. `guess` marks wrong ones (they spend the failure budget).
    Unauthorized {
        reason: String,
        challenge: String,
        guess: bool,
    },
    /// The route refuses this client (its address, or credentials that do not pass).
    Forbidden(String),
    /// Sent elsewhere by the edge itself, with a cookie: to the identity provider to sign in,
    /// or back to where the browser was going once signed in (the `oidc` policy).
    Redirect { location: String, cookie: String },
    /// An `oidc` session ended at the browser's request: the cookie clears it, and the browser
    /// goes on to the provider's own logout when it has one, else sees a page.
    SignedOut {
        location: Option<String>,
        cookie: String,
    },
    /// The edge could not do its own part (the store did not take a logout).
    Unavailable(&'static str),
    /// The client is over a request rate; it may come back after the duration.
    RateLimited(std::time::Duration),
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
            EdgeError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            EdgeError::ClientClosed => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
            EdgeError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            EdgeError::NoRoute => StatusCode::NOT_FOUND,
            EdgeError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            EdgeError::Forbidden(_) => StatusCode::FORBIDDEN,
            EdgeError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            EdgeError::Redirect { .. } => StatusCode::FOUND,
            EdgeError::SignedOut { location, .. } => match location {
                Some(_) => StatusCode::FOUND,
                None => StatusCode::OK,
            },
            EdgeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            EdgeError::BodyTimeout => "body_timeout",
            EdgeError::ClientClosed => "client_closed",
            EdgeError::MethodNotAllowed => "method_not_allowed",
            EdgeError::NoRoute => "no_route",
            EdgeError::Unauthorized { .. } => "unauthorized",
            EdgeError::Forbidden(_) => "forbidden",
            EdgeError::RateLimited(_) => "rate_limited",
            EdgeError::Redirect { .. } => "sign_in",
            EdgeError::SignedOut { .. } => "signed_out",
            EdgeError::Unavailable(_) => "edge_unavailable",
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
            | EdgeError::BodyTimeout
            | EdgeError::ClientClosed
            | EdgeError::NoRoute
            | EdgeError::Unauthorized { .. }
            | EdgeError::Forbidden(_)
            | EdgeError::RateLimited(_)
            | EdgeError::Redirect { .. }
            | EdgeError::SignedOut { .. } => Fault::Request,
            EdgeError::Unavailable(_) => Fault::Edge,
            EdgeError::TunnelOffline | EdgeError::TunnelBusy | EdgeError::TunnelFailed => {
                Fault::Tunnel
            }
            EdgeError::OriginUnreachable | EdgeError::OriginTimeout => Fault::Origin,
        }
    }

    /// Why a policy or a limit refused the request, for the access log.
    pub fn reason(&self) -> Option<&str> {
        match self {
            EdgeError::Unauthorized { reason, .. } | EdgeError::Forbidden(reason) => Some(reason),
            EdgeError::RateLimited(_) => Some("request rate"),
            EdgeError::Redirect { .. } => Some("oidc: sign-in"),
            EdgeError::SignedOut { .. } => Some("oidc: signed out"),
            _ => None,
        }
    }

    pub fn unauthorized(reason: &str, challenge: &str, guess: bool) -> EdgeError {
        EdgeError::Unauthorized {
            reason: reason.into(),
            challenge: challenge.into(),
            guess,
        }
    }

    pub fn explanation(&self) -> &'static str {
        match self {
            EdgeError::BadRequest(why) => why,
            EdgeError::Unauthorized { .. } => "This site needs you to sign in: the request carries no credentials, or they are not accepted.",
            EdgeError::Forbidden(_) => "You are not allowed to use this site.",
            EdgeError::RateLimited(_) => "Too many requests from your address; wait a moment and try again.",
            EdgeError::Redirect { .. } => "Continue to sign in.",
            EdgeError::SignedOut { .. } => "You are signed out of this site.",
            EdgeError::Unavailable(why) => why,
            EdgeError::Misdirected => "This hostname is not covered by the certificate of this connection; open a new connection for it.",
            EdgeError::BodyTooLarge => "The request body is larger than this edge accepts.",
            EdgeError::BodyTimeout => "The request body stopped arriving; the edge waited long enough.",
            EdgeError::ClientClosed => "The connection closed before the request body was complete.",
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
            Fault::Edge => "the edge",
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
        match self {
            EdgeError::Unauthorized { challenge, .. } => {
                if let Ok(v) = challenge.parse() {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            EdgeError::RateLimited(wait) => {
                headers.insert(header::RETRY_AFTER, retry_after(*wait));
            }
            EdgeError::Redirect { location, cookie } => {
                if let (Ok(l), Ok(c)) = (location.parse(), cookie.parse()) {
                    headers.insert(header::LOCATION, l);
                    headers.insert(header::SET_COOKIE, c);
                }
            }
            EdgeError::SignedOut { location, cookie } => {
                if let Some(Ok(l)) = location.as_ref().map(|l| l.parse()) {
                    headers.insert(header::LOCATION, l);
                }
                if let Ok(c) = cookie.parse() {
                    headers.insert(header::SET_COOKIE, c);
                }
            }
            _ => {}
        }
        response
    }
}

/// `Retry-After` in whole seconds, rounded up (at least 1).
pub fn retry_after(wait: std::time::Duration) -> header::HeaderValue {
    header::HeaderValue::from(wait.as_secs_f64().ceil().max(1.0) as u64)
}
