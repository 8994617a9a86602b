//! ACME at the handshake: the certificates ordered for routed names, served from the store's
//! `acme/certs/` (followed in memory, parsed once per issuance), and the `acme-tls/1`
//! handshakes of TLS-ALPN-01 validations (RFC 8737), answered from the challenges in flight
//! whichever edge ordered them.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::server::ClientHello;
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio_util::sync::CancellationToken;

use super::certs::{certified_key_from_pem, server_config};
use super::client_auth::ServerTls;
use super::tunnel_cert::SingleCert;
use crate::state::acme::AcmeTables;

/// RFC 8737 §6.2: the ALPN protocol of TLS-ALPN-01 validations.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// The ACME certificates to serve, by name (`*.zone` for wildcards).
pub struct AcmeCerts {
    tables: AcmeTables,
    /// Parsed from the table, with the serial each was parsed from (a new serial is parsed
    /// again, an unchanged one is kept).
    served: ArcSwap<HashMap<String, (String, Arc<CertifiedKey>)>>,
}

impl AcmeCerts {
    pub fn new(tables: AcmeTables) -> Arc<AcmeCerts> {
        let certs = Arc::new(AcmeCerts {
            tables,
            served: ArcSwap::default(),
        });
        certs.rebuild();
        certs
    }

    /// Serves each new or renewed certificate from the next handshake on, until `shutdown`;
    /// connections already open keep theirs.
    pub async fn follow(self: Arc<Self>, shutdown: CancellationToken) {
        let mut changed = self.tables.certs.changed();
        loop {
            self.rebuild();
            tokio::select! {
                r = changed.changed() => if r.is_err() { return },
                _ = shutdown.cancelled() => return,
            }
        }
    }

    fn rebuild(&self) {
        let old = self.served.load();
        let mut next = HashMap::new();
        for record in self.tables.certs.all() {
            if !record.has_certificate() {
                continue;
            }
            if let Some((serial, key)) = old.get(&record.name) {
                if *serial == record.serial {
                    next.insert(record.name.clone(), (serial.clone(), key.clone()));
                    continue;
                }
            }
            match certified_key_from_pem(record.chain_pem.as_bytes(), record.key_pem.0.as_bytes()) {
                Ok(key) => {
                    tracing::info!(name = %record.name, serial = %record.serial, "serving an ACME certificate");
                    next.insert(record.name.clone(), (record.serial.clone(), key));
                }
                Err(e) => {
                    tracing::warn!(name = %record.name, error = %e, "an ACME certificate in the store cannot be served")
                }
            }
        }
        self.served.store(Arc::new(next));
    }

    /// The certificate for `name`: its own, else the wildcard of its parent.
    pub fn for_name(&self, name: &str) -> Option<Arc<CertifiedKey>> {
        let served = self.served.load();
        if let Some((_, key)) = served.get(name) {
            return Some(key.clone());
        }
        let wildcard = tether_proto::hostname::certificate_wildcard(name)?;
        served.get(&wildcard).map(|(_, k)| k.clone())
    }

    /// The settings for a TLS-ALPN-01 validation of `name`, while its order is in flight.
    fn challenge(&self, name: &str) -> Option<Arc<ServerConfig>> {
        let (cert, key) = self.tables.tls_alpn01(name)?;
        let key = certified_key_from_pem(cert.as_bytes(), key.as_bytes()).ok()?;
        Some(server_config(
            Arc::new(SingleCert::new(key)),
            &[ACME_TLS_ALPN],
            false,
        ))
    }
}

/// What a public handshake is, once its ClientHello has been read.
pub enum Handshake {
    /// An ordinary handshake.
    Serve,
    /// A TLS-ALPN-01 validation: complete it with these settings, then close; no request is
    /// served on it (RFC 8737 §3). `None`: no validation of that name is in flight.
    AcmeValidation(Option<Arc<ServerConfig>>),
    /// No certificate covers the name: refused with `unrecognized_name` (RFC 6066 §3).
    UnrecognizedName,
}

impl ServerTls {
    /// Tells validations and names without a certificate from ordinary handshakes.
    pub fn classify(&self, hello: &ClientHello<'_>, sni: Option<&str>) -> Handshake {
        let Some(by_sni) = &self.by_sni else {
            return Handshake::Serve;
        };
        // RFC 8737 §3: a validation offers `acme-tls/1` and nothing else.
        let mut alpn = hello.alpn().into_iter().flatten();
        if alpn.next() == Some(ACME_TLS_ALPN) && alpn.next().is_none() {
            let config = sni
                .zip(by_sni.acme.as_ref())
                .and_then(|(name, acme)| acme.challenge(name));
            return Handshake::AcmeValidation(config);
        }
        match sni {
            Some(name) if by_sni.certs.for_name(name).is_none() => Handshake::UnrecognizedName,
            _ => Handshake::Serve,
        }
    }
}

/// A fatal `unrecognized_name` alert as a TLS record (RFC 8446 §6, RFC 6066 §3): written by
/// hand because rustls answers a name it has no certificate for with `access_denied`.
pub const UNRECOGNIZED_NAME_ALERT: [u8; 7] = [21, 3, 3, 0, 2, 2, 112];
