//! Building the request a backend receives: the typed request moved into the backend's
//! namespace, written by the generated binding (so only the headers S3 honours for the
//! operation cross), the protocol headers the policy table copies, and for S3 endpoints the
//! URL (path- or virtual-hosted) and the SigV4 signature with the bucket's own credentials.

use http::header::{HOST, HeaderName, HeaderValue};
use http::{HeaderMap, Uri};

use crate::codec::http::OutboundRequest;
use crate::codec::path::{encode_component, encode_key, path_style};
use crate::codec::scalar::DateTime;
use crate::config::{Addressing, BackendConfig, S3Auth, S3Backend};
use crate::error::Error;
use crate::identity::federation::TemporaryCredentials;
use crate::policy::headers::{RequestAction, is_signed, request_rule};
use crate::s3::S3Request;
use crate::sigv4::{self, SigningCredentials};

use super::plan::{BackendKind, BackendRequest};

/// Everything that shapes one backend request.
pub struct BackendCall<'a> {
    pub backend: &'a BackendConfig,
    /// The embedded store's name (the client bucket's configuration entry).
    pub store: &'a str,
    /// The request, already in the backend's namespace.
    pub request: &'a S3Request,
    /// The client's headers, for the protocol headers the policy copies.
    pub client_headers: &'a HeaderMap,
    /// The body stays aws-chunked toward the backend.
    pub chunked_to_backend: bool,
    /// The gateway wrote the body itself (DeleteObjects with keys removed or prefixed): the
    /// client's checksums do not cover it; `extra_headers` carries our Content-MD5.
    pub body_regenerated: bool,
    /// Headers the gateway adds before signing.
    pub extra_headers: HeaderMap,
    /// The backend signature's payload hash.
    pub payload_hash: &'a str,
    pub now: DateTime,
    /// The temporary credentials of a backend with `auth = "oidc"`.
    pub federated: Option<&'a TemporaryCredentials>,
}

/// Builds the backend request.
pub fn build(call: &BackendCall<'_>) -> Result<BackendRequest, Error> {
    let mut out = call.request.to_http()?;
    copy_protocol_headers(
        call.client_headers,
        &mut out.headers,
        call.chunked_to_backend,
        call.body_regenerated,
    );
    for (name, value) in &call.extra_headers {
        out.headers.insert(name.clone(), value.clone());
    }
    if !call.chunked_to_backend {
        strip_aws_chunked(&mut out.headers);
    }
    match call.backend {
        BackendConfig::S3(s3) => http_request(s3, call, out),
        BackendConfig::Local(_) | BackendConfig::Memory(_) | BackendConfig::R2(_) => {
            Ok(BackendRequest {
                kind: BackendKind::Embedded {
                    store: call.store.to_owned(),
                },
                operation: call.request.operation(),
                method: out.method.clone(),
                url: String::new(),
                headers: HeaderMap::new(),
                s3: out,
            })
        }
    }
}

/// Copies the protocol headers the policy table says to copy.
fn copy_protocol_headers(
    client: &HeaderMap,
    out: &mut HeaderMap,
    chunked: bool,
    regenerated: bool,
) {
    for (name, value) in client {
        let copy = match request_rule(name.as_str()).map(|r| r.action) {
            Some(RequestAction::CopyFromClient) => !regenerated,
            Some(RequestAction::CopyWhenChunked) => chunked,
            _ => false,
        };
        if copy && !out.contains_key(name) {
            out.append(name.clone(), value.clone());
        }
    }
}

/// Removes `aws-chunked` from `Content-Encoding` when the body is sent decoded.
fn strip_aws_chunked(headers: &mut HeaderMap) {
    let Some(value) = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let rest: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    if rest.is_empty() {
        headers.remove(http::header::CONTENT_ENCODING);
    } else if let Ok(v) = HeaderValue::from_str(&rest.join(",")) {
        headers.insert(http::header::CONTENT_ENCODING, v);
    }
}

/// The encoded query string.
pub fn encode_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn http_request(
    s3: &S3Backend,
    call: &BackendCall<'_>,
    out: OutboundRequest,
) -> Result<BackendRequest, Error> {
    let (operation, payload_hash, now) = (call.request.operation(), call.payload_hash, call.now);
    let endpoint: Uri = s3
        .endpoint
        .parse()
        .map_err(|_| Error::Internal(format!("bad backend endpoint {}", s3.endpoint)))?;
    let scheme = endpoint.scheme_str().unwrap_or("https");
    let authority = endpoint
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let base = endpoint.path().trim_end_matches('/');
    let (host, path) = match (s3.addressing, out.bucket.as_deref()) {
        (Addressing::Virtual, Some(bucket)) => {
            let key = out.key.as_deref().map(encode_key).unwrap_or_default();
            (format!("{bucket}.{authority}"), format!("{base}/{key}"))
        }
        _ => (
            authority,
            format!(
                "{base}{}",
                path_style(out.bucket.as_deref(), out.key.as_deref())
            ),
        ),
    };
    let query = encode_query(&out.query);
    let url = if query.is_empty() {
        format!("{scheme}://{host}{path}")
    } else {
        format!("{scheme}://{host}{path}?{query}")
    };
    let mut headers = out.headers.clone();
    headers.insert(
        HOST,
        HeaderValue::from_str(&host).map_err(|_| Error::Internal("bad backend host".into()))?,
    );
    let (access_key_id, secret, session_token) = match s3.auth {
        S3Auth::Anonymous => (None, None, None),
        S3Auth::Static => match (
            &s3.access_key_id,
            s3.secret_access_key.as_ref().and_then(|s| s.value()),
        ) {
            (Some(id), Some(secret)) => (Some(id.as_str()), Some(secret.expose()), None),
            _ => {
                return Err(Error::Internal(
                    "backend credentials are not resolved".into(),
                ));
            }
        },
        S3Auth::Oidc => match call.federated {
            Some(c) => (
                Some(c.access_key_id.as_str()),
                Some(c.secret_access_key.expose()),
                Some(c.session_token.as_str()),
            ),
            None => {
                return Err(Error::BackendUnavailable(
                    "the backend's temporary credentials are not available".into(),
                ));
            }
        },
    };
    if let (Some(access_key_id), Some(secret)) = (access_key_id, secret) {
        let sign: Vec<HeaderName> = headers
            .keys()
            .filter(|n| is_signed(n.as_str()))
            .cloned()
            .collect();
        let sign: Vec<&str> = sign.iter().map(HeaderName::as_str).collect();
        let creds = SigningCredentials {
            access_key_id,
            secret_access_key: secret,
            session_token,
        };
        sigv4::sign_request(
            out.method.as_str(),
            &path,
            &out.query,
            &mut headers,
            &sign,
            payload_hash,
            &creds,
            &s3.region,
            "s3",
            now,
        )?;
    }
    Ok(BackendRequest {
        kind: BackendKind::Http,
        operation,
        method: out.method.clone(),
        url,
        headers,
        s3: out,
    })
}

#[cfg(test)]
mod tests;
