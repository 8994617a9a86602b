//! Admission from the edge's side: the enrollment tokens `edge tunnel token`, `rotate` and
//! `create --enroll` print, and `edge tunnel revoke`.

use tether_proto::enroll::{EdgeRef, EnrollmentToken};

use crate::config::EdgeConfig;
use crate::state::{State, TunnelRecord};
use crate::tls::ca::TunnelCa;

use super::tunnel::edge_address;

/// Makes an enrollment token (a rotation with `overlap`) and prints it with what to do.
pub(super) async fn print_enrollment(
    config: &EdgeConfig,
    state: &State,
    tunnel: &TunnelRecord,
    ttl: std::time::Duration,
    overlap: Option<std::time::Duration>,
) -> anyhow::Result<()> {
    if ttl.is_zero() {
        anyhow::bail!("--ttl must be longer than 0s, e.g. --ttl 1h");
    }
    let edge = edge_address(config, state).await?;
    let ca = TunnelCa::load_or_create(state, &config.state_dir).await?;
    let ca_pin = match config.public_certificate {
        true => None,
        false => Some(tether_proto::trust::ca_pin_of_pem(&ca.pem)?),
    };
    let (secret, expires_at) = state.create_enrollment(tunnel, ttl, overlap).await?;
    let token = EnrollmentToken {
        edge: EdgeRef {
            address: edge,
            server_name: config.server_name.clone(),
            ca_pin,
        },
        tunnel_id: tunnel.id,
        secret,
        expires_at,
    };
    let until = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(expires_at),
    );
    println!(
        "Enrollment token for tunnel {} ({}), good for one use until {until}:",
        tunnel.name, tunnel.id
    );
    println!("{}", token.encode());
    println!(
        "At the site: connector enroll TOKEN --out DIR (writes DIR/{}.json)",
        tunnel.id
    );
    if let Some(overlap) = overlap {
        println!(
            "Once it is redeemed, the tunnel's current keys stay valid for {} more; then their sessions close.",
            humantime::format_duration(overlap)
        );
    }
    Ok(())
}

/// Takes every key of `tunnel` away, and says what follows.
pub(super) async fn revoke(state: &State, tunnel: &TunnelRecord) -> anyhow::Result<()> {
    state.revoke_tunnel(tunnel).await?;
    println!(
        "Revoked every key of tunnel {} ({}): its sessions close within a second on every edge, and its connectors stop",
        tunnel.name, tunnel.id
    );
    println!(
        "To run it again: `edge tunnel token {}`, then `connector enroll` at the site",
        tunnel.name
    );
    Ok(())
}
