//! Tests of [`StaticRegistry`]: exact names win over `*`, pass-through only for valid names,
//! ListBuckets filtering, credentials (secret, status) and roles, and refusal of unresolved
//! secrets.

use super::*;
use crate::authz::{ActionSet, BucketPattern};
use crate::config::{ConfigErrorKind, from_toml};

const TEXT: &str = r#"
[[buckets]]
name = "data"
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.1:9000"
bucket = "backend-data"
prefix = "tenant/"
access_key_id = "AK"
secret_access_key = { env = "BACKEND" }
[[buckets.cors]]
allowed_origins = ["*"]
allowed_methods = ["GET"]

[[buckets]]
name = "*"
[buckets.backend]
type = "local"
path = "/srv/buckets"

[[buckets]]
name = "public"
anonymous_read = true
[buckets.backend]
type = "memory"

[[buckets]]
name = "team-a"
[buckets.backend]
type = "memory"

[[credentials]]
access_key_id = "AKIAIOSFODNN7EXAMPLE"
secret_access_key = { env = "ALICE" }
principal = "alice"
expires_at = "2027-01-01T00:00:00Z"
[[credentials.scopes]]
bucket = "data"
prefixes = ["alice/"]
actions = ["read"]
[[credentials.scopes]]
bucket = "*"
actions = ["list_all_my_buckets"]

[[credentials]]
access_key_id = "AKIADISABLED00000000"
secret_access_key = "s"
principal = "old"
enabled = false

[[roles]]
name = "ci"
trusted_issuers = ["https://token.actions.githubusercontent.com"]
audiences = ["sts.amazonaws.com"]
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "BACKEND" => Some("backend-secret".into()),
        "ALICE" => Some("alice-secret".into()),
        _ => None,
    }
}

fn registry() -> StaticRegistry {
    let mut config = from_toml(TEXT).unwrap_or_else(|e| panic!("{e}"));
    config
        .resolve_secrets(&env)
        .unwrap_or_else(|e| panic!("{e}"));
    StaticRegistry::new(&config).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn exact_names_win_over_pass_through() {
    let r = registry();
    let data = r.lookup("data").expect("data");
    assert!(!data.pass_through);
    assert_eq!(data.client_name, "data");
    assert_eq!(data.backend_bucket, "backend-data");
    assert_eq!(data.prefix, "tenant/");
    assert_eq!(data.backend.type_name(), "s3");
    assert_eq!(data.cors.len(), 1);
    assert!(!data.anonymous_read);

    let other = r.lookup("anything-else").expect("pass-through");
    assert!(other.pass_through);
    assert_eq!(other.backend_bucket, "anything-else");
    assert_eq!(other.backend.type_name(), "local");

    assert!(
        r.lookup("public")
            .is_some_and(|t| t.anonymous_read && !t.pass_through)
    );
}

#[test]
fn pass_through_only_for_valid_bucket_names() {
    let r = registry();
    for bad in ["..", "a/b", "UPPER", "", "x"] {
        assert_eq!(r.lookup(bad), None, "{bad}");
    }
}

#[test]
fn without_pass_through_unknown_names_are_missing() {
    let mut config = from_toml(TEXT).unwrap_or_else(|e| panic!("{e}"));
    config.buckets.retain(|b| !b.is_pass_through());
    config
        .resolve_secrets(&env)
        .unwrap_or_else(|e| panic!("{e}"));
    let r = StaticRegistry::new(&config).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.lookup("anything-else"), None);
    assert!(r.lookup("data").is_some());
}

#[test]
fn list_for_shows_usable_buckets_only() {
    let r = registry();
    let names = |identity: &Identity| -> Vec<String> {
        r.list_for(identity).into_iter().map(|b| b.name).collect()
    };
    let alice = r
        .lookup_key("AKIAIOSFODNN7EXAMPLE")
        .expect("alice")
        .identity();
    // `*` with only list_all_my_buckets does not make every bucket usable; the pass-through
    // entry is never listed.
    assert_eq!(names(&alice), ["data", "public"]);
    assert_eq!(names(&Identity::Anonymous), ["public"]);
    let admin = Identity::Principal(Principal {
        name: "admin".into(),
        access_key_id: "AKIAADMIN00000000000".into(),
        scopes: vec![Scope::new(
            BucketPattern::new("team-*").expect("pattern"),
            ActionSet::all(),
        )],
    });
    assert_eq!(names(&admin), ["public", "team-a"]);
}

#[test]
fn credentials_and_roles() {
    let r = registry();
    let alice = r.lookup_key("AKIAIOSFODNN7EXAMPLE").expect("alice");
    assert_eq!(alice.principal, "alice");
    assert_eq!(alice.secret_access_key.expose(), "alice-secret");
    assert!(!format!("{alice:?}").contains("alice-secret"));
    assert_eq!(alice.scopes.len(), 2);
    let before = DateTime::from_secs(1_798_761_599);
    let at = DateTime::from_secs(1_798_761_600);
    assert_eq!(alice.status_at(before), KeyStatus::Active);
    assert_eq!(alice.status_at(at), KeyStatus::Expired);
    let old = r.lookup_key("AKIADISABLED00000000").expect("old");
    assert_eq!(old.status_at(before), KeyStatus::Disabled);
    assert_eq!(r.lookup_key("AKIANOSUCHKEY0000000"), None);
    assert!(
        r.role("ci")
            .is_some_and(|role| role.max_session_duration_secs == 3600)
    );
    assert_eq!(r.role("nope"), None);
}

#[test]
fn unresolved_secrets_are_refused() {
    let config = from_toml(TEXT).unwrap_or_else(|e| panic!("{e}"));
    let error = StaticRegistry::new(&config).expect_err("unresolved");
    assert_eq!(error.path, "buckets[0].backend.secret_access_key");
    assert_eq!(
        error.kind,
        ConfigErrorKind::UnresolvedSecret("BACKEND".into())
    );

    let mut config = config;
    if let BackendConfig::S3(s3) = &mut config.buckets[0].backend {
        s3.secret_access_key = Some(crate::config::Secret::inline("x"));
    }
    let error = StaticRegistry::new(&config).expect_err("alice unresolved");
    assert_eq!(error.path, "credentials[0].secret_access_key");
}

#[test]
fn invalid_configs_are_refused() {
    let mut config = from_toml(TEXT).unwrap_or_else(|e| panic!("{e}"));
    config
        .resolve_secrets(&env)
        .unwrap_or_else(|e| panic!("{e}"));
    config.buckets[3].name = "data".into();
    let error = StaticRegistry::new(&config).expect_err("duplicate");
    assert_eq!(error.kind, ConfigErrorKind::DuplicateBucket("data".into()));
}
