//! The worked examples of the Amazon S3 API Reference as test vectors: "Signature Calculations
//! for the Authorization Header" (GET object with a range, PUT object, GET bucket lifecycle,
//! list objects), "Authenticating Requests: Using Query Parameters" (presigned GET) and
//! "Transferring Payload in Multiple Chunks" (the seed signature of the chunked PUT; its chunk
//! signatures are in `chunked_vectors.rs`). Every example is checked both ways: our verifier
//! accepts the documented request, and our signer reproduces the documented signature.

use aws_smithy_types::DateTime;
use http::{HeaderMap, HeaderName, HeaderValue};
use multistore_core::sigv4::{
    self, AuthKind, AuthRequest, PayloadMode, SigningCredentials, VerifyPolicy,
};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";
/// 2013-05-24T00:00:00Z.
const T: i64 = 1_369_353_600;

fn creds() -> SigningCredentials<'static> {
    SigningCredentials {
        access_key_id: ACCESS_KEY,
        secret_access_key: SECRET,
        session_token: None,
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in pairs {
        map.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn regions() -> Vec<String> {
    vec!["us-east-1".to_owned()]
}

fn verify_at(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Result<sigv4::Verified, sigv4::SigV4Error> {
    let req = AuthRequest {
        method,
        raw_path: path,
        query,
        headers,
    };
    let parsed = sigv4::parse(&req)?.expect("signed");
    let regions = regions();
    let policy = VerifyPolicy {
        now: DateTime::from_secs(T + 60),
        regions: &regions,
        service: "s3",
        max_skew_secs: 900,
    };
    sigv4::verify(&req, &parsed, SECRET, &policy)
}

/// A documented header-auth example.
struct Example<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a [(String, String)],
    /// The request's headers but `x-amz-date`, `x-amz-content-sha256` and `authorization`.
    plain: &'a [(&'a str, &'a str)],
    /// The non-`x-amz-*` headers to sign besides `host`.
    sign_headers: &'a [&'a str],
    payload: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// Checks a header-auth example: the verifier accepts the documented request, a one-digit
/// change to the signature is refused, and `sign_request` over the same request without
/// auth reproduces the documented Authorization header.
fn check_header_example(e: Example<'_>) {
    let Example {
        method,
        path,
        query,
        plain,
        sign_headers,
        payload,
        signed_headers,
        signature,
    } = e;
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{SCOPE},SignedHeaders={signed_headers},Signature={signature}"
    );
    let mut sent = headers(plain);
    sent.insert("x-amz-date", HeaderValue::from_static("20130524T000000Z"));
    sent.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(payload).unwrap(),
    );
    sent.insert(
        "authorization",
        HeaderValue::from_str(&authorization).unwrap(),
    );
    let verified = verify_at(method, path, query, &sent).expect("documented request verifies");
    assert_eq!(verified.seed_signature, signature);
    assert_eq!(verified.scope.to_string(), SCOPE);

    let mut tampered = sent.clone();
    let bad_sig = format!(
        "{}{}",
        &signature[..63],
        if signature.ends_with('0') { '1' } else { '0' }
    );
    tampered.insert(
        "authorization",
        HeaderValue::from_str(&authorization.replace(signature, &bad_sig)).unwrap(),
    );
    assert_eq!(
        verify_at(method, path, query, &tampered).unwrap_err(),
        sigv4::SigV4Error::SignatureDoesNotMatch
    );

    let mut ours = headers(plain);
    sigv4::sign_request(
        method,
        path,
        query,
        &mut ours,
        sign_headers,
        payload,
        &creds(),
        "us-east-1",
        "s3",
        DateTime::from_secs(T),
    )
    .unwrap();
    let expected = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{SCOPE}, SignedHeaders={signed_headers}, Signature={signature}"
    );
    assert_eq!(ours["authorization"], expected.as_str());
}

#[test]
fn get_object_with_range() {
    check_header_example(Example {
        method: "GET",
        path: "/test.txt",
        query: &[],
        plain: &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
        ],
        sign_headers: &["range"],
        payload: EMPTY,
        signed_headers: "host;range;x-amz-content-sha256;x-amz-date",
        signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    });
}

#[test]
fn put_object_with_storage_class() {
    // The body is "Welcome to Amazon S3."; the path `$` is canonicalized as `%24`.
    let body_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    check_header_example(Example {
        method: "PUT",
        path: "/test$file.text",
        query: &[],
        plain: &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ],
        sign_headers: &["date"],
        payload: body_hash,
        signed_headers: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    });
    use sha2::Digest as _;
    let computed: [u8; 32] = sha2::Sha256::digest(b"Welcome to Amazon S3.").into();
    let payload = PayloadMode::from_header_value(body_hash).unwrap();
    payload.check_body_sha256(&computed).unwrap();
    let other: [u8; 32] = sha2::Sha256::digest(b"Welcome to Amazon S3!").into();
    assert_eq!(
        payload.check_body_sha256(&other),
        Err(sigv4::SigV4Error::PayloadHashMismatch)
    );
}

#[test]
fn get_bucket_lifecycle() {
    check_header_example(Example {
        method: "GET",
        path: "/",
        query: &query(&[("lifecycle", "")]),
        plain: &[("host", "examplebucket.s3.amazonaws.com")],
        sign_headers: &[],
        payload: EMPTY,
        signed_headers: "host;x-amz-content-sha256;x-amz-date",
        signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    });
}

#[test]
fn list_objects() {
    check_header_example(Example {
        method: "GET",
        path: "/",
        query: &query(&[("max-keys", "2"), ("prefix", "J")]),
        plain: &[("host", "examplebucket.s3.amazonaws.com")],
        sign_headers: &[],
        payload: EMPTY,
        signed_headers: "host;x-amz-content-sha256;x-amz-date",
        signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    });
}

const PRESIGNED_SIGNATURE: &str =
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

fn presigned_query(signature: &str) -> Vec<(String, String)> {
    query(&[
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", &format!("{ACCESS_KEY}/{SCOPE}")),
        ("X-Amz-Date", "20130524T000000Z"),
        ("X-Amz-Expires", "86400"),
        ("X-Amz-SignedHeaders", "host"),
        ("X-Amz-Signature", signature),
    ])
}

#[test]
fn presigned_get_object() {
    let host = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
    let q = presigned_query(PRESIGNED_SIGNATURE);
    let req = AuthRequest {
        method: "GET",
        raw_path: "/test.txt",
        query: &q,
        headers: &host,
    };
    let parsed = sigv4::parse(&req).unwrap().unwrap();
    assert_eq!(parsed.kind, AuthKind::Presigned);
    assert_eq!(parsed.expires_secs, Some(86400));
    assert_eq!(parsed.payload, PayloadMode::Unsigned);
    let verified = verify_at("GET", "/test.txt", &q, &host).unwrap();
    assert_eq!(verified.seed_signature, PRESIGNED_SIGNATURE);
    assert_eq!(
        verify_at("GET", "/test.txt", &presigned_query(&"0".repeat(64)), &host).unwrap_err(),
        sigv4::SigV4Error::SignatureDoesNotMatch
    );

    let ours = sigv4::presign(
        "GET",
        "/test.txt",
        &[],
        &host,
        &creds(),
        "us-east-1",
        "s3",
        DateTime::from_secs(T),
        86400,
    )
    .unwrap();
    assert_eq!(ours, q, "presign reproduces the documented query, in order");
}

#[test]
fn chunked_upload_seed_signature() {
    let sent = headers(&[
        ("host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        ),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("content-length", "66824"),
    ]);
    let req = AuthRequest {
        method: "PUT",
        raw_path: "/examplebucket/chunkObject.txt",
        query: &[],
        headers: &sent,
    };
    let parsed = sigv4::parse(&req).unwrap().unwrap();
    assert_eq!(parsed.payload, PayloadMode::StreamingSigned);
    let verified = verify_at("PUT", "/examplebucket/chunkObject.txt", &[], &sent).unwrap();
    assert_eq!(
        verified.seed_signature,
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    );
}

#[test]
fn signing_key_of_the_documented_scope() {
    // The key from the AWS General Reference's SigV4 example ("Deriving the signing key"),
    // secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215/us-east-1/iam.
    let key = sigv4::derive_signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "20120215",
        "us-east-1",
        "iam",
    );
    assert_eq!(
        key.sign_hex(b""),
        hex::encode(hmac_sha256(
            &hex::decode("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
                .unwrap(),
            b""
        ))
    );
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().into()
}
