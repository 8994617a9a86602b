//! The sweep over every kind of stream: bodies and byte streams reset by `send-timeout`, the
//! per-client cap counted across kinds, and `max-stalled-memory` relieved from the address that
//! holds the most.

use super::*;
use futures_util::FutureExt;
use http_body_util::BodyExt;

fn limits(send_timeout: Duration) -> StreamLimits {
    StreamLimits {
        send_timeout,
        ..crate::config::DEFAULT_STREAM_LIMITS
    }
}

fn was_reset(watch: &PipeWatch) -> bool {
    watch.reset().now_or_never().is_some()
}

#[tokio::test]
async fn a_body_left_unread_is_reset_and_one_being_read_is_not() {
    let stalls = Stalls::default();
    let metrics = EdgeMetrics::default();
    let client: IpAddr = "127.0.0.2".parse().unwrap();
    let chunks = || {
        let frames = (0..3).map(|_| Ok::<_, BoxError>(Frame::data(Bytes::from("x"))));
        http_body_util::StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync()
    };
    let mut read = stalls.watch(chunks(), (uuid::Uuid::nil(), client), None);
    let mut unread = stalls.watch(chunks(), (uuid::Uuid::nil(), client), None);
    assert!(unread.frame().await.unwrap().is_ok());
    assert!(read.frame().await.unwrap().is_ok());
    std::thread::sleep(Duration::from_millis(30));
    // `read` is asked again (its server still reads); `unread` is not.
    assert!(read.frame().await.unwrap().is_ok());
    stalls.sweep_with(&limits(Duration::from_millis(20)), &metrics, None);
    assert!(read.frame().await.unwrap().is_ok());
    assert!(
        read.frame().await.is_none(),
        "the read body runs to its end"
    );
    assert!(
        unread.frame().await.unwrap().is_err(),
        "the unread body was reset"
    );
}

#[test]
fn a_byte_stream_left_unread_is_reset_and_one_moving_is_not() {
    let stalls = Stalls::default();
    let metrics = EdgeMetrics::default();
    let client: IpAddr = "127.0.0.2".parse().unwrap();
    let unread = stalls.watch_pipe(uuid::Uuid::nil(), client);
    let moving = stalls.watch_pipe(uuid::Uuid::nil(), client);
    unread.clock().waiting_since(Duration::from_millis(30));
    moving.clock().waiting_since(Duration::from_millis(30));
    moving.clock().moving();
    stalls.sweep_with(&limits(Duration::from_millis(20)), &metrics, None);
    assert!(was_reset(&unread));
    assert!(!was_reset(&moving));
}

/// `heavy` streams from one address and one from another, each on the tunnel `tunnel` gives,
/// left unread for [`PRESSED_AFTER`].
fn left_unread(
    stalls: &Stalls,
    heavy: usize,
    tunnel: impl Fn() -> uuid::Uuid,
) -> (Vec<PipeWatch>, PipeWatch) {
    let (heavy_address, light_address): (IpAddr, IpAddr) =
        ("127.0.1.1".parse().unwrap(), "127.0.2.1".parse().unwrap());
    let heavy_streams: Vec<PipeWatch> = (0..heavy)
        .map(|_| stalls.watch_pipe(tunnel(), heavy_address))
        .collect();
    let light_stream = stalls.watch_pipe(tunnel(), light_address);
    for watch in heavy_streams.iter().chain([&light_stream]) {
        watch.clock().waiting_since(PRESSED_AFTER);
    }
    (heavy_streams, light_stream)
}

#[test]
fn over_max_stalled_memory_the_address_holding_the_most_is_reset_first() {
    // A budget of its own, none of it lent: the process's is shared with the other tests.
    static BUDGET: GrowthBudget = GrowthBudget::new(0);
    let stalls = Stalls::with_budget(&BUDGET);
    let metrics = EdgeMetrics::default();
    // Each on a tunnel of its own: the memory limit is the edge's, across tunnels and kinds.
    let (heavy_streams, light_stream) = left_unread(&stalls, 3, uuid::Uuid::new_v4);
    // Room for two stalled streams at their starting window (half the limit).
    let limits = StreamLimits {
        max_stalled_memory: 4 * u64::from(STREAM_WINDOW_START),
        ..limits(Duration::from_secs(60))
    };
    stalls.sweep_with(&limits, &metrics, None);
    assert!(heavy_streams.iter().all(was_reset));
    assert!(
        !was_reset(&light_stream),
        "one address's streams were enough"
    );
}

#[test]
fn a_spent_growth_budget_resets_stalled_streams_while_it_stays_spent() {
    static BUDGET: GrowthBudget = GrowthBudget::new(0);
    let stalls = Stalls::with_budget(&BUDGET);
    let metrics = EdgeMetrics::default();
    let tunnel = uuid::Uuid::new_v4();
    let (heavy_streams, light_stream) = left_unread(&stalls, 2, || tunnel);
    let moving = stalls.watch_pipe(tunnel, "127.0.2.1".parse().unwrap());
    // Three stalled streams are far from what their starting windows may pin...
    let limits = StreamLimits {
        max_stalled_memory: 64 << 20,
        ..limits(Duration::from_secs(60))
    };
    stalls.sweep_with(&limits, &metrics, None);
    assert!(!heavy_streams.iter().any(was_reset) && !was_reset(&light_stream));
    // ...but grown windows have spent the budget (half of max-stalled-memory), and resetting
    // these byte streams gives nothing back before their tasks end: all stalled ones go.
    assert!(BUDGET.borrow(31 << 20));
    stalls.sweep_with(&limits, &metrics, None);
    assert!(heavy_streams.iter().all(was_reset) && was_reset(&light_stream));
    assert!(
        !was_reset(&moving),
        "a stream not waiting on its client stays"
    );
}

#[test]
fn over_the_kernels_low_mark_the_address_holding_the_most_is_reset_first() {
    static BUDGET: GrowthBudget = GrowthBudget::new(0);
    let stalls = Stalls::with_budget(&BUDGET);
    let metrics = EdgeMetrics::default();
    let tunnel = uuid::Uuid::new_v4();
    let (heavy_streams, light_stream) = left_unread(&stalls, 3, || tunnel);
    // Far under max-stalled-memory: only the kernel's figures make this sweep reset anything.
    let limits = limits(Duration::from_secs(60));
    let at = |pages| TcpMemory {
        pages,
        low: 800,
        pressure: 1_000,
    };
    stalls.sweep_with(&limits, &metrics, Some(at(800)));
    assert!(!heavy_streams.iter().any(was_reset) && !was_reset(&light_stream));
    // 30% over the target: one of the four stalled streams is due; the heavy address goes.
    stalls.sweep_with(&limits, &metrics, Some(at(1_000)));
    assert!(heavy_streams.iter().all(was_reset));
    assert!(
        !was_reset(&light_stream),
        "one address's streams were enough"
    );
}
