//! Observability of the real `multistore` binary: the JSON access log (one line per request,
//! with its fields; the client address from `X-Forwarded-For` only when the peer is a
//! `--trusted-proxy`; never a secret), and the admin listener's `/metrics`, `/healthz` and
//! `/readyz`. The stderr of the child process is captured and parsed line by line. One test
//! uses a fake backend that stalls mid-body (`faults_support::fake`): a real backend cannot be
//! made to stall on demand.

mod faults_support;

use std::time::{Duration, Instant};

use faults_support::client::{self, ChannelBody, boxed, empty};
use faults_support::fake::{Behaviour, Fake, closed_port};
use faults_support::{
    ACCESS_KEY, BACKEND_SECRET, Launcher, Raw, SECRET_KEY, Server, admin_get, admin_status, sign,
};
use serde_json::Value;

/// The access-log line of a request id, waiting for it to be written.
fn access_line(server: &Server, request_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(line) = server
            .access_lines()
            .into_iter()
            .find(|l| l["request_id"] == request_id)
        {
            return line;
        }
        assert!(
            Instant::now() < deadline,
            "no access-log line for {request_id}:\n{}",
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn request_id(raw: &Raw) -> String {
    raw.header("x-amz-request-id")
        .unwrap_or_else(|| panic!("no x-amz-request-id: {raw:?}"))
        .to_owned()
}

/// The value of a metric line (`name{labels} value`), by its exact name and labels.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[test]
fn forwarded_for_is_trusted_only_from_a_trusted_proxy() {
    let xff = [("x-forwarded-for", "203.0.113.5, 198.51.100.23")];
    let dir = tempfile::tempdir().unwrap();
    let trusting = Launcher::new(dir.path())
        .local("data")
        .args(&["--log-format", "json", "--trusted-proxy", "127.0.0.1"])
        .start();
    let answer = trusting.call("GET", "/data?list-type=2", &xff, b"");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let line = access_line(&trusting, &request_id(&answer));
    assert_eq!(
        line["client"], "198.51.100.23",
        "the rightmost untrusted hop is the client: {line}"
    );
    let direct = trusting.call("GET", "/data?list-type=2", &[], b"");
    let line = access_line(&trusting, &request_id(&direct));
    assert_eq!(line["client"], "127.0.0.1", "{line}");
    let garbage = trusting.call(
        "GET",
        "/data?list-type=2",
        &[("x-forwarded-for", "not-an-address")],
        b"",
    );
    let line = access_line(&trusting, &request_id(&garbage));
    assert_eq!(line["client"], "127.0.0.1", "{line}");

    let other = tempfile::tempdir().unwrap();
    let untrusting = Launcher::new(other.path())
        .local("data")
        .args(&["--log-format", "json", "--trusted-proxy", "10.1.2.3"])
        .start();
    let answer = untrusting.call("GET", "/data?list-type=2", &xff, b"");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let line = access_line(&untrusting, &request_id(&answer));
    assert_eq!(
        line["client"], "127.0.0.1",
        "an untrusted peer chose its own address: {line}"
    );
}

/// (method, target, body, expected status, operation, bucket, key)
type Case = (
    &'static str,
    &'static str,
    &'static [u8],
    u16,
    &'static str,
    &'static str,
    &'static str,
);

#[test]
fn every_request_gets_one_access_log_line_with_its_fields_and_no_secret_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .local("data")
        .s3("remote", closed_port())
        .args(&["--log-format", "json", "--connect-timeout", "500ms"])
        .env("RUST_LOG", "trace")
        .start();
    let cases: [Case; 6] = [
        (
            "PUT",
            "/data/dir/k1",
            b"0123456789",
            200,
            "PutObject",
            "data",
            "dir/k1",
        ),
        (
            "GET",
            "/data/dir/k1",
            b"",
            200,
            "GetObject",
            "data",
            "dir/k1",
        ),
        (
            "HEAD",
            "/data/missing",
            b"",
            404,
            "HeadObject",
            "data",
            "missing",
        ),
        (
            "GET",
            "/data?list-type=2",
            b"",
            200,
            "ListObjectsV2",
            "data",
            "-",
        ),
        ("GET", "/remote/k2", b"", 503, "GetObject", "remote", "k2"),
        (
            "DELETE",
            "/data/dir/k1",
            b"",
            204,
            "DeleteObject",
            "data",
            "dir/k1",
        ),
    ];
    let mut ids = Vec::new();
    for (method, target, body, status, operation, bucket, key) in cases {
        let answer = server.call(method, target, &[], body);
        assert_eq!(
            answer.status,
            status,
            "{method} {target}: {}",
            answer.text()
        );
        let id = request_id(&answer);
        let line = access_line(&server, &id);
        assert_eq!(line["operation"], operation, "{line}");
        assert_eq!(line["bucket"], bucket, "{line}");
        assert_eq!(line["key"], key, "{line}");
        assert_eq!(line["status"], status, "{line}");
        assert_eq!(line["principal"], "tester", "{line}");
        assert_eq!(line["aborted"], false, "{line}");
        assert_eq!(line["access_key_id"], ACCESS_KEY, "{line}");
        assert_eq!(line["bytes_in"], body.len(), "{line}");
        let bytes_out = line["bytes_out"].as_u64().expect("bytes_out");
        let expected_out = if method == "HEAD" {
            0
        } else {
            answer.body.len()
        };
        assert_eq!(bytes_out, expected_out as u64, "{method} {target}: {line}");
        assert!(line["duration_ms"].as_f64().is_some(), "{line}");
        ids.push(id);
    }
    // A refused request (bad signature) is logged too.
    let headers = sign("GET", "/data/dir/k1", &server.host(), &[], "not-the-secret");
    let mut stream = faults_support::connect(server.addr);
    std::io::Write::write_all(
        &mut stream,
        &faults_support::request_head("GET", "/data/dir/k1", &headers, true),
    )
    .unwrap();
    let refused = faults_support::read_response(&mut stream, false).unwrap();
    assert_eq!(refused.status, 403);
    let line = access_line(&server, &request_id(&refused));
    assert_eq!(line["status"], 403, "{line}");
    // The claim is logged, but nobody is named: the signature did not verify.
    assert_eq!(line["access_key_id"], ACCESS_KEY, "{line}");
    assert_eq!(line["principal"], "-", "{line}");
    ids.push(request_id(&refused));

    std::thread::sleep(Duration::from_millis(200));
    let lines = server.access_lines();
    assert_eq!(
        lines.len(),
        ids.len(),
        "one access-log line per request:\n{lines:#?}"
    );
    for id in &ids {
        assert_eq!(
            lines
                .iter()
                .filter(|l| l["request_id"] == id.as_str())
                .count(),
            1,
            "{id}"
        );
    }
    let everything = server.logs() + &server.stdout();
    assert!(everything.len() > 1000, "trace logging is on");
    for secret in [SECRET_KEY, BACKEND_SECRET] {
        assert!(
            !everything.contains(secret),
            "the secret {secret} is in the logs"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_and_the_health_endpoints_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path()).local("data").start();
    assert_eq!(admin_status(server.admin, "/healthz"), Some(200));
    assert_eq!(admin_status(server.admin, "/readyz"), Some(200));
    assert_eq!(admin_status(server.admin, "/nothing-here"), Some(404));
    assert_eq!(server.call("PUT", "/data/a", &[], b"hello").status, 200);
    assert_eq!(server.call("PUT", "/data/b", &[], b"world").status, 200);
    assert_eq!(server.call("GET", "/data/a", &[], b"").status, 200);
    assert_eq!(server.call("GET", "/data/zzz", &[], b"").status, 404);

    // An upload in flight is counted as such.
    let (tx, body) = ChannelBody::new();
    let put = client::request(
        &server,
        "PUT",
        "/data/slow",
        &[("content-length", "10")],
        boxed(body),
    );
    let upload = tokio::spawn(client::send(server.addr, put));
    tx.send(bytes::Bytes::from_static(b"01234")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = admin_get(server.admin, "/metrics").unwrap().text();
    assert_eq!(
        metric(&text, "multistore_in_flight_requests"),
        Some(1.0),
        "{text}"
    );
    tx.send(bytes::Bytes::from_static(b"56789")).await.unwrap();
    drop(tx);
    assert_eq!(upload.await.unwrap().unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let metrics = admin_get(server.admin, "/metrics").unwrap();
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    let put_ok = metric(
        &text,
        "multistore_requests_total{operation=\"PutObject\",status=\"200\"}",
    );
    assert_eq!(put_ok, Some(3.0), "{text}");
    let get_missing = metric(
        &text,
        "multistore_requests_total{operation=\"GetObject\",status=\"404\"}",
    );
    assert_eq!(get_missing, Some(1.0), "{text}");
    assert_eq!(
        metric(&text, "multistore_in_flight_requests"),
        Some(0.0),
        "{text}"
    );
    let latency = metric(&text, "multistore_backend_latency_seconds_count").unwrap_or(0.0);
    assert!(latency >= 5.0, "{text}");
    let bytes_in = metric(&text, "multistore_request_bytes_total").unwrap_or(0.0);
    assert!(bytes_in >= 20.0, "{text}");
    let bytes_out = metric(&text, "multistore_response_bytes_total").unwrap_or(0.0);
    assert!(bytes_out >= 5.0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_download_is_in_flight_until_it_ends_and_logged_as_it_went() {
    let stalling = Fake::start(Behaviour::StallMidBody {
        declared: 1_000_000,
        sent: 4096,
    });
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .s3("remote", stalling.addr)
        .args(&["--log-format", "json", "--idle-timeout", "2s"])
        .start();
    let request = client::request(&server, "GET", "/remote/big", &[], empty());
    let response = client::send(server.addr, request).await.unwrap();
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-amz-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let download = tokio::spawn(client::drain(response.into_body()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = admin_get(server.admin, "/metrics").unwrap().text();
    assert_eq!(
        metric(&text, "multistore_in_flight_requests"),
        Some(1.0),
        "a download being streamed is in flight: {text}"
    );
    let drained = download.await.unwrap();
    assert!(drained.error.is_some(), "{drained:?}");
    let line = access_line(&server, &id);
    let duration = line["duration_ms"].as_f64().unwrap();
    assert!(
        duration >= 1500.0,
        "the access log's duration ends at the response head, not the body: {line}"
    );
    assert_eq!(
        line["bytes_out"], 4096,
        "bytes_out must count what was sent: {line}"
    );
    let text = admin_get(server.admin, "/metrics").unwrap().text();
    assert_eq!(
        metric(&text, "multistore_in_flight_requests"),
        Some(0.0),
        "{text}"
    );
}

#[test]
fn requests_the_client_abandons_are_logged_and_leave_the_in_flight_gauge() {
    use std::io::{Read as _, Write as _};
    const SIZE: usize = 24 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .local("data")
        .args(&["--log-format", "json"])
        .start();
    let big: Vec<u8> = (0..SIZE).map(|i| (i % 253) as u8).collect();
    assert_eq!(server.call("PUT", "/data/big", &[], &big).status, 200);

    // A download read to the end is not aborted (hyper stops polling a body of known length
    // once it is sent, so the end is told by the byte count).
    let whole = server.call("GET", "/data/big", &[], b"");
    assert_eq!(whole.body.len(), SIZE);
    let whole_id = request_id(&whole);
    let line = access_line(&server, &whole_id);
    assert_eq!(line["aborted"], false, "{line}");
    assert_eq!(line["bytes_out"], SIZE, "{line}");

    // A download the client stops reading and closes.
    let headers = server.signed("GET", "/data/big", &[]);
    let mut stream = faults_support::connect(server.addr);
    stream
        .write_all(&faults_support::request_head(
            "GET",
            "/data/big",
            &headers,
            true,
        ))
        .unwrap();
    let mut first = vec![0u8; 64 * 1024];
    stream.read_exact(&mut first).unwrap();
    drop(stream);

    // An upload the client abandons half way.
    let headers = server.signed("PUT", "/data/half", &[("content-length", "1048576")]);
    let mut stream = faults_support::connect(server.addr);
    stream
        .write_all(&faults_support::request_head(
            "PUT",
            "/data/half",
            &headers,
            false,
        ))
        .unwrap();
    stream.write_all(&[1u8; 512 * 1024]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    drop(stream);

    let deadline = Instant::now() + Duration::from_secs(10);
    let (download, upload) = loop {
        let lines = server.access_lines();
        let download = lines
            .iter()
            .find(|l| {
                l["operation"] == "GetObject" && l["key"] == "big" && l["request_id"] != *whole_id
            })
            .cloned();
        let upload = lines.iter().find(|l| l["key"] == "half").cloned();
        if let (Some(d), Some(u)) = (download, upload) {
            break (d, u);
        }
        assert!(
            Instant::now() < deadline,
            "abandoned requests are not logged:\n{}",
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(download["aborted"], true, "{download}");
    let sent = download["bytes_out"].as_u64().unwrap();
    assert!(
        sent >= 64 * 1024 && sent < SIZE as u64,
        "bytes_out {sent} of a download cut short: {download}"
    );
    let status = upload["status"].as_u64().unwrap();
    assert!(
        (400..600).contains(&status),
        "an abandoned upload is an error: {upload}"
    );
    let text = admin_get(server.admin, "/metrics").unwrap().text();
    assert_eq!(
        metric(&text, "multistore_in_flight_requests"),
        Some(0.0),
        "{text}"
    );
}
