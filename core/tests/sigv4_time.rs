//! SigV4 time and scope checks: the ±15 minute skew of header auth (exact boundaries), the
//! presigned validity window and the seven-day cap on `X-Amz-Expires`, and credential scopes
//! naming the wrong region, service or date.

use aws_smithy_types::DateTime;
use http::{HeaderMap, HeaderValue};
use multistore_core::s3::S3ErrorCode;
use multistore_core::sigv4::{
    self, AuthKind, AuthRequest, SigV4Error, SigningCredentials, VerifyPolicy,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const T: i64 = 1_700_000_000;
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn creds() -> SigningCredentials<'static> {
    SigningCredentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: SECRET,
        session_token: None,
    }
}

fn host() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("bucket.example.com"));
    h
}

fn header_signed(region: &str, service: &str) -> HeaderMap {
    let mut h = host();
    sigv4::sign_request(
        "GET",
        "/k",
        &[],
        &mut h,
        &[],
        EMPTY,
        &creds(),
        region,
        service,
        DateTime::from_secs(T),
    )
    .unwrap();
    h
}

fn presigned(expires: u64) -> Vec<(String, String)> {
    sigv4::presign(
        "GET",
        "/k",
        &[],
        &host(),
        &creds(),
        "us-east-1",
        "s3",
        DateTime::from_secs(T),
        expires,
    )
    .unwrap()
}

fn verify_with(
    query: &[(String, String)],
    headers: &HeaderMap,
    now: DateTime,
    service: &str,
) -> Result<sigv4::Verified, SigV4Error> {
    let req = AuthRequest {
        method: "GET",
        raw_path: "/k",
        query,
        headers,
    };
    let parsed = sigv4::parse(&req)?.expect("signed");
    let regions = ["us-east-1".to_owned(), "auto".to_owned()];
    let policy = VerifyPolicy {
        now,
        regions: &regions,
        service,
        max_skew_secs: 900,
    };
    sigv4::verify(&req, &parsed, SECRET, &policy)
}

fn at(secs: i64, nanos: u32) -> DateTime {
    DateTime::from_secs_and_nanos(secs, nanos)
}

#[test]
fn header_auth_skew_boundaries() {
    let h = header_signed("us-east-1", "s3");
    for ok in [
        at(T, 0),
        at(T + 900, 0),
        at(T - 900, 0),
        at(T - 899, 999_999_999),
    ] {
        verify_with(&[], &h, ok, "s3").unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    for late in [
        at(T + 900, 1),
        at(T + 901, 0),
        at(T - 901, 0),
        nanos_before(at(T - 900, 0), 1),
    ] {
        let e = verify_with(&[], &h, late, "s3").unwrap_err();
        assert!(
            matches!(
                e,
                SigV4Error::RequestTimeTooSkewed {
                    max_skew_secs: 900,
                    ..
                }
            ),
            "{late:?}: {e:?}"
        );
        assert_eq!(e.s3_code(), S3ErrorCode::RequestTimeTooSkewed);
    }
}

/// `t` minus `n` nanoseconds (`DateTime` has no arithmetic).
fn nanos_before(t: DateTime, n: i128) -> DateTime {
    DateTime::from_nanos(t.as_nanos() - n).unwrap()
}

#[test]
fn presigned_expiry_boundaries() {
    let q = presigned(3600);
    for ok in [at(T, 0), at(T + 3600, 0), at(T - 900, 0)] {
        verify_with(&q, &host(), ok, "s3").unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    for expired in [at(T + 3600, 1), at(T + 3601, 0), at(T + 86_400, 0)] {
        let e = verify_with(&q, &host(), expired, "s3").unwrap_err();
        assert!(
            matches!(
                e,
                SigV4Error::RequestExpired {
                    expires_secs: 3600,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.s3_code(), S3ErrorCode::AccessDenied);
    }
    // Dated further in the future than the skew: not valid yet.
    let e = verify_with(&q, &host(), nanos_before(at(T - 900, 0), 1), "s3").unwrap_err();
    assert!(matches!(e, SigV4Error::RequestNotYetValid { .. }), "{e:?}");
    // Expires=0 is valid only at its own second.
    let zero = presigned(0);
    verify_with(&zero, &host(), at(T, 0), "s3").unwrap();
    assert!(verify_with(&zero, &host(), at(T + 1, 0), "s3").is_err());
}

#[test]
fn presigned_expires_is_capped_at_seven_days() {
    let week = presigned(604_800);
    verify_with(&week, &host(), at(T + 604_800, 0), "s3").unwrap();
    // A client-built URL with one second more is refused before the signature is checked.
    let mut longer = week.clone();
    longer
        .iter_mut()
        .find(|(n, _)| n == "X-Amz-Expires")
        .unwrap()
        .1 = "604801".into();
    let e = verify_with(&longer, &host(), at(T, 0), "s3").unwrap_err();
    assert_eq!(e, SigV4Error::ExpiresTooLarge);
    assert_eq!(e.s3_code(), S3ErrorCode::AuthorizationQueryParametersError);
}

#[test]
fn wrong_region_service_or_date_in_scope() {
    let e = verify_with(&[], &header_signed("eu-west-1", "s3"), at(T, 0), "s3").unwrap_err();
    assert_eq!(
        e,
        SigV4Error::WrongRegion {
            kind: AuthKind::Header,
            region: "eu-west-1".into(),
            expected: Some("us-east-1".into())
        }
    );
    assert_eq!(e.s3_code(), S3ErrorCode::AuthorizationHeaderMalformed);
    // Every listed region is accepted.
    verify_with(&[], &header_signed("auto", "s3"), at(T, 0), "s3").unwrap();

    let e = verify_with(&[], &header_signed("us-east-1", "sts"), at(T, 0), "s3").unwrap_err();
    assert!(matches!(e, SigV4Error::WrongService { ref service, .. } if service == "sts"));
    let e = verify_with(&[], &header_signed("us-east-1", "s3"), at(T, 0), "sts").unwrap_err();
    assert!(matches!(e, SigV4Error::WrongService { ref service, .. } if service == "s3"));

    // The scope date must be the date of x-amz-date (checked before the signature).
    let mut h = header_signed("us-east-1", "s3");
    let auth = h["authorization"]
        .to_str()
        .unwrap()
        .replace("/20231114/", "/20231115/");
    h.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    let e = verify_with(&[], &h, at(T, 0), "s3").unwrap_err();
    assert_eq!(
        e,
        SigV4Error::ScopeDateMismatch {
            kind: AuthKind::Header
        }
    );

    let mut q = presigned(60);
    let cred = q.iter_mut().find(|(n, _)| n == "X-Amz-Credential").unwrap();
    cred.1 = cred.1.replace("/us-east-1/", "/mars-1/");
    let e = verify_with(&q, &host(), at(T, 0), "s3").unwrap_err();
    assert!(matches!(
        e,
        SigV4Error::WrongRegion {
            kind: AuthKind::Presigned,
            ..
        }
    ));
    assert_eq!(e.s3_code(), S3ErrorCode::AuthorizationQueryParametersError);
}
