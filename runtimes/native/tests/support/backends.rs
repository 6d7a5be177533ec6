//! The real backends the gateway is tested in front of, besides its embedded directory store:
//!
//! - **s3s-fs in-process**: s3s 0.14.1's `S3ServiceBuilder` over `s3s_fs::FileSystem` with
//!   `SimpleAuth` (so it verifies the gateway's SigV4), served by hyper on 127.0.0.1:0 in the
//!   test's runtime.
//! - **moto server**: `moto_server -H 127.0.0.1 -p <port>`, one child process per test binary,
//!   each test with its own bucket. It runs under a small `sh` watchdog that kills it when the
//!   watchdog's stdin closes, which happens when the [`Moto`] is dropped or the test process
//!   exits, so no server outlives the tests.

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The keys s3s-fs checks the gateway's signatures with.
pub const S3S_ACCESS_KEY: &str = "S3SBACKENDKEY";
pub const S3S_SECRET_KEY: &str = "s3s-backend-secret";
/// moto accepts any keys (it does not verify signatures); the gateway signs with these.
pub const MOTO_ACCESS_KEY: &str = "MOTOBACKENDKEY";
pub const MOTO_SECRET_KEY: &str = "moto-backend-secret";

/// An s3s-fs server in-process, with one bucket.
pub struct S3sFs {
    pub addr: SocketAddr,
    pub root: PathBuf,
    task: JoinHandle<()>,
}

impl S3sFs {
    /// Serves `root` (which must exist) with the bucket `bucket` created in it.
    pub async fn start(root: &Path, bucket: &str) -> Self {
        std::fs::create_dir_all(root.join(bucket)).expect("create the s3s-fs bucket");
        let fs = s3s_fs::FileSystem::new(root).expect("s3s-fs over the temp dir");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(S3S_ACCESS_KEY, S3S_SECRET_KEY));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind s3s-fs");
        let addr = listener.local_addr().expect("s3s-fs address");
        let task = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Self {
            addr,
            root: root.to_path_buf(),
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A moto server child process.
pub struct Moto {
    pub addr: SocketAddr,
    child: Mutex<Option<(Child, ChildStdin)>>,
}

impl Moto {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts `moto_server` on a free port and waits until it accepts connections.
    pub fn start() -> Result<Self, String> {
        let binary = find_on_path("moto_server").ok_or_else(|| {
            "moto_server is not on PATH (install it with `pip install \"moto[server]\"`)".to_owned()
        })?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let log = std::env::temp_dir().join(format!("multistore-moto-{port}.log"));
        // The watchdog: moto in the background, killed when stdin reaches EOF (our end of
        // the pipe closes on drop or when this process exits, even on a panic or abort).
        let script = r#""$0" -H 127.0.0.1 -p "$1" >"$2" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
read _ || true"#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&binary)
            .arg(port.to_string())
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                let output = std::fs::read_to_string(&log).unwrap_or_default();
                drop(stdin);
                let _ = child.wait();
                return Err(format!(
                    "moto_server ({}) did not start on {addr}: {output}",
                    binary.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            addr,
            child: Mutex::new(Some((child, stdin))),
        })
    }

    /// The moto server shared by the tests of this binary, started on first use.
    pub fn shared() -> Result<&'static Moto, String> {
        static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();
        MOTO.get_or_init(Moto::start).as_ref().map_err(Clone::clone)
    }

    /// A bucket name no other test of this process uses.
    pub fn fresh_bucket() -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        format!(
            "moto-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let taken = self.child.lock().map(|mut c| c.take()).ok().flatten();
        if let Some((mut child, mut stdin)) = taken {
            let _ = stdin.write_all(b"\n");
            drop(stdin);
            let _ = child.wait();
        }
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
