//! Objects as R2 describes them ([`ObjectInfo`]) and the S3 answers built from them with the
//! generated output types' `to_http()`.

use std::collections::BTreeMap;

use http::StatusCode;
use multistore_core::codec::http::{BindingError, ResponseParts};
use multistore_core::codec::scalar::{
    DateTime, TimestampFormat, format_timestamp, parse_timestamp,
};
use multistore_core::s3::{
    CompleteMultipartUploadOutput, CopyObjectOutput, CopyObjectResult, CopyPartResult,
    CreateMultipartUploadOutput, GetObjectOutput, HeadObjectOutput, PutObjectOutput,
    UploadPartCopyOutput, UploadPartOutput,
};

use super::error::{StoreError, StoreResult};

/// The Content-Type S3 gives an object stored without one.
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// S3's cap on user metadata (names and values, in bytes).
pub const MAX_USER_METADATA: usize = 2048;

/// S3's longest key, in bytes (R2's too).
pub const MAX_KEY_LEN: usize = 1024;

/// The content headers R2 keeps with an object (`httpMetadata`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpMeta {
    pub content_type: Option<String>,
    pub content_language: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub cache_control: Option<String>,
    /// `Expires` (R2's `cacheExpiry`), in milliseconds since the epoch.
    pub expires_ms: Option<i64>,
}

impl HttpMeta {
    /// From a write's content headers; an `Expires` that is not an HTTP date is dropped.
    pub fn from_headers(
        content_type: Option<&String>,
        content_language: Option<&String>,
        content_disposition: Option<&String>,
        content_encoding: Option<&String>,
        cache_control: Option<&String>,
        expires: Option<&String>,
    ) -> Self {
        Self {
            content_type: content_type.cloned(),
            content_language: content_language.cloned(),
            content_disposition: content_disposition.cloned(),
            // `aws-chunked` describes the transfer, never the stored object.
            content_encoding: content_encoding
                .map(|e| {
                    e.split(',')
                        .map(str::trim)
                        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|e| !e.is_empty()),
            cache_control: cache_control.cloned(),
            expires_ms: expires
                .and_then(|e| parse_timestamp(e, TimestampFormat::HttpDate).ok())
                .and_then(|t| t.to_millis().ok()),
        }
    }

    fn expires(&self) -> Option<String> {
        self.expires_ms
            .map(|ms| format_timestamp(&DateTime::from_millis(ms), TimestampFormat::HttpDate))
    }
}

/// GetObject's `response-*` overrides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub content_type: Option<String>,
    pub content_language: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
}

/// An object's metadata, as an R2 `R2Object` carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// R2's `etag`, without quotes.
    pub etag: String,
    /// R2's `uploaded`, in milliseconds since the epoch.
    pub uploaded_ms: i64,
    pub http: HttpMeta,
    pub custom: BTreeMap<String, String>,
}

impl ObjectInfo {
    /// The S3 ETag: quoted.
    pub fn quoted_etag(&self) -> String {
        quote_etag(&self.etag)
    }

    /// Last-Modified, at whole seconds as S3 reports it.
    pub fn last_modified(&self) -> DateTime {
        DateTime::from_secs(self.uploaded_ms.div_euclid(1000))
    }
}

/// `"etag"` from an etag with or without quotes.
pub fn quote_etag(etag: &str) -> String {
    format!("\"{}\"", etag.trim_matches('"'))
}

/// Checks a key S3 (and R2) would accept.
///
/// # Errors
/// `InvalidArgument` for an empty key, `KeyTooLongError` past 1024 bytes.
pub fn check_key(key: &str) -> StoreResult<()> {
    if key.is_empty() {
        return Err(StoreError::invalid_argument(
            "The object key must not be empty",
        ));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(StoreError::key_too_long("Your key is too long"));
    }
    Ok(())
}

/// Validates the size of user metadata.
///
/// # Errors
/// `MetadataTooLarge` past S3's 2 KiB.
pub fn check_metadata(metadata: &BTreeMap<String, String>) -> StoreResult<()> {
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_METADATA {
        return Err(StoreError::metadata_too_large(format!(
            "Your metadata headers exceed the maximum allowed metadata size ({size} > {MAX_USER_METADATA} bytes)"
        )));
    }
    Ok(())
}

fn parts(result: Result<ResponseParts, BindingError>) -> StoreResult<ResponseParts> {
    result.map_err(|e| StoreError::internal(format!("cannot write the response: {e}")))
}

macro_rules! fill_read_output {
    ($out:expr, $info:expr, $range:expr, $o:expr) => {{
        let info: &ObjectInfo = $info;
        let o: &Overrides = $o;
        let pick = |over: &Option<String>, stored: &Option<String>| {
            over.clone().or_else(|| stored.clone())
        };
        let (start, len) = $range.unwrap_or((0, info.size));
        $out.accept_ranges = Some("bytes".to_owned());
        $out.last_modified = Some(info.last_modified());
        $out.content_length = Some(i64::try_from(len).unwrap_or(i64::MAX));
        $out.e_tag = Some(info.quoted_etag());
        $out.content_type = pick(&o.content_type, &info.http.content_type)
            .or(Some(DEFAULT_CONTENT_TYPE.to_owned()));
        $out.content_language = pick(&o.content_language, &info.http.content_language);
        $out.content_disposition = pick(&o.content_disposition, &info.http.content_disposition);
        $out.content_encoding = pick(&o.content_encoding, &info.http.content_encoding);
        $out.cache_control = pick(&o.cache_control, &info.http.cache_control);
        $out.expires = o.expires.clone().or_else(|| info.http.expires());
        $out.metadata = info.custom.clone();
        if $range.is_some() {
            $out.content_range = Some(format!(
                "bytes {}-{}/{}",
                start,
                (start + len).saturating_sub(1),
                info.size
            ));
        }
    }};
}

/// GetObject's answer head: 200, or 206 for a range (`(start, length)`).
///
/// # Errors
/// `InternalError` when a header cannot be written.
pub fn get_output(
    info: &ObjectInfo,
    range: Option<(u64, u64)>,
    overrides: &Overrides,
) -> StoreResult<ResponseParts> {
    let mut out = GetObjectOutput::default();
    fill_read_output!(out, info, range, overrides);
    let mut p = parts(out.to_http())?;
    if range.is_some() {
        p.status = StatusCode::PARTIAL_CONTENT;
    }
    Ok(p)
}

/// HeadObject's answer.
///
/// # Errors
/// `InternalError` when a header cannot be written.
pub fn head_output(
    info: &ObjectInfo,
    range: Option<(u64, u64)>,
    overrides: &Overrides,
) -> StoreResult<ResponseParts> {
    let mut out = HeadObjectOutput::default();
    fill_read_output!(out, info, range, overrides);
    let mut p = parts(out.to_http())?;
    if range.is_some() {
        p.status = StatusCode::PARTIAL_CONTENT;
    }
    Ok(p)
}

/// The 304 answer: no body, the validators only.
pub fn not_modified(info: &ObjectInfo) -> ResponseParts {
    let mut p = ResponseParts::new(304);
    if let Ok(v) = http::HeaderValue::from_str(&info.quoted_etag()) {
        p.headers.insert(http::header::ETAG, v);
    }
    let date = format_timestamp(&info.last_modified(), TimestampFormat::HttpDate);
    if let Ok(v) = http::HeaderValue::from_str(&date) {
        p.headers.insert(http::header::LAST_MODIFIED, v);
    }
    p
}

/// PutObject's answer.
///
/// # Errors
/// `InternalError` when a header cannot be written.
pub fn put_output(info: &ObjectInfo) -> StoreResult<ResponseParts> {
    parts(
        PutObjectOutput {
            e_tag: Some(info.quoted_etag()),
            ..PutObjectOutput::default()
        }
        .to_http(),
    )
}

/// CopyObject's answer.
///
/// # Errors
/// `InternalError` when the document cannot be written.
pub fn copy_output(info: &ObjectInfo) -> StoreResult<ResponseParts> {
    parts(
        CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(info.quoted_etag()),
                last_modified: Some(info.last_modified()),
                ..CopyObjectResult::default()
            }),
            ..CopyObjectOutput::default()
        }
        .to_http(),
    )
}

/// CreateMultipartUpload's answer.
///
/// # Errors
/// `InternalError` when the document cannot be written.
pub fn create_multipart_output(
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> StoreResult<ResponseParts> {
    parts(
        CreateMultipartUploadOutput {
            bucket: Some(bucket.to_owned()),
            key: Some(key.to_owned()),
            upload_id: Some(upload_id.to_owned()),
            ..CreateMultipartUploadOutput::default()
        }
        .to_http(),
    )
}

/// UploadPart's answer.
///
/// # Errors
/// `InternalError` when a header cannot be written.
pub fn upload_part_output(etag: &str) -> StoreResult<ResponseParts> {
    parts(
        UploadPartOutput {
            e_tag: Some(quote_etag(etag)),
            ..UploadPartOutput::default()
        }
        .to_http(),
    )
}

/// UploadPartCopy's answer.
///
/// # Errors
/// `InternalError` when the document cannot be written.
pub fn upload_part_copy_output(etag: &str, now: DateTime) -> StoreResult<ResponseParts> {
    parts(
        UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(quote_etag(etag)),
                last_modified: Some(now),
                ..CopyPartResult::default()
            }),
            ..UploadPartCopyOutput::default()
        }
        .to_http(),
    )
}

/// CompleteMultipartUpload's answer.
///
/// # Errors
/// `InternalError` when the document cannot be written.
pub fn complete_output(bucket: &str, info: &ObjectInfo) -> StoreResult<ResponseParts> {
    parts(
        CompleteMultipartUploadOutput {
            bucket: Some(bucket.to_owned()),
            key: Some(info.key.clone()),
            e_tag: Some(info.quoted_etag()),
            ..CompleteMultipartUploadOutput::default()
        }
        .to_http(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use multistore_core::s3::{S3Operation, S3Response};

    fn info() -> ObjectInfo {
        ObjectInfo {
            key: "dir/a.txt".into(),
            size: 10,
            etag: "0123abcd".into(),
            uploaded_ms: 1_700_000_000_123,
            http: HttpMeta {
                content_type: Some("text/plain".into()),
                ..HttpMeta::default()
            },
            custom: BTreeMap::from([("color".to_owned(), "blue".to_owned())]),
        }
    }

    #[test]
    fn get_answers_carry_s3_headers() {
        let p = get_output(&info(), None, &Overrides::default()).unwrap();
        assert_eq!(p.status, StatusCode::OK);
        assert_eq!(p.headers["etag"], "\"0123abcd\"");
        assert_eq!(p.headers["content-length"], "10");
        assert_eq!(p.headers["content-type"], "text/plain");
        assert_eq!(p.headers["x-amz-meta-color"], "blue");
        assert_eq!(p.headers["last-modified"], "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(p.headers["accept-ranges"], "bytes");
    }

    #[test]
    fn ranges_answer_206_with_content_range() {
        let p = get_output(&info(), Some((2, 3)), &Overrides::default()).unwrap();
        assert_eq!(p.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(p.headers["content-range"], "bytes 2-4/10");
        assert_eq!(p.headers["content-length"], "3");
    }

    #[test]
    fn overrides_win_and_a_missing_type_gets_s3s_default() {
        let mut i = info();
        i.http.content_type = None;
        let p = head_output(&i, None, &Overrides::default()).unwrap();
        assert_eq!(p.headers["content-type"], DEFAULT_CONTENT_TYPE);
        let o = Overrides {
            content_type: Some("image/png".into()),
            content_disposition: Some("attachment".into()),
            ..Overrides::default()
        };
        let p = get_output(&i, None, &o).unwrap();
        assert_eq!(p.headers["content-type"], "image/png");
        assert_eq!(p.headers["content-disposition"], "attachment");
    }

    #[test]
    fn http_metadata_drops_aws_chunked_and_parses_expires() {
        let m = HttpMeta::from_headers(
            None,
            None,
            None,
            Some(&"aws-chunked,gzip".to_owned()),
            None,
            Some(&"Thu, 01 Jan 1970 00:00:10 GMT".to_owned()),
        );
        assert_eq!(m.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(m.expires_ms, Some(10_000));
        let m = HttpMeta::from_headers(
            None,
            None,
            None,
            Some(&"aws-chunked".to_owned()),
            None,
            None,
        );
        assert_eq!(m.content_encoding, None);
    }

    #[test]
    fn xml_answers_read_back_as_s3_responses() {
        let p = complete_output("b", &info()).unwrap();
        let parsed = S3Response::from_http(
            S3Operation::CompleteMultipartUpload,
            &p.headers,
            p.body.as_deref(),
        )
        .unwrap();
        let S3Response::CompleteMultipartUpload(out) = parsed else {
            panic!("wrong response")
        };
        assert_eq!(out.e_tag.as_deref(), Some("\"0123abcd\""));
        assert_eq!(out.key.as_deref(), Some("dir/a.txt"));
        let p = create_multipart_output("b", "k", "up-1").unwrap();
        let body = String::from_utf8(p.body.unwrap().to_vec()).unwrap();
        assert!(body.contains("<UploadId>up-1</UploadId>"), "{body}");
        let p = copy_output(&info()).unwrap();
        let body = String::from_utf8(p.body.unwrap().to_vec()).unwrap();
        assert!(
            body.contains("<ETag>&quot;0123abcd&quot;</ETag>")
                || body.contains("<ETag>\"0123abcd\"</ETag>"),
            "{body}"
        );
    }

    #[test]
    fn keys_and_metadata_are_checked() {
        assert_eq!(check_key("").unwrap_err().code, "InvalidArgument");
        assert_eq!(
            check_key(&"k".repeat(1025)).unwrap_err().code,
            "KeyTooLongError"
        );
        assert!(check_key("a/b").is_ok());
        let big = BTreeMap::from([("k".to_owned(), "v".repeat(3000))]);
        assert_eq!(check_metadata(&big).unwrap_err().code, "MetadataTooLarge");
    }

    #[test]
    fn not_modified_has_only_validators() {
        let p = not_modified(&info());
        assert_eq!(p.status, StatusCode::NOT_MODIFIED);
        assert_eq!(p.headers.len(), 2);
    }
}
