//! Where `edge tunnel …` runs: on the store edge.yml names ([`Manager`], as the admin API does),
//! or through an edge's admin API (`--api URL --api-token T`), so an operator needs no access to
//! the store. Both give the same answers; `tunnel.rs` prints them.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::json;

use super::api_client::{ApiArgs, ApiClient};
use crate::admin::router::Name;
use crate::config::EdgeConfig;
use crate::manage::views::{
    CertificateView, CreatedView, EnrollmentView, RouteView, RoutedView, TunnelView,
};
use crate::manage::{AdminTokenView, Created, Manager, TcpOptions, TokenView};
use crate::state::admin::Role;
use crate::state::{store, RouteRules, State};

pub enum Backend {
    Local(Box<Manager>),
    Remote(Box<ApiClient>),
}

impl Backend {
    /// Through the admin API when `--api` is given (edge.yml is then not read), else on the
    /// store `config` names.
    pub async fn open(config: Option<&EdgeConfig>, api: &ApiArgs) -> anyhow::Result<Backend> {
        match (&api.url, config) {
            (Some(_), _) => Ok(Backend::Remote(Box::new(ApiClient::new(api)?))),
            (None, Some(config)) => {
                let state = State::new(store::open(&config.store, &config.state_dir).await?);
                let manager = Manager::new(config.clone(), state);
                Ok(Backend::Local(Box::new(manager)))
            }
            (None, None) => anyhow::bail!("no edge.yml and no --api: nothing to manage"),
        }
    }

    /// The edge.yml this runs on, when it runs on the store.
    pub fn local_config(&self) -> Option<&EdgeConfig> {
        match self {
            Backend::Local(m) => Some(&m.config),
            Backend::Remote(_) => None,
        }
    }

    pub async fn create_tunnel(
        &self,
        name: &str,
        public_key: Option<String>,
        id: Option<uuid::Uuid>,
    ) -> anyhow::Result<CreatedView> {
        match self {
            Backend::Local(m) => Ok(m.create_tunnel(name, public_key, id).await?),
            Backend::Remote(api) => {
                let mut body = json!({ "name": name, "public_key": public_key });
                // Only when chosen: an edge older than `id` refuses the unknown field.
                if let Some(id) = id {
                    body["id"] = json!(id);
                }
                api.call(Name::CreateTunnel, None, Some(body)).await
            }
        }
    }

    pub async fn enrollment(
        &self,
        tunnel: &str,
        ttl: Duration,
        overlap: Option<Duration>,
    ) -> anyhow::Result<EnrollmentView> {
        match self {
            Backend::Local(m) => Ok(m.enrollment(tunnel, ttl, overlap).await?),
            Backend::Remote(api) => {
                let body = json!({
                    "ttl_secs": ttl.as_secs(),
                    "overlap_secs": overlap.map(|o| o.as_secs()),
                });
                api.call(Name::CreateEnrollment, Some(tunnel), Some(body))
                    .await
            }
        }
    }

    pub async fn revoke(&self, tunnel: &str) -> anyhow::Result<TunnelView> {
        match self {
            Backend::Local(m) => Ok(m.revoke(tunnel).await?),
            Backend::Remote(api) => api.call(Name::RevokeTunnel, Some(tunnel), None).await,
        }
    }

    pub async fn delete_tunnel(&self, tunnel: &str) -> anyhow::Result<TunnelView> {
        match self {
            Backend::Local(m) => Ok(m.delete_tunnel(tunnel).await?),
            Backend::Remote(api) => api.call(Name::DeleteTunnel, Some(tunnel), None).await,
        }
    }

    pub async fn tunnels(&self) -> anyhow::Result<Vec<TunnelView>> {
        match self {
            Backend::Local(m) => Ok(m.tunnels().await?),
            Backend::Remote(api) => api.call(Name::ListTunnels, None, None).await,
        }
    }

    pub async fn tunnel(&self, tunnel: &str) -> anyhow::Result<TunnelView> {
        match self {
            Backend::Local(m) => Ok(m.tunnel(tunnel).await?),
            Backend::Remote(api) => api.call(Name::GetTunnel, Some(tunnel), None).await,
        }
    }

    pub async fn route_dns(
        &self,
        tunnel: &str,
        hostname: &str,
        direct: Option<IpAddr>,
    ) -> anyhow::Result<RoutedView> {
        match self {
            Backend::Local(m) => Ok(m.route_dns(tunnel, hostname, direct).await?),
            Backend::Remote(api) => {
                let body = json!({
                    "type": "dns", "tunnel": tunnel, "hostname": hostname, "direct": direct,
                });
                api.call(Name::CreateRoute, None, Some(body)).await
            }
        }
    }

    pub async fn route_tcp(
        &self,
        tunnel: &str,
        hostname: &str,
        options: TcpOptions,
    ) -> anyhow::Result<RoutedView> {
        match self {
            Backend::Local(m) => Ok(m.route_tcp(tunnel, hostname, options).await?),
            Backend::Remote(api) => {
                let body = json!({
                    "type": "tcp", "tunnel": tunnel, "hostname": hostname,
                    "port": options.port, "bind": options.bind,
                    "require_token": options.require_token,
                });
                api.call(Name::CreateRoute, None, Some(body)).await
            }
        }
    }

    pub async fn set_policy(&self, hostname: &str, rules: RouteRules) -> anyhow::Result<RouteView> {
        match self {
            Backend::Local(m) => Ok(m.set_policy(hostname, rules).await?),
            Backend::Remote(api) => {
                let at = Some(hostname);
                match rules.is_empty() {
                    true => api.call(Name::ClearPolicy, at, None).await,
                    false => {
                        let body = serde_json::to_value(&rules)?;
                        api.call(Name::SetPolicy, at, Some(body)).await
                    }
                }
            }
        }
    }

    pub async fn delete_route(&self, hostname: &str) -> anyhow::Result<RouteView> {
        match self {
            Backend::Local(m) => Ok(m.delete_route(hostname).await?),
            Backend::Remote(api) => api.call(Name::DeleteRoute, Some(hostname), None).await,
        }
    }

    pub async fn create_token(
        &self,
        name: &str,
        hostnames: &[String],
        ttl: Duration,
    ) -> anyhow::Result<Created<TokenView>> {
        match self {
            Backend::Local(m) => Ok(m.create_token(name, hostnames, ttl).await?),
            Backend::Remote(api) => {
                let body =
                    json!({ "name": name, "hostnames": hostnames, "ttl_secs": ttl.as_secs() });
                api.call(Name::CreateToken, None, Some(body)).await
            }
        }
    }

    pub async fn tokens(&self) -> anyhow::Result<Vec<TokenView>> {
        match self {
            Backend::Local(m) => Ok(m.tokens().await?),
            Backend::Remote(api) => api.call(Name::ListTokens, None, None).await,
        }
    }

    pub async fn revoke_token(&self, token: &str) -> anyhow::Result<TokenView> {
        match self {
            Backend::Local(m) => Ok(m.revoke_token(token).await?),
            Backend::Remote(api) => api.call(Name::RevokeToken, Some(token), None).await,
        }
    }

    pub async fn create_admin_token(
        &self,
        name: &str,
        role: Role,
        ttl: Duration,
    ) -> anyhow::Result<Created<AdminTokenView>> {
        match self {
            Backend::Local(m) => Ok(m.create_admin_token(name, role, ttl).await?),
            Backend::Remote(api) => {
                let body =
                    json!({ "name": name, "role": role.as_str(), "ttl_secs": ttl.as_secs() });
                api.call(Name::CreateAdminToken, None, Some(body)).await
            }
        }
    }

    pub async fn admin_tokens(&self) -> anyhow::Result<Vec<AdminTokenView>> {
        match self {
            Backend::Local(m) => Ok(m.admin_tokens().await?),
            Backend::Remote(api) => api.call(Name::ListAdminTokens, None, None).await,
        }
    }

    pub async fn revoke_admin_token(&self, token: &str) -> anyhow::Result<AdminTokenView> {
        match self {
            Backend::Local(m) => Ok(m.revoke_admin_token(token).await?),
            Backend::Remote(api) => api.call(Name::RevokeAdminToken, Some(token), None).await,
        }
    }

    pub async fn certificates(&self) -> anyhow::Result<Vec<CertificateView>> {
        match self {
            Backend::Local(m) => Ok(m.certificates().await?),
            Backend::Remote(api) => api.call(Name::ListCertificates, None, None).await,
        }
    }
}
