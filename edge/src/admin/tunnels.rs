//! The API's writes that carry a body: a tunnel, an enrollment token, a route, a route's policy.
//! Each body type refuses unknown fields, and each call runs the operation `edge tunnel` runs.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;

use super::reply::{self, read_json, ApiError, ApiResult};
use super::{AdminApi, Call};
use crate::manage::TcpOptions;
use crate::state::route_policy::POLICY_KEYS;
use crate::state::RouteRules;

/// `POST /api/v1/tunnels`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTunnel {
    name: String,
    /// The public half of a key the caller made and keeps (base64 Ed25519); without it the
    /// tunnel waits for `connector enroll`.
    #[serde(default)]
    public_key: Option<String>,
    /// A chosen id (a migrated cloudflared tunnel's UUID); default: a new one.
    #[serde(default)]
    id: Option<uuid::Uuid>,
}

/// `POST /api/v1/tunnels/{tunnel}/enrollments`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEnrollment {
    #[serde(default)]
    ttl_secs: Option<u64>,
    /// A rotation: the current keys stay valid this long once the token is redeemed.
    #[serde(default)]
    overlap_secs: Option<u64>,
}

#[derive(Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RouteType {
    Dns,
    Tcp,
}

/// `POST /api/v1/routes`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRoute {
    #[serde(rename = "type")]
    kind: RouteType,
    tunnel: String,
    hostname: String,
    #[serde(default)]
    direct: Option<IpAddr>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    bind: Option<IpAddr>,
    #[serde(default)]
    require_token: bool,
}

impl AdminApi {
    pub(super) async fn create_tunnel(self: &Arc<Self>, call: Call) -> ApiResult {
        let body: NewTunnel = read_json(call.request.into_body()).await?;
        let created = self
            .manager()
            .create_tunnel(&body.name, body.public_key, body.id)
            .await?;
        Ok(reply::json_with(StatusCode::CREATED, &created))
    }

    pub(super) async fn create_enrollment(self: &Arc<Self>, call: Call) -> ApiResult {
        let body: NewEnrollment = read_json(call.request.into_body()).await?;
        let ttl = Duration::from_secs(body.ttl_secs.unwrap_or(3600));
        let overlap = body.overlap_secs.map(Duration::from_secs);
        let enrollment = self.manager().enrollment(&call.param, ttl, overlap).await?;
        Ok(reply::json_with(StatusCode::CREATED, &enrollment))
    }

    pub(super) async fn create_route(self: &Arc<Self>, call: Call) -> ApiResult {
        let body: NewRoute = read_json(call.request.into_body()).await?;
        let manager = self.manager();
        let routed = match body.kind {
            RouteType::Dns => {
                if body.port.is_some() || body.bind.is_some() || body.require_token {
                    return Err(ApiError::bad_request(
                        "port, bind and require_token belong to a route of type tcp",
                    ));
                }
                manager
                    .route_dns(&body.tunnel, &body.hostname, body.direct)
                    .await?
            }
            RouteType::Tcp => {
                if body.direct.is_some() {
                    return Err(ApiError::bad_request(
                        "direct belongs to a route of type dns",
                    ));
                }
                let options = TcpOptions {
                    port: body.port,
                    bind: body.bind,
                    require_token: body.require_token,
                };
                manager
                    .route_tcp(&body.tunnel, &body.hostname, options)
                    .await?
            }
        };
        Ok(reply::json_with(StatusCode::CREATED, &routed))
    }

    /// Sets a route's policy from its JSON form (the CLI reads the YAML file and the files it
    /// names at its end, and sends the result).
    pub(super) async fn set_policy(self: &Arc<Self>, call: Call) -> ApiResult {
        let value: serde_json::Value = read_json(call.request.into_body()).await?;
        let Some(map) = value.as_object() else {
            return Err(ApiError::bad_request("a policy is a JSON object"));
        };
        if let Some(key) = map.keys().find(|k| !POLICY_KEYS.contains(&k.as_str())) {
            return Err(ApiError::bad_request(format!(
                "unknown field `{key}`; a policy has {}",
                POLICY_KEYS.join(", ")
            )));
        }
        let rules: RouteRules = serde_json::from_value(value)
            .map_err(|e| ApiError::bad_request(format!("bad policy: {e}")))?;
        if rules.is_empty() {
            return Err(ApiError::bad_request(
                "an empty policy: DELETE /api/v1/routes/{hostname}/policy clears it",
            ));
        }
        reply::json(&self.manager().set_policy(&call.param, rules).await?)
    }
}
