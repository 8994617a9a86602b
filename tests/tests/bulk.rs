//! Multi-gigabyte transfers stream with bounded memory: 2 GiB down and 2 GiB up through the
//! tunnel (HTTPS at the edge), every byte verified against the generator, while the edge's and the
//! connector's resident memory stays under 64 MiB.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use tests::client::{connect, Body, Proto};
use tests::origin;
use tests::tunnel::Setup;

const BLOCK: usize = 1 << 20;
const TOTAL: u64 = 2 << 30;
const RSS_LIMIT_KIB: u64 = 64 * 1024;

/// The content at every offset is known: a fixed pseudo-random block, with each block's first 8
/// bytes replaced by its index, so lost, repeated or reordered data is caught.
struct Pattern {
    block: Vec<u8>,
}

impl Pattern {
    fn new() -> Pattern {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let block = (0..BLOCK)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        Pattern { block }
    }

    fn chunk(&self, index: u64) -> Bytes {
        let mut chunk = self.block.clone();
        chunk[..8].copy_from_slice(&index.to_le_bytes());
        Bytes::from(chunk)
    }

    /// Checks `data`, which starts at stream offset `offset`.
    fn verify(&self, offset: u64, data: &[u8]) -> bool {
        let mut pos = offset;
        let mut rest = data;
        while !rest.is_empty() {
            let in_block = (pos % BLOCK as u64) as usize;
            let n = rest.len().min(BLOCK - in_block);
            let index = (pos / BLOCK as u64).to_le_bytes();
            for (i, byte) in rest[..n].iter().enumerate() {
                let at = in_block + i;
                let want = if at < 8 { index[at] } else { self.block[at] };
                if *byte != want {
                    return false;
                }
            }
            pos += n as u64;
            rest = &rest[n..];
        }
        true
    }

    fn body(self: Arc<Self>) -> Body {
        let stream = futures_util::stream::unfold(0u64, move |i| {
            let pattern = self.clone();
            async move { (i < TOTAL / BLOCK as u64).then(|| (Ok(Frame::data(pattern.chunk(i))), i + 1)) }
        });
        StreamBody::new(stream).boxed_unsync()
    }
}

/// Reads a whole body, verifying it; returns the byte count, or `None` on a mismatch.
async fn read_verified(mut body: Incoming, pattern: &Pattern) -> Option<u64> {
    let mut offset = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.ok()?.into_data() {
            if !pattern.verify(offset, &data) {
                return None;
            }
            offset += data.len() as u64;
        }
    }
    Some(offset)
}

/// Samples both processes' RSS until stopped; returns the peaks.
fn watch_rss(pids: [u32; 2], stop: Arc<AtomicBool>) -> std::thread::JoinHandle<[u64; 2]> {
    let peaks = [AtomicU64::new(0), AtomicU64::new(0)];
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            for (pid, peak) in pids.iter().zip(&peaks) {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                let kib = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                    .unwrap_or(0);
                peak.fetch_max(kib, Ordering::Relaxed);
            }
            // Sampling period of the memory probe, not a wait for readiness.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        [
            peaks[0].load(Ordering::Relaxed),
            peaks[1].load(Ordering::Relaxed),
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gigabytes_each_way_with_bounded_memory() {
    let pattern = Arc::new(Pattern::new());
    let origin_pattern = pattern.clone();
    let addr = origin::serve(move |req: Request<Incoming>| {
        let pattern = origin_pattern.clone();
        async move {
            if req.method() == http::Method::GET {
                let mut r = Response::new(pattern.clone().body());
                r.headers_mut().insert("content-length", TOTAL.into());
                r
            } else {
                match read_verified(req.into_body(), &pattern).await {
                    Some(n) => origin::ok(format!("verified {n}")),
                    None => origin::ok("MISMATCH"),
                }
            }
        }
    })
    .await;
    let s = Setup::new(
        "",
        &["bulk.example.test"],
        &format!("ingress:\n  - service: http://{addr}\n"),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let rss = watch_rss([s.edge.proc.pid(), s.connector.proc.pid()], stop.clone());
    let started = std::time::Instant::now();

    let (mut conn, _) = connect(
        s.edge.addr("https"),
        Some(("bulk.example.test", &s.edge.ca_pem())),
        Proto::Http1,
    )
    .await;
    let req = Request::get("/big")
        .header("host", "bulk.example.test")
        .body(tests::client::full(""))
        .unwrap();
    let response = conn.send(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        read_verified(response.into_body(), &pattern).await,
        Some(TOTAL),
        "download corrupted"
    );
    let down = started.elapsed();

    let req = Request::post("/big")
        .header("host", "bulk.example.test")
        .header("content-length", TOTAL)
        .body(pattern.clone().body())
        .unwrap();
    let response = conn.send(req).await.unwrap();
    let text = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    assert_eq!(text, format!("verified {TOTAL}"), "upload corrupted");
    let up = started.elapsed() - down;

    stop.store(true, Ordering::Relaxed);
    let [edge_peak, connector_peak] = rss.join().unwrap();
    eprintln!("2 GiB down in {down:?}, up in {up:?}; peak RSS edge {edge_peak} KiB, connector {connector_peak} KiB");
    assert!(edge_peak > 0 && connector_peak > 0, "RSS was sampled");
    assert!(
        edge_peak < RSS_LIMIT_KIB,
        "edge RSS peaked at {edge_peak} KiB"
    );
    assert!(
        connector_peak < RSS_LIMIT_KIB,
        "connector RSS peaked at {connector_peak} KiB"
    );
}
