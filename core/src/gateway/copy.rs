//! CopyObject and UploadPartCopy. When source and destination live on the same backend
//! endpoint (same S3 endpoint and credentials, or the runtime's own embedded stores) the copy
//! is the backend's native server-side copy, with the copy source moved into the source
//! bucket's backend namespace. Across backends it is a streamed GET into a PUT (or
//! UploadPart): never a 501, never buffered.

use std::sync::Arc;

use bytes::Bytes;
use http::header::HeaderValue;
use http::{HeaderMap, StatusCode};

use crate::authz::CopySource;
use crate::config::BackendConfig;
use crate::error::Error;
use crate::registry::BucketTarget;
use crate::s3::{
    CopyObjectOutput, CopyObjectRequest, CopyObjectResult, CopyPartResult, GetObjectOutput,
    GetObjectRequest, MetadataDirective, PutObjectOutput, PutObjectRequest, S3Request,
    UploadPartCopyOutput, UploadPartCopyRequest, UploadPartOutput, UploadPartRequest,
};
use crate::sigv4::PayloadMode;

use super::Inner;
use super::backend::{BackendCall, build};
use super::plan::{Forward, Pipe, PipeNext, Plan, RequestBody, Response, ResponseMode};
use super::s3::{S3Call, namespace};

/// Whether a copy from `source` to `target` can be the backend's own server-side copy.
pub(crate) fn same_store(target: &BackendConfig, source: &BackendConfig) -> bool {
    match (target, source) {
        (BackendConfig::S3(a), BackendConfig::S3(b)) => {
            a.endpoint == b.endpoint
                && a.region == b.region
                && a.auth == b.auth
                && a.access_key_id == b.access_key_id
                && a.role_arn == b.role_arn
        }
        (
            BackendConfig::Local(_) | BackendConfig::Memory(_),
            BackendConfig::Local(_) | BackendConfig::Memory(_),
        ) => true,
        (BackendConfig::R2(a), BackendConfig::R2(b)) => a.binding == b.binding,
        _ => false,
    }
}

impl Inner {
    pub(super) fn copy(
        self: &Arc<Self>,
        call: S3Call,
        target: BucketTarget,
        mut request: S3Request,
    ) -> Result<Plan, Error> {
        let raw = match &request {
            S3Request::CopyObject(r) => r.copy_source.clone(),
            S3Request::UploadPartCopy(r) => r.copy_source.clone(),
            _ => return Err(Error::Internal("copy called for another operation".into())),
        };
        let source = CopySource::parse(&raw).map_err(|e| Error::InvalidArgument {
            name: "x-amz-copy-source",
            message: e.to_string(),
        })?;
        let source_target = self.lookup(&source.bucket)?;
        if same_store(&target.backend, &source_target.backend) {
            let rewritten =
                namespace(&source_target).copy_source(&source.key, source.version_id.as_deref());
            match &mut request {
                S3Request::CopyObject(r) => r.copy_source = rewritten,
                S3Request::UploadPartCopy(r) => r.copy_source = rewritten,
                _ => {}
            }
            return self.forward(call, &target, request, None);
        }
        self.pipe(call, target, source_target, source, request)
    }

    /// A copy across backends: GET the source, stream it into a write on the target.
    fn pipe(
        self: &Arc<Self>,
        call: S3Call,
        target: BucketTarget,
        source_target: BucketTarget,
        source: CopySource,
        request: S3Request,
    ) -> Result<Plan, Error> {
        let mut get = GetObjectRequest {
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            version_id: source.version_id.clone(),
            ..GetObjectRequest::default()
        };
        match &request {
            S3Request::CopyObject(r) => {
                get.if_match.clone_from(&r.copy_source_if_match);
                get.if_none_match.clone_from(&r.copy_source_if_none_match);
                get.if_modified_since = r.copy_source_if_modified_since;
                get.if_unmodified_since = r.copy_source_if_unmodified_since;
            }
            S3Request::UploadPartCopy(r) => {
                get.if_match.clone_from(&r.copy_source_if_match);
                get.if_none_match.clone_from(&r.copy_source_if_none_match);
                get.if_modified_since = r.copy_source_if_modified_since;
                get.if_unmodified_since = r.copy_source_if_unmodified_since;
                get.range.clone_from(&r.copy_source_range);
            }
            _ => {}
        }
        let mut get = S3Request::GetObject(get);
        namespace(&source_target).request_to_backend(&mut get);
        let source_request = build(&BackendCall {
            backend: &source_target.backend,
            store: &source_target.client_name,
            request: &get,
            client_headers: &HeaderMap::new(),
            chunked_to_backend: false,
            body_regenerated: false,
            extra_headers: HeaderMap::new(),
            payload_hash: crate::sigv4::EMPTY_SHA256,
            now: call.head.now,
            federated: self
                .federated_for(&source_target, call.head.now)?
                .as_deref(),
        })?;
        let inner = Arc::clone(self);
        let then = move |status: StatusCode, headers: &HeaderMap| -> PipeNext {
            let request_id = call.head.request_id.clone();
            let resource = call.head.raw_path.clone();
            match inner.pipe_write(call, &target, request, status, headers) {
                Ok(forward) => PipeNext::Write(Box::new(forward)),
                Err(e) => match inner.error_plan(&e, &request_id, &resource, false) {
                    Plan::Respond(r) => PipeNext::Respond(r),
                    _ => PipeNext::Respond(Response::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        HeaderMap::new(),
                        Bytes::new(),
                    )),
                },
            }
        };
        Ok(Plan::Pipe(Box::new(Pipe {
            source: source_request,
            then: Box::new(then),
        })))
    }

    /// The write half of a cross-backend copy, once the source answered.
    fn pipe_write(
        &self,
        call: S3Call,
        target: &BucketTarget,
        request: S3Request,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<Forward, Error> {
        if !status.is_success() {
            return Err(source_failure(status));
        }
        let source = GetObjectOutput::from_http(headers, None)
            .map_err(|e| Error::BadGateway(e.to_string()))?;
        let length = source.content_length.and_then(|l| u64::try_from(l).ok());
        let (write, is_part) = match request {
            S3Request::CopyObject(r) => (S3Request::PutObject(put_for_copy(r, source)), false),
            S3Request::UploadPartCopy(r) => (S3Request::UploadPart(part_for_copy(r, length)), true),
            _ => return Err(Error::Internal("pipe for another operation".into())),
        };
        let mut write = write;
        namespace(target).request_to_backend(&mut write);
        let backend = build(&BackendCall {
            backend: &target.backend,
            store: &target.client_name,
            request: &write,
            client_headers: &HeaderMap::new(),
            chunked_to_backend: false,
            body_regenerated: false,
            extra_headers: HeaderMap::new(),
            payload_hash: PayloadMode::UNSIGNED,
            now: call.head.now,
            federated: self.federated_for(target, call.head.now)?.as_deref(),
        })?;
        let (now, request_id) = (call.head.now, call.head.request_id.clone());
        let response = ResponseMode::Rewrite {
            limit: 1 << 20,
            then: Box::new(move |status, headers, _body| {
                copy_result(is_part, status, &headers, now, &request_id)
            }),
        };
        Ok(Forward {
            request: backend,
            body: RequestBody::FromSource { length },
            response,
            request_id: call.head.request_id,
            client_method: call.head.method,
            // Added for the whole plan by `Gateway::resolve`.
            cors: None,
        })
    }
}

/// The error a failed source read becomes.
fn source_failure(status: StatusCode) -> Error {
    match status.as_u16() {
        404 => Error::NoSuchKey,
        304 | 412 => Error::PreconditionFailed,
        416 => Error::InvalidRange,
        403 => Error::Denied(crate::authz::Denied::NotGranted(
            crate::authz::Check::service(crate::authz::Action::GetObject),
        )),
        503 => Error::BackendUnavailable(format!("the copy source answered {status}")),
        _ => Error::BadGateway(format!("the copy source answered {status}")),
    }
}

/// The PutObject of a cross-backend CopyObject: metadata and content headers come from the
/// source unless the client said `x-amz-metadata-directive: REPLACE`.
fn put_for_copy(r: CopyObjectRequest, source: GetObjectOutput) -> PutObjectRequest {
    let replace = matches!(r.metadata_directive, Some(MetadataDirective::Replace));
    let pick = |mine: Option<String>, theirs: Option<String>| if replace { mine } else { theirs };
    PutObjectRequest {
        bucket: r.bucket,
        key: r.key,
        content_length: source.content_length,
        cache_control: pick(r.cache_control, source.cache_control),
        content_disposition: pick(r.content_disposition, source.content_disposition),
        content_encoding: pick(r.content_encoding, source.content_encoding),
        content_language: pick(r.content_language, source.content_language),
        content_type: pick(r.content_type, source.content_type),
        expires: pick(r.expires, source.expires),
        metadata: if replace { r.metadata } else { source.metadata },
        storage_class: r.storage_class,
        tagging: r.tagging,
        server_side_encryption: r.server_side_encryption,
        acl: r.acl,
        ..PutObjectRequest::default()
    }
}

fn part_for_copy(r: UploadPartCopyRequest, length: Option<u64>) -> UploadPartRequest {
    UploadPartRequest {
        bucket: r.bucket,
        key: r.key,
        part_number: r.part_number,
        upload_id: r.upload_id,
        content_length: length.and_then(|l| i64::try_from(l).ok()),
        ..UploadPartRequest::default()
    }
}

/// The client's answer to a cross-backend copy, from the target's answer to the write.
fn copy_result(
    is_part: bool,
    status: StatusCode,
    headers: &HeaderMap,
    now: crate::codec::scalar::DateTime,
    request_id: &str,
) -> Response {
    let parts = if is_part {
        UploadPartOutput::from_http(headers, None).ok().map(|out| {
            UploadPartCopyOutput {
                copy_part_result: Some(CopyPartResult {
                    e_tag: out.e_tag,
                    last_modified: Some(now),
                    ..CopyPartResult::default()
                }),
                ..UploadPartCopyOutput::default()
            }
            .to_http()
        })
    } else {
        PutObjectOutput::from_http(headers, None).ok().map(|out| {
            CopyObjectOutput {
                copy_object_result: Some(CopyObjectResult {
                    e_tag: out.e_tag,
                    last_modified: Some(now),
                    ..CopyObjectResult::default()
                }),
                version_id: out.version_id,
                ..CopyObjectOutput::default()
            }
            .to_http()
        })
    };
    match parts {
        Some(Ok(parts)) => {
            let mut headers = parts.headers;
            if let Ok(id) = HeaderValue::from_str(request_id) {
                headers.insert("x-amz-request-id", id);
            }
            Response::new(status, headers, parts.body.unwrap_or_default())
        }
        _ => Response::new(StatusCode::BAD_GATEWAY, HeaderMap::new(), Bytes::new()),
    }
}
