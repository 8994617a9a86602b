//! Access tokens (`edge token …`, for `connector access tcp` on routes made with
//! `--require-token`) and the admin API's tokens (`edge admin token …`): created, listed and
//! revoked on the store, or through the admin API, with the same answers. A token's secret is
//! in the answer to its creation only; the store keeps its hash.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ManageError, Manager};
use crate::state::admin::{AdminTokenRecord, Role};
use crate::state::TokenRecord;

/// An access token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// The routes it opens; empty: every route that requires a token.
    pub hostnames: Vec<String>,
    pub created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

impl TokenView {
    fn of(t: &TokenRecord) -> TokenView {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            hostnames: t.hostnames.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
        }
    }
}

/// An admin token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminTokenView {
    pub id: Uuid,
    pub name: String,
    /// `read` or `write`.
    pub role: String,
    pub created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

impl AdminTokenView {
    fn of(t: &AdminTokenRecord) -> AdminTokenView {
        AdminTokenView {
            id: t.id,
            name: t.name.clone(),
            role: t.role.as_str().to_string(),
            created_at: t.created_at,
            expires_at: t.expires_at,
        }
    }
}

/// A token just made: what it is, and its whole secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created<T> {
    #[serde(flatten)]
    pub view: T,
    pub token: String,
}

/// How long a token is valid unless asked otherwise (`edge token create`'s `--ttl` default).
pub const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(365 * 86_400);
/// The same for admin tokens (`edge admin token create`'s `--ttl` default).
pub const ADMIN_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(90 * 86_400);

fn ttl_of(ttl: std::time::Duration) -> Result<std::time::Duration, ManageError> {
    match ttl.is_zero() {
        true => Err(ManageError::invalid(
            "the ttl must be longer than 0s, e.g. 30days",
        )),
        false => Ok(ttl),
    }
}

impl Manager {
    pub async fn create_token(
        &self,
        name: &str,
        hostnames: &[String],
        ttl: std::time::Duration,
    ) -> Result<Created<TokenView>, ManageError> {
        let ttl = ttl_of(ttl)?;
        let (record, token) = self.state.create_token(name, hostnames, Some(ttl)).await?;
        let view = TokenView::of(&record);
        Ok(Created { view, token })
    }

    pub async fn tokens(&self) -> Result<Vec<TokenView>, ManageError> {
        let tokens = self.state.tokens().await?;
        Ok(tokens.iter().map(TokenView::of).collect())
    }

    /// Revokes the access token with this id or name; its sessions close within a second.
    pub async fn revoke_token(&self, id_or_name: &str) -> Result<TokenView, ManageError> {
        Ok(TokenView::of(&self.state.revoke_token(id_or_name).await?))
    }

    pub async fn create_admin_token(
        &self,
        name: &str,
        role: Role,
        ttl: std::time::Duration,
    ) -> Result<Created<AdminTokenView>, ManageError> {
        let ttl = ttl_of(ttl)?;
        let created = self.state.create_admin_token(name, role, Some(ttl)).await?;
        let (record, token) = created;
        let view = AdminTokenView::of(&record);
        Ok(Created { view, token })
    }

    pub async fn admin_tokens(&self) -> Result<Vec<AdminTokenView>, ManageError> {
        let tokens = self.state.admin_tokens().await?;
        Ok(tokens.iter().map(AdminTokenView::of).collect())
    }

    /// Revokes the admin token with this id or name; every edge refuses it within a second.
    pub async fn revoke_admin_token(
        &self,
        id_or_name: &str,
    ) -> Result<AdminTokenView, ManageError> {
        let record = self.state.revoke_admin_token(id_or_name).await?;
        Ok(AdminTokenView::of(&record))
    }
}
