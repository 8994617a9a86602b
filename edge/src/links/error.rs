//! Why a link to a peer edge could not be had: the request then tries another peer, or gets the
//! offline page.

use http::StatusCode;
use tether_transport::error::TransportError;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// TCP, TLS or the upgrade to the peer failed.
    #[error("{0}")]
    Transport(#[from] TransportError),
    #[error("HTTP/2 on the link: {0}")]
    Http2(#[from] h2::Error),
    #[error("cannot make the link hello: {0}")]
    Request(#[from] http::Error),
    /// Its last dial failed moments ago: not dialled again yet.
    #[error("its last dial failed moments ago")]
    RecentlyFailed,
    #[error("no answer to the link hello")]
    NoHello,
    #[error("peer answered the link hello {0}")]
    HelloRefused(StatusCode),
    /// A thread panicked holding the links' map.
    #[error("links poisoned")]
    Poisoned,
}
