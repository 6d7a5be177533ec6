//! Streaming memory is bounded: a 1 GiB object goes through the real `multistore` binary (the
//! embedded local store on a temp dir), up and back down, while the server's resident memory
//! grows by less than 64 MiB. The client never holds the body either: the upload is generated
//! one 1 MiB chunk at a time, and the download is read frame by frame into a running CRC32
//! that must equal the upload's.
//!
//! A second test forwards an upload of the same size to an S3 backend through the pooled HTTP
//! client; that backend is a fake (`faults_support::fake`) that reads and counts the body,
//! since only the gateway's memory is measured here.
//!
//! The size is `MULTISTORE_STREAM_BYTES` (default 1 GiB, what CI runs); a smaller value is for
//! a quick local run only.

mod faults_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use faults_support::Launcher;
use faults_support::client::{self, GeneratedBody, boxed, drain, empty};
use faults_support::fake::{Behaviour, Fake};

const DEFAULT_BYTES: u64 = 1 << 30;
const MAX_GROWTH: u64 = 64 * 1024 * 1024;
const MIB: f64 = 1024.0 * 1024.0;

fn object_size() -> u64 {
    std::env::var("MULTISTORE_STREAM_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_BYTES)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_object_streams_up_and_down_in_bounded_server_memory() {
    let size = object_size();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path()).local("data").start();
    // Warm up (first request, thread pools, buffers) before the baseline.
    for i in 0..3 {
        let key = format!("/data/warm-{i}");
        assert_eq!(server.call("PUT", &key, &[], &[7; 256 * 1024]).status, 200);
        assert_eq!(server.call("GET", &key, &[], b"").status, 200);
    }
    let before = server.memory("VmRSS");

    // Sample VmRSS throughout too, for the report (VmHWM is the authority).
    let sampling = Arc::new(AtomicBool::new(true));
    let peak_sampled = Arc::new(AtomicU64::new(before));
    let sampler = {
        let (sampling, peak) = (Arc::clone(&sampling), Arc::clone(&peak_sampled));
        let status = format!("/proc/{}/status", server.pid());
        std::thread::spawn(move || {
            while sampling.load(Ordering::SeqCst) {
                if let Some(rss) = std::fs::read_to_string(&status).ok().and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                }) {
                    peak.fetch_max(rss * 1024, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let expected_crc = tokio::task::spawn_blocking(move || GeneratedBody::crc_of(size));

    let started = Instant::now();
    let length = size.to_string();
    let put = client::request(
        &server,
        "PUT",
        "/data/big/object",
        &[("content-length", &length)],
        boxed(GeneratedBody::new(size)),
    );
    let response = client::send(server.addr, put).await.expect("the upload");
    let status = response.status();
    let text = client::text(response.into_body()).await;
    assert_eq!(status, 200, "{text}");
    let put_time = started.elapsed();

    let started = Instant::now();
    let get = client::request(&server, "GET", "/data/big/object", &[], empty());
    let response = client::send(server.addr, get).await.expect("the download");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-length"], length.as_str());
    let drained = drain(response.into_body()).await;
    let get_time = started.elapsed();

    sampling.store(false, Ordering::SeqCst);
    sampler.join().unwrap();
    let peak = server.memory("VmHWM");
    let growth = peak.saturating_sub(before);
    eprintln!(
        "streamed {:.0} MiB: PUT {put_time:.1?} ({:.0} MiB/s), GET {get_time:.1?} ({:.0} MiB/s); \
         server VmRSS before {:.1} MiB, VmHWM after {:.1} MiB (sampled peak {:.1} MiB): growth {:.1} MiB",
        size as f64 / MIB,
        size as f64 / MIB / put_time.as_secs_f64(),
        size as f64 / MIB / get_time.as_secs_f64(),
        before as f64 / MIB,
        peak as f64 / MIB,
        peak_sampled.load(Ordering::SeqCst) as f64 / MIB,
        growth as f64 / MIB,
    );
    assert!(drained.error.is_none(), "the download broke: {drained:?}");
    assert_eq!(drained.bytes, size, "the download is short");
    assert_eq!(
        drained.crc,
        expected_crc.await.unwrap(),
        "the download differs from the upload"
    );
    assert!(
        growth < MAX_GROWTH,
        "the server's resident memory grew by {:.1} MiB (limit {:.0} MiB)",
        growth as f64 / MIB,
        MAX_GROWTH as f64 / MIB
    );
    server.assert_alive();
}

/// The same bound for an upload forwarded to an S3 backend through the pooled HTTP client
/// (the backend is a fake that reads and counts the body: `faults_support::fake`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_forwarded_to_an_s3_backend_streams_in_bounded_server_memory() {
    let size = object_size();
    let backend = Fake::start(Behaviour::AcceptUpload);
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path()).s3("remote", backend.addr).start();
    let warm = client::request(
        &server,
        "PUT",
        "/remote/warm",
        &[("content-length", "4")],
        boxed(GeneratedBody::new(4)),
    );
    assert_eq!(client::send(server.addr, warm).await.unwrap().status(), 200);
    let before = server.memory("VmRSS");
    let started = Instant::now();
    let length = size.to_string();
    let put = client::request(
        &server,
        "PUT",
        "/remote/big",
        &[("content-length", &length)],
        boxed(GeneratedBody::new(size)),
    );
    let response = client::send(server.addr, put).await.expect("the upload");
    let status = response.status();
    let text = client::text(response.into_body()).await;
    assert_eq!(status, 200, "{text}");
    let growth = server.memory("VmHWM").saturating_sub(before);
    eprintln!(
        "forwarded {:.0} MiB in {:.1?}: server memory growth {:.1} MiB",
        size as f64 / MIB,
        started.elapsed(),
        growth as f64 / MIB
    );
    assert_eq!(backend.body_bytes(), size + 4, "the backend got every byte");
    assert!(
        growth < MAX_GROWTH,
        "the server's resident memory grew by {:.1} MiB",
        growth as f64 / MIB
    );
    server.assert_alive();
}
