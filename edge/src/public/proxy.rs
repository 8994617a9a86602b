//! The path of a public request through the edge: checks, route, session, stream, response.
//! See `docs/architecture.md` for the whole path.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use h2::RecvStream;
use http::uri::{Authority, Scheme};
use http::{header, HeaderValue, Method, Request, Response, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tether_proto::enroll::ENROLL_PATH;
use tether_proto::handshake::{ACCESS_PATH, ACCESS_SUBPROTOCOL, EXPORTER_LEN, PUBLIC_TUNNEL_PATH};
use tether_proto::headers::{has_token, strip_hop_by_hop, strip_tether, CLIENT_ADDR, REQUEST_ID};
use tether_transport::h2body::RecvBody;
use tether_transport::sockets::AbortSwitch;

use crate::body::{self, EdgeBody};
use crate::config::LiveConfig;
use crate::error::EdgeError;
use crate::lifecycle::Lifecycle;
use crate::metrics::EdgeMetrics;
use crate::state::acme::AcmeTables;
use crate::tls::certs::CertResolver;
use crate::tunnels::activity::Activity;
use crate::tunnels::sessions::StreamGuard;
use crate::tunnels::stream::new_request_id;
use crate::tunnels::upgrade::{Caller, Upgrade};
use crate::tunnels::{Reach, StreamOpener};
use crate::view::View;
use tether_proto::hostname::request_host;

use super::access_log::AccessLine;
use super::acme_http;
use super::admit::{Admitted, Guards};
use super::forwarded::{self, ClientFacts};
use super::outcome::{Outcome, Routed};
use super::request_body::{check_transfer_coding, RequestBody};
use super::websocket;

/// What the public side needs to route and carry a request.
pub struct Proxy {
    /// Hostname → tunnel, followed live from the store.
    pub view: View,
    /// Whether the certificate a TLS connection was served covers the request's host.
    pub certs: Arc<CertResolver>,
    pub config: LiveConfig,
    pub metrics: Arc<EdgeMetrics>,
    /// Gets a stream to a tunnel, here or at another edge.
    pub opener: Arc<StreamOpener>,
    /// WebSocket tasks are tracked, so the shutdown waits for them.
    pub lifecycle: Lifecycle,
    /// The HTTPS listener's port, for redirects.
    pub https_port: Option<u16>,
    /// `connector access tcp` sessions, on [`ACCESS_PATH`].
    pub access: Arc<dyn Upgrade>,
    /// Tunnel sessions through the HTTPS port's reserved path at `public-hostname`.
    pub sessions: Arc<dyn Upgrade>,
    /// Enrollment, beside them.
    pub enroll: Arc<dyn Upgrade>,
    /// Route rules and policies, request rates, the watch on unread responses.
    pub guards: Guards,
    /// HTTP-01 validations in flight.
    pub acme: AcmeTables,
}

/// What the edge knows about the public connection a request arrived on.
#[derive(Clone)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub tls: Option<TlsInfo>,
    /// Open streams on this connection, for `idle-timeout`.
    pub activity: Arc<Activity>,
    /// Ends the connection with a reset: for an HTTP/1.1 connection whose response or
    /// WebSocket the edge resets.
    pub abort: AbortSwitch,
    /// Requests the client cancelled before their answer (rapid reset).
    pub cancels: super::outcome::Cancels,
}

impl ConnInfo {
    /// What an upgrade on this connection knows of it.
    pub fn caller(&self) -> Caller {
        Caller {
            peer: self.peer,
            exporter: self.tls.as_ref().and_then(|t| t.exporter),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TlsInfo {
    /// Normalised SNI name, if the client sent one.
    pub sni: Option<String>,
    /// Keying material of this TLS session, for tunnel sessions opened through the public port;
    /// `None` below TLS 1.3.
    pub exporter: Option<[u8; EXPORTER_LEN]>,
    /// The client certificate the handshake verified, for a host whose route wants one.
    pub client: Option<crate::tls::client_auth::ClientCert>,
    /// The handshake agreed on HTTP/2 by ALPN: nothing else may follow it.
    pub h2: bool,
}

/// Whether a public request asks for an access session.
fn wants_access<B>(req: &Request<B>) -> bool {
    let h = req.headers();
    req.uri().path() == ACCESS_PATH
        && has_token(h, header::UPGRADE, "websocket")
        && has_token(h, header::SEC_WEBSOCKET_PROTOCOL, ACCESS_SUBPROTOCOL)
}

/// The request's host as sent: `:authority` (HTTP/2) or `Host` (HTTP/1.1).
fn request_authority(req: &Request<Incoming>) -> Result<Authority, EdgeError> {
    // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any
    // HTTP/1.1 request message that lacks a Host header field and to any request message that
    // contains more than one Host header field line or a Host header field with an invalid
    // field value."
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(EdgeError::BadRequest("The request has more than one Host."));
    }
    if let Some(a) = req.uri().authority() {
        // RFC 9113 §8.3.1: an HTTP/2 request whose Host names another than `:authority` is
        // malformed. (An HTTP/1.1 absolute-form target wins over Host: RFC 9112 §3.2.2.)
        let differs =
            host.is_some_and(|h| !h.as_bytes().eq_ignore_ascii_case(a.as_str().as_bytes()));
        if req.version() == http::Version::HTTP_2 && differs {
            return Err(EdgeError::BadRequest(
                "The request's Host differs from its :authority.",
            ));
        }
        return Ok(a.clone());
    }
    host.and_then(|h| h.to_str().ok()?.parse().ok())
        .ok_or(EdgeError::BadRequest("The request has no valid Host."))
}

impl Proxy {
    pub async fn handle(&self, req: Request<Incoming>, conn: Arc<ConnInfo>) -> Response<EdgeBody> {
        let request_id = new_request_id();
        // Logged as 499 if the client gives up before the answer (this future is then dropped).
        let line = AccessLine::new(
            request_id.clone(),
            conn.peer,
            req.method().clone(),
            req.uri().path().to_string(),
            EdgeError::ClientClosed.status(),
            None,
            Instant::now(),
        );
        let mut outcome = Outcome::start(&self.metrics, &conn, line);
        let response = match self
            .route(req, &conn, &request_id, &mut outcome.routed)
            .await
        {
            Ok(response) => response,
            Err(e) => outcome.error_page(&e),
        };
        outcome.answer(response)
    }

    async fn route(
        &self,
        req: Request<Incoming>,
        conn: &Arc<ConnInfo>,
        request_id: &str,
        routed: &mut Routed,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        let authority = request_authority(&req)?;
        check_transfer_coding(req.headers())?;
        let host = request_host(authority.as_str()).map_err(|e| EdgeError::BadRequest(e.why()))?;
        if wants_access(&req) {
            return Ok(self.access.upgrade(req, conn.caller()).await);
        }
        if let Some(tls) = &conn.tls {
            if !self.certs.served_covers(tls.sni.as_deref(), &host) {
                return Err(EdgeError::Misdirected);
            }
            if self.config.get().public_hostname.as_deref() == Some(host.as_str()) {
                match req.uri().path() {
                    PUBLIC_TUNNEL_PATH => {
                        return Ok(self.sessions.upgrade(req, conn.caller()).await)
                    }
                    ENROLL_PATH => return Ok(self.enroll.upgrade(req, conn.caller()).await),
                    _ => {}
                }
            }
        } else if let Some(validation) = acme_http::answer(&self.acme, &host, &req) {
            return Ok(validation);
        } else if self.config.get().http_redirect && !self.proxy_saw_https(&req, conn) {
            return Ok(self.redirect_to_https(&req, &host));
        }
        let route = self.view.route(&host);
        self.within_rate(route.as_deref(), conn)?;
        let Some(route) = route else {
            return Err(EdgeError::NoRoute);
        };
        // Credentials never in clear: a policy route's plain HTTP goes to HTTPS first.
        if conn.tls.is_none() && route.wants_https && !self.proxy_saw_https(&req, conn) {
            return Ok(self.redirect_to_https(&req, &host));
        }
        routed.tunnel = Some(route.tunnel_id);
        let (parts, body) = req.into_parts();
        let admitted = self.admit(&parts, conn, &route).await?;
        routed.identity = admitted.identity.clone();
        let req = Request::from_parts(parts, body);
        self.forward(req, conn, request_id, authority, route.tunnel_id, admitted)
            .await
    }

    /// Headers every stream into the tunnel carries, WebSocket or not. `host` is the Host as the
    /// client sent it (RFC 7239 §5.3), port included.
    pub fn prepare_headers(
        &self,
        headers: &mut http::HeaderMap,
        conn: &ConnInfo,
        host: &str,
        request_id: &str,
        admitted: &Admitted,
    ) {
        strip_hop_by_hop(headers);
        strip_tether(headers);
        let config = self.config.get();
        let facts = ClientFacts {
            peer: conn.peer.ip(),
            https: conn.tls.is_some(),
            host,
            cloudflare: config.cloudflare_headers,
        };
        forwarded::apply(
            headers,
            &facts,
            forwarded::is_trusted(conn.peer.ip(), &config.trusted_proxies),
        );
        if let Ok(v) = HeaderValue::from_str(request_id) {
            headers.insert(REQUEST_ID, v);
        }
        // Whose stream it is, for the connector's own relief of stalled streams; the connector
        // removes every `tether-*` header before the origin sees the request.
        if let Ok(v) = HeaderValue::from_str(&conn.peer.to_string()) {
            headers.insert(CLIENT_ADDR, v);
        }
        admitted.apply(headers, config.cloudflare_headers);
    }
}

/// What [`Proxy::route`] learnt, for the access log.
/// The URI of the stream inside the tunnel: always absolute, keeping the public authority.
pub fn tunnel_uri(authority: &Authority, scheme: Scheme, uri: &Uri) -> Result<Uri, EdgeError> {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    Uri::builder()
        .scheme(scheme)
        .authority(authority.clone())
        .path_and_query(path)
        .build()
        .map_err(|_| EdgeError::BadRequest("The request target is not valid."))
}

impl Proxy {
    /// A stream slot for `tunnel`, counted on the public connection and in the metrics as `kind`.
    async fn stream_slot(
        &self,
        tunnel: uuid::Uuid,
        conn: &ConnInfo,
        kind: &'static str,
    ) -> Result<StreamGuard, EdgeError> {
        Ok(self
            .opener
            .pick(tunnel, None, Reach::Anywhere)
            .await?
            .counting(conn.activity.enter())
            .kind(self.metrics.stream(kind)))
    }

    async fn forward(
        &self,
        req: Request<Incoming>,
        conn: &Arc<ConnInfo>,
        request_id: &str,
        authority: Authority,
        tunnel: uuid::Uuid,
        admitted: Admitted,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        let config = self.config.snapshot();
        if let Some(max) = admitted.max_body {
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|n| n > max) {
                return Err(EdgeError::BodyTooLarge);
            }
        }
        if req.method() == Method::CONNECT && websocket::kind(&req).is_none() {
            // A forward-proxy CONNECT: Tether is a reverse proxy.
            return Err(EdgeError::MethodNotAllowed);
        }
        if let Some(kind) = websocket::kind(&req) {
            let guard = self.stream_slot(tunnel, conn, "websocket").await?;
            let head = (request_id, authority, &admitted);
            return websocket::proxy(self, req, kind, guard, conn, head).await;
        }
        let (mut parts, incoming) = req.into_parts();
        let http1 = parts.version < http::Version::HTTP_2;
        let mut body = RequestBody::new(
            incoming,
            &parts.headers,
            admitted.max_body,
            config.streams.body_read_timeout,
            self.metrics.clone(),
        );
        // Before the stream slot: a slow small body holds none while it trickles in.
        body.read_small().await?;
        let guard = self.stream_slot(tunnel, conn, "http").await?;
        let scheme = if conn.tls.is_some() {
            Scheme::HTTPS
        } else {
            Scheme::HTTP
        };
        parts.uri = tunnel_uri(&authority, scheme, &parts.uri)?;
        parts.version = http::Version::HTTP_2;
        self.prepare_headers(
            &mut parts.headers,
            conn,
            authority.as_str(),
            request_id,
            &admitted,
        );
        parts.headers.remove(header::HOST);
        let replayable = config.is_replayable(&parts.method);
        let (outgoing, failed) = body.outgoing();
        let head = Request::from_parts(parts, ());
        let opened = self
            .opener
            .open(head, outgoing, guard, replayable, Reach::Anywhere)
            .await;
        let (answer, guard) = opened.map_err(|e| failed.error().unwrap_or(e))?;
        Ok(self.public_response(answer.response, guard, request_id, conn, http1))
    }

    /// Turns the connector's response into the public one: hop-by-hop and `tether-*` headers
    /// out, request id in, and the stream slot held until the body is done. The body is watched
    /// for a client that stops reading it (`protect::stalls`). If it fails (reset by the sweep
    /// or by the connector), an HTTP/1.1 connection, which cannot carry on after a cut
    /// response, is aborted rather than closed, so what its kernel still held unsent for the
    /// client is dropped, not left in an orphaned socket.
    pub fn public_response(
        &self,
        response: Response<RecvStream>,
        guard: StreamGuard,
        request_id: &str,
        conn: &ConnInfo,
        http1: bool,
    ) -> Response<EdgeBody> {
        let (mut parts, incoming) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        strip_tether(&mut parts.headers);
        if let Ok(v) = HeaderValue::from_str(request_id) {
            parts.headers.insert(REQUEST_ID, v);
        }
        let tunnel = guard.session.record.tunnel_id;
        let metrics = self.metrics.clone();
        let body = RecvBody::new(incoming).map_frame(move |frame| {
            // Moving the guard into the closure keeps the stream counted until the body is dropped.
            let _held = &guard;
            if let Some(data) = frame.data_ref() {
                metrics.bytes_out.inc_by(data.len() as u64);
            }
            frame
        });
        let abort = http1.then(|| conn.abort.clone());
        let stalls = &self.guards.stalls;
        let watched = stalls.watch(body::boxed(body), (tunnel, conn.peer.ip()), abort);
        Response::from_parts(parts, body::boxed(watched))
    }
}
