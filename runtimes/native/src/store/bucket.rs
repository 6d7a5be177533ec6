//! Bucket-level operations. A store IS its bucket: HeadBucket succeeds, CreateBucket answers
//! `BucketAlreadyOwnedByYou`, DeleteBucket refuses while objects exist (and otherwise
//! succeeds, the store staying usable), GetBucketLocation answers with no constraint. Also
//! the bucket's CORS document and ListMultipartUploads.

use bytes::Bytes;
use multistore_core::codec::xml_value::{read_document, write_document};
use multistore_core::s3::{
    CORSConfiguration, CommonPrefix, CreateBucketRequest, GetBucketCorsOutput,
    GetBucketLocationOutput, HeadBucketOutput, ListMultipartUploadsOutput,
    ListMultipartUploadsRequest, MultipartUpload, PutBucketCorsRequest, S3Response, StorageClass,
};

use super::backend::Backend;
use super::checksum::{Algorithm, Kind};
use super::engine::{Engine, io_err, respond};
use super::error::{StoreError, StoreResult};
use super::listing::{enc, max_keys, owner, url_encoding};
use super::{StoreBody, StoreResponse};

const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const CORS_METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

impl<B: Backend> Engine<B> {
    pub(super) fn head_bucket(&self) -> StoreResult<StoreResponse> {
        respond(HeadBucketOutput::default().to_http(), StoreBody::Empty)
    }

    pub(super) fn get_bucket_location(&self) -> StoreResult<StoreResponse> {
        respond(
            GetBucketLocationOutput::default().to_http(),
            StoreBody::Empty,
        )
    }

    pub(super) fn create_bucket(&self, r: &CreateBucketRequest) -> StoreResult<StoreResponse> {
        Err(StoreError::bucket_already_owned_by_you(format!(
            "Your previous request to create the named bucket succeeded and you already own it: {}",
            r.bucket
        )))
    }

    pub(super) fn delete_bucket(&self) -> StoreResult<StoreResponse> {
        if !self.backend.is_empty() {
            return Err(StoreError::bucket_not_empty(
                "The bucket you tried to delete is not empty",
            ));
        }
        respond(S3Response::DeleteBucket.to_http(), StoreBody::Empty)
    }

    pub(super) async fn get_bucket_cors(&self) -> StoreResult<StoreResponse> {
        let xml = self
            .backend
            .cors()
            .await
            .map_err(io_err("cannot read the CORS configuration"))?;
        let xml = xml.ok_or_else(|| {
            StoreError::no_such_cors_configuration("The CORS configuration does not exist")
        })?;
        let config: CORSConfiguration = read_document(&xml, "CORSConfiguration").map_err(|e| {
            StoreError::internal(format!("the stored CORS configuration is unreadable: {e}"))
        })?;
        respond(
            GetBucketCorsOutput {
                cors_rules: config.cors_rules,
            }
            .to_http(),
            StoreBody::Empty,
        )
    }

    pub(super) async fn put_bucket_cors(
        &self,
        r: PutBucketCorsRequest,
    ) -> StoreResult<StoreResponse> {
        let config = r.cors_configuration;
        if config.cors_rules.is_empty() || config.cors_rules.len() > 100 {
            return Err(StoreError::malformed_xml(
                "A CORS configuration holds between 1 and 100 CORSRule elements",
            ));
        }
        for rule in &config.cors_rules {
            if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
                return Err(StoreError::malformed_xml(
                    "Each CORSRule needs an AllowedOrigin and an AllowedMethod",
                ));
            }
            if let Some(m) = rule
                .allowed_methods
                .iter()
                .find(|m| !CORS_METHODS.contains(&m.as_str()))
            {
                return Err(StoreError::invalid_request(format!(
                    "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
                )));
            }
        }
        let xml = write_document(&config, "CORSConfiguration", Some(S3_NAMESPACE));
        self.backend
            .set_cors(Some(Bytes::from(xml)))
            .await
            .map_err(io_err("cannot store the CORS configuration"))?;
        respond(S3Response::PutBucketCors.to_http(), StoreBody::Empty)
    }

    pub(super) async fn delete_bucket_cors(&self) -> StoreResult<StoreResponse> {
        self.backend
            .set_cors(None)
            .await
            .map_err(io_err("cannot delete the CORS configuration"))?;
        respond(S3Response::DeleteBucketCors.to_http(), StoreBody::Empty)
    }

    pub(super) fn list_multipart_uploads(
        &self,
        r: &ListMultipartUploadsRequest,
    ) -> StoreResult<StoreResponse> {
        let url = url_encoding(r.encoding_type.as_ref())?;
        let max = max_keys(r.max_uploads)?;
        let prefix = r.prefix.as_deref().unwrap_or("");
        let delimiter = r.delimiter.as_deref().filter(|d| !d.is_empty());
        let key_marker = r.key_marker.as_deref().filter(|k| !k.is_empty());
        let id_marker = r
            .upload_id_marker
            .as_deref()
            .filter(|k| !k.is_empty() && key_marker.is_some());
        let mut uploads = self.backend.uploads();
        uploads.retain(|u| u.key.starts_with(prefix));
        uploads.sort_by(|a, b| {
            (&a.key, a.initiated_ms, &a.upload_id).cmp(&(&b.key, b.initiated_ms, &b.upload_id))
        });
        // Where the page starts: after the marker upload, or after every upload of the marker key.
        let start = match (key_marker, id_marker) {
            (Some(k), Some(id)) => {
                match uploads.iter().position(|u| u.key == k && u.upload_id == id) {
                    Some(i) => i + 1,
                    None => uploads
                        .iter()
                        .position(|u| u.key.as_str() > k || u.key == k && u.upload_id.as_str() > id)
                        .unwrap_or(uploads.len()),
                }
            }
            (Some(k), None) => uploads
                .iter()
                .position(|u| u.key.as_str() > k)
                .unwrap_or(uploads.len()),
            _ => 0,
        };
        let mut out = ListMultipartUploadsOutput {
            bucket: Some(r.bucket.clone()),
            key_marker: Some(enc(url, r.key_marker.as_deref().unwrap_or(""))),
            upload_id_marker: Some(r.upload_id_marker.clone().unwrap_or_default()),
            prefix: Some(enc(url, prefix)),
            delimiter: r.delimiter.as_deref().map(|d| enc(url, d)),
            max_uploads: Some(i32::try_from(max).unwrap_or(1000)),
            encoding_type: r.encoding_type.clone(),
            ..ListMultipartUploadsOutput::default()
        };
        let mut count = 0;
        let mut truncated = false;
        let mut last: Option<(String, Option<String>)> = None;
        for upload in &uploads[start..] {
            let group = delimiter.and_then(|d| {
                upload.key[prefix.len()..]
                    .find(d)
                    .map(|i| upload.key[..prefix.len() + i + d.len()].to_owned())
            });
            if let Some(group) = group {
                let seen = out
                    .common_prefixes
                    .last()
                    .is_some_and(|p| p.prefix.as_deref() == Some(&enc(url, &group)));
                if seen || key_marker.is_some_and(|k| group.as_str() <= k) {
                    continue;
                }
                if count == max {
                    truncated = true;
                    break;
                }
                out.common_prefixes.push(CommonPrefix {
                    prefix: Some(enc(url, &group)),
                });
                last = Some((group, None));
            } else {
                if count == max {
                    truncated = true;
                    break;
                }
                out.uploads.push(MultipartUpload {
                    upload_id: Some(upload.upload_id.clone()),
                    key: Some(enc(url, &upload.key)),
                    initiated: Some(multistore_core::codec::scalar::DateTime::from_millis(
                        upload.initiated_ms,
                    )),
                    storage_class: Some(StorageClass::from_wire(upload.object.storage_class())),
                    owner: Some(owner()),
                    initiator: Some(multistore_core::s3::Initiator {
                        id: owner().id,
                        display_name: owner().display_name,
                    }),
                    checksum_algorithm: upload.checksum_algorithm.map(Algorithm::to_dto),
                    checksum_type: upload.checksum_kind.map(Kind::to_dto),
                });
                last = Some((upload.key.clone(), Some(upload.upload_id.clone())));
            }
            count += 1;
        }
        out.is_truncated = Some(truncated);
        if truncated && let Some((key, id)) = last {
            out.next_key_marker = Some(enc(url, &key));
            out.next_upload_id_marker = id;
        }
        respond(out.to_http(), StoreBody::Empty)
    }
}
