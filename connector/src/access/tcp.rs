//! `connector access tcp`: the client side of access sessions, run on a user's machine. One TLS
//! WebSocket session to the edge's public HTTPS port (reserved path `/.well-known/tether/access`,
//! optional bearer token), HTTP/2 over it with this side as the client, and one CONNECT stream
//! per TCP connection: from a local listener (`--url`) or from stdin/stdout (ssh's
//! `ProxyCommand`). Half-close and aborts travel as for public TCP ports.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use http::{Method, Request, StatusCode};
use tether_proto::handshake::{ACCESS_PATH, ACCESS_SUBPROTOCOL};
use tether_transport::dial::Dialer;
use tether_transport::liveness::{Heard, Liveness, Pulse};
use tether_transport::session_io::SessionIo;
use tether_transport::sockets::{abort_tcp, abort_tcp_after_sent};
use tether_transport::splice::{splice, Ended, Pipe};
use tether_transport::tuning;
use tether_transport::wsstream::WsStream;
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

#[derive(clap::Args, Debug)]
pub struct AccessTcp {
    /// The hostname routed to the TCP service (`edge tunnel route tcp TUNNEL HOSTNAME`);
    /// cloudflared's `https://HOSTNAME` form is accepted.
    #[arg(long, visible_alias = "tunnel-host", short = 'T', value_parser = hostname)]
    pub hostname: String,
    /// Listen here and carry each connection (e.g. localhost:2222, 127.0.0.1:2222 or
    /// tcp://localhost:2222); without it, carry one connection over stdin/stdout, as ssh's
    /// ProxyCommand wants.
    #[arg(long, visible_alias = "listener", short = 'L', value_name = "ADDR", value_parser = listen_address)]
    pub url: Option<SocketAddr>,
    /// The edge's HTTPS address (default: HOSTNAME:443).
    #[arg(long, value_name = "HOST:PORT")]
    pub edge: Option<String>,
    /// PEM file of the CA that signs the edge's certificate (default: the system roots).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Access token, for routes created with --require-token.
    #[arg(long, env = "TETHER_ACCESS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A header sent with every connection, for a route's policy at the edge, e.g.
    /// `--header "Authorization: Basic …"` or `--header "Authorization: Bearer JWT"`; repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

/// A flag of `connector access tcp` that does not read as what it names.
#[derive(Debug, thiserror::Error)]
enum BadFlag {
    #[error("`{0}` is not a hostname; write e.g. ssh.example.com")]
    Hostname(String),
    #[error("`{0}` is not a listening address; write e.g. localhost:2222 or 127.0.0.1:2222")]
    ListenAddress(String),
}

/// `--hostname`: a bare name, or a URL of it as cloudflared's docs write it.
fn hostname(value: &str) -> Result<String, BadFlag> {
    let name = without_scheme(value);
    if name.is_empty() || name.contains(['/', ' ']) {
        return Err(BadFlag::Hostname(value.to_string()));
    }
    Ok(name.to_ascii_lowercase())
}

/// `value` without a leading `scheme://` or trailing `/` (cloudflared's URL forms of a flag).
fn without_scheme(value: &str) -> &str {
    let rest = value.split_once("://").map_or(value, |(_, rest)| rest);
    rest.trim_end_matches('/')
}

/// `--url`: `HOST:PORT` where HOST is an IP address or `localhost`, with or without a scheme
/// (cloudflared's `tcp://localhost:2222`).
fn listen_address(value: &str) -> Result<SocketAddr, BadFlag> {
    let address = without_scheme(value);
    if let Some(port) = address.strip_prefix("localhost:") {
        if let Ok(port) = port.parse::<u16>() {
            return Ok((std::net::Ipv4Addr::LOCALHOST, port).into());
        }
    }
    address
        .parse()
        .map_err(|_| BadFlag::ListenAddress(value.to_string()))
}

/// One access session, opened on first use and again whenever it has died.
struct AccessClient {
    target: Dialer,
    hostname: String,
    token: Option<String>,
    /// Sent on every stream, for the route's policy.
    headers: http::HeaderMap,
    session: Mutex<Option<Session>>,
}

/// An open access session: where streams are opened, and the task driving the connection.
struct Session {
    sender: SendRequest<Bytes>,
    driver: JoinHandle<()>,
}

/// How long opening a stream may take, session set-up included, before the connection fails.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the stdio mode waits, after its connection ended, for the last bytes to leave.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(args: AccessTcp) -> anyhow::Result<()> {
    let pem = match &args.ca {
        Some(path) => Some(
            tether_runtime::small_file::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read --ca {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let tls = tether_proto::trust::session_client_config(pem.as_deref())?;
    let hostname = args.hostname.trim_end_matches('.').to_ascii_lowercase();
    let address = args
        .edge
        .clone()
        .unwrap_or_else(|| format!("{hostname}:443"));
    let client = Arc::new(AccessClient {
        target: Dialer::new(
            address,
            format!("wss://{hostname}{ACCESS_PATH}"),
            &hostname,
            tls,
            "access session",
        )?,
        hostname,
        token: args.token.clone(),
        headers: headers(&args.headers)?,
        session: Mutex::new(None),
    });
    match args.url {
        None => client.stdio().await,
        Some(addr) => client.listen(addr).await,
    }
}

/// `--header NAME: VALUE` flags as headers.
fn headers(flags: &[String]) -> anyhow::Result<http::HeaderMap> {
    let mut headers = http::HeaderMap::new();
    for flag in flags {
        let parsed = flag.split_once(':').and_then(|(name, value)| {
            let name = http::HeaderName::from_bytes(name.trim().as_bytes()).ok()?;
            Some((name, http::HeaderValue::from_str(value.trim()).ok()?))
        });
        let Some((name, value)) = parsed else {
            anyhow::bail!("--header `{flag}` is not `NAME: VALUE`");
        };
        headers.append(name, value);
    }
    Ok(headers)
}

impl AccessClient {
    /// One connection over stdin/stdout; exits non-zero if it could not open or was aborted.
    async fn stdio(&self) -> anyhow::Result<()> {
        let pipe = self.open().await?;
        let mut io = tokio::io::join(tokio::io::stdin(), tokio::io::stdout());
        let spliced = splice(&mut io, pipe, None, None).await;
        // The last bytes and END_STREAM may still be queued in h2: with the stream and the
        // sender gone the connection flushes them, says GOAWAY and ends; wait for that before
        // the process exits.
        if let Some(Session { sender, driver }) = self.session.lock().await.take() {
            drop(sender);
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, driver).await;
        }
        match spliced.ended {
            Ended::Closed => Ok(()),
            other => anyhow::bail!("the connection through the tunnel was aborted: {other:?}"),
        }
    }

    /// Carries every connection to `addr` until interrupted.
    async fn listen(self: Arc<Self>, addr: SocketAddr) -> anyhow::Result<()> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        // Tests and scripts read this line to know the port is open.
        tracing::info!(
            hostname = self.hostname,
            "listening on tcp {}",
            listener.local_addr()?
        );
        loop {
            let (mut tcp, peer) = listener.accept().await?;
            let client = self.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let pipe = match client.open().await {
                    Ok(pipe) => pipe,
                    Err(e) => {
                        tracing::warn!(%peer, "{e:#}");
                        return abort_tcp(tcp);
                    }
                };
                let spliced = splice(&mut tcp, pipe, None, None).await;
                tracing::debug!(%peer, up = spliced.up, down = spliced.down, ended = ?spliced.ended, "connection closed");
                if let Ended::PeerAborted(_) = spliced.ended {
                    abort_tcp_after_sent(tcp);
                }
            });
        }
    }

    /// Opens a CONNECT stream for the hostname; a refusal becomes an error with the edge's reason.
    async fn open(&self) -> anyhow::Result<Pipe> {
        match tokio::time::timeout(OPEN_TIMEOUT, self.try_open()).await {
            Ok(opened) => opened,
            Err(_) => anyhow::bail!(
                "the edge did not open a stream to {} within {} s",
                self.hostname,
                OPEN_TIMEOUT.as_secs()
            ),
        }
    }

    async fn try_open(&self) -> anyhow::Result<Pipe> {
        let mut sender = self.sender().await?;
        let mut request = Request::builder()
            .method(Method::CONNECT)
            .uri(format!("{}:0", self.hostname))
            .body(())?;
        request.headers_mut().extend(self.headers.clone());
        let (response, send) = sender.send_request(request, false)?;
        let response = response.await?;
        let status = response.status();
        let mut recv = response.into_body();
        if status != StatusCode::OK {
            let mut reason = Vec::new();
            while let Some(Ok(chunk)) = recv.data().await {
                reason.extend_from_slice(&chunk);
            }
            anyhow::bail!(
                "the edge refused {}: {status}: {}",
                self.hostname,
                String::from_utf8_lossy(&reason).trim()
            );
        }
        Ok(Pipe { send, recv })
    }

    /// The session's sender, reconnecting if there is none or it has closed.
    async fn sender(&self) -> anyhow::Result<SendRequest<Bytes>> {
        let mut current = self.session.lock().await;
        if let Some(session) = current.as_ref() {
            if let Ok(ready) = session.sender.clone().ready().await {
                return Ok(ready);
            }
        }
        let session = self.connect().await?;
        let sender = session.sender.clone();
        *current = Some(session);
        Ok(sender.ready().await?)
    }

    async fn connect(&self) -> anyhow::Result<Session> {
        let token = match &self.token {
            Some(token) => Some(http::HeaderValue::from_str(&format!(
                "Bearer {}",
                token.trim()
            ))?),
            None => None,
        };
        let dialled = self
            .target
            .websocket(&[ACCESS_SUBPROTOCOL], |_| {
                let mut headers = http::HeaderMap::new();
                if let Some(token) = token {
                    headers.insert(http::header::AUTHORIZATION, token);
                }
                Ok(headers)
            })
            .await?;
        let ws = dialled.ws;
        let heard = Heard::default();
        let (sender, mut connection) = tuning::h2_client()
            .handshake::<_, Bytes>(SessionIo::new(WsStream::new(ws), heard.clone()))
            .await?;
        // PINGs find a session whose edge went away without a word (network change, sleep).
        let liveness = Liveness::default().watch(connection.ping_pong(), Pulse::default(), heard);
        let driver = tokio::spawn(async move {
            let reason = tokio::select! {
                ended = connection => ended.err().map(|e| e.to_string()),
                reason = liveness => Some(reason),
            };
            tracing::debug!(reason, "access session ended");
        });
        Ok(Session { sender, driver })
    }
}
