//! `connector enroll TOKEN --out DIR`: redeems an enrollment token at the edge it names. The
//! edge is verified against the CA pin in the token (no trust on first use), the key pair is made
//! here and only its public half is sent, and the credentials file written holds the edge's CA
//! for later runs. `connector token` turns a credentials file into a run token.

use std::path::{Path, PathBuf};

use clap::Args;
use ed25519_dalek::SigningKey;
use http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tether_proto::credentials::Credentials;
use tether_proto::enroll::{EnrollRequest, EnrollResponse, EnrollmentToken, RunToken, ENROLL_PATH};

use tether_transport::dial::Dialer;

use crate::session::edge_dialer;

#[derive(Args, Debug)]
pub struct Enroll {
    /// The token `edge tunnel token NAME` printed.
    pub token: String,
    /// Where to write the credentials file (`DIR/UUID.json`).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

/// Redeems the token and writes the credentials; returns the file's path.
pub async fn enroll(args: Enroll) -> anyhow::Result<PathBuf> {
    // Whether it has expired is the edge's to say: this machine's clock may be off.
    let token = EnrollmentToken::decode(&args.token)?;
    let tls = token.edge.trust().client_config(&[b"http/1.1"])?;
    let target = edge_dialer(
        &token.edge.address,
        &token.edge.server_name,
        tls,
        "enrollment",
    )
    .map_err(|e| anyhow::anyhow!("the token's edge address: {e}"))?;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let request = EnrollRequest {
        tunnel_id: token.tunnel_id,
        secret: token.secret.clone(),
        public_key: Credentials::encode_public_key(&key),
    };
    let answer = post(&target, &request).await?;
    if answer.tunnel_id != token.tunnel_id {
        anyhow::bail!(
            "the edge answered for another tunnel ({})",
            answer.tunnel_id
        );
    }
    let credentials = Credentials {
        tunnel_id: answer.tunnel_id,
        tunnel_name: answer.tunnel_name,
        private_key: Credentials::encode_key(&key),
        edge: token.edge.address.clone(),
        server_name: answer.server_name,
        edge_ca: answer.edge_ca,
    };
    if let Some(pin) = &token.edge.ca_pin {
        // What the file pins from now on must be the CA the token pinned (and not nothing,
        // which would fall back to the system roots).
        let sent = credentials
            .edge_ca
            .as_deref()
            .map(tether_proto::trust::ca_pin_of_pem);
        if !matches!(sent, Some(Ok(p)) if &p == pin) {
            anyhow::bail!("the edge did not send the CA the token pins");
        }
    }
    let path = args.out.join(format!("{}.json", credentials.tunnel_id));
    write_private(&path, &serde_json::to_vec_pretty(&credentials)?)?;
    Ok(path)
}

/// One HTTP/1.1 POST of the request over TLS 1.3 to the edge.
async fn post(target: &Dialer, request: &EnrollRequest) -> anyhow::Result<EnrollResponse> {
    // A connection that is not a session: TLS, then one HTTP/1.1 exchange.
    let tls = target.tls().await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| anyhow::anyhow!("HTTP with {} failed: {e}", target.address))?;
    tokio::spawn(connection);
    let host = target.url_host();
    let req = Request::post(ENROLL_PATH)
        .header(header::HOST, host)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(bytes::Bytes::from(serde_json::to_vec(request)?)))?;
    let response =
        tokio::time::timeout(std::time::Duration::from_secs(30), sender.send_request(req))
            .await
            .map_err(|_| anyhow::anyhow!("{} did not answer within 30s", target.address))?
            .map_err(|e| anyhow::anyhow!("enrollment request to {} failed: {e}", target.address))?;
    let status = response.status();
    let body = Limited::new(response.into_body(), 1 << 20)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("reading the edge's answer: {e}"))?
        .to_bytes();
    if status != StatusCode::OK {
        let reason = String::from_utf8_lossy(&body).trim().to_string();
        anyhow::bail!("the edge refused the enrollment ({status}): {reason}");
    }
    serde_json::from_slice(&body)
        .map_err(|e| anyhow::anyhow!("the edge's answer is not an enrollment response: {e}"))
}

/// `connector token --credentials-file F`: the run token for `connector run --token` or
/// `TUNNEL_TOKEN`.
pub fn run_token(credentials_file: &Path) -> anyhow::Result<String> {
    let credentials = Credentials::load(credentials_file)?;
    Ok(RunToken::from_credentials(&credentials)?.encode())
}

/// Writes the credentials: mode 0600, atomically, never through a symlink.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    tether_runtime::private::write_private(path, bytes)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}
