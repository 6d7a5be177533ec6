//! The `x-amz-copy-source` header of CopyObject and UploadPartCopy: URL-encoded
//! `[/]bucket/key[?versionId=…]`.
//!
//! The query is split off at the first literal `?` before decoding, so an encoded `%3F` stays
//! part of the key. The rest is percent-decoded strictly (a malformed escape is an error, `+` is
//! a literal plus) and split at the first `/`: bucket names have no `/`, so a client that encodes
//! the separator as `%2F` is read correctly too. Access-point ARNs are not supported.

use crate::codec::path::decode_component;
use crate::s3::S3ErrorCode;

/// The object a copy reads from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

/// Why a copy source cannot be read. Every case is the S3 error `InvalidArgument`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CopySourceError {
    #[error("the copy source is empty")]
    Empty,
    #[error("the copy source names no bucket")]
    MissingBucket,
    #[error("the copy source names no key; expected bucket/key")]
    MissingKey,
    #[error("the copy source has a malformed percent-escape or is not UTF-8 after decoding")]
    BadEncoding,
    #[error("the copy source has an unsupported query parameter `{0}`; only versionId is allowed")]
    UnsupportedParameter(String),
    #[error("the copy source has an empty versionId")]
    EmptyVersionId,
    #[error("access-point ARNs are not supported as a copy source")]
    AccessPointArn,
}

impl CopySourceError {
    /// The S3 error code to answer with.
    pub fn s3_error_code(&self) -> S3ErrorCode {
        crate::error::copy_source_code(self)
    }
}

impl CopySource {
    /// Parses the raw header value.
    pub fn parse(raw: &str) -> Result<Self, CopySourceError> {
        if raw.is_empty() {
            return Err(CopySourceError::Empty);
        }
        let (path, query) = match raw.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (raw, None),
        };
        let decoded = decode_component(path).map_err(|_| CopySourceError::BadEncoding)?;
        let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
        if decoded.starts_with("arn:") {
            return Err(CopySourceError::AccessPointArn);
        }
        let (bucket, key) = decoded.split_once('/').ok_or(if decoded.is_empty() {
            CopySourceError::MissingBucket
        } else {
            CopySourceError::MissingKey
        })?;
        if bucket.is_empty() {
            return Err(CopySourceError::MissingBucket);
        }
        if key.is_empty() {
            return Err(CopySourceError::MissingKey);
        }
        let version_id = query.map(parse_query).transpose()?;
        Ok(CopySource {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id,
        })
    }
}

impl std::str::FromStr for CopySource {
    type Err = CopySourceError;
    fn from_str(s: &str) -> Result<Self, CopySourceError> {
        Self::parse(s)
    }
}

/// The query may hold exactly one parameter, `versionId`.
fn parse_query(query: &str) -> Result<String, CopySourceError> {
    let (name, value) = query.split_once('=').unwrap_or((query, ""));
    if name != "versionId" || value.contains('&') {
        let shown = query.split('&').find(|p| !p.starts_with("versionId="));
        let shown = shown.unwrap_or(query).split('=').next().unwrap_or_default();
        return Err(CopySourceError::UnsupportedParameter(shown.to_owned()));
    }
    let value = decode_component(value).map_err(|_| CopySourceError::BadEncoding)?;
    if value.is_empty() {
        return Err(CopySourceError::EmptyVersionId);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, bucket: &str, key: &str, version: Option<&str>) {
        assert_eq!(
            CopySource::parse(raw),
            Ok(CopySource {
                bucket: bucket.into(),
                key: key.into(),
                version_id: version.map(Into::into),
            }),
            "{raw}"
        );
    }

    #[test]
    fn accepted_forms() {
        ok("b/k", "b", "k", None);
        ok("/b/k", "b", "k", None);
        ok("/b/dir/a%20b+c", "b", "dir/a b+c", None);
        ok("b%2Fdir%2Fk", "b", "dir/k", None);
        ok("b/what%3Fnot", "b", "what?not", None);
        ok("b/k?versionId=3%2Fx", "b", "k", Some("3/x"));
        ok("b/k/", "b", "k/", None);
        ok("b/%E2%82%AC", "b", "€", None);
    }

    #[test]
    fn rejected_forms() {
        let cases = [
            ("", CopySourceError::Empty),
            ("/", CopySourceError::MissingBucket),
            ("//k", CopySourceError::MissingBucket),
            ("b", CopySourceError::MissingKey),
            ("b/", CopySourceError::MissingKey),
            ("b/k%zz", CopySourceError::BadEncoding),
            ("b/%FF", CopySourceError::BadEncoding),
            ("b/k?versionId=", CopySourceError::EmptyVersionId),
            (
                "b/k?foo=1",
                CopySourceError::UnsupportedParameter("foo".into()),
            ),
            (
                "b/k?versionId=1&x=2",
                CopySourceError::UnsupportedParameter("x".into()),
            ),
            (
                "arn:aws:s3:us-west-2:123:accesspoint/ap/object/k",
                CopySourceError::AccessPointArn,
            ),
        ];
        for (raw, err) in cases {
            assert_eq!(CopySource::parse(raw), Err(err.clone()), "{raw}");
            assert_eq!(err.s3_error_code(), S3ErrorCode::InvalidArgument);
        }
    }
}
