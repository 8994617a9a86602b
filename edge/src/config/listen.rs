//! edge.yml's `listen:` and `advertise:`: the sockets the edge binds, and the tunnel address
//! and public IPs it announces.

use std::net::{IpAddr, SocketAddr};

use tether_runtime::config_error::ConfigError;

use super::raw::{Fields, Raw};

/// Where the edge listens. Each listener is optional, but at least one public one is required.
#[derive(Debug, Clone, Default)]
pub struct Listen {
    pub http: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub tunnel: Option<SocketAddr>,
    /// The authoritative DNS server (UDP and TCP on the same port); needs the `dns:` section.
    pub dns: Option<SocketAddr>,
    /// Prometheus metrics at `/metrics` (plain HTTP; keep it on a private address).
    pub metrics: Option<SocketAddr>,
    /// The admin API and dashboard: `admin.listen`, when `admin:` is set.
    pub admin: Option<SocketAddr>,
}

pub(super) fn listen(at: &Fields, raw: &Raw) -> Result<Listen, ConfigError> {
    let listen = Listen {
        http: at.addr(&["listen", "http"], &raw.listen.http)?,
        https: at.addr(&["listen", "https"], &raw.listen.https)?,
        tunnel: at.addr(&["listen", "tunnel"], &raw.listen.tunnel)?,
        dns: at.addr(&["listen", "dns"], &raw.listen.dns)?,
        metrics: at.addr(&["listen", "metrics"], &raw.listen.metrics)?,
        admin: None,
    };
    if listen.http.is_none() && listen.https.is_none() {
        return Err(at.err(
            &["listen"],
            "no public listener: set listen.http and/or listen.https".into(),
        ));
    }
    if raw.http_redirect && listen.https.is_none() {
        return Err(at.err(
            &["http-redirect"],
            "http-redirect needs an HTTPS listener: set listen.https".into(),
        ));
    }
    Ok(listen)
}

/// The tunnel address connectors dial, and the edge's public IPs.
pub(super) fn advertise(
    at: &Fields,
    raw: &Raw,
    listen: &Listen,
) -> Result<(Option<String>, Vec<IpAddr>), ConfigError> {
    let mut addresses = Vec::new();
    for (i, a) in raw.advertise.addresses.iter().enumerate() {
        let idx = i.to_string();
        addresses.push(a.parse::<IpAddr>().map_err(|_| {
            at.err(
                &["advertise", "addresses", &idx],
                format!("`{a}` is not an IP address"),
            )
        })?);
    }
    // The default is the tunnel listener's address, unless it cannot be dialled from
    // elsewhere (port 0, or an unspecified IP such as 0.0.0.0).
    let advertise_tunnel = raw.advertise.tunnel.clone().or_else(|| {
        listen
            .tunnel
            .filter(|a| a.port() != 0 && !a.ip().is_unspecified())
            .map(|a| a.to_string())
    });
    if let Some(t) = &advertise_tunnel {
        tether_proto::endpoint::Endpoint::parse(t)
            .map_err(|e| at.err(&["advertise", "tunnel"], e.to_string()))?;
    }
    Ok((advertise_tunnel, addresses))
}
