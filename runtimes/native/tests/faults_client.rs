//! Misbehaving clients, end to end: the real `multistore` binary (embedded local store on a
//! temp dir) and raw `std::net` sockets, because these cases are about bytes on the wire that
//! no well-behaved HTTP client will send: an upload abandoned half way, a request head that
//! never finishes (slowloris), more connections than the limit, and `Expect: 100-continue`.

mod faults_support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use faults_support::{Launcher, Server, connect, read_head, read_response, request_head, sign};

/// Reads until the peer closes the connection; `None` if it is still open after `limit`.
/// Gives how long that took and what was received.
fn wait_closed(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return Some((started.elapsed(), received)),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(_) => return Some((started.elapsed(), received)),
        }
    }
}

/// The files under a directory, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The gateway still answers a full round trip.
fn assert_serving(server: &mut Server, key: &str) {
    server.assert_alive();
    let target = format!("/data/{key}");
    let put = server.call("PUT", &target, &[], b"still serving");
    assert_eq!(put.status, 200, "{}", put.text());
    let get = server.call("GET", &target, &[], b"");
    assert_eq!(get.status, 200, "{}", get.text());
    assert_eq!(get.body, b"still serving");
}

#[test]
fn a_client_that_disconnects_mid_upload_leaves_no_object_behind() {
    const LENGTH: usize = 8 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path()).local("data").start();
    let length = LENGTH.to_string();
    let headers = server.signed("PUT", "/data/abandoned", &[("content-length", &length)]);
    let mut stream = connect(server.addr);
    stream
        .write_all(&request_head("PUT", "/data/abandoned", &headers, false))
        .unwrap();
    stream.write_all(&vec![0x5A; LENGTH / 2]).unwrap();
    // Let the gateway start writing the object, then vanish.
    std::thread::sleep(Duration::from_millis(300));
    stream.shutdown(Shutdown::Both).unwrap();
    drop(stream);

    let tmp = dir.path().join("data/.multistore/tmp");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let head = server.call("HEAD", "/data/abandoned", &[], b"");
        assert_eq!(head.status, 404, "a partial object is visible: {head:?}");
        let leftovers = files_under(&tmp);
        if leftovers.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the abandoned upload's temp files stay behind: {leftovers:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let list = server.call("GET", "/data?list-type=2", &[], b"");
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(!list.text().contains("<Key>"), "{}", list.text());
    let objects: Vec<_> = files_under(&dir.path().join("data"))
        .into_iter()
        .filter(|p| !p.starts_with(dir.path().join("data/.multistore")))
        .collect();
    assert!(objects.is_empty(), "files left in the bucket: {objects:?}");
    assert_serving(&mut server, "after-abandon");
}

#[test]
fn a_request_head_that_stalls_is_cut_off_by_the_header_read_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .local("data")
        .args(&["--header-read-timeout", "1s"])
        .start();

    // Slowloris: a partial head, then nothing.
    let mut slow = connect(server.addr);
    slow.write_all(b"GET /data/key HTTP/1.1\r\nhost: 127.0.0.1\r\nx-amz-date: 2025")
        .unwrap();
    let (after, received) = wait_closed(&mut slow, Duration::from_secs(5))
        .expect("a stalled request head is disconnected");
    assert!(
        after >= Duration::from_millis(800) && after < Duration::from_secs(3),
        "disconnected after {after:?}, not at the 1s header read timeout"
    );
    let text = String::from_utf8_lossy(&received);
    assert!(
        received.is_empty() || text.starts_with("HTTP/1.1 408"),
        "only a 408 may be sent: {text}"
    );

    // A connection that sends nothing at all holds a slot just the same.
    let mut silent = connect(server.addr);
    let (after, _) = wait_closed(&mut silent, Duration::from_secs(5))
        .expect("a connection that never sends a head is disconnected");
    assert!(
        after < Duration::from_secs(3),
        "disconnected after {after:?}"
    );

    // So does a connection that starts an HTTP/2 preface and stalls (the protocol is not
    // known yet, so hyper's own HTTP/1 timer is not running).
    let mut preface = connect(server.addr);
    preface.write_all(b"PRI * HTTP/2.0\r\n").unwrap();
    let (after, _) = wait_closed(&mut preface, Duration::from_secs(5))
        .expect("a stalled HTTP/2 preface is disconnected");
    assert!(
        after < Duration::from_secs(3),
        "disconnected after {after:?}"
    );

    // A keep-alive connection left idle after a request is closed the same way.
    let headers = server.signed("GET", "/data?list-type=2", &[]);
    let mut kept = connect(server.addr);
    kept.write_all(&request_head("GET", "/data?list-type=2", &headers, false))
        .unwrap();
    assert_eq!(read_response(&mut kept, false).unwrap().status, 200);
    let (after, _) = wait_closed(&mut kept, Duration::from_secs(5))
        .expect("an idle keep-alive connection is disconnected");
    assert!(
        after < Duration::from_secs(3),
        "disconnected after {after:?}"
    );

    // A slow but steady head that completes in time is served.
    let headers = server.signed("GET", "/data?list-type=2", &[]);
    let head = request_head("GET", "/data?list-type=2", &headers, true);
    let mut steady = connect(server.addr);
    for piece in head.chunks(head.len() / 3 + 1) {
        steady.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    let answer = read_response(&mut steady, false).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_serving(&mut server, "after-slowloris");
}

#[test]
fn connections_beyond_the_limit_are_closed_until_a_slot_frees_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Launcher::new(dir.path())
        .local("data")
        .args(&["--max-connections", "2"])
        .start();
    let keep_alive_call = |stream: &mut TcpStream| {
        let headers = server.signed("GET", "/data?list-type=2", &[]);
        stream
            .write_all(&request_head("GET", "/data?list-type=2", &headers, false))
            .unwrap();
        read_response(stream, false)
    };
    let mut first = connect(server.addr);
    let mut second = connect(server.addr);
    assert_eq!(keep_alive_call(&mut first).unwrap().status, 200);
    assert_eq!(keep_alive_call(&mut second).unwrap().status, 200);

    let mut third = connect(server.addr);
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let refused = keep_alive_call(&mut third);
    assert!(
        refused.is_err(),
        "a third connection was served while two are open: {refused:?}"
    );
    // The two open connections still work.
    assert_eq!(keep_alive_call(&mut first).unwrap().status, 200);

    drop(first);
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut fresh = connect(server.addr);
        fresh
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        match keep_alive_call(&mut fresh) {
            Ok(answer) => {
                assert_eq!(answer.status, 200);
                break;
            }
            Err(e) => assert!(
                Instant::now() < deadline,
                "no slot freed up after the connections closed: {e}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn requests_beyond_the_concurrency_limit_get_slow_down_until_one_finishes() {
    const LENGTH: usize = 64 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .local("data")
        .args(&["--max-concurrent-requests", "1"])
        .start();
    let length = LENGTH.to_string();
    let headers = server.signed("PUT", "/data/slow", &[("content-length", &length)]);
    let mut slow = connect(server.addr);
    slow.write_all(&request_head("PUT", "/data/slow", &headers, false))
        .unwrap();
    slow.write_all(&vec![1u8; LENGTH / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let refused = server.call("GET", "/data?list-type=2", &[], b"");
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert!(
        refused.text().contains("<Code>SlowDown</Code>"),
        "{}",
        refused.text()
    );
    slow.write_all(&vec![1u8; LENGTH / 2]).unwrap();
    let answer = read_response(&mut slow, false).unwrap();
    assert_eq!(answer.status, 200);
    assert_serving(&mut server, "after-slowdown");
}

#[test]
fn expect_100_continue_is_answered_before_the_body_is_sent() {
    const LENGTH: usize = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path()).local("data").start();
    let length = LENGTH.to_string();
    let headers = server.signed(
        "PUT",
        "/data/continued",
        &[("content-length", &length), ("expect", "100-continue")],
    );
    let mut stream = connect(server.addr);
    stream
        .write_all(&request_head("PUT", "/data/continued", &headers, true))
        .unwrap();
    let (status, _) = read_head(&mut stream).expect("an interim answer before any body byte");
    assert_eq!(status, 100, "the gateway must say 100 Continue first");
    let body: Vec<u8> = (0..LENGTH).map(|i| (i % 251) as u8).collect();
    stream.write_all(&body).unwrap();
    let answer = read_response(&mut stream, false).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    let get = server.call("GET", "/data/continued", &[], b"");
    assert_eq!(get.status, 200);
    assert!(get.body == body, "the object differs from what was sent");
    server.assert_alive();
}

#[test]
fn an_unauthorized_expect_100_continue_upload_is_refused_without_reading_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path()).local("data").start();
    let headers = sign(
        "PUT",
        "/data/refused",
        &server.host(),
        &[("content-length", "67108864"), ("expect", "100-continue")],
        "not-the-secret",
    );
    let mut stream = connect(server.addr);
    stream
        .write_all(&request_head("PUT", "/data/refused", &headers, false))
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // No body byte is ever sent: the answer must come anyway, and must not be 100.
    let (status, headers) = read_head(&mut stream).expect("a final answer without the body");
    assert_eq!(status, 403, "expected the refusal first, got {status}");
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .expect("a content-length");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
    let head = server.call("HEAD", "/data/refused", &[], b"");
    assert_eq!(head.status, 404);
    server.assert_alive();
}

#[test]
fn running_out_of_file_descriptors_neither_spins_nor_floods_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path()).local("data").fd_limit(48).start();
    // More connections than the process has descriptors for (the connection limit is far).
    let mut held = Vec::new();
    for _ in 0..60 {
        if let Ok(s) = TcpStream::connect(server.addr) {
            held.push(s);
        }
    }
    let cpu_before = cpu_ticks(server.pid());
    let log_before = server.logs().lines().count();
    std::thread::sleep(Duration::from_secs(2));
    let cpu = cpu_ticks(server.pid()) - cpu_before;
    let logged = server.logs().lines().count() - log_before;
    assert!(
        logged < 20,
        "{logged} log lines in 2 s while out of descriptors:\n{}",
        server
            .logs()
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Clock ticks are 1/100 s: a spinning accept loop burns ~200 in 2 s.
    assert!(
        cpu < 50,
        "{cpu} ticks of CPU in 2 s while out of descriptors"
    );
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut probe = connect(server.addr);
        probe
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let headers = server.signed("GET", "/data?list-type=2", &[]);
        let sent = probe.write_all(&request_head("GET", "/data?list-type=2", &headers, true));
        if sent.is_ok()
            && let Ok(answer) = read_response(&mut probe, false)
        {
            assert_eq!(answer.status, 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server does not recover once descriptors free up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    server.assert_alive();
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn a_client_that_stalls_mid_upload_is_cut_off_by_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Launcher::new(dir.path())
        .local("data")
        .args(&["--idle-timeout", "1s"])
        .start();
    let headers = server.signed("PUT", "/data/stalled", &[("content-length", "1048576")]);
    let mut stream = connect(server.addr);
    stream
        .write_all(&request_head("PUT", "/data/stalled", &headers, true))
        .unwrap();
    stream.write_all(&[3u8; 100_000]).unwrap();
    let started = Instant::now();
    let answer = read_response(&mut stream, false);
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(800) && after < Duration::from_secs(3),
        "the stalled upload was ended after {after:?}, not at the 1s idle timeout"
    );
    let answer = answer.expect("the stalled upload is answered");
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (400, "RequestTimeout"),
        "{answer:?}"
    );
    assert_eq!(server.call("HEAD", "/data/stalled", &[], b"").status, 404);

    // The same for a body the gateway reads itself (an XML document): a client's stall is the
    // client's fault, a 400, never a 500 that says the server failed.
    assert_eq!(server.call("PUT", "/data/tagged", &[], b"x").status, 200);
    let headers = server.signed("PUT", "/data/tagged?tagging", &[("content-length", "500")]);
    let mut stream = connect(server.addr);
    stream
        .write_all(&request_head("PUT", "/data/tagged?tagging", &headers, true))
        .unwrap();
    stream
        .write_all(b"<Tagging><TagSet><Tag><Key>a</Key>")
        .unwrap();
    let started = Instant::now();
    let answer = read_response(&mut stream, false).expect("an answer to the stalled body");
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(800) && after < Duration::from_secs(3),
        "the stalled XML body was ended after {after:?}"
    );
    assert_eq!(answer.status, 400, "{}", answer.text());
    assert_eq!(answer.code(), "RequestTimeout", "{}", answer.text());
    server.assert_alive();
}
