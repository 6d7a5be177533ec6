//! Which R2 calls an S3 request becomes ([`plan`]). Everything S3 asks that R2 cannot do is
//! refused here, before R2 is touched, with `NotImplemented` naming the feature.

use std::collections::BTreeMap;

use base64::Engine as _;
use multistore_core::authz::CopySource;
use multistore_core::s3::{
    CopyObjectRequest, CreateMultipartUploadRequest, MetadataDirective, PutObjectRequest,
    S3Request, StorageClass,
};

use super::conditions::{RangeSpec, ReadConditions, WriteConditions, parse_range};
use super::error::{StoreError, StoreResult};
use super::listing::ListCall;
use super::object::{HttpMeta, Overrides, check_key, check_metadata};

/// S3's most parts in an upload.
pub const MAX_PARTS: i32 = 10_000;

/// The R2 calls that answer one S3 request.
#[derive(Clone, Debug, PartialEq)]
pub enum R2Call {
    /// HeadBucket: the binding exists.
    HeadBucket,
    List(ListCall),
    Get(ReadCall),
    Head(ReadCall),
    Put(WriteCall),
    Delete {
        key: String,
    },
    DeleteMany {
        keys: Vec<String>,
        quiet: bool,
    },
    /// `get(source)` streamed into `put(key)`.
    Copy {
        source: SourceRead,
        target: WriteCall,
        /// REPLACE: the target's metadata is `target`'s; COPY: the source's.
        replace_metadata: bool,
    },
    CreateMultipart {
        bucket: String,
        key: String,
        http: HttpMeta,
        custom: BTreeMap<String, String>,
    },
    UploadPart {
        key: String,
        upload_id: String,
        part_number: u16,
    },
    /// `get(source, range)` streamed into `uploadPart`.
    UploadPartCopy {
        key: String,
        upload_id: String,
        part_number: u16,
        source: SourceRead,
    },
    Complete {
        bucket: String,
        key: String,
        upload_id: String,
        /// `(part number, etag without quotes)`, as the client listed them.
        parts: Vec<(u16, String)>,
    },
    Abort {
        key: String,
        upload_id: String,
    },
}

/// GetObject or HeadObject.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadCall {
    pub key: String,
    pub range: Option<RangeSpec>,
    pub conditions: ReadConditions,
    pub overrides: Overrides,
}

/// The source of a copy (the same binding: the core sends a copy across bindings as a pipe).
#[derive(Clone, Debug, PartialEq)]
pub struct SourceRead {
    pub key: String,
    pub range: Option<RangeSpec>,
    /// `x-amz-copy-source-if-*`: any failure is 412 for a copy.
    pub conditions: ReadConditions,
}

/// A checksum R2 verifies on `put`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Digest {
    Md5(Vec<u8>),
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

/// PutObject, or the write of a copy.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteCall {
    pub key: String,
    pub http: HttpMeta,
    pub custom: BTreeMap<String, String>,
    pub digest: Option<Digest>,
    pub conditions: WriteConditions,
}

fn unsupported<T>(what: &str) -> StoreResult<T> {
    Err(super::error::unsupported(what))
}

/// Only the null version exists in R2 (no versioning).
fn check_version(version_id: Option<&String>) -> StoreResult<()> {
    match version_id.map(String::as_str) {
        None | Some("null") => Ok(()),
        Some(_) => Err(StoreError::invalid_argument("Invalid version id specified")),
    }
}

fn check_storage_class(class: Option<&StorageClass>) -> StoreResult<()> {
    match class {
        None | Some(StorageClass::Standard) => Ok(()),
        Some(other) => unsupported(&format!("Storage class {}", other.as_str())),
    }
}

fn check_sse_c(algorithm: Option<&String>) -> StoreResult<()> {
    match algorithm {
        None => Ok(()),
        Some(_) => unsupported("Server-side encryption with customer keys (SSE-C)"),
    }
}

fn part_number(n: i32) -> StoreResult<u16> {
    if (1..=MAX_PARTS).contains(&n) {
        u16::try_from(n).map_err(|_| StoreError::invalid_argument("Part number is out of range"))
    } else {
        Err(StoreError::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
        ))
    }
}

fn decode_digest(value: &str, len: usize, name: &str) -> StoreResult<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .filter(|d| d.len() == len)
        .ok_or_else(|| StoreError::invalid_digest(format!("The {name} you specified is not valid")))
}

/// The checksum R2 verifies for a write: Content-MD5 first, else a SHA-256 or SHA-1 one.
/// CRC checksums (`x-amz-checksum-crc32`, `-crc32c`, `-crc64nvme`) have no R2 counterpart.
fn write_digest(
    content_md5: Option<&String>,
    sha256: Option<&String>,
    sha1: Option<&String>,
) -> StoreResult<Option<Digest>> {
    if let Some(md5) = content_md5 {
        return Ok(Some(Digest::Md5(decode_digest(md5, 16, "Content-MD5")?)));
    }
    if let Some(sha256) = sha256 {
        return Ok(Some(Digest::Sha256(decode_digest(
            sha256,
            32,
            "x-amz-checksum-sha256",
        )?)));
    }
    if let Some(sha1) = sha1 {
        return Ok(Some(Digest::Sha1(decode_digest(
            sha1,
            20,
            "x-amz-checksum-sha1",
        )?)));
    }
    Ok(None)
}

fn copy_source(raw: &str) -> StoreResult<CopySource> {
    let source = CopySource::parse(raw).map_err(|e| StoreError::invalid_argument(e.to_string()))?;
    check_version(source.version_id.as_ref())?;
    check_key(&source.key)?;
    Ok(source)
}

fn write_of_put(r: PutObjectRequest) -> StoreResult<WriteCall> {
    check_key(&r.key)?;
    check_metadata(&r.metadata)?;
    check_storage_class(r.storage_class.as_ref())?;
    check_sse_c(r.sse_customer_algorithm.as_ref())?;
    if r.tagging.is_some() {
        return unsupported("Object tagging");
    }
    if r.object_lock_mode.is_some() || r.object_lock_legal_hold_status.is_some() {
        return unsupported("Object Lock");
    }
    if r.write_offset_bytes.is_some() {
        return unsupported("Appending (x-amz-write-offset-bytes)");
    }
    let conditions = WriteConditions {
        if_match: r.if_match.clone(),
        if_none_match: r.if_none_match.clone(),
    };
    conditions.check_syntax()?;
    Ok(WriteCall {
        digest: write_digest(
            r.content_md5.as_ref(),
            r.checksum_sha256.as_ref(),
            r.checksum_sha1.as_ref(),
        )?,
        http: HttpMeta::from_headers(
            r.content_type.as_ref(),
            r.content_language.as_ref(),
            r.content_disposition.as_ref(),
            r.content_encoding.as_ref(),
            r.cache_control.as_ref(),
            r.expires.as_ref(),
        ),
        custom: r.metadata,
        key: r.key,
        conditions,
    })
}

fn copy_call(r: CopyObjectRequest) -> StoreResult<R2Call> {
    check_key(&r.key)?;
    check_metadata(&r.metadata)?;
    check_storage_class(r.storage_class.as_ref())?;
    check_sse_c(r.sse_customer_algorithm.as_ref())?;
    check_sse_c(r.copy_source_sse_customer_algorithm.as_ref())?;
    if r.tagging.is_some() {
        return unsupported("Object tagging");
    }
    if r.object_lock_mode.is_some() || r.object_lock_legal_hold_status.is_some() {
        return unsupported("Object Lock");
    }
    let source = copy_source(&r.copy_source)?;
    let replace = match r.metadata_directive {
        None | Some(MetadataDirective::Copy) => false,
        Some(MetadataDirective::Replace) => true,
        Some(MetadataDirective::Unknown(v)) => {
            return Err(StoreError::invalid_argument(format!(
                "Unknown metadata directive {v}"
            )));
        }
    };
    if !replace && source.key == r.key {
        return Err(StoreError::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself \
             without changing the object's metadata, storage class, website redirect location \
             or encryption attributes.",
        ));
    }
    Ok(R2Call::Copy {
        source: SourceRead {
            key: source.key,
            range: None,
            conditions: ReadConditions {
                if_match: r.copy_source_if_match,
                if_none_match: r.copy_source_if_none_match,
                if_modified_since: r.copy_source_if_modified_since,
                if_unmodified_since: r.copy_source_if_unmodified_since,
            },
        },
        target: WriteCall {
            http: HttpMeta::from_headers(
                r.content_type.as_ref(),
                r.content_language.as_ref(),
                r.content_disposition.as_ref(),
                r.content_encoding.as_ref(),
                r.cache_control.as_ref(),
                r.expires.as_ref(),
            ),
            custom: r.metadata,
            key: r.key,
            digest: None,
            conditions: WriteConditions::default(),
        },
        replace_metadata: replace,
    })
}

fn create_multipart(r: CreateMultipartUploadRequest) -> StoreResult<R2Call> {
    check_key(&r.key)?;
    check_metadata(&r.metadata)?;
    check_storage_class(r.storage_class.as_ref())?;
    check_sse_c(r.sse_customer_algorithm.as_ref())?;
    if r.tagging.is_some() {
        return unsupported("Object tagging");
    }
    if r.object_lock_mode.is_some() || r.object_lock_legal_hold_status.is_some() {
        return unsupported("Object Lock");
    }
    Ok(R2Call::CreateMultipart {
        http: HttpMeta::from_headers(
            r.content_type.as_ref(),
            r.content_language.as_ref(),
            r.content_disposition.as_ref(),
            r.content_encoding.as_ref(),
            r.cache_control.as_ref(),
            r.expires.as_ref(),
        ),
        custom: r.metadata,
        bucket: r.bucket,
        key: r.key,
    })
}

macro_rules! read_call {
    ($r:expr) => {{
        let r = $r;
        check_key(&r.key)?;
        check_version(r.version_id.as_ref())?;
        check_sse_c(r.sse_customer_algorithm.as_ref())?;
        if r.part_number.is_some() {
            return unsupported("Reading one part (partNumber)");
        }
        ReadCall {
            range: r.range.as_deref().and_then(parse_range),
            conditions: ReadConditions {
                if_match: r.if_match,
                if_none_match: r.if_none_match,
                if_modified_since: r.if_modified_since,
                if_unmodified_since: r.if_unmodified_since,
            },
            overrides: Overrides {
                content_type: r.response_content_type,
                content_language: r.response_content_language,
                content_disposition: r.response_content_disposition,
                content_encoding: r.response_content_encoding,
                cache_control: r.response_cache_control,
                expires: r.response_expires.map(|t| {
                    multistore_core::codec::scalar::format_timestamp(
                        &t,
                        multistore_core::codec::scalar::TimestampFormat::HttpDate,
                    )
                }),
            },
            key: r.key,
        }
    }};
}

/// The R2 calls for a parsed S3 request.
///
/// # Errors
/// `NotImplemented` for what R2 cannot do (see the module docs of [`super`]), and the
/// validation errors S3 gives before touching storage.
pub fn plan(request: S3Request) -> StoreResult<R2Call> {
    Ok(match request {
        S3Request::HeadBucket(_) => R2Call::HeadBucket,
        S3Request::ListObjectsV2(r) => {
            if !r.optional_object_attributes.is_empty() {
                return unsupported("Optional object attributes in listings");
            }
            R2Call::List(ListCall::v2(&r)?)
        }
        S3Request::ListObjects(r) => R2Call::List(ListCall::v1(&r)?),
        S3Request::GetObject(r) => R2Call::Get(read_call!(r)),
        S3Request::HeadObject(r) => R2Call::Head(read_call!(r)),
        S3Request::PutObject(r) => R2Call::Put(write_of_put(r)?),
        S3Request::DeleteObject(r) => {
            check_key(&r.key)?;
            check_version(r.version_id.as_ref())?;
            if r.if_match.is_some()
                || r.if_match_last_modified_time.is_some()
                || r.if_match_size.is_some()
            {
                return unsupported("Conditional deletes");
            }
            R2Call::Delete { key: r.key }
        }
        S3Request::DeleteObjects(r) => {
            if r.delete.objects.is_empty() || r.delete.objects.len() > 1000 {
                return Err(StoreError::malformed_xml(
                    "The XML you provided was not well-formed or did not validate against our published schema",
                ));
            }
            let mut keys = Vec::with_capacity(r.delete.objects.len());
            for o in r.delete.objects {
                check_version(o.version_id.as_ref())?;
                if o.e_tag.is_some() || o.last_modified_time.is_some() || o.size.is_some() {
                    return unsupported("Conditional deletes");
                }
                keys.push(o.key);
            }
            R2Call::DeleteMany {
                keys,
                quiet: r.delete.quiet.unwrap_or(false),
            }
        }
        S3Request::CopyObject(r) => copy_call(r)?,
        S3Request::CreateMultipartUpload(r) => create_multipart(r)?,
        S3Request::UploadPart(r) => {
            check_key(&r.key)?;
            check_sse_c(r.sse_customer_algorithm.as_ref())?;
            R2Call::UploadPart {
                part_number: part_number(r.part_number)?,
                key: r.key,
                upload_id: r.upload_id,
            }
        }
        S3Request::UploadPartCopy(r) => {
            check_key(&r.key)?;
            check_sse_c(r.sse_customer_algorithm.as_ref())?;
            check_sse_c(r.copy_source_sse_customer_algorithm.as_ref())?;
            let source = copy_source(&r.copy_source)?;
            let range = match r.copy_source_range.as_deref() {
                None => None,
                Some(raw) => match parse_range(raw) {
                    Some(range @ RangeSpec::From { last: Some(_), .. }) => Some(range),
                    _ => {
                        return Err(StoreError::invalid_argument(
                            "The x-amz-copy-source-range value must be of the form bytes=first-last",
                        ));
                    }
                },
            };
            R2Call::UploadPartCopy {
                part_number: part_number(r.part_number)?,
                key: r.key,
                upload_id: r.upload_id,
                source: SourceRead {
                    key: source.key,
                    range,
                    conditions: ReadConditions {
                        if_match: r.copy_source_if_match,
                        if_none_match: r.copy_source_if_none_match,
                        if_modified_since: r.copy_source_if_modified_since,
                        if_unmodified_since: r.copy_source_if_unmodified_since,
                    },
                },
            }
        }
        S3Request::CompleteMultipartUpload(r) => {
            check_key(&r.key)?;
            if r.if_match.is_some() || r.if_none_match.is_some() {
                return unsupported("Conditional CompleteMultipartUpload");
            }
            let listed = r.multipart_upload.map(|m| m.parts).unwrap_or_default();
            if listed.is_empty() {
                return Err(StoreError::malformed_xml(
                    "You must specify at least one part",
                ));
            }
            let mut parts = Vec::with_capacity(listed.len());
            for p in listed {
                let (Some(n), Some(etag)) = (p.part_number, p.e_tag) else {
                    return Err(StoreError::malformed_xml(
                        "Each part needs a PartNumber and an ETag",
                    ));
                };
                let n = part_number(n)?;
                if parts.last().is_some_and(|(prev, _)| *prev >= n) {
                    return Err(StoreError::invalid_part_order(
                        "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
                    ));
                }
                parts.push((n, etag.trim_matches('"').to_owned()));
            }
            R2Call::Complete {
                bucket: r.bucket,
                key: r.key,
                upload_id: r.upload_id,
                parts,
            }
        }
        S3Request::AbortMultipartUpload(r) => {
            check_key(&r.key)?;
            if r.if_match_initiated_time.is_some() {
                return unsupported("Conditional AbortMultipartUpload");
            }
            R2Call::Abort {
                key: r.key,
                upload_id: r.upload_id,
            }
        }
        S3Request::ListParts(_) => return unsupported("ListParts"),
        S3Request::ListMultipartUploads(_) => return unsupported("ListMultipartUploads"),
        S3Request::ListObjectVersions(_) => return unsupported("ListObjectVersions"),
        S3Request::GetObjectAttributes(_) => return unsupported("GetObjectAttributes"),
        S3Request::GetObjectTagging(_)
        | S3Request::PutObjectTagging(_)
        | S3Request::DeleteObjectTagging(_) => return unsupported("Object tagging"),
        S3Request::GetBucketCors(_)
        | S3Request::PutBucketCors(_)
        | S3Request::DeleteBucketCors(_) => {
            return unsupported(
                "Bucket CORS configuration (configure `cors` in the gateway's bucket entry)",
            );
        }
        S3Request::CreateBucket(_) | S3Request::DeleteBucket(_) => {
            return unsupported("Creating or deleting buckets");
        }
        S3Request::ListBuckets(_) | S3Request::GetBucketLocation(_) => {
            return Err(StoreError::not_implemented(
                "This operation is answered by the gateway, not by a bucket's store",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use multistore_core::s3::{
        CompleteMultipartUploadRequest, CompletedMultipartUpload, CompletedPart, Delete,
        DeleteObjectsRequest, GetObjectRequest, ListPartsRequest, ObjectIdentifier,
        UploadPartCopyRequest, UploadPartRequest,
    };

    #[test]
    fn gets_carry_range_conditions_and_overrides() {
        let call = plan(S3Request::GetObject(GetObjectRequest {
            bucket: "b".into(),
            key: "k".into(),
            range: Some("bytes=1-2".into()),
            if_none_match: Some("\"e\"".into()),
            response_content_type: Some("text/csv".into()),
            ..GetObjectRequest::default()
        }))
        .unwrap();
        let R2Call::Get(read) = call else {
            panic!("{call:?}")
        };
        assert_eq!(
            read.range,
            Some(RangeSpec::From {
                first: 1,
                last: Some(2)
            })
        );
        assert_eq!(read.conditions.if_none_match.as_deref(), Some("\"e\""));
        assert_eq!(read.overrides.content_type.as_deref(), Some("text/csv"));
    }

    #[test]
    fn versions_parts_and_sse_c_are_refused() {
        let code = |r: GetObjectRequest| plan(S3Request::GetObject(r)).unwrap_err().code;
        let base = || GetObjectRequest {
            bucket: "b".into(),
            key: "k".into(),
            ..GetObjectRequest::default()
        };
        assert_eq!(
            code(GetObjectRequest {
                version_id: Some("v1".into()),
                ..base()
            }),
            "InvalidArgument"
        );
        assert_eq!(
            code(GetObjectRequest {
                part_number: Some(1),
                ..base()
            }),
            "NotImplemented"
        );
        assert_eq!(
            code(GetObjectRequest {
                sse_customer_algorithm: Some("AES256".into()),
                ..base()
            }),
            "NotImplemented"
        );
        assert!(
            plan(S3Request::GetObject(GetObjectRequest {
                version_id: Some("null".into()),
                ..base()
            }))
            .is_ok()
        );
    }

    #[test]
    fn puts_map_metadata_and_the_md5() {
        let put = PutObjectRequest {
            bucket: "b".into(),
            key: "k".into(),
            content_type: Some("text/plain".into()),
            cache_control: Some("no-cache".into()),
            content_md5: Some("1B2M2Y8AsgTpgAmY7PhCfg==".into()),
            if_none_match: Some("*".into()),
            metadata: BTreeMap::from([("a".to_owned(), "1".to_owned())]),
            ..PutObjectRequest::default()
        };
        let R2Call::Put(w) = plan(S3Request::PutObject(put)).unwrap() else {
            panic!("not a put")
        };
        assert_eq!(w.http.content_type.as_deref(), Some("text/plain"));
        assert_eq!(w.http.cache_control.as_deref(), Some("no-cache"));
        assert_eq!(w.custom["a"], "1");
        assert!(matches!(w.digest, Some(Digest::Md5(ref d)) if d.len() == 16));
        assert_eq!(w.conditions.if_none_match.as_deref(), Some("*"));
    }

    #[test]
    fn bad_digests_and_tags_are_refused() {
        let put = |f: fn(&mut PutObjectRequest)| {
            let mut r = PutObjectRequest {
                bucket: "b".into(),
                key: "k".into(),
                ..PutObjectRequest::default()
            };
            f(&mut r);
            plan(S3Request::PutObject(r))
                .map(|_| ())
                .map_err(|e| e.code)
        };
        assert_eq!(
            put(|r| r.content_md5 = Some("nope".into())),
            Err("InvalidDigest")
        );
        assert_eq!(
            put(|r| r.tagging = Some("a=b".into())),
            Err("NotImplemented")
        );
        assert_eq!(
            put(|r| r.if_none_match = Some("\"etag\"".into())),
            Err("NotImplemented")
        );
        assert_eq!(put(|r| r.checksum_crc32 = Some("AAAAAA==".into())), Ok(()));
    }

    #[test]
    fn copies_read_the_source_key_in_the_same_binding() {
        let r = CopyObjectRequest {
            bucket: "b".into(),
            key: "dst".into(),
            copy_source: "/b/pre%2Fsrc%20key".into(),
            copy_source_if_match: Some("\"e\"".into()),
            ..CopyObjectRequest::default()
        };
        let R2Call::Copy {
            source,
            target,
            replace_metadata,
        } = plan(S3Request::CopyObject(r)).unwrap()
        else {
            panic!("not a copy")
        };
        assert_eq!(source.key, "pre/src key");
        assert_eq!(source.conditions.if_match.as_deref(), Some("\"e\""));
        assert_eq!(target.key, "dst");
        assert!(!replace_metadata);
        let same = CopyObjectRequest {
            bucket: "b".into(),
            key: "k".into(),
            copy_source: "/b/k".into(),
            ..CopyObjectRequest::default()
        };
        assert_eq!(
            plan(S3Request::CopyObject(same)).unwrap_err().code,
            "InvalidRequest"
        );
    }

    #[test]
    fn multipart_calls_check_part_numbers_and_order() {
        let upload = |n| {
            plan(S3Request::UploadPart(UploadPartRequest {
                bucket: "b".into(),
                key: "k".into(),
                upload_id: "u".into(),
                part_number: n,
                ..UploadPartRequest::default()
            }))
        };
        assert!(matches!(
            upload(1),
            Ok(R2Call::UploadPart { part_number: 1, .. })
        ));
        assert_eq!(upload(0).unwrap_err().code, "InvalidArgument");
        assert_eq!(upload(10_001).unwrap_err().code, "InvalidArgument");

        let complete = |numbers: &[i32]| {
            plan(S3Request::CompleteMultipartUpload(
                CompleteMultipartUploadRequest {
                    bucket: "b".into(),
                    key: "k".into(),
                    upload_id: "u".into(),
                    multipart_upload: Some(CompletedMultipartUpload {
                        parts: numbers
                            .iter()
                            .map(|&n| CompletedPart {
                                part_number: Some(n),
                                e_tag: Some(format!("\"etag{n}\"")),
                                ..CompletedPart::default()
                            })
                            .collect(),
                    }),
                    ..CompleteMultipartUploadRequest::default()
                },
            ))
        };
        let Ok(R2Call::Complete { parts, .. }) = complete(&[1, 2]) else {
            panic!("not a complete")
        };
        assert_eq!(parts, [(1, "etag1".to_owned()), (2, "etag2".to_owned())]);
        assert_eq!(complete(&[2, 1]).unwrap_err().code, "InvalidPartOrder");
        assert_eq!(complete(&[]).unwrap_err().code, "MalformedXML");

        let copy = plan(S3Request::UploadPartCopy(UploadPartCopyRequest {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "u".into(),
            part_number: 3,
            copy_source: "/b/src".into(),
            copy_source_range: Some("bytes=0-9".into()),
            ..UploadPartCopyRequest::default()
        }))
        .unwrap();
        assert!(
            matches!(copy, R2Call::UploadPartCopy { part_number: 3, ref source, .. } if source.range.is_some())
        );
    }

    #[test]
    fn deletes_of_many_keys() {
        let r = DeleteObjectsRequest {
            bucket: "b".into(),
            delete: Delete {
                objects: vec![
                    ObjectIdentifier {
                        key: "a".into(),
                        ..ObjectIdentifier::default()
                    },
                    ObjectIdentifier {
                        key: "b".into(),
                        ..ObjectIdentifier::default()
                    },
                ],
                quiet: Some(true),
            },
            ..DeleteObjectsRequest::default()
        };
        assert_eq!(
            plan(S3Request::DeleteObjects(r)).unwrap(),
            R2Call::DeleteMany {
                keys: vec!["a".into(), "b".into()],
                quiet: true
            }
        );
    }

    #[test]
    fn what_r2_cannot_do_is_not_implemented() {
        let err = plan(S3Request::ListParts(ListPartsRequest::default())).unwrap_err();
        assert_eq!(err.code, "NotImplemented");
        assert_eq!(err.status, 501);
        assert!(err.message.contains("ListParts"), "{}", err.message);
    }
}
