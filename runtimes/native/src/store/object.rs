//! PutObject, GetObject, HeadObject, DeleteObject and DeleteObjects.
//!
//! A PUT streams its body into a staged blob while MD5 (the ETag) and the checksum are
//! computed, verifies `Content-MD5` and `x-amz-checksum-*`, then takes the key's lock,
//! re-checks the write preconditions and commits: the check and the commit are one step, so
//! of N racing `If-None-Match: *` writers exactly one wins. Objects written without a checksum
//! get a CRC64NVME one, as S3 does.

use http::StatusCode;
use multistore_core::codec::scalar::{DateTime, TimestampFormat, format_timestamp};
use multistore_core::s3::{
    ChecksumMode, DeleteObjectOutput, DeleteObjectRequest, DeleteObjectsOutput,
    DeleteObjectsRequest, DeletedObject, Error as DeleteError, GetObjectOutput, GetObjectRequest,
    HeadObjectOutput, HeadObjectRequest, PutObjectOutput, PutObjectRequest, StorageClass,
};

use super::backend::Backend;
use super::checksum::{
    Algorithm, BodyDigests, ChecksumFields, Kind, Stored, parse_content_md5, set_checksum_fields,
    verify,
};
use super::conditions::{ReadConditions, Verdict, check_write, parse_range};
use super::engine::{
    Engine, MAX_SINGLE_WRITE, check_key, check_metadata, check_version, io_err, parse_tagging,
    respond, storage_class,
};
use super::error::{StoreError, StoreResult};
use super::meta::{ContentHeaders, ObjectMeta, now_ms};
use super::{BodyStream, StoreBody, StoreResponse};

/// The Content-Type S3 gives an object stored without one.
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// The fields GetObject and HeadObject share, read from either request.
struct ReadRequest<'a> {
    key: &'a str,
    version_id: Option<&'a String>,
    conditions: ReadConditions<'a>,
    range: Option<&'a str>,
    part_number: Option<i32>,
    checksum_mode: bool,
    overrides: ContentHeaders,
}

/// What a read resolved to: the object, and the slice of it to send.
struct Resolved {
    meta: ObjectMeta,
    start: u64,
    len: u64,
    /// 206 with this Content-Range.
    partial: bool,
    /// The checksum to report (whole object or the part read), when asked for.
    checksum: Option<Stored>,
    parts_count: Option<i32>,
}

macro_rules! read_request {
    ($r:expr) => {
        ReadRequest {
            key: &$r.key,
            version_id: $r.version_id.as_ref(),
            conditions: ReadConditions {
                if_match: $r.if_match.as_deref(),
                if_none_match: $r.if_none_match.as_deref(),
                if_modified_since: $r.if_modified_since.as_ref(),
                if_unmodified_since: $r.if_unmodified_since.as_ref(),
            },
            range: $r.range.as_deref(),
            part_number: $r.part_number,
            checksum_mode: $r.checksum_mode == Some(ChecksumMode::Enabled),
            overrides: ContentHeaders {
                content_type: $r.response_content_type.clone(),
                content_encoding: $r.response_content_encoding.clone(),
                content_disposition: $r.response_content_disposition.clone(),
                content_language: $r.response_content_language.clone(),
                cache_control: $r.response_cache_control.clone(),
                expires: $r.response_expires.as_ref().map(http_date),
                website_redirect_location: None,
            },
        }
    };
}

/// Fills the headers GetObject and HeadObject share.
macro_rules! fill_read_output {
    ($out:expr, $res:expr, $overrides:expr) => {{
        let meta = &$res.meta;
        let o = &$overrides;
        $out.accept_ranges = Some("bytes".to_owned());
        $out.last_modified = Some(meta.last_modified());
        $out.content_length = Some(i64::try_from($res.len).unwrap_or(i64::MAX));
        $out.e_tag = Some(meta.etag.clone());
        $out.content_type = o
            .content_type
            .clone()
            .or_else(|| meta.headers.content_type.clone())
            .or(Some(DEFAULT_CONTENT_TYPE.into()));
        $out.content_encoding = o
            .content_encoding
            .clone()
            .or_else(|| meta.headers.content_encoding.clone());
        $out.content_disposition = o
            .content_disposition
            .clone()
            .or_else(|| meta.headers.content_disposition.clone());
        $out.content_language = o
            .content_language
            .clone()
            .or_else(|| meta.headers.content_language.clone());
        $out.cache_control = o
            .cache_control
            .clone()
            .or_else(|| meta.headers.cache_control.clone());
        $out.expires = o.expires.clone().or_else(|| meta.headers.expires.clone());
        $out.website_redirect_location = meta.headers.website_redirect_location.clone();
        $out.metadata = meta.metadata.clone();
        $out.storage_class = meta.storage_class.as_deref().map(StorageClass::from_wire);
        $out.parts_count = $res.parts_count;
        if $res.partial {
            $out.content_range = Some(format!(
                "bytes {}-{}/{}",
                $res.start,
                ($res.start + $res.len).saturating_sub(1),
                meta.size
            ));
        }
        set_checksum_fields!($out, $res.checksum.as_ref());
        $out.checksum_type = $res.checksum.as_ref().map(|c| c.kind.to_dto());
    }};
}

fn http_date(t: &DateTime) -> String {
    format_timestamp(t, TimestampFormat::HttpDate)
}

/// The 304 answer: no body, the validators only.
fn not_modified(meta: &ObjectMeta) -> StoreResponse {
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_str(&meta.etag) {
        headers.insert(http::header::ETAG, v);
    }
    if let Ok(v) = http::HeaderValue::from_str(&http_date(&meta.last_modified())) {
        headers.insert(http::header::LAST_MODIFIED, v);
    }
    StoreResponse {
        status: StatusCode::NOT_MODIFIED,
        headers,
        body: StoreBody::Empty,
    }
}

fn precondition_failed() -> StoreError {
    StoreError::precondition_failed("At least one of the pre-conditions you specified did not hold")
}

/// Decides what a read returns, or the error (`Ok(Err(response))` is a 304).
fn resolve(meta: ObjectMeta, r: &ReadRequest<'_>) -> StoreResult<Result<Resolved, StoreResponse>> {
    match super::conditions::evaluate_read(r.conditions, &meta.etag, meta.last_modified_ms) {
        Verdict::Proceed => {}
        Verdict::NotModified => return Ok(Err(not_modified(&meta))),
        Verdict::PreconditionFailed => return Err(precondition_failed()),
    }
    let whole = |meta: ObjectMeta, checksum_mode: bool| {
        let checksum = if checksum_mode {
            meta.checksum.clone()
        } else {
            None
        };
        Resolved {
            len: meta.size,
            start: 0,
            partial: false,
            checksum,
            parts_count: None,
            meta,
        }
    };
    if let Some(n) = r.part_number {
        if r.range.is_some() {
            return Err(StoreError::invalid_request(
                "Cannot specify both Range header and partNumber query parameter",
            ));
        }
        if !(1..=10_000).contains(&n) {
            return Err(StoreError::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            ));
        }
        let index = usize::try_from(n).unwrap_or(0);
        let (start, len) = meta.part_range(index).ok_or_else(|| {
            StoreError::invalid_part_number("The requested partnumber is not satisfiable")
        })?;
        let multipart = !meta.parts.is_empty();
        let checksum = if !r.checksum_mode {
            None
        } else if multipart {
            meta.parts[index - 1].checksum.clone()
        } else {
            meta.checksum.clone()
        };
        let parts_count = multipart.then(|| i32::try_from(meta.parts.len()).unwrap_or(i32::MAX));
        return Ok(Ok(Resolved {
            meta,
            start,
            len,
            partial: true,
            checksum,
            parts_count,
        }));
    }
    let Some(spec) = r.range.and_then(parse_range) else {
        return Ok(Ok(whole(meta, r.checksum_mode)));
    };
    let (start, len) = spec.resolve(meta.size)?;
    // A ranged read reports no checksum: it would not cover the bytes sent.
    Ok(Ok(Resolved {
        meta,
        start,
        len,
        partial: true,
        checksum: None,
        parts_count: None,
    }))
}

impl<B: Backend> Engine<B> {
    /// Checks a write's `If-Match` / `If-None-Match` against the object stored under `key`
    /// (read only when there is a condition).
    pub(super) async fn check_write_conditions(
        &self,
        key: &str,
        if_match: Option<&str>,
        if_none_match: Option<&str>,
    ) -> StoreResult<()> {
        if if_match.is_none() && if_none_match.is_none() {
            return Ok(());
        }
        let current = self
            .backend
            .object_meta(key)
            .await
            .map_err(io_err("cannot read the object"))?;
        check_write(
            if_match,
            if_none_match,
            current.as_ref().map(|m| m.etag.as_str()),
        )
    }

    pub(super) async fn get_object(&self, r: GetObjectRequest) -> StoreResult<StoreResponse> {
        let req = read_request!(r);
        check_key(req.key)?;
        check_version(req.version_id)?;
        let (meta, blob) = self
            .backend
            .open_object(req.key)
            .await
            .map_err(io_err("cannot open the object"))?
            .ok_or_else(|| StoreError::no_such_key("The specified key does not exist."))?;
        let res = match resolve(meta, &req)? {
            Ok(res) => res,
            Err(not_modified) => return Ok(not_modified),
        };
        let mut out = GetObjectOutput::default();
        fill_read_output!(out, res, req.overrides);
        out.tag_count =
            (!res.meta.tags.is_empty()).then(|| i32::try_from(res.meta.tags.len()).unwrap_or(0));
        let body = if res.len == 0 {
            StoreBody::Empty
        } else {
            StoreBody::Stream(
                blob.stream(res.start, res.len)
                    .await
                    .map_err(io_err("cannot read the object"))?,
            )
        };
        let mut response = respond(out.to_http(), body)?;
        if res.partial {
            response.status = StatusCode::PARTIAL_CONTENT;
        }
        Ok(response)
    }

    pub(super) async fn head_object(&self, r: HeadObjectRequest) -> StoreResult<StoreResponse> {
        let req = read_request!(r);
        check_key(req.key)?;
        check_version(req.version_id)?;
        let meta = self
            .backend
            .object_meta(req.key)
            .await
            .map_err(io_err("cannot read the object"))?
            .ok_or_else(|| StoreError::no_such_key("The specified key does not exist."))?;
        let res = match resolve(meta, &req)? {
            Ok(res) => res,
            Err(not_modified) => return Ok(not_modified),
        };
        let mut out = HeadObjectOutput::default();
        fill_read_output!(out, res, req.overrides);
        let mut response = respond(out.to_http(), StoreBody::Empty)?;
        if res.partial {
            response.status = StatusCode::PARTIAL_CONTENT;
        }
        Ok(response)
    }

    pub(super) async fn put_object(
        &self,
        r: PutObjectRequest,
        body: BodyStream,
    ) -> StoreResult<StoreResponse> {
        check_key(&r.key)?;
        if r.write_offset_bytes.is_some() {
            return Err(StoreError::not_implemented(
                "Appending to objects (x-amz-write-offset-bytes) is not supported",
            ));
        }
        let fields = ChecksumFields {
            algorithm: r.checksum_algorithm.as_ref(),
            values: [
                r.checksum_crc32.as_ref(),
                r.checksum_crc32c.as_ref(),
                r.checksum_crc64nvme.as_ref(),
                r.checksum_sha1.as_ref(),
                r.checksum_sha256.as_ref(),
            ],
        };
        let requested = fields.parse()?;
        let content_md5 = parse_content_md5(r.content_md5.as_ref())?;
        let class = storage_class(r.storage_class.as_ref())?;
        let tags = parse_tagging(r.tagging.as_ref())?;
        check_metadata(&r.metadata)?;
        if let Some(len) = r.content_length
            && u64::try_from(len).map_or(true, |l| l > MAX_SINGLE_WRITE)
        {
            return Err(StoreError::entity_too_large(
                "Your proposed upload exceeds the maximum allowed size of 5368709120 bytes",
            ));
        }
        // Fail fast, before the body is read; checked again at commit.
        self.check_write_conditions(&r.key, r.if_match.as_deref(), r.if_none_match.as_deref())
            .await?;
        let algorithm = requested
            .as_ref()
            .map_or(Algorithm::Crc64Nvme, |q| q.algorithm);
        let (staged, digests) = self
            .receive(
                body,
                BodyDigests::new(Some(algorithm)),
                r.content_length,
                MAX_SINGLE_WRITE,
            )
            .await?;
        verify(&digests, content_md5, requested.as_ref())?;
        let checksum = digests.checksum.clone().map(|(algorithm, value)| Stored {
            algorithm,
            value,
            kind: Kind::FullObject,
        });
        let meta = ObjectMeta {
            size: digests.size,
            etag: digests.etag(),
            last_modified_ms: now_ms(),
            headers: ContentHeaders {
                content_type: r
                    .content_type
                    .clone()
                    .or_else(|| Some(DEFAULT_CONTENT_TYPE.into())),
                content_encoding: r.content_encoding.clone(),
                content_disposition: r.content_disposition.clone(),
                content_language: r.content_language.clone(),
                cache_control: r.cache_control.clone(),
                expires: r.expires.clone(),
                website_redirect_location: r.website_redirect_location.clone(),
            },
            storage_class: class,
            metadata: r.metadata.clone(),
            tags,
            checksum: checksum.clone(),
            parts: Vec::new(),
        };
        self.commit_checked(
            &r.key,
            staged,
            meta,
            r.if_match.as_deref(),
            r.if_none_match.as_deref(),
        )
        .await?;
        let mut out = PutObjectOutput {
            e_tag: Some(digests.etag()),
            ..PutObjectOutput::default()
        };
        set_checksum_fields!(out, checksum.as_ref());
        out.checksum_type = checksum.as_ref().map(|c| c.kind.to_dto());
        respond(out.to_http(), StoreBody::Empty)
    }

    /// Commits an object under its key's lock, after checking the write preconditions
    /// against what is there at that moment.
    pub(super) async fn commit_checked(
        &self,
        key: &str,
        staged: super::blob::Staged,
        meta: ObjectMeta,
        if_match: Option<&str>,
        if_none_match: Option<&str>,
    ) -> StoreResult<()> {
        let _guard = self.lock(key).await;
        self.check_write_conditions(key, if_match, if_none_match)
            .await?;
        self.backend
            .commit_object(key, staged, meta)
            .await
            .map_err(io_err("cannot commit the object"))
    }

    pub(super) async fn delete_object(
        &self,
        r: &DeleteObjectRequest,
    ) -> StoreResult<StoreResponse> {
        check_key(&r.key)?;
        check_version(r.version_id.as_ref())?;
        self.delete_one(
            &r.key,
            r.if_match.as_deref(),
            r.if_match_size,
            r.if_match_last_modified_time.as_ref(),
        )
        .await?;
        respond(DeleteObjectOutput::default().to_http(), StoreBody::Empty)
    }

    /// Deletes one key (absent is success), honouring the conditional-delete headers.
    async fn delete_one(
        &self,
        key: &str,
        if_match: Option<&str>,
        if_match_size: Option<i64>,
        if_match_time: Option<&DateTime>,
    ) -> StoreResult<()> {
        let _guard = self.lock(key).await;
        if if_match.is_some() || if_match_size.is_some() || if_match_time.is_some() {
            let current = self
                .backend
                .object_meta(key)
                .await
                .map_err(io_err("cannot read the object"))?;
            if let Some(meta) = current {
                let etag_ok =
                    if_match.is_none_or(|l| super::conditions::etag_matches(l, &meta.etag));
                let size_ok =
                    if_match_size.is_none_or(|s| u64::try_from(s).ok() == Some(meta.size));
                let time_ok = if_match_time
                    .is_none_or(|t| t.secs() == super::meta::whole_seconds(meta.last_modified_ms));
                if !(etag_ok && size_ok && time_ok) {
                    return Err(precondition_failed());
                }
            }
        }
        self.backend
            .delete_object(key)
            .await
            .map_err(io_err("cannot delete the object"))?;
        Ok(())
    }

    pub(super) async fn delete_objects(
        &self,
        r: DeleteObjectsRequest,
    ) -> StoreResult<StoreResponse> {
        let objects = r.delete.objects;
        if objects.len() > 1000 {
            return Err(StoreError::malformed_xml(
                "The XML you provided was not well-formed: more than 1000 objects",
            ));
        }
        let quiet = r.delete.quiet == Some(true);
        let mut out = DeleteObjectsOutput::default();
        for object in objects {
            let result = async {
                check_key(&object.key)?;
                check_version(object.version_id.as_ref())?;
                self.delete_one(
                    &object.key,
                    object.e_tag.as_deref(),
                    object.size,
                    object.last_modified_time.as_ref(),
                )
                .await
            }
            .await;
            match result {
                Ok(()) if quiet => {}
                Ok(()) => out.deleted.push(DeletedObject {
                    key: Some(object.key),
                    version_id: object.version_id,
                    ..DeletedObject::default()
                }),
                Err(e) => out.errors.push(DeleteError {
                    key: Some(object.key),
                    version_id: object.version_id,
                    code: Some(e.code.to_owned()),
                    message: Some(e.message),
                }),
            }
        }
        respond(out.to_http(), StoreBody::Empty)
    }
}
