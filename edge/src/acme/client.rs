//! The ACME account: an HTTPS client trusting the system's roots and `ca-roots`, and the account
//! at the configured directory, made once for the cluster and kept in the store.

use std::sync::Arc;

use bytes::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use instant_acme::{Account, AccountCredentials, BodyWrapper, ExternalAccountKey, NewAccount};

use super::AcmeError;
use crate::config::AcmeConfig;
use crate::state::acme_records::{AccountRecord, Secret};
use crate::state::{now_secs, State};

/// instant-acme over our own hyper client: its default client would trust only the system's
/// roots, and a private CA (step-ca, pebble) needs `ca-roots` as well.
fn http_client(config: &AcmeConfig) -> Result<Box<dyn instant_acme::HttpClient>, AcmeError> {
    let mut roots =
        tether_proto::trust::root_store(None).unwrap_or_else(|_| rustls::RootCertStore::empty());
    for path in &config.ca_roots {
        let pem = std::fs::read(path)
            .map_err(|e| AcmeError::Setup(format!("cannot read {}: {e}", path.display())))?;
        let certs = tether_proto::trust::certificates_from_pem(&pem)
            .map_err(|e| AcmeError::Setup(format!("{}: {e}", path.display())))?;
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| AcmeError::Setup(format!("{}: {e}", path.display())))?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| AcmeError::Setup(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .enable_http2()
        .build();
    let client: Client<_, BodyWrapper<Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector);
    Ok(Box::new(client))
}

/// The cluster's account at the configured directory: read from the store, else registered
/// (agreeing to the CA's terms, with the email and the external account binding if any) and
/// saved. Two edges registering at once keep the first saved.
pub async fn account(state: &State, config: &AcmeConfig) -> Result<Account, AcmeError> {
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
    let record = AccountRecord {
        directory: config.directory.clone(),
        credentials: Secret(serde_json::to_string(&credentials).unwrap_or_default()),
        created_at: now_secs(),
    };
    let kept = state.save_acme_account(record.clone()).await?;
    tracing::info!(directory = %config.directory, account = account.id(), "ACME account registered");
    if kept == record {
        Ok(account)
    } else {
        restore(config, &kept).await
    }
}

async fn restore(config: &AcmeConfig, record: &AccountRecord) -> Result<Account, AcmeError> {
    let credentials: AccountCredentials = serde_json::from_str(&record.credentials.0)
        .map_err(|e| AcmeError::Setup(format!("the stored ACME account does not parse: {e}")))?;
    Ok(Account::builder_with_http(http_client(config)?)
        .from_credentials(credentials)
        .await?)
}
