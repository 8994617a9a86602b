//! Certificates over ACME (RFC 8555) for the routed hostnames: which names and by which
//! challenge ([`names`]), when ([`schedule`]), the account ([`client`]), one order ([`order`]),
//! what it leaves in the name's record ([`outcome`], [`issued`]) and the loop that places them
//! ([`manager`]), one edge per name by a lock in the store ([`lock`]).
//! Serving what is ordered, and answering TLS-ALPN-01, is `tls::acme_certs`; HTTP-01 is
//! answered by `public::proxy`, DNS-01 by the DNS from the store (`state::dns_source`).
//!
//! May use: `state`, and the leaves.

pub mod cause;
pub mod client;
pub mod issued;
pub mod lock;
pub mod manager;
pub mod names;
pub mod order;
pub mod outcome;
pub mod schedule;

pub use manager::Manager;

/// Why an order did not give a certificate. The text goes into the name's record, the log and
/// `edge cert list`.
#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    /// The CA answered with a problem, or could not be reached (the cause named first).
    #[error("{}", cause::described(.0))]
    Acme(#[from] instant_acme::Error),
    /// The CA refused a challenge, an authorization or the order.
    #[error("{0}")]
    Refused(String),
    /// Something on this side: the store, a key, the HTTP client.
    #[error("{0}")]
    Setup(String),
    /// The CA took the order but did not finish it in time: a validation may have run (and
    /// counted against the CA's limits), so it waits as a verdict does.
    #[error("{0}")]
    Unfinished(String),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

impl AcmeError {
    /// Whether this is the CA's verdict (a failed validation, a refused name, a rate limit),
    /// retried after `order-interval`; anything else (the CA unreachable, untrusted, or failing
    /// for a moment; the store) is retried within minutes.
    pub fn is_verdict(&self) -> bool {
        match self {
            AcmeError::Refused(_) | AcmeError::Unfinished(_) => true,
            // instant-acme gave up polling a validation or an issuance the CA was running.
            AcmeError::Acme(instant_acme::Error::Timeout(_)) => true,
            AcmeError::Acme(instant_acme::Error::Api(problem)) => cause::is_verdict(problem),
            _ => false,
        }
    }
}
