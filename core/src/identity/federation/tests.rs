//! Backend federation with a fake clock: the OIDC documents, the exchange as a plan (its
//! token verifies against the published JWKS), caching, refresh ahead of expiry carried by
//! exactly one request while the others keep the current credentials, failures and backoff.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::*;
use crate::codec::query_form::parse_form;
use crate::codec::scalar::DateTime;
use crate::config::from_toml;
use crate::gateway::{Forward, Gateway, Plan, RequestHead, Settings};
use crate::identity::jwt;
use crate::identity::oidc::OidcProvider;
use crate::identity::sts::tests::{NOW, pem};
use crate::registry::StaticRegistry;
use crate::sigv4::{SigningCredentials, sign_request};
use crate::sts::{AssumedRoleUser, Credentials};

fn config() -> String {
    format!(
        r#"
[server]
oidc_issuer = "https://gateway.test"
[[server.oidc_keys]]
id = "gw-2"
algorithm = "ES256"
private_key = """{ec}"""
[[server.oidc_keys]]
id = "gw-1"
algorithm = "RS256"
private_key = """{rsa}"""

[[buckets]]
name = "fed"
[buckets.backend]
type = "s3"
endpoint = "http://backend.test:9000"
auth = "oidc"
role_arn = "arn:aws:iam::123456789012:role/gateway"
sts_endpoint = "http://sts.test:5000"

[[credentials]]
access_key_id = "AKIAALICE0000000"
secret_access_key = "alice-secret"
principal = "alice"
[[credentials.scopes]]
bucket = "fed"
actions = ["all"]
"#,
        ec = pem("ec1"),
        rsa = pem("rsa1"),
    )
}

fn gateway() -> (Gateway, OidcProvider) {
    let config = from_toml(&config()).unwrap_or_else(|e| panic!("{e}"));
    let registry = Arc::new(StaticRegistry::new(&config).unwrap());
    let oidc = OidcProvider::from_config(&config.server).unwrap().unwrap();
    let gateway = Gateway::builder(Settings::from_config(&config), registry.clone(), registry)
        .extension(&oidc)
        .unwrap()
        .build();
    (gateway, oidc)
}

fn get(target: &str, now: i64) -> RequestHead {
    let (raw_path, raw_query) = RequestHead::split_target(target);
    let mut h = RequestHead {
        method: Method::GET,
        raw_path,
        raw_query,
        headers: HeaderMap::new(),
        client_ip: None,
        now: DateTime::from_secs(now),
        request_id: "req-1".into(),
    };
    h.headers
        .insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    let creds = SigningCredentials {
        access_key_id: "AKIAALICE0000000",
        secret_access_key: "alice-secret",
        session_token: None,
    };
    sign_request(
        "GET",
        &h.raw_path.clone(),
        &[],
        &mut h.headers,
        &["host"],
        "UNSIGNED-PAYLOAD",
        &creds,
        "us-east-1",
        "s3",
        h.now,
    )
    .unwrap();
    h
}

/// An STS answer with credentials `n`, expiring at `exp`.
fn sts_answer(
    n: u32,
    exp: i64,
) -> Result<(StatusCode, HeaderMap, Bytes), crate::gateway::FetchError> {
    let answer = AssumeRoleWithWebIdentityResponse {
        credentials: Some(Credentials {
            access_key_id: format!("ASIATEMP{n:08}"),
            secret_access_key: format!("temp-secret-{n}"),
            session_token: format!("session-token-{n}"),
            expiration: DateTime::from_secs(exp),
        }),
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: "AROA:x".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/gateway/x".into(),
        }),
        ..Default::default()
    };
    Ok((
        StatusCode::OK,
        HeaderMap::new(),
        Bytes::from(answer.to_xml("sts-req")),
    ))
}

fn fetch(plan: Plan) -> Box<Fetch> {
    match plan {
        Plan::Fetch(f) => f,
        other => panic!("expected a fetch, got {other:?}"),
    }
}

fn forward(plan: Plan) -> Box<Forward> {
    match plan {
        Plan::Forward(f) => f,
        other => panic!("expected a forward, got {other:?}"),
    }
}

/// The temporary key a forwarded request was signed with, and its session token.
fn signed_with(f: &Forward) -> (String, String) {
    let auth = f.request.headers["authorization"].to_str().unwrap();
    let key = auth
        .split("Credential=")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let token = f.request.headers["x-amz-security-token"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        auth.contains("x-amz-security-token"),
        "the token is signed: {auth}"
    );
    (key, token)
}

fn error(plan: Plan) -> (StatusCode, String) {
    let Plan::Respond(r) = plan else {
        panic!("expected an error, got {plan:?}")
    };
    let body = String::from_utf8_lossy(&r.body).into_owned();
    (
        r.status,
        body.split("<Code>")
            .nth(1)
            .and_then(|s| s.split("</Code>").next())
            .unwrap_or("")
            .to_owned(),
    )
}

#[test]
fn the_provider_serves_its_documents_and_its_tokens_verify_against_them() {
    let (g, oidc) = gateway();
    let doc = |path: &str| -> serde_json::Value {
        let Plan::Respond(r) = g.resolve(RequestHead {
            method: Method::GET,
            ..get(path, NOW)
        }) else {
            panic!()
        };
        assert_eq!(r.status, StatusCode::OK);
        serde_json::from_slice(&r.body).unwrap()
    };
    let discovery = doc("/.well-known/openid-configuration");
    assert_eq!(discovery["issuer"], "https://gateway.test");
    assert_eq!(
        discovery["jwks_uri"],
        "https://gateway.test/.well-known/jwks.json"
    );
    let jwks = jwt::parse_jwks(doc("/.well-known/jwks.json").to_string().as_bytes()).unwrap();
    let kids: Vec<_> = jwks
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    assert_eq!(
        kids,
        ["gw-2", "gw-1"],
        "every key is published, the signing one first"
    );
    assert!(
        !doc("/.well-known/jwks.json").to_string().contains("\"d\""),
        "no private parts"
    );
    let token = oidc
        .signer()
        .mint("multistore:fed", "sts.amazonaws.com", NOW)
        .unwrap();
    let peeked = jwt::peek(&token).unwrap();
    assert_eq!(peeked.kid.as_deref(), Some("gw-2"));
    let key = jwt::select_key(&jwks, peeked.kid.as_deref(), peeked.alg).unwrap();
    let claims = jwt::verify(&token, key, peeked.alg).unwrap();
    assert_eq!(claims["exp"], NOW + 300);
}

#[test]
fn exchange_cache_and_refresh_ahead_of_expiry() {
    let (g, _) = gateway();
    // Cold: the request exchanges first.
    let f = fetch(g.resolve(get("/fed/a", NOW)));
    assert_eq!(
        (f.request.method.clone(), f.request.url.as_str()),
        (Method::POST, "http://sts.test:5000/")
    );
    let form: HashMap<String, String> = parse_form(std::str::from_utf8(&f.request.body).unwrap())
        .into_iter()
        .collect();
    assert_eq!(form["Action"], "AssumeRoleWithWebIdentity");
    assert_eq!(form["RoleArn"], "arn:aws:iam::123456789012:role/gateway");
    assert_eq!(form["RoleSessionName"], "multistore-fed");
    let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(
        &form["WebIdentityToken"],
    )
    .unwrap();
    assert_eq!(
        (claims["sub"].as_str(), claims["aud"].as_str()),
        (Some("multistore:fed"), Some("sts.amazonaws.com"))
    );
    // A concurrent cold request fetches under the same coalescing key.
    let twin = fetch(g.resolve(get("/fed/b", NOW)));
    assert_eq!(twin.coalesce, f.coalesce);
    let exp = NOW + 3600;
    let signed = signed_with(&forward((f.then)(sts_answer(1, exp))));
    assert_eq!(
        signed,
        ("ASIATEMP00000001".into(), "session-token-1".into())
    );
    assert_eq!(
        signed_with(&forward((twin.then)(sts_answer(1, exp)))).0,
        "ASIATEMP00000001"
    );

    // Cached: no exchange.
    assert_eq!(
        signed_with(&forward(g.resolve(get("/fed/a", NOW + 600)))).0,
        "ASIATEMP00000001"
    );
    // Five minutes before expiry, exactly one request carries the refresh ...
    let due = exp - 299;
    let carrier = fetch(g.resolve(get("/fed/a", due)));
    // ... while the others keep using the current credentials, unblocked.
    for _ in 0..3 {
        assert_eq!(
            signed_with(&forward(g.resolve(get("/fed/b", due)))).0,
            "ASIATEMP00000001"
        );
    }
    assert_eq!(
        signed_with(&forward((carrier.then)(sts_answer(2, due + 3600)))).0,
        "ASIATEMP00000002"
    );
    assert_eq!(
        signed_with(&forward(g.resolve(get("/fed/a", due + 1)))).0,
        "ASIATEMP00000002"
    );
}

#[test]
fn failures_fall_back_or_back_off() {
    let (g, _) = gateway();
    let exp = NOW + 3600;
    let f = fetch(g.resolve(get("/fed/a", NOW)));
    forward((f.then)(sts_answer(1, exp)));
    // A refresh that fails goes on with the valid credentials, and is retried 30 s later.
    let due = exp - 200;
    let carrier = fetch(g.resolve(get("/fed/a", due)));
    let down = Err(crate::gateway::FetchError::Unavailable("sts.test".into()));
    assert_eq!(
        signed_with(&forward((carrier.then)(down))).0,
        "ASIATEMP00000001"
    );
    assert_eq!(
        signed_with(&forward(g.resolve(get("/fed/a", due + 29)))).0,
        "ASIATEMP00000001"
    );
    let retry = fetch(g.resolve(get("/fed/a", due + 30)));
    forward((retry.then)(sts_answer(2, due + 3600)));

    // Cold and refused: 502, then 503 for a few seconds without asking again.
    let (g, _) = gateway();
    let f = fetch(g.resolve(get("/fed/a", NOW)));
    let refused = crate::identity::sts::StsFailure::access_denied("Not authorized").response("x");
    let answer = (refused.status, refused.headers, refused.body);
    assert_eq!(
        error((f.then)(Ok(answer))),
        (StatusCode::BAD_GATEWAY, "BadGateway".into())
    );
    assert_eq!(
        error(g.resolve(get("/fed/a", NOW + 5))).0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    fetch(g.resolve(get("/fed/a", NOW + 10)));
    // Credentials that are expired on arrival are refused, not cached (no loop).
    let (g, _) = gateway();
    let f = fetch(g.resolve(get("/fed/a", NOW)));
    assert_eq!(
        error((f.then)(sts_answer(1, NOW + 30))).0,
        StatusCode::BAD_GATEWAY
    );
}

#[test]
fn the_cache_states_on_a_fake_clock() {
    let (_, oidc) = gateway();
    let fed = oidc.federation();
    let role = FederatedRole {
        role_arn: "arn:aws:iam::1:role/r".into(),
        sts_endpoint: "http://sts".into(),
        subject: "s".into(),
        audience: "a".into(),
    };
    let creds = |exp: i64, at: i64| TemporaryCredentials {
        access_key_id: "A".into(),
        secret_access_key: SecretValue::new("s"),
        session_token: "t".into(),
        expires_at: exp,
        obtained_at: at,
    };
    assert!(matches!(fed.need(&role, 0), Need::Fetch { carry: None }));
    // Still cold, claimed: another Fetch (coalesced by the runtime), the claim kept.
    assert!(matches!(fed.need(&role, 1), Need::Fetch { carry: None }));
    fed.store(&role, creds(1000, 0));
    assert!(matches!(fed.need(&role, 400), Need::Ready(_)));
    // A 1000 s credential is refreshed from half its life on (lead = min(300, 500)).
    assert!(matches!(
        fed.need(&role, 700),
        Need::Fetch { carry: Some(_) }
    ));
    assert!(matches!(fed.need(&role, 701), Need::Ready(_)));
    // Never used within 60 s of expiry.
    assert!(fed.current(&role, 940).is_none());
    assert!(matches!(fed.need(&role, 950), Need::Fetch { carry: None }));
    // An older answer arriving late does not replace newer credentials.
    fed.store(&role, creds(5000, 960));
    fed.store(&role, creds(2000, 961));
    assert_eq!(fed.current(&role, 970).map(|c| c.expires_at), Some(5000));
}

#[test]
fn role_defaults_and_session_names() {
    let mut s3 = S3Backend::new("http://h", "A", crate::config::Secret::inline("s"));
    assert!(FederatedRole::of(&s3, "b").is_none());
    s3.role_arn = Some("arn:aws:iam::1:role/r".into());
    let role = FederatedRole::of(&s3, "*").unwrap();
    assert_eq!(
        (
            role.sts_endpoint.as_str(),
            role.subject.as_str(),
            role.audience.as_str()
        ),
        (
            "https://sts.amazonaws.com",
            "multistore:*",
            "sts.amazonaws.com"
        )
    );
    assert_eq!(role.session_name(), "multistore--");
    s3.subject = Some("x".into());
    assert_eq!(
        FederatedRole::of(&s3, "b").unwrap().session_name(),
        "multistorex"
    );
}
