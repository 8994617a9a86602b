//! Steady HTTP load through one or more edges, counting every success and every failure, as
//! the lifecycle tests (rolling restarts, an edge killed or drained) need.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use http::Request;

use crate::client::{full, try_connect_http1};

/// The edges the load goes to; worker `i` connects to `edges[i % len]` each time it (re)connects.
/// A test changes them as DNS would, e.g. once an edge is gone ([`Targets::set`]), or moves
/// every worker over at once ([`Targets::move_to`]).
#[derive(Clone)]
pub struct Targets(Arc<RwLock<(Vec<SocketAddr>, u64)>>);

impl Targets {
    pub fn new(edges: &[SocketAddr]) -> Targets {
        Targets(Arc::new(RwLock::new((edges.to_vec(), 0))))
    }

    /// New connections go to `edges`; open ones stay where they are.
    pub fn set(&self, edges: &[SocketAddr]) {
        self.0.write().unwrap().0 = edges.to_vec();
    }

    /// Every worker goes to `edges` from its next request on: its open connection is closed
    /// after the request in flight (clients that resolved the name again before the old edge
    /// goes; a test of the new edge needs no HTTP/1.1 race of a request sent on a kept-alive
    /// connection just as the old edge closes it).
    pub fn move_to(&self, edges: &[SocketAddr]) {
        let mut targets = self.0.write().unwrap();
        targets.0 = edges.to_vec();
        targets.1 += 1;
    }

    fn pick(&self, worker: usize) -> (SocketAddr, u64) {
        let targets = self.0.read().unwrap();
        (targets.0[worker % targets.0.len()], targets.1)
    }

    fn generation(&self) -> u64 {
        self.0.read().unwrap().1
    }
}

/// One failed request: the edge it went to, and what happened.
#[derive(Debug, Clone)]
pub struct Failure {
    pub edge: SocketAddr,
    pub what: String,
}

/// Steady load through the edge: `workers` keep-alive HTTP/1.1 connections, each sending one
/// request after another, every second one to `/slow` so some are always in flight, and every
/// third a POST with a body. Counts successes, and every failure: a non-2xx status or a
/// transport error.
pub struct Load {
    ok: Arc<AtomicU64>,
    failures: Arc<std::sync::Mutex<Vec<Failure>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    started: Instant,
}

impl Load {
    pub fn start(targets: Targets, host: &'static str, workers: usize) -> Load {
        let ok = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..workers)
            .map(|worker| {
                let (ok, failures, stop) = (ok.clone(), failures.clone(), stop.clone());
                let targets = targets.clone();
                tokio::spawn(async move {
                    let mut conn = None;
                    let (mut edge, mut generation) = targets.pick(worker);
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        // A connection the server closed is not used again, as browsers do not;
                        // nor one the targets moved away from.
                        let closed = conn
                            .as_ref()
                            .is_some_and(|c: &crate::client::Conn| c.is_closed());
                        if closed || generation != targets.generation() {
                            conn = None;
                        }
                        if conn.is_none() {
                            (edge, generation) = targets.pick(worker);
                            match try_connect_http1(edge).await {
                                Ok(c) => conn = Some(c),
                                Err(e) => {
                                    let what = format!("connect: {e}");
                                    failures.lock().unwrap().push(Failure { edge, what });
                                    // The next try goes where the targets say by then.
                                    tokio::task::yield_now().await;
                                    continue;
                                }
                            }
                        }
                        let Some(c) = conn.as_mut() else { continue };
                        n += 1;
                        let path = if n.is_multiple_of(2) { "/slow" } else { "/" };
                        let (method, body) = if n.is_multiple_of(3) {
                            ("POST", "a body the origin reads")
                        } else {
                            ("GET", "")
                        };
                        let req = Request::builder()
                            .method(method)
                            .uri(path)
                            .header("host", host)
                            .body(full(body))
                            .unwrap();
                        match c.send(req).await {
                            Ok(resp) if resp.status().is_success() => {
                                let body = http_body_util::BodyExt::collect(resp.into_body()).await;
                                match body {
                                    Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                                    Err(e) => {
                                        failures.lock().unwrap().push(Failure {
                                            edge,
                                            what: format!("body: {e}"),
                                        });
                                        conn = None;
                                        continue;
                                    }
                                };
                            }
                            Ok(resp) => {
                                let status = resp.status();
                                let body = http_body_util::BodyExt::collect(resp.into_body())
                                    .await
                                    .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                                    .unwrap_or_default();
                                let what =
                                    format!("{status}: {}", body.lines().next().unwrap_or(""));
                                failures.lock().unwrap().push(Failure { edge, what });
                            }
                            Err(e) => {
                                failures.lock().unwrap().push(Failure {
                                    edge,
                                    what: format!("error: {e}"),
                                });
                                conn = None;
                            }
                        }
                    }
                })
            })
            .collect();
        Load {
            ok,
            failures,
            stop,
            tasks,
            started: Instant::now(),
        }
    }

    /// Stops the load; returns (successes, requests per second, failures).
    pub async fn finish(self) -> (u64, f64, Vec<Failure>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        let ok = self.ok.load(Ordering::Relaxed);
        let rate = ok as f64 / self.started.elapsed().as_secs_f64();
        let failures = self.failures.lock().unwrap().clone();
        (ok, rate, failures)
    }

    pub fn succeeded(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }
}
