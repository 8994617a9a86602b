//! What a public request must pass before it goes to its tunnel: the request rate of its
//! client (the route's `limits`, else the edge's `rate-limit`), the route's `client-ip-rules`
//! and its `policy`. What passes carries its verified identity to the origin in a header the
//! client cannot set.

use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::EdgeError;
use std::sync::Arc;

use crate::policy::signed::SigningKey;
use crate::policy::{Asking, Gate, Identity};
use crate::protect::failures::Failures;
use crate::protect::rates::{Rate, Rates};
use crate::protect::stalls::Stalls;
use crate::state::oidc_logouts::SignedOut;
use crate::state::route_policy::IDENTITY_HEADER;
use crate::view::Route;

use super::proxy::{ConnInfo, Proxy};

/// What guards the public side, shared by its listeners: each route's client rules and policy,
/// request rates per client address, and the watch on responses clients stop reading.
#[derive(Clone)]
pub struct Guards {
    pub gate: Arc<Gate>,
    pub rates: Arc<Rates>,
    pub stalls: Arc<Stalls>,
}

impl Guards {
    /// `secret` is the cluster's, for the cookies the edge signs; `signed_out`, the oidc
    /// sessions a logout ended.
    pub fn new(failures: Arc<Failures>, secret: &[u8], signed_out: SignedOut) -> Guards {
        let cookies = SigningKey::derive(secret);
        Guards {
            gate: Arc::new(Gate::new(failures, cookies, signed_out)),
            rates: Arc::default(),
            stalls: Arc::default(),
        }
    }
}

/// Cloudflare Access's header for the signed-in user's email.
const CF_ACCESS_EMAIL: HeaderName = HeaderName::from_static("cf-access-authenticated-user-email");

/// What the checks let through, and what they ask of the rest of the way.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub identity: Option<Identity>,
    /// The header the identity goes in; removed from the client's request either way.
    pub header: HeaderName,
    /// The route's body limit, else the edge's.
    pub max_body: Option<u64>,
}

impl Admitted {
    /// Nothing checked (requests that reach no route's policy).
    pub fn open(max_body: Option<u64>) -> Admitted {
        Admitted {
            identity: None,
            header: HeaderName::from_static(IDENTITY_HEADER),
            max_body,
        }
    }

    /// Puts the verified identity (and only it) into the headers for the origin; with
    /// `compat-headers: cloudflare` (`cloudflare`), a signed-in email also as Cloudflare Access
    /// names it, `Cf-Access-Authenticated-User-Email`, for origins moved from behind Access.
    pub fn apply(&self, headers: &mut HeaderMap, cloudflare: bool) {
        headers.remove(&self.header);
        let Some(identity) = &self.identity else {
            return;
        };
        let Ok(value) = HeaderValue::from_str(&identity.name) else {
            return;
        };
        let signed_in = matches!(identity.method, "jwt" | "oidc");
        if cloudflare && signed_in && identity.name.contains('@') {
            headers.insert(CF_ACCESS_EMAIL, value.clone());
        }
        headers.insert(self.header.clone(), value);
    }
}

impl Proxy {
    /// Whether the client may send another request now: the route's rate, else the edge's.
    pub(super) fn within_rate(
        &self,
        route: Option<&Route>,
        conn: &ConnInfo,
    ) -> Result<(), EdgeError> {
        let rate = match route.and_then(|r| r.rate) {
            Some(rate) => Some(rate),
            None => {
                let edge = self.config.get().rate_limit;
                Rate::new(edge.requests_per_second, Some(edge.burst))
            }
        };
        let Some(rate) = rate else {
            return Ok(());
        };
        self.guards
            .rates
            .check(rate, conn.peer.ip())
            .map_err(|wait| {
                self.metrics.limited("request_rate");
                EdgeError::RateLimited(wait)
            })
    }

    /// The route's client rules and policy, for this request.
    pub(super) async fn admit(
        &self,
        head: &Parts,
        conn: &ConnInfo,
        route: &Route,
    ) -> Result<Admitted, EdgeError> {
        let asking = Asking {
            head,
            client: conn.peer.ip(),
            certificate: conn
                .tls
                .as_ref()
                .and_then(|t| t.client.as_ref())
                .map(|c| (c.ca, c.subject.as_str())),
        };
        let identity = self.guards.gate.check(&route.access, &asking).await?;
        let header = route.identity_header.clone();
        let max_body = route
            .max_request_body
            .or(self.config.get().max_request_body);
        Ok(Admitted {
            identity,
            header,
            max_body,
        })
    }
}
