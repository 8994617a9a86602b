//! An `oidc` sign-in's session: what its cookie holds, when it still admits (on its own host,
//! before it expires, under the route's policy as it is now, and not logged out on any edge),
//! and the logout at [`LOGOUT_PATH`]. The cookie is signed ([`super::signed`]), so admitting one
//! asks nothing of the store; a logout is the one thing every edge must hear of, through
//! [`SignedOut`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::EdgeError;
use crate::state::oidc_logouts::SignedOut;
use crate::state::route_policy::OidcPolicy;

use super::cookie;
use super::signed::SigningKey;

/// Ends the browser's session, on every route with an oidc policy.
pub const LOGOUT_PATH: &str = "/.tether/oidc/logout";
const SESSION_COOKIE: &str = "__Host-tether-session";

/// A signed-in browser, in [`SESSION_COOKIE`]. A cookie from before sessions had an id and a
/// policy does not decode: its browser signs in again.
#[derive(Serialize, Deserialize)]
struct Session {
    host: String,
    name: String,
    exp: u64,
    /// Random: what a logout names.
    id: String,
    /// The [`fingerprint`] of the policy it was made under.
    policy: String,
}

/// Names a policy as it is: a session holds only while its route's policy is the one it was
/// made under, so a changed `require`, provider, client or duration ends every session made
/// before. (Hashed per request: a few microseconds against the policy's own checks.)
fn fingerprint(policy: &OidcPolicy) -> String {
    let json = serde_json::to_vec(policy).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(&Sha256::digest(&json)[..16])
}

/// A `Set-Cookie` value for the edge's host-only, HTTPS-only cookies.
pub fn cookie_header(name: &str, value: &str, max_age: u64) -> String {
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

pub struct Sessions {
    key: SigningKey,
    signed_out: SignedOut,
}

impl Sessions {
    pub fn new(key: SigningKey, signed_out: SignedOut) -> Sessions {
        Sessions { key, signed_out }
    }

    fn session(&self, headers: &HeaderMap, host: &str, now: u64) -> Option<Session> {
        let session: Session = self.key.open(cookie(headers, SESSION_COOKIE)?)?;
        (session.host == host && session.exp > now).then_some(session)
    }

    /// The name of the browser's session, when it still admits.
    pub fn admitted(
        &self,
        headers: &HeaderMap,
        host: &str,
        policy: &OidcPolicy,
        now: u64,
    ) -> Option<String> {
        let session = self.session(headers, host, now)?;
        let holds = session.policy == fingerprint(policy) && !self.signed_out.ended(&session.id);
        holds.then_some(session.name)
    }

    /// The `Set-Cookie` of a new session for `name` on `host`, lasting `lasts` seconds.
    pub fn start(
        &self,
        host: &str,
        name: String,
        policy: &OidcPolicy,
        now: u64,
        lasts: u64,
    ) -> String {
        let session = Session {
            host: host.to_string(),
            name,
            exp: now + lasts,
            id: URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()),
            policy: fingerprint(policy),
        };
        cookie_header(SESSION_COOKIE, &self.key.sign(&session), lasts)
    }

    /// Ends the browser's session on every edge (when it has one), clears its cookie and sends
    /// it on to `provider_logout` (the provider's `end_session_endpoint`) when there is one.
    /// Refused with 503 when the store does not take the logout: the session would otherwise
    /// still open doors on other edges, or here with a copy of the cookie.
    pub async fn logout(
        &self,
        headers: &HeaderMap,
        host: &str,
        now: u64,
        provider_logout: Option<String>,
    ) -> EdgeError {
        if let Some(session) = self.session(headers, host, now) {
            if let Err(e) = self.signed_out.end(&session.id, session.exp).await {
                tracing::warn!(error = %e, host, "oidc: cannot record a logout in the store");
                return EdgeError::Unavailable(
                    "The sign-out could not be recorded for every edge (the edge cannot reach its store); try again.",
                );
            }
        }
        EdgeError::SignedOut {
            location: provider_logout,
            cookie: cookie_header(SESSION_COOKIE, "", 0),
        }
    }
}
