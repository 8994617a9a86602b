//! A raw TCP origin whose behaviour each connection chooses with its first byte, so one origin
//! serves every half-close and abort case; and client-side helpers, among them a wait for the
//! far side of a connection to let go of its socket.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the origin does, by the first byte a connection sends:
/// - `A`: reads to EOF, answers `got N` (N bytes after the command) and closes;
/// - `B`: sends `banner` and shuts its write side at once, then reads to EOF and reports
///   `B:<what it read>`;
/// - `C`: sends `ready`, then reads until EOF or error and reports `C:eof` or `C:reset`;
/// - `D`: aborts the connection (RST) at once;
/// - `E`: reports `E:open`, then echoes until EOF and closes;
/// - `F`: counts the bytes up to EOF and answers the count.
pub async fn scenario_origin() -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(scenario(tcp, tx.clone()));
        }
    });
    (addr, rx)
}

async fn scenario(mut tcp: TcpStream, report: mpsc::UnboundedSender<String>) {
    let mut command = [0u8; 1];
    if tcp.read_exact(&mut command).await.is_err() {
        return;
    }
    match command[0] {
        b'A' => {
            let mut rest = Vec::new();
            let _ = tcp.read_to_end(&mut rest).await;
            let _ = tcp
                .write_all(format!("got {}", rest.len()).as_bytes())
                .await;
            let _ = tcp.shutdown().await;
        }
        b'B' => {
            let _ = tcp.write_all(b"banner").await;
            let _ = tcp.shutdown().await;
            let mut rest = Vec::new();
            let outcome = match tcp.read_to_end(&mut rest).await {
                Ok(_) => String::from_utf8_lossy(&rest).into_owned(),
                Err(e) => format!("error {e}"),
            };
            let _ = report.send(format!("B:{outcome}"));
        }
        b'C' => {
            let _ = tcp.write_all(b"ready").await;
            let mut sink = Vec::new();
            let outcome = match tcp.read_to_end(&mut sink).await {
                Ok(_) => "eof".to_string(),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "reset".to_string(),
                Err(e) => format!("error {e}"),
            };
            let _ = report.send(format!("C:{outcome}"));
        }
        b'D' => abort(tcp),
        b'F' => {
            let mut buf = vec![0u8; 256 << 10];
            let mut total = 0u64;
            loop {
                match tcp.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => total += n as u64,
                    Err(_) => return,
                }
            }
            let _ = tcp.write_all(total.to_string().as_bytes()).await;
            let _ = tcp.shutdown().await;
        }
        b'E' => {
            let _ = report.send("E:open".into());
            let (mut r, mut w) = tcp.split();
            let _ = tokio::io::copy(&mut r, &mut w).await;
            let _ = w.shutdown().await;
        }
        _ => {}
    }
}

/// Closes with RST instead of FIN (`SO_LINGER` 0).
pub fn abort(tcp: TcpStream) {
    socket2::SockRef::from(&tcp)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(tcp);
}

/// Waits (bounded) for the origin's next report.
pub async fn next_report(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(crate::READY, rx.recv())
        .await
        .expect("origin report in time")
        .expect("origin running")
}

/// Reads to EOF (bounded by [`crate::READY`]); an abort shows as the error.
pub async fn read_all(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut out = Vec::new();
    tokio::time::timeout(crate::READY, tcp.read_to_end(&mut out))
        .await
        .expect("read in time")?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A TCP origin that echoes every connection until its client closes it.
pub async fn echo() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = tcp.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

/// Whether the kernel still holds an IPv4 TCP socket from `local_port` to `remote_port` (an
/// orphan, once its process has let go of it), from /proc/net/tcp.
pub fn socket_open(local_port: u16, remote_port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let port = |addr: &str| u16::from_str_radix(addr.rsplit(':').next().unwrap(), 16).unwrap();
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        port(fields[1]) == local_port && port(fields[2]) == remote_port
    })
}

/// Waits (up to `crate::READY`) until no socket from `local_port` to any of `remote_ports` is
/// left: the far side aborted those connections rather than leaving them to an orphan.
pub async fn wait_sockets_gone(local_port: u16, remote_ports: &[u16], what: &str) {
    let deadline = std::time::Instant::now() + crate::READY;
    while let Some(port) = remote_ports.iter().find(|p| socket_open(local_port, **p)) {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: the socket to port {port} is still open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
