//! STS and OIDC end to end, with unmodified boto3 clients (tests/identity/clients.py) and the
//! Rust SDK (aws-sdk-sts, then aws-sdk-s3 with the temporary credentials):
//!
//! - a local OIDC identity provider (discovery + JWKS over http, keys from core/tests/keys)
//!   and the gateway in-process: AssumeRoleWithWebIdentity through the sts client and the SDK's
//!   web-identity credential provider, S3 inside and outside the minted scope, the refused
//!   tokens, a tampered session token, and a key rotation at the issuer (an unknown `kid`
//!   refreshes the JWKS, at most once per 30 s);
//! - backend federation against moto's STS and S3: the gateway mints its own JWT, exchanges it
//!   with AssumeRoleWithWebIdentity, signs with the temporary credentials, and caches them; and,
//!   on a clock the test moves, refreshes them ahead of expiry without making anybody wait.
//!
//! Skipped (with a message) when python3 with boto3, or moto_server, is not installed.

#[allow(dead_code)]
#[path = "support/backends.rs"]
mod backends;
#[allow(dead_code)]
#[path = "support/gateway.rs"]
mod gateway;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// This package's directory, read at run time (a test binary reused from another clone
/// through a shared target directory would carry that clone's compile-time path).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it")
}

fn script() -> String {
    format!("{}/tests/identity/clients.py", manifest_dir())
}
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/ci";

fn key_pem(name: &str) -> String {
    let path = format!("{}/../../core/tests/keys/{name}.pem", manifest_dir());
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn rsa(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(key_pem(name).as_bytes()).expect("test key")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Whether python3 can import boto3 (and, first, the TLS provider of the in-process gateway).
fn have_boto3() -> bool {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ok = Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: python3 with boto3 is not installed");
    }
    ok
}

/// Runs the client script in `mode` with `env`; returns its stdout, panicking on failure.
async fn clients(mode: &str, env: Vec<(String, String)>) -> String {
    let mode = mode.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new("python3");
        command.arg(script()).arg(&mode);
        // Nothing of the machine's own AWS setup may leak in.
        for (name, _) in std::env::vars() {
            if name.starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        command
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env);
        let out = command.output().expect("python3 runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "clients.py {mode} failed\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    })
    .await
    .expect("the client script")
}

/// A local OIDC provider: its discovery document, a JWKS that can change, and a hit counter.
struct Idp {
    addr: SocketAddr,
    jwks: Arc<Mutex<Vec<u8>>>,
    jwks_hits: Arc<AtomicUsize>,
}

impl Idp {
    fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set_keys(&self, keys: &[&str]) {
        *self.jwks.lock().unwrap() = jwks(keys);
    }

    async fn start(keys: &[&str]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let jwks = Arc::new(Mutex::new(jwks(keys)));
        let hits = Arc::new(AtomicUsize::new(0));
        let issuer = format!("http://{addr}");
        let (served, counter) = (Arc::clone(&jwks), Arc::clone(&hits));
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let (served, counter, issuer) =
                    (Arc::clone(&served), Arc::clone(&counter), issuer.clone());
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let body = match req.uri().path() {
                        "/.well-known/openid-configuration" => json!({
                            "issuer": issuer,
                            "jwks_uri": format!("{issuer}/keys.json"),
                        })
                        .to_string()
                        .into_bytes(),
                        "/keys.json" => {
                            counter.fetch_add(1, Ordering::SeqCst);
                            served.lock().unwrap().clone()
                        }
                        _ => b"{}".to_vec(),
                    };
                    async move {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from(body),
                        )))
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Idp {
            addr,
            jwks,
            jwks_hits: hits,
        }
    }
}

fn jwks(keys: &[&str]) -> Vec<u8> {
    let keys: Vec<Jwk> = keys
        .iter()
        .map(|name| {
            let mut jwk = Jwk::from_encoding_key(&rsa(name), Algorithm::RS256).unwrap();
            jwk.common.key_id = Some((*name).to_owned());
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            jwk
        })
        .collect();
    json!({ "keys": keys }).to_string().into_bytes()
}

/// A token signed with `key` (named as its `kid`), the usual claims changed by `edit`.
fn token(issuer: &str, key: &str, edit: Value) -> String {
    let t = now();
    let mut claims = json!({
        "iss": issuer, "aud": "sts.amazonaws.com", "sub": "repo:org/app",
        "exp": t + 600, "iat": t, "team": "blue",
    });
    for (k, v) in edit.as_object().cloned().unwrap_or_default() {
        claims[k] = v;
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.to_owned());
    jsonwebtoken::encode(&header, &claims, &rsa(key)).unwrap()
}

fn sts_config(issuer: &str) -> String {
    format!(
        r#"
[server]
insecure_issuers = ["{issuer}"]
sts_path = "/.sts"
[[server.session_keys]]
id = "k1"
secret = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="

[[buckets]]
name = "data"
backend = {{ type = "memory" }}
[[buckets]]
name = "other"
backend = {{ type = "memory" }}

[[roles]]
name = "ci"
trusted_issuers = ["{issuer}"]
audiences = ["sts.amazonaws.com"]
subject = "repo:org/*"
[[roles.scopes]]
bucket = "data"
prefixes = ["teams/{{team}}/"]
actions = ["all"]
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_with_boto3_and_a_local_identity_provider() {
    if !have_boto3() {
        return;
    }
    let idp = Idp::start(&["rsa1"]).await;
    let iss = idp.issuer();
    let gw = gateway::Gateway::start(&sts_config(&iss)).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token(&iss, "rsa1", json!({}))).unwrap();

    let none = {
        use base64::Engine as _;
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let claims = json!({"iss": iss, "aud": "sts.amazonaws.com", "sub": "repo:org/app", "exp": now() + 600, "team": "blue"});
        format!(
            "{}.{}.",
            b64(json!({"alg": "none", "kid": "rsa1"})),
            b64(claims)
        )
    };
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa1".into());
        let public = key_pem("rsa1.pub");
        let claims = json!({"iss": iss, "aud": "sts.amazonaws.com", "sub": "repo:org/app", "exp": now() + 600, "team": "blue"});
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(public.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    let env: Vec<(String, String)> = [
        ("ENDPOINT", gw.url()),
        ("ROLE_ARN", ROLE_ARN.to_owned()),
        ("TOKEN_OK", token(&iss, "rsa1", json!({}))),
        (
            "TOKEN_EXPIRED",
            token(
                &iss,
                "rsa1",
                json!({"exp": now() - 3600, "iat": now() - 7200}),
            ),
        ),
        (
            "TOKEN_WRONG_AUD",
            token(&iss, "rsa1", json!({"aud": "someone-else"})),
        ),
        (
            "TOKEN_UNTRUSTED",
            token(&iss, "rsa1", json!({"iss": "https://untrusted.example"})),
        ),
        ("TOKEN_NONE", none),
        ("TOKEN_HS256", hs256),
        ("TOKEN_FILE", token_file.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let first_fetch = Instant::now();
    let out = clients("flow", env).await;
    assert!(
        out.contains("ok: the web-identity credential provider"),
        "{out}"
    );
    assert_eq!(
        idp.jwks_hits.load(Ordering::SeqCst),
        1,
        "one JWKS fetch, then the cache"
    );

    // The issuer rotates to a new key; the first token with it comes within 30 s of the last
    // fetch, so the gateway does not refresh yet; past 30 s it refreshes once and accepts it.
    idp.set_keys(&["rsa1", "rsa2"]);
    let assume = |token: String| {
        let env = vec![
            ("ENDPOINT".to_owned(), gw.url()),
            ("ROLE_ARN".to_owned(), ROLE_ARN.to_owned()),
            ("TOKEN".to_owned(), token),
        ];
        clients("assume", env)
    };
    assert_eq!(
        assume(token(&iss, "rsa2", json!({}))).await.trim(),
        "InvalidIdentityToken"
    );
    assert_eq!(idp.jwks_hits.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_secs(31).saturating_sub(first_fetch.elapsed())).await;
    assert_eq!(assume(token(&iss, "rsa2", json!({}))).await.trim(), "OK");
    assert_eq!(
        idp.jwks_hits.load(Ordering::SeqCst),
        2,
        "one refresh for the unknown kid"
    );
    assert_eq!(
        assume(token(&iss, "rsa2", json!({"kid": "x"})))
            .await
            .trim(),
        "OK"
    );
    assert_eq!(idp.jwks_hits.load(Ordering::SeqCst), 2);
}

/// The Rust SDK, unmodified: aws-sdk-sts's AssumeRoleWithWebIdentity at the gateway's root
/// (and at its `sts_path`), then aws-sdk-s3 with the temporary credentials, allowed inside the
/// minted scope (`teams/blue/`) and denied outside it. Needs neither python nor moto.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_with_the_rust_sdk() {
    let idp = Idp::start(&["rsa1"]).await;
    let iss = idp.issuer();
    let gw = gateway::Gateway::start(&sts_config(&iss)).await;
    for endpoint in [gw.url(), format!("{}/.sts", gw.url())] {
        let sts_config = aws_sdk_sts::Config::builder()
            .endpoint_url(&endpoint)
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .build();
        let sts = aws_sdk_sts::Client::from_conf(sts_config);
        let out = sts
            .assume_role_with_web_identity()
            .role_arn(ROLE_ARN)
            .role_session_name("rust-sdk")
            .web_identity_token(token(&iss, "rsa1", json!({})))
            .duration_seconds(3600)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{endpoint}: {:?}", e.into_service_error()));
        let creds = out.credentials().expect("credentials");
        assert!(creds.session_token().len() > 20);
        let user = out.assumed_role_user().expect("assumed role user");
        assert!(user.arn().contains("rust-sdk"), "{}", user.arn());

        let s3_config = aws_sdk_s3::Config::builder()
            .endpoint_url(gw.url())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_owned()),
                None,
                "sts",
            ))
            .build();
        let s3 = aws_sdk_s3::Client::from_conf(s3_config);
        s3.put_object()
            .bucket("data")
            .key("teams/blue/report.txt")
            .body(b"inside".to_vec().into())
            .send()
            .await
            .expect("a write inside the minted scope");
        let got = s3
            .get_object()
            .bucket("data")
            .key("teams/blue/report.txt")
            .send()
            .await
            .expect("a read inside the minted scope");
        assert_eq!(
            &got.body.collect().await.unwrap().into_bytes()[..],
            b"inside"
        );
        for (bucket, key) in [
            ("data", "teams/red/x"),
            ("data", "teams/blue-x"),
            ("other", "x"),
        ] {
            let e = s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(b"outside".to_vec().into())
                .send()
                .await
                .expect_err("a write outside the minted scope");
            let e = e.into_service_error();
            assert_eq!(
                e.meta().code(),
                Some("AccessDenied"),
                "{bucket}/{key}: {e:?}"
            );
        }
    }

    // A token the gateway must refuse is an STS error through the SDK too.
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .endpoint_url(gw.url())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .build(),
    );
    let refused = sts
        .assume_role_with_web_identity()
        .role_arn(ROLE_ARN)
        .role_session_name("rust-sdk")
        .web_identity_token(token(&iss, "rsa1", json!({"aud": "someone-else"})))
        .send()
        .await
        .expect_err("a token for another audience");
    let refused = refused.into_service_error();
    assert!(refused.is_invalid_identity_token_exception(), "{refused:?}");
}

/// A gateway whose bucket `fed` is `backend_bucket` at moto, reached with credentials the
/// gateway exchanges at moto's STS for a JWT of its own.
fn federation_config(moto: &str, backend_bucket: &str) -> String {
    let bucket = backend_bucket;
    format!(
        r#"
[server]
oidc_issuer = "https://gateway.example.com"
[[server.oidc_keys]]
id = "gw-1"
algorithm = "RS256"
private_key = """{pem}"""

[[buckets]]
name = "fed"
[buckets.backend]
type = "s3"
endpoint = "{moto}"
bucket = "{bucket}"
auth = "oidc"
role_arn = "arn:aws:iam::123456789012:role/gateway"
sts_endpoint = "{moto}"

[[credentials]]
access_key_id = "AKIAALICE0000000"
secret_access_key = "alice-secret"
principal = "alice"
[[credentials.scopes]]
bucket = "fed"
actions = ["all"]
"#,
        pem = key_pem("rsa2"),
        moto = moto,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_federation_against_moto_sts() {
    if !have_boto3() {
        return;
    }
    let moto = match backends::Moto::start() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            return;
        }
    };
    let bucket = "federated-backend";
    let config = federation_config(&moto.url(), bucket);
    let gw = gateway::Gateway::start(&config).await;
    let env: HashMap<&str, String> = [
        ("ENDPOINT", gw.url()),
        ("MOTO", moto.url()),
        ("BACKEND_BUCKET", bucket.to_owned()),
    ]
    .into();
    let env = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let out = clients("backend", env).await;
    // Five requests through the gateway, one exchange: the credentials are cached.
    assert!(out.contains("assumed roles: 1"), "{out}");
}

/// Refresh ahead of expiry against moto's real STS, on a clock the test moves: the first
/// request exchanges; a request inside the refresh lead carries one refresh while a request at
/// the same moment goes on at once with the current credentials (nobody waits); then the new
/// credentials are used. Plans are resolved and their fetches run through the native runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_credentials_refresh_ahead_of_expiry_against_moto() {
    use multistore::execute::fetch::fetch;
    use multistore_core::codec::scalar::DateTime;
    use multistore_core::gateway::{Plan, RequestHead};
    use multistore_core::identity::federation::REFRESH_LEAD_SECS;
    use multistore_core::sigv4::{SigningCredentials, sign_request};

    let moto = match backends::Moto::start() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            return;
        }
    };
    let mut config = multistore_core::config::from_toml(&federation_config(&moto.url(), "fb"))
        .unwrap_or_else(|e| panic!("{e}"));
    config.resolve_secrets(&|_: &str| None).unwrap();
    let state = multistore::serve::build_state(&config, &gateway::test_limits(), &[])
        .await
        .unwrap();

    let head_at = |now: i64| {
        let mut head = RequestHead {
            method: http::Method::GET,
            raw_path: "/fed/k".into(),
            raw_query: String::new(),
            headers: http::HeaderMap::new(),
            client_ip: None,
            now: DateTime::from_secs(now),
            request_id: format!("req-{now}"),
        };
        head.headers
            .insert("host", http::HeaderValue::from_static("127.0.0.1:8080"));
        let creds = SigningCredentials {
            access_key_id: "AKIAALICE0000000",
            secret_access_key: "alice-secret",
            session_token: None,
        };
        sign_request(
            "GET",
            "/fed/k",
            &[],
            &mut head.headers,
            &["host"],
            "UNSIGNED-PAYLOAD",
            &creds,
            "us-east-1",
            "s3",
            head.now,
        )
        .unwrap();
        head
    };
    // Runs a plan's fetches (counting them) up to the backend request; returns the access key
    // id that request is signed with.
    let signed_key = |mut plan: Plan| {
        let state = Arc::clone(&state);
        async move {
            let mut fetches = 0;
            loop {
                match plan {
                    Plan::Fetch(f) => {
                        fetches += 1;
                        let f = *f;
                        let answer = fetch(&state, f.request, f.limit, f.coalesce).await;
                        plan = (f.then)(answer);
                    }
                    Plan::Forward(f) => {
                        let auth = f.request.headers["authorization"].to_str().unwrap();
                        let key = auth.split("Credential=").nth(1).unwrap();
                        return (key.split('/').next().unwrap().to_owned(), fetches);
                    }
                    Plan::Respond(r) => panic!("{} {:?}", r.status, r.body),
                    _ => panic!("unexpected plan"),
                }
            }
        }
    };

    let t0 = now();
    let (first, fetches) = signed_key(state.gateway.resolve(head_at(t0))).await;
    assert_eq!(fetches, 1, "a cold miss exchanges");
    let (again, fetches) = signed_key(state.gateway.resolve(head_at(t0 + 60))).await;
    assert_eq!(
        (again.as_str(), fetches),
        (first.as_str(), 0),
        "then the cache"
    );

    // moto's session lasts the hour the gateway asks for; move inside the refresh lead.
    let late = t0 + 3600 - REFRESH_LEAD_SECS / 2;
    let refreshing = state.gateway.resolve(head_at(late));
    assert!(
        matches!(refreshing, Plan::Fetch(_)),
        "one request carries the refresh"
    );
    let (meanwhile, fetches) = signed_key(state.gateway.resolve(head_at(late))).await;
    assert_eq!(
        (meanwhile.as_str(), fetches),
        (first.as_str(), 0),
        "a request during the refresh goes on with the current credentials"
    );
    let (refreshed, fetches) = signed_key(refreshing).await;
    assert_eq!(fetches, 1);
    assert_ne!(refreshed, first, "the refresh brought new credentials");
    // (Past this point the test's clock and moto's disagree: moto's new session ends an hour
    // after the real time, which the moved clock already sees as inside the lead again.)
}
