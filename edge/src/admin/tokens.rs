//! The API's access tokens and admin tokens: `edge token …` and `edge admin token …` over
//! `--api`. Each call runs the operation the local CLI runs ([`crate::manage`]); a created
//! token's secret is in that answer only.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;

use super::reply::{self, read_json, ApiError, ApiResult};
use super::{AdminApi, Call};
use crate::manage::{ADMIN_TOKEN_TTL, TOKEN_TTL};
use crate::state::admin::Role;

/// `POST /api/v1/tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    /// The routes it opens; none: every route that requires a token.
    #[serde(default)]
    hostnames: Vec<String>,
    /// Default: 365 days, as `edge token create`.
    #[serde(default)]
    ttl_secs: Option<u64>,
}

/// `POST /api/v1/admin-tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAdminToken {
    name: String,
    /// `read` (default) or `write`.
    #[serde(default)]
    role: Option<String>,
    /// Default: 90 days, as `edge admin token create`.
    #[serde(default)]
    ttl_secs: Option<u64>,
}

impl AdminApi {
    pub(super) async fn create_token(self: &Arc<Self>, call: Call) -> ApiResult {
        let body: NewToken = read_json(call.request.into_body()).await?;
        let ttl = body.ttl_secs.map_or(TOKEN_TTL, Duration::from_secs);
        let created = self
            .manager()
            .create_token(&body.name, &body.hostnames, ttl)
            .await?;
        Ok(reply::json_with(StatusCode::CREATED, &created))
    }

    pub(super) async fn create_admin_token(self: &Arc<Self>, call: Call) -> ApiResult {
        let body: NewAdminToken = read_json(call.request.into_body()).await?;
        let role = match body.role.as_deref() {
            None => Role::Read,
            Some(text) => Role::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))?,
        };
        let ttl = body.ttl_secs.map_or(ADMIN_TOKEN_TTL, Duration::from_secs);
        let created = self
            .manager()
            .create_admin_token(&body.name, role, ttl)
            .await?;
        Ok(reply::json_with(StatusCode::CREATED, &created))
    }
}
