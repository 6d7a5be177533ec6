//! Loading configurations: the full example in TOML and JSON, every backend type, defaults,
//! and secrets (redaction and resolution through a `SecretSource`).

use multistore_core::authz::{Action, ActionSet, BucketPattern};
use multistore_core::config::{
    Addressing, BackendConfig, Config, ConfigErrorKind, CorsMethod, DEFAULT_SESSION_SECS, Limits,
    S3Auth, Secret, from_json, from_toml,
};

const FULL: &str = r#"
[server]
region = "eu-west-1"
virtual_host_domains = ["s3.example.com"]
debug_errors = true
sts_path = "/.sts"
oidc_issuer = "https://gateway.example.com"
[[server.session_keys]]
id = "k1"
secret = { env = "SESSION_KEY" }
[[server.oidc_keys]]
id = "gw-1"
algorithm = "RS256"
private_key = { env = "OIDC_KEY" }

[limits]
max_header_bytes = 8192
max_upload_bytes = 1073741824
max_xml_body_bytes = 1048576

[[buckets]]
name = "data"
anonymous_read = true
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.1:9000"
region = "us-east-1"
bucket = "backend-name"
prefix = "tenant-a/"
addressing = "virtual"
auth = "static"
access_key_id = "AKBACKEND"
secret_access_key = { env = "BACKEND_SECRET" }
[[buckets.cors]]
allowed_origins = ["https://app.example.com", "https://*.example.org"]
allowed_methods = ["GET", "PUT"]
allowed_headers = ["*"]
expose_headers = ["ETag"]
max_age_seconds = 3000

[[buckets]]
name = "*"
[buckets.backend]
type = "s3"
endpoint = "https://s3.us-east-1.amazonaws.com"
auth = "oidc"
role_arn = "arn:aws:iam::123456789012:role/gateway"
sts_endpoint = "https://sts.amazonaws.com"

[[buckets]]
name = "public"
[buckets.backend]
type = "s3"
endpoint = "https://example.com"
auth = "anonymous"

[[buckets]]
name = "scratch"
[buckets.backend]
type = "local"
path = "./multistore-data/scratch"

[[buckets]]
name = "mem"
[buckets.backend]
type = "memory"

[[buckets]]
name = "edge"
[buckets.backend]
type = "r2"
binding = "BUCKET"
prefix = "p/"

[[credentials]]
access_key_id = "AKIAIOSFODNN7EXAMPLE"
secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
principal = "alice"
enabled = true
expires_at = "2027-01-01T00:00:00Z"
[[credentials.scopes]]
bucket = "data"
prefixes = ["alice/"]
actions = ["get_object", "list_bucket"]
[[credentials.scopes]]
bucket = "team-*"
actions = ["read", "put_object"]

[[credentials]]
access_key_id = "AKIABOBBOBBOBBOB0000"
secret_access_key = { env = "BOB_SECRET" }
principal = "bob"
enabled = false

[[roles]]
name = "ci"
trusted_issuers = ["https://token.actions.githubusercontent.com"]
audiences = ["sts.amazonaws.com"]
subject = "repo:org/*"
conditions = { "repository_owner" = "org" }
max_session_duration_secs = 3600
[[roles.scopes]]
bucket = "ci-{repository_owner}"
prefixes = ["{sub}/"]
actions = ["read"]
"#;

#[test]
fn full_example_loads() {
    let config = from_toml(FULL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.server.region, "eu-west-1");
    assert_eq!(config.server.virtual_host_domains, ["s3.example.com"]);
    assert!(config.server.debug_errors);
    assert_eq!(config.limits.max_upload_bytes, 1 << 30);
    assert_eq!(config.buckets.len(), 6);

    let data = &config.buckets[0];
    assert!(data.anonymous_read);
    let BackendConfig::S3(s3) = &data.backend else {
        panic!("not s3: {:?}", data.backend)
    };
    assert_eq!(s3.bucket.as_deref(), Some("backend-name"));
    assert_eq!(s3.prefix, "tenant-a/");
    assert_eq!(s3.addressing, Addressing::Virtual);
    assert_eq!(s3.auth, S3Auth::Static);
    let secret = s3.secret_access_key.as_ref().expect("secret");
    assert_eq!(secret.env_var(), Some("BACKEND_SECRET"));
    assert!(!secret.is_resolved());
    assert_eq!(
        data.cors[0].allowed_methods,
        [CorsMethod::Get, CorsMethod::Put]
    );
    assert_eq!(data.cors[0].max_age_seconds, Some(3000));

    let kinds: Vec<_> = config
        .buckets
        .iter()
        .map(|b| b.backend.type_name())
        .collect();
    assert_eq!(kinds, ["s3", "s3", "s3", "local", "memory", "r2"]);
    assert_eq!(config.buckets[5].backend.prefix(), "p/");

    let alice = &config.credentials[0];
    assert!(alice.enabled && alice.expires_at.is_some());
    assert_eq!(
        alice.scopes[0].bucket,
        BucketPattern::new("data").expect("pattern")
    );
    assert_eq!(
        alice.scopes[0].actions,
        [Action::GetObject, Action::ListBucket]
            .into_iter()
            .collect()
    );
    assert_eq!(alice.scopes[1].prefixes, [""]);
    assert_eq!(
        alice.scopes[1].actions,
        ActionSet::read().union(Action::PutObject.into())
    );
    assert!(!config.credentials[1].enabled);

    let role = &config.roles[0];
    assert_eq!(role.conditions["repository_owner"], "org");
    assert_eq!(role.scopes[0].bucket, "ci-{repository_owner}");
}

#[test]
fn json_reads_the_same_schema() {
    let toml_config = from_toml(FULL).expect("toml");
    let json = serde_json::to_string(&toml_config).expect("to json");
    // Inline secrets serialize as "***", so compare everything but them.
    let mut from_json_config = from_json(&json).expect("from json");
    from_json_config.credentials[0].secret_access_key =
        toml_config.credentials[0].secret_access_key.clone();
    assert_eq!(from_json_config, toml_config);

    let hand_written = r#"{
        "buckets": [{"name": "mem", "backend": {"type": "memory"}}],
        "credentials": [{
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": {"env": "S"},
            "principal": "p",
            "expires_at": "2027-01-01T00:00:00Z",
            "scopes": [{"bucket": "*", "actions": ["all"]}]
        }]
    }"#;
    let config = from_json(hand_written).expect("json");
    assert_eq!(config.credentials[0].scopes[0].actions, ActionSet::all());
}

#[test]
fn empty_document_is_the_default() {
    let config = from_toml("").expect("empty");
    assert_eq!(config, Config::default());
    assert_eq!(config.server.region, "us-east-1");
    assert!(config.server.virtual_host_domains.is_empty());
    assert_eq!(config.limits, Limits::default());
    assert_eq!(config.limits.max_header_bytes, 16384);
    assert_eq!(config.limits.max_upload_bytes, 5_497_558_138_880);
    assert_eq!(config.limits.max_xml_body_bytes, 2_097_152);
    assert_eq!(from_json("{}").expect("json"), config);
}

#[test]
fn backend_defaults() {
    let text = r#"
        [server]
        insecure_issuers = ["http://localhost:8080"]
        [[buckets]]
        name = "b-1"
        backend = { type = "s3", endpoint = "http://h", access_key_id = "A", secret_access_key = "s" }
        [[credentials]]
        access_key_id = "AKIAIOSFODNN7EXAMPLE"
        secret_access_key = "s"
        principal = "p"
        [[roles]]
        name = "r"
        trusted_issuers = ["http://localhost:8080"]
        audiences = ["a"]
    "#;
    let config = from_toml(text).unwrap_or_else(|e| panic!("{e}"));
    let BackendConfig::S3(s3) = &config.buckets[0].backend else {
        panic!("not s3")
    };
    assert_eq!(s3.region, "us-east-1");
    assert_eq!(s3.addressing, Addressing::Path);
    assert_eq!(s3.auth, S3Auth::Static);
    assert_eq!((s3.bucket.as_deref(), s3.prefix.as_str()), (None, ""));
    assert!(!config.buckets[0].anonymous_read);
    let credential = &config.credentials[0];
    assert!(credential.enabled && credential.expires_at.is_none() && credential.scopes.is_empty());
    assert_eq!(
        config.roles[0].max_session_duration_secs,
        DEFAULT_SESSION_SECS
    );
}

#[test]
fn toml_native_datetimes_and_offsets_are_read() {
    let with = |value: &str| {
        from_toml(&format!(
            "[[credentials]]\naccess_key_id = \"AKIAIOSFODNN7EXAMPLE\"\nsecret_access_key = \"s\"\nprincipal = \"p\"\nexpires_at = {value}\n"
        ))
        .map(|c| c.credentials[0].expires_at.map(|t| t.secs()))
    };
    let utc = Some(1_798_761_600);
    assert_eq!(with("2027-01-01T00:00:00Z"), Ok(utc));
    assert_eq!(with("\"2027-01-01T00:00:00Z\""), Ok(utc));
    assert_eq!(with("\"2027-01-01T02:00:00+02:00\""), Ok(utc));
    assert!(with("2027-01-01").is_err());
}

#[test]
fn secrets_never_print_or_serialize() {
    let config = from_toml(FULL).expect("toml");
    let shown = format!("{config:?}");
    assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    let secret = &config.credentials[0].secret_access_key;
    assert_eq!(format!("{secret:?}"), "***");
    assert_eq!(format!("{secret}"), "***");
    let json = serde_json::to_string(&config).expect("json");
    assert!(!json.contains("wJalrXUtnFEMI"), "{json}");
    assert!(
        json.contains(r#""secret_access_key":{"env":"BOB_SECRET"}"#),
        "{json}"
    );
    let toml = toml::to_string(&config).expect("toml out");
    assert!(!toml.contains("wJalrXUtnFEMI"), "{toml}");
    assert_eq!(
        Secret::inline("value")
            .value()
            .map(|v| (format!("{v:?}"), v.expose().to_owned())),
        Some(("***".to_owned(), "value".to_owned()))
    );
}

#[test]
fn resolve_secrets_through_a_source() {
    let mut config = from_toml(FULL).expect("toml");
    let env = |name: &str| match name {
        "BACKEND_SECRET" => Some("backend-value".to_owned()),
        "BOB_SECRET" => Some("bob-value".to_owned()),
        "SESSION_KEY" | "OIDC_KEY" => Some("key-value".to_owned()),
        _ => None,
    };
    config.resolve_secrets(&env).expect("resolve");
    let bob = config.credentials[1]
        .secret_access_key
        .value()
        .expect("bob");
    assert_eq!(bob.expose(), "bob-value");
    assert_eq!(config.check_secrets_resolved(), Ok(()));

    let mut config = from_toml(FULL).expect("toml");
    let partial = |name: &str| (name == "BACKEND_SECRET").then(|| "v".to_owned());
    let error = config
        .resolve_secrets(&partial)
        .expect_err("BOB_SECRET is unset");
    assert_eq!(error.path, "credentials[1].secret_access_key");
    assert_eq!(
        error.kind,
        ConfigErrorKind::EnvVarUnset("BOB_SECRET".into())
    );
    let message = error.to_string();
    assert!(message.contains("credentials[1].secret_access_key") && message.contains("BOB_SECRET"));

    let mut config = from_toml(FULL).expect("toml");
    let empty = |_: &str| Some(String::new());
    let error = config.resolve_secrets(&empty).expect_err("empty");
    assert_eq!(error.path, "buckets[0].backend.secret_access_key");
    assert_eq!(
        error.kind,
        ConfigErrorKind::EnvVarEmpty("BACKEND_SECRET".into())
    );
}

#[test]
fn a_config_built_in_code_validates() {
    use multistore_core::authz::Scope;
    use multistore_core::config::{BucketConfig, CredentialConfig, LocalBackend};
    let mut config = Config::default();
    config.buckets.push(BucketConfig {
        name: "data".into(),
        anonymous_read: false,
        backend: BackendConfig::Local(LocalBackend {
            path: "/var/lib/multistore/data".into(),
            prefix: String::new(),
        }),
        cors: Vec::new(),
    });
    config.credentials.push(CredentialConfig {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: Secret::inline("generated"),
        principal: "admin".into(),
        enabled: true,
        expires_at: None,
        scopes: vec![Scope::new(BucketPattern::any(), ActionSet::all())],
    });
    assert_eq!(config.validate(), Ok(()));
    config.credentials[0].access_key_id = "short".into();
    let error = config.validate().expect_err("short key");
    assert_eq!(error.path, "credentials[0].access_key_id");
}

#[test]
fn the_examples_in_docs_config_md_load() {
    const DOC: &str = include_str!("../../docs/config.md");
    let mut checked = 0;
    for (lang, block) in fenced_blocks(DOC) {
        let whole_entry = ["[server]", "[[buckets]]", "[[credentials]]", "[[roles]]"]
            .iter()
            .any(|start| block.starts_with(start));
        let result = match lang {
            "toml" if whole_entry => from_toml(block),
            "json" => from_json(block),
            _ => continue,
        };
        if let Err(e) = result {
            panic!("docs/config.md example does not load: {e}\n{block}");
        }
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} examples found");
}

/// The fenced code blocks of a markdown text, with their language.
fn fenced_blocks(markdown: &str) -> Vec<(&str, &str)> {
    let mut blocks = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let Some((lang, body)) = after.split_once('\n') else {
            break;
        };
        let Some(end) = body.find("```") else {
            break;
        };
        blocks.push((lang.trim(), &body[..end]));
        rest = &body[end + 3..];
    }
    blocks
}
