//! `edge cert list` and `GET /api/v1/certificates`: every name's ACME certificate as the store
//! holds it (what every edge of the cluster serves), and the names that will be ordered but have
//! no record yet (not those a configured certificate covers).

use super::views::CertificateView;
use super::{ManageError, Manager};
use crate::acme::{names, schedule};
use crate::state::acme_records::CertRecord;
use crate::tls::certs;

impl Manager {
    pub async fn certificates(&self) -> Result<Vec<CertificateView>, ManageError> {
        let mut records = self.state.cert_records().await?;
        if let Some(acme) = &self.config.acme {
            let configured = self
                .config
                .certificates
                .iter()
                .filter_map(|files| certs::load_pair(files).ok())
                .collect::<Vec<_>>();
            let resolver = certs::CertResolver::new(configured, None);
            let routed = self.state.routes().await?.into_iter().map(|r| r.hostname);
            for name in names::wanted(&self.config, acme, routed.collect()) {
                if !records.iter().any(|r| r.name == name) && !resolver.configured_covers(&name) {
                    records.push(CertRecord {
                        name,
                        ..CertRecord::default()
                    });
                }
            }
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
        let renews = |r: &CertRecord| {
            let acme = self.config.acme.as_ref().filter(|_| r.has_certificate())?;
            Some(schedule::renew_at(r, acme))
        };
        Ok(records
            .iter()
            .map(|r| CertificateView::of(r, renews(r)))
            .collect())
    }
}
