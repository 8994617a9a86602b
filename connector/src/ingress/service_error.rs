//! Why a rule's `service` (or the TLS settings it is reached with) cannot be used: each failure
//! names the text as written and how to fix it. tunnel.yml's loader places the message on the
//! rule's `service` key, or on the `caPool` key for a CA file that cannot be used.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("`{text}`: `{port}` is not a port; write a number from 1 to 65535, as in {example}")]
    BadPort {
        text: String,
        port: String,
        example: String,
    },
    #[error("`{text}` is not a URL: {why}")]
    NotAUrl { text: String, why: String },
    #[error("`{0}` names no host")]
    NoHost(String),
    #[error("`{text}`: a {scheme}:// service is HOST:PORT only, without a path")]
    TcpWithPath { text: String, scheme: String },
    #[error("`{text}` needs a port: Tether carries a {scheme}:// service as raw TCP, as in {scheme}://{host}:PORT")]
    TcpWithoutPort {
        text: String,
        scheme: String,
        host: String,
    },
    #[error("`{0}`: a service URL cannot have a path; match paths with the rule's `path`")]
    UrlWithPath(String),
    #[error("`{0}`: Tether has no {0} service; give each TCP service a rule of its own (`service: tcp://HOST:PORT`) and reach it with `connector access tcp`")]
    Unsupported(String),
    #[error("`{0}`: http_status needs a status code 100-599")]
    BadStatus(String),
    #[error("`{0}` names no socket path")]
    NoSocketPath(String),
    #[error("`{0}` is not a service Tether knows: use http://, https://, ws://, wss://, unix:, unix+tls:, tcp://HOST:PORT (or any other SCHEME://HOST:PORT, carried as TCP), http_status:NNN or hello_world")]
    Unknown(String),
    /// `caPool` names a file that cannot be read or holds no usable certificate.
    #[error("caPool {}: {why}", .path.display())]
    CaPool { path: PathBuf, why: String },
    /// Neither the system's roots nor `caPool` can check an https origin.
    #[error("{0}")]
    NoRoots(String),
}
