//! One ACME order for one name (RFC 8555 §7.4): each authorization proved by the first
//! challenge this edge can answer, published in the store for every edge, then the CSR for a
//! key made here, and the chain. The challenges are withdrawn whatever happens.

use std::time::Duration;

use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewOrder, OrderStatus, RetryPolicy,
};

use super::AcmeError;
use crate::config::ChallengeKind;
use crate::state::acme::AcmeTables;
use crate::state::acme_records::{Challenge, Secret};
use crate::state::store::LeaseId;
use crate::state::State;

/// After a challenge is visible in this edge's tables, how long the other edges get to see it
/// too before the CA is told to look: they follow the same store (etcd's watch is immediate,
/// SQLite's polls every 200 ms) and the DNS rebuilds 20 ms after a change.
const PROPAGATION: Duration = Duration::from_secs(1);
/// How long the CA may take to validate, and to issue.
const VALIDATION: Duration = Duration::from_secs(120);

/// What an order produced.
pub struct Issued {
    pub chain_pem: String,
    pub key_pem: String,
    pub challenge: ChallengeKind,
}

/// What an order needs besides the account.
pub struct OrderContext<'a> {
    pub state: &'a State,
    pub tables: &'a AcmeTables,
    /// The order's lease: its lock and challenges go with it.
    pub lease: LeaseId,
    /// The challenges to try, in order of preference.
    pub kinds: &'a [ChallengeKind],
}

/// Orders a certificate for `name` (exact or `*.zone`).
pub async fn order(
    account: &Account,
    name: &str,
    ctx: &OrderContext<'_>,
) -> Result<Issued, AcmeError> {
    let mut published = Vec::new();
    let result = run(account, name, ctx, &mut published).await;
    for challenge in &published {
        if let Err(e) = ctx.state.withdraw_challenge(challenge).await {
            // The order's lease removes it anyway.
            tracing::warn!(name, error = %e, "cannot withdraw an ACME challenge");
        }
    }
    result
}

async fn run(
    account: &Account,
    name: &str,
    ctx: &OrderContext<'_>,
    published: &mut Vec<Challenge>,
) -> Result<Issued, AcmeError> {
    let identifiers = [Identifier::Dns(name.to_string())];
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    let mut used = None;
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz?;
        match authz.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => {
                return Err(AcmeError::Refused(format!(
                    "the authorization is {other:?}"
                )))
            }
        }
        let offered: Vec<ChallengeType> =
            authz.challenges.iter().map(|c| c.r#type.clone()).collect();
        let kind = ctx
            .kinds
            .iter()
            .copied()
            .find(|k| offered.contains(&challenge_type(*k)))
            .ok_or_else(|| {
                let ours: Vec<&str> = ctx.kinds.iter().map(|k| k.as_str()).collect();
                AcmeError::Refused(format!(
                    "the CA offers {offered:?}, none of {ours:?} this edge can answer for {name}"
                ))
            })?;
        let mut challenge = authz
            .challenge(challenge_type(kind))
            .ok_or_else(|| AcmeError::Refused("the challenge went away".into()))?;
        let key_authorization = challenge.key_authorization();
        let bare = match challenge.identifier().identifier {
            Identifier::Dns(n) => n.clone(),
            other => {
                return Err(AcmeError::Refused(format!(
                    "unexpected identifier {other:?}"
                )))
            }
        };
        let record = match kind {
            ChallengeKind::Http01 => Challenge::Http01 {
                name: bare,
                token: challenge.token.clone(),
                key_authorization: key_authorization.as_str().to_string(),
            },
            ChallengeKind::TlsAlpn01 => {
                let (cert_pem, key_pem) = alpn_certificate(&bare, key_authorization.digest())?;
                Challenge::TlsAlpn01 {
                    name: bare,
                    cert_pem,
                    key_pem: Secret(key_pem),
                }
            }
            ChallengeKind::Dns01 => Challenge::Dns01 {
                name: bare,
                value: key_authorization.dns_value(),
            },
        };
        ctx.state.publish_challenge(&record, ctx.lease).await?;
        published.push(record.clone());
        visible(ctx.tables, &record).await;
        challenge.set_ready().await?;
        used = Some(kind);
    }
    let status = order
        .poll_ready(&RetryPolicy::new().timeout(VALIDATION))
        .await?;
    if status != OrderStatus::Ready {
        return Err(AcmeError::Refused(why_invalid(&mut order).await));
    }
    let key = rcgen::KeyPair::generate().map_err(|e| AcmeError::Setup(e.to_string()))?;
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()])
        .map_err(|e| AcmeError::Setup(e.to_string()))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params
        .serialize_request(&key)
        .map_err(|e| AcmeError::Setup(e.to_string()))?;
    order.finalize_csr(csr.der()).await?;
    let chain_pem = order
        .poll_certificate(&RetryPolicy::new().timeout(VALIDATION))
        .await?;
    Ok(Issued {
        chain_pem,
        key_pem: key.serialize_pem(),
        // Every authorization was already valid (reused): say what the edge prefers.
        challenge: used.unwrap_or(ctx.kinds[0]),
    })
}

fn challenge_type(kind: ChallengeKind) -> ChallengeType {
    match kind {
        ChallengeKind::TlsAlpn01 => ChallengeType::TlsAlpn01,
        ChallengeKind::Http01 => ChallengeType::Http01,
        ChallengeKind::Dns01 => ChallengeType::Dns01,
    }
}

/// RFC 8737 §3: a self-signed certificate for `name` whose critical acmeIdentifier extension
/// holds the SHA-256 of the key authorization.
fn alpn_certificate(name: &str, digest: impl AsRef<[u8]>) -> Result<(String, String), AcmeError> {
    let setup = |e: rcgen::Error| AcmeError::Setup(e.to_string());
    let key = rcgen::KeyPair::generate().map_err(setup)?;
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).map_err(setup)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest.as_ref())];
    let cert = params.self_signed(&key).map_err(setup)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Waits (10 s at most) until this edge's own tables hold `record`, then lets the others catch
/// up.
async fn visible(tables: &AcmeTables, record: &Challenge) {
    let key = record.key();
    let mut changed = tables.challenges.changed();
    let seen = async {
        while tables.challenges.get(&key).is_none() {
            if changed.changed().await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), seen).await;
    tokio::time::sleep(PROPAGATION).await;
}

/// What the CA said of the failed challenges, for the log and `edge cert list`.
async fn why_invalid(order: &mut instant_acme::Order) -> String {
    let mut reasons = Vec::new();
    let mut authorizations = order.authorizations();
    while let Some(Ok(mut authz)) = authorizations.next().await {
        if authz.refresh().await.is_err() {
            continue;
        }
        for c in &authz.challenges {
            if let Some(problem) = &c.error {
                let detail = problem.detail.clone().unwrap_or_default();
                reasons.push(format!("{:?}: {detail}", c.r#type));
            }
        }
    }
    match reasons.is_empty() {
        true => "the CA found the order invalid".into(),
        false => format!("validation failed: {}", reasons.join("; ")),
    }
}
