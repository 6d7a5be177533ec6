//! What a run measured, one [`Row`] per workload, target and round, and where it is written:
//! `results.csv` (every row) and `REPORT.md` (the environment, the targets and the summary
//! from [`crate::summary`]).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::driver::Sample;
use crate::summary;
use crate::workloads::{Mode, Workload};

pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
pub const MIB_F: f64 = 1024.0 * 1024.0;

/// Where a run's requests went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The client straight to the backend.
    Direct,
    /// The client through `multistore serve`.
    Gateway,
}

impl Target {
    pub fn label(self) -> &'static str {
        match self {
            Target::Direct => "D",
            Target::Gateway => "G",
        }
    }
}

/// One measured run.
#[derive(Debug)]
pub struct Row {
    pub round: u32,
    pub workload: &'static Workload,
    pub target: Target,
    pub sample: Sample,
    /// Gateway CPU seconds during the run (G only).
    pub gateway_cpu: Option<f64>,
    /// Gateway RSS just before the run, bytes (G only).
    pub gateway_rss_idle: Option<u64>,
    /// Highest gateway RSS during the run, bytes (G only).
    pub gateway_rss_peak: Option<u64>,
    /// Backend CPU seconds during the run.
    pub backend_cpu: f64,
    /// The 1-minute load average after the run.
    pub load1: f64,
}

impl Row {
    /// Gateway CPU seconds per GiB moved.
    pub fn cpu_per_gib(&self) -> Option<f64> {
        let cpu = self.gateway_cpu?;
        (self.sample.bytes > 0).then(|| cpu / (self.sample.bytes as f64 / GIB))
    }

    /// Gateway CPU seconds per 1,000 requests.
    pub fn cpu_per_1k(&self) -> Option<f64> {
        let cpu = self.gateway_cpu?;
        (self.sample.requests > 0).then(|| cpu / self.sample.requests as f64 * 1000.0)
    }

    /// How far the gateway's RSS rose above where it was before the run, in MiB.
    pub fn rss_rise_mib(&self) -> Option<f64> {
        let (idle, peak) = (self.gateway_rss_idle?, self.gateway_rss_peak?);
        Some(peak.saturating_sub(idle) as f64 / MIB_F)
    }

    /// A progress line.
    pub fn line(&self) -> String {
        let s = &self.sample;
        let mut line = format!(
            "{:<16} {} {:>9.1} req/s {:>8.1} MB/s  p50 {:.3} p99 {:.3} ms",
            self.workload.id,
            self.target.label(),
            s.req_per_sec(),
            s.mb_per_sec(),
            s.latency_ms(0.5),
            s.latency_ms(0.99),
        );
        if let Some(cpu) = self.cpu_per_1k() {
            let _ = write!(line, "  gw {cpu:.3} cpu-s/1k");
        }
        if let Some(cpu) = self.cpu_per_gib() {
            let _ = write!(line, " {cpu:.3} cpu-s/GiB");
        }
        if let Some(rise) = self.rss_rise_mib() {
            let _ = write!(line, " rss +{rise:.1} MiB");
        }
        if s.errors > 0 {
            let _ = write!(line, "  ERRORS {}", s.errors);
        }
        line
    }
}

/// The machine and the versions a run used.
#[derive(Debug)]
pub struct Environment {
    pub started: String,
    pub finished: String,
    pub mode: Mode,
    pub cpu_model: String,
    pub cores: usize,
    pub kernel: String,
    pub load_before: (f64, f64, f64),
    pub load_after: (f64, f64, f64),
    /// `(tool, version)` pairs.
    pub versions: Vec<(String, String)>,
    pub gateway_idle_rss: u64,
    pub gateway_hwm: u64,
}

impl Environment {
    pub fn collect(gateway: &Path, lockfile: Option<&Path>, backend: &str, mode: Mode) -> Self {
        let mut versions = vec![
            (
                "multistore".to_owned(),
                command_line(gateway, &["--version"]),
            ),
            ("backend".to_owned(), backend.to_owned()),
            (
                "rustc".to_owned(),
                command_line(Path::new("rustc"), &["-V"]),
            ),
        ];
        if let Some(lock) = lockfile.and_then(|p| std::fs::read_to_string(p).ok()) {
            for krate in [
                "aws-sdk-s3",
                "hyper",
                "tokio",
                "s3s",
                "s3s-fs",
                "hdrhistogram",
            ] {
                versions.push((krate.to_owned(), locked_versions(&lock, krate)));
            }
        }
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map_or_else(|| "unknown".to_owned(), |m| m.trim().to_owned());
        Self {
            started: now(),
            finished: String::new(),
            mode,
            cpu_model,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            load_before: load_average(),
            load_after: (0.0, 0.0, 0.0),
            versions,
            gateway_idle_rss: 0,
            gateway_hwm: 0,
        }
    }

    pub fn finish(&mut self, gateway_idle_rss: u64, gateway_hwm: u64) {
        self.finished = now();
        self.load_after = load_average();
        self.gateway_idle_rss = gateway_idle_rss;
        self.gateway_hwm = gateway_hwm;
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> (f64, f64, f64) {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text.split_whitespace().map(|v| v.parse().unwrap_or(0.0));
    (
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
    )
}

fn now() -> String {
    command_line(Path::new("date"), &["-u", "+%Y-%m-%d %H:%M:%S UTC"])
}

/// The first line `program args` prints, or `unknown`.
fn command_line(program: &Path, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The versions of `krate` in a Cargo.lock, comma-separated.
fn locked_versions(lock: &str, krate: &str) -> String {
    let wanted = format!("name = \"{krate}\"");
    let mut lines = lock.lines();
    let mut found = Vec::new();
    while let Some(line) = lines.next() {
        if line == wanted
            && let Some(version) = lines.next().and_then(|v| v.strip_prefix("version = "))
        {
            found.push(version.trim_matches('"').to_owned());
        }
    }
    if found.is_empty() {
        "not in Cargo.lock".to_owned()
    } else {
        found.join(", ")
    }
}

/// The CSV header; [`csv_line`] writes the fields in this order.
pub const CSV_HEADER: &str = "round,workload,target,concurrency,requests,errors,bytes,seconds,req_per_s,mb_per_s,p50_ms,p99_ms,p999_ms,gw_cpu_s,gw_cpu_s_per_gib,gw_cpu_s_per_1k_req,gw_rss_idle_mib,gw_rss_peak_mib,backend_cpu_s,load1";

fn csv_line(row: &Row) -> String {
    let s = &row.sample;
    let opt = |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| format!("{v:.digits$}"));
    let mib = |v: Option<u64>| opt(v.map(|b| b as f64 / MIB_F), 1);
    format!(
        "{},{},{},{},{},{},{},{:.3},{:.1},{:.2},{:.3},{:.3},{:.3},{},{},{},{},{},{:.3},{:.2}",
        row.round,
        row.workload.id,
        row.target.label(),
        row.workload.concurrency,
        s.requests,
        s.errors,
        s.bytes,
        s.elapsed.as_secs_f64(),
        s.req_per_sec(),
        s.mb_per_sec(),
        s.latency_ms(0.5),
        s.latency_ms(0.99),
        s.latency_ms(0.999),
        opt(row.gateway_cpu, 3),
        opt(row.cpu_per_gib(), 4),
        opt(row.cpu_per_1k(), 4),
        mib(row.gateway_rss_idle),
        mib(row.gateway_rss_peak),
        row.backend_cpu,
        row.load1,
    )
}

/// Writes `REPORT.md` and `results.csv` into `dir`.
pub fn write(dir: &Path, env: &Environment, rows: &[Row]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut csv = String::from(CSV_HEADER);
    csv.push('\n');
    for row in rows {
        csv.push_str(&csv_line(row));
        csv.push('\n');
    }
    std::fs::write(dir.join("results.csv"), csv)?;
    std::fs::write(dir.join("REPORT.md"), summary::markdown(env, rows))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile_versions_are_found_by_exact_name() {
        let lock = "[[package]]\nname = \"hyper\"\nversion = \"0.14.32\"\n\n[[package]]\nname = \"hyper\"\nversion = \"1.12.0\"\n\n[[package]]\nname = \"hyper-util\"\nversion = \"0.1.21\"\n";
        assert_eq!(locked_versions(lock, "hyper"), "0.14.32, 1.12.0");
        assert_eq!(locked_versions(lock, "hyper-util"), "0.1.21");
        assert_eq!(locked_versions(lock, "tokio"), "not in Cargo.lock");
    }

    #[test]
    fn the_csv_header_and_lines_have_the_same_fields() {
        let row = summary::tests::row("get-4k-c16", Target::Gateway, 1, 1000.0);
        assert_eq!(
            csv_line(&row).split(',').count(),
            CSV_HEADER.split(',').count()
        );
        assert!(csv_line(&row).starts_with("1,get-4k-c16,G,16,"));
    }
}
