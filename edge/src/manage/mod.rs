//! Managing tunnels and routes: what `edge tunnel …` does, and what the admin API's writes do.
//! One implementation for both, so the CLI over `--api` gives the same results as on the store:
//! the API's handlers call the [`Manager`] the local CLI calls, and the answers ([`views`]) are
//! what both print.
//!
//! May use: `state`, `tls` (the CA, which credentials and enrollment tokens pin), `policy` (to
//! check a route's policy: its keys and CAs), `acme` (which names get a certificate, and when
//! it renews), and the leaves.

mod certificates;
pub mod policy;
mod routes;
pub use routes::TcpOptions;
mod tokens;
pub use tokens::{AdminTokenView, Created, TokenView, ADMIN_TOKEN_TTL, TOKEN_TTL};
mod tunnels;
pub mod views;

use crate::config::EdgeConfig;
use crate::state::{State, StateError};

/// The operations, on the store `state` over the edge.yml `config` describes.
#[derive(Clone)]
pub struct Manager {
    pub config: EdgeConfig,
    pub state: State,
}

impl Manager {
    pub fn new(config: EdgeConfig, state: State) -> Manager {
        Manager { config, state }
    }
}

/// Why an operation failed, and whose fault that is: the admin API answers with the matching
/// status, the CLI prints the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ManageError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot work as asked (a bad hostname, port 0, …): 400.
    Invalid,
    /// No such tunnel or route: 404.
    NotFound,
    /// It collides with what exists (a taken name, hostname or port): 409.
    Conflict,
    /// The store did not answer: 503.
    Unavailable,
    /// Something of ours failed: 500.
    Internal,
}

impl ErrorKind {
    /// The code the admin API's JSON errors carry.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }
}

impl ManageError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ManageError {
        ManageError {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> ManageError {
        ManageError::new(ErrorKind::Invalid, message)
    }
}

impl From<StateError> for ManageError {
    fn from(e: StateError) -> ManageError {
        let kind = match &e {
            StateError::Store(_) => ErrorKind::Unavailable,
            StateError::NoSuchTunnel(_)
            | StateError::NoSuchRoute(_)
            | StateError::NoSuchToken(_)
            | StateError::NoSuchAdminToken(_) => ErrorKind::NotFound,
            StateError::NameTaken(_)
            | StateError::IdTaken(_)
            | StateError::HostnameTaken(..)
            | StateError::PortTaken(..)
            | StateError::WouldDropToken(_)
            | StateError::PolicyOnPort(_)
            | StateError::AmbiguousToken(_)
            | StateError::AmbiguousAdminToken(_) => ErrorKind::Conflict,
            StateError::BadHostname(..) => ErrorKind::Invalid,
            StateError::Corrupt(..) => ErrorKind::Internal,
        };
        ManageError::new(kind, e.to_string())
    }
}

impl From<crate::tls::ca::CaError> for ManageError {
    fn from(e: crate::tls::ca::CaError) -> ManageError {
        ManageError::new(ErrorKind::Internal, e.to_string())
    }
}
