//! The admin API as `edge tunnel … --api URL --api-token T` calls it: JSON over HTTP(S), the
//! token as a bearer credential, an API error's message printed as the local CLI would print it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;

use crate::admin::router::Name;

/// One call may take this long, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// `--api`, `--api-token`, `--api-ca`: where the admin API is and how to reach it. Their ids
/// are their own: a command's positional `TOKEN` (`edge token revoke TOKEN`) must not fill
/// `--api-token`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ApiArgs {
    /// Run the command through this edge's admin API (e.g. https://edge.example.com:7070)
    /// instead of on the store edge.yml names; edge.yml is then not read.
    #[arg(
        id = "api_url",
        long = "api",
        env = "TETHER_API",
        global = true,
        value_name = "URL"
    )]
    pub url: Option<String>,
    /// An admin token (`edge admin token create`); read it from the environment rather than
    /// the command line where you can.
    #[arg(
        id = "api_token",
        long = "api-token",
        env = "TETHER_API_TOKEN",
        global = true,
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// A CA (PEM) to trust for the API's certificate besides the system roots (e.g. the
    /// edge's state/ca.pem with `tls.dev-ca`).
    #[arg(
        id = "api_ca",
        long = "api-ca",
        env = "TETHER_API_CA",
        global = true,
        value_name = "FILE"
    )]
    pub ca: Option<PathBuf>,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

pub struct ApiClient {
    base: String,
    token: String,
    client: HttpsClient,
}

#[derive(serde::Deserialize)]
struct ApiError {
    message: String,
}

impl ApiClient {
    pub fn new(args: &ApiArgs) -> anyhow::Result<ApiClient> {
        let url = args.url.clone().context("--api is not set")?;
        let base = url.trim_end_matches('/').to_string();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            anyhow::bail!(
                "--api {url}: write the admin listener's URL, e.g. https://edge.example.com:7070"
            );
        }
        // The rule for a policy's identity provider: https://, or http:// to this machine only.
        crate::manage::policy::fetchable(&base).map_err(|why| {
            anyhow::anyhow!("--api {why}: the token would cross the network in clear")
        })?;
        let token = args.token.clone().context(
            "--api needs an admin token: --api-token or TETHER_API_TOKEN (`edge admin token create`)",
        )?;
        let mut extra = Vec::new();
        if let Some(path) = &args.ca {
            let pem = tether_runtime::small_file::read(path)
                .with_context(|| format!("cannot read --api-ca {}", path.display()))?;
            extra = tether_proto::trust::certificates_from_pem(&pem)
                .with_context(|| format!("--api-ca {}", path.display()))?;
        }
        let tls = tether_proto::trust::web_client_config(extra)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(ApiClient {
            base,
            token,
            client,
        })
    }

    /// Calls `method path` with an optional JSON body; a 2xx answer is decoded as `T`, any
    /// other is the API's error message.
    /// Calls the endpoint the admin API's router table names (`{…}` filled with `param`).
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: Name,
        param: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<T> {
        let (method, path) = endpoint.request(param);
        self.send(method, &path, body).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<T> {
        let body = match body {
            Some(v) => Full::new(Bytes::from(serde_json::to_vec(&v)?)),
            None => Full::new(Bytes::new()),
        };
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)?;
        let call = async {
            let response = self.client.request(request).await?;
            let status = response.status();
            let bytes = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(TIMEOUT, call)
            .await
            .with_context(|| format!("{} did not answer within {TIMEOUT:?}", self.base))?
            .with_context(|| format!("cannot reach the admin API at {}", self.base))?;
        if !status.is_success() {
            match serde_json::from_slice::<ApiError>(&bytes) {
                Ok(e) => anyhow::bail!("{}", e.message),
                Err(_) => anyhow::bail!("the admin API answered {status}"),
            }
        }
        serde_json::from_slice(&bytes)
            .with_context(|| format!("the admin API's answer to {method} {path} is not what this CLI expects (another version?)"))
    }
}
