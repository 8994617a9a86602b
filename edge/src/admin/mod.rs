//! The admin API and the dashboard, on their own listener (`admin:` in edge.yml): JSON under
//! `/api/v1/…` (`router.rs` lists every endpoint, `openapi.json` describes them), live changes
//! as server-sent events (`events.rs`), and the dashboard's static pages at `/`
//! (`dashboard.rs`). Every request passes the Host check; every API call but login needs an
//! admin token from the store, and a write a write token and its own Origin (`auth.rs`). Each
//! edge also publishes its recent counters for the plots (`stats.rs`), which an edge serving the
//! API keeps for 15 minutes (`history.rs`).
//!
//! May use: `manage` (the operations `edge tunnel` runs too), `state`, `tunnels` (this edge's
//! sessions and their PING round trips), `protect` (a budget of failed logins per address), and
//! the leaves.

pub mod auth;
mod cluster;
mod dashboard;
mod events;
pub mod history;
pub mod reply;
pub mod router;
mod serve;
pub mod stats;
mod tokens;
mod tunnels;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::EdgeBody;
use crate::config::LiveConfig;
use crate::lifecycle::Lifecycle;
use crate::manage::Manager;
use crate::protect::failures::{FailureBudget, Failures};
use crate::state::admin::EdgeStats;
use crate::state::directory::Directory;
use crate::state::route_table::RouteTable;
use crate::state::table::Table;
use crate::state::State;
use auth::{Access, Caller, Hosts, Tokens};
use reply::{ApiError, ApiResult};
use router::{Matched, Name};

pub use serve::serve;

/// The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// What the admin API reads and changes.
pub struct AdminApi {
    pub config: LiveConfig,
    pub state: State,
    /// Sessions, edges and tunnels, in memory: the events' source.
    pub directory: Directory,
    pub routes: RouteTable,
    pub tokens: Tokens,
    /// Every edge's published counters, in memory: the events' source.
    pub stats: Table<EdgeStats>,
    /// Every edge's last 15 minutes, kept from `stats`.
    pub history: history::History,
    pub lifecycle: Lifecycle,
    /// Requests with a wrong token or login, per address: past [`AUTH_BUDGET`], refused (429)
    /// before the store is asked.
    pub failures: Failures,
}

/// A hundred wrong tokens at once, then one a second: room for scripts and people, none for
/// guessing (the secrets are 256 bits anyway) or for loading the store with lookups.
pub const AUTH_BUDGET: FailureBudget = FailureBudget {
    burst: match NonZeroU32::new(100) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    },
    refill: std::time::Duration::from_secs(1),
};

/// One request as the handlers see it.
pub(crate) struct Call {
    pub request: Request<Incoming>,
    /// The `{…}` segment of the path, decoded.
    pub param: String,
    /// `None` for the public endpoints.
    pub caller: Option<Caller>,
}

impl AdminApi {
    /// Answers one request; never fails (errors are JSON answers).
    pub async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: IpAddr,
    ) -> Response<EdgeBody> {
        let authority = authority(&request);
        let hosts = self.hosts();
        if let Err(e) = hosts.check(authority.as_deref()) {
            return e.response();
        }
        let path = request.uri().path().to_string();
        if !path.starts_with("/api/") {
            return dashboard::asset(request.method(), &path);
        }
        // An address that keeps failing to authenticate is refused before any lookup.
        if let Some(wait) = self.failures.blocked(peer) {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_failures",
                "too many requests with a wrong admin token from this address; wait and retry",
            )
            .response();
            if let Ok(after) = wait.as_secs().max(1).to_string().parse() {
                e.headers_mut().insert(header::RETRY_AFTER, after);
            }
            return e;
        }
        match self.route(request, &path, authority.as_deref()).await {
            Ok(response) => response,
            Err(e) => {
                if e.status == StatusCode::UNAUTHORIZED {
                    self.failures.failed(peer);
                }
                e.response()
            }
        }
    }

    async fn route(
        self: &Arc<Self>,
        request: Request<Incoming>,
        path: &str,
        authority: Option<&str>,
    ) -> ApiResult {
        let (endpoint, param) = match router::find(request.method().as_str(), path) {
            Matched::Found(endpoint, param) => (endpoint, param.unwrap_or_default()),
            Matched::WrongMethod(methods) => {
                let mut e = ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    format!("{path} takes {}", methods.join(", ")),
                )
                .response();
                if let Ok(allow) = methods.join(", ").parse() {
                    e.headers_mut().insert(header::ALLOW, allow);
                }
                return Ok(e);
            }
            Matched::NotFound => {
                return Err(ApiError::not_found(format!(
                    "no endpoint {path}; the API is described at /api/v1/openapi.json"
                )))
            }
        };
        let scheme = if self.tokens.secure { "https" } else { "http" };
        let caller = match endpoint.access {
            Access::Public => {
                // Login sets the cookie: a page elsewhere must not log a browser in either.
                auth::check_origin(request.headers(), authority, scheme, false)?;
                None
            }
            access => {
                let caller = self.tokens.caller(request.headers()).await?;
                auth::allows(&caller, access)?;
                if request.method() != Method::GET {
                    auth::check_origin(request.headers(), authority, scheme, caller.by_cookie())?;
                }
                Some(caller)
            }
        };
        let call = Call {
            request,
            param,
            caller,
        };
        self.dispatch(endpoint.name, call).await
    }

    async fn dispatch(self: &Arc<Self>, name: Name, call: Call) -> ApiResult {
        match name {
            Name::OpenApi => Ok(openapi()),
            Name::Login => self.login(call).await,
            Name::Logout => self.logout(call).await,
            Name::WhoAmI => self.whoami(call),
            Name::ListTunnels => reply::json(&self.manager().tunnels().await?),
            Name::CreateTunnel => self.create_tunnel(call).await,
            Name::GetTunnel => reply::json(&self.manager().tunnel(&call.param).await?),
            Name::DeleteTunnel => reply::json(&self.manager().delete_tunnel(&call.param).await?),
            Name::CreateEnrollment => self.create_enrollment(call).await,
            Name::RevokeTunnel => reply::json(&self.manager().revoke(&call.param).await?),
            Name::ListRoutes => reply::json(&self.manager().routes().await?),
            Name::CreateRoute => self.create_route(call).await,
            Name::DeleteRoute => reply::json(&self.manager().delete_route(&call.param).await?),
            Name::SetPolicy => self.set_policy(call).await,
            Name::ClearPolicy => {
                let manager = self.manager();
                let cleared = manager.set_policy(&call.param, Default::default()).await?;
                reply::json(&cleared)
            }
            Name::ListSessions => self.sessions(call).await,
            Name::ListEdges => self.edges().await,
            Name::ListPorts => self.ports().await,
            Name::ListCertificates => self.certificates().await,
            Name::ListTokens => reply::json(&self.manager().tokens().await?),
            Name::CreateToken => self.create_token(call).await,
            Name::RevokeToken => reply::json(&self.manager().revoke_token(&call.param).await?),
            Name::ListAdminTokens => reply::json(&self.manager().admin_tokens().await?),
            Name::CreateAdminToken => self.create_admin_token(call).await,
            Name::RevokeAdminToken => {
                let manager = self.manager();
                reply::json(&manager.revoke_admin_token(&call.param).await?)
            }
            Name::Metrics => self.metrics().await,
            Name::DrainConnector => self.drain_connector(call).await,
            Name::Events => Ok(events::stream(self.clone(), call)),
        }
    }

    /// The operations on a snapshot of the config as it is now.
    fn manager(&self) -> Manager {
        Manager::new((**self.config.get()).clone(), self.state.clone())
    }

    fn hosts(&self) -> Hosts {
        let config = self.config.get();
        let mut names = config
            .admin
            .as_ref()
            .map(|a| a.hosts.clone())
            .unwrap_or_default();
        names.extend(config.public_hostname.clone());
        Hosts { names }
    }
}

/// The request's authority: the Host header (HTTP/1.1) or the URI's (HTTP/2).
fn authority(request: &Request<Incoming>) -> Option<String> {
    request
        .uri()
        .authority()
        .map(|a| a.to_string())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
}

fn openapi() -> Response<EdgeBody> {
    reply::answer(
        StatusCode::OK,
        crate::body::full(OPENAPI),
        "application/json",
    )
}
