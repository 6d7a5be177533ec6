//! The summary of a run: per workload, the medians over rounds for D and G, the G/D ratio of
//! each round (median, min, max), the gateway's CPU and memory; and the targets, each
//! checked against those numbers. Renders `REPORT.md`.

use std::fmt::Write as _;

use crate::report::{Environment, MIB_F, Row, Target};
use crate::workloads::{Client, Kind, Pacing, WORKLOADS};

/// The median, min and max of some values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(mut values: Vec<f64>) -> Option<Self> {
        values.retain(|v| v.is_finite());
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            f64::midpoint(values[n / 2 - 1], values[n / 2])
        };
        Some(Self {
            median,
            min: values[0],
            max: values[n - 1],
        })
    }

    fn show(&self, digits: usize) -> String {
        format!(
            "{:.digits$} ({:.digits$}–{:.digits$})",
            self.median, self.min, self.max
        )
    }
}

/// The rows of one workload and target.
fn rows_of<'a>(rows: &'a [Row], id: &str, target: Target) -> impl Iterator<Item = &'a Row> {
    rows.iter()
        .filter(move |r| r.workload.id == id && r.target == target)
}

fn spread(
    rows: &[Row],
    id: &str,
    target: Target,
    f: impl Fn(&Row) -> Option<f64>,
) -> Option<Spread> {
    Spread::of(rows_of(rows, id, target).filter_map(f).collect())
}

/// G's value over D's value of the same round, for each round.
fn ratios(rows: &[Row], id: &str, f: impl Fn(&Row) -> f64) -> Option<Spread> {
    let values = rows_of(rows, id, Target::Gateway)
        .filter_map(|g| {
            let d = rows_of(rows, id, Target::Direct).find(|d| d.round == g.round)?;
            let dv = f(d);
            (dv > 0.0).then(|| f(g) / dv)
        })
        .collect();
    Spread::of(values)
}

/// G's value minus D's value of the same round, for each round.
fn differences(rows: &[Row], id: &str, f: impl Fn(&Row) -> f64) -> Option<Spread> {
    let values = rows_of(rows, id, Target::Gateway)
        .filter_map(|g| {
            let d = rows_of(rows, id, Target::Direct).find(|d| d.round == g.round)?;
            Some(f(g) - f(d))
        })
        .collect();
    Spread::of(values)
}

/// One of the targets, checked.
struct Check {
    what: &'static str,
    limit: &'static str,
    measured: Option<Spread>,
    unit: &'static str,
    pass: fn(f64) -> bool,
}

fn checks(rows: &[Row]) -> Vec<Check> {
    let rate = |r: &Row| r.sample.req_per_sec();
    let p50 = |r: &Row| r.sample.latency_ms(0.5);
    vec![
        Check {
            what: "64 MiB GET throughput, G/D (`get-64m-c1`)",
            limit: "≥ 0.9",
            measured: ratios(rows, "get-64m-c1", rate),
            unit: "",
            pass: |v| v >= 0.9,
        },
        Check {
            what: "64 MiB PUT throughput, G/D (`put-64m-c1`)",
            limit: "≥ 0.9",
            measured: ratios(rows, "put-64m-c1", rate),
            unit: "",
            pass: |v| v >= 0.9,
        },
        Check {
            what: "4 KiB GET req/s at c=16, G/D (`get-4k-c16`)",
            limit: "≥ 0.7",
            measured: ratios(rows, "get-4k-c16", rate),
            unit: "",
            pass: |v| v >= 0.7,
        },
        Check {
            what: "added p50 latency, 4 KiB GET at 300/s, SDK (`rate-get-4k`)",
            limit: "≤ 0.2 ms",
            measured: differences(rows, "rate-get-4k", p50),
            unit: " ms",
            pass: |v| v <= 0.2,
        },
        Check {
            what: "added p50 latency, 4 KiB GET at 500/s, presigned (`psg-rate-get-4k`)",
            limit: "≤ 0.2 ms",
            measured: differences(rows, "psg-rate-get-4k", p50),
            unit: " ms",
            pass: |v| v <= 0.2,
        },
        Check {
            what: "gateway CPU, unsigned-payload PUT stream (`psg-put-64m-c1`)",
            limit: "≤ 0.15 s/GiB",
            measured: spread(rows, "psg-put-64m-c1", Target::Gateway, Row::cpu_per_gib),
            unit: " s/GiB",
            pass: |v| v <= 0.15,
        },
        Check {
            what: "gateway CPU, unsigned GET stream (`psg-get-64m-c1`)",
            limit: "≤ 0.15 s/GiB",
            measured: spread(rows, "psg-get-64m-c1", Target::Gateway, Row::cpu_per_gib),
            unit: " s/GiB",
            pass: |v| v <= 0.15,
        },
        Check {
            what: "gateway RSS above idle, 64 concurrent 64 MiB GETs (`psg-get-64m-c64`)",
            limit: "≤ 64 MiB",
            measured: spread(rows, "psg-get-64m-c64", Target::Gateway, Row::rss_rise_mib),
            unit: " MiB",
            pass: |v| v <= 64.0,
        },
    ]
}

/// A short description of a workload for the table.
fn describe(id: &str) -> String {
    let Some(w) = WORKLOADS.iter().find(|w| w.id == id) else {
        return String::new();
    };
    let what = match w.kind {
        Kind::Head => "HEAD".to_owned(),
        Kind::Get => format!("GET {}", human(w.size)),
        Kind::Put => format!("PUT {}", human(w.size)),
        Kind::Multipart => format!("multipart {} (8 MiB parts, 4 at once)", human(w.size)),
        Kind::List => "ListObjectsV2, 10,000 keys (10 pages)".to_owned(),
    };
    let client = match w.client {
        Client::Sdk => "SDK",
        Client::Presigned => "presigned",
    };
    let pace = match w.pacing {
        Pacing::Rate(r) => format!(", {r:.0}/s"),
        _ => String::new(),
    };
    format!("{what}, {client}, c={}{pace}", w.concurrency)
}

fn human(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

fn opt(spread: Option<Spread>, digits: usize) -> String {
    spread.map_or_else(|| "–".to_owned(), |s| s.show(digits))
}

fn med(spread: Option<Spread>, digits: usize) -> String {
    spread.map_or_else(|| "–".to_owned(), |s| format!("{:.digits$}", s.median))
}

/// A median rate with more decimals the smaller it is (1.23, 0.125, 4567.8).
fn rate(spread: Option<Spread>) -> String {
    spread.map_or_else(
        || "–".to_owned(),
        |s| match s.median {
            v if v >= 100.0 => format!("{v:.1}"),
            v if v >= 1.0 => format!("{v:.2}"),
            v => format!("{v:.3}"),
        },
    )
}

/// `REPORT.md`.
pub fn markdown(env: &Environment, rows: &[Row]) -> String {
    let mut md = String::new();
    let mode = if env.mode.quick {
        "quick (`--quick`)"
    } else {
        "full"
    };
    let _ = writeln!(
        md,
        "# multistore benchmark: the gateway (G) against direct backend access (D)\n"
    );
    let _ = writeln!(
        md,
        "Written by `cargo xtask bench`; see [docs/benchmarks.md](../docs/benchmarks.md) for the method \
         and how to read it. Every number below is from this one run.\n"
    );
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(
        md,
        "| run | {} – {}, {mode}, {} rounds, D then G per workload |",
        env.started, env.finished, env.mode.rounds
    );
    let _ = writeln!(
        md,
        "| CPU | {} ({} cores, shared), kernel {} |",
        env.cpu_model, env.cores, env.kernel
    );
    let (a, b, c) = env.load_before;
    let (x, y, z) = env.load_after;
    let _ = writeln!(
        md,
        "| load average | before {a:.2} {b:.2} {c:.2}; after {x:.2} {y:.2} {z:.2} |"
    );
    for (tool, version) in &env.versions {
        let _ = writeln!(md, "| {tool} | {version} |");
    }
    let _ = writeln!(
        md,
        "| gateway memory | {:.1} MiB RSS idle after seeding; {:.1} MiB peak (VmHWM) at the end |",
        env.gateway_idle_rss as f64 / MIB_F,
        env.gateway_hwm as f64 / MIB_F
    );

    let _ = writeln!(md, "\n## Targets\n");
    let _ = writeln!(md, "Medians over rounds, (min–max) in brackets.\n");
    let _ = writeln!(md, "| target | limit | measured | met |\n|---|---|---|---|");
    for check in checks(rows) {
        let (measured, met) = match check.measured {
            Some(s) => (
                format!("{}{}", s.show(3), check.unit),
                if (check.pass)(s.median) {
                    "yes"
                } else {
                    "**no**"
                },
            ),
            None => ("not run".to_owned(), "–"),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {measured} | {met} |",
            check.what, check.limit
        );
    }

    let _ = writeln!(md, "\n## Throughput and the G/D ratio\n");
    let _ = writeln!(
        md,
        "req/s and MB/s (10⁶ B/s) are medians over rounds; G/D is the ratio of each round's G run to \
         its D run, median (min–max). Gateway CPU is utime+stime of `multistore serve` from \
         `/proc/<pid>/stat`; RSS rise is the highest VmRSS during the run minus VmRSS before it.\n"
    );
    let _ = writeln!(
        md,
        "| workload | what | D req/s | G req/s | G/D | D MB/s | G MB/s | gw CPU s/1k req | gw CPU s/GiB | gw RSS rise MiB | errors D/G |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|");
    let mut ids: Vec<&str> = Vec::new();
    for row in rows {
        if !ids.contains(&row.workload.id) {
            ids.push(row.workload.id);
        }
    }
    let errors = |id: &str, t: Target| rows_of(rows, id, t).map(|r| r.sample.errors).sum::<u64>();
    for id in &ids {
        let per_sec = |r: &Row| Some(r.sample.req_per_sec());
        let mbs = |r: &Row| Some(r.sample.mb_per_sec()).filter(|v| *v > 0.0);
        let _ = writeln!(
            md,
            "| `{id}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} |",
            describe(id),
            rate(spread(rows, id, Target::Direct, per_sec)),
            rate(spread(rows, id, Target::Gateway, per_sec)),
            opt(ratios(rows, id, |r| r.sample.req_per_sec()), 3),
            rate(spread(rows, id, Target::Direct, mbs)),
            rate(spread(rows, id, Target::Gateway, mbs)),
            med(spread(rows, id, Target::Gateway, Row::cpu_per_1k), 4),
            med(spread(rows, id, Target::Gateway, Row::cpu_per_gib), 3),
            med(spread(rows, id, Target::Gateway, Row::rss_rise_mib), 1),
            errors(id, Target::Direct),
            errors(id, Target::Gateway),
        );
    }

    let _ = writeln!(md, "\n## Latency\n");
    let _ = writeln!(
        md,
        "Milliseconds, medians over rounds. The fixed-rate rows (`rate-…`) are the latency \
         measurements proper: requests start on a clock and latency counts from the scheduled \
         start. In closed-loop rows latency is the time per request at that concurrency.\n"
    );
    let _ = writeln!(
        md,
        "| workload | D p50 | G p50 | G−D p50 | D p99 | G p99 | D p99.9 | G p99.9 |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for id in &ids {
        let q = |quantile: f64| move |r: &Row| Some(r.sample.latency_ms(quantile));
        let _ = writeln!(
            md,
            "| `{id}` | {} | {} | {} | {} | {} | {} | {} |",
            med(spread(rows, id, Target::Direct, q(0.5)), 3),
            med(spread(rows, id, Target::Gateway, q(0.5)), 3),
            med(differences(rows, id, |r| r.sample.latency_ms(0.5)), 3),
            med(spread(rows, id, Target::Direct, q(0.99)), 3),
            med(spread(rows, id, Target::Gateway, q(0.99)), 3),
            med(spread(rows, id, Target::Direct, q(0.999)), 3),
            med(spread(rows, id, Target::Gateway, q(0.999)), 3),
        );
    }
    md
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::driver::Sample;
    use std::time::Duration;

    /// A row of `id` with `req_per_sec` (1 s, 4 KiB per request, gateway CPU 0.1 s).
    pub fn row(id: &str, target: Target, round: u32, req_per_sec: f64) -> Row {
        let workload = WORKLOADS.iter().find(|w| w.id == id).unwrap();
        let mut latency = hdrhistogram::Histogram::new_with_bounds(1, 600_000_000, 3).unwrap();
        latency.record(1000).unwrap();
        let requests = req_per_sec as u64;
        Row {
            round,
            workload,
            target,
            sample: Sample {
                requests,
                bytes: requests * 4096,
                errors: 0,
                first_error: None,
                elapsed: Duration::from_secs(1),
                latency,
            },
            gateway_cpu: (target == Target::Gateway).then_some(0.1),
            gateway_rss_idle: (target == Target::Gateway).then_some(10 << 20),
            gateway_rss_peak: (target == Target::Gateway).then_some(12 << 20),
            backend_cpu: 0.2,
            load1: 1.0,
        }
    }

    #[test]
    fn spreads_take_the_median_of_odd_and_even_counts() {
        let s = Spread::of(vec![3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Spread::of(vec![4.0, 1.0]).unwrap().median, 2.5);
        assert_eq!(Spread::of(vec![f64::NAN]), None);
    }

    #[test]
    fn ratios_pair_each_gateway_round_with_its_direct_round() {
        let rows = vec![
            row("get-4k-c16", Target::Direct, 1, 1000.0),
            row("get-4k-c16", Target::Gateway, 1, 800.0),
            row("get-4k-c16", Target::Direct, 2, 2000.0),
            row("get-4k-c16", Target::Gateway, 2, 1000.0),
            row("get-4k-c16", Target::Direct, 3, 1000.0),
            row("get-4k-c16", Target::Gateway, 3, 600.0),
        ];
        let r = ratios(&rows, "get-4k-c16", |r| r.sample.req_per_sec()).unwrap();
        assert_eq!((r.median, r.min, r.max), (0.6, 0.5, 0.8));
        let checks = checks(&rows);
        let c16 = checks.iter().find(|c| c.what.contains("c=16")).unwrap();
        assert!(
            !(c16.pass)(c16.measured.unwrap().median),
            "0.6 misses ≥ 0.7"
        );
        let md = markdown(&test_env(), &rows);
        assert!(md.contains("| 4 KiB GET req/s at c=16, G/D (`get-4k-c16`) | ≥ 0.7 | 0.600 (0.500–0.800) | **no** |"), "{md}");
        assert!(
            md.contains("| 64 MiB GET throughput, G/D (`get-64m-c1`) | ≥ 0.9 | not run | – |"),
            "{md}"
        );
    }

    #[test]
    fn small_rates_keep_their_digits() {
        assert_eq!(rate(Spread::of(vec![0.125])), "0.125");
        assert_eq!(rate(Spread::of(vec![1.234])), "1.23");
        assert_eq!(rate(Spread::of(vec![4567.84])), "4567.8");
        assert_eq!(rate(None), "–");
    }

    #[test]
    fn gateway_costs_are_per_gib_and_per_thousand_requests() {
        let r = row("get-4k-c16", Target::Gateway, 1, 1000.0);
        assert!((r.cpu_per_1k().unwrap() - 0.1).abs() < 1e-9);
        let gib = 1000.0 * 4096.0 / crate::report::GIB;
        assert!((r.cpu_per_gib().unwrap() - 0.1 / gib).abs() < 1e-9);
        assert_eq!(r.rss_rise_mib(), Some(2.0));
        assert_eq!(row("get-4k-c16", Target::Direct, 1, 1.0).cpu_per_1k(), None);
    }

    fn test_env() -> Environment {
        Environment {
            started: "s".into(),
            finished: "f".into(),
            mode: crate::workloads::Mode::FULL,
            cpu_model: "cpu".into(),
            cores: 2,
            kernel: "k".into(),
            load_before: (0.0, 0.0, 0.0),
            load_after: (0.0, 0.0, 0.0),
            versions: vec![],
            gateway_idle_rss: 0,
            gateway_hwm: 0,
        }
    }
}
