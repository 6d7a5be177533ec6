//! Re-signing a recorded request for the replay credentials and the current time, changing
//! nothing else: SigV4 header auth (the `Authorization` value is edited in place), presigned
//! URLs (the `X-Amz-Date`, `X-Amz-Credential` and `X-Amz-Signature` query values are edited
//! in the raw query), and the `aws-chunked` signed chunk chain (every chunk and trailer
//! signature recomputed over the same chunk sizes).
//!
//! A recorded signature that the recorded secret does not reproduce was meant to be wrong (the
//! bad-signature scenarios): it is re-signed with a wrong secret, so it stays wrong.
//!
//! The canonicalization is written here from the SigV4 specification, independently of the
//! gateway's (`multistore_core::sigv4`), so that a shared misreading cannot hide: every
//! recorded SDK signature must verify here first.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::traffic::Message;

/// Everything but the SigV4 unreserved characters `A-Za-z0-9-._~`.
const SIGV4: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Why a request could not be re-signed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResignError {
    /// The Authorization header or presigned query is not SigV4 as expected.
    #[error("malformed SigV4 auth: {0}")]
    Malformed(String),
    /// The request names an access key the replay has no secret for.
    #[error("no secret for access key {0}")]
    UnknownKey(String),
    /// The recorded signature is wrong but the reference accepted it: the canonicalization here
    /// disagrees with the client's.
    #[error(
        "the recorded {0} signature does not verify with its secret, yet the reference accepted it"
    )]
    Unreproducible(&'static str),
    /// The aws-chunked body does not parse.
    #[error("malformed aws-chunked body: {0}")]
    Chunked(String),
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization: AWS4-HMAC-SHA256 …`.
    Header,
    /// `X-Amz-Signature` in the query.
    Presigned,
    /// No signature.
    Anonymous,
}

/// The parts of a SigV4 signature, as recorded.
#[derive(Debug, Clone)]
struct Auth {
    kind: AuthKind,
    key_id: String,
    date: String,
    region: String,
    service: String,
    signed_headers: Vec<String>,
    signature: String,
    amz_date: String,
}

impl Auth {
    fn scope(&self, date: &str) -> String {
        format!("{date}/{}/{}/aws4_request", self.region, self.service)
    }
}

/// What re-signing did, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resigned {
    /// The kind of auth.
    pub kind: AuthKind,
    /// Whether the recorded signature was valid (and the new one is too).
    pub valid: bool,
    /// Whether an aws-chunked signed chunk chain was re-signed.
    pub chunks: bool,
}

/// Whether a recorded request's signatures were valid, decided before anything in it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// The header or presigned signature verified with the key's secret.
    pub signature: bool,
    /// The signed chunk chain (if any) verified too.
    pub chunks: bool,
}

/// Checks the recorded signatures of `request`.
///
/// `secret_of` gives the secret of an access key id. `reference_status` is the status the
/// reference answered; a recorded signature that does not verify is only accepted as
/// deliberately wrong when the reference refused it (403), and so is an unknown key.
///
/// # Errors
/// See [`ResignError`].
pub fn check(
    request: &Message,
    secret_of: &dyn Fn(&str) -> Option<String>,
    reference_status: u16,
) -> Result<Validity, ResignError> {
    let Some(auth) = parse_auth(request)? else {
        return Ok(Validity {
            signature: true,
            chunks: true,
        });
    };
    let Some(secret) = secret_of(&auth.key_id) else {
        return if reference_status == 403 {
            Ok(Validity {
                signature: false,
                chunks: false,
            })
        } else {
            Err(ResignError::UnknownKey(auth.key_id))
        };
    };
    let valid = signature(request, &auth, &auth.amz_date, &secret)? == auth.signature;
    if !valid && reference_status != 403 {
        return Err(ResignError::Unreproducible(match auth.kind {
            AuthKind::Presigned => "presigned",
            _ => "header",
        }));
    }
    let chunks = if valid {
        check_chunks(request, &auth, &secret)?
    } else {
        false
    };
    if valid && !chunks && reference_status != 403 {
        return Err(ResignError::Unreproducible("chunk"));
    }
    Ok(Validity {
        signature: valid,
        chunks,
    })
}

/// Checks then re-signs a request that has not changed since it was recorded.
///
/// # Errors
/// See [`ResignError`].
pub fn resign_recorded(
    request: &mut Message,
    host: &str,
    amz_date: &str,
    secret_of: &dyn Fn(&str) -> Option<String>,
    reference_status: u16,
) -> Result<Resigned, ResignError> {
    let validity = check(request, secret_of, reference_status)?;
    resign(request, host, amz_date, secret_of, validity)
}

/// Re-signs `request` in place for `host` at `amz_date` (`YYYYMMDDTHHMMSSZ`), valid where the
/// recording was valid ([`check`]) and wrong where it was wrong.
///
/// # Errors
/// See [`ResignError`].
pub fn resign(
    request: &mut Message,
    host: &str,
    amz_date: &str,
    secret_of: &dyn Fn(&str) -> Option<String>,
    validity: Validity,
) -> Result<Resigned, ResignError> {
    let Some(auth) = parse_auth(request)? else {
        request.set_header("host", host);
        return Ok(Resigned {
            kind: AuthKind::Anonymous,
            valid: true,
            chunks: false,
        });
    };
    let secret = secret_of(&auth.key_id).unwrap_or_else(|| "unknown-key".to_owned());
    let valid = validity.signature;
    let chunk_valid = validity.chunks;
    let secret = if valid {
        secret
    } else {
        format!("{secret}-deliberately-wrong")
    };

    // New host and time, then the new signature.
    let date = &amz_date[..8];
    request.set_header("host", host);
    let mut fresh = auth.clone();
    fresh.amz_date = amz_date.to_owned();
    fresh.date = date.to_owned();
    match auth.kind {
        AuthKind::Header => {
            request.set_header("x-amz-date", amz_date);
            let sig = signature(request, &fresh, amz_date, &secret)?;
            let value = request.header("authorization").unwrap_or_default();
            let value = value
                .replace(
                    &format!("/{}/{}/", auth.date, auth.region),
                    &format!("/{date}/{}/", auth.region),
                )
                .replace(
                    &format!("Signature={}", auth.signature),
                    &format!("Signature={sig}"),
                );
            request.set_header("authorization", &value);
            let chunks = resign_chunks(request, &fresh, &sig, &secret, chunk_valid)?;
            Ok(Resigned {
                kind: AuthKind::Header,
                valid,
                chunks,
            })
        }
        AuthKind::Presigned => {
            edit_query(request, |name, value| match name {
                "X-Amz-Date" => Some(amz_date.to_owned()),
                "X-Amz-Credential" => Some(value.replacen(&auth.date, date, 1)),
                _ => None,
            });
            let sig = signature(request, &fresh, amz_date, &secret)?;
            edit_query(request, |name, _| {
                (name == "X-Amz-Signature").then(|| sig.clone())
            });
            Ok(Resigned {
                kind: AuthKind::Presigned,
                valid,
                chunks: false,
            })
        }
        AuthKind::Anonymous => unreachable_anonymous(),
    }
}

fn unreachable_anonymous() -> Result<Resigned, ResignError> {
    Err(ResignError::Malformed(
        "anonymous request with a signature".into(),
    ))
}

/// Splits the request target into the raw path and the raw query.
fn split_target(target: &str) -> (&str, &str) {
    target.split_once('?').unwrap_or((target, ""))
}

/// Decoded `(name, value)` pairs of a raw query string.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(n), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, SIGV4).to_string()
}

/// `text` percent-encoded as SigV4 does (everything but `A-Za-z0-9-._~`).
pub fn encode_value(text: &str) -> String {
    encode(text)
}

/// Rewrites query values in the raw target: `edit(name, decoded value)` returns the new decoded
/// value of a pair to change; every other byte of the target stays.
fn edit_query(request: &mut Message, edit: impl Fn(&str, &str) -> Option<String>) {
    let target = request.target().to_owned();
    let (path, query) = split_target(&target);
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            match edit(&decode(n), &decode(v)) {
                Some(new) => format!("{n}={}", encode(&new)),
                None => pair.to_owned(),
            }
        })
        .collect();
    request.set_target(&format!("{path}?{}", pairs.join("&")));
}

fn parse_auth(request: &Message) -> Result<Option<Auth>, ResignError> {
    let bad = |m: &str| ResignError::Malformed(m.to_owned());
    if let Some(value) = request.header("authorization") {
        let rest = value
            .strip_prefix(ALGORITHM)
            .ok_or_else(|| bad("not AWS4-HMAC-SHA256"))?;
        let mut credential = None;
        let mut signed = None;
        let mut signature = None;
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v.to_owned());
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = Some(v.to_owned());
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v.to_owned());
            }
        }
        let amz_date = request
            .header("x-amz-date")
            .ok_or_else(|| bad("no x-amz-date"))?;
        return build_auth(AuthKind::Header, credential, signed, signature, amz_date).map(Some);
    }
    let (_, query) = split_target(request.target());
    let pairs = query_pairs(query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let Some(signature) = get("X-Amz-Signature") else {
        return Ok(None);
    };
    let amz_date = get("X-Amz-Date").ok_or_else(|| bad("no X-Amz-Date"))?;
    build_auth(
        AuthKind::Presigned,
        get("X-Amz-Credential"),
        get("X-Amz-SignedHeaders"),
        Some(signature),
        &amz_date,
    )
    .map(Some)
}

fn build_auth(
    kind: AuthKind,
    credential: Option<String>,
    signed: Option<String>,
    signature: Option<String>,
    amz_date: &str,
) -> Result<Auth, ResignError> {
    let bad = |m: &str| ResignError::Malformed(m.to_owned());
    let credential = credential.ok_or_else(|| bad("no Credential"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, service, "aws4_request"] = parts[..] else {
        return Err(bad(
            "Credential is not key/date/region/service/aws4_request",
        ));
    };
    Ok(Auth {
        kind,
        key_id: key_id.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers: signed
            .ok_or_else(|| bad("no SignedHeaders"))?
            .split(';')
            .map(str::to_owned)
            .collect(),
        signature: signature.ok_or_else(|| bad("no Signature"))?,
        amz_date: amz_date.to_owned(),
    })
}

fn canonical_uri(path: &str) -> String {
    path.split('/')
        .map(|s| encode(&decode(s)))
        .collect::<Vec<_>>()
        .join("/")
}

fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(query)
        .into_iter()
        .filter(|(n, _)| !(presigned && n == "X-Amz-Signature"))
        .map(|(n, v)| (encode(&n), encode(&v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_value(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| {
            v.trim()
                .split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The signature of `request` as `auth` describes it, at `amz_date`, with `secret`.
fn signature(
    request: &Message,
    auth: &Auth,
    amz_date: &str,
    secret: &str,
) -> Result<String, ResignError> {
    let (path, query) = split_target(request.target());
    let mut creq = format!(
        "{}\n{}\n{}\n",
        request.method(),
        canonical_uri(path),
        canonical_query(query, auth.kind == AuthKind::Presigned)
    );
    for name in &auth.signed_headers {
        let values: Vec<&str> = request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            return Err(ResignError::Malformed(format!(
                "signed header {name} is missing"
            )));
        }
        creq.push_str(&format!("{name}:{}\n", canonical_value(&values)));
    }
    let payload = match auth.kind {
        AuthKind::Presigned => query_pairs(query)
            .into_iter()
            .find(|(n, _)| n == "X-Amz-Content-Sha256")
            .map_or_else(|| "UNSIGNED-PAYLOAD".to_owned(), |(_, v)| v),
        _ => request
            .header("x-amz-content-sha256")
            .unwrap_or(EMPTY_SHA256)
            .to_owned(),
    };
    creq.push_str(&format!("\n{}\n{payload}", auth.signed_headers.join(";")));
    let scope = auth.scope(&amz_date[..8]);
    let to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(creq.as_bytes())
    );
    Ok(hex::encode(hmac(
        &signing_key(secret, &amz_date[..8], &auth.region, &auth.service),
        to_sign.as_bytes(),
    )))
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// One frame of a signed aws-chunked body.
struct Chunk {
    /// Bytes of the size line before `;chunk-signature=`.
    size_text: String,
    data: std::ops::Range<usize>,
    signature: String,
}

/// The trailer lines of a signed aws-chunked body and their recorded signature.
type Trailer = (Vec<u8>, String);

/// The signed chunks of the body and the trailer, if any.
fn parse_chunks(body: &[u8]) -> Result<(Vec<Chunk>, Option<Trailer>), ResignError> {
    let bad = |m: &str| ResignError::Chunked(m.to_owned());
    let mut chunks = Vec::new();
    let mut at = 0;
    loop {
        let end =
            find(&body[at..], b"\r\n").ok_or_else(|| bad("no CRLF after a chunk header"))? + at;
        let line =
            std::str::from_utf8(&body[at..end]).map_err(|_| bad("chunk header is not text"))?;
        let (size_text, sig) = line
            .split_once(";chunk-signature=")
            .ok_or_else(|| bad("no chunk-signature"))?;
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
        let data = end + 2..end + 2 + size;
        if data.end > body.len() {
            return Err(bad("chunk longer than the body"));
        }
        chunks.push(Chunk {
            size_text: size_text.to_owned(),
            data: data.clone(),
            signature: sig.to_owned(),
        });
        at = data.end;
        if size == 0 {
            break;
        }
        at += 2;
    }
    // After the final chunk: either CRLF (no trailer) or trailer lines, then the trailer signature.
    let rest = &body[at..];
    let Some(tpos) = find(rest, b"x-amz-trailer-signature:") else {
        return Ok((chunks, None));
    };
    let trailers = rest[..tpos].to_vec();
    let sig_line = &rest[tpos + "x-amz-trailer-signature:".len()..];
    let sig_end = find(sig_line, b"\r\n").unwrap_or(sig_line.len());
    let sig = String::from_utf8_lossy(&sig_line[..sig_end])
        .trim()
        .to_owned();
    Ok((chunks, Some((trailers, sig))))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_signed_streaming(request: &Message) -> bool {
    request
        .header("x-amz-content-sha256")
        .is_some_and(|v| v.starts_with("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
}

/// The chain of chunk signatures (and the trailer's) from `seed`.
fn chain(
    body: &[u8],
    chunks: &[Chunk],
    trailer: Option<&[u8]>,
    auth: &Auth,
    seed: &str,
    key: &[u8; 32],
) -> (Vec<String>, Option<String>) {
    let scope = auth.scope(&auth.amz_date[..8]);
    let mut previous = seed.to_owned();
    let mut out = Vec::new();
    for chunk in chunks {
        let to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{}",
            auth.amz_date,
            sha256_hex(&body[chunk.data.clone()])
        );
        previous = hex::encode(hmac(key, to_sign.as_bytes()));
        out.push(previous.clone());
    }
    let trailer_sig = trailer.map(|t| {
        // The canonical trailer: `name:value\n` per trailing header, sorted.
        let text = String::from_utf8_lossy(t);
        let mut lines: Vec<String> = text
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(|l| {
                l.split_once(':').map_or_else(
                    || l.to_owned(),
                    |(n, v)| format!("{}:{}", n.trim(), v.trim()),
                )
            })
            .collect();
        lines.sort();
        let canonical: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{scope}\n{previous}\n{}",
            auth.amz_date,
            sha256_hex(canonical.as_bytes())
        );
        hex::encode(hmac(key, to_sign.as_bytes()))
    });
    (out, trailer_sig)
}

/// Whether the recorded chunk chain verifies (true when the body is not signed chunks).
fn check_chunks(request: &Message, auth: &Auth, secret: &str) -> Result<bool, ResignError> {
    if !is_signed_streaming(request) {
        return Ok(true);
    }
    let (chunks, trailer) = parse_chunks(&request.body)?;
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    let (sigs, trailer_sig) = chain(
        &request.body,
        &chunks,
        trailer.as_ref().map(|t| t.0.as_slice()),
        auth,
        &auth.signature,
        &key,
    );
    let chunks_ok = chunks.iter().zip(&sigs).all(|(c, s)| &c.signature == s);
    let trailer_ok = match (&trailer, &trailer_sig) {
        (Some((_, recorded)), Some(computed)) => recorded == computed,
        _ => true,
    };
    Ok(chunks_ok && trailer_ok)
}

/// Re-signs the chunk chain from the new seed signature, keeping every chunk size. With
/// `valid = false` (a deliberately broken chain) the chain is left as it was, which is wrong
/// for the new seed too.
fn resign_chunks(
    request: &mut Message,
    auth: &Auth,
    seed: &str,
    secret: &str,
    valid: bool,
) -> Result<bool, ResignError> {
    if !is_signed_streaming(request) {
        return Ok(false);
    }
    if !valid {
        return Ok(true);
    }
    let (chunks, trailer) = parse_chunks(&request.body)?;
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    let (sigs, trailer_sig) = chain(
        &request.body,
        &chunks,
        trailer.as_ref().map(|t| t.0.as_slice()),
        auth,
        seed,
        &key,
    );
    let mut body = Vec::with_capacity(request.body.len());
    for (chunk, sig) in chunks.iter().zip(&sigs) {
        body.extend_from_slice(format!("{};chunk-signature={sig}\r\n", chunk.size_text).as_bytes());
        body.extend_from_slice(&request.body[chunk.data.clone()]);
        if !chunk.data.is_empty() {
            body.extend_from_slice(b"\r\n");
        }
    }
    match (trailer, trailer_sig) {
        (Some((lines, _)), Some(sig)) => {
            body.extend_from_slice(&lines);
            body.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n\r\n").as_bytes());
        }
        _ => body.extend_from_slice(b"\r\n"),
    }
    request.body = body;
    Ok(true)
}

#[cfg(test)]
mod tests;
