//! Why a request to the ACME CA failed, in words a person can act on, and whether it is the CA's
//! verdict. The HTTP client's own message (`client error (Connect)`) names no cause: the cause is
//! further down its chain of sources, as a TLS alert, an `io::Error` or a resolver's failure.

use std::error::Error as StdError;
use std::io;

use rustls::{CertificateError, Error as TlsError};

/// ACME problem types that are the CA's verdict on the order (RFC 8555 §6.7): retrying within
/// minutes changes nothing, so they wait `order-interval` (and its doubling).
const VERDICTS: &[&str] = &[
    "rateLimited",
    "rejectedIdentifier",
    "unsupportedIdentifier",
    "unauthorized",
    "caa",
    "dns",
    "connection",
    "incorrectResponse",
    "tls",
    "badCSR",
    "externalAccountRequired",
    "userActionRequired",
];

/// Whether `problem` is the CA's verdict (a failed validation, a refused name, a rate limit)
/// rather than a passing failure (`serverInternal`, `badNonce`, a 5xx).
pub fn is_verdict(problem: &instant_acme::Problem) -> bool {
    let kind = problem.r#type.as_deref().unwrap_or_default();
    let kind = kind.rsplit(':').next().unwrap_or_default();
    VERDICTS.contains(&kind) && problem.status.is_none_or(|s| s < 500)
}

/// `error` with the cause its chain holds named first, e.g. `the CA's HTTPS certificate has an
/// unknown issuer: list its root in tls.acme.ca-roots (client error (Connect))`.
pub fn described(error: &instant_acme::Error) -> String {
    let text = error.to_string();
    match cause(error) {
        Some(cause) => format!("{cause} ({text})"),
        None => text,
    }
}

/// The first cause in `error`'s chain that names what to do.
fn cause(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<TlsError>() {
            return Some(tls_cause(tls));
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            // An io::Error's source skips the error it wraps: look at that one first.
            if let Some(found) = io.get_ref().and_then(|inner| cause(inner)) {
                return Some(found);
            }
            if let Some(found) = io_cause(io) {
                return Some(found);
            }
        }
        // hyper-util's connector says only "dns error" above the resolver's own message.
        if e.to_string() == "dns error" {
            let detail = e.source().map(|s| format!(": {s}")).unwrap_or_default();
            return Some(format!("the CA's host name does not resolve{detail}; check tls.acme.directory and this host's resolver"));
        }
        next = e.source();
    }
    None
}

fn tls_cause(tls: &TlsError) -> String {
    let fix = "list the root of the CA's HTTPS certificate in tls.acme.ca-roots";
    match tls {
        TlsError::InvalidCertificate(CertificateError::UnknownIssuer) => {
            format!("the CA's HTTPS certificate has an unknown issuer: {fix}")
        }
        TlsError::InvalidCertificate(CertificateError::Other(other))
            if other.to_string().contains("CaUsedAsEndEntity") =>
        {
            "the CA's HTTPS server presents a CA certificate as its own (CaUsedAsEndEntity): give the server a certificate issued by that CA, and list the CA in tls.acme.ca-roots".into()
        }
        TlsError::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the CA's HTTPS certificate is not valid for the host in tls.acme.directory".into(),
        TlsError::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the CA's HTTPS certificate has expired".into(),
        other => format!("TLS with the CA failed: {other}"),
    }
}

fn io_cause(io: &io::Error) -> Option<String> {
    let what = match io.kind() {
        io::ErrorKind::ConnectionRefused => {
            "the CA refused the connection (is it running, at the port in tls.acme.directory?)"
        }
        io::ErrorKind::TimedOut => "connecting to the CA timed out",
        io::ErrorKind::ConnectionReset => "the CA reset the connection",
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            "the CA's host is unreachable"
        }
        _ => return None,
    };
    Some(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(kind: &str, status: u16) -> instant_acme::Problem {
        serde_json::from_value(serde_json::json!({
            "type": format!("urn:ietf:params:acme:error:{kind}"), "status": status
        }))
        .unwrap()
    }

    #[test]
    fn verdicts_wait_and_passing_failures_do_not() {
        assert!(is_verdict(&problem("rateLimited", 429)));
        assert!(is_verdict(&problem("rejectedIdentifier", 400)));
        assert!(is_verdict(&problem("incorrectResponse", 403)));
        assert!(!is_verdict(&problem("serverInternal", 500)));
        assert!(!is_verdict(&problem("badNonce", 400)));
        assert!(!is_verdict(&problem("connection", 503)));
    }

    #[test]
    fn the_cause_is_found_under_the_clients_message() {
        #[derive(Debug, thiserror::Error)]
        #[error("client error (Connect)")]
        struct Client(#[source] io::Error);
        let refused = Client(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"));
        let error = instant_acme::Error::Other(Box::new(refused));
        let text = described(&error);
        assert!(text.starts_with("the CA refused the connection"), "{text}");
        assert!(text.ends_with("(client error (Connect))"), "{text}");
        let tls = io::Error::new(
            io::ErrorKind::InvalidData,
            TlsError::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let error = instant_acme::Error::Other(Box::new(Client(tls)));
        assert!(described(&error).starts_with("the CA's HTTPS certificate has an unknown issuer"));
        #[derive(Debug, thiserror::Error)]
        #[error("dns error")]
        struct Dns(#[source] io::Error);
        let unresolved = Dns(io::Error::other("failed to lookup address information"));
        let error = instant_acme::Error::Other(Box::new(Client(io::Error::other(unresolved))));
        let text = described(&error);
        assert!(
            text.starts_with("the CA's host name does not resolve: failed to lookup"),
            "{text}"
        );
    }
}
