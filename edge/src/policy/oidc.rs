//! `policy: { oidc: { issuer, client-id, client-secret, scopes, session-duration } }`: a login
//! in front of a route. A browser without a session is sent to the provider (the authorization
//! code flow with PKCE, RFC 7636, and a nonce); the provider sends it back to
//! [`CALLBACK_PATH`] on the same host, where the edge exchanges the code for an ID token,
//! verifies it with the provider's keys (as `jwt` does: issuer, audience = client id, expiry,
//! and the nonce), checks the policy's `require`, and starts a session ([`super::oidc_session`]:
//! a cookie the edge signs, bound to the policy, ended by a logout on every edge). The state of
//! a sign-in in progress travels in a signed cookie too, so the callback may reach any edge of
//! the cluster. The provider's endpoints come from its discovery document, cached for 10 minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use http::request::Parts;
use http::{header, Method, Request};
use http_body_util::Full;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::EdgeError;
use crate::state::now_secs;
use crate::state::oidc_logouts::SignedOut;
use crate::state::route_policy::OidcPolicy;

use super::fetch::Fetcher;
use super::jwks::{JwtKeys, KeyCache};
use super::oidc_session::{cookie_header, Sessions, LOGOUT_PATH};
use super::signed::SigningKey;
use super::{cookie, jwt, Identity, PolicyError};

/// Where the provider sends the browser back, on every route with an oidc policy.
pub const CALLBACK_PATH: &str = "/.tether/oidc/callback";
const LOGIN_COOKIE: &str = "__Host-tether-login";
/// How long a sign-in may take at the provider.
const LOGIN_SECS: u64 = 600;
const DISCOVERY_FRESH: Duration = Duration::from_secs(600);

/// A sign-in in progress, in [`LOGIN_COOKIE`].
#[derive(Serialize, Deserialize)]
struct Login {
    host: String,
    state: String,
    verifier: String,
    nonce: String,
    /// Where the browser was going.
    to: String,
    exp: u64,
}

#[derive(Deserialize)]
struct Discovery {
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), when the provider has it.
    #[serde(default)]
    end_session_endpoint: Option<String>,
}

#[derive(Deserialize)]
struct Tokens {
    id_token: String,
}

pub struct Oidc {
    key: SigningKey,
    sessions: Sessions,
    fetcher: Fetcher,
    discovered: Mutex<HashMap<String, (Instant, Arc<Discovery>)>>,
}

fn refuse(why: impl std::fmt::Display) -> EdgeError {
    EdgeError::Forbidden(format!("oidc: {why}"))
}

/// 32 random bytes, base64url: states, nonces and PKCE verifiers.
fn random() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl Oidc {
    pub fn new(key: SigningKey, signed_out: SignedOut) -> Oidc {
        Oidc {
            sessions: Sessions::new(key.clone(), signed_out),
            key,
            fetcher: Fetcher::default(),
            discovered: Mutex::default(),
        }
    }

    pub async fn check(
        &self,
        policy: &OidcPolicy,
        head: &Parts,
        keys: &KeyCache,
    ) -> Result<Identity, EdgeError> {
        let host = head
            .uri
            .authority()
            .map(|a| a.as_str())
            .or_else(|| head.headers.get(header::HOST)?.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let now = now_secs();
        if head.uri.path() == CALLBACK_PATH {
            return Err(self.callback(policy, head, &host, now, keys).await);
        }
        if head.uri.path() == LOGOUT_PATH {
            let provider = self.provider_logout(policy).await;
            return Err(self
                .sessions
                .logout(&head.headers, &host, now, provider)
                .await);
        }
        if let Some(name) = self.sessions.admitted(&head.headers, &host, policy, now) {
            return Ok(Identity {
                method: "oidc",
                name,
            });
        }
        if head.method != Method::GET && head.method != Method::HEAD {
            return Err(EdgeError::unauthorized(
                "oidc: no session",
                "Bearer realm=\"Tether\"",
                false,
            ));
        }
        Err(self.sign_in(policy, head, host, now).await)
    }

    /// Sends the browser to the provider.
    async fn sign_in(
        &self,
        policy: &OidcPolicy,
        head: &Parts,
        host: String,
        now: u64,
    ) -> EdgeError {
        let discovery = match self.discovery(policy).await {
            Ok(d) => d,
            Err(e) => return refuse(e),
        };
        let login = Login {
            host: host.clone(),
            state: random(),
            verifier: random(),
            nonce: random(),
            to: back_to(head),
            exp: now + LOGIN_SECS,
        };
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(login.verifier.as_bytes()));
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &policy.client_id)
            .append_pair("redirect_uri", &format!("https://{host}{CALLBACK_PATH}"))
            .append_pair("scope", &policy.scopes.join(" "))
            .append_pair("state", &login.state)
            .append_pair("nonce", &login.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        let endpoint = &discovery.authorization_endpoint;
        let joiner = if endpoint.contains('?') { '&' } else { '?' };
        EdgeError::Redirect {
            location: format!("{endpoint}{joiner}{query}"),
            cookie: cookie_header(LOGIN_COOKIE, &self.key.sign(&login), LOGIN_SECS),
        }
    }

    /// The provider sent the browser back: the code becomes a session, or the refusal.
    async fn callback(
        &self,
        policy: &OidcPolicy,
        head: &Parts,
        host: &str,
        now: u64,
        keys: &KeyCache,
    ) -> EdgeError {
        let params: HashMap<String, String> =
            form_urlencoded::parse(head.uri.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        if let Some(error) = params.get("error") {
            return refuse(format!("the provider refused the sign-in: {error}"));
        }
        let Some(login) =
            cookie(&head.headers, LOGIN_COOKIE).and_then(|c| self.key.open::<Login>(c))
        else {
            return refuse("no sign-in in progress here (its cookie is missing or not the edge's)");
        };
        if login.host != host || login.exp <= now || params.get("state") != Some(&login.state) {
            return refuse("the sign-in's state does not match, or it took too long");
        }
        let Some(code) = params.get("code") else {
            return refuse("the provider sent no code");
        };
        let claims = match self.exchange(policy, host, code, &login, keys).await {
            Ok(claims) => claims,
            Err(e) => return e,
        };
        if claims.nonce.as_deref() != Some(login.nonce.as_str()) {
            return refuse("the ID token's nonce is not this sign-in's");
        }
        if let Err(why) = super::require::admits(&policy.require, &claims) {
            return EdgeError::Forbidden(format!("oidc: {why}"));
        }
        let lasts = humantime::parse_duration(&policy.session_duration)
            .map_or(86_400, |d| d.as_secs().max(60));
        EdgeError::Redirect {
            location: login.to,
            cookie: self.sessions.start(host, claims.name(), policy, now, lasts),
        }
    }

    /// The code for an ID token at the token endpoint, verified.
    async fn exchange(
        &self,
        policy: &OidcPolicy,
        host: &str,
        code: &str,
        login: &Login,
        keys: &KeyCache,
    ) -> Result<jwt::Claims, EdgeError> {
        let discovery = self.discovery(policy).await.map_err(refuse)?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &format!("https://{host}{CALLBACK_PATH}"))
            .append_pair("client_id", &policy.client_id)
            .append_pair("client_secret", &policy.client_secret)
            .append_pair("code_verifier", &login.verifier)
            .finish();
        let request = Request::post(&discovery.token_endpoint)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(form)))
            .map_err(refuse)?;
        let response = self
            .fetcher
            .send(request, policy.ca.as_deref())
            .await
            .map_err(refuse)?;
        if !response.status().is_success() {
            let status = response.status();
            return Err(refuse(format!("the token endpoint answered {status}")));
        }
        let tokens: Tokens = serde_json::from_slice(response.body())
            .map_err(|e| refuse(format!("the token endpoint's answer: {e}")))?;
        // The provider's keys, from where its discovery document says (`require` is checked by
        // the caller, on the sign-in as a whole).
        let provider_keys = JwtKeys::Fetched(keys.at(&discovery.jwks_uri, policy.ca.as_deref()));
        let audience = [policy.client_id.clone()];
        jwt::verify(&tokens.id_token, &policy.issuer, &audience, &provider_keys).await
    }

    /// Where the provider ends its own session, for the browser to go on to after a logout.
    async fn provider_logout(&self, policy: &OidcPolicy) -> Option<String> {
        let endpoint = self
            .discovery(policy)
            .await
            .ok()?
            .end_session_endpoint
            .clone()?;
        let joiner = if endpoint.contains('?') { '&' } else { '?' };
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &policy.client_id)
            .finish();
        Some(format!("{endpoint}{joiner}{query}"))
    }

    async fn discovery(&self, policy: &OidcPolicy) -> Result<Arc<Discovery>, PolicyError> {
        let issuer = policy.issuer.trim_end_matches('/');
        if let Ok(cached) = self.discovered.lock() {
            if let Some((at, d)) = cached.get(issuer) {
                if at.elapsed() < DISCOVERY_FRESH {
                    return Ok(d.clone());
                }
            }
        }
        let url = format!("{issuer}/.well-known/openid-configuration");
        let found: Arc<Discovery> = Arc::new(self.fetcher.json(&url, policy.ca.as_deref()).await?);
        if let Ok(mut cached) = self.discovered.lock() {
            cached.insert(issuer.to_string(), (Instant::now(), found.clone()));
        }
        Ok(found)
    }
}

/// Where to send the browser once signed in: the path it asked for, on this host only (a
/// path starting `//` or `/\` would be read as another host's URL: an open redirect).
fn back_to(head: &Parts) -> String {
    match head.uri.path_and_query().map(|p| p.as_str()) {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") => {
            p.to_string()
        }
        _ => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(path: &str) -> Parts {
        Request::get(path).body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_way_back_stays_on_this_host() {
        assert_eq!(back_to(&head("/private?x=1")), "/private?x=1");
        assert_eq!(back_to(&head("//evil.example/x")), "/");
        assert_eq!(back_to(&head("/\\evil.example/x")), "/");
    }
}
