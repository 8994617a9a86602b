use super::*;

fn memory(pages: u64) -> TcpMemory {
    TcpMemory {
        pages,
        low: 800,
        pressure: 1_000,
    }
}

/// `n` streams of `client`; with `waited`, each has had data waiting on the edge for
/// [`STALLED_AFTER`].
fn stalled(stalls: &SiteStalls, client: &str, n: usize, waited: bool) -> Vec<StreamWatch> {
    (0..n)
        .map(|_| {
            let watch = stalls.watch(Some(client.parse().unwrap()), Backpressure::default());
            if waited {
                watch.clock().waiting_since(STALLED_AFTER);
            }
            watch
        })
        .collect()
}

fn reset(watches: &[StreamWatch]) -> usize {
    watches.iter().filter(|w| w.0.cancel.is_cancelled()).count()
}

#[test]
fn under_the_low_mark_nothing_is_reset() {
    let stalls = SiteStalls::default();
    let many = stalled(&stalls, "192.0.2.1", 40, true);
    assert_eq!(stalls.relieve(memory(800)), 0);
    assert_eq!(reset(&many), 0);
}

#[test]
fn a_stream_waiting_as_long_as_the_edge_waits_is_left_to_the_edge() {
    let stalls = SiteStalls::default();
    let slowed = stalls.watch(Some("192.0.2.9".parse().unwrap()), Backpressure::default());
    slowed.clock().waiting_since(tcp_memory::SHED_AFTER);
    assert_eq!(stalls.relieve(memory(1_000)), 0);
    assert_eq!(reset(std::slice::from_ref(&slowed)), 0);
}

#[test]
fn over_it_the_address_holding_the_most_goes_first() {
    let stalls = SiteStalls::default();
    let most = stalled(&stalls, "192.0.2.1", 40, true);
    let few = stalled(&stalls, "192.0.2.2", 4, true);
    let v6 = stalled(&stalls, "2001:db8::1", 20, true);
    let v6_same_64 = stalled(&stalls, "2001:db8::2", 20, true);
    let moving = stalled(&stalls, "192.0.2.1", 5, false);
    // 1,000 pages against a target of 700: 30% of the 124 stalled streams, 38, are due. The
    // /64 holding 40 (two addresses of 20) is as large a holder as 192.0.2.1: one of the two
    // loses its 40.
    assert_eq!(stalls.relieve(memory(1_000)), 40);
    let first = reset(&most) + reset(&v6) + reset(&v6_same_64);
    assert_eq!(first, 40, "one of the two largest holders");
    assert_eq!(reset(&few), 0, "the smallest holder keeps its streams");
    assert_eq!(reset(&moving), 0, "a stream that moves is never reset");
    // The figures still count what is on its way out: nothing more now.
    assert_eq!(stalls.relieve(memory(1_000)), 0);
    // More came meanwhile: the next sweep takes the other large holder.
    assert_eq!(stalls.relieve(memory(1_400)), 40);
    assert_eq!(reset(&most) + reset(&v6) + reset(&v6_same_64), 80);
    assert_eq!(reset(&few), 0);
}

#[test]
fn a_stream_waiting_less_than_a_second_is_not_stalled() {
    let stalls = SiteStalls::default();
    let fresh = stalled(&stalls, "192.0.2.1", 10, false);
    for watch in &fresh {
        watch.clock().waiting();
    }
    assert_eq!(stalls.relieve(memory(2_000)), 0);
    assert_eq!(reset(&fresh), 0);
}

#[test]
fn a_wait_while_the_session_could_not_send_is_not_the_clients() {
    let stalls = SiteStalls::default();
    let congested = Backpressure::default();
    let slowed = stalls.watch(Some("192.0.2.9".parse().unwrap()), congested.clone());
    let stalled = stalls.watch(Some("192.0.2.10".parse().unwrap()), Backpressure::default());
    slowed
        .clock()
        .waiting_since(STALLED_AFTER + Duration::from_secs(1));
    stalled.clock().waiting_since(STALLED_AFTER);
    // A sweep under the low mark notes where the session stood; it could not send for 2 s since.
    assert_eq!(stalls.relieve(memory(700)), 0);
    congested.waited_for(Duration::from_secs(2));
    assert_eq!(
        stalls.relieve(memory(1_000)),
        1,
        "only the one on a session that sends"
    );
    assert_eq!(reset(std::slice::from_ref(&slowed)), 0);
    assert_eq!(reset(std::slice::from_ref(&stalled)), 1);
}
