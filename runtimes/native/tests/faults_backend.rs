//! Backend faults, end to end: the real `multistore` binary in front of an S3 backend that is
//! down, unreachable, silent, or stalls mid-body. The backends are tiny fakes written with
//! tokio (`faults_support::fake`) — the one legitimate place for fakes, since a real backend
//! cannot be made to stall on demand. The client is a raw hyper client.

mod faults_support;

use std::time::{Duration, Instant};

use faults_support::Launcher;
use faults_support::client::{self, ChannelBody, boxed, drain, empty};
use faults_support::fake::{Behaviour, Fake, Unreachable, closed_port};

/// The S3 error code of an error body.
fn code_of(body: &str) -> String {
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_is_down_gives_503_within_the_connect_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let down = closed_port();
    let mut server = Launcher::new(dir.path())
        .s3("remote", down)
        .args(&["--connect-timeout", "500ms", "--first-byte-timeout", "10s"])
        .start();
    for (method, target) in [("GET", "/remote/some/key"), ("PUT", "/remote/put-key")] {
        let extra: &[(&str, &str)] = if method == "PUT" {
            &[("content-length", "0")]
        } else {
            &[]
        };
        let started = Instant::now();
        let request = client::request(&server, method, target, extra, empty());
        let response = client::send(server.addr, request).await.unwrap();
        let elapsed = started.elapsed();
        let status = response.status();
        let body = client::text(response.into_body()).await;
        assert_eq!(status, 503, "{method} {target}: {body}");
        assert_eq!(code_of(&body), "ServiceUnavailable", "{body}");
        assert!(
            elapsed < Duration::from_secs(2),
            "{method}: answered after {elapsed:?}"
        );
        assert!(
            !body.contains("127.0.0.1"),
            "the backend address leaks: {body}"
        );
    }
    server.assert_alive();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_backend_gives_503_at_the_connect_timeout() {
    let Some(unreachable) = Unreachable::start() else {
        eprintln!("skipped: this kernel does not drop SYNs to a full accept queue");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .s3("remote", unreachable.addr)
        .args(&["--connect-timeout", "500ms", "--first-byte-timeout", "30s"])
        .start();
    let started = Instant::now();
    let request = client::request(&server, "GET", "/remote/key", &[], empty());
    let response = client::send(server.addr, request).await.unwrap();
    let elapsed = started.elapsed();
    let status = response.status();
    let body = client::text(response.into_body()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(code_of(&body), "ServiceUnavailable", "{body}");
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(2),
        "answered after {elapsed:?}, not at the 500ms connect timeout"
    );
    server.assert_alive();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_never_answers_gives_503_after_the_first_byte_timeout() {
    let silent = Fake::start(Behaviour::Silent);
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .s3("remote", silent.addr)
        .args(&["--connect-timeout", "500ms", "--first-byte-timeout", "1s"])
        .start();
    let started = Instant::now();
    let request = client::request(&server, "GET", "/remote/key", &[], empty());
    let response =
        tokio::time::timeout(Duration::from_secs(10), client::send(server.addr, request))
            .await
            .expect("the gateway answers at all")
            .unwrap();
    let elapsed = started.elapsed();
    let status = response.status();
    let body = client::text(response.into_body()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(code_of(&body), "ServiceUnavailable", "{body}");
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "answered after {elapsed:?}, not at the 1s first-byte timeout"
    );
    assert!(silent.accepted() >= 1, "the request never reached the fake");
    server.assert_alive();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_stalls_mid_body_is_cut_off_by_the_idle_timeout() {
    const DECLARED: u64 = 1_000_000;
    let stalling = Fake::start(Behaviour::StallMidBody {
        declared: DECLARED,
        sent: 64 * 1024,
    });
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .s3("remote", stalling.addr)
        .args(&["--idle-timeout", "1s", "--first-byte-timeout", "5s"])
        .start();
    let started = Instant::now();
    let request = client::request(&server, "GET", "/remote/big", &[], empty());
    let response = client::send(server.addr, request).await.unwrap();
    assert_eq!(response.status(), 200);
    let length: u64 = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(length, DECLARED);
    let drained = tokio::time::timeout(Duration::from_secs(10), drain(response.into_body()))
        .await
        .expect("the client's body is cut off, not left hanging");
    let elapsed = started.elapsed();
    assert!(
        drained.bytes < DECLARED,
        "the client got the whole body: {drained:?}"
    );
    assert!(
        drained.error.is_some(),
        "the cut-off must show as an error, not a clean end: {drained:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "cut off after {elapsed:?}, not at the 1s idle timeout"
    );
    // The gateway still serves: the next request gets its answer (the stall again).
    let request = client::request(&server, "HEAD", "/remote/big", &[], empty());
    let response = client::send(server.addr, request).await.unwrap();
    assert_eq!(response.status(), 200);
    server.assert_alive();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_503_of_a_down_backend_carries_the_bucket_s_cors_headers() {
    const ORIGIN: &str = "https://app.example.com";
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .s3("remote", closed_port())
        .cors_origin(ORIGIN)
        .args(&["--connect-timeout", "500ms"])
        .start();
    let request = client::request(
        &server,
        "GET",
        "/remote/key",
        &[("origin", ORIGIN)],
        empty(),
    );
    let response = client::send(server.addr, request).await.unwrap();
    assert_eq!(response.status(), 503);
    let headers = response.headers().clone();
    let body = client::text(response.into_body()).await;
    assert_eq!(code_of(&body), "ServiceUnavailable", "{body}");
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some(ORIGIN),
        "a browser cannot read this error: {headers:?}"
    );
    assert!(
        headers.get_all("vary").iter().any(|v| v
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("origin")),
        "{headers:?}"
    );
    assert!(
        headers.contains_key("x-amz-request-id"),
        "the error has no request id: {headers:?}"
    );
}

/// Polls `check` every 20 ms until it holds or `limit` passes.
async fn eventually(limit: Duration, check: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upload_to_an_s3_backend_is_not_cut_off_by_the_first_byte_timeout() {
    const PIECES: usize = 8;
    const PIECE: usize = 64 * 1024;
    let backend = Fake::start(Behaviour::AcceptUpload);
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .s3("remote", backend.addr)
        .args(&["--first-byte-timeout", "1s", "--idle-timeout", "2s"])
        .start();
    let (tx, body) = ChannelBody::new();
    let length = (PIECES * PIECE).to_string();
    let put = client::request(
        &server,
        "PUT",
        "/remote/slow",
        &[("content-length", &length)],
        boxed(body),
    );
    let upload = tokio::spawn(client::send(server.addr, put));
    // ~2.8 s of steady upload: never idle for the idle timeout, but longer than the
    // first-byte timeout, which must not start before the body has been sent.
    for i in 0..PIECES {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        if tx.send(client::chunk(i as u64, PIECE)).await.is_err() {
            break;
        }
    }
    drop(tx);
    let response = upload.await.unwrap().expect("the upload is answered");
    let status = response.status();
    let text = client::text(response.into_body()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(backend.body_bytes(), (PIECES * PIECE) as u64);
    assert_eq!(backend.answered(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_an_upload_to_an_s3_backend_gets_400_request_timeout_and_the_backend_request_is_dropped()
 {
    let backend = Fake::start(Behaviour::Silent);
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .s3("remote", backend.addr)
        .args(&["--first-byte-timeout", "1s", "--idle-timeout", "1s"])
        .start();
    // The fake reads everything, so stall it from the client side instead: the gateway
    // must still give up within the idle timeout, with a client error, and drop the
    // backend request.
    let (tx, body) = ChannelBody::new();
    let put = client::request(
        &server,
        "PUT",
        "/remote/stalled",
        &[("content-length", "1048576")],
        boxed(body),
    );
    let started = Instant::now();
    let upload = tokio::spawn(client::send(server.addr, put));
    tx.send(client::chunk(0, 100_000)).await.unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), upload)
        .await
        .expect("the stalled upload is answered")
        .unwrap()
        .expect("a response, not a reset");
    let elapsed = started.elapsed();
    let status = response.status();
    let text = client::text(response.into_body()).await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(code_of(&text), "RequestTimeout", "{text}");
    assert!(
        elapsed < Duration::from_secs(3),
        "answered after {elapsed:?}"
    );
    assert!(
        eventually(Duration::from_secs(3), || backend.closed() >= 1).await,
        "the backend request was not aborted"
    );
    drop(tx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_download_aborts_the_backend_request() {
    let backend = Fake::start(Behaviour::StallMidBody {
        declared: 10_000_000,
        sent: 100_000,
    });
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .s3("remote", backend.addr)
        .args(&["--idle-timeout", "30s"])
        .start();
    let request = client::request(&server, "GET", "/remote/big", &[], empty());
    let response = client::send(server.addr, request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let first = http_body_util::BodyExt::frame(&mut body).await;
    assert!(matches!(first, Some(Ok(_))), "{first:?}");
    drop(body);
    assert!(
        eventually(Duration::from_secs(3), || backend.closed() >= 1).await,
        "the backend connection stays open after the client left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_stops_reading_an_upload_is_cut_off_by_the_idle_timeout() {
    const SIZE: u64 = 64 * 1024 * 1024;
    let backend = Fake::start(Behaviour::Deaf);
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .s3("remote", backend.addr)
        .args(&["--first-byte-timeout", "30s", "--idle-timeout", "1s"])
        .start();
    let length = SIZE.to_string();
    let put = client::request(
        &server,
        "PUT",
        "/remote/unread",
        &[("content-length", &length)],
        boxed(client::GeneratedBody::new(SIZE)),
    );
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(10), client::send(server.addr, put))
        .await
        .expect("an upload the backend stopped reading is given up on");
    let elapsed = started.elapsed();
    // The gateway may answer before the client has sent everything; then hyper may see the
    // connection closed instead of the answer, which is as good.
    if let Ok(response) = response {
        let status = response.status();
        let text = client::text(response.into_body()).await;
        assert_eq!(status, 503, "{text}");
        assert_eq!(code_of(&text), "ServiceUnavailable", "{text}");
    }
    assert!(
        elapsed < Duration::from_secs(5),
        "gave up after {elapsed:?}"
    );
}
