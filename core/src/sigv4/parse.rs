//! Reading SigV4 auth off a request, without the secret: the `Authorization` header or the
//! presigned `X-Amz-*` query parameters, into a [`ParsedAuth`]. Only syntax is checked here;
//! scope, time and signature are [`super::verify`]'s business.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use super::types::is_lower_hex_sha256;
use super::{
    ALGORITHM, AuthKind, AuthRequest, CredentialScope, ParsedAuth, PayloadMode, SCOPE_TERMINATOR,
    SigV4Error, parse_amz_date,
};

/// Presigned query parameter names (case-sensitive, as S3 reads them).
pub(crate) mod param {
    pub const ALGORITHM: &str = "X-Amz-Algorithm";
    pub const CREDENTIAL: &str = "X-Amz-Credential";
    pub const DATE: &str = "X-Amz-Date";
    pub const EXPIRES: &str = "X-Amz-Expires";
    pub const SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
    pub const SIGNATURE: &str = "X-Amz-Signature";
    pub const SECURITY_TOKEN: &str = "X-Amz-Security-Token";
    pub const CONTENT_SHA256: &str = "X-Amz-Content-Sha256";
    /// Every parameter that takes part in query auth; none may be repeated.
    pub const ALL: [&str; 8] = [
        ALGORITHM,
        CREDENTIAL,
        DATE,
        EXPIRES,
        SIGNED_HEADERS,
        SIGNATURE,
        SECURITY_TOKEN,
        CONTENT_SHA256,
    ];
}

/// Header names header auth reads.
pub(crate) mod header {
    pub const DATE: &str = "x-amz-date";
    pub const CONTENT_SHA256: &str = "x-amz-content-sha256";
    pub const SECURITY_TOKEN: &str = "x-amz-security-token";
}

/// Parses the Authorization header or the presigned query. `Ok(None)`: the request carries
/// no auth at all (anonymous). Both header and query auth, SigV2, SigV4a or an unknown scheme
/// is an error.
pub fn parse(req: &AuthRequest<'_>) -> Result<Option<ParsedAuth>, SigV4Error> {
    let mut auth_values = req.headers.get_all(AUTHORIZATION).iter();
    let auth_header = auth_values.next();
    if auth_values.next().is_some() {
        return Err(SigV4Error::AuthorizationHeaderMalformed(
            "more than one Authorization header".into(),
        ));
    }
    let has = |name: &str| req.query.iter().any(|(n, _)| n == name);
    let v4_query = [param::ALGORITHM, param::CREDENTIAL, param::SIGNATURE]
        .into_iter()
        .any(has);
    let v2_query = has("AWSAccessKeyId");
    match auth_header {
        Some(_) if v4_query || v2_query => Err(SigV4Error::MultipleAuthMechanisms),
        Some(value) => {
            let value = value.to_str().map_err(|_| {
                SigV4Error::AuthorizationHeaderMalformed("the header is not ASCII".into())
            })?;
            parse_header_auth(value, req.headers).map(Some)
        }
        None if v4_query => parse_presigned(req.query).map(Some),
        None if v2_query => Err(SigV4Error::UnsupportedAlgorithm),
        None => Ok(None),
    }
}

fn parse_header_auth(value: &str, headers: &HeaderMap) -> Result<ParsedAuth, SigV4Error> {
    let malformed = |m: &str| SigV4Error::AuthorizationHeaderMalformed(m.to_owned());
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme != ALGORITHM {
        // `AWS <key>:<sig>` is SigV2; `AWS4-ECDSA-P256-SHA256` is SigV4a.
        return Err(if scheme == "AWS" || scheme.starts_with("AWS4-") {
            SigV4Error::UnsupportedAlgorithm
        } else {
            SigV4Error::UnsupportedAuthorizationType
        });
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let component = component.trim_matches(' ');
        let (name, v) = component
            .split_once('=')
            .ok_or_else(|| malformed("a component is not name=value"))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(malformed("unknown component")),
        };
        if slot.replace(v).is_some() {
            return Err(malformed("a component is repeated"));
        }
    }
    let credential = credential.ok_or_else(|| malformed("missing Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| malformed("missing SignedHeaders"))?;
    let signature = signature.ok_or_else(|| malformed("missing Signature"))?;
    let (access_key_id, scope) = parse_credential(credential, AuthKind::Header)?;
    let signed_headers = parse_signed_headers(signed_headers, AuthKind::Header)?;

    let request_time = single_header(headers, header::DATE)
        .and_then(parse_amz_date)
        .ok_or(SigV4Error::MissingDate)?;
    let payload = match headers.get_all(header::CONTENT_SHA256).iter().count() {
        0 if scope.service == "s3" => return Err(SigV4Error::MissingContentSha256),
        0 => PayloadMode::Undeclared,
        _ => single_header(headers, header::CONTENT_SHA256)
            .ok_or(SigV4Error::InvalidPayloadHash)
            .and_then(PayloadMode::from_header_value)?,
    };
    let security_token = match headers.get_all(header::SECURITY_TOKEN).iter().count() {
        0 => None,
        _ => Some(
            single_header(headers, header::SECURITY_TOKEN)
                .ok_or_else(|| malformed("x-amz-security-token is repeated or not ASCII"))?
                .to_owned(),
        ),
    };
    Ok(ParsedAuth {
        kind: AuthKind::Header,
        access_key_id,
        scope,
        signed_headers,
        signature: signature.to_owned(),
        request_time,
        expires_secs: None,
        payload,
        security_token,
    })
}

fn parse_presigned(query: &[(String, String)]) -> Result<ParsedAuth, SigV4Error> {
    let malformed = |m: &str| SigV4Error::AuthorizationQueryParametersError(m.to_owned());
    let mut found: [Option<&str>; param::ALL.len()] = [None; param::ALL.len()];
    for (name, value) in query {
        if let Some(i) = param::ALL.iter().position(|p| p == name)
            && found[i].replace(value).is_some()
        {
            return Err(malformed("an X-Amz-* auth parameter is repeated"));
        }
    }
    let [
        algorithm,
        credential,
        date,
        expires,
        signed_headers,
        signature,
        security_token,
        content_sha256,
    ] = found;
    let required = "query-string authentication version 4 requires the X-Amz-Algorithm, \
                    X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and \
                    X-Amz-Expires parameters";
    let (
        Some(algorithm),
        Some(credential),
        Some(date),
        Some(expires),
        Some(signed_headers),
        Some(signature),
    ) = (
        algorithm,
        credential,
        date,
        expires,
        signed_headers,
        signature,
    )
    else {
        return Err(malformed(required));
    };
    if algorithm != ALGORITHM {
        return Err(malformed(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let (access_key_id, scope) = parse_credential(credential, AuthKind::Presigned)?;
    let signed_headers = parse_signed_headers(signed_headers, AuthKind::Presigned)?;
    let request_time = parse_amz_date(date).ok_or_else(|| {
        malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    })?;
    let expires_secs = Some(expires)
        .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|e| e.parse::<u64>().ok())
        .ok_or_else(|| malformed("X-Amz-Expires should be a non-negative number"))?;
    let payload = match content_sha256 {
        None | Some(PayloadMode::UNSIGNED) => PayloadMode::Unsigned,
        Some(hash) if is_lower_hex_sha256(hash) => PayloadMode::Sha256(hash.to_owned()),
        Some(_) => return Err(SigV4Error::InvalidPayloadHash),
    };
    Ok(ParsedAuth {
        kind: AuthKind::Presigned,
        access_key_id,
        scope,
        signed_headers,
        signature: signature.to_owned(),
        request_time,
        expires_secs: Some(expires_secs),
        payload,
        security_token: security_token.map(str::to_owned),
    })
}

/// `<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request`.
fn parse_credential(
    credential: &str,
    kind: AuthKind,
) -> Result<(String, CredentialScope), SigV4Error> {
    let mut parts = credential.rsplitn(5, '/');
    let (Some(terminator), Some(service), Some(region), Some(date), Some(access_key_id)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(SigV4Error::malformed(
            kind,
            "the Credential is not <key>/<date>/<region>/<service>/aws4_request",
        ));
    };
    if terminator != SCOPE_TERMINATOR {
        return Err(SigV4Error::malformed(
            kind,
            "incorrect terminal in the Credential; this endpoint uses \"aws4_request\"",
        ));
    }
    if access_key_id.is_empty() || region.is_empty() || service.is_empty() {
        return Err(SigV4Error::malformed(
            kind,
            "the Credential has an empty element",
        ));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigV4Error::malformed(
            kind,
            "the Credential date must be in the form YYYYMMDD",
        ));
    }
    let scope = CredentialScope {
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    };
    Ok((access_key_id.to_owned(), scope))
}

/// `a;b;c`: non-empty lowercase header names, strictly ascending (sorted, no repeats).
fn parse_signed_headers(list: &str, kind: AuthKind) -> Result<Vec<String>, SigV4Error> {
    let names: Vec<String> = list.split(';').map(str::to_owned).collect();
    let well_formed = names.iter().all(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase())
    });
    if !well_formed {
        return Err(SigV4Error::malformed(
            kind,
            "SignedHeaders must list lowercase header names separated by ';'",
        ));
    }
    if names.windows(2).any(|w| w[0] >= w[1]) {
        return Err(SigV4Error::malformed(
            kind,
            "SignedHeaders must be sorted and without repeats",
        ));
    }
    Ok(names)
}

/// The one value of `name`, as text; `None` when absent, repeated or not visible ASCII.
fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value.to_str().ok().map(|v| v.trim_matches(' '))
}
