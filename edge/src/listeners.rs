//! The edge's sockets, bound before [`crate::server::run`] starts anything: so a port in use
//! fails at once with its name, and tests bind port 0 and read the real addresses.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::config::Listen;

#[derive(Debug, thiserror::Error)]
#[error("cannot bind {what} listener on {addr}: {source}")]
pub struct BindError {
    what: &'static str,
    addr: SocketAddr,
    source: io::Error,
}

/// The edge's bound sockets. Binding is separate from [`run`] so tests bind port 0 and read the
/// real addresses.
pub struct Listeners {
    pub http: Option<TcpListener>,
    pub https: Option<TcpListener>,
    pub tunnel: Option<TcpListener>,
    /// UDP and TCP on one port.
    pub dns: Option<tether_dns::server::Sockets>,
    pub metrics: Option<TcpListener>,
    /// The admin API and dashboard (`admin.listen`).
    pub admin: Option<TcpListener>,
}

impl Listeners {
    pub async fn bind(listen: &Listen) -> Result<Listeners, BindError> {
        async fn one(
            what: &'static str,
            addr: Option<SocketAddr>,
        ) -> Result<Option<TcpListener>, BindError> {
            match addr {
                None => Ok(None),
                // With a queue for bursts of new clients (`tether_transport::sockets::listen`).
                Some(addr) => tether_transport::sockets::listen(addr)
                    .map(Some)
                    .map_err(|source| BindError { what, addr, source }),
            }
        }
        let dns = match listen.dns {
            None => None,
            Some(addr) => Some(tether_dns::server::bind(addr).await.map_err(|source| {
                let what = "dns";
                BindError { what, addr, source }
            })?),
        };
        Ok(Listeners {
            http: one("http", listen.http).await?,
            https: one("https", listen.https).await?,
            tunnel: one("tunnel", listen.tunnel).await?,
            dns,
            metrics: one("metrics", listen.metrics).await?,
            admin: one("admin", listen.admin).await?,
        })
    }

    pub fn local(listener: &Option<TcpListener>) -> Option<SocketAddr> {
        listener.as_ref().and_then(|l| l.local_addr().ok())
    }
}
