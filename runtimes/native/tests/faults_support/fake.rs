//! Fake S3 backends that misbehave on demand. These are the only fakes in the fault tests, and
//! they are here because a real backend (MinIO, moto, s3s-fs) cannot be made to stall, hang or
//! die at a chosen moment. Each runs on its own thread with its own tokio runtime, so it keeps
//! misbehaving whatever the test's runtime is doing, and stops when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// What a fake backend does with each connection.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// Accepts, reads the request (and any body), and never answers.
    Silent,
    /// Answers `200` with `Content-Length: declared`, sends `sent` bytes of it, then stalls
    /// with the connection open.
    StallMidBody { declared: u64, sent: usize },
    /// Reads the whole request body (Content-Length or chunked), then answers `200` with an
    /// ETag, as S3 answers a PutObject.
    AcceptUpload,
    /// Reads the request head, then nothing more: an upload fills the socket buffers and
    /// stops.
    Deaf,
}

/// What a fake backend saw.
#[derive(Default)]
pub struct Seen {
    /// Connections accepted.
    pub accepted: AtomicUsize,
    /// Connections the gateway closed (EOF or reset seen).
    pub closed: AtomicUsize,
    /// Request body bytes received (after the heads).
    pub body_bytes: AtomicU64,
    /// Requests answered in full (`AcceptUpload`).
    pub answered: AtomicUsize,
}

/// A running fake backend.
pub struct Fake {
    pub addr: SocketAddr,
    pub seen: Arc<Seen>,
    _stop: oneshot::Sender<()>,
}

impl Fake {
    pub fn start(behaviour: Behaviour) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the fake");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        let shared = Arc::clone(&seen);
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                let serve = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        shared.accepted.fetch_add(1, Ordering::SeqCst);
                        tokio::spawn(misbehave(stream, behaviour, Arc::clone(&shared)));
                    }
                };
                tokio::select! {
                    () = serve => {}
                    _ = stopped => {}
                }
            });
        });
        Self {
            addr,
            seen,
            _stop: stop,
        }
    }

    pub fn accepted(&self) -> usize {
        self.seen.accepted.load(Ordering::SeqCst)
    }

    pub fn closed(&self) -> usize {
        self.seen.closed.load(Ordering::SeqCst)
    }

    pub fn body_bytes(&self) -> u64 {
        self.seen.body_bytes.load(Ordering::SeqCst)
    }

    pub fn answered(&self) -> usize {
        self.seen.answered.load(Ordering::SeqCst)
    }
}

/// Reads a request head; gives it and the bytes read past it (`None` on EOF first).
async fn read_head(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = head.split_off(end + 4);
            return Some((String::from_utf8_lossy(&head).to_ascii_lowercase(), rest));
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads the rest of a request body; `false` if the connection ended first.
async fn read_body(stream: &mut TcpStream, head: &str, mut body: Vec<u8>, seen: &Seen) -> bool {
    seen.body_bytes
        .fetch_add(body.len() as u64, Ordering::SeqCst);
    let length: Option<usize> = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let done = match length {
            Some(n) => body.len() >= n,
            None if chunked => body.ends_with(b"\r\n0\r\n\r\n") || body == b"0\r\n\r\n",
            None => true,
        };
        if done {
            return true;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => {
                seen.body_bytes.fetch_add(n as u64, Ordering::SeqCst);
                // Keep only what the end-of-body checks need.
                if length.is_some() {
                    body.resize(body.len() + n, 0);
                } else {
                    body.extend_from_slice(&buf[..n]);
                    let keep = body.len().saturating_sub(16);
                    body.drain(..keep);
                }
            }
        }
    }
}

async fn misbehave(mut stream: TcpStream, behaviour: Behaviour, seen: Arc<Seen>) {
    let Some((head, rest)) = read_head(&mut stream).await else {
        seen.closed.fetch_add(1, Ordering::SeqCst);
        return;
    };
    match behaviour {
        Behaviour::Silent => {}
        Behaviour::Deaf => {
            // Hold the connection without reading (until the fake is dropped).
            tokio::time::sleep(Duration::from_secs(120)).await;
            return;
        }
        Behaviour::StallMidBody { declared, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {declared}\r\n\
                 etag: \"0123456789abcdef0123456789abcdef\"\r\nlast-modified: Tue, 01 Jul 2025 00:00:00 GMT\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let _ = stream.write_all(&vec![b'x'; sent]).await;
            let _ = stream.flush().await;
        }
        Behaviour::AcceptUpload => {
            if !read_body(&mut stream, &head, rest, &seen).await {
                seen.closed.fetch_add(1, Ordering::SeqCst);
                return;
            }
            let answer = "HTTP/1.1 200 OK\r\netag: \"0123456789abcdef0123456789abcdef\"\r\n\
                          content-length: 0\r\nconnection: close\r\n\r\n";
            if stream.write_all(answer.as_bytes()).await.is_ok() {
                seen.answered.fetch_add(1, Ordering::SeqCst);
            }
            return;
        }
    }
    // Hold the connection open, answering nothing more, until the peer gives up.
    let mut sink = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(120), stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => {
                seen.body_bytes.fetch_add(n as u64, Ordering::SeqCst);
            }
            Ok(_) => {
                seen.closed.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Err(_) => return,
        }
    }
}

/// An address where nothing listens: connecting is refused at once ("backend down").
pub fn closed_port() -> SocketAddr {
    super::free_addr()
}

/// A listener whose accept queue is full, so that connecting to it hangs in the SYN stage
/// (the kernel drops the SYNs): a backend that cannot be reached, not one that refuses.
/// `start` gives `None` where the kernel does not behave so (then the test is skipped).
pub struct Unreachable {
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl Unreachable {
    pub fn start() -> Option<Self> {
        let (ready, addr) = std::sync::mpsc::channel::<Option<SocketAddr>>();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let Some((_listener, _fillers, addr)) = fill_a_listener().await else {
                    let _ = ready.send(None);
                    return;
                };
                let _ = ready.send(Some(addr));
                let _ = stopped.await;
            });
        });
        Some(Self {
            addr: addr.recv().ok()??,
            _stop: stop,
        })
    }
}

/// A listener with a backlog of 0 that is never accepted from, and the connections that fill
/// its queue, once a further connect is seen to hang.
async fn fill_a_listener() -> Option<(TcpListener, Vec<TcpStream>, SocketAddr)> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind("127.0.0.1:0".parse().unwrap()).ok()?;
    let listener = socket.listen(0).ok()?;
    let addr = listener.local_addr().ok()?;
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => fillers.push(s),
            Ok(Err(_)) => return None,
            // The queue is full: this connect hangs, which is what we want.
            Err(_) => return Some((listener, fillers, addr)),
        }
    }
    None
}
