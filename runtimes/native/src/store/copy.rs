//! CopyObject, and the copy-source reading it shares with UploadPartCopy: the source may be
//! this store or any other embedded store of the [`StoreSet`], addressed by its name. The
//! source is read from one opened snapshot and streamed into the destination (never buffered
//! whole); the destination commit takes the destination key's lock.

use multistore_core::codec::path::decode_component;
use multistore_core::s3::{
    CopyObjectOutput, CopyObjectRequest, CopyObjectResult, MetadataDirective, StorageClass,
    TaggingDirective,
};

use super::backend::Backend;
use super::blob::Blob;
use super::checksum::{Algorithm, BodyDigests, Kind, Stored, set_checksum_fields};
use super::conditions::{ReadConditions, Verdict};
use super::engine::{
    Engine, MAX_SINGLE_WRITE, check_key, check_metadata, check_version, io_err, parse_tagging,
    respond, storage_class,
};
use super::error::{StoreError, StoreResult};
use super::meta::{ContentHeaders, ObjectMeta, now_ms};
use super::object::DEFAULT_CONTENT_TYPE;
use super::{StoreBody, StoreResponse, StoreSet};

/// A parsed `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, percent-encoded.
#[derive(Debug, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
}

impl CopySource {
    pub fn parse(raw: &str) -> StoreResult<Self> {
        let bad = || StoreError::invalid_argument("Invalid copy source: expected bucket/key");
        let (path, query) = raw
            .split_once('?')
            .map_or((raw, None), |(p, q)| (p, Some(q)));
        let decoded = decode_component(path).map_err(|_| bad())?;
        let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
        let (bucket, key) = decoded.split_once('/').ok_or_else(bad)?;
        if bucket.is_empty() || key.is_empty() {
            return Err(bad());
        }
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if name == "versionId" {
                check_version(Some(&decode_component(value).map_err(|_| bad())?))?;
            }
        }
        check_key(key)?;
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

/// The copy-source conditions of CopyObject and UploadPartCopy.
pub struct SourceConditions<'a>(pub ReadConditions<'a>);

impl SourceConditions<'_> {
    /// Any failing copy-source condition is a 412 (a copy is never "not modified").
    pub fn check(&self, meta: &ObjectMeta) -> StoreResult<()> {
        match super::conditions::evaluate_read(self.0, &meta.etag, meta.last_modified_ms) {
            Verdict::Proceed => Ok(()),
            Verdict::NotModified | Verdict::PreconditionFailed => {
                Err(StoreError::precondition_failed(
                    "At least one of the pre-conditions you specified did not hold",
                ))
            }
        }
    }
}

impl<B: Backend> Engine<B> {
    /// Opens a copy source: this store when it names `own_bucket`, else a store of `stores`.
    pub(super) async fn open_source(
        &self,
        own_bucket: &str,
        source: &CopySource,
        stores: &StoreSet,
    ) -> StoreResult<(ObjectMeta, Blob)> {
        let opened = if source.bucket == own_bucket {
            self.backend
                .open_object(&source.key)
                .await
                .map_err(io_err("cannot open the copy source"))?
        } else {
            let store = stores
                .get(&source.bucket)
                .ok_or_else(|| StoreError::no_such_bucket("The specified bucket does not exist"))?;
            store.open_for_copy(&source.key).await?
        };
        opened.ok_or_else(|| StoreError::no_such_key("The specified key does not exist."))
    }

    pub(super) async fn copy_object(
        &self,
        r: CopyObjectRequest,
        stores: &StoreSet,
    ) -> StoreResult<StoreResponse> {
        check_key(&r.key)?;
        let source = CopySource::parse(&r.copy_source)?;
        let replace_meta = match &r.metadata_directive {
            None | Some(MetadataDirective::Copy) => false,
            Some(MetadataDirective::Replace) => true,
            Some(MetadataDirective::Unknown(v)) => {
                return Err(StoreError::invalid_argument(format!(
                    "Unknown metadata directive: {v}"
                )));
            }
        };
        let replace_tags = match &r.tagging_directive {
            None | Some(TaggingDirective::Copy) => false,
            Some(TaggingDirective::Replace) => true,
            Some(TaggingDirective::Unknown(v)) => {
                return Err(StoreError::invalid_argument(format!(
                    "Unknown tagging directive: {v}"
                )));
            }
        };
        let class = storage_class(r.storage_class.as_ref())?;
        let requested = Algorithm::parse_requested(r.checksum_algorithm.as_ref())?;
        let tags = parse_tagging(r.tagging.as_ref())?;
        check_metadata(&r.metadata)?;
        let (src_meta, blob) = self.open_source(&r.bucket, &source, stores).await?;
        SourceConditions(ReadConditions {
            if_match: r.copy_source_if_match.as_deref(),
            if_none_match: r.copy_source_if_none_match.as_deref(),
            if_modified_since: r.copy_source_if_modified_since.as_ref(),
            if_unmodified_since: r.copy_source_if_unmodified_since.as_ref(),
        })
        .check(&src_meta)?;
        if src_meta.size > MAX_SINGLE_WRITE {
            return Err(StoreError::invalid_request(
                "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120",
            ));
        }
        let to_itself = source.bucket == r.bucket && source.key == r.key;
        let changes = replace_meta
            || class.is_some()
            || r.storage_class == Some(StorageClass::Standard)
            || r.website_redirect_location.is_some()
            || requested.is_some()
            || replace_tags;
        if to_itself && !changes {
            return Err(StoreError::invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself without changing the \
                 object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        let algorithm = requested
            .or(src_meta.checksum.as_ref().map(|c| c.algorithm))
            .unwrap_or(Algorithm::Crc64Nvme);
        let mut digests = BodyDigests::new(Some(algorithm));
        let mut writer = self
            .backend
            .writer()
            .await
            .map_err(io_err("cannot stage the copy"))?;
        let len = blob.len();
        let stream = blob
            .stream(0, len)
            .await
            .map_err(io_err("cannot read the copy source"))?;
        self.stage_stream(&mut writer, stream, &mut digests).await?;
        let staged = writer
            .finish()
            .await
            .map_err(io_err("cannot finish the copy"))?;
        let digests = digests.finish();
        if digests.size != src_meta.size {
            return Err(StoreError::internal(
                "the copy source changed size while it was read",
            ));
        }
        let checksum = digests.checksum.clone().map(|(algorithm, value)| Stored {
            algorithm,
            value,
            kind: Kind::FullObject,
        });
        let (headers, metadata) = if replace_meta {
            let headers = ContentHeaders {
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
            };
            (headers, r.metadata.clone())
        } else {
            let mut headers = src_meta.headers.clone();
            headers
                .website_redirect_location
                .clone_from(&r.website_redirect_location);
            (headers, src_meta.metadata.clone())
        };
        let meta = ObjectMeta {
            size: digests.size,
            etag: digests.etag(),
            last_modified_ms: now_ms(),
            headers,
            storage_class: class,
            metadata,
            tags: if replace_tags {
                tags
            } else {
                src_meta.tags.clone()
            },
            checksum: checksum.clone(),
            parts: Vec::new(),
        };
        let last_modified = meta.last_modified();
        self.commit_checked(&r.key, staged, meta, None, None)
            .await?;
        let mut result = CopyObjectResult {
            e_tag: Some(digests.etag()),
            last_modified: Some(last_modified),
            checksum_type: checksum.as_ref().map(|c| c.kind.to_dto()),
            ..CopyObjectResult::default()
        };
        set_checksum_fields!(result, checksum.as_ref());
        let out = CopyObjectOutput {
            copy_object_result: Some(result),
            ..CopyObjectOutput::default()
        };
        respond(out.to_http(), StoreBody::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_parse() {
        let s = CopySource::parse("/src/a%20b/c%3Fd?versionId=null").unwrap();
        assert_eq!(
            s,
            CopySource {
                bucket: "src".into(),
                key: "a b/c?d".into()
            }
        );
        assert_eq!(CopySource::parse("src/k+1").unwrap().key, "k+1");
        for bad in ["", "/", "bucket", "/bucket/", "%zz/k"] {
            assert_eq!(
                CopySource::parse(bad).unwrap_err().code,
                "InvalidArgument",
                "{bad}"
            );
        }
        assert_eq!(
            CopySource::parse("b/k?versionId=v2").unwrap_err().code,
            "InvalidArgument"
        );
    }
}
