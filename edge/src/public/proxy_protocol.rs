//! The PROXY protocol (v1 text, v2 binary) from the load balancers in `proxy-protocol.trusted`:
//! the header a balancer puts before the client's bytes names the real client, which then
//! stands for the connection everywhere (connection counts, request rates, `client-ip-rules`,
//! forwarding headers, the access log). Only a trusted peer's header is read; anybody else's is
//! the first bytes of a request, which fails. A trusted peer may also send no header (a health
//! check): its own address stands then.
//!
//! The bytes are peeked before they are taken, so nothing after the header is consumed: TLS and
//! HTTP read the stream from the client's first byte on. ppp parses the header.

use std::net::SocketAddr;
use std::time::Duration;

use ppp::v1::Addresses as V1;
use ppp::v2::{Addresses as V2, Command};
use ppp::{HeaderResult, PartialResult};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

const V1_PREFIX: &[u8] = b"PROXY ";
const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";
/// A v1 header is at most 107 bytes; a v2 one is 16 plus its addresses and TLVs, which
/// balancers keep well under this.
const MAX_HEADER: usize = 1024;
/// How long a header may take to arrive whole.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// While the first bytes cannot tell a header from a request yet ("P" could be "POST"), peek
/// again after this; only a client that sends its first bytes one by one waits.
const PEEK_AGAIN: Duration = Duration::from_millis(5);

#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("the PROXY protocol header is malformed")]
    Malformed,
    #[error("the PROXY protocol header did not arrive in time")]
    Timeout,
    #[error("reading the PROXY protocol header: {0}")]
    Io(#[from] std::io::Error),
}

/// The client `tcp` carries for the trusted balancer `peer`: the source address of its header,
/// or `peer` itself when there is no header or it says LOCAL / UNKNOWN.
pub async fn client_of(tcp: &mut TcpStream, peer: SocketAddr) -> Result<SocketAddr, HeaderError> {
    match tokio::time::timeout(HEADER_TIMEOUT, read_header(tcp, peer)).await {
        Ok(result) => result,
        Err(_) => Err(HeaderError::Timeout),
    }
}

async fn read_header(tcp: &mut TcpStream, peer: SocketAddr) -> Result<SocketAddr, HeaderError> {
    let mut buf = vec![0u8; MAX_HEADER];
    loop {
        let n = tcp.peek(&mut buf).await?;
        match parse(&buf[..n], n == MAX_HEADER) {
            Parsed::NoHeader => return Ok(peer),
            Parsed::Incomplete => tokio::time::sleep(PEEK_AGAIN).await,
            Parsed::Malformed => return Err(HeaderError::Malformed),
            Parsed::Header { len, client } => {
                // Take exactly the header; the client's own bytes stay for TLS and HTTP.
                tcp.read_exact(&mut buf[..len]).await?;
                return Ok(client.unwrap_or(peer));
            }
        }
    }
}

/// What the first bytes of a connection say.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Not a PROXY header (or nothing at all): the connection's own bytes.
    NoHeader,
    /// The start of a header; more must come.
    Incomplete,
    Malformed,
    /// A header of `len` bytes; `client` is the source it names (none for LOCAL or UNKNOWN).
    Header {
        len: usize,
        client: Option<SocketAddr>,
    },
}

/// Reads a PROXY v1 or v2 header at the start of `seen`, the bytes peeked so far; `full` when
/// no more fit in the peek buffer. Pure, so the fuzzer can drive it (`tests/fuzz`).
pub fn parse(seen: &[u8], full: bool) -> Parsed {
    let n = seen.len();
    let starts = |prefix: &[u8]| prefix.starts_with(&seen[..n.min(prefix.len())]);
    if n == 0 || !starts(V1_PREFIX) && !starts(V2_SIGNATURE) {
        return Parsed::NoHeader;
    }
    let parsed = HeaderResult::parse(seen);
    // A v1 header ends at its CRLF: what is missing before it will never come.
    let v1_ended = seen.starts_with(V1_PREFIX) && seen.windows(2).any(|w| w == b"\r\n");
    if parsed.is_incomplete() && !v1_ended {
        return match full {
            true => Parsed::Malformed,
            false => Parsed::Incomplete,
        };
    }
    let (len, client) = match parsed {
        HeaderResult::V1(Ok(h)) => (h.header.len(), v1_source(&h.addresses)),
        HeaderResult::V2(Ok(h)) => (h.len(), v2_source(h.command, &h.addresses)),
        _ => return Parsed::Malformed,
    };
    if len > n {
        return Parsed::Malformed;
    }
    Parsed::Header { len, client }
}

fn v1_source(addresses: &V1) -> Option<SocketAddr> {
    match addresses {
        V1::Tcp4(a) => Some(SocketAddr::new(a.source_address.into(), a.source_port)),
        V1::Tcp6(a) => Some(SocketAddr::new(a.source_address.into(), a.source_port)),
        V1::Unknown => None,
    }
}

fn v2_source(command: Command, addresses: &V2) -> Option<SocketAddr> {
    match (command, addresses) {
        (Command::Proxy, V2::IPv4(a)) => {
            Some(SocketAddr::new(a.source_address.into(), a.source_port))
        }
        (Command::Proxy, V2::IPv6(a)) => {
            Some(SocketAddr::new(a.source_address.into(), a.source_port))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    async fn through(first: &[u8]) -> (Result<SocketAddr, HeaderError>, Vec<u8>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, peer) = listener.accept().await.unwrap();
        client.write_all(first).await.unwrap();
        client.shutdown().await.unwrap();
        let found = client_of(&mut server, peer).await;
        let mut rest = Vec::new();
        server.read_to_end(&mut rest).await.unwrap();
        (found, rest)
    }

    #[tokio::test]
    async fn v1_and_v2_headers_name_the_client_and_leave_the_rest() {
        let (found, rest) = through(b"PROXY TCP4 203.0.113.7 10.0.0.1 4000 443\r\nGET /").await;
        assert_eq!(found.unwrap(), "203.0.113.7:4000".parse().unwrap());
        assert_eq!(rest, b"GET /");

        let addresses: V2 = (
            "[2001:db8::7]:4001".parse::<SocketAddr>().unwrap(),
            "[2001:db8::1]:443".parse::<SocketAddr>().unwrap(),
        )
            .into();
        let mut v2 = ppp::v2::Builder::with_addresses(
            ppp::v2::Version::Two | ppp::v2::Command::Proxy,
            ppp::v2::Protocol::Stream,
            addresses,
        )
        .build()
        .unwrap();
        v2.extend_from_slice(b"\x16\x03\x01");
        let (found, rest) = through(&v2).await;
        assert_eq!(found.unwrap(), "[2001:db8::7]:4001".parse().unwrap());
        assert_eq!(rest, b"\x16\x03\x01");
    }

    #[tokio::test]
    async fn no_header_keeps_the_peer_and_every_byte_and_a_bad_one_is_refused() {
        let (found, rest) = through(b"POST / HTTP/1.1\r\n").await;
        assert!(found.unwrap().ip().is_loopback());
        assert_eq!(rest, b"POST / HTTP/1.1\r\n");
        let (found, _) = through(b"PROXY TCP4 not-an-address\r\n").await;
        assert!(matches!(found, Err(HeaderError::Malformed)));
    }
}
