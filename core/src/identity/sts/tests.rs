//! STS through `Gateway::resolve`, with a fake identity provider answering the plans'
//! fetches: the form and query flows, the negative cases, the JWKS refresh on an unknown
//! `kid`, and S3 requests signed with the minted credentials inside and outside their scope.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::codec::query_form::encode_form;
use crate::codec::scalar::DateTime;
use crate::config::from_toml;
use crate::gateway::{Gateway, Plan, RequestHead, Response, Settings};
use crate::registry::StaticRegistry;
use crate::sigv4::{SigningCredentials, sign_request};
use crate::sts::{
    AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse, Credentials,
};

use super::Sts;

pub(crate) const NOW: i64 = 1_700_000_000;
pub(crate) const ISS: &str = "http://idp.test";
const ROLE: &str = "arn:aws:iam::123456789012:role/ci";

pub(crate) fn pem(name: &str) -> &'static str {
    match name {
        "rsa1" => include_str!("../../../tests/keys/rsa1.pem"),
        "rsa2" => include_str!("../../../tests/keys/rsa2.pem"),
        "ec1" => include_str!("../../../tests/keys/ec1.pem"),
        "rsa1.pub" => include_str!("../../../tests/keys/rsa1.pub.pem"),
        _ => panic!("no key {name}"),
    }
}

fn encoding_key(name: &str) -> (EncodingKey, Algorithm) {
    if name.starts_with("ec") {
        (
            EncodingKey::from_ec_pem(pem(name).as_bytes()).unwrap(),
            Algorithm::ES256,
        )
    } else {
        (
            EncodingKey::from_rsa_pem(pem(name).as_bytes()).unwrap(),
            Algorithm::RS256,
        )
    }
}

/// A JWKS with the public halves of `keys`, each under its own name as `kid`.
pub(crate) fn jwks(keys: &[&str]) -> Vec<u8> {
    let keys: Vec<Jwk> = keys
        .iter()
        .map(|name| {
            let (key, alg) = encoding_key(name);
            let mut jwk = Jwk::from_encoding_key(&key, alg).unwrap();
            jwk.common.key_id = Some((*name).to_owned());
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            jwk
        })
        .collect();
    json!({ "keys": keys }).to_string().into_bytes()
}

/// A token signed with `key` (its name is the `kid`), with the usual claims changed by `edit`.
fn token(key: &str, edit: Value) -> String {
    let mut claims = json!({
        "iss": ISS, "aud": "sts.amazonaws.com", "sub": "repo:org/app",
        "exp": NOW + 600, "iat": NOW, "team": "blue",
    });
    for (k, v) in edit.as_object().cloned().unwrap_or_default() {
        claims[k] = v;
    }
    let (encoding, alg) = encoding_key(key);
    let mut header = Header::new(alg);
    header.kid = Some(key.to_owned());
    jsonwebtoken::encode(&header, &claims, &encoding).unwrap()
}

const CONFIG: &str = r#"
[server]
insecure_issuers = ["http://idp.test"]
sts_path = "/.sts"
[[server.session_keys]]
id = "k1"
secret = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="

[[buckets]]
name = "data"
backend = { type = "memory" }
[[buckets]]
name = "other"
backend = { type = "memory" }

[[roles]]
name = "ci"
trusted_issuers = ["http://idp.test"]
audiences = ["sts.amazonaws.com"]
subject = "repo:org/*"
max_session_duration_secs = 7200
[[roles.scopes]]
bucket = "data"
prefixes = ["teams/{team}/"]
actions = ["all"]
[[roles.scopes]]
bucket = "data"
prefixes = ["users/{user}/"]
actions = ["all"]
"#;

fn gateway_with(config: &str) -> Gateway {
    let config = from_toml(config).unwrap_or_else(|e| panic!("{e}"));
    let registry = Arc::new(StaticRegistry::new(&config).unwrap());
    let sts = Sts::from_config(&config, registry.clone())
        .unwrap()
        .unwrap();
    Gateway::builder(Settings::from_config(&config), registry.clone(), registry)
        .extension(&sts)
        .unwrap()
        .build()
}

/// A fake identity provider: what each URL answers, and how often it was fetched.
pub(crate) struct Idp {
    pub answers: RefCell<HashMap<String, Vec<u8>>>,
    pub fetched: RefCell<Vec<String>>,
}

impl Idp {
    pub(crate) fn new(keys: &[&str]) -> Self {
        let idp = Idp {
            answers: RefCell::new(HashMap::new()),
            fetched: RefCell::new(Vec::new()),
        };
        let discovery = json!({"issuer": ISS, "jwks_uri": format!("{ISS}/keys")});
        idp.set(
            &format!("{ISS}/.well-known/openid-configuration"),
            discovery.to_string().into_bytes(),
        );
        idp.set(&format!("{ISS}/keys"), jwks(keys));
        idp
    }

    pub(crate) fn set(&self, url: &str, body: Vec<u8>) {
        self.answers.borrow_mut().insert(url.to_owned(), body);
    }

    fn count(&self) -> usize {
        self.fetched.borrow().len()
    }

    /// Runs a plan to its response, reading `body` and answering fetches.
    pub(crate) fn drive(&self, mut plan: Plan, body: &[u8]) -> Plan {
        loop {
            plan = match plan {
                Plan::NeedsBody(n) => (n.then)(Bytes::copy_from_slice(body)),
                Plan::Fetch(f) => {
                    self.fetched.borrow_mut().push(f.request.url.clone());
                    let answer = self.answers.borrow().get(&f.request.url).cloned();
                    let result = match answer {
                        Some(b) => Ok((StatusCode::OK, HeaderMap::new(), Bytes::from(b))),
                        None => Ok((StatusCode::NOT_FOUND, HeaderMap::new(), Bytes::new())),
                    };
                    (f.then)(result)
                }
                other => return other,
            }
        }
    }
}

fn head(method: Method, target: &str, now: i64) -> RequestHead {
    let (raw_path, raw_query) = RequestHead::split_target(target);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    RequestHead {
        method,
        raw_path,
        raw_query,
        headers,
        client_ip: None,
        now: DateTime::from_secs(now),
        request_id: "req-1".into(),
    }
}

fn request(token: String) -> AssumeRoleWithWebIdentityRequest {
    AssumeRoleWithWebIdentityRequest {
        role_arn: ROLE.into(),
        role_session_name: "run-1".into(),
        web_identity_token: token,
        ..Default::default()
    }
}

fn respond(plan: Plan) -> Response {
    match plan {
        Plan::Respond(r) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// Calls STS with a form POST to `/` at `now`.
fn assume(g: &Gateway, idp: &Idp, req: AssumeRoleWithWebIdentityRequest, now: i64) -> Response {
    let body = encode_form(&req.to_query());
    let plan = g.resolve(head(Method::POST, "/", now));
    respond(idp.drive(plan, body.as_bytes()))
}

fn credentials(r: &Response) -> Credentials {
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    AssumeRoleWithWebIdentityResponse::from_xml(&r.body)
        .unwrap()
        .credentials
        .unwrap()
}

/// The STS (or S3) error code of an answer.
fn code(r: &Response) -> String {
    let body = String::from_utf8_lossy(&r.body);
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("")
        .to_owned()
}

/// An S3 request signed with temporary credentials.
fn s3(
    method: Method,
    target: &str,
    c: &Credentials,
    token: &str,
    access_key: &str,
    now: i64,
) -> RequestHead {
    let mut h = head(method, target, now);
    if h.method == Method::PUT {
        h.headers
            .insert("content-length", HeaderValue::from_static("0"));
    }
    let query = crate::gateway::request::parse_query(&h.raw_query).unwrap();
    let creds = SigningCredentials {
        access_key_id: access_key,
        secret_access_key: &c.secret_access_key,
        session_token: Some(token),
    };
    let method = h.method.clone();
    sign_request(
        method.as_str(),
        &h.raw_path,
        &query,
        &mut h.headers,
        &["host"],
        "UNSIGNED-PAYLOAD",
        &creds,
        "us-east-1",
        "s3",
        DateTime::from_secs(now),
    )
    .unwrap();
    h
}

fn allowed(g: &Gateway, h: RequestHead) -> bool {
    match g.resolve(h) {
        Plan::Forward(_) => true,
        Plan::Respond(r) => {
            assert_eq!(
                code(&r),
                "AccessDenied",
                "{}",
                String::from_utf8_lossy(&r.body)
            );
            false
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_full_flow_mints_credentials_scoped_by_claims() {
    let (g, idp) = (gateway_with(CONFIG), Idp::new(&["rsa1"]));
    let mut req = request(token("rsa1", json!({})));
    req.duration_seconds = Some(100);
    let r = assume(&g, &idp, req, NOW);
    let c = credentials(&r);
    assert_eq!(idp.count(), 2, "discovery, then the JWKS");
    assert!(c.access_key_id.starts_with("ASIA"));
    assert_eq!(c.expiration.secs(), NOW + 900, "clamped up to 900 s");
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        body.contains("<SubjectFromWebIdentityToken>repo:org/app</SubjectFromWebIdentityToken>")
    );
    assert!(
        body.contains("assumed-role/ci/run-1") && body.contains("<RequestId>req-1</RequestId>")
    );

    let put = |target: &str| {
        s3(
            Method::PUT,
            target,
            &c,
            &c.session_token,
            &c.access_key_id,
            NOW + 10,
        )
    };
    assert!(allowed(&g, put("/data/teams/blue/report")));
    assert!(!allowed(&g, put("/data/teams/red/report")));
    assert!(
        !allowed(&g, put("/data/users/x/report")),
        "the scope with a missing claim is dropped"
    );
    assert!(!allowed(&g, put("/data/other")));
    assert!(!allowed(&g, put("/other/teams/blue/report")));

    // A second call uses the cached keys; the duration clamps to the role's maximum.
    let mut req = request(token("rsa1", json!({})));
    req.duration_seconds = Some(40_000);
    let c2 = credentials(&assume(&g, &idp, req, NOW + 5));
    assert_eq!(idp.count(), 2);
    assert_eq!(c2.expiration.secs(), NOW + 5 + 7200);
    assert_eq!(
        credentials(&assume(&g, &idp, request(token("rsa1", json!({}))), NOW))
            .expiration
            .secs(),
        NOW + 3600
    );
}

#[test]
fn query_form_and_the_extra_path_work_and_get_root_stays_s3() {
    let (g, idp) = (gateway_with(CONFIG), Idp::new(&["ec1"]));
    let query = encode_form(&request(token("ec1", json!({}))).to_query());
    for (method, path) in [
        (Method::GET, "/"),
        (Method::POST, "/"),
        (Method::POST, "/.sts"),
    ] {
        let plan = g.resolve(head(method, &format!("{path}?{query}"), NOW));
        credentials(&respond(idp.drive(plan, b"")));
    }
    let form = encode_form(&request(token("ec1", json!({}))).to_query());
    credentials(&respond(idp.drive(
        g.resolve(head(Method::POST, "/.sts", NOW)),
        form.as_bytes(),
    )));
    // GET / without Action is ListBuckets (anonymous: refused the S3 way).
    let r = respond(g.resolve(head(Method::GET, "/", NOW)));
    assert_eq!(
        (r.status, code(&r).as_str()),
        (StatusCode::FORBIDDEN, "AccessDenied")
    );
    assert!(
        String::from_utf8_lossy(&r.body).starts_with("<?xml")
            && !String::from_utf8_lossy(&r.body).contains("ErrorResponse")
    );
    // Another action is an STS error.
    let r = respond(g.resolve(head(Method::GET, "/?Action=GetCallerIdentity", NOW)));
    assert_eq!(code(&r), "InvalidAction");
}

#[test]
fn refusals() {
    let (g, idp) = (gateway_with(CONFIG), Idp::new(&["rsa1"]));
    let cases: Vec<(AssumeRoleWithWebIdentityRequest, &str)> = vec![
        (
            request(token("rsa1", json!({"exp": NOW - 3600}))),
            "ExpiredTokenException",
        ),
        (
            request(token("rsa1", json!({"exp": null}))),
            "InvalidIdentityToken",
        ),
        (
            request(token("rsa1", json!({"aud": "someone-else"}))),
            "InvalidIdentityToken",
        ),
        (
            request(token("rsa1", json!({"iss": "https://evil.test"}))),
            "InvalidIdentityToken",
        ),
        (
            request(token("rsa1", json!({"nbf": NOW + 3600}))),
            "InvalidIdentityToken",
        ),
        (
            request(token("rsa1", json!({"sub": "repo:evil/app"}))),
            "IDPRejectedClaim",
        ),
        (
            request(token("rsa1", json!({"team": null}))),
            "IDPRejectedClaim",
        ),
        (
            request(token("rsa1", json!({"team": "a/../b"}))),
            "IDPRejectedClaim",
        ),
        (
            AssumeRoleWithWebIdentityRequest {
                role_arn: "arn:aws:iam::1:role/nope".into(),
                ..request(token("rsa1", json!({})))
            },
            "AccessDenied",
        ),
        (
            AssumeRoleWithWebIdentityRequest {
                policy: Some("{}".into()),
                ..request(token("rsa1", json!({})))
            },
            "MalformedPolicyDocument",
        ),
        (
            AssumeRoleWithWebIdentityRequest {
                role_session_name: "x".into(),
                ..request(token("rsa1", json!({})))
            },
            "ValidationError",
        ),
        (request("not-a-jwt".into()), "InvalidIdentityToken"),
    ];
    for (req, expected) in cases {
        let r = assume(&g, &idp, req, NOW);
        assert_eq!(code(&r), expected, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.status.is_client_error());
    }
    // A missing parameter.
    let body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=ci&RoleSessionName=ab";
    let r = respond(idp.drive(g.resolve(head(Method::POST, "/", NOW)), body.as_bytes()));
    assert_eq!(code(&r), "MissingParameter");
}

#[test]
fn alg_none_and_hs256_with_the_public_key_are_refused() {
    use base64::Engine as _;
    let (g, idp) = (gateway_with(CONFIG), Idp::new(&["rsa1"]));
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let claims = json!({"iss": ISS, "aud": "sts.amazonaws.com", "sub": "repo:org/app", "exp": NOW + 600, "team": "blue"});
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "rsa1"})),
        b64(&claims)
    );
    // The classic confusion: HMAC keyed with the RSA public key (PEM, as many libraries did).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa1".into());
    let secret = EncodingKey::from_secret(pem("rsa1.pub").as_bytes()).unwrap();
    let hs256 = jsonwebtoken::encode(&header, &claims, &secret).unwrap();
    for bad in [none, hs256] {
        let r = assume(&g, &idp, request(bad), NOW);
        assert_eq!(
            code(&r),
            "InvalidIdentityToken",
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
    assert_eq!(idp.count(), 0, "refused before any key was fetched");
    // A token whose header claims RS256 but is signed with another key.
    let mut forged = token("rsa2", json!({}));
    forged = forged.replacen(
        &forged[..forged.find('.').unwrap()],
        &b64(&json!({"alg": "RS256", "kid": "rsa1", "typ": "JWT"})),
        1,
    );
    assert_eq!(
        code(&assume(&g, &idp, request(forged), NOW)),
        "InvalidIdentityToken"
    );
}

#[test]
fn an_unknown_kid_refreshes_the_keys_at_most_every_30_seconds() {
    let (g, idp) = (gateway_with(CONFIG), Idp::new(&["rsa1"]));
    credentials(&assume(&g, &idp, request(token("rsa1", json!({}))), NOW));
    assert_eq!(idp.count(), 2);
    // The issuer rotates to a new key.
    idp.set(&format!("{ISS}/keys"), jwks(&["rsa1", "rsa2"]));
    let r = assume(&g, &idp, request(token("rsa2", json!({}))), NOW + 10);
    assert_eq!(
        (code(&r).as_str(), idp.count()),
        ("InvalidIdentityToken", 2),
        "no refresh within 30 s"
    );
    credentials(&assume(
        &g,
        &idp,
        request(token("rsa2", json!({}))),
        NOW + 31,
    ));
    assert_eq!(idp.count(), 4, "one refresh: discovery and JWKS");
    let r = assume(
        &g,
        &idp,
        request(token("rsa2", json!({"iss": ISS}))).clone(),
        NOW + 32,
    );
    credentials(&r);
    let unknown = {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("made-up".into());
        let claims = json!({"iss": ISS, "aud": "sts.amazonaws.com", "sub": "repo:org/app", "exp": NOW + 600, "team": "blue"});
        jsonwebtoken::encode(&header, &claims, &encoding_key("rsa1").0).unwrap()
    };
    for t in [NOW + 33, NOW + 40, NOW + 50] {
        assert_eq!(
            code(&assume(&g, &idp, request(unknown.clone()), t)),
            "InvalidIdentityToken"
        );
    }
    assert_eq!(idp.count(), 4, "made-up kids do not hammer the issuer");
    // An issuer that cannot be reached: IDPCommunicationError, then a short backoff.
    let (g2, broken) = (gateway_with(CONFIG), Idp::new(&[]));
    broken.answers.borrow_mut().clear();
    assert_eq!(
        code(&assume(
            &g2,
            &broken,
            request(token("rsa1", json!({}))),
            NOW
        )),
        "IDPCommunicationError"
    );
    assert_eq!(
        code(&assume(
            &g2,
            &broken,
            request(token("rsa1", json!({}))),
            NOW + 1
        )),
        "IDPCommunicationError"
    );
    assert_eq!(broken.count(), 1);
}

#[test]
fn session_tokens_are_bound_sealed_and_expire() {
    let (g, idp) = (gateway_with(CONFIG), Idp::new(&["rsa1"]));
    let c = credentials(&assume(&g, &idp, request(token("rsa1", json!({}))), NOW));
    let target = "/data/teams/blue/x";
    let refused = |h: RequestHead| {
        let r = respond(g.resolve(h));
        (r.status, code(&r))
    };
    // Tampered: one character changed in the middle.
    let mut bytes = c.session_token.clone().into_bytes();
    let mid = bytes.len() / 2;
    bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert_eq!(
        refused(s3(
            Method::GET,
            target,
            &c,
            &tampered,
            &c.access_key_id,
            NOW
        )),
        (StatusCode::BAD_REQUEST, "InvalidToken".into())
    );
    // The token with another access key id (signed with the right secret).
    assert_eq!(
        refused(s3(
            Method::GET,
            target,
            &c,
            &c.session_token,
            "ASIAAAAAAAAAAAAAAAAA",
            NOW
        )),
        (StatusCode::BAD_REQUEST, "InvalidToken".into())
    );
    // A wrong secret: the signature fails before anything about the token is told.
    let wrong = Credentials {
        secret_access_key: "nope".into(),
        ..c.clone()
    };
    assert_eq!(
        refused(s3(
            Method::GET,
            target,
            &wrong,
            &c.session_token,
            &c.access_key_id,
            NOW + 4000
        ))
        .1,
        "SignatureDoesNotMatch"
    );
    // Expired.
    let at = c.expiration.secs();
    assert_eq!(
        refused(s3(
            Method::GET,
            target,
            &c,
            &c.session_token,
            &c.access_key_id,
            at
        )),
        (StatusCode::BAD_REQUEST, "ExpiredToken".into())
    );
    assert!(allowed(
        &g,
        s3(
            Method::GET,
            target,
            &c,
            &c.session_token,
            &c.access_key_id,
            at - 1
        )
    ));
    // Rotation: a new key in front still opens the old token; removing the old key ends it.
    let rotated = CONFIG.replace(
        "[[server.session_keys]]\nid = \"k1\"",
        "[[server.session_keys]]\nid = \"k2\"\nsecret = \"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\"\n[[server.session_keys]]\nid = \"k1\"",
    );
    assert!(allowed(
        &gateway_with(&rotated),
        s3(
            Method::GET,
            target,
            &c,
            &c.session_token,
            &c.access_key_id,
            NOW
        )
    ));
    let removed = CONFIG.replace(
        "id = \"k1\"\nsecret = \"AQEB",
        "id = \"k2\"\nsecret = \"AgIC",
    );
    let r = respond(gateway_with(&removed).resolve(s3(
        Method::GET,
        target,
        &c,
        &c.session_token,
        &c.access_key_id,
        NOW,
    )));
    assert_eq!(code(&r), "InvalidToken");
}
