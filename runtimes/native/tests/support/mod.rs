//! Shared harness of the `gateway_*` tests: a gateway in-process ([`gateway`]) in front of one
//! of three real backends ([`backends`]), driven by aws-sdk-s3 (path-style, static keys,
//! us-east-1, retries off) or by raw HTTP ([`raw`]).
//!
//! Every scenario is an `async fn(&Harness)` written once; [`matrix!`] turns a list of them
//! into one `#[tokio::test]` per scenario and backend (`local::name`, `s3s_fs::name`,
//! `moto::name`). Where a backend lacks a capability the scenario asserts what the backend
//! does instead, through [`backend_lacks`], which names it in the output.
#![allow(dead_code)]

pub mod backends;
pub mod gateway;
pub mod raw;

use std::fmt::Debug;
use std::path::PathBuf;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use self::backends::{
    MOTO_ACCESS_KEY, MOTO_SECRET_KEY, Moto, S3S_ACCESS_KEY, S3S_SECRET_KEY, S3sFs,
};
pub use self::gateway::Gateway;

/// The client-visible bucket every scenario works in (backed by the backend under test).
pub const BUCKET: &str = "gw-main";
/// A second bucket, always on the embedded directory store (for cross-backend copies).
pub const SIDE: &str = "gw-side";
/// The bucket name inside the s3s-fs backend (different from [`BUCKET`], so the gateway's
/// name mapping is exercised).
pub const S3S_BUCKET: &str = "s3s-backend";
/// The origin the configured CORS rule allows.
pub const ORIGIN: &str = "https://app.example.com";

/// A client key with every action on every bucket.
pub const ADMIN: (&str, &str) = ("GWTESTADMINKEY0001", "admin-secret-for-tests");
/// A client key scoped to the `alice/` prefix of every bucket.
pub const ALICE: (&str, &str) = ("GWTESTALICEKEY0001", "alice-secret-for-tests");

/// Which backend a scenario runs in front of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Local,
    S3sFs,
    Moto,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Local => "local",
            Kind::S3sFs => "s3s-fs",
            Kind::Moto => "moto",
        }
    }
}

/// Runs each `async fn scenario(h: &Harness)` in front of every backend, as one test each.
#[macro_export]
macro_rules! matrix {
    ($($name:ident),* $(,)?) => {
        $crate::matrix!(@kind local, Local, $($name),*);
        $crate::matrix!(@kind s3s_fs, S3sFs, $($name),*);
        $crate::matrix!(@kind moto, Moto, $($name),*);
    };
    (@kind $module:ident, $kind:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let kind = $crate::support::Kind::$kind;
                    if let Some(h) = $crate::support::Harness::start(kind).await {
                        super::$name(&h).await;
                    }
                }
            )*
        }
    };
}

/// The backend behind [`BUCKET`].
pub enum Backend {
    Local { path: PathBuf },
    S3sFs { server: S3sFs, direct: Client },
    Moto { direct: Client, bucket: String },
}

/// A gateway in front of one backend, with clients.
pub struct Harness {
    pub kind: Kind,
    pub gw: Gateway,
    /// aws-sdk-s3 through the gateway with the [`ADMIN`] key.
    pub s3: Client,
    pub backend: Backend,
    pub dir: tempfile::TempDir,
}

impl Harness {
    /// A gateway with [`BUCKET`] on `kind` and [`SIDE`] on a directory. `None` when the
    /// backend is unavailable here and the test is skipped (never under `CI`).
    pub async fn start(kind: Kind) -> Option<Self> {
        Self::start_with(kind, "").await
    }

    /// Like [`Harness::start`], with extra TOML appended to the configuration.
    pub async fn start_with(kind: Kind, extra_toml: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (backend, table) = match kind {
            Kind::Local => {
                let path = dir.path().join("local");
                std::fs::create_dir_all(&path).expect("local dir");
                let table = format!("type = \"local\"\npath = {:?}\n", path.to_str().unwrap());
                (Backend::Local { path }, table)
            }
            Kind::S3sFs => {
                let root = dir.path().join("s3s");
                std::fs::create_dir_all(&root).expect("s3s root");
                let server = S3sFs::start(&root, S3S_BUCKET).await;
                let table = s3_table(&server.url(), S3S_BUCKET, S3S_ACCESS_KEY, S3S_SECRET_KEY);
                let direct = client(&server.url(), S3S_ACCESS_KEY, S3S_SECRET_KEY);
                (Backend::S3sFs { server, direct }, table)
            }
            Kind::Moto => {
                let moto = match tokio::task::spawn_blocking(Moto::shared).await.unwrap() {
                    Ok(m) => m,
                    Err(why) if std::env::var_os("CI").is_some() => {
                        panic!("moto backend unavailable and CI is set: {why}")
                    }
                    Err(why) => {
                        eprintln!(
                            "SKIPPED (moto backend unavailable; set CI to fail instead): {why}"
                        );
                        return None;
                    }
                };
                let bucket = Moto::fresh_bucket();
                let direct = client(&moto.url(), MOTO_ACCESS_KEY, MOTO_SECRET_KEY);
                direct
                    .create_bucket()
                    .bucket(&bucket)
                    .send()
                    .await
                    .expect("create the moto bucket");
                let table = s3_table(&moto.url(), &bucket, MOTO_ACCESS_KEY, MOTO_SECRET_KEY);
                (Backend::Moto { direct, bucket }, table)
            }
        };
        let side = dir.path().join("side");
        std::fs::create_dir_all(&side).expect("side dir");
        let toml = config_toml(&table, side.to_str().unwrap(), extra_toml);
        let gw = Gateway::start(&toml).await;
        let s3 = client(&gw.url(), ADMIN.0, ADMIN.1);
        Some(Self {
            kind,
            gw,
            s3,
            backend,
            dir,
        })
    }

    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// aws-sdk-s3 through the gateway with another key.
    pub fn client_as(&self, key: (&str, &str)) -> Client {
        client(&self.gw.url(), key.0, key.1)
    }

    /// A client straight to the S3 backend and the backend bucket name (none for `local`).
    pub fn direct(&self) -> Option<(&Client, &str)> {
        match &self.backend {
            Backend::Local { .. } => None,
            Backend::S3sFs { direct, .. } => Some((direct, S3S_BUCKET)),
            Backend::Moto { direct, bucket } => Some((direct, bucket.as_str())),
        }
    }

    /// Puts an object through the gateway.
    pub async fn put(&self, key: &str, body: impl Into<Vec<u8>>) {
        self.s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from(body.into()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: put {key:?}: {}", self.name(), show(&e)));
    }

    /// Gets an object's bytes through the gateway.
    pub async fn get(&self, key: &str) -> Vec<u8> {
        self.get_in(BUCKET, key).await
    }

    pub async fn get_in(&self, bucket: &str, key: &str) -> Vec<u8> {
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: get {bucket}/{key:?}: {}", self.name(), show(&e)));
        out.body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec()
    }

    /// Whether the object exists, asked through the gateway and (for S3 backends) of the
    /// backend directly; the two must agree.
    pub async fn exists(&self, key: &str) -> bool {
        let through = match self.s3.head_object().bucket(BUCKET).key(key).send().await {
            Ok(_) => true,
            Err(e) if status(&e) == Some(404) => false,
            Err(e) => panic!("{}: head {key:?}: {}", self.name(), show(&e)),
        };
        if let Some((direct, bucket)) = self.direct() {
            let there = match direct.head_object().bucket(bucket).key(key).send().await {
                Ok(_) => true,
                Err(e) if status(&e) == Some(404) => false,
                Err(e) => panic!("{}: direct head {key:?}: {}", self.name(), show(&e)),
            };
            assert_eq!(
                through,
                there,
                "{}: gateway and backend disagree on {key:?}",
                self.name()
            );
        }
        through
    }
}

/// The `[buckets.backend]` table of an S3 backend.
fn s3_table(endpoint: &str, bucket: &str, access: &str, secret: &str) -> String {
    format!(
        "type = \"s3\"\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\nbucket = \"{bucket}\"\n\
         access_key_id = \"{access}\"\nsecret_access_key = \"{secret}\"\n"
    )
}

/// The gateway configuration of a harness.
fn config_toml(main_backend: &str, side_path: &str, extra: &str) -> String {
    format!(
        r#"
[server]
region = "us-east-1"
debug_errors = true

[[credentials]]
access_key_id = "{admin}"
secret_access_key = "{admin_secret}"
principal = "admin"
[[credentials.scopes]]
bucket = "*"
actions = ["all"]

[[credentials]]
access_key_id = "{alice}"
secret_access_key = "{alice_secret}"
principal = "alice"
[[credentials.scopes]]
bucket = "*"
prefixes = ["alice/"]
actions = ["all"]

[[buckets]]
name = "{BUCKET}"
[buckets.backend]
{main_backend}
[[buckets.cors]]
id = "app"
allowed_origins = ["{ORIGIN}"]
allowed_methods = ["GET", "PUT"]
allowed_headers = ["*"]
expose_headers = ["ETag"]
max_age_seconds = 3000

[[buckets]]
name = "{SIDE}"
[buckets.backend]
type = "local"
path = {side_path:?}
{extra}
"#,
        admin = ADMIN.0,
        admin_secret = ADMIN.1,
        alice = ALICE.0,
        alice_secret = ALICE.1,
    )
}

/// aws-sdk-s3 against `endpoint`: path-style, static keys, us-east-1, no retries.
pub fn client(endpoint: &str, access: &str, secret: &str) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access, secret, None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(std::time::Duration::from_secs(60))
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// The HTTP status of a failed SDK call, when there was a response.
pub fn status<E, R: HasStatus>(e: &SdkError<E, R>) -> Option<u16> {
    e.raw_response().map(HasStatus::status_code)
}

/// Response types that have a status.
pub trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// An SDK error with its context, for messages.
pub fn show<E: std::error::Error + 'static, R: Debug>(e: &SdkError<E, R>) -> String {
    format!("{}", aws_sdk_s3::error::DisplayErrorContext(e))
}

/// The status and S3 error code of a call that must fail.
pub fn failure<T: Debug, E>(
    r: Result<T, SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> (u16, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            let Some(status) = status(&e) else {
                panic!("expected an S3 error response, got {}", show(&e));
            };
            let code = e.code().unwrap_or_default().to_owned();
            (status, code)
        }
    }
}

/// Asserts that the backend answered `501 NotImplemented` (relayed by the gateway) for a
/// capability it lacks, and says so in the test output.
pub fn backend_lacks<T: Debug, E>(
    h: &Harness,
    what: &str,
    r: Result<T, SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (status, code) = failure(r);
    assert_eq!(
        (status, code.as_str()),
        (501, "NotImplemented"),
        "{}: backend lacks {what}: expected the backend's 501 NotImplemented relayed",
        h.name()
    );
    eprintln!(
        "{}: backend lacks {what} (asserted: 501 NotImplemented)",
        h.name()
    );
}

/// Asserts that a failed call answered `want` — except on the backends in `lacks`, which
/// must answer their own (status, code) instead: the test output names each as
/// "backend lacks `what`".
pub fn expect_error(
    h: &Harness,
    what: &str,
    got: (u16, String),
    want: (u16, &str),
    lacks: &[(Kind, (u16, &str))],
) {
    let got = (got.0, got.1.as_str());
    match lacks.iter().find(|(kind, _)| *kind == h.kind) {
        Some((_, instead)) => {
            assert_eq!(
                got,
                *instead,
                "{}: backend lacks {what}: its own answer changed",
                h.name()
            );
            eprintln!(
                "{}: backend lacks {what} (asserted: {} {})",
                h.name(),
                instead.0,
                instead.1
            );
        }
        None => assert_eq!(got, want, "{}: {what}", h.name()),
    }
}

/// Deterministic test data.
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2_654_435_761)
                .wrapping_add(u32::from(seed)) as u8
                ^ seed
        })
        .map(|b| b.rotate_left(3))
        .collect()
}

/// The base64 CRC32 of `bytes`, as `x-amz-checksum-crc32` carries it.
pub fn crc32_b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(bytes).to_be_bytes())
}

/// The hex MD5 of `bytes` (a single-part ETag without quotes).
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(bytes))
}
