//! CreateBucket of a configured bucket, through the gateway with aws-sdk-s3 (and one raw
//! anonymous request): the caller granted `create_bucket` gets S3's owner answer for the
//! gateway's region (us-east-1: 200 OK with `Location: /bucket`, the objects untouched;
//! elsewhere: 409 BucketAlreadyOwnedByYou), everyone else 403 AccessDenied, in every region.

mod support;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use http::Method;
use support::raw::Raw;
use support::{Gateway, failure};

const BUCKET: &str = "lifecycle";
const OTHER: &str = "lifecycle-other";
/// Every action on every bucket.
const ADMIN: (&str, &str) = ("LIFECYCLEADMIN0001", "lifecycle-admin-secret");
/// Every action, but only under the `alice/` prefix: no whole-bucket grant.
const ALICE: (&str, &str) = ("LIFECYCLEALICE0001", "lifecycle-alice-secret");
/// `create_bucket` and reads on [`OTHER`] only.
const BOB: (&str, &str) = ("LIFECYCLEBOBKEY001", "lifecycle-bob-secret");

/// A gateway in `region` with two configured buckets on directories.
async fn gateway(region: &str, dir: &tempfile::TempDir) -> Gateway {
    let path = |name: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(&p).expect("bucket dir");
        p.to_str().unwrap().to_owned()
    };
    let toml = format!(
        r#"
[server]
region = "{region}"

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

[[credentials]]
access_key_id = "{bob}"
secret_access_key = "{bob_secret}"
principal = "bob"
[[credentials.scopes]]
bucket = "{OTHER}"
actions = ["create_bucket", "read"]

[[buckets]]
name = "{BUCKET}"
[buckets.backend]
type = "local"
path = {main:?}

[[buckets]]
name = "{OTHER}"
[buckets.backend]
type = "local"
path = {other:?}
"#,
        admin = ADMIN.0,
        admin_secret = ADMIN.1,
        alice = ALICE.0,
        alice_secret = ALICE.1,
        bob = BOB.0,
        bob_secret = BOB.1,
        main = path("main"),
        other = path("other"),
    );
    Gateway::start(&toml).await
}

/// aws-sdk-s3 signing for `region`, path-style, no retries.
fn client(gw: &Gateway, region: &str, key: (&str, &str)) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(gw.url())
        .force_path_style(true)
        .credentials_provider(Credentials::new(key.0, key.1, None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// The answers every region shares: callers without a whole-bucket `create_bucket` grant on
/// the bucket are denied, an unconfigured bucket is never created, and an anonymous request is
/// denied.
async fn denied_without_create_bucket(gw: &Gateway, region: &str) {
    let alice = client(gw, region, ALICE);
    let (status, code) = failure(alice.create_bucket().bucket(BUCKET).send().await);
    assert_eq!(
        (status, code.as_str()),
        (403, "AccessDenied"),
        "{region}: a prefix-scoped grant does not own the bucket"
    );
    let bob = client(gw, region, BOB);
    let (status, code) = failure(bob.create_bucket().bucket(BUCKET).send().await);
    assert_eq!(
        (status, code.as_str()),
        (403, "AccessDenied"),
        "{region}: create_bucket on another bucket does not count"
    );
    let admin = client(gw, region, ADMIN);
    let (status, code) = failure(admin.create_bucket().bucket("not-configured").send().await);
    assert_eq!(
        (status, code.as_str()),
        (403, "AccessDenied"),
        "{region}: the gateway creates no buckets"
    );
    let anonymous = Raw::new(Method::PUT, &format!("/{BUCKET}"))
        .send(gw.addr)
        .await;
    assert_eq!(
        (anonymous.status.as_u16(), anonymous.code().as_str()),
        (403, "AccessDenied"),
        "{region}: anonymous: {}",
        anonymous.text()
    );
    assert!(anonymous.headers.get("location").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn us_east_1_answers_the_owner_200_with_its_location() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gw = gateway("us-east-1", &dir).await;
    let admin = client(&gw, "us-east-1", ADMIN);
    admin
        .put_object()
        .bucket(BUCKET)
        .key("kept.txt")
        .body(ByteStream::from_static(b"still here"))
        .send()
        .await
        .expect("PutObject");

    let created = admin
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("CreateBucket of a configured bucket, by its owner, in us-east-1");
    assert_eq!(created.location(), Some("/lifecycle"));
    let bob = client(&gw, "us-east-1", BOB);
    let created = bob
        .create_bucket()
        .bucket(OTHER)
        .send()
        .await
        .expect("a create_bucket grant on the bucket is enough");
    assert_eq!(created.location(), Some("/lifecycle-other"));

    let kept = admin
        .get_object()
        .bucket(BUCKET)
        .key("kept.txt")
        .send()
        .await
        .expect("the object survives");
    let body = kept.body.collect().await.expect("body").into_bytes();
    assert_eq!(&body[..], b"still here");

    denied_without_create_bucket(&gw, "us-east-1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_regions_answer_the_owner_409() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gw = gateway("eu-west-1", &dir).await;
    let admin = client(&gw, "eu-west-1", ADMIN);
    let (status, code) = failure(admin.create_bucket().bucket(BUCKET).send().await);
    assert_eq!(
        (status, code.as_str()),
        (409, "BucketAlreadyOwnedByYou"),
        "outside us-east-1, S3 answers the owner 409"
    );
    let bob = client(&gw, "eu-west-1", BOB);
    let (status, code) = failure(bob.create_bucket().bucket(OTHER).send().await);
    assert_eq!((status, code.as_str()), (409, "BucketAlreadyOwnedByYou"));

    denied_without_create_bucket(&gw, "eu-west-1").await;
}
