//! The machine's memory for TCP: what every socket holds now and the marks of
//! `net.ipv4.tcp_mem`, in pages. Past the pressure mark Linux throttles every TCP socket of the
//! machine (buffers stop growing and shrink toward their minimum) until what they hold is back
//! under the low mark: a tunnel session's throughput falls a hundredfold with the CPUs idle.
//! Both figures are machine-wide, whatever network namespace reads them.
//!
//! Read by hand: two one-line files in /proc, where the `procfs` crate would bring a model of
//! all of /proc for them.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// TCP's memory, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpMemory {
    /// What TCP sockets hold now (`/proc/net/sockstat`, `TCP: … mem N`).
    pub pages: u64,
    /// Below this Linux never throttles (`tcp_mem`'s first value).
    pub low: u64,
    /// Past this it throttles every socket until they hold less than `low` again.
    pub pressure: u64,
}

/// How long a stream must have waited on its reader to be shed while TCP memory is over the
/// low mark, where the reader's socket is seen (the edge; the connector, which sees only the
/// edge's credit, waits longer).
pub const SHED_AFTER: Duration = Duration::from_secs(1);

/// The same past the pressure mark, where Linux throttles every socket already: streams opened
/// at attack speed fill their buffers in milliseconds, and a second's worth of them held
/// gigabytes (1,024 addresses opening 12,288 streams in 23 s kept a machine in pressure).
pub const SHED_UNDER_PRESSURE_AFTER: Duration = Duration::from_millis(250);

/// How often the sweeps that shed look.
pub const SWEEP_EVERY: Duration = Duration::from_millis(250);

impl TcpMemory {
    /// How long a stream must have waited on its reader to be shed now.
    pub fn shed_after(&self) -> Duration {
        if self.pages > self.pressure {
            SHED_UNDER_PRESSURE_AFTER
        } else {
            SHED_AFTER
        }
    }

    /// How many of `stalled` streams to reset now: none under the low mark; past it, their share
    /// of the excess over 7/8 of the low mark, as if they held all of it. If others hold some,
    /// that is fewer than needed, and the next sweep goes on.
    pub fn due(&self, stalled: usize) -> usize {
        if self.pages <= self.low {
            return 0;
        }
        let target = self.low - self.low / 8;
        let excess = (self.pages - target) as f64 / self.pages as f64;
        (stalled as f64 * excess).ceil() as usize
    }
}

/// How long what a sweep shed is taken as not yet freed: a reset frees its buffers at once
/// (the origin's when the reset reaches it), so two sweeps later the figures show it.
const FREED_WITHIN: Duration = Duration::from_millis(500);

/// One process's shedding: what it reset in the last [`FREED_WITHIN`], whose memory the
/// figures may still count. Without it, sweeps four times a second each shed their share again
/// of memory already on its way out, until even a stream slowed only by the throttling went.
#[derive(Default)]
pub struct Shedding {
    /// When, and how many pages the streams reset then were taken to hold.
    recent: Mutex<VecDeque<(Instant, u64)>>,
}

impl Shedding {
    /// How many of `stalled` streams to reset now ([`TcpMemory::due`]), not counting what was
    /// shed lately.
    pub fn due(&self, memory: TcpMemory, stalled: usize) -> usize {
        let pending: u64 = match self.recent.lock() {
            Ok(mut recent) => {
                recent.retain(|(at, _)| at.elapsed() < FREED_WITHIN);
                recent.iter().map(|(_, pages)| pages).sum()
            }
            Err(_) => 0,
        };
        let seen = TcpMemory {
            pages: memory.pages.saturating_sub(pending),
            ..memory
        };
        seen.due(stalled)
    }

    /// `reset` of `stalled` streams were reset with `memory` as read: each taken to hold an
    /// equal share of it.
    pub fn shed(&self, memory: TcpMemory, stalled: usize, reset: usize) {
        if reset == 0 || stalled == 0 {
            return;
        }
        let pages = memory.pages * reset.min(stalled) as u64 / stalled as u64;
        if let Ok(mut recent) = self.recent.lock() {
            recent.push_back((Instant::now(), pages));
        }
    }
}

/// The figures now, or `None` where /proc does not have them (not Linux).
pub fn read() -> Option<TcpMemory> {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let (low, pressure) = match std::fs::read_to_string("/proc/sys/net/ipv4/tcp_mem") {
        Ok(marks) => parse_marks(&marks)?,
        Err(_) => default_marks()?,
    };
    Some(TcpMemory {
        pages: parse_sockstat(&sockstat)?,
        low,
        pressure,
    })
}

/// The marks Linux sets at boot, from the machine's memory: a network namespace other than the
/// host's (any container's) has no `tcp_mem` file, yet the limit, and the sockets of every
/// namespace counted against it, are the machine's. Without this an edge in a container never
/// shed. Linux's `tcp_init_mem` takes 1/16 of the free buffer pages as the pressure mark and
/// 3/4 of that as the low mark; MemTotal is within 1% of those pages (24 GiB: 385,683 against
/// 383,877). A host that tuned `tcp_mem` is not seen from inside: said in docs/security.md.
/// Computed once: the machine's memory does not change under a running process.
fn default_marks() -> Option<(u64, u64)> {
    static MARKS: std::sync::OnceLock<Option<(u64, u64)>> = std::sync::OnceLock::new();
    *MARKS.get_or_init(|| {
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        marks_for(&meminfo, rustix::param::page_size() as u64)
    })
}

/// [`default_marks`] for a `/proc/meminfo` text and a page size in bytes.
fn marks_for(meminfo: &str, page_size: u64) -> Option<(u64, u64)> {
    let total = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = total.split_whitespace().nth(1)?.parse().ok()?;
    let pressure = (kib * 1024 / page_size.max(1) / 16).max(128);
    Some((pressure / 4 * 3, pressure))
}

/// The pages TCP holds, from `/proc/net/sockstat`.
pub fn parse_sockstat(text: &str) -> Option<u64> {
    let tcp = text.lines().find(|l| l.starts_with("TCP:"))?;
    let mut words = tcp.split_whitespace();
    words.find(|w| *w == "mem")?;
    words.next()?.parse().ok()
}

/// The low and pressure marks of `net.ipv4.tcp_mem` ("low pressure high").
fn parse_marks(text: &str) -> Option<(u64, u64)> {
    let mut values = text.split_whitespace().map(|v| v.parse::<u64>().ok());
    Some((values.next()??, values.next()??))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_files() {
        let sockstat = "sockets: used 312\nTCP: inuse 9 orphan 0 tw 3 alloc 12 mem 437120\nUDP: inuse 2 mem 4\n";
        assert_eq!(parse_sockstat(sockstat), Some(437_120));
        assert_eq!(parse_sockstat("UDP: inuse 2 mem 4\n"), None);
        assert_eq!(
            parse_marks("287907\t383877\t575814\n"),
            Some((287_907, 383_877))
        );
        assert_eq!(parse_marks("12\n"), None);
    }

    #[test]
    fn marks_without_the_sysctl_are_linux_defaults() {
        // This machine kind: 24 GiB, whose kernel set `287907 383877 575814`.
        let meminfo = "MemTotal:       24683772 kB\nMemFree:        20120864 kB\n";
        assert_eq!(marks_for(meminfo, 4096), Some((289_260, 385_683)));
        assert_eq!(marks_for(meminfo, 16384), Some((72_315, 96_420)));
        assert_eq!(marks_for("MemFree: 1 kB\n", 4096), None);
    }

    #[test]
    fn what_is_due_is_the_stalled_share_of_the_excess() {
        let at = |pages| TcpMemory {
            pages,
            low: 800,
            pressure: 1_000,
        };
        assert_eq!(at(800).due(100), 0, "at the low mark nothing is due");
        // 1,000 pages, 700 wanted: 30% of the stalled streams.
        assert_eq!(at(1_000).due(100), 30);
        assert_eq!(at(1_000).due(0), 0);
        assert_eq!(at(801).due(1), 1, "over the mark, at least one");
    }

    #[test]
    fn what_was_just_shed_is_not_shed_again() {
        let shedding = Shedding::default();
        let at = |pages| TcpMemory {
            pages,
            low: 800,
            pressure: 1_000,
        };
        assert_eq!(shedding.due(at(1_000), 100), 30);
        shedding.shed(at(1_000), 100, 30);
        // The figures still count the 300 pages on their way out: 700 is the target.
        assert_eq!(shedding.due(at(1_000), 70), 0);
        // More came meanwhile: 900 pages seen, 200 over the target: 2/9 of the 70.
        assert_eq!(shedding.due(at(1_200), 70), 16);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_machine() {
        let now = read().expect("Linux has /proc/net/sockstat and tcp_mem");
        assert!(0 < now.low && now.low < now.pressure, "{now:?}");
    }
}
