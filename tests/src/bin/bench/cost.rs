//! What a path costs, not only how fast it goes: the CPU time each process on the path spends
//! per request, and the machine's load around each scenario. All from /proc: a process's
//! `utime + stime` (`/proc/PID/stat`), the load generator's from this process's `cutime +
//! cstime` (the CPU of children it has waited for; the generators run to completion one at a
//! time), and `/proc/loadavg`.

use std::process::Command;

use anyhow::Context;

/// The processes of one path, by role: e.g. ("nginx", [master, worker]), ("edge", [pid]).
pub type Roles = Vec<(&'static str, Vec<u32>)>;

/// The role name under which the load generator's CPU is reported.
pub const GENERATOR: &str = "load generator";
/// The role name of the sum over every process of the path.
pub const ALL: &str = "all processes";

/// CPU ticks counted since [`Cost::start`], turned into µs per request by [`Cost::per_request`].
pub struct Cost {
    roles: Roles,
    before: Vec<u64>,
    generator: u64,
}

impl Cost {
    pub fn start(roles: Roles) -> anyhow::Result<Cost> {
        let before = roles
            .iter()
            .map(|(_, pids)| ticks(pids))
            .collect::<anyhow::Result<_>>()?;
        Ok(Cost {
            roles,
            before,
            generator: children_ticks()?,
        })
    }

    /// (role, µs of CPU per request) for the load generator, each role, and all of them.
    pub fn per_request(self, requests: u64) -> anyhow::Result<Vec<(&'static str, f64)>> {
        let micros_per_tick = 1e6 / clock_ticks_per_second()?;
        let per = |ticks: u64| ticks as f64 * micros_per_tick / requests.max(1) as f64;
        let mut out = vec![(GENERATOR, per(children_ticks()? - self.generator))];
        for ((role, pids), before) in self.roles.iter().zip(self.before) {
            out.push((role, per(ticks(pids)?.saturating_sub(before))));
        }
        let all = out.iter().map(|(_, v)| v).sum();
        out.push((ALL, all));
        Ok(out)
    }
}

/// The fields of `/proc/PID/stat` after the command name (which may hold spaces), so index 0 is
/// field 3 (`state`) of proc(5).
fn stat_fields(pid: &str) -> anyhow::Result<Vec<u64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("no /proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').context("no command name")?.1;
    Ok(after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect())
}

/// Fields 14 and 15 (utime, stime) summed over `pids`.
fn ticks(pids: &[u32]) -> anyhow::Result<u64> {
    let mut sum = 0;
    for pid in pids {
        let f = stat_fields(&pid.to_string())?;
        sum += f.get(11).context("short stat")? + f.get(12).context("short stat")?;
    }
    Ok(sum)
}

/// Fields 16 and 17 (cutime, cstime) of this process: its waited-for children.
fn children_ticks() -> anyhow::Result<u64> {
    let f = stat_fields("self")?;
    Ok(f.get(13).context("short stat")? + f.get(14).context("short stat")?)
}

/// `getconf CLK_TCK`, asked once.
fn clock_ticks_per_second() -> anyhow::Result<f64> {
    static TICKS: std::sync::OnceLock<Option<f64>> = std::sync::OnceLock::new();
    let ticks = TICKS.get_or_init(|| {
        let out = Command::new("getconf").arg("CLK_TCK").output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    });
    ticks.context("getconf CLK_TCK printed no number")
}

/// The CPU seconds `pids` have used so far.
pub fn cpu_seconds(pids: &[u32]) -> anyhow::Result<f64> {
    Ok(ticks(pids)? as f64 / clock_ticks_per_second()?)
}

/// `pid` and its children (nginx's master and its workers).
pub fn with_children(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let (Ok(child), Ok(fields)) = (name.parse::<u32>(), stat_fields(&name)) {
            // Field 4, ppid.
            if fields.get(1) == Some(&u64::from(pid)) {
                pids.push(child);
            }
        }
    }
    pids
}

/// The 1, 5 and 15-minute load averages, as `/proc/loadavg` prints them.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}
