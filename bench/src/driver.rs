//! Drives one operation with N workers, either closed-loop (each worker starts its next request
//! when the last one ends, for a time or a request count) or open-loop at a fixed rate (requests
//! are scheduled on a clock, and latency is measured from the scheduled start, so a slow server
//! cannot hide its queueing: no coordinated omission). Returns counts, bytes and a latency
//! histogram.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::{Mutex, mpsc};

use crate::ops::{Conn, Op};

/// How requests are paced.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// Closed loop for this long (requests in flight at the end finish and count).
    For(Duration),
    /// Closed loop until this many requests have been started.
    Count(u64),
    /// Open loop: this many requests per second for this long.
    Rate { per_sec: f64, duration: Duration },
}

/// What a run measured.
#[derive(Debug)]
pub struct Sample {
    pub requests: u64,
    pub bytes: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// Latency in microseconds.
    pub latency: Histogram<u64>,
}

impl Sample {
    pub fn req_per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Decimal megabytes per second (10⁶ B/s).
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at `quantile` (0..=1), in milliseconds.
    pub fn latency_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// One worker's tallies.
struct Tally {
    requests: u64,
    bytes: u64,
    errors: u64,
    first_error: Option<String>,
    latency: Histogram<u64>,
}

impl Tally {
    fn new() -> Self {
        Self {
            requests: 0,
            bytes: 0,
            errors: 0,
            first_error: None,
            latency: new_histogram(),
        }
    }

    fn record(&mut self, started: Instant, outcome: anyhow::Result<u64>) {
        let micros = started.elapsed().as_micros().max(1);
        let _ = self
            .latency
            .record(u64::try_from(micros).unwrap_or(u64::MAX));
        match outcome {
            Ok(bytes) => {
                self.requests += 1;
                self.bytes += bytes;
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 10 min, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("static histogram bounds are valid")
}

/// Runs `op` with `workers` concurrent workers, paced by `pace`.
pub async fn drive(op: Arc<Op>, workers: usize, pace: Pace) -> Sample {
    let workers = workers.max(1);
    let started = Instant::now();
    let seq = Arc::new(AtomicU64::new(0));
    let ticks = match pace {
        Pace::Rate { per_sec, duration } => Some(schedule(per_sec, duration, workers)),
        _ => None,
    };
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let op = Arc::clone(&op);
        let seq = Arc::clone(&seq);
        let ticks = ticks.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            let mut conn = match op.connect().await {
                Ok(conn) => conn,
                Err(e) => {
                    tally.record(Instant::now(), Err(e));
                    return tally;
                }
            };
            match (pace, ticks) {
                (_, Some(ticks)) => loop {
                    let Some(due) = ticks.lock().await.recv().await else {
                        break;
                    };
                    let n = seq.fetch_add(1, Ordering::Relaxed);
                    let outcome = op.call(&mut conn, n).await;
                    tally.record(due, outcome);
                },
                (Pace::For(duration), None) => {
                    let deadline = started + duration;
                    while Instant::now() < deadline {
                        let n = seq.fetch_add(1, Ordering::Relaxed);
                        call_once(&op, &mut conn, n, &mut tally).await;
                    }
                }
                (Pace::Count(total), None) => loop {
                    let n = seq.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    call_once(&op, &mut conn, n, &mut tally).await;
                },
                (Pace::Rate { .. }, None) => unreachable!("a rate always has a schedule"),
            }
            tally
        }));
    }
    let mut total = Tally::new();
    for task in tasks {
        match task.await {
            Ok(tally) => {
                total.requests += tally.requests;
                total.bytes += tally.bytes;
                total.errors += tally.errors;
                if total.first_error.is_none() {
                    total.first_error = tally.first_error;
                }
                let _ = total.latency.add(&tally.latency);
            }
            Err(e) => {
                total.errors += 1;
                total
                    .first_error
                    .get_or_insert_with(|| format!("worker: {e}"));
            }
        }
    }
    Sample {
        requests: total.requests,
        bytes: total.bytes,
        errors: total.errors,
        first_error: total.first_error,
        elapsed: started.elapsed(),
        latency: total.latency,
    }
}

async fn call_once(op: &Op, conn: &mut Conn, n: u64, tally: &mut Tally) {
    let started = Instant::now();
    let outcome = op.call(conn, n).await;
    tally.record(started, outcome);
}

/// The fixed-rate clock: sends each request's start time on a queue the workers share;
/// when every worker is busy, due requests wait in the queue and their wait counts as latency.
fn schedule(
    per_sec: f64,
    duration: Duration,
    workers: usize,
) -> Arc<Mutex<mpsc::Receiver<Instant>>> {
    let (tx, rx) = mpsc::channel(workers.max(1) * 1024);
    let period = Duration::from_secs_f64(1.0 / per_sec.max(0.001));
    let count = (duration.as_secs_f64() * per_sec).ceil() as u64;
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        for i in 0..count {
            let due = start + period.mul_f64(i as f64);
            tokio::time::sleep_until(due).await;
            // Stamped when sent, not at `due`: tokio's timer wakes up to 1 ms late, and that
            // lateness is the harness's, not the server's.
            if tx.send(Instant::now()).await.is_err() {
                break;
            }
        }
    });
    Arc::new(Mutex::new(rx))
}
