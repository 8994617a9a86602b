//! The ACME account: an HTTPS client trusting the system's roots and `ca-roots` (with time
//! limits: instant-acme's own deadlines are checked only between requests), and the account at
//! the configured directory, made once for the cluster and kept in the store.

use bytes::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use instant_acme::{Account, AccountCredentials, BodyWrapper, ExternalAccountKey, NewAccount};
use tokio::sync::Mutex;

use super::AcmeError;
use crate::config::AcmeConfig;
use crate::state::acme_records::{AccountRecord, Secret};
use crate::state::{now_secs, State};

/// How long a connection to the CA may take to open.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// instant-acme over our own hyper client: its default client would trust only the system's
/// roots, and a private CA (step-ca, pebble) needs `ca-roots` as well.
fn http_client(config: &AcmeConfig) -> Result<Box<dyn instant_acme::HttpClient>, AcmeError> {
    let mut extra = Vec::new();
    for path in &config.ca_roots {
        let pem = tether_runtime::small_file::read(path)
            .map_err(|e| AcmeError::Setup(format!("cannot read {}: {e}", path.display())))?;
        extra.extend(
            tether_proto::trust::certificates_from_pem(&pem)
                .map_err(|e| AcmeError::Setup(format!("{}: {e}", path.display())))?,
        );
    }
    let tls = tether_proto::trust::web_client_config(extra)
        .map_err(|e| AcmeError::Setup(format!("tls.acme.ca-roots: {e}")))?;
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    let client: Client<_, BodyWrapper<Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector);
    Ok(Box::new(client))
}

/// The account in use: made or read once for a directory and its roots, dropped when the CA no
/// longer knows it.
#[derive(Default)]
pub struct Accounts {
    current: Mutex<Option<Current>>,
}

struct Current {
    /// The directory and roots it was made for.
    made_for: String,
    account: Account,
    /// Its credentials as stored, to drop exactly this one from the store.
    credentials: String,
}

impl Accounts {
    pub async fn get(&self, state: &State, config: &AcmeConfig) -> Result<Account, AcmeError> {
        let made_for = format!("{} {:?}", config.directory, config.ca_roots);
        let mut current = self.current.lock().await;
        if let Some(c) = current.as_ref().filter(|c| c.made_for == made_for) {
            return Ok(c.account.clone());
        }
        let (account, credentials) = account(state, config).await?;
        *current = Some(Current {
            made_for,
            account: account.clone(),
            credentials,
        });
        Ok(account)
    }

    /// After `error`: a CA that no longer knows the account (its data was reset, as staging's
    /// sometimes is) gets a new one at the next order. The stored one is dropped only if it is
    /// still the one that failed (another edge may have registered anew already).
    pub async fn forget_if_unknown(&self, state: &State, config: &AcmeConfig, error: &AcmeError) {
        let AcmeError::Acme(instant_acme::Error::Api(problem)) = error else {
            return;
        };
        if problem.r#type.as_deref() != Some("urn:ietf:params:acme:error:accountDoesNotExist") {
            return;
        }
        let Some(failed) = self.current.lock().await.take() else {
            return;
        };
        tracing::warn!(directory = %config.directory, "the CA no longer knows the ACME account; registering a new one at the next order");
        if let Err(e) = state
            .forget_acme_account(&config.directory, &failed.credentials)
            .await
        {
            tracing::warn!(error = %e, "cannot drop the stored ACME account");
        }
    }
}

/// The cluster's account at the configured directory, and its credentials as stored: read from
/// the store, else registered (agreeing to the CA's terms, with the email and the external
/// account binding if any) and saved. Two edges registering at once keep the first saved.
async fn account(state: &State, config: &AcmeConfig) -> Result<(Account, String), AcmeError> {
    if let Some(record) = state.acme_account(&config.directory).await? {
        return restore(config, &record).await;
    }
    let contact = config.email.as_ref().map(|e| format!("mailto:{e}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let eab = config
        .eab
        .as_ref()
        .map(|e| ExternalAccountKey::new(e.key_id.clone(), &e.hmac));
    let (account, credentials) = Account::builder_with_http(http_client(config)?)
        .create(
            &NewAccount {
                contact: &contacts,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            config.directory.clone(),
            eab.as_ref(),
        )
        .await?;
    let credentials = serde_json::to_string(&credentials)
        .map_err(|e| AcmeError::Setup(format!("cannot keep the ACME account: {e}")))?;
    let record = AccountRecord {
        directory: config.directory.clone(),
        credentials: Secret(credentials.clone()),
        created_at: now_secs(),
    };
    let kept = state.save_acme_account(record.clone()).await?;
    if kept != record {
        // Another edge registered first: every edge goes on with its account.
        return restore(config, &kept).await;
    }
    tracing::info!(directory = %config.directory, account = account.id(), "ACME account registered");
    Ok((account, credentials))
}

async fn restore(
    config: &AcmeConfig,
    record: &AccountRecord,
) -> Result<(Account, String), AcmeError> {
    let credentials: AccountCredentials = serde_json::from_str(&record.credentials.0)
        .map_err(|e| AcmeError::Setup(format!("the stored ACME account does not parse: {e}")))?;
    let account = Account::builder_with_http(http_client(config)?)
        .from_credentials(credentials)
        .await?;
    Ok((account, record.credentials.0.clone()))
}
