//! Admission from the edge's side, as printed: the enrollment tokens `edge tunnel token`,
//! `rotate` and `create --enroll` make, and `edge tunnel revoke`.

use crate::manage::views::{EnrollmentView, TunnelView};

/// Prints an enrollment token (a rotation's, with its overlap) with what to do.
pub(super) fn print_enrollment(enrollment: &EnrollmentView) {
    let until = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(enrollment.expires_at),
    );
    println!(
        "Enrollment token for tunnel {} ({}), good for one use until {until}:",
        enrollment.tunnel_name, enrollment.tunnel_id
    );
    println!("{}", enrollment.token);
    println!(
        "At the site: connector enroll TOKEN --out DIR (writes DIR/{}.json)",
        enrollment.tunnel_id
    );
    if let Some(overlap) = enrollment.overlap_secs {
        println!(
            "Once it is redeemed, the tunnel's current keys stay valid for {} more; then their sessions close.",
            humantime::format_duration(std::time::Duration::from_secs(overlap))
        );
    }
}

/// Says what a revocation does.
pub(super) fn print_revoked(tunnel: &TunnelView) {
    println!(
        "Revoked every key of tunnel {} ({}): its sessions close within a second on every edge, and its connectors stop",
        tunnel.name, tunnel.id
    );
    println!(
        "To run it again: `edge tunnel token {}`, then `connector enroll` at the site",
        tunnel.name
    );
}
