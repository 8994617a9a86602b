//! `edge cert list`: every name's ACME certificate as the store holds it (what every edge of the
//! cluster serves): issuer, expiry, renewal, the challenge that proved it, and the last error.

use clap::Subcommand;

use crate::acme::{names, schedule};
use crate::config::EdgeConfig;
use crate::state::acme_records::CertRecord;
use crate::state::store;
use crate::state::State;
use crate::tls::certs;

#[derive(Subcommand, Debug)]
pub enum CertCommand {
    /// List the names with an ACME certificate or order: issuer, expiry, last error.
    List,
}

pub async fn cert_command(config: &EdgeConfig, command: CertCommand) -> anyhow::Result<()> {
    let state = State::new(store::open(&config.store, &config.state_dir).await?);
    let CertCommand::List = command;
    let mut records = state.cert_records().await?;
    // Names that will be ordered but have no record yet (not those a configured certificate
    // covers).
    if let Some(acme) = &config.acme {
        let configured = config
            .certificates
            .iter()
            .filter_map(|files| certs::load_pair(files).ok())
            .collect::<Vec<_>>();
        let resolver = certs::CertResolver::new(configured, None);
        let routed = state.routes().await?.into_iter().map(|r| r.hostname);
        for name in names::wanted(config, acme, routed.collect()) {
            if !records.iter().any(|r| r.name == name) && !resolver.configured_covers(&name) {
                records.push(CertRecord {
                    name,
                    ..CertRecord::default()
                });
            }
        }
    } else {
        println!(
            "tls.acme is not set in {}: no new orders or renewals",
            config.source.display()
        );
    }
    if records.is_empty() {
        println!(
            "No ACME certificates; route a hostname (`edge tunnel route dns`) with tls.acme set"
        );
        return Ok(());
    }
    records.sort_by(|a, b| a.name.cmp(&b.name));
    println!("NAME\tISSUER\tEXPIRES\tRENEWS\tCHALLENGE\tSERIAL\tLAST ERROR");
    for r in records {
        println!("{}", line(config, &r));
    }
    Ok(())
}

fn line(config: &EdgeConfig, r: &CertRecord) -> String {
    let dash = || "-".to_string();
    let (issuer, expires, renews, serial) = match r.has_certificate() {
        true => (
            r.issuer.clone(),
            time(r.not_after),
            config
                .acme
                .as_ref()
                .map_or_else(dash, |a| time(schedule::renew_at(r, a))),
            r.serial.clone(),
        ),
        false => (dash(), dash(), dash(), dash()),
    };
    let error = match &r.last_error {
        Some(e) => format!(
            "{e} ({} failed in a row; next attempt {})",
            r.failures,
            time(r.next_attempt_at)
        ),
        None if !r.has_certificate() && r.last_order_at == 0 => "not ordered yet".into(),
        None => dash(),
    };
    let challenge = if r.challenge.is_empty() {
        dash()
    } else {
        r.challenge.clone()
    };
    format!(
        "{}\t{issuer}\t{expires}\t{renews}\t{challenge}\t{serial}\t{error}",
        r.name
    )
}

fn time(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}
