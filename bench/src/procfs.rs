//! What the benchmark reads about a process from `/proc`: CPU seconds (utime + stime from
//! `/proc/<pid>/stat`) and resident memory (VmRSS and VmHWM from `/proc/<pid>/status`), plus
//! resetting the peak (`5` into `/proc/<pid>/clear_refs`) so each workload sees its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;

/// A process whose CPU and memory are measured.
#[derive(Debug, Clone, Copy)]
pub struct Proc {
    pub pid: u32,
    /// Clock ticks per second (`getconf CLK_TCK`).
    ticks_per_sec: f64,
}

impl Proc {
    pub fn new(pid: u32) -> Self {
        Self {
            pid,
            ticks_per_sec: clock_ticks(),
        }
    }

    /// User plus system CPU seconds used so far.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let path = format!("/proc/{}/stat", self.pid);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        let ticks =
            parse_stat_cpu_ticks(&text).with_context(|| format!("{path} does not parse"))?;
        Ok(ticks as f64 / self.ticks_per_sec)
    }

    /// `(VmRSS, VmHWM)` in bytes.
    pub fn rss(&self) -> anyhow::Result<(u64, u64)> {
        let path = format!("/proc/{}/status", self.pid);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        let rss = status_kib(&text, "VmRSS:").context("no VmRSS")?;
        let hwm = status_kib(&text, "VmHWM:").context("no VmHWM")?;
        Ok((rss * 1024, hwm * 1024))
    }

    /// Resets VmHWM to the current RSS (Linux ≥ 4.0); false when the kernel refuses.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    /// Samples VmRSS every `every` until the returned guard is dropped; the guard holds the
    /// highest value seen (a fallback for kernels that refuse `clear_refs`).
    pub fn sample_rss(&self, every: Duration) -> RssSampler {
        let peak = Arc::new(AtomicU64::new(0));
        let proc = *self;
        let seen = Arc::clone(&peak);
        let task = tokio::spawn(async move {
            loop {
                if let Ok((rss, _)) = proc.rss() {
                    seen.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(every).await;
            }
        });
        RssSampler { peak, task }
    }
}

/// A running RSS sampler (see [`Proc::sample_rss`]).
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    /// Stops sampling and returns the highest RSS seen, in bytes.
    pub fn finish(self) -> u64 {
        self.task.abort();
        self.peak.load(Ordering::Relaxed)
    }
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2)
/// is in parentheses and may hold spaces, so fields are counted after its closing `)`.
fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    // After `)`: field 3 (state) is index 0, so utime (14) is index 11, stime (15) index 12.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The value in KiB of a `Name:   123 kB` line of `/proc/<pid>/status`.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// `getconf CLK_TCK`, or 100 (Linux's USER_HZ) when getconf is missing. Read through getconf
/// because calling `sysconf` needs `unsafe`, which the workspace forbids.
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cpu_ticks_skip_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (tokio (x) 1) S 1 4242 4242 0 -1 4194560 2513 0 0 0 170 31 0 0 20 0 3 0";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(201));
        assert_eq!(parse_stat_cpu_ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn status_values_are_read_in_kib() {
        let status = "Name:\tmultistore\nVmHWM:\t   18132 kB\nVmRSS:\t   15604 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(15604));
        assert_eq!(status_kib(status, "VmHWM:"), Some(18132));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn this_process_uses_cpu_and_memory() {
        let me = Proc::new(std::process::id());
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(me.cpu_seconds().unwrap() >= 0.0);
        let (rss, hwm) = me.rss().unwrap();
        assert!(rss > 0 && hwm >= rss);
    }
}
