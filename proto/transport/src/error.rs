//! What went wrong on the way to a peer, or on a session with it: which step failed, whose doing
//! it was, and whether trying again may help (as pingora's errors say where an error came from and
//! whether a retry is safe).

use std::fmt;

/// The step of reaching a peer that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The TCP connection, to the peer or to the proxy.
    Connect,
    /// The proxy's CONNECT (or SOCKS) exchange.
    Proxy,
    /// The TLS handshake with the peer, or exporting its keying material.
    Tls,
    /// The WebSocket upgrade: the request, or the peer's answer to it.
    Upgrade,
    /// The HTTP/2 handshake over the WebSocket.
    Http2,
    /// An open session that ended (the peer went away, or stopped answering PINGs).
    Session,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Connect => "connect",
            Step::Proxy => "proxy",
            Step::Tls => "TLS",
            Step::Upgrade => "WebSocket upgrade",
            Step::Http2 => "HTTP/2",
            Step::Session => "session",
        })
    }
}

/// Whose doing a failure was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The peer (or the network between): unreachable, refused, went silent.
    Peer,
    /// The proxy between us and the peer.
    Proxy,
    /// This side: a setting or input that can never work (a bad URL, name or header).
    Local,
}

/// Whether trying the same thing again may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Yes, after a backoff: the failure may pass (a timeout, a reset, a peer that is busy or
    /// restarting). Nothing was carried yet, so nothing is repeated.
    Safe,
    /// No: the peer refused for good (an unknown tunnel, a revoked key, a wrong proxy password),
    /// or this side's own settings are wrong. Retrying only repeats the refusal.
    Never,
}

/// A failure of the transport: one line for a person (`message`), and what a program needs to
/// decide what to do next.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    pub step: Step,
    pub who: Who,
    pub retry: Retry,
    /// The peer's status when it refused the upgrade.
    pub status: Option<http::StatusCode>,
    message: String,
}

impl TransportError {
    /// A failure that may pass: retry after a backoff.
    pub fn transient(step: Step, who: Who, message: impl Into<String>) -> TransportError {
        TransportError {
            step,
            who,
            retry: Retry::Safe,
            status: None,
            message: message.into(),
        }
    }

    /// A failure that will not pass by itself.
    pub fn permanent(step: Step, who: Who, message: impl Into<String>) -> TransportError {
        TransportError {
            retry: Retry::Never,
            ..TransportError::transient(step, who, message)
        }
    }

    /// This side's own mistake (a bad URL, name or header): never worth a retry.
    pub fn local(step: Step, message: impl Into<String>) -> TransportError {
        TransportError::permanent(step, Who::Local, message)
    }

    /// The peer refused the upgrade with `status`.
    pub fn refused(status: http::StatusCode, retry: Retry, message: String) -> TransportError {
        TransportError {
            step: Step::Upgrade,
            who: Who::Peer,
            retry,
            status: Some(status),
            message,
        }
    }

    pub fn retry_is_safe(&self) -> bool {
        self.retry == Retry::Safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reads_as_its_message_and_keeps_what_a_program_needs() {
        let e = TransportError::transient(Step::Tls, Who::Peer, "TLS handshake with a:1 timed out");
        assert_eq!(e.to_string(), "TLS handshake with a:1 timed out");
        assert!(e.retry_is_safe());
        let bad = TransportError::local(Step::Upgrade, "bad edge URL");
        assert_eq!((bad.who, bad.retry_is_safe()), (Who::Local, false));
        let refused = TransportError::refused(
            http::StatusCode::UNAUTHORIZED,
            Retry::Never,
            "refused".into(),
        );
        assert_eq!(refused.status, Some(http::StatusCode::UNAUTHORIZED));
    }
}
