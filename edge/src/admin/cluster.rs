//! The API's reads of the cluster (sessions, edges, ports, counters), draining a connector, and
//! the dashboard's login.

use std::sync::Arc;
use std::time::Duration;

use http::{header, StatusCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::auth::{self, unauthorized};
use super::reply::{self, read_json, ApiError, ApiResult};
use super::{AdminApi, Call};
use crate::body::EdgeBody;
use crate::state::admin::Role;
use crate::state::now_secs;

/// The longest a dashboard login lasts (less if its token expires sooner).
const LOGIN_FOR: u64 = 12 * 3600;
/// How long a drain request stays in the store: long enough for every edge to see it.
const DRAIN_REQUEST_TTL: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    token: String,
}

/// Who the caller is.
#[derive(Serialize)]
struct WhoAmI {
    name: String,
    role: Role,
    expires_at: Option<u64>,
}

/// `GET /api/v1/sessions?tunnel=…&edge=…`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SessionFilter {
    tunnel: Option<Uuid>,
    edge: Option<String>,
}

/// An edge as the API shows it.
#[derive(Serialize)]
struct EdgeView {
    id: String,
    tunnel_address: Option<String>,
    addresses: Vec<std::net::IpAddr>,
    draining: bool,
    sessions: usize,
    /// Streams open through it at its last sample.
    streams: Option<i64>,
}

#[derive(Serialize)]
struct Drained {
    connector_id: Uuid,
    sessions: usize,
}

impl AdminApi {
    pub(super) async fn login(self: &Arc<Self>, call: Call) -> ApiResult {
        let body: Login = read_json(call.request.into_body()).await?;
        let Some(token) = self.tokens.check(&body.token).await? else {
            return Err(unauthorized(
                "the admin token is unknown, revoked or expired",
            ));
        };
        let max_age = token
            .expires_at
            .map_or(LOGIN_FOR, |t| t.saturating_sub(now_secs()).min(LOGIN_FOR))
            .max(1);
        let login = self
            .state
            .create_login(&token, Duration::from_secs(max_age))
            .await?;
        let who = WhoAmI {
            name: token.name,
            role: token.role,
            expires_at: token.expires_at,
        };
        let cookie = auth::set_cookie(&login, max_age, self.tokens.secure);
        Ok(with_cookie(reply::json_with(StatusCode::OK, &who), &cookie))
    }

    /// Ends the caller's login (every edge refuses its cookie from now on) and clears the
    /// cookie.
    pub(super) async fn logout(&self, call: Call) -> ApiResult {
        if let Some(login) = call.caller.and_then(|c| c.login) {
            self.state.end_login(&login).await?;
        }
        let cookie = auth::set_cookie("", 0, self.tokens.secure);
        let body = reply::json_with(StatusCode::OK, &serde_json::json!({}));
        Ok(with_cookie(body, &cookie))
    }

    pub(super) fn whoami(&self, call: Call) -> ApiResult {
        let token = call
            .caller
            .map(|c| c.token)
            .ok_or_else(|| unauthorized("no token"))?;
        reply::json(&WhoAmI {
            name: token.name,
            role: token.role,
            expires_at: token.expires_at,
        })
    }

    pub(super) async fn sessions(self: &Arc<Self>, call: Call) -> ApiResult {
        let query = call.request.uri().query().unwrap_or("");
        let filter: SessionFilter = query_params(query)?;
        let sessions = self.manager().sessions().await?;
        let sessions: Vec<_> = sessions
            .into_iter()
            .filter(|s| filter.tunnel.is_none_or(|t| t == s.tunnel_id))
            .filter(|s| filter.edge.as_ref().is_none_or(|e| *e == s.edge_id))
            .collect();
        reply::json(&sessions)
    }

    pub(super) async fn edges(self: &Arc<Self>) -> ApiResult {
        let edges = self.state.edges().await?;
        let sessions = self.state.sessions().await?;
        let stats = self.history.all();
        let views: Vec<EdgeView> = edges
            .into_iter()
            .map(|e| EdgeView {
                sessions: sessions.iter().filter(|s| s.edge_id == e.id).count(),
                streams: stats
                    .iter()
                    .find(|s| s.edge_id == e.id)
                    .and_then(|s| s.samples.last())
                    .map(|s| s.streams),
                id: e.id,
                tunnel_address: e.tunnel_address,
                addresses: e.addresses,
                draining: e.draining,
            })
            .collect();
        reply::json(&views)
    }

    pub(super) async fn ports(self: &Arc<Self>) -> ApiResult {
        reply::json(&self.state.ports().await?)
    }

    /// Each name's ACME certificate (no keys), and why its last order failed.
    pub(super) async fn certificates(self: &Arc<Self>) -> ApiResult {
        reply::json(&self.manager().certificates().await?)
    }

    /// Every edge's counters of the last 15 minutes.
    pub(super) async fn metrics(self: &Arc<Self>) -> ApiResult {
        reply::json(&self.history.all())
    }

    /// Asks every edge to drain the sessions of a connector: no new streams go to them, and
    /// each closes once its open streams end; the connector then connects again.
    pub(super) async fn drain_connector(self: &Arc<Self>, call: Call) -> ApiResult {
        let connector: Uuid = call.param.parse().map_err(|_| {
            ApiError::bad_request(format!("`{}` is not a connector id (a UUID)", call.param))
        })?;
        let sessions = self
            .state
            .sessions()
            .await?
            .iter()
            .filter(|s| s.connector_id == connector)
            .count();
        if sessions == 0 {
            return Err(ApiError::not_found(format!(
                "connector {connector} holds no session; GET /api/v1/sessions lists them"
            )));
        }
        self.state
            .drain_connector(connector, DRAIN_REQUEST_TTL)
            .await?;
        let drained = Drained {
            connector_id: connector,
            sessions,
        };
        Ok(reply::json_with(StatusCode::ACCEPTED, &drained))
    }
}

fn with_cookie(mut response: http::Response<EdgeBody>, cookie: &str) -> http::Response<EdgeBody> {
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Reads a query string into `T` through JSON (its fields are strings), so unknown parameters
/// are named like unknown body fields.
fn query_params<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let map: serde_json::Map<String, serde_json::Value> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
        .collect();
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| ApiError::bad_request(format!("bad query: {e}")))
}
