//! Enrollment: `connector enroll` posts the token's secret and the site's new public key to
//! [`ENROLL_PATH`] (on the tunnel listener, or the public HTTPS port's reserved host); the edge
//! spends the token and adds the key to the tunnel, and answers with what the credentials file
//! needs. Like a session, it needs TLS 1.3, and failures spend the address's budget.

use std::sync::Arc;
use std::time::Duration;

use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use tether_proto::enroll::{EnrollRequest, EnrollResponse, ENROLL_PATH};
use tether_proto::handshake::Refusal;

use crate::body::{self, EdgeBody};
use crate::protect::failures::Failures;
use crate::state::{RedeemError, State};

use super::upgrade::{refuse, too_many_failures, Caller, Upgrade};

/// An enrollment request is a few hundred bytes.
const MAX_BODY: usize = 16 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Enroller {
    pub state: State,
    pub failures: Arc<Failures>,
    pub server_name: String,
    /// The tunnel CA the credentials pin; `None` when the edge has a public certificate.
    pub ca_pem: Option<String>,
}

#[async_trait::async_trait]
impl Upgrade for Enroller {
    async fn upgrade(&self, req: Request<Incoming>, caller: Caller) -> Response<EdgeBody> {
        let peer = caller.peer.ip();
        if let Some(wait) = self.failures.blocked(peer) {
            return too_many_failures(wait);
        }
        if caller.exporter.is_none() {
            return refuse(
                StatusCode::FORBIDDEN,
                Refusal::Permanent,
                "enrollment needs TLS 1.3",
            );
        }
        if req.method() != Method::POST {
            return refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                Refusal::Permanent,
                &format!("POST an enrollment request to {ENROLL_PATH} (connector enroll TOKEN)"),
            );
        }
        let body = tokio::time::timeout(
            BODY_TIMEOUT,
            Limited::new(req.into_body(), MAX_BODY).collect(),
        )
        .await;
        let request = match body {
            Ok(Ok(b)) => serde_json::from_slice::<EnrollRequest>(&b.to_bytes()).ok(),
            _ => None,
        };
        let Some(request) = request
            .filter(|r| tether_proto::credentials::public_key_from_b64(&r.public_key).is_ok())
        else {
            self.failures.failed(peer);
            return refuse(
                StatusCode::BAD_REQUEST,
                Refusal::Permanent,
                "not an enrollment request (JSON with tunnelId, secret and an Ed25519 publicKey)",
            );
        };
        match self
            .state
            .redeem_enrollment(request.tunnel_id, &request.secret, &request.public_key)
            .await
        {
            Ok(tunnel) => {
                tracing::info!(tunnel = %tunnel.id, name = %tunnel.name, %peer, "enrollment token redeemed; key added");
                let answer = EnrollResponse {
                    tunnel_id: tunnel.id,
                    tunnel_name: tunnel.name,
                    server_name: self.server_name.clone(),
                    edge_ca: self.ca_pem.clone(),
                };
                let json = serde_json::to_vec(&answer).unwrap_or_default();
                let mut response = Response::new(body::full(json));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(e @ RedeemError::Spent(_)) => {
                tracing::warn!(error = %e, "enrollment failed on the store after the token was spent");
                refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Refusal::Permanent,
                    &e.to_string(),
                )
            }
            Err(RedeemError::State(e)) => {
                tracing::warn!(error = %e, "enrollment failed on the store");
                refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Refusal::Transient,
                    &format!("the edge cannot complete the enrollment now ({e}); retry"),
                )
            }
            Err(e) => {
                self.failures.failed(peer);
                tracing::warn!(tunnel = %request.tunnel_id, %peer, reason = %e, "enrollment refused");
                let status = match e {
                    RedeemError::Used | RedeemError::Expired(_) => StatusCode::GONE,
                    _ => StatusCode::UNAUTHORIZED,
                };
                refuse(status, Refusal::Permanent, &e.to_string())
            }
        }
    }
}
