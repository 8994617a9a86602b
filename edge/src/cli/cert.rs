//! `edge cert list`: every name's ACME certificate as the store holds it (what every edge of the
//! cluster serves): issuer, expiry, renewal, the challenge that proved it, and the last error;
//! on the store, or through the admin API (`--api`).

use clap::Subcommand;

use super::api_client::ApiArgs;
use super::backend::Backend;
use super::rfc3339;
use crate::config::EdgeConfig;
use crate::manage::views::CertificateView;

#[derive(Subcommand, Debug)]
pub enum CertCommand {
    /// List the names with an ACME certificate or order: issuer, expiry, last error.
    List,
}

/// `edge cert [--api URL --api-token T] …`.
#[derive(clap::Args, Debug)]
pub struct CertArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub command: CertCommand,
}

pub async fn cert_command(config: Option<&EdgeConfig>, args: CertArgs) -> anyhow::Result<()> {
    let backend = Backend::open(config, &args.api).await?;
    let CertCommand::List = args.command;
    if let Some(config) = backend.local_config().filter(|c| c.acme.is_none()) {
        println!(
            "tls.acme is not set in {}: no new orders or renewals",
            config.source.display()
        );
    }
    let views = backend.certificates().await?;
    if views.is_empty() {
        println!(
            "No ACME certificates; route a hostname (`edge tunnel route dns`) with tls.acme set"
        );
        return Ok(());
    }
    println!("NAME\tISSUER\tEXPIRES\tRENEWS\tCHALLENGE\tSERIAL\tLAST ERROR");
    for view in &views {
        println!("{}", line(view));
    }
    Ok(())
}

fn line(c: &CertificateView) -> String {
    let dash = || "-".to_string();
    let (issuer, expires, renews, serial) = match c.issuer.is_empty() {
        false => (
            c.issuer.clone(),
            rfc3339(c.not_after),
            c.renews_at.map_or_else(dash, rfc3339),
            c.serial.clone(),
        ),
        true => (dash(), dash(), dash(), dash()),
    };
    let error = match &c.last_error {
        Some(e) => format!(
            "{e} ({} failed in a row; next attempt {})",
            c.failures,
            rfc3339(c.next_attempt_at)
        ),
        None if !c.ordered => "not ordered yet".into(),
        None => dash(),
    };
    let challenge = if c.challenge.is_empty() {
        dash()
    } else {
        c.challenge.clone()
    };
    format!(
        "{}\t{issuer}\t{expires}\t{renews}\t{challenge}\t{serial}\t{error}",
        c.name
    )
}
