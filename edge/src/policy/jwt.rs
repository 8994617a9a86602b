//! `policy: { jwt: { issuer, audience, jwks-url | jwks-file } }`: the request carries a JWT (in
//! `header`, `Authorization: Bearer` by default, or the cookie `cookie`) that the issuer signed,
//! for one of the audiences, and that has not expired; as Cloudflare Access checks its
//! `CF_Authorization`. Only asymmetric algorithms, and only the one each key is for: a token
//! cannot pick `none`, or verify an RSA key's signature as HMAC.

use http::HeaderMap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, decode_header, Validation};
use serde::Deserialize;

use crate::error::EdgeError;
use crate::state::route_policy::JwtPolicy;

use super::compiled::JwtRule;
use super::jwks::{self, JwtKeys};
use super::{authorization, cookie, Identity};

pub use jwks::parse as parse_jwks;

/// The claims the identity is taken from (the rest are checked by the validation).
#[derive(Debug, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// OIDC's `email_verified`: only a verified email is taken as who the user is (a provider
    /// may let anyone type any address). Some providers send it as a string.
    #[serde(default, deserialize_with = "true_or_string")]
    pub email_verified: bool,
    /// An OIDC ID token's nonce.
    #[serde(default)]
    pub nonce: Option<String>,
    /// Every other claim, for a policy's `require:` (`groups`, any claim).
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl Claims {
    /// Who the user is: the email when the provider verified it, else the subject.
    pub fn name(&self) -> String {
        let verified = self.email.clone().filter(|_| self.email_verified);
        verified.or(self.sub.clone()).unwrap_or_default()
    }
}

/// `true`, or the string `"true"` (AWS Cognito's form); anything else is false.
fn true_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

/// The token a request carries for `policy`.
fn token<'a>(policy: &JwtPolicy, headers: &'a HeaderMap) -> Option<&'a str> {
    let from_header = if policy.header.eq_ignore_ascii_case("authorization") {
        authorization(headers, "Bearer")
    } else {
        headers
            .get(policy.header.as_str())
            .and_then(|v| v.to_str().ok())
    };
    from_header.or_else(|| cookie(headers, &policy.cookie))
}

pub async fn check(rule: &JwtRule, headers: &HeaderMap) -> Result<Identity, EdgeError> {
    let policy = &rule.policy;
    let Some(token) = token(policy, headers) else {
        return Err(EdgeError::unauthorized(
            "jwt: no token",
            "Bearer realm=\"Tether\"",
            false,
        ));
    };
    let claims = verify(token, &policy.issuer, &policy.audience, &rule.keys).await?;
    super::require::admits(&policy.require, &claims)
        .map_err(|why| EdgeError::Forbidden(format!("jwt: {why}")))?;
    Ok(Identity {
        method: "jwt",
        name: claims.name(),
    })
}

/// Verifies `token`: signed by one of the issuer's keys, from `issuer`, for one of `audience`,
/// not expired (60 s of leeway for clocks), not before its `nbf`.
pub async fn verify(
    token: &str,
    issuer: &str,
    audience: &[String],
    keys: &JwtKeys,
) -> Result<Claims, EdgeError> {
    let refuse = |why: String| EdgeError::Forbidden(format!("jwt: {why}"));
    let header = decode_header(token).map_err(|e| refuse(format!("not a signed JWT ({e})")))?;
    let set = keys
        .get(header.kid.as_deref())
        .await
        .map_err(|e| EdgeError::Forbidden(format!("jwt: {e}")))?;
    let candidates = set
        .iter()
        .filter(|k| k.alg == header.alg && (header.kid.is_none() || k.kid == header.kid));
    let mut last = refuse(match &header.kid {
        Some(kid) => format!(
            "signed by an unknown key `{kid}` or algorithm {:?}",
            header.alg
        ),
        None => format!("no key of the issuer is for {:?}", header.alg),
    });
    for key in candidates {
        let mut validation = Validation::new(key.alg);
        validation.set_issuer(&[issuer]);
        validation.set_audience(audience);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        match decode::<Claims>(token, &key.key, &validation) {
            Ok(data) => return Ok(data.claims),
            Err(e) => {
                last = refuse(
                    match e.kind() {
                        ErrorKind::ExpiredSignature => "the token has expired",
                        ErrorKind::ImmatureSignature => "the token is not valid yet",
                        ErrorKind::InvalidAudience => "the token is for another audience",
                        ErrorKind::InvalidIssuer => "the token is from another issuer",
                        ErrorKind::InvalidSignature => "the signature does not verify",
                        ErrorKind::MissingRequiredClaim(_) => "the token lacks exp, iss or aud",
                        _ => "the token is not valid",
                    }
                    .to_string(),
                );
                // Only a bad signature may mean another key of the same kid-less set fits.
                if !matches!(e.kind(), ErrorKind::InvalidSignature) {
                    break;
                }
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: serde_json::Value) -> Claims {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn only_a_verified_email_names_the_user() {
        let base = serde_json::json!({"sub": "u-1", "email": "ann@example.test"});
        assert_eq!(claims(base.clone()).name(), "u-1");
        for verified in [serde_json::json!(true), serde_json::json!("true")] {
            let mut c = base.clone();
            c["email_verified"] = verified;
            assert_eq!(claims(c).name(), "ann@example.test");
        }
        let mut c = base;
        c["email_verified"] = serde_json::json!(false);
        assert_eq!(claims(c).name(), "u-1");
    }
}
