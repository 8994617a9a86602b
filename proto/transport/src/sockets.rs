//! Options on the TCP sockets of public clients and origins: listening with a queue deep enough
//! for bursts, an abort that the far end sees as a reset (also after the connection was handed
//! away: [`AbortableTcp`]), keepalive, and a bound on what the kernel holds unsent for a client.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;

/// Connections a listener's kernel queue holds before the process accepts them (the kernel caps
/// it at `net.core.somaxconn`, 4096 by default). Rust's standard library asks for 128, which a
/// burst of a few hundred new clients overflows: each dropped handshake costs its client a
/// retransmission a second later. nginx asks for 511, Go for `somaxconn`.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listening TCP socket on `addr` with [`LISTEN_BACKLOG`], and `SO_REUSEADDR` as the standard
/// library sets it (a restarted process binds again while old connections linger).
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Aborts a TCP connection: with `SO_LINGER` 0 the close sends RST instead of FIN, which is how
/// the far end learns that the connection on the other side of the tunnel was reset, not closed.
/// The close discards what the kernel has not sent yet: for a reset that follows bytes the
/// peer must get ([`crate::splice`]), use [`abort_tcp_after_sent`].
pub fn abort_tcp(tcp: tokio::net::TcpStream) {
    let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
    drop(tcp);
}

/// The longest an abort waits for the kernel to send what was written before it.
pub const SEND_BEFORE_ABORT: Duration = Duration::from_secs(1);

/// [`abort_tcp`] once the kernel has sent everything written to `tcp` (at most
/// [`SEND_BEFORE_ABORT`] later, on a task of its own), so the RST does not overtake it.
pub fn abort_tcp_after_sent(tcp: tokio::net::TcpStream) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(async move {
                sent(&tcp, SEND_BEFORE_ABORT).await;
                abort_tcp(tcp);
            });
        }
        Err(_) => abort_tcp(tcp),
    }
}

/// Waits (at most `limit`) until the kernel holds nothing unsent for `tcp`: with
/// `TCP_NOTSENT_LOWAT` 1 the socket is writable only then, and a fresh registration of a
/// duplicate of it reports that state (the stream's own readiness is cached).
pub async fn sent(tcp: &tokio::net::TcpStream, limit: Duration) {
    let sock = socket2::SockRef::from(tcp);
    if sock.set_tcp_notsent_lowat(1).is_err() {
        return;
    }
    let Ok(dup) = tcp.as_fd().try_clone_to_owned() else {
        return;
    };
    let Ok(watched) = tokio::net::TcpStream::from_std(std::net::TcpStream::from(dup)) else {
        return;
    };
    let _ = tokio::time::timeout(limit, watched.writable()).await;
}

/// TCP keepalive, so a peer that vanished behind a NAT or firewall (or a sleeping laptop) is
/// noticed instead of pinning its stream for ever. Zero turns it off.
pub fn keepalive(tcp: &tokio::net::TcpStream, every: Duration) {
    if every.is_zero() {
        return;
    }
    let ka = socket2::TcpKeepalive::new()
        .with_time(every)
        .with_interval(every);
    let _ = socket2::SockRef::from(tcp).set_tcp_keepalive(&ka);
}

/// What the kernel may hold unsent for a public client (`TCP_NOTSENT_LOWAT`): data in flight
/// on the network is not counted, so a distant fast client loses nothing, but a client that
/// stops reading can no longer make the socket take megabytes. Without it Linux grows the send
/// buffer of even a 4 KiB-window client to 4 MiB: each such stream took ~3 MB from the tunnel
/// at full speed before it stalled and looked like a fast reader (its receive window grew): in
/// the noisy-neighbour benchmark 256 such downloads from 16 addresses made a 4 MiB download
/// beside them 100× slower; with this limit, 1.0×.
pub const CLIENT_UNSENT: u32 = 128 << 10;

/// What the kernel may hold unsent for a client connecting while the machine is short of TCP
/// memory ([`crate::pressed_window`]). A stream's data is seen waiting on its client only once
/// the socket takes no more, so at 128 KiB each unread download drew its starting window plus
/// that through the tunnel before the sweeps could see it (12,288 of them: 1.7 GiB); at 16 KiB,
/// a few tens of KiB. A client far away loses nothing (data in flight is not counted), only
/// the edge writes more often.
pub const CLIENT_UNSENT_PRESSED: u32 = 16 << 10;

/// The unsent limit for a client connecting now: [`CLIENT_UNSENT_PRESSED`] while the machine
/// is short of TCP memory, [`CLIENT_UNSENT`] otherwise.
pub fn unsent_limit(short: bool) -> u32 {
    if short {
        CLIENT_UNSENT_PRESSED
    } else {
        CLIENT_UNSENT
    }
}

/// Applies [`unsent_limit`] to a public client's connection (Linux; elsewhere nothing).
pub fn limit_unsent(tcp: &tokio::net::TcpStream) {
    limit_unsent_to(
        tcp,
        unsent_limit(crate::pressed_window::SHORTAGE.is_short()),
    );
}

fn limit_unsent_to(tcp: &tokio::net::TcpStream, limit: u32) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = socket2::SockRef::from(tcp).set_tcp_notsent_lowat(limit);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (tcp, limit);
}

/// The segment size the connector announces to its origins (`TCP_MAXSEG`): an Ethernet link's,
/// so nothing changes for an origin across a standard network (a 1,500-byte MTU; over jumbo
/// frames the segments shrink to this too). Over loopback Linux sizes a new
/// connection's send buffer from the segment size before a byte has moved: 4 MiB (the
/// `tcp_wmem` ceiling) for a 64 KiB segment, 1.4–2 MB for 1,460 bytes (Linux 6.18, cubic or
/// BBR). An origin on the connector's own machine queues that much for every download whose
/// public client stopped reading: in the noisy-neighbour benchmark the origin's sockets held
/// most of the machine's TCP memory (1.5 of 1.8 GiB), and past `tcp_mem`'s pressure mark Linux
/// throttles every socket, the tunnel's sessions with them. Loopback carries 64 KiB packets all
/// the same (segmentation offload): bulk throughput through the tunnel did not change.
pub const ORIGIN_MSS: u32 = 1460;

/// Connects to an origin announcing [`ORIGIN_MSS`], trying each address `addr` resolves to in
/// turn as `TcpStream::connect` does.
pub async fn dial_origin(
    addr: impl tokio::net::ToSocketAddrs,
) -> io::Result<tokio::net::TcpStream> {
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        };
        // As `TcpStream::connect`: an address family the machine lacks (IPv6 disabled) is one
        // more failed address, not the end.
        let connected = match socket {
            Ok(socket) => {
                announce_mss(&socket, ORIGIN_MSS);
                socket.connect(addr).await
            }
            Err(e) => Err(e),
        };
        match connected {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the name resolved to no address",
        )
    }))
}

fn announce_mss(socket: &TcpSocket, mss: u32) {
    #[cfg(unix)]
    let _ = socket2::SockRef::from(socket).set_tcp_mss(mss);
    #[cfg(not(unix))]
    let _ = (socket, mss);
}

/// A TCP connection whose close can be turned into a reset after it has been handed away (to
/// hyper, which hands an upgraded connection back only behind a private wrapper): the edge
/// turns the switch for an HTTP/1.1 connection whose response or WebSocket it resets, so its
/// client sees a reset and the kernel drops what it still held unsent at once. A plain close would queue that in an orphaned socket
/// for minutes behind a client that reads nothing.
pub struct AbortableTcp {
    tcp: tokio::net::TcpStream,
    abort: AbortSwitch,
}

/// Turns an [`AbortableTcp`]'s close into a reset, and tells whoever holds the connection to
/// let go of it.
#[derive(Clone, Debug, Default)]
pub struct AbortSwitch(CancellationToken, Arc<AtomicBool>);

impl AbortSwitch {
    /// Reset at once: what the kernel holds unsent is dropped (a client that stopped reading).
    pub fn abort_on_close(&self) {
        self.0.cancel();
    }

    /// Reset once the kernel has sent what was written before ([`abort_tcp_after_sent`]): a
    /// reset passed on from the other side of the tunnel.
    pub fn abort_after_sent(&self) {
        self.1.store(true, Ordering::Relaxed);
        self.0.cancel();
    }

    /// Resolves once the switch is turned: the holder should drop the connection (hyper, for
    /// one, waits for ever to flush a cut response to a client that reads nothing).
    pub async fn aborted(&self) {
        self.0.cancelled().await
    }
}

impl AbortableTcp {
    pub fn new(tcp: tokio::net::TcpStream) -> (AbortableTcp, AbortSwitch) {
        let abort = AbortSwitch::default();
        (
            AbortableTcp {
                tcp,
                abort: abort.clone(),
            },
            abort,
        )
    }
}

impl Drop for AbortableTcp {
    fn drop(&mut self) {
        if !self.abort.0.is_cancelled() {
            return;
        }
        if self.abort.1.load(Ordering::Relaxed) {
            // The stream is gone with the connection; its socket lives on until sent.
            if let Ok(std) = self.tcp.as_fd().try_clone_to_owned() {
                if let Ok(tcp) = tokio::net::TcpStream::from_std(std::net::TcpStream::from(std)) {
                    let _ = socket2::SockRef::from(&self.tcp).set_linger(None);
                    return abort_tcp_after_sent(tcp);
                }
            }
        }
        let _ = socket2::SockRef::from(&self.tcp).set_linger(Some(Duration::ZERO));
    }
}

impl AsyncRead for AbortableTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for AbortableTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;
    use tokio::net::TcpSocket;

    /// Writes to `tcp` until the kernel takes no more; the bytes it took.
    fn fill(tcp: &tokio::net::TcpStream) -> usize {
        let chunk = vec![7u8; 64 << 10];
        let mut total = 0;
        while let Ok(n) = tcp.try_write(&chunk) {
            total += n;
        }
        total
    }

    #[tokio::test]
    async fn a_burst_of_connections_waits_in_the_queue_not_for_a_retransmission() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        // Nothing accepts: every handshake must complete into the queue at once.
        let mut connecting = tokio::task::JoinSet::new();
        for _ in 0..300 {
            connecting.spawn(tokio::time::timeout(
                Duration::from_millis(500),
                tokio::net::TcpStream::connect(addr),
            ));
        }
        let mut held = Vec::new();
        while let Some(done) = connecting.join_next().await {
            let connected = done
                .unwrap()
                .expect("a handshake waited for a retransmission");
            held.push(connected.unwrap());
        }
        assert_eq!(held.len(), 300);
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_gets_little_more_than_the_unsent_limit() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut took = Vec::new();
        for limit in [None, Some(CLIENT_UNSENT), Some(CLIENT_UNSENT_PRESSED)] {
            let client = TcpSocket::new_v4().unwrap();
            client.set_recv_buffer_size(4096).unwrap();
            let _client = client.connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            if let Some(limit) = limit {
                limit_unsent_to(&server, limit);
            }
            took.push(fill(&server));
        }
        let (unlimited, limited, pressed) = (took[0], took[1], took[2]);
        assert!(
            limited <= 2 * CLIENT_UNSENT as usize,
            "a non-reading client's socket took {limited} bytes"
        );
        assert!(unlimited > 4 * limited, "{unlimited} vs {limited}");
        assert!(
            pressed <= 2 * CLIENT_UNSENT_PRESSED as usize,
            "while short, a non-reading client's socket took {pressed} bytes"
        );
    }

    #[tokio::test]
    async fn an_origin_queues_a_fraction_for_a_connector_that_stops_reading() {
        let origin = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = origin.local_addr().unwrap();
        let _plain = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (to_plain, _) = origin.accept().await.unwrap();
        let plain = fill(&to_plain);
        let _announced = dial_origin(format!("localhost:{}", addr.port()))
            .await
            .unwrap();
        let (to_announced, _) = origin.accept().await.unwrap();
        let announced = fill(&to_announced);
        // 4.2 MB against 2.1 (BBR) or 1.4 (cubic) on Linux 6.18.
        assert!(
            announced * 3 / 2 < plain,
            "the origin queued {announced} bytes, against {plain} without the MSS announced"
        );
    }

    #[tokio::test]
    async fn an_origin_that_is_not_listening_is_an_error() {
        let closed = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let refused = dial_origin(addr).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    }
}
