//! `require:` under a `jwt` or `oidc` policy: the provider vouches for who the user is, and the
//! route says who of them may pass. With a public provider anyone with an account is signed in,
//! so a policy without `require:` admits the whole world's accounts.

use serde_json::Value;

use crate::state::route_policy::Require;

use super::jwt::Claims;

/// Which part of `require:` a user did not meet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmet {
    #[error("the verified email is not one the route requires")]
    Email,
    #[error("the verified email's domain is not one the route requires")]
    EmailDomain,
    #[error("the token is in none of the groups the route requires")]
    Group,
    #[error("the claim `{0}` has none of the values the route requires")]
    Claim(String),
}

/// Why `claims` do not meet `require`, or `Ok` when they do (or nothing is required).
pub fn admits(require: &Require, claims: &Claims) -> Result<(), Unmet> {
    // Compared without case below, so taken as the provider wrote it.
    let email = claims.email.as_deref().filter(|_| claims.email_verified);
    if !require.emails.is_empty()
        && !email.is_some_and(|e| require.emails.iter().any(|r| r.eq_ignore_ascii_case(e)))
    {
        return Err(Unmet::Email);
    }
    if !require.email_domains.is_empty() {
        let domain = email.and_then(|e| e.rsplit_once('@')).map(|(_, d)| d);
        if !domain.is_some_and(|d| {
            require
                .email_domains
                .iter()
                .any(|r| r.eq_ignore_ascii_case(d))
        }) {
            return Err(Unmet::EmailDomain);
        }
    }
    if !require.groups.is_empty() && !any_of(claims.other.get("groups"), &require.groups) {
        return Err(Unmet::Group);
    }
    for (name, allowed) in &require.claims {
        if !any_of(claim(claims, name).as_ref(), allowed) {
            return Err(Unmet::Claim(name.clone()));
        }
    }
    Ok(())
}

/// A claim by name, the ones `Claims` takes apart included.
fn claim(claims: &Claims, name: &str) -> Option<Value> {
    match name {
        "sub" => claims.sub.clone().map(Value::String),
        "email" => claims.email.clone().map(Value::String),
        "email_verified" => Some(Value::Bool(claims.email_verified)),
        other => claims.other.get(other).cloned(),
    }
}

/// Whether `value` (a string, number or boolean, or a list of them) has one of `allowed`.
fn any_of(value: Option<&Value>, allowed: &[String]) -> bool {
    let matches = |v: &Value| {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return false,
        };
        allowed.contains(&text)
    };
    match value {
        Some(Value::Array(items)) => items.iter().any(matches),
        Some(v) => matches(v),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: Value) -> Claims {
        serde_json::from_value(json).unwrap()
    }

    fn require(yaml: &str) -> Require {
        yaml_serde::from_str(yaml).unwrap()
    }

    #[test]
    fn every_list_given_must_match_one_entry() {
        let ann = claims(serde_json::json!({
            "sub": "u-1", "email": "Ann@Example.com", "email_verified": true,
            "groups": ["staff", "ops"], "tenant": "acme", "level": 3,
        }));
        assert!(admits(&Require::default(), &ann).is_ok());
        for ok in [
            "emails: [ann@example.com]",
            "email-domains: [example.com]",
            "groups: [ops]",
            "claims: {tenant: [acme], level: ['3']}",
            "email-domains: [example.com]\ngroups: [staff]",
        ] {
            assert!(admits(&require(ok), &ann).is_ok(), "{ok}");
        }
        for refused in [
            "emails: [bob@example.com]",
            "email-domains: [example.org]",
            "groups: [admins]",
            "claims: {tenant: [other]}",
            "claims: {missing: [x]}",
            "email-domains: [example.com]\ngroups: [admins]",
        ] {
            assert!(admits(&require(refused), &ann).is_err(), "{refused}");
        }
    }

    #[test]
    fn an_unverified_email_meets_no_email_rule() {
        let mallory = claims(serde_json::json!({
            "sub": "u-2", "email": "ceo@example.com", "email_verified": false,
        }));
        assert!(admits(&require("emails: [ceo@example.com]"), &mallory).is_err());
        assert!(admits(&require("email-domains: [example.com]"), &mallory).is_err());
    }
}
