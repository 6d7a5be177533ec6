//! Graceful shutdown of the real `multistore` binary (embedded local store on a temp dir):
//! SIGTERM with an upload in flight lets it finish; meanwhile `/readyz` answers 503, new
//! connections are refused and idle ones are closed; the process exits 0 within the grace
//! period, and the object is there for the next instance on the same directory. An upload
//! that outlives the grace period is cut off and leaves nothing behind.

mod faults_support;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::Bytes;
use faults_support::client::{self, ChannelBody, boxed, chunk};
use faults_support::{Launcher, Server, admin_status, closed_within, connect};

const PIECE: usize = 256 * 1024;

fn piece(i: usize) -> Bytes {
    chunk(i as u64, PIECE)
}

/// Polls `check` every 20 ms until it holds or `limit` passes.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Starts a PUT of `pieces` × [`PIECE`] bytes whose body is fed through the returned sender.
fn start_upload(
    server: &Server,
    key: &str,
    pieces: usize,
) -> (
    tokio::sync::mpsc::Sender<Bytes>,
    tokio::task::JoinHandle<Result<http::Response<hyper::body::Incoming>, client::BoxError>>,
) {
    let (tx, body) = ChannelBody::new();
    let length = (pieces * PIECE).to_string();
    let put = client::request(
        server,
        "PUT",
        &format!("/data/{key}"),
        &[("content-length", &length)],
        boxed(body),
    );
    let addr = server.addr;
    (tx, tokio::spawn(client::send(addr, put)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_upload_in_flight_finish_then_exits_0() {
    const PIECES: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .local("data")
        .args(&["--shutdown-grace", "15s"])
        .start();
    // An idle keep-alive connection, which draining must close rather than wait for.
    let mut idle = connect(server.addr);
    {
        use std::io::Write as _;
        let headers = server.signed("GET", "/data?list-type=2", &[]);
        idle.write_all(&faults_support::request_head(
            "GET",
            "/data?list-type=2",
            &headers,
            false,
        ))
        .unwrap();
        let answer = faults_support::read_response(&mut idle, false).unwrap();
        assert_eq!(answer.status, 200);
    }

    let (tx, upload) = start_upload(&server, "in-flight", PIECES);
    tx.send(piece(0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!upload.is_finished(), "the upload ended before the signal");

    let signalled = Instant::now();
    server.sigterm();
    let admin = server.admin;
    assert!(
        eventually(Duration::from_secs(2), || admin_status(admin, "/readyz")
            == Some(503)),
        "/readyz does not turn 503 while draining:\n{}",
        server.logs()
    );
    let addr = server.addr;
    assert!(
        eventually(Duration::from_secs(2), || TcpStream::connect(addr).is_err()),
        "new connections are still accepted after SIGTERM"
    );
    assert!(
        closed_within(&mut idle, Duration::from_secs(2)),
        "an idle keep-alive connection is not closed on shutdown"
    );

    // The rest of the body, in pieces over ~2 s, all after the signal.
    for i in 1..PIECES {
        tokio::time::sleep(Duration::from_millis(250)).await;
        tx.send(piece(i))
            .await
            .expect("the gateway keeps reading the body");
    }
    drop(tx);
    let response = tokio::time::timeout(Duration::from_secs(10), upload)
        .await
        .expect("the upload is answered")
        .unwrap()
        .expect("the upload completes");
    let status = response.status();
    let text = client::text(response.into_body()).await;
    assert_eq!(status, 200, "{text}");

    let exit = server
        .wait_exit(Duration::from_secs(5))
        .expect("the process exits once the upload is done");
    assert!(exit.success(), "exit status {exit}:\n{}", server.logs());
    let took = signalled.elapsed();
    assert!(
        took < Duration::from_secs(15),
        "exited {took:?} after SIGTERM"
    );

    // The object is complete, for the next instance on the same directory.
    let next = Launcher::new(dir.path()).local("data").start();
    let get = next.call("GET", "/data/in-flight", &[], b"");
    assert_eq!(get.status, 200, "{}", get.text());
    let expected: Vec<u8> = (0..PIECES).flat_map(|i| piece(i).to_vec()).collect();
    assert!(get.body == expected, "the object differs from the upload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_outlives_the_grace_period_is_cut_off_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .local("data")
        .args(&["--shutdown-grace", "1s"])
        .start();
    let (tx, upload) = start_upload(&server, "too-slow", 8);
    tx.send(piece(0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    server.sigterm();
    // Keep the upload alive but never finish it.
    let feeder = tokio::spawn(async move {
        for i in 1..4 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if tx.send(piece(i)).await.is_err() {
                return;
            }
        }
        std::future::pending::<()>().await;
    });
    let exit = server
        .wait_exit(Duration::from_secs(5))
        .expect("the process exits at the end of the grace period");
    let took = signalled.elapsed();
    assert!(exit.success(), "exit status {exit}:\n{}", server.logs());
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "exited {took:?} after SIGTERM, not at the 1s grace period"
    );
    let outcome = tokio::time::timeout(Duration::from_secs(5), upload)
        .await
        .expect("the client learns the upload failed")
        .unwrap();
    if let Ok(response) = outcome {
        assert_ne!(
            response.status(),
            200,
            "a cut-off upload was reported a success"
        );
    }
    feeder.abort();
    let next = Launcher::new(dir.path()).local("data").start();
    let head = next.call("HEAD", "/data/too-slow", &[], b"");
    assert_eq!(head.status, 404, "a cut-off upload left an object");
}

#[test]
fn sigint_drains_and_exits_0_like_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .local("data")
        .args(&["--shutdown-grace", "10s"])
        .start();
    assert_eq!(server.call("PUT", "/data/k", &[], b"v").status, 200);
    let status = std::process::Command::new("kill")
        .arg("-INT")
        .arg(server.pid().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server
        .wait_exit(Duration::from_secs(3))
        .expect("an idle server exits at once on SIGINT, not at the grace deadline");
    assert!(exit.success(), "exit status {exit}:\n{}", server.logs());
}
