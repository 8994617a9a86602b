//! A TCP stream (plain CONNECT, RFC 9113 §8.5): connect to the rule's `tcp://`-like service,
//! answer 200, then splice bytes with half-close and aborts carried both ways.
//!
//! Failures before the 200 are answered like HTTP origin failures (`tether-origin-error`), so
//! the edge can log who failed; after it, an origin reset resets the stream with
//! `CONNECT_ERROR`, and a reset from the edge aborts the origin connection with RST.

use std::net::SocketAddr;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{Response, StatusCode};
use ppp::v2::{Builder, Command, Protocol, Version};
use tether_proto::headers::{OriginFailure, CLIENT_ADDR, SERVER_ADDR};
use tether_transport::sockets::{abort_tcp, abort_tcp_after_sent, dial_origin, keepalive};
use tether_transport::splice::{splice, Ended, Pipe, Watch};
use tether_transport::stall::StallClock;
use tokio::net::TcpStream;

use crate::ingress::origin::BoxError;
use crate::ingress::{Service, TcpOrigin};

use super::respond::{answer, origin_failed, request_id, status_only};
use super::stream::Streams;

pub async fn serve(
    parts: http::request::Parts,
    recv: RecvStream,
    mut respond: SendResponse<Bytes>,
    streams: &Streams,
    stall: &StallClock,
) {
    let request_id = request_id(&parts.headers);
    let host = parts.uri.host().unwrap_or_default().to_string();
    let ingress = streams.ingress.load_full();
    // A TCP stream has no path; "/" always decodes.
    let Ok(rule) = ingress.find(&host, "/") else {
        return answer(respond, status_only(StatusCode::BAD_REQUEST)).await;
    };
    let origin = match &rule.service {
        Service::Tcp(origin) => origin.clone(),
        Service::Status(status) => return answer(respond, status_only(*status)).await,
        _ => {
            tracing::warn!(
                request_id,
                host,
                rule = rule.number,
                "TCP stream for a rule that is not a TCP service"
            );
            return answer(respond, status_only(StatusCode::NOT_IMPLEMENTED)).await;
        }
    };
    let mut tcp = match connect(&origin).await {
        Ok(tcp) => tcp,
        Err((failure, e)) => return answer(respond, origin_failed(failure, &request_id, &e)).await,
    };
    if origin.settings.proxy_protocol {
        if let Err(e) = send_proxy_header(&mut tcp, &parts.headers).await {
            let e = e.into();
            return answer(
                respond,
                origin_failed(OriginFailure::Unreachable, &request_id, &e),
            )
            .await;
        }
    }
    let send = match respond.send_response(Response::new(()), false) {
        Ok(send) => send,
        Err(e) => {
            return tracing::debug!(request_id, error = %e, "TCP stream gone before it opened")
        }
    };
    let spliced = splice(
        &mut tcp,
        Pipe { send, recv },
        origin.settings.tcp_idle_timeout,
        Some(Watch::Tunnel(stall)),
    )
    .await;
    match spliced.ended {
        Ended::PeerAborted(_) => abort_tcp_after_sent(tcp),
        Ended::Idle => abort_tcp(tcp),
        _ => {}
    }
    tracing::debug!(request_id, host, origin = origin.address, up = spliced.up, down = spliced.down, ended = ?spliced.ended, "TCP stream closed");
}

async fn connect(origin: &TcpOrigin) -> Result<TcpStream, (OriginFailure, BoxError)> {
    let timeout = origin.settings.connect_timeout;
    let tcp = match tokio::time::timeout(timeout, dial_origin(origin.address.as_str())).await {
        Err(_) => {
            let e = format!("connecting to {} took over {timeout:?}", origin.address);
            return Err((OriginFailure::Timeout, e.into()));
        }
        Ok(Err(e)) => {
            let e = format!("cannot connect to {}: {e}", origin.address);
            return Err((OriginFailure::Unreachable, e.into()));
        }
        Ok(Ok(tcp)) => tcp,
    };
    let _ = tcp.set_nodelay(true);
    // `originRequest.tcpKeepAlive`, 30 s by default.
    keepalive(&tcp, origin.settings.tcp_keep_alive);
    Ok(tcp)
}

/// The PROXY protocol v2 header (haproxy's proxy-protocol.txt §2.2) with the public client's
/// address, from the headers the edge set on the stream.
async fn send_proxy_header(tcp: &mut TcpStream, headers: &http::HeaderMap) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let addr = |name: http::HeaderName| -> Option<SocketAddr> {
        headers.get(name)?.to_str().ok()?.parse().ok()
    };
    let header = match (addr(CLIENT_ADDR), addr(SERVER_ADDR)) {
        (Some(client), Some(server)) => {
            let (client, server) = same_family(client, server);
            Builder::with_addresses(
                Version::Two | Command::Proxy,
                Protocol::Stream,
                (client, server),
            )
            .build()?
        }
        // No addresses (should not happen): LOCAL tells the origin to use the connection's own.
        _ => Builder::with_addresses(
            Version::Two | Command::Local,
            Protocol::Unspecified,
            ppp::v2::Addresses::Unspecified,
        )
        .build()?,
    };
    tcp.write_all(&header).await
}

/// PROXY v2 carries both addresses in one family: an IPv4 one beside IPv6 becomes IPv4-mapped.
fn same_family(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    let v6 = |s: SocketAddr| match s {
        SocketAddr::V4(v4) => SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port()),
        v6 => v6,
    };
    if a.is_ipv4() == b.is_ipv4() {
        (a, b)
    } else {
        (v6(a), v6(b))
    }
}
