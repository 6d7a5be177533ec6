//! GetObjectAttributes and the object tagging operations (tags are kept in the object's
//! metadata record, so they come and go with the object).

use multistore_core::s3::{
    Checksum, DeleteObjectTaggingOutput, DeleteObjectTaggingRequest, GetObjectAttributesOutput,
    GetObjectAttributesParts, GetObjectAttributesRequest, GetObjectTaggingOutput,
    GetObjectTaggingRequest, ObjectAttributes, ObjectPart, PutObjectTaggingOutput,
    PutObjectTaggingRequest, StorageClass, Tag,
};

use super::backend::Backend;
use super::checksum::set_checksum_fields;
use super::engine::{Engine, check_key, check_tags, check_version, io_err, respond};
use super::error::{StoreError, StoreResult};
use super::meta::ObjectMeta;
use super::{StoreBody, StoreResponse};

fn no_such_key() -> StoreError {
    StoreError::no_such_key("The specified key does not exist.")
}

impl<B: Backend> Engine<B> {
    async fn meta_of(&self, key: &str) -> StoreResult<ObjectMeta> {
        check_key(key)?;
        self.backend
            .object_meta(key)
            .await
            .map_err(io_err("cannot read the object"))?
            .ok_or_else(no_such_key)
    }

    pub(super) async fn get_object_attributes(
        &self,
        r: &GetObjectAttributesRequest,
    ) -> StoreResult<StoreResponse> {
        check_version(r.version_id.as_ref())?;
        if r.object_attributes.is_empty() {
            return Err(StoreError::invalid_argument(
                "x-amz-object-attributes must name at least one attribute",
            ));
        }
        let meta = self.meta_of(&r.key).await?;
        let mut out = GetObjectAttributesOutput {
            last_modified: Some(meta.last_modified()),
            ..Default::default()
        };
        for attribute in &r.object_attributes {
            match attribute {
                // GetObjectAttributes writes the ETag without quotes.
                ObjectAttributes::Etag => out.e_tag = Some(meta.etag.trim_matches('"').to_owned()),
                ObjectAttributes::ObjectSize => {
                    out.object_size = Some(i64::try_from(meta.size).unwrap_or(i64::MAX))
                }
                ObjectAttributes::StorageClass => {
                    out.storage_class = Some(StorageClass::from_wire(meta.storage_class()))
                }
                ObjectAttributes::Checksum => {
                    if let Some(stored) = &meta.checksum {
                        let mut checksum = Checksum {
                            checksum_type: Some(stored.kind.to_dto()),
                            ..Checksum::default()
                        };
                        set_checksum_fields!(checksum, Some(stored));
                        out.checksum = Some(checksum);
                    }
                }
                ObjectAttributes::ObjectParts => out.object_parts = object_parts(&meta, r)?,
                ObjectAttributes::Unknown(name) => {
                    return Err(StoreError::invalid_argument(format!(
                        "Invalid attribute name specified: {name}"
                    )));
                }
            }
        }
        respond(out.to_http(), StoreBody::Empty)
    }

    pub(super) async fn get_object_tagging(
        &self,
        r: &GetObjectTaggingRequest,
    ) -> StoreResult<StoreResponse> {
        check_version(r.version_id.as_ref())?;
        let meta = self.meta_of(&r.key).await?;
        let out = GetObjectTaggingOutput {
            tag_set: meta
                .tags
                .into_iter()
                .map(|(key, value)| Tag { key, value })
                .collect(),
            ..GetObjectTaggingOutput::default()
        };
        respond(out.to_http(), StoreBody::Empty)
    }

    pub(super) async fn put_object_tagging(
        &self,
        r: PutObjectTaggingRequest,
    ) -> StoreResult<StoreResponse> {
        check_version(r.version_id.as_ref())?;
        let tags: Vec<(String, String)> = r
            .tagging
            .tag_set
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect();
        check_tags(&tags)?;
        self.set_tags(&r.key, tags).await?;
        respond(
            PutObjectTaggingOutput::default().to_http(),
            StoreBody::Empty,
        )
    }

    pub(super) async fn delete_object_tagging(
        &self,
        r: &DeleteObjectTaggingRequest,
    ) -> StoreResult<StoreResponse> {
        check_version(r.version_id.as_ref())?;
        self.set_tags(&r.key, Vec::new()).await?;
        respond(
            DeleteObjectTaggingOutput::default().to_http(),
            StoreBody::Empty,
        )
    }

    async fn set_tags(&self, key: &str, tags: Vec<(String, String)>) -> StoreResult<()> {
        check_key(key)?;
        let _guard = self.lock(key).await;
        let mut meta = self.meta_of(key).await?;
        if meta.tags == tags {
            return Ok(());
        }
        meta.tags = tags;
        let replaced = self
            .backend
            .replace_meta(key, meta)
            .await
            .map_err(io_err("cannot update the tags"))?;
        if replaced { Ok(()) } else { Err(no_such_key()) }
    }
}

/// The ObjectParts of a multipart object, one page of them.
fn object_parts(
    meta: &ObjectMeta,
    r: &GetObjectAttributesRequest,
) -> StoreResult<Option<GetObjectAttributesParts>> {
    if meta.parts.is_empty() {
        return Ok(None);
    }
    let marker = match r.part_number_marker.as_deref() {
        None | Some("") => 0,
        Some(m) => m.parse::<usize>().map_err(|_| {
            StoreError::invalid_argument("part-number-marker must be a part number")
        })?,
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
    let total = meta.parts.len();
    let mut parts = GetObjectAttributesParts {
        total_parts_count: Some(i32::try_from(total).unwrap_or(i32::MAX)),
        part_number_marker: Some(marker.to_string()),
        max_parts: Some(i32::try_from(max).unwrap_or(1000)),
        ..GetObjectAttributesParts::default()
    };
    let mut last = marker;
    for (i, part) in meta.parts.iter().enumerate().skip(marker).take(max) {
        let mut p = ObjectPart {
            part_number: Some(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            size: Some(i64::try_from(part.size).unwrap_or(i64::MAX)),
            ..ObjectPart::default()
        };
        set_checksum_fields!(p, part.checksum.as_ref());
        parts.parts.push(p);
        last = i + 1;
    }
    let truncated = last < total;
    parts.is_truncated = Some(truncated);
    parts.next_part_number_marker = truncated.then(|| last.to_string());
    Ok(Some(parts))
}
