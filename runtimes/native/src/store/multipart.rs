//! Multipart uploads: create, upload a part (streamed, or copied from an object range),
//! list parts, abort, and complete.
//!
//! Completing checks the part list as S3 does (ascending part numbers: `InvalidPartOrder`;
//! every part uploaded with the ETag given: `InvalidPart`; every part but the last at least
//! 5 MiB: `EntityTooSmall`), then streams the parts into one new object under the upload's
//! lock and the key's lock (so the write preconditions hold at commit). The ETag is the MD5
//! of the part MD5s, `-<n>`; a checksum is FULL_OBJECT (computed over the joined data) or
//! COMPOSITE (over the part checksums, `-<n>`), as the upload was created.

use multistore_core::s3::{
    AbortMultipartUploadOutput, AbortMultipartUploadRequest, CompleteMultipartUploadOutput,
    CompleteMultipartUploadRequest, CopyPartResult, CreateMultipartUploadOutput,
    CreateMultipartUploadRequest, ListPartsOutput, ListPartsRequest, Part, StorageClass,
    UploadPartCopyOutput, UploadPartCopyRequest, UploadPartOutput, UploadPartRequest,
};

use super::backend::Backend;
use super::checksum::{
    self, Algorithm, BodyDigests, ChecksumFields, Kind, Stored, parse_content_md5,
    set_checksum_fields, verify,
};
use super::conditions::ReadConditions;
use super::copy::{CopySource, SourceConditions};
use super::engine::{
    Engine, MAX_SINGLE_WRITE, check_key, check_metadata, io_err, parse_tagging, respond,
    storage_class, upload_lock,
};
use super::error::{StoreError, StoreResult};
use super::listing::owner;
use super::meta::{ContentHeaders, ObjectMeta, PartInfo, PartMeta, UploadMeta, now_ms};
use super::object::DEFAULT_CONTENT_TYPE;
use super::{BodyStream, StoreBody, StoreResponse, StoreSet};

/// S3's smallest part (but the last).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
const MAX_PARTS: i32 = 10_000;

fn no_such_upload() -> StoreError {
    StoreError::no_such_upload(
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

fn check_part_number(n: i32) -> StoreResult<()> {
    if (1..=MAX_PARTS).contains(&n) {
        Ok(())
    } else {
        Err(StoreError::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
        ))
    }
}

fn invalid_part() -> StoreError {
    StoreError::invalid_part(
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the \
         specified entity tag may not have matched the part's entity tag.",
    )
}

impl<B: Backend> Engine<B> {
    /// The upload `upload_id` of `key`, or `NoSuchUpload`.
    fn find_upload(&self, key: &str, upload_id: &str) -> StoreResult<UploadMeta> {
        self.backend
            .upload(upload_id)
            .filter(|u| u.key == key)
            .ok_or_else(no_such_upload)
    }

    pub(super) async fn create_multipart_upload(
        &self,
        r: CreateMultipartUploadRequest,
    ) -> StoreResult<StoreResponse> {
        check_key(&r.key)?;
        let algorithm = Algorithm::parse_requested(r.checksum_algorithm.as_ref())?;
        let kind = Kind::parse_requested(r.checksum_type.as_ref())?;
        let kind = match (algorithm, kind) {
            (None, Some(_)) => {
                return Err(StoreError::invalid_request(
                    "x-amz-checksum-type requires x-amz-checksum-algorithm",
                ));
            }
            (Some(a), Some(Kind::FullObject)) if !a.supports_full_object() => {
                return Err(StoreError::invalid_request(format!(
                    "The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.",
                    a.name()
                )));
            }
            (Some(Algorithm::Crc64Nvme), Some(Kind::Composite)) => {
                return Err(StoreError::invalid_request(
                    "The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.",
                ));
            }
            (Some(Algorithm::Crc64Nvme), None) => Some(Kind::FullObject),
            (Some(_), None) => Some(Kind::Composite),
            (_, kind) => kind,
        };
        check_metadata(&r.metadata)?;
        let mut id = [0u8; 24];
        getrandom::fill(&mut id)
            .map_err(|e| StoreError::internal(format!("no randomness for an upload id: {e}")))?;
        let meta = UploadMeta {
            upload_id: hex::encode(id),
            key: r.key.clone(),
            initiated_ms: now_ms(),
            object: ObjectMeta {
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
                storage_class: storage_class(r.storage_class.as_ref())?,
                metadata: r.metadata.clone(),
                tags: parse_tagging(r.tagging.as_ref())?,
                ..ObjectMeta::default()
            },
            checksum_algorithm: algorithm,
            checksum_kind: kind,
        };
        self.backend
            .create_upload(meta.clone())
            .await
            .map_err(io_err("cannot create the upload"))?;
        let out = CreateMultipartUploadOutput {
            bucket: Some(r.bucket.clone()),
            key: Some(r.key.clone()),
            upload_id: Some(meta.upload_id),
            checksum_algorithm: algorithm.map(Algorithm::to_dto),
            checksum_type: kind.map(Kind::to_dto),
            ..CreateMultipartUploadOutput::default()
        };
        respond(out.to_http(), StoreBody::Empty)
    }

    pub(super) async fn upload_part(
        &self,
        r: UploadPartRequest,
        body: BodyStream,
    ) -> StoreResult<StoreResponse> {
        check_key(&r.key)?;
        check_part_number(r.part_number)?;
        let upload = self.find_upload(&r.key, &r.upload_id)?;
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
        if let (Some(expected), Some(sent)) = (upload.checksum_algorithm, requested.as_ref())
            && expected != sent.algorithm
        {
            return Err(StoreError::invalid_request(format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                expected.name().to_lowercase(),
                sent.algorithm.name().to_lowercase()
            )));
        }
        let content_md5 = parse_content_md5(r.content_md5.as_ref())?;
        let algorithm = requested
            .as_ref()
            .map(|q| q.algorithm)
            .or(upload.checksum_algorithm);
        let (staged, digests) = self
            .receive(
                body,
                BodyDigests::new(algorithm),
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
        let part = PartMeta {
            part_number: r.part_number,
            size: digests.size,
            etag: digests.etag(),
            last_modified_ms: now_ms(),
            checksum: checksum.clone(),
        };
        self.store_part(&r.upload_id, part, staged).await?;
        let mut out = UploadPartOutput {
            e_tag: Some(digests.etag()),
            ..UploadPartOutput::default()
        };
        set_checksum_fields!(out, checksum.as_ref());
        respond(out.to_http(), StoreBody::Empty)
    }

    async fn store_part(
        &self,
        upload_id: &str,
        part: PartMeta,
        staged: super::blob::Staged,
    ) -> StoreResult<()> {
        let _guard = self.lock(&upload_lock(upload_id)).await;
        let stored = self
            .backend
            .commit_part(upload_id, part, staged)
            .await
            .map_err(io_err("cannot store the part"))?;
        if stored {
            Ok(())
        } else {
            Err(no_such_upload())
        }
    }

    pub(super) async fn upload_part_copy(
        &self,
        r: UploadPartCopyRequest,
        stores: &StoreSet,
    ) -> StoreResult<StoreResponse> {
        check_key(&r.key)?;
        check_part_number(r.part_number)?;
        let upload = self.find_upload(&r.key, &r.upload_id)?;
        let source = CopySource::parse(&r.copy_source)?;
        let (src_meta, blob) = self.open_source(&r.bucket, &source, stores).await?;
        SourceConditions(ReadConditions {
            if_match: r.copy_source_if_match.as_deref(),
            if_none_match: r.copy_source_if_none_match.as_deref(),
            if_modified_since: r.copy_source_if_modified_since.as_ref(),
            if_unmodified_since: r.copy_source_if_unmodified_since.as_ref(),
        })
        .check(&src_meta)?;
        let (start, len) = match r.copy_source_range.as_deref() {
            None => (0, src_meta.size),
            Some(range) => copy_range(range, src_meta.size)?,
        };
        if len > MAX_SINGLE_WRITE {
            return Err(StoreError::invalid_request(
                "The specified copy range is larger than the maximum part size",
            ));
        }
        let mut digests = BodyDigests::new(upload.checksum_algorithm);
        let mut writer = self
            .backend
            .writer()
            .await
            .map_err(io_err("cannot stage the part"))?;
        let stream = blob
            .stream(start, len)
            .await
            .map_err(io_err("cannot read the copy source"))?;
        self.stage_stream(&mut writer, stream, &mut digests).await?;
        let staged = writer
            .finish()
            .await
            .map_err(io_err("cannot finish the part"))?;
        let digests = digests.finish();
        let checksum = digests.checksum.clone().map(|(algorithm, value)| Stored {
            algorithm,
            value,
            kind: Kind::FullObject,
        });
        let part = PartMeta {
            part_number: r.part_number,
            size: digests.size,
            etag: digests.etag(),
            last_modified_ms: now_ms(),
            checksum: checksum.clone(),
        };
        let last_modified =
            multistore_core::codec::scalar::DateTime::from_millis(part.last_modified_ms);
        self.store_part(&r.upload_id, part, staged).await?;
        let mut result = CopyPartResult {
            e_tag: Some(digests.etag()),
            last_modified: Some(last_modified),
            ..CopyPartResult::default()
        };
        set_checksum_fields!(result, checksum.as_ref());
        let out = UploadPartCopyOutput {
            copy_part_result: Some(result),
            ..UploadPartCopyOutput::default()
        };
        respond(out.to_http(), StoreBody::Empty)
    }

    pub(super) fn list_parts(&self, r: &ListPartsRequest) -> StoreResult<StoreResponse> {
        let upload = self.find_upload(&r.key, &r.upload_id)?;
        let parts = self
            .backend
            .parts(&r.upload_id)
            .ok_or_else(no_such_upload)?;
        let marker = match r.part_number_marker.as_deref() {
            None | Some("") => 0,
            Some(m) => m
                .parse::<i32>()
                .map_err(|_| StoreError::invalid_argument("Invalid part-number-marker"))?,
        };
        let max = match r.max_parts {
            None => 1000,
            Some(m) if m < 0 => {
                return Err(StoreError::invalid_argument(
                    "max-parts must be a non-negative integer",
                ));
            }
            Some(m) => usize::try_from(m).unwrap_or(0).min(1000),
        };
        let after: Vec<&PartMeta> = parts.iter().filter(|p| p.part_number > marker).collect();
        let page = &after[..after.len().min(max)];
        let truncated = after.len() > page.len();
        let out = ListPartsOutput {
            bucket: Some(r.bucket.clone()),
            key: Some(r.key.clone()),
            upload_id: Some(r.upload_id.clone()),
            part_number_marker: Some(marker.to_string()),
            next_part_number_marker: page.last().map(|p| p.part_number.to_string()),
            max_parts: Some(i32::try_from(max).unwrap_or(1000)),
            is_truncated: Some(truncated),
            parts: page
                .iter()
                .map(|p| {
                    let mut part = Part {
                        part_number: Some(p.part_number),
                        last_modified: Some(multistore_core::codec::scalar::DateTime::from_millis(
                            p.last_modified_ms,
                        )),
                        e_tag: Some(p.etag.clone()),
                        size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
                        ..Part::default()
                    };
                    set_checksum_fields!(part, p.checksum.as_ref());
                    part
                })
                .collect(),
            initiator: Some(multistore_core::s3::Initiator {
                id: owner().id,
                display_name: owner().display_name,
            }),
            owner: Some(owner()),
            storage_class: Some(StorageClass::from_wire(upload.object.storage_class())),
            checksum_algorithm: upload.checksum_algorithm.map(Algorithm::to_dto),
            checksum_type: upload.checksum_kind.map(Kind::to_dto),
            ..ListPartsOutput::default()
        };
        respond(out.to_http(), StoreBody::Empty)
    }

    pub(super) async fn abort_multipart_upload(
        &self,
        r: &AbortMultipartUploadRequest,
    ) -> StoreResult<StoreResponse> {
        let _guard = self.lock(&upload_lock(&r.upload_id)).await;
        let upload = self.find_upload(&r.key, &r.upload_id)?;
        if let Some(t) = &r.if_match_initiated_time
            && t.secs() != super::meta::whole_seconds(upload.initiated_ms)
        {
            return Err(StoreError::precondition_failed(
                "At least one of the pre-conditions you specified did not hold",
            ));
        }
        let removed = self
            .backend
            .remove_upload(&r.upload_id)
            .await
            .map_err(io_err("cannot abort the upload"))?;
        if !removed {
            return Err(no_such_upload());
        }
        respond(
            AbortMultipartUploadOutput::default().to_http(),
            StoreBody::Empty,
        )
    }

    pub(super) async fn complete_multipart_upload(
        &self,
        r: CompleteMultipartUploadRequest,
    ) -> StoreResult<StoreResponse> {
        check_key(&r.key)?;
        let _upload_guard = self.lock(&upload_lock(&r.upload_id)).await;
        let upload = self.find_upload(&r.key, &r.upload_id)?;
        let requested = r
            .multipart_upload
            .as_ref()
            .map(|m| m.parts.as_slice())
            .unwrap_or_default();
        if requested.is_empty() {
            return Err(StoreError::malformed_xml(
                "The XML you provided was not well-formed or did not validate against our published schema: no parts",
            ));
        }
        if let Some(kind) = Kind::parse_requested(r.checksum_type.as_ref())?
            && upload.checksum_kind != Some(kind)
        {
            return Err(StoreError::invalid_request(format!(
                "The upload was created using the {} checksum mode. The complete request must use the same checksum mode.",
                upload
                    .checksum_kind
                    .map_or("default", |k| if k == Kind::FullObject {
                        "FULL_OBJECT"
                    } else {
                        "COMPOSITE"
                    })
            )));
        }
        let stored = self
            .backend
            .parts(&r.upload_id)
            .ok_or_else(no_such_upload)?;
        let mut chosen: Vec<PartMeta> = Vec::with_capacity(requested.len());
        for completed in requested {
            let n = completed.part_number.ok_or_else(invalid_part)?;
            if chosen.last().is_some_and(|p| p.part_number >= n) {
                return Err(StoreError::invalid_part_order(
                    "The list of parts was not in ascending order. Parts must be ordered by part number.",
                ));
            }
            let part = stored
                .iter()
                .find(|p| p.part_number == n)
                .ok_or_else(invalid_part)?;
            let etag_ok = completed
                .e_tag
                .as_deref()
                .is_some_and(|e| e.trim_matches('"') == part.etag.trim_matches('"'));
            if !etag_ok {
                return Err(invalid_part());
            }
            let mut sent = Vec::new();
            set_sent_checksums(&mut sent, completed);
            if let (Some(stored_sum), Some((alg, value))) = (&part.checksum, sent.first())
                && (stored_sum.algorithm != *alg || stored_sum.value != *value)
            {
                return Err(invalid_part());
            }
            chosen.push(part.clone());
        }
        if let Some(small) = chosen[..chosen.len() - 1]
            .iter()
            .find(|p| p.size < MIN_PART_SIZE)
        {
            return Err(StoreError::entity_too_small(format!(
                "Your proposed upload is smaller than the minimum allowed size (part {} is {} bytes)",
                small.part_number, small.size
            )));
        }
        let total: u64 = chosen.iter().map(|p| p.size).sum();
        if r.mpu_object_size
            .is_some_and(|s| u64::try_from(s).ok() != Some(total))
        {
            return Err(StoreError::invalid_request(
                "The provided x-amz-mp-object-size does not match the object's size",
            ));
        }
        self.check_write_conditions(&r.key, r.if_match.as_deref(), r.if_none_match.as_deref())
            .await?;
        let full_object = upload
            .checksum_algorithm
            .filter(|_| upload.checksum_kind == Some(Kind::FullObject));
        let mut digests = BodyDigests::new(None).with_extra(full_object);
        let mut writer = self
            .backend
            .writer()
            .await
            .map_err(io_err("cannot stage the object"))?;
        for part in &chosen {
            let blob = self
                .backend
                .open_part(&r.upload_id, part.part_number)
                .await
                .map_err(io_err("cannot open a part"))?
                .ok_or_else(invalid_part)?;
            let stream = blob
                .stream(0, part.size)
                .await
                .map_err(io_err("cannot read a part"))?;
            self.stage_stream(&mut writer, stream, &mut digests).await?;
        }
        let staged = writer
            .finish()
            .await
            .map_err(io_err("cannot finish the object"))?;
        let digests = digests.finish();
        let checksum = object_checksum(&upload, &chosen, digests.extra.clone())?;
        verify_object_checksum(&r, checksum.as_ref())?;
        let etags: Vec<&str> = chosen.iter().map(|p| p.etag.as_str()).collect();
        let etag = checksum::multipart_etag(&etags)
            .ok_or_else(|| StoreError::internal("a part has a malformed ETag"))?;
        let meta = ObjectMeta {
            size: digests.size,
            etag: etag.clone(),
            last_modified_ms: now_ms(),
            checksum: checksum.clone(),
            parts: chosen
                .iter()
                .map(|p| PartInfo {
                    size: p.size,
                    checksum: p.checksum.clone(),
                })
                .collect(),
            ..upload.object.clone()
        };
        self.commit_checked(
            &r.key,
            staged,
            meta,
            r.if_match.as_deref(),
            r.if_none_match.as_deref(),
        )
        .await?;
        self.backend
            .remove_upload(&r.upload_id)
            .await
            .map_err(io_err("cannot remove the finished upload"))?;
        let mut out = CompleteMultipartUploadOutput {
            location: Some(format!(
                "/{}/{}",
                r.bucket,
                multistore_core::codec::path::encode_key(&r.key)
            )),
            bucket: Some(r.bucket.clone()),
            key: Some(r.key.clone()),
            e_tag: Some(etag),
            checksum_type: checksum.as_ref().map(|c| c.kind.to_dto()),
            ..CompleteMultipartUploadOutput::default()
        };
        set_checksum_fields!(out, checksum.as_ref());
        respond(out.to_http(), StoreBody::Empty)
    }
}

/// The (algorithm, value) pairs a completed part (or the complete request) carries.
fn set_sent_checksums(sent: &mut Vec<(Algorithm, String)>, p: &multistore_core::s3::CompletedPart) {
    let values = [
        &p.checksum_crc32,
        &p.checksum_crc32c,
        &p.checksum_crc64nvme,
        &p.checksum_sha1,
        &p.checksum_sha256,
    ];
    for (alg, value) in Algorithm::ALL.into_iter().zip(values) {
        if let Some(v) = value {
            sent.push((alg, v.clone()));
        }
    }
}

/// The checksum of the joined object, as the upload asked for.
fn object_checksum(
    upload: &UploadMeta,
    parts: &[PartMeta],
    full: Option<(Algorithm, String)>,
) -> StoreResult<Option<Stored>> {
    let Some(algorithm) = upload.checksum_algorithm else {
        return Ok(None);
    };
    if upload.checksum_kind == Some(Kind::FullObject) {
        return Ok(full.map(|(algorithm, value)| Stored {
            algorithm,
            value,
            kind: Kind::FullObject,
        }));
    }
    let sums: Vec<Option<&Stored>> = parts.iter().map(|p| p.checksum.as_ref()).collect();
    let value = checksum::composite(algorithm, &sums).ok_or_else(|| {
        StoreError::invalid_request(format!(
            "A part was uploaded without a {} checksum",
            algorithm.name()
        ))
    })?;
    Ok(Some(Stored {
        algorithm,
        value,
        kind: Kind::Composite,
    }))
}

/// Checks an object-level checksum sent with CompleteMultipartUpload.
fn verify_object_checksum(
    r: &CompleteMultipartUploadRequest,
    actual: Option<&Stored>,
) -> StoreResult<()> {
    let values = [
        &r.checksum_crc32,
        &r.checksum_crc32c,
        &r.checksum_crc64nvme,
        &r.checksum_sha1,
        &r.checksum_sha256,
    ];
    for (alg, value) in Algorithm::ALL.into_iter().zip(values) {
        let Some(sent) = value else { continue };
        let matches = actual.is_some_and(|a| {
            a.algorithm == alg && (a.value == *sent || a.value.split('-').next() == Some(sent))
        });
        if !matches {
            return Err(StoreError::bad_digest(format!(
                "The {} you specified did not match the calculated checksum.",
                alg.name()
            )));
        }
    }
    Ok(())
}

/// An `x-amz-copy-source-range` (`bytes=first-last`, inside the source) as (start, length).
fn copy_range(range: &str, size: u64) -> StoreResult<(u64, u64)> {
    let parsed = range
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
            (digits(a) && digits(b))
                .then(|| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
                .flatten()
        });
    let Some((first, last)) = parsed else {
        return Err(StoreError::invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the \
             zero-based offsets of the first and last bytes to copy",
        ));
    };
    if first > last || last >= size {
        return Err(StoreError::invalid_range(format!(
            "Range specified is not valid for source object of size: {size}"
        )));
    }
    Ok((first, last - first + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_ranges() {
        assert_eq!(copy_range("bytes=0-9", 10).unwrap(), (0, 10));
        assert_eq!(copy_range("bytes=3-3", 10).unwrap(), (3, 1));
        assert_eq!(
            copy_range("bytes=0-10", 10).unwrap_err().code,
            "InvalidRange"
        );
        assert_eq!(
            copy_range("bytes=5-4", 10).unwrap_err().code,
            "InvalidRange"
        );
        for bad in ["bytes=-5", "bytes=5-", "0-4", "bytes=a-b"] {
            assert_eq!(
                copy_range(bad, 10).unwrap_err().code,
                "InvalidArgument",
                "{bad}"
            );
        }
    }
}
