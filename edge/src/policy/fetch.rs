//! The edge's own HTTPS client, for what policies fetch from identity providers (JWKS,
//! discovery documents, OIDC token exchanges): the system's roots and, where a policy names
//! one, its CA; TLS 1.2 or 1.3 (providers are ordinary web servers); bounded in time and size.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};

use super::PolicyError;

/// What one fetch may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read (a JWKS or a token response is a few KiB).
const MAX_BODY: usize = 1 << 20;

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Clients by the CA they trust besides the system's roots.
#[derive(Default)]
pub struct Fetcher {
    clients: Mutex<HashMap<[u8; 32], HttpsClient>>,
}

impl Fetcher {
    fn client(&self, ca: Option<&str>) -> Result<HttpsClient, PolicyError> {
        let key: [u8; 32] = Sha256::digest(ca.unwrap_or("").as_bytes()).into();
        let mut clients = self
            .clients
            .lock()
            .map_err(|_| PolicyError::Poisoned("client cache"))?;
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let extra = match ca {
            Some(pem) => super::pem_roots(pem)?,
            None => Vec::new(),
        };
        let tls = tether_proto::trust::web_client_config(extra)
            .map_err(|e| PolicyError::Tls(e.to_string()))?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Sends `request` and reads the whole answer.
    pub async fn send(
        &self,
        request: Request<Full<Bytes>>,
        ca: Option<&str>,
    ) -> Result<Response<Bytes>, PolicyError> {
        let client = self.client(ca)?;
        let url = request.uri().to_string();
        let failed = |why: String| PolicyError::Fetch {
            url: url.clone(),
            why,
        };
        let fetched = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| failed(e.to_string()))?
                .to_bytes();
            Ok(Response::from_parts(parts, body))
        };
        tokio::time::timeout(TIMEOUT, fetched)
            .await
            .map_err(|_| PolicyError::FetchTimeout {
                url: url.clone(),
                secs: TIMEOUT.as_secs(),
            })?
    }

    /// GETs `url` and parses its JSON answer (a 2xx one).
    pub async fn json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        ca: Option<&str>,
    ) -> Result<T, PolicyError> {
        let request = Request::get(url)
            .header(http::header::ACCEPT, "application/json")
            .body(Full::default())
            .map_err(|e| PolicyError::Fetch {
                url: url.to_string(),
                why: e.to_string(),
            })?;
        let response = self.send(request, ca).await?;
        if !response.status().is_success() {
            let status = response.status();
            let url = url.to_string();
            return Err(PolicyError::FetchStatus { url, status });
        }
        serde_json::from_slice(response.body()).map_err(|e| PolicyError::FetchJson {
            url: url.to_string(),
            why: e.to_string(),
        })
    }
}
