//! Client-side SigV4 for requests the gateway sends to a backend: header auth
//! ([`sign_request`]) and presigned query auth ([`presign`]). Canonicalization is the verifier's
//! own, so whatever we sign, [`super::verify`] accepts.

use std::collections::BTreeSet;

use aws_smithy_types::DateTime;
use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderValue};

use super::canonical::{canonical_query, canonical_request, canonical_uri, string_to_sign};
use super::parse::{header, param};
use super::{
    ALGORITHM, CredentialScope, MAX_PRESIGNED_EXPIRES_SECS, PayloadMode, SigV4Error,
    derive_signing_key, format_amz_date,
};

/// The credentials to sign with. Its [`std::fmt::Debug`] shows the access key id only.
#[derive(Clone, Copy)]
pub struct SigningCredentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
}

impl std::fmt::Debug for SigningCredentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Signs a request to a backend with header auth. Sets `x-amz-date`, `x-amz-content-sha256`
/// (= `payload_hash`: a lowercase hex digest or a sentinel such as `UNSIGNED-PAYLOAD` or
/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`), `x-amz-security-token` when there is a session token
/// (else removes one), and `authorization` (replacing any). Signs `host` plus every header of
/// `sign_headers` present plus every `x-amz-*` header present. `host` must be in `headers`.
///
/// `raw_path` is the path as it will be sent; it is canonicalized like the verifier does, so
/// send it in canonical form (e.g. from [`crate::codec::path::path_style`]).
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    method: &str,
    raw_path: &str,
    query: &[(String, String)],
    headers: &mut HeaderMap,
    sign_headers: &[&str],
    payload_hash: &str,
    creds: &SigningCredentials<'_>,
    region: &str,
    service: &str,
    now: DateTime,
) -> Result<(), SigV4Error> {
    if !headers.contains_key(HOST) {
        return Err(SigV4Error::InvalidSigningInput("no host header"));
    }
    check_scope_names(region, service)?;
    let payload = PayloadMode::from_header_value(payload_hash)?;
    let amz_date = format_amz_date(&now).ok_or(SigV4Error::InvalidSigningInput(
        "the time is outside years 0..=9999",
    ))?;
    let scope = scope_for(&amz_date, region, service);

    headers.remove(AUTHORIZATION);
    headers.insert(header::DATE, header_value(&amz_date)?);
    headers.insert(header::CONTENT_SHA256, header_value(payload.as_str())?);
    match creds.session_token {
        Some(token) => {
            let mut value = header_value(token)?;
            value.set_sensitive(true);
            headers.insert(header::SECURITY_TOKEN, value);
        }
        None => {
            headers.remove(header::SECURITY_TOKEN);
        }
    }

    let mut signed: BTreeSet<String> = BTreeSet::new();
    signed.insert(HOST.as_str().to_owned());
    for name in sign_headers {
        let name = name.to_ascii_lowercase();
        if headers.contains_key(name.as_str()) {
            signed.insert(name);
        }
    }
    for name in headers.keys() {
        if name.as_str().starts_with("x-amz-") {
            signed.insert(name.as_str().to_owned());
        }
    }
    let signed: Vec<String> = signed.into_iter().collect();

    let creq = canonical_request(
        method,
        &canonical_uri(raw_path)?,
        &canonical_query(query.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        headers,
        &signed,
        payload.as_str(),
    )?;
    let scope_str = scope.to_string();
    let key = derive_signing_key(creds.secret_access_key, &scope.date, region, service);
    let signature = key.sign_hex(string_to_sign(&amz_date, &scope_str, &creq).as_bytes());
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope_str}, SignedHeaders={}, Signature={signature}",
        creds.access_key_id,
        signed.join(";"),
    );
    let mut value = header_value(&authorization)?;
    value.set_sensitive(true);
    headers.insert(AUTHORIZATION, value);
    Ok(())
}

/// Presigns a request (query auth, `UNSIGNED-PAYLOAD`): returns the pairs to append to
/// `query`, `X-Amz-Algorithm` … `X-Amz-Signature` (with `X-Amz-Security-Token` when there is
/// a session token). Every header in `headers` is signed, so pass exactly the headers the
/// request will carry; `host` must be among them.
#[allow(clippy::too_many_arguments)]
pub fn presign(
    method: &str,
    raw_path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    creds: &SigningCredentials<'_>,
    region: &str,
    service: &str,
    now: DateTime,
    expires_secs: u64,
) -> Result<Vec<(String, String)>, SigV4Error> {
    if !headers.contains_key(HOST) {
        return Err(SigV4Error::InvalidSigningInput("no host header"));
    }
    check_scope_names(region, service)?;
    if expires_secs > MAX_PRESIGNED_EXPIRES_SECS {
        return Err(SigV4Error::ExpiresTooLarge);
    }
    if query.iter().any(|(n, _)| param::ALL.contains(&n.as_str())) {
        return Err(SigV4Error::InvalidSigningInput(
            "the query already carries X-Amz-* auth parameters",
        ));
    }
    let amz_date = format_amz_date(&now).ok_or(SigV4Error::InvalidSigningInput(
        "the time is outside years 0..=9999",
    ))?;
    let scope = scope_for(&amz_date, region, service);
    let scope_str = scope.to_string();
    let signed: Vec<String> = headers
        .keys()
        .map(|n| n.as_str().to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let mut auth = vec![
        (param::ALGORITHM.to_owned(), ALGORITHM.to_owned()),
        (
            param::CREDENTIAL.to_owned(),
            format!("{}/{scope_str}", creds.access_key_id),
        ),
        (param::DATE.to_owned(), amz_date.clone()),
        (param::EXPIRES.to_owned(), expires_secs.to_string()),
        (param::SIGNED_HEADERS.to_owned(), signed.join(";")),
    ];
    if let Some(token) = creds.session_token {
        auth.push((param::SECURITY_TOKEN.to_owned(), token.to_owned()));
    }
    let creq = canonical_request(
        method,
        &canonical_uri(raw_path)?,
        &canonical_query(
            query
                .iter()
                .chain(auth.iter())
                .map(|(n, v)| (n.as_str(), v.as_str())),
        ),
        headers,
        &signed,
        PayloadMode::UNSIGNED,
    )?;
    let key = derive_signing_key(creds.secret_access_key, &scope.date, region, service);
    let signature = key.sign_hex(string_to_sign(&amz_date, &scope_str, &creq).as_bytes());
    auth.push((param::SIGNATURE.to_owned(), signature));
    Ok(auth)
}

/// Refuses a region or service that would not survive in a credential scope: empty, or with
/// anything but `a-z`, `0-9` and `-` (a `/` shifts the scope's parts, a `,` or space breaks
/// the Authorization header), so that what we sign always parses (found by fuzzing).
fn check_scope_names(region: &str, service: &str) -> Result<(), SigV4Error> {
    let name = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if name(region) && name(service) {
        Ok(())
    } else {
        Err(SigV4Error::InvalidSigningInput(
            "the region and service must be non-empty and made of a-z, 0-9 and '-'",
        ))
    }
}

fn scope_for(amz_date: &str, region: &str, service: &str) -> CredentialScope {
    CredentialScope {
        date: super::time::date_part(amz_date).to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    }
}

fn header_value(s: &str) -> Result<HeaderValue, SigV4Error> {
    HeaderValue::from_str(s)
        .map_err(|_| SigV4Error::InvalidSigningInput("a value is not a valid header value"))
}
