//! Load-time errors: each names the key path and, for TOML, the line; unknown keys, missing
//! keys, conflicts, bad values and duplicates are all refused.

use multistore_core::authz::BucketNameError;
use multistore_core::config::{ConfigError, ConfigErrorKind as K, CorsError, from_json, from_toml};

/// A valid document; cases edit it.
const BASE: &str = r#"[server]
region = "us-east-1"

[[buckets]]
name = "data"
[buckets.backend]
type = "s3"
endpoint = "http://127.0.0.1:9000"
access_key_id = "AKBACKEND"
secret_access_key = { env = "BACKEND_SECRET" }
[[buckets.cors]]
allowed_origins = ["https://app.example.com"]
allowed_methods = ["GET"]

[[buckets]]
name = "other"
[buckets.backend]
type = "memory"

[[credentials]]
access_key_id = "AKIAIOSFODNN7EXAMPLE"
secret_access_key = "secret"
principal = "alice"
[[credentials.scopes]]
bucket = "data"
actions = ["read"]

[[roles]]
name = "ci"
trusted_issuers = ["https://token.actions.githubusercontent.com"]
audiences = ["sts.amazonaws.com"]
max_session_duration_secs = 3600
[[roles.scopes]]
bucket = "ci-{owner}"
actions = ["read"]
"#;

/// Replaces the one occurrence of `from` in BASE.
fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "`{from}` must occur once");
    BASE.replacen(from, to, 1)
}

/// The 1-based line of the first line containing `marker`.
fn line_of(text: &str, marker: &str) -> usize {
    text.lines()
        .position(|l| l.contains(marker))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no `{marker}`"))
}

/// The 1-based line of the `n`th (0-based) line containing `marker`.
fn nth_line_of(text: &str, marker: &str, n: usize) -> usize {
    let mut lines = text.lines().enumerate().filter(|(_, l)| l.contains(marker));
    lines
        .nth(n)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("no `{marker}` #{n}"))
}

fn error(text: &str) -> ConfigError {
    match from_toml(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

/// Asserts the path, that the line is the line holding `marker`, and returns the kind.
fn expect(text: &str, path: &str, marker: &str) -> K {
    let e = error(text);
    assert_eq!(e.path, path, "{e}");
    assert_eq!(e.line, Some(line_of(text, marker)), "{e}");
    e.kind
}

#[test]
fn base_is_valid() {
    assert_eq!(from_toml(BASE).map(|_| ()), Ok(()));
}

#[test]
fn unknown_keys_are_errors_everywhere() {
    let cases = [
        ("[server]", "[server]\nbogus = 1", "server.bogus"),
        (
            "[[buckets]]\nname = \"data\"",
            "[[buckets]]\nname = \"data\"\nbogus = 1",
            "buckets[0].bogus",
        ),
        (
            "type = \"memory\"",
            "type = \"memory\"\nbogus = 1",
            "buckets[1].backend.bogus",
        ),
        (
            "allowed_methods = [\"GET\"]",
            "allowed_methods = [\"GET\"]\nbogus = 1",
            "buckets[0].cors[0].bogus",
        ),
        (
            "principal = \"alice\"",
            "principal = \"alice\"\nbogus = 1",
            "credentials[0].bogus",
        ),
        (
            "bucket = \"data\"",
            "bucket = \"data\"\nbogus = 1",
            "credentials[0].scopes[0].bogus",
        ),
        (
            "name = \"ci\"",
            "name = \"ci\"\nbogus = 1",
            "roles[0].bogus",
        ),
        (
            "bucket = \"ci-{owner}\"",
            "bucket = \"ci-{owner}\"\nbogus = 1",
            "roles[0].scopes[0].bogus",
        ),
        (
            "{ env = \"BACKEND_SECRET\" }",
            "{ env = \"BACKEND_SECRET\", bogus = 1 }",
            "buckets[0].backend.secret_access_key.bogus",
        ),
    ];
    for (from, to, path) in cases {
        let text = edit(from, to);
        assert!(
            matches!(expect(&text, path, "bogus"), K::UnknownKey(_)),
            "{path}"
        );
    }
    let top = format!("bogus = 1\n{BASE}");
    assert!(matches!(expect(&top, "bogus", "bogus"), K::UnknownKey(_)));
}

#[test]
fn keys_of_another_backend_type_are_unknown() {
    let text = edit("type = \"memory\"", "type = \"memory\"\npath = \"/tmp\"");
    let kind = expect(&text, "buckets[1].backend.path", "path = ");
    assert_eq!(kind, K::UnknownKey(Some("`type` or `prefix`".into())));
    let text = edit("type = \"s3\"", "type = \"s3\"\nbinding = \"B\"");
    assert!(matches!(
        expect(&text, "buckets[0].backend.binding", "binding"),
        K::UnknownKey(_)
    ));
}

#[test]
fn missing_required_keys() {
    let text = edit("principal = \"alice\"\n", "");
    assert_eq!(
        expect(&text, "credentials[0].principal", "[[credentials]]"),
        K::MissingKey(None)
    );
    let text = edit("endpoint = \"http://127.0.0.1:9000\"\n", "");
    // A missing key is reported on the line of the table that lacks it.
    assert_eq!(
        expect(&text, "buckets[0].backend.endpoint", "[buckets.backend]"),
        K::MissingKey(None)
    );
    let text = edit("access_key_id = \"AKBACKEND\"\n", "");
    assert!(matches!(
        expect(
            &text,
            "buckets[0].backend.access_key_id",
            "[buckets.backend]"
        ),
        K::MissingKey(Some(_))
    ));
    let text = edit("type = \"memory\"", "");
    let e = error(&text);
    assert_eq!(
        (e.path.as_str(), &e.kind),
        ("buckets[1].backend.type", &K::MissingKey(None))
    );
    assert_eq!(e.line, Some(nth_line_of(&text, "[buckets.backend]", 1)));
    let text = edit("[[buckets]]\nname = \"other\"", "[[buckets]]");
    let e = error(&text);
    assert_eq!(
        (e.path.as_str(), &e.kind),
        ("buckets[1].name", &K::MissingKey(None))
    );
    assert_eq!(e.line, Some(nth_line_of(&text, "[[buckets]]", 1)));
}

#[test]
fn wrong_types_name_the_key() {
    let text = edit("endpoint = \"http://127.0.0.1:9000\"", "endpoint = 9000");
    assert!(matches!(
        expect(&text, "buckets[0].backend.endpoint", "endpoint"),
        K::Invalid(_)
    ));
    let text = edit("type = \"memory\"", "type = \"floppy\"");
    assert!(matches!(
        expect(&text, "buckets[1].backend.type", "floppy"),
        K::Invalid(_)
    ));
    let text = edit(
        "actions = [\"read\"]\n\n[[roles]]",
        "actions = [\"reed\"]\n\n[[roles]]",
    );
    let kind = expect(&text, "credentials[0].scopes[0].actions", "reed");
    assert!(
        matches!(&kind, K::Invalid(m) if m.contains("reed")),
        "{kind}"
    );
    let text = edit(
        "allowed_methods = [\"GET\"]",
        "allowed_methods = [\"PATCH\"]",
    );
    assert!(matches!(
        expect(&text, "buckets[0].cors[0].allowed_methods[0]", "PATCH"),
        K::Invalid(_)
    ));
    let text = edit(
        "principal = \"alice\"",
        "principal = \"alice\"\nexpires_at = \"soon\"",
    );
    assert!(matches!(
        expect(&text, "credentials[0].expires_at", "soon"),
        K::Invalid(_)
    ));
    let text = edit("bucket = \"data\"", "bucket = \"Data\"");
    assert!(matches!(
        expect(&text, "credentials[0].scopes[0].bucket", "Data"),
        K::Invalid(_)
    ));
}

#[test]
fn conflicting_options() {
    let anonymous = edit("type = \"s3\"", "type = \"s3\"\nauth = \"anonymous\"");
    let kind = expect(&anonymous, "buckets[0].backend.access_key_id", "AKBACKEND");
    assert!(matches!(kind, K::Conflict(_)), "{kind}");

    let static_with_role = edit(
        "type = \"s3\"",
        "type = \"s3\"\nrole_arn = \"arn:aws:iam::1:role/x\"",
    );
    assert!(matches!(
        expect(&static_with_role, "buckets[0].backend.role_arn", "role_arn"),
        K::Conflict(_)
    ));

    let oidc = edit(
        "access_key_id = \"AKBACKEND\"\nsecret_access_key = { env = \"BACKEND_SECRET\" }",
        "auth = \"oidc\"",
    );
    assert!(matches!(
        expect(&oidc, "buckets[0].backend.role_arn", "[buckets.backend]"),
        K::MissingKey(Some(_))
    ));
    let bad_arn = oidc.replace("auth = \"oidc\"", "auth = \"oidc\"\nrole_arn = \"role/x\"");
    assert!(matches!(
        expect(&bad_arn, "buckets[0].backend.role_arn", "role/x"),
        K::InvalidValue(_)
    ));
    let bad_sts = oidc.replace(
        "auth = \"oidc\"",
        "auth = \"oidc\"\nrole_arn = \"arn:aws:iam::1:role/x\"\nsts_endpoint = \"sts\"",
    );
    assert!(matches!(
        expect(&bad_sts, "buckets[0].backend.sts_endpoint", "sts_endpoint"),
        K::InvalidEndpoint { .. }
    ));

    let star_with_bucket = edit("name = \"data\"", "name = \"*\"").replacen(
        "type = \"s3\"",
        "type = \"s3\"\nbucket = \"fixed\"",
        1,
    );
    assert!(matches!(
        expect(&star_with_bucket, "buckets[0].backend.bucket", "fixed"),
        K::Conflict(_)
    ));
}

#[test]
fn bad_values() {
    let text = edit("http://127.0.0.1:9000", "ftp://127.0.0.1");
    let kind = expect(&text, "buckets[0].backend.endpoint", "ftp://");
    assert!(matches!(kind, K::InvalidEndpoint { ref url, .. } if url == "ftp://127.0.0.1"));
    for bad in [
        "127.0.0.1:9000",
        "http://",
        "http://user:pw@h",
        "http://h/?q=1",
    ] {
        let text = edit("http://127.0.0.1:9000", bad);
        assert!(
            matches!(error(&text).kind, K::InvalidEndpoint { .. }),
            "{bad}"
        );
    }

    let text = edit("name = \"data\"", "name = \"Data_1\"");
    let kind = expect(&text, "buckets[0].name", "Data_1");
    assert_eq!(
        kind,
        K::InvalidBucketName {
            name: "Data_1".into(),
            reason: BucketNameError::Character
        }
    );
    let text = edit("name = \"other\"", "name = \"ab\"");
    assert!(matches!(
        expect(&text, "buckets[1].name", "\"ab\""),
        K::InvalidBucketName { .. }
    ));

    let text = edit(
        "allowed_origins = [\"https://app.example.com\"]",
        "allowed_origins = []",
    );
    assert_eq!(
        expect(&text, "buckets[0].cors[0]", "[[buckets.cors]]"),
        K::InvalidCors(CorsError::NoOrigins)
    );
    let text = edit("https://app.example.com", "https://*.*.example.com");
    assert!(matches!(
        expect(&text, "buckets[0].cors[0]", "[[buckets.cors]]"),
        K::InvalidCors(CorsError::BadOrigin(_))
    ));

    let text = edit("AKIAIOSFODNN7EXAMPLE", "akia-short");
    assert!(matches!(
        expect(&text, "credentials[0].access_key_id", "akia-short"),
        K::InvalidAccessKeyId(_)
    ));

    let text = edit("region = \"us-east-1\"", "region = \"US East\"");
    assert!(matches!(
        expect(&text, "server.region", "US East"),
        K::InvalidValue(_)
    ));

    let text = edit(
        "[server]",
        "[server]\nvirtual_host_domains = [\"s3.example.com:9000\"]",
    );
    assert!(matches!(
        expect(&text, "server.virtual_host_domains[0]", "9000\"]"),
        K::InvalidValue(_)
    ));

    let text = edit("bucket = \"data\"", "bucket = \"data\"\nprefixes = []");
    assert!(matches!(
        expect(&text, "credentials[0].scopes[0].prefixes", "prefixes = []"),
        K::InvalidValue(_)
    ));
    let text = edit(
        "actions = [\"read\"]\n\n[[roles]]",
        "actions = []\n\n[[roles]]",
    );
    assert!(matches!(
        expect(&text, "credentials[0].scopes[0].actions", "actions = []"),
        K::InvalidValue(_)
    ));

    let text = edit("type = \"memory\"", "type = \"local\"\npath = \"\"");
    assert!(matches!(
        expect(&text, "buckets[1].backend.path", "path"),
        K::InvalidValue(_)
    ));
    let text = edit(
        "type = \"memory\"",
        "type = \"r2\"\nbinding = \"MY BUCKET\"",
    );
    assert!(matches!(
        expect(&text, "buckets[1].backend.binding", "binding"),
        K::InvalidValue(_)
    ));

    let text = format!("[limits]\nmax_upload_bytes = 0\n{BASE}");
    assert!(matches!(
        expect(&text, "limits.max_upload_bytes", "max_upload_bytes"),
        K::InvalidValue(_)
    ));
}

#[test]
fn role_rules() {
    let text = edit(
        "max_session_duration_secs = 3600",
        "max_session_duration_secs = 899",
    );
    assert_eq!(
        expect(&text, "roles[0].max_session_duration_secs", "899"),
        K::SessionDuration(899)
    );
    let text = edit(
        "max_session_duration_secs = 3600",
        "max_session_duration_secs = 43201",
    );
    assert_eq!(
        expect(&text, "roles[0].max_session_duration_secs", "43201"),
        K::SessionDuration(43201)
    );
    let text = edit(
        "max_session_duration_secs = 3600",
        "max_session_duration_secs = 900",
    );
    assert!(from_toml(&text).is_ok());

    let text = edit(
        "https://token.actions.githubusercontent.com",
        "http://idp.example.com",
    );
    assert!(matches!(
        expect(&text, "roles[0].trusted_issuers[0]", "idp.example"),
        K::InvalidEndpoint { .. }
    ));
    let text = edit("audiences = [\"sts.amazonaws.com\"]", "audiences = []");
    assert!(matches!(
        expect(&text, "roles[0].audiences", "audiences"),
        K::InvalidValue(_)
    ));
    let text = edit("bucket = \"ci-{owner}\"", "bucket = \"ci-{owner\"");
    assert!(matches!(
        expect(&text, "roles[0].scopes[0].bucket", "ci-{owner\""),
        K::InvalidTemplate(_)
    ));
    let text = edit("bucket = \"ci-{owner}\"", "bucket = \"CI-{owner}\"");
    assert!(matches!(
        expect(&text, "roles[0].scopes[0].bucket", "CI-"),
        K::InvalidTemplate(_)
    ));
    let text = edit(
        "bucket = \"ci-{owner}\"",
        "bucket = \"ci-{owner}\"\nprefixes = [\"{}/\"]",
    );
    assert!(matches!(
        expect(&text, "roles[0].scopes[0].prefixes[0]", "{}/"),
        K::InvalidTemplate(_)
    ));
}

#[test]
fn duplicates() {
    let text = edit("name = \"other\"", "name = \"data\"");
    let second = Some(nth_line_of(&text, "name = \"data\"", 1));
    let e = error(&text);
    assert_eq!(
        (e.path.as_str(), &e.kind),
        ("buckets[1].name", &K::DuplicateBucket("data".into()))
    );
    assert_eq!(e.line, second, "{e}");

    let twice = format!(
        "{BASE}\n[[credentials]]\naccess_key_id = \"AKIAIOSFODNN7EXAMPLE\"\nsecret_access_key = \"x\"\nprincipal = \"bob\"\n"
    );
    let e = error(&twice);
    assert_eq!(e.path, "credentials[1].access_key_id");
    assert_eq!(e.kind, K::DuplicateAccessKey("AKIAIOSFODNN7EXAMPLE".into()));
    assert_eq!(e.line, Some(twice.lines().count() - 2));

    let role_twice = format!(
        "{BASE}\n[[roles]]\nname = \"ci\"\ntrusted_issuers = [\"https://x.example\"]\naudiences = [\"a\"]\n"
    );
    assert_eq!(error(&role_twice).kind, K::DuplicateRole("ci".into()));
}

#[test]
fn syntax_errors_have_a_line() {
    let text = edit("[[credentials]]", "[[credentials]");
    let e = error(&text);
    assert!(matches!(e.kind, K::Syntax(_)), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "[[credentials]")));
    assert!(e.to_string().starts_with(&format!(
        "line {}: syntax error",
        line_of(&text, "[[credentials]")
    )));
}

#[test]
fn display_names_path_and_line() {
    let text = edit("http://127.0.0.1:9000", "ftp://h");
    let shown = error(&text).to_string();
    assert_eq!(
        shown,
        "buckets[0].backend.endpoint (line 8): `ftp://h` is not a valid endpoint URL: the scheme `ftp` is not http or https"
    );
}

#[test]
fn json_errors_have_paths_too() {
    let e = from_json(r#"{"buckets":[{"name":"data","backend":{"type":"memory","bogus":1}}]}"#);
    let e = e.expect_err("unknown key");
    assert_eq!(
        (e.path.as_str(), e.line),
        ("buckets[0].backend.bogus", Some(1))
    );
    let e = from_json("{\n  \"server\": {\"region\": 5}\n}").expect_err("type");
    assert_eq!((e.path.as_str(), e.line), ("server.region", Some(2)));
    let e =
        from_json(r#"{"buckets":[{"name":"a","backend":{"type":"memory"}}]}"#).expect_err("name");
    assert_eq!((e.path.as_str(), e.line), ("buckets[0].name", None));
    let e = from_json("{\"buckets\": [").expect_err("syntax");
    assert!(matches!(e.kind, K::Syntax(_)) && e.path.is_empty());
    let e = from_json("{} {}").expect_err("trailing");
    assert!(matches!(e.kind, K::Syntax(_)), "{e}");
}

#[test]
fn identity_keys() {
    let server = |extra: &str| {
        edit(
            "region = \"us-east-1\"\n",
            &format!("region = \"us-east-1\"\n{extra}"),
        )
    };
    // An http issuer needs to be listed as insecure.
    let text = edit(
        "https://token.actions.githubusercontent.com",
        "http://127.0.0.1:8080",
    );
    assert!(matches!(
        expect(&text, "roles[0].trusted_issuers[0]", "127.0.0.1:8080"),
        K::InvalidEndpoint { .. }
    ));
    let listed = text.replace(
        "region = \"us-east-1\"\n",
        "region = \"us-east-1\"\ninsecure_issuers = [\"http://127.0.0.1:8080\"]\n",
    );
    assert!(from_toml(&listed).is_ok());
    // Session keys: 32 bytes of base64, unique ids.
    let short = server("[[server.session_keys]]\nid = \"k1\"\nsecret = \"c2hvcnQ=\"\n");
    assert!(matches!(
        expect(&short, "server.session_keys[0].secret", "c2hvcnQ="),
        K::InvalidValue(ref why) if why.contains("32")
    ));
    let twice = server(
        "[[server.session_keys]]\nid = \"k1\"\nsecret = { env = \"A\" }\n[[server.session_keys]]\nid = \"k1\"\nsecret = { env = \"B\" }\n",
    );
    assert_eq!(error(&twice).path, "server.session_keys[1].id");
    assert_eq!(
        error(&server("sts_path = \"sts\"\n")).path,
        "server.sts_path"
    );
    // OIDC: an oidc backend needs the gateway's keys; an issuer needs keys and keys an issuer.
    let oidc = edit(
        "access_key_id = \"AKBACKEND\"\nsecret_access_key = { env = \"BACKEND_SECRET\" }",
        "auth = \"oidc\"\nrole_arn = \"arn:aws:iam::1:role/r\"\nsubject = \"gw\"",
    );
    assert!(matches!(
        expect(&oidc, "buckets[0].backend.auth", "auth = \"oidc\""),
        K::MissingKey(_)
    ));
    let keys = "oidc_issuer = \"https://gw.example.com\"\n[[server.oidc_keys]]\nid = \"gw\"\nalgorithm = \"ES256\"\nprivate_key = { env = \"K\" }\n";
    let with_keys = oidc.replace(
        "region = \"us-east-1\"\n",
        &format!("region = \"us-east-1\"\n{keys}"),
    );
    assert!(from_toml(&with_keys).is_ok(), "{:?}", from_toml(&with_keys));
    assert_eq!(
        error(&server("oidc_issuer = \"https://gw.example.com\"\n")).path,
        "server.oidc_keys"
    );
    let bad_pem = server(
        "oidc_issuer = \"https://gw.example.com\"\n[[server.oidc_keys]]\nid = \"gw\"\nalgorithm = \"RS256\"\nprivate_key = \"not a pem\"\n",
    );
    assert_eq!(error(&bad_pem).path, "server.oidc_keys[0].private_key");
    let static_subject = edit(
        "secret_access_key = { env = \"BACKEND_SECRET\" }",
        "secret_access_key = { env = \"BACKEND_SECRET\" }\nsubject = \"x\"",
    );
    assert!(matches!(error(&static_subject).kind, K::Conflict(_)));
}
