//! Load for `scripts/bench-tcp.sh`, which no Debian tool does the way we need:
//! - `tcp_load echo ADDR`: an echo server (prints `listening on ADDR`);
//! - `tcp_load rate ADDR SECONDS CONCURRENCY`: connections opened per second, each one
//!   connect → write 1 byte → read the echo → close; prints `connections/s N errors E`;
//! - `tcp_load hold ADDR N`: opens N connections, checks each echoes one byte, prints `held N`,
//!   then keeps them open until stdin closes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> anyhow::Result<&str> {
        args.get(i).map(String::as_str).ok_or_else(|| {
            anyhow::anyhow!(
                "usage: tcp_load echo ADDR | rate ADDR SECONDS CONCURRENCY | hold ADDR N"
            )
        })
    };
    let _ = rlimit::increase_nofile_limit(65_536);
    let addr: SocketAddr = arg(1)?.parse()?;
    match arg(0)? {
        "echo" => echo(addr).await,
        "rate" => rate(addr, arg(2)?.parse()?, arg(3)?.parse()?).await,
        "hold" => hold(addr, arg(2)?.parse()?).await,
        other => anyhow::bail!("unknown mode {other}"),
    }
}

async fn echo(addr: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (mut tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            let (mut r, mut w) = tcp.split();
            let _ = tokio::io::copy(&mut r, &mut w).await;
        });
    }
}

async fn round_trip(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    tcp.write_all(b"x").await?;
    let mut one = [0u8; 1];
    tcp.read_exact(&mut one).await?;
    Ok(tcp)
}

async fn rate(addr: SocketAddr, seconds: u64, concurrency: usize) -> anyhow::Result<()> {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (done, errors) = (done.clone(), errors.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    match round_trip(addr).await {
                        Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                        Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for w in workers {
        w.await?;
    }
    let n = done.load(Ordering::Relaxed);
    println!(
        "connections/s {} errors {}",
        n / seconds,
        errors.load(Ordering::Relaxed)
    );
    Ok(())
}

async fn hold(addr: SocketAddr, n: usize) -> anyhow::Result<()> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(round_trip(addr).await?);
    }
    println!("held {}", held.len());
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    Ok(())
}
