//! Harness of the `faults_*` tests: the real `multistore` binary run as a child process on free
//! loopback ports with a generated configuration, readiness by polling `/readyz` on the admin
//! port, its stderr (the logs) captured, its memory read from `/proc/<pid>/status`, requests
//! signed with the core's own SigV4 signer (`UNSIGNED-PAYLOAD`), and a tiny `std::net` HTTP/1.1
//! client for the protocol-abuse cases. The hyper client and streamed bodies are in
//! [`client`]; the fake backends (the only fakes here) are in [`fake`].
#![allow(dead_code)]

pub mod client;
pub mod fake;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue};
use multistore_core::codec::scalar::DateTime;
use multistore_core::sigv4::{SigningCredentials, sign_request};

/// The client credentials every gateway of these tests accepts.
pub const ACCESS_KEY: &str = "AKIAFAULTS0000000001";
pub const SECRET_KEY: &str = "faults-client-secret-Q7vL2pX9sT";
/// The credentials the gateway signs with towards S3 backends.
pub const BACKEND_KEY: &str = "AKIAFAKEBACKEND00001";
pub const BACKEND_SECRET: &str = "faults-backend-secret-Zr4Kd8WmYb";

/// A loopback address no one listens on (bound, then released).
pub fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr")
}

/// One bucket of the generated configuration.
#[derive(Clone, Debug)]
pub enum Bucket {
    /// `type = "local"` on `<dir>/<name>`.
    Local(String),
    /// `type = "s3"` at an endpoint (`http://…`), signed with [`BACKEND_KEY`].
    S3 {
        name: String,
        endpoint: String,
        /// An origin allowed by a CORS rule (GET, PUT, HEAD) on this bucket.
        cors_origin: Option<String>,
    },
}

/// How to start a gateway: its directory (config, data), buckets, extra flags and environment.
pub struct Launcher {
    dir: PathBuf,
    buckets: Vec<Bucket>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    fd_limit: Option<u32>,
}

impl Launcher {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            buckets: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            fd_limit: None,
        }
    }

    pub fn local(mut self, name: &str) -> Self {
        self.buckets.push(Bucket::Local(name.to_owned()));
        self
    }

    pub fn s3(mut self, name: &str, endpoint: SocketAddr) -> Self {
        self.buckets.push(Bucket::S3 {
            name: name.to_owned(),
            endpoint: format!("http://{endpoint}"),
            cors_origin: None,
        });
        self
    }

    /// Gives the last S3 bucket added a CORS rule allowing `origin`.
    pub fn cors_origin(mut self, origin: &str) -> Self {
        if let Some(Bucket::S3 { cors_origin, .. }) = self.buckets.last_mut() {
            *cors_origin = Some(origin.to_owned());
        }
        self
    }

    /// Extra command-line arguments (`["--idle-timeout", "1s"]`).
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Runs the server under `ulimit -n limit` (through `sh`, which `exec`s it: same pid).
    pub fn fd_limit(mut self, limit: u32) -> Self {
        self.fd_limit = Some(limit);
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The configuration file's text.
    pub fn config(&self) -> String {
        let mut toml = String::new();
        for bucket in &self.buckets {
            match bucket {
                Bucket::Local(name) => {
                    let path = self.dir.join(name);
                    std::fs::create_dir_all(&path).expect("create the bucket directory");
                    toml += &format!(
                        "[[buckets]]\nname = \"{name}\"\n[buckets.backend]\ntype = \"local\"\npath = \"{}\"\n\n",
                        path.display()
                    );
                }
                Bucket::S3 {
                    name,
                    endpoint,
                    cors_origin,
                } => {
                    toml += &format!(
                        "[[buckets]]\nname = \"{name}\"\n[buckets.backend]\ntype = \"s3\"\n\
                         endpoint = \"{endpoint}\"\nregion = \"us-east-1\"\nbucket = \"upstream\"\n\
                         access_key_id = \"{BACKEND_KEY}\"\nsecret_access_key = \"{BACKEND_SECRET}\"\n\n"
                    );
                    if let Some(origin) = cors_origin {
                        toml += &format!(
                            "[[buckets.cors]]\nallowed_origins = [\"{origin}\"]\n\
                             allowed_methods = [\"GET\", \"PUT\", \"HEAD\"]\nexpose_headers = [\"ETag\"]\n\n"
                        );
                    }
                }
            }
        }
        toml += &format!(
            "[[credentials]]\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\nprincipal = \"tester\"\n"
        );
        for bucket in &self.buckets {
            let (Bucket::Local(name) | Bucket::S3 { name, .. }) = bucket;
            toml += &format!("[[credentials.scopes]]\nbucket = \"{name}\"\nactions = [\"all\"]\n");
        }
        toml
    }

    /// Starts the gateway and waits until `/readyz` answers 200.
    pub fn start(self) -> Server {
        let config = self.dir.join("gateway.toml");
        std::fs::write(&config, self.config()).expect("write the config");
        let addr = free_addr();
        let admin = free_addr();
        let mut command = match self.fd_limit {
            None => Command::new(env!("CARGO_BIN_EXE_multistore")),
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(env!("CARGO_BIN_EXE_multistore"));
                sh
            }
        };
        command
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--admin-listen")
            .arg(admin.to_string())
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start the multistore binary");
        let stdout = capture(child.stdout.take().expect("stdout"));
        let stderr = capture(child.stderr.take().expect("stderr"));
        let mut server = Server {
            child,
            addr,
            admin,
            dir: self.dir,
            stdout,
            stderr,
            exited: None,
        };
        server.wait_ready(Duration::from_secs(30));
        server
    }
}

/// Copies a pipe into a shared string on a thread of its own.
fn capture(pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let out = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&out);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = String::new();
        while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    out
}

/// A running gateway (killed on drop if still running).
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub admin: SocketAddr,
    pub dir: PathBuf,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    exited: Option<ExitStatus>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The `Host` header value for the S3 port.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Everything the process wrote to stderr so far (its logs).
    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// The access-log lines (JSON format), parsed.
    pub fn access_lines(&self) -> Vec<serde_json::Value> {
        self.logs()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["target"] == "access")
            .collect()
    }

    fn wait_ready(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!(
                    "multistore exited before it was ready ({status}):\n{}",
                    self.logs()
                );
            }
            if admin_status(self.admin, "/readyz") == Some(200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "multistore not ready in {limit:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A `/proc/<pid>/status` field in bytes (`VmRSS`, `VmHWM`).
    pub fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/<pid>/status");
        let line = status
            .lines()
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in /proc/<pid>/status"));
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect("a number of kB");
        kib * 1024
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.exited = Some(status);
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Asserts the process is still running (it did not crash).
    pub fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!("multistore exited ({status}):\n{}", self.logs());
        }
    }

    /// Signed headers for a request to this gateway.
    pub fn signed(&self, method: &str, target: &str, extra: &[(&str, &str)]) -> HeaderMap {
        sign(method, target, &self.host(), extra, SECRET_KEY)
    }

    /// Sends a signed request with a small body on a fresh connection and reads the answer.
    pub fn call(&self, method: &str, target: &str, extra: &[(&str, &str)], body: &[u8]) -> Raw {
        let length = body.len().to_string();
        let mut extra: Vec<(&str, &str)> = extra.to_vec();
        if !body.is_empty() || method == "PUT" || method == "POST" {
            extra.push(("content-length", &length));
        }
        let headers = self.signed(method, target, &extra);
        let mut stream = connect(self.addr);
        stream
            .write_all(&request_head(method, target, &headers, true))
            .expect("send the head");
        stream.write_all(body).expect("send the body");
        read_response(&mut stream, method == "HEAD").expect("a response")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The status of an admin path, or `None` when the admin port does not answer.
pub fn admin_status(admin: SocketAddr, path: &str) -> Option<u16> {
    admin_get(admin, path).map(|r| r.status)
}

/// GET of an admin path.
pub fn admin_get(admin: SocketAddr, path: &str) -> Option<Raw> {
    let mut stream = TcpStream::connect_timeout(&admin, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let head = format!("GET {path} HTTP/1.1\r\nhost: {admin}\r\nconnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    read_response(&mut stream, false).ok()
}

/// Signs a request with header auth and `UNSIGNED-PAYLOAD`, as an SDK does; `target` is the
/// path and query (plain characters only: the query is not percent-decoded).
pub fn sign(
    method: &str,
    target: &str,
    host: &str,
    extra: &[(&str, &str)],
    secret: &str,
) -> HeaderMap {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (n.to_owned(), v.to_owned())
        })
        .collect();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(host).unwrap());
    for (k, v) in extra {
        headers.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let names: Vec<String> = headers.keys().map(|k| k.as_str().to_owned()).collect();
    let names: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| *n != "expect" && *n != "connection" && *n != "x-forwarded-for")
        .collect();
    let creds = SigningCredentials {
        access_key_id: ACCESS_KEY,
        secret_access_key: secret,
        session_token: None,
    };
    sign_request(
        method,
        path,
        &query,
        &mut headers,
        &names,
        "UNSIGNED-PAYLOAD",
        &creds,
        "us-east-1",
        "s3",
        DateTime::from(std::time::SystemTime::now()),
    )
    .expect("sign");
    headers
}

/// An HTTP/1.1 request head; `close` adds `connection: close`.
pub fn request_head(method: &str, target: &str, headers: &HeaderMap, close: bool) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
    for (k, v) in headers {
        out.extend_from_slice(k.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A connection with a 10 s read timeout, so that no test hangs forever.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the gateway");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// A response read by [`read_response`].
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `<Code>` of an S3 error body.
    pub fn code(&self) -> String {
        let text = self.text();
        text.split("<Code>")
            .nth(1)
            .and_then(|s| s.split("</Code>").next())
            .unwrap_or_default()
            .to_owned()
    }
}

/// Reads one response head (skipping `100 Continue` unless it is all there is) and its body:
/// Content-Length bytes, chunked, or up to EOF.
pub fn read_response(stream: &mut TcpStream, head_only: bool) -> std::io::Result<Raw> {
    loop {
        let (status, headers) = read_head(stream)?;
        if status == 100 {
            continue;
        }
        let mut raw = Raw {
            status,
            headers,
            body: Vec::new(),
        };
        if head_only || status == 204 || status == 304 {
            return Ok(raw);
        }
        if let Some(len) = raw.header("content-length") {
            let len: usize = len.trim().parse().map_err(std::io::Error::other)?;
            raw.body = vec![0; len];
            stream.read_exact(&mut raw.body)?;
        } else if raw
            .header("transfer-encoding")
            .is_some_and(|t| t.contains("chunked"))
        {
            raw.body = read_chunked(stream)?;
        } else {
            stream.read_to_end(&mut raw.body)?;
        }
        return Ok(raw);
    }
}

/// Reads a response head byte by byte (so nothing after it is consumed).
pub fn read_head(stream: &mut TcpStream) -> std::io::Result<(u16, Vec<(String, String)>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed after {:?}",
                    String::from_utf8_lossy(&head)
                ),
            ));
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {text:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, headers))
}

fn read_chunked(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            stream.read_exact(&mut byte)?;
            line.push(byte[0]);
        }
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&line)
                .trim()
                .split(';')
                .next()
                .unwrap_or(""),
            16,
        )
        .map_err(std::io::Error::other)?;
        let mut chunk = vec![0; size + 2];
        stream.read_exact(&mut chunk)?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Whether the peer has closed `stream` (EOF or reset) within `limit`; `false` if it is still
/// open (the read timed out) or sent data.
pub fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 256];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}
