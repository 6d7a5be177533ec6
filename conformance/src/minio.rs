//! The MinIO column: finds a Docker engine cheaply and without hanging (a `GET /_ping` over
//! `DOCKER_HOST` or `/var/run/docker.sock`, each step under a timeout), starts MinIO in it
//! through testcontainers (`testcontainers-modules`' `minio` image, its pinned release) with the
//! replay's root keys and the S3 port mapped where the Worker was told to look, and empties
//! the replay bucket between traffic files.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use testcontainers_modules::minio::MinIO;
use testcontainers_modules::testcontainers::core::ContainerPort;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, ContainerRequest, ImageExt};

use crate::env::BUCKET;

/// MinIO's root user and password (the gateway signs MinIO requests with them; MinIO wants a
/// password of at least 8 characters).
pub const KEYS: (&str, &str) = ("minio-conformance", "minio-conformance-secret");
/// The port MinIO serves S3 on inside the container.
pub const S3_PORT: u16 = 9000;
/// How long each step of the engine probe (connect, write, read) may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long MinIO may take to start (the image pull included).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(300);
/// The socket Docker listens on when `DOCKER_HOST` is unset.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Where a Docker engine would answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineAddr {
    /// A Unix socket (`unix://PATH`, or the default socket).
    Unix(PathBuf),
    /// A plain TCP endpoint (`tcp://HOST:PORT`).
    Tcp(String),
}

impl std::fmt::Display for EngineAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
            Self::Tcp(host) => write!(f, "tcp://{host}"),
        }
    }
}

/// The engine address a `DOCKER_HOST` value names (unset or empty: the default socket).
///
/// # Errors
/// A scheme this probe cannot reach (`npipe://`, `ssh://`, …), with the reason to report.
pub fn engine_addr(docker_host: Option<&str>) -> Result<EngineAddr, String> {
    let Some(host) = docker_host.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(EngineAddr::Unix(PathBuf::from(DEFAULT_SOCKET)));
    };
    if let Some(path) = host.strip_prefix("unix://") {
        return Ok(EngineAddr::Unix(PathBuf::from(path)));
    }
    if let Some(rest) = host.strip_prefix("tcp://") {
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() {
            return Err(format!("DOCKER_HOST={host} names no host"));
        }
        return Ok(EngineAddr::Tcp(authority.to_owned()));
    }
    Err(format!(
        "DOCKER_HOST={host}: only unix:// and tcp:// engines are probed"
    ))
}

/// Asks the engine at `addr` for `/_ping`; every step is bounded by `timeout`.
///
/// # Errors
/// Why the engine did not answer `200 OK`.
pub fn ping(addr: &EngineAddr, timeout: Duration) -> Result<(), String> {
    let answer = match addr {
        EngineAddr::Unix(path) => {
            let stream = UnixStream::connect(path).map_err(|e| format!("{addr}: {e}"))?;
            stream
                .set_read_timeout(Some(timeout))
                .and_then(|()| stream.set_write_timeout(Some(timeout)))
                .map_err(|e| format!("{addr}: {e}"))?;
            exchange(stream)
        }
        EngineAddr::Tcp(host) => {
            let socket: SocketAddr = host
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .ok_or_else(|| format!("{addr}: cannot resolve"))?;
            let stream =
                TcpStream::connect_timeout(&socket, timeout).map_err(|e| format!("{addr}: {e}"))?;
            stream
                .set_read_timeout(Some(timeout))
                .and_then(|()| stream.set_write_timeout(Some(timeout)))
                .map_err(|e| format!("{addr}: {e}"))?;
            exchange(stream)
        }
    }
    .map_err(|e| format!("{addr}: {e}"))?;
    let status = answer.split("\r\n").next().unwrap_or_default();
    if status.starts_with("HTTP/1.") && status.split(' ').nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("{addr}: /_ping answered {status:?}"))
    }
}

/// Writes the ping and reads the answer's first bytes (enough for the status line).
fn exchange(mut stream: impl Read + Write) -> std::io::Result<String> {
    stream.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")?;
    let mut buf = [0u8; 256];
    let mut len = 0;
    while len < buf.len() {
        let n = stream.read(&mut buf[len..])?;
        if n == 0 {
            break;
        }
        len += n;
        if buf[..len].windows(2).any(|w| w == b"\r\n") {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&buf[..len]).into_owned())
}

/// The engine this process would use (`DOCKER_HOST`, else the default socket), if it answers.
///
/// # Errors
/// Why the MinIO column cannot run, phrased for the report.
pub fn engine() -> Result<EngineAddr, String> {
    let host = std::env::var("DOCKER_HOST").ok();
    let addr = engine_addr(host.as_deref()).map_err(|e| format!("no Docker engine: {e}"))?;
    ping(&addr, PROBE_TIMEOUT)
        .map_err(|e| format!("no Docker engine found ({e}); MinIO runs through testcontainers"))?;
    Ok(addr)
}

/// The container request: MinIO with [`KEYS`] as its root user, its S3 port on `host_port`.
pub fn request(host_port: u16) -> ContainerRequest<MinIO> {
    MinIO::default()
        .with_env_var("MINIO_ROOT_USER", KEYS.0)
        .with_env_var("MINIO_ROOT_PASSWORD", KEYS.1)
        .with_mapped_port(host_port, ContainerPort::Tcp(S3_PORT))
        .with_startup_timeout(STARTUP_TIMEOUT)
}

/// A running MinIO; dropping it removes the container.
pub struct Minio {
    /// Where its S3 API answers on this host.
    pub addr: SocketAddr,
    _container: ContainerAsync<MinIO>,
}

impl Minio {
    /// Starts MinIO with its S3 port on `host_port` and waits until it serves.
    ///
    /// # Errors
    /// When the engine refuses, the image cannot be pulled, or MinIO does not start in time.
    pub async fn start(host_port: u16) -> anyhow::Result<Self> {
        let container = request(host_port)
            .start()
            .await
            .context("start minio/minio through testcontainers")?;
        Ok(Self {
            addr: SocketAddr::from(([127, 0, 0, 1], host_port)),
            _container: container,
        })
    }
}

/// Leaves [`BUCKET`] existing and empty: every object version and every upload in progress
/// is removed (MinIO has no reset endpoint such as moto's).
///
/// # Errors
/// When MinIO does not answer.
pub async fn empty_bucket(client: &Client) -> anyhow::Result<()> {
    if client.head_bucket().bucket(BUCKET).send().await.is_err() {
        client
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .context("create the MinIO bucket")?;
        return Ok(());
    }
    loop {
        let listed = client
            .list_object_versions()
            .bucket(BUCKET)
            .send()
            .await
            .context("list MinIO object versions")?;
        let mut ids: Vec<ObjectIdentifier> = Vec::new();
        let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = listed
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        for (key, version) in versions.chain(markers) {
            let Some(key) = key else { continue };
            ids.push(
                ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .build()?,
            );
        }
        if ids.is_empty() {
            break;
        }
        client
            .delete_objects()
            .bucket(BUCKET)
            .delete(Delete::builder().set_objects(Some(ids)).build()?)
            .send()
            .await
            .context("empty the MinIO bucket")?;
    }
    let uploads = client
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .context("list MinIO uploads")?;
    for upload in uploads.uploads() {
        if let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) {
            client
                .abort_multipart_upload()
                .bucket(BUCKET)
                .key(key)
                .upload_id(id)
                .send()
                .await
                .context("abort a MinIO upload")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixListener;
    use std::time::Instant;

    use testcontainers_modules::testcontainers::Image;

    use super::*;

    #[test]
    fn docker_host_names_the_engine() {
        let default = EngineAddr::Unix(PathBuf::from("/var/run/docker.sock"));
        assert_eq!(engine_addr(None), Ok(default.clone()));
        assert_eq!(engine_addr(Some("  ")), Ok(default));
        assert_eq!(
            engine_addr(Some("unix:///run/user/1000/docker.sock")),
            Ok(EngineAddr::Unix(PathBuf::from(
                "/run/user/1000/docker.sock"
            )))
        );
        assert_eq!(
            engine_addr(Some("tcp://127.0.0.1:2375/")),
            Ok(EngineAddr::Tcp("127.0.0.1:2375".into()))
        );
        for unsupported in ["npipe:////./pipe/docker_engine", "ssh://me@host", "tcp://"] {
            assert!(engine_addr(Some(unsupported)).is_err(), "{unsupported}");
        }
    }

    #[test]
    fn a_missing_socket_is_no_engine() {
        let dir = tempfile::tempdir().unwrap();
        let addr = EngineAddr::Unix(dir.path().join("docker.sock"));
        let err = ping(&addr, PROBE_TIMEOUT).unwrap_err();
        assert!(err.contains("docker.sock"), "{err}");
    }

    /// A socket that answers `answer` to one request.
    fn fake_engine(answer: &'static [u8]) -> (tempfile::TempDir, EngineAddr) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 512];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(answer);
            }
        });
        (dir, EngineAddr::Unix(path))
    }

    #[test]
    fn an_engine_answering_ping_is_found() {
        let (_dir, addr) = fake_engine(b"HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\n\r\nOK");
        assert_eq!(ping(&addr, PROBE_TIMEOUT), Ok(()));
    }

    #[test]
    fn another_answer_is_no_engine() {
        let (_dir, addr) = fake_engine(b"HTTP/1.1 404 Not Found\r\n\r\n");
        let err = ping(&addr, PROBE_TIMEOUT).unwrap_err();
        assert!(err.contains("404"), "{err}");
    }

    #[test]
    fn a_silent_socket_does_not_hang_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        // Accepted by the kernel's backlog, never answered.
        let _listener = UnixListener::bind(&path).unwrap();
        let started = Instant::now();
        let err = ping(&EngineAddr::Unix(path), Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{err}");
    }

    #[test]
    fn a_closed_tcp_port_is_no_engine() {
        let port = crate::env::free_port().unwrap();
        let addr = EngineAddr::Tcp(format!("127.0.0.1:{port}"));
        assert!(ping(&addr, Duration::from_millis(500)).is_err());
    }

    #[test]
    fn the_container_uses_the_replay_keys_and_port() {
        let request = request(45123);
        let env: Vec<(String, String)> = request
            .env_vars()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert!(env.contains(&("MINIO_ROOT_USER".into(), KEYS.0.into())));
        assert!(env.contains(&("MINIO_ROOT_PASSWORD".into(), KEYS.1.into())));
        assert!(KEYS.1.len() >= 8, "MinIO refuses shorter root passwords");
        let ports = request.ports().expect("a mapped port");
        assert_eq!(ports.len(), 1);
        assert_eq!(ports[0].host_port(), 45123);
        assert_eq!(ports[0].container_port(), ContainerPort::Tcp(S3_PORT));
        assert_eq!(request.image().name(), "minio/minio");
    }
}
