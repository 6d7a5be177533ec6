//! The world a recording or a replay runs in: the backends (s3s-fs in-process, moto server as
//! a child process, MinIO in Docker when an engine answers), the gateway configuration in front of them (TOML for the native runtime,
//! JSON for the Worker), the native gateway in-process, and the keys everyone signs with.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The bucket every scenario works in, on the client side and in every backend.
pub const BUCKET: &str = "conformance";
/// A client key with every action on every bucket.
pub const ADMIN: (&str, &str) = ("AKIACONFORMANCEADMIN", "conformance-admin-secret");
/// A client key that may only read and write under `alice/` (the access-denied scenarios).
pub const ALICE: (&str, &str) = ("AKIACONFORMANCEALICE", "conformance-alice-secret");
/// The keys the gateway signs s3s-fs requests with (s3s-fs verifies them).
pub const S3S_KEYS: (&str, &str) = ("S3SBACKENDKEY", "s3s-backend-secret");
/// The keys the gateway signs moto requests with (moto checks no signatures).
pub const MOTO_KEYS: (&str, &str) = ("MOTOBACKENDKEY", "moto-backend-secret");
/// The environment variable naming the `moto_server` program (as for the native tests).
pub const MOTO_ENV: &str = "MULTISTORE_MOTO_SERVER";

/// The secret of a client access key id.
pub fn client_secret(key_id: &str) -> Option<String> {
    [ADMIN, ALICE]
        .iter()
        .find(|(id, _)| *id == key_id)
        .map(|(_, s)| (*s).to_owned())
}

/// The backends replay runs in front of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackendKind {
    /// s3s-fs 0.14.1 (verifies SigV4; no conditional GET, tagging or versioning).
    S3sFs,
    /// moto server (broad S3 semantics; checks no signatures).
    Moto,
    /// MinIO in Docker through testcontainers (only where a Docker engine answers).
    Minio,
}

impl BackendKind {
    /// Every backend kind, in report order.
    pub const ALL: [Self; 3] = [Self::S3sFs, Self::Moto, Self::Minio];

    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::S3sFs => "s3s-fs",
            Self::Moto => "moto",
            Self::Minio => "minio",
        }
    }

    /// Parses [`BackendKind::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The keys the gateway signs this backend's requests with.
    pub fn keys(self) -> (&'static str, &'static str) {
        match self {
            Self::S3sFs => S3S_KEYS,
            Self::Moto => MOTO_KEYS,
            Self::Minio => crate::minio::KEYS,
        }
    }
}

/// A running backend with [`BUCKET`] in it.
pub struct Backend {
    /// Which backend.
    pub kind: BackendKind,
    /// Where it listens.
    pub addr: SocketAddr,
    inner: Inner,
}

enum Inner {
    S3sFs {
        root: tempfile::TempDir,
        task: JoinHandle<()>,
    },
    Moto {
        child: Option<(Child, ChildStdin)>,
    },
    /// Dropping it removes the container.
    Minio {
        _container: Box<crate::minio::Minio>,
    },
}

impl Backend {
    /// Starts a backend on `port` (0: any free port).
    ///
    /// # Errors
    /// When it cannot bind or start.
    pub async fn start(kind: BackendKind, port: u16) -> anyhow::Result<Self> {
        let backend = match kind {
            BackendKind::S3sFs => start_s3s_fs(port).await?,
            BackendKind::Moto => start_moto(port)?,
            BackendKind::Minio => {
                let port = if port == 0 { free_port()? } else { port };
                let minio = crate::minio::Minio::start(port).await?;
                Backend {
                    kind,
                    addr: minio.addr,
                    inner: Inner::Minio {
                        _container: Box::new(minio),
                    },
                }
            }
        };
        backend.reset().await?;
        Ok(backend)
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Empties the backend and recreates [`BUCKET`], so that every scenario starts alike.
    ///
    /// # Errors
    /// When the backend does not answer.
    pub async fn reset(&self) -> anyhow::Result<()> {
        match &self.inner {
            Inner::S3sFs { root, .. } => {
                for entry in std::fs::read_dir(root.path())? {
                    let path = entry?.path();
                    if path.is_dir() {
                        std::fs::remove_dir_all(&path)?;
                    } else {
                        std::fs::remove_file(&path)?;
                    }
                }
                std::fs::create_dir_all(root.path().join(BUCKET))?;
            }
            Inner::Moto { .. } => {
                // moto's own reset endpoint drops every bucket; then the bucket is made again.
                let host = self.addr.to_string();
                let reset = crate::traffic::Message {
                    start: "POST /moto-api/reset HTTP/1.1".into(),
                    headers: vec![
                        ("Host".into(), host.clone()),
                        ("Content-Length".into(), "0".into()),
                    ],
                    body: Vec::new(),
                };
                let response =
                    crate::http1::exchange(&host, &reset, Duration::from_secs(30)).await?;
                if response.status() != 200 {
                    bail!("moto reset answered {}", response.start);
                }
                let client = sdk_client(&self.url(), MOTO_KEYS);
                client
                    .create_bucket()
                    .bucket(BUCKET)
                    .send()
                    .await
                    .context("create the moto bucket")?;
            }
            Inner::Minio { .. } => {
                crate::minio::empty_bucket(&sdk_client(&self.url(), crate::minio::KEYS)).await?;
            }
        }
        Ok(())
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        match &mut self.inner {
            Inner::S3sFs { task, .. } => task.abort(),
            Inner::Moto { child } => {
                if let Some((mut child, stdin)) = child.take() {
                    drop(stdin);
                    let _ = child.wait();
                }
            }
            Inner::Minio { .. } => {}
        }
    }
}

async fn start_s3s_fs(port: u16) -> anyhow::Result<Backend> {
    let root = tempfile::tempdir()?;
    let fs = s3s_fs::FileSystem::new(root.path()).map_err(|e| anyhow::anyhow!("s3s-fs: {e:?}"))?;
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(S3S_KEYS.0, S3S_KEYS.1));
    let service = builder.build();
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .context("bind s3s-fs")?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        while let Ok((socket, _)) = listener.accept().await {
            let conn = http
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    Ok(Backend {
        kind: BackendKind::S3sFs,
        addr,
        inner: Inner::S3sFs { root, task },
    })
}

/// The `moto_server` program: `$MULTISTORE_MOTO_SERVER`, else the one on `PATH`.
fn moto_program() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os(MOTO_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|p| p.is_file())
        .with_context(|| format!("moto_server is not on PATH and {MOTO_ENV} is unset (`cargo xtask conformance` installs it)"))
}

fn start_moto(port: u16) -> anyhow::Result<Backend> {
    let program = moto_program()?;
    let port = if port == 0 { free_port()? } else { port };
    let log = std::env::temp_dir().join(format!("multistore-conformance-moto-{port}.log"));
    // moto runs under a shell that kills it when its stdin closes: when this process drops the
    // backend or exits in any way, no server is left behind.
    let script = r#""$0" -H 127.0.0.1 -p "$1" >"$2" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
read _ || true"#;
    let mut child = Command::new("sh")
        .args(["-c", script])
        .arg(&program)
        .arg(port.to_string())
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let stdin = child.stdin.take().context("piped stdin")?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            drop(stdin);
            let _ = child.wait();
            bail!("moto_server did not start on {addr}: {}", read_log(&log));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Backend {
        kind: BackendKind::Moto,
        addr,
        inner: Inner::Moto {
            child: Some((child, stdin)),
        },
    })
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A free 127.0.0.1 port.
///
/// # Errors
/// When none can be bound.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// aws-sdk-s3 for `endpoint` with static keys: path-style, us-east-1, no retries.
pub fn sdk_client(endpoint: &str, keys: (&str, &str)) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(keys.0, keys.1, None, None, "conformance"))
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The gateway configuration (TOML) with [`BUCKET`] on the backend at `endpoint`.
pub fn gateway_toml(kind: BackendKind, endpoint: &str) -> String {
    let (key, secret) = kind.keys();
    format!(
        r#"[[buckets]]
name = "{BUCKET}"
[buckets.backend]
type = "s3"
endpoint = "{endpoint}"
bucket = "{BUCKET}"
access_key_id = "{key}"
secret_access_key = "{secret}"

[[credentials]]
access_key_id = "{}"
secret_access_key = "{}"
principal = "admin"
[[credentials.scopes]]
bucket = "*"
actions = ["all"]

[[credentials]]
access_key_id = "{}"
secret_access_key = "{}"
principal = "alice"
[[credentials.scopes]]
bucket = "{BUCKET}"
prefixes = ["alice/"]
actions = ["read", "write"]
"#,
        ADMIN.0, ADMIN.1, ALICE.0, ALICE.1
    )
}

/// The same configuration as JSON, for the Worker.
pub fn gateway_json(kind: BackendKind, endpoint: &str) -> String {
    let (key, secret) = kind.keys();
    format!(
        r#"{{"buckets":[{{"name":"{BUCKET}","backend":{{"type":"s3","endpoint":"{endpoint}","bucket":"{BUCKET}","access_key_id":"{key}","secret_access_key":"{secret}"}}}}],"credentials":[{{"access_key_id":"{}","secret_access_key":"{}","principal":"admin","scopes":[{{"bucket":"*","actions":["all"]}}]}},{{"access_key_id":"{}","secret_access_key":"{}","principal":"alice","scopes":[{{"bucket":"{BUCKET}","prefixes":["alice/"],"actions":["read","write"]}}]}}]}}"#,
        ADMIN.0, ADMIN.1, ALICE.0, ALICE.1
    )
}

/// The native gateway in-process, on a free port.
pub struct NativeGateway {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl NativeGateway {
    /// Starts the gateway the way `multistore serve --config` does, from TOML text.
    ///
    /// # Errors
    /// A configuration or bind failure.
    pub async fn start(toml: &str) -> anyhow::Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut config =
            multistore_core::config::from_toml(toml).map_err(|e| anyhow::anyhow!("{e}"))?;
        config
            .resolve_secrets(&|_: &str| None)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let limits = multistore::cli::ServerLimits {
            connect_timeout: Duration::from_secs(2),
            first_byte_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(1),
            max_connections: 64,
            max_concurrent_requests: 64,
        };
        let state: Arc<_> = multistore::serve::build_state(&config, &limits, &[]).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(multistore::server::run(listener, state, async {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for NativeGateway {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
