//! The R2 store: runs the [`R2Call`]s that [`crate::r2::plan`] chose against a bucket binding,
//! streaming bodies both ways (an upload goes to `put`/`uploadPart` as the request's
//! `ReadableStream`; a GET answers with R2's body stream), and answers with what the host
//! modules build. Every failure is an S3 error document.

use std::collections::BTreeMap;

use http::HeaderMap;
use js_sys::{Array, Object, Promise, Uint8Array};
use multistore_core::codec::http::{BodyKind, HttpRequest, ResponseParts};
use multistore_core::codec::scalar::DateTime;
use multistore_core::gateway::BackendRequest;
use multistore_core::s3::{
    AbortMultipartUploadOutput, DeleteObjectOutput, DeleteObjectsOutput, DeletedObject,
    HeadBucketOutput, S3Request,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStream;
use worker::Env;
use worker::worker_sys::{R2Bucket, R2MultipartUpload};

use super::exec::{Answer, AnswerBody, Outgoing};
use super::js;
use super::streams;
use crate::r2::conditions::{R2Range, ReadConditions, Verdict, to_r2};
use crate::r2::listing::ListPage;
use crate::r2::object::{self, HttpMeta, ObjectInfo};
use crate::r2::{Digest, R2Call, StoreError, StoreResult, WriteCall, plan};

/// The largest XML body read from a stream here (the core normally hands it over buffered).
const MAX_BUFFERED_BODY: u64 = 2 * 1024 * 1024;

/// The R2 bucket bound as `binding`.
pub fn bucket(env: &Env, binding: &str) -> Result<R2Bucket, String> {
    let value = js::get(env.as_ref(), binding);
    if !value.is_object() {
        return Err(format!(
            "the Worker has no R2 bucket binding `{binding}`: add it under [[r2_buckets]] in wrangler.toml"
        ));
    }
    Ok(value.unchecked_into())
}

/// Executes one embedded-store request against an R2 binding.
pub async fn execute(
    bucket: &R2Bucket,
    request: &BackendRequest,
    body: Outgoing,
    now: DateTime,
) -> Answer {
    match run(bucket, request, body, now).await {
        Ok(answer) => answer,
        Err(e) => {
            let (status, headers, body) = e.to_answer();
            Answer {
                status,
                headers,
                body: AnswerBody::Bytes(body),
            }
        }
    }
}

fn r2_error(e: &JsValue) -> StoreError {
    crate::r2::error::from_r2_message(&js::message(e))
}

async fn wait(promise: Result<Promise, JsValue>) -> StoreResult<JsValue> {
    let promise = promise.map_err(|e| r2_error(&e))?;
    JsFuture::from(promise).await.map_err(|e| r2_error(&e))
}

fn answer(parts: ResponseParts, body: AnswerBody) -> Answer {
    let body = match (body, parts.body) {
        (AnswerBody::Empty, Some(xml)) => AnswerBody::Bytes(xml),
        (body, _) => body,
    };
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn parts(
    result: Result<ResponseParts, multistore_core::codec::http::BindingError>,
) -> StoreResult<ResponseParts> {
    result.map_err(|e| StoreError::internal(format!("cannot write the response: {e}")))
}

/// The body a write stores.
fn value_of(body: Outgoing) -> JsValue {
    match body {
        Outgoing::Empty => js::uint8_array(&[]).into(),
        Outgoing::Bytes(b) => js::uint8_array(&b).into(),
        Outgoing::Stream(stream) => stream.into(),
    }
}

fn discard(body: Outgoing) {
    if let Outgoing::Stream(stream) = body {
        let _ = stream.cancel();
    }
}

async fn run(
    bucket: &R2Bucket,
    request: &BackendRequest,
    body: Outgoing,
    now: DateTime,
) -> StoreResult<Answer> {
    let s3 = &request.s3;
    let (buffered, body) = match request.operation.info().input_body {
        BodyKind::Xml | BodyKind::Raw => match (&s3.body, body) {
            (Some(b), rest) => {
                discard(rest);
                (Some(b.clone()), Outgoing::Empty)
            }
            (None, Outgoing::Bytes(b)) => (Some(b), Outgoing::Empty),
            (None, Outgoing::Stream(stream)) => {
                let read = streams::collect(streams::from_js(stream), MAX_BUFFERED_BODY).await;
                match read {
                    Ok(b) => (Some(b), Outgoing::Empty),
                    Err(_) => {
                        return Err(StoreError::max_message_length_exceeded(
                            "Your request was too big",
                        ));
                    }
                }
            }
            (None, Outgoing::Empty) => (None, Outgoing::Empty),
        },
        BodyKind::None | BodyKind::Streaming => (None, body),
    };
    let http = HttpRequest {
        method: &s3.method,
        bucket: s3.bucket.as_deref(),
        key: s3.key.as_deref(),
        query: &s3.query,
        headers: &s3.headers,
    };
    let parsed = S3Request::from_http(
        request.operation,
        &http,
        buffered.as_deref().filter(|b| !b.is_empty()),
    )
    .map_err(|e| StoreError::from_binding(&e));
    let call = match parsed.and_then(plan) {
        Ok(call) => call,
        Err(e) => {
            discard(body);
            return Err(e);
        }
    };
    match call {
        R2Call::HeadBucket => Ok(answer(
            parts(HeadBucketOutput::default().to_http())?,
            AnswerBody::Empty,
        )),
        R2Call::List(call) => {
            let Some(options) = call.r2_options() else {
                return Ok(answer(call.output(ListPage::default())?, AnswerBody::Empty));
            };
            let opts = Object::new();
            js::set(&opts, "limit", &JsValue::from(options.limit));
            for (name, value) in [
                ("prefix", &options.prefix),
                ("delimiter", &options.delimiter),
                ("cursor", &options.cursor),
                ("startAfter", &options.start_after),
            ] {
                if let Some(v) = value {
                    js::set(&opts, name, &JsValue::from_str(v));
                }
            }
            let listed = wait(bucket.list(opts.into())).await?;
            let objects = Array::from(&js::get(&listed, "objects"))
                .iter()
                .map(|o| info(&o))
                .collect();
            let prefixes = Array::from(&js::get(&listed, "delimitedPrefixes"))
                .iter()
                .filter_map(|p| p.as_string())
                .collect();
            let page = ListPage {
                objects,
                prefixes,
                truncated: js::get(&listed, "truncated").as_bool().unwrap_or(false),
                cursor: js::get_string(&listed, "cursor"),
            };
            Ok(answer(call.output(page)?, AnswerBody::Empty))
        }
        R2Call::Get(read) => {
            let value = get(bucket, &read.key, &read.conditions, read.range.map(to_r2)).await?;
            let info = info(&value);
            let stream = body_of(&value);
            match read.conditions.evaluate(&info.etag, info.uploaded_ms) {
                Verdict::NotModified => {
                    cancel(stream);
                    return Ok(answer(object::not_modified(&info), AnswerBody::Empty));
                }
                Verdict::PreconditionFailed => {
                    cancel(stream);
                    return Err(precondition_failed());
                }
                Verdict::Proceed => {}
            }
            // R2 refused what the conditions here allow (it compares dates more finely).
            let Some(stream) = stream else {
                return Err(precondition_failed());
            };
            let range = match read.range.map(|r| r.resolve(info.size)).transpose() {
                Ok(r) => r,
                Err(e) => {
                    let _ = stream.cancel();
                    return Err(e);
                }
            };
            let head = object::get_output(&info, range, &read.overrides)?;
            Ok(answer(head, AnswerBody::Stream(stream)))
        }
        R2Call::Head(read) => {
            let value = wait(bucket.head(read.key.clone())).await?;
            if value.is_null() || value.is_undefined() {
                return Err(no_such_key());
            }
            let info = info(&value);
            match read.conditions.evaluate(&info.etag, info.uploaded_ms) {
                Verdict::NotModified => {
                    return Ok(answer(object::not_modified(&info), AnswerBody::Empty));
                }
                Verdict::PreconditionFailed => return Err(precondition_failed()),
                Verdict::Proceed => {}
            }
            let range = read.range.map(|r| r.resolve(info.size)).transpose()?;
            Ok(answer(
                object::head_output(&info, range, &read.overrides)?,
                AnswerBody::Empty,
            ))
        }
        R2Call::Put(write) => {
            let stored = put(bucket, &write, &write.http, &write.custom, value_of(body)).await?;
            Ok(answer(object::put_output(&stored)?, AnswerBody::Empty))
        }
        R2Call::Delete { key } => {
            discard(body);
            wait(bucket.delete(key)).await?;
            Ok(answer(
                parts(DeleteObjectOutput::default().to_http())?,
                AnswerBody::Empty,
            ))
        }
        R2Call::DeleteMany { keys, quiet } => {
            let list: Vec<JsValue> = keys.iter().map(|k| JsValue::from_str(k)).collect();
            wait(bucket.delete_multiple(list)).await?;
            let output = DeleteObjectsOutput {
                deleted: if quiet {
                    Vec::new()
                } else {
                    keys.into_iter()
                        .map(|key| DeletedObject {
                            key: Some(key),
                            ..DeletedObject::default()
                        })
                        .collect()
                },
                ..DeleteObjectsOutput::default()
            };
            Ok(answer(parts(output.to_http())?, AnswerBody::Empty))
        }
        R2Call::Copy {
            source,
            target,
            replace_metadata,
        } => {
            discard(body);
            let (src, stream, length) = read_source(bucket, &source).await?;
            let (http, custom) = if replace_metadata {
                (&target.http, &target.custom)
            } else {
                (&src.http, &src.custom)
            };
            let value = fixed(&stream, length)?;
            let stored = put(bucket, &target, http, custom, value.into()).await?;
            Ok(answer(object::copy_output(&stored)?, AnswerBody::Empty))
        }
        R2Call::CreateMultipart {
            bucket: name,
            key,
            http,
            custom,
        } => {
            let opts = Object::new();
            js::set(&opts, "httpMetadata", &http_metadata(&http));
            js::set(&opts, "customMetadata", &custom_metadata(&custom));
            let upload = wait(bucket.create_multipart_upload(key.clone(), opts.into())).await?;
            let upload_id = js::get_string(&upload, "uploadId")
                .ok_or_else(|| StoreError::internal("R2 gave no upload id"))?;
            Ok(answer(
                object::create_multipart_output(&name, &key, &upload_id)?,
                AnswerBody::Empty,
            ))
        }
        R2Call::UploadPart {
            key,
            upload_id,
            part_number,
        } => {
            let upload = resume(bucket, &key, &upload_id)?;
            let part = wait(upload.upload_part(part_number, value_of(body))).await?;
            let etag = js::get_string(&part, "etag")
                .ok_or_else(|| StoreError::internal("R2 gave no part etag"))?;
            Ok(answer(
                object::upload_part_output(&etag)?,
                AnswerBody::Empty,
            ))
        }
        R2Call::UploadPartCopy {
            key,
            upload_id,
            part_number,
            source,
        } => {
            discard(body);
            let (_, stream, length) = read_source(bucket, &source).await?;
            let upload = resume(bucket, &key, &upload_id)?;
            let value = fixed(&stream, length)?;
            let part = wait(upload.upload_part(part_number, value.into())).await?;
            let etag = js::get_string(&part, "etag")
                .ok_or_else(|| StoreError::internal("R2 gave no part etag"))?;
            Ok(answer(
                object::upload_part_copy_output(&etag, now)?,
                AnswerBody::Empty,
            ))
        }
        R2Call::Complete {
            bucket: name,
            key,
            upload_id,
            parts: listed,
        } => {
            let upload = resume(bucket, &key, &upload_id)?;
            let uploaded: Vec<JsValue> = listed
                .iter()
                .map(|(n, etag)| {
                    let part = Object::new();
                    js::set(&part, "partNumber", &JsValue::from(*n));
                    js::set(&part, "etag", &JsValue::from_str(etag));
                    part.into()
                })
                .collect();
            let stored = wait(upload.complete(uploaded)).await?;
            Ok(answer(
                object::complete_output(&name, &info(&stored))?,
                AnswerBody::Empty,
            ))
        }
        R2Call::Abort { key, upload_id } => {
            let upload = resume(bucket, &key, &upload_id)?;
            wait(upload.abort()).await?;
            Ok(answer(
                parts(AbortMultipartUploadOutput::default().to_http())?,
                AnswerBody::Empty,
            ))
        }
    }
}

fn no_such_key() -> StoreError {
    StoreError::no_such_key("The specified key does not exist.")
}

fn precondition_failed() -> StoreError {
    StoreError::precondition_failed("At least one of the pre-conditions you specified did not hold")
}

fn cancel(stream: Option<ReadableStream>) {
    if let Some(s) = stream {
        let _ = s.cancel();
    }
}

/// `stream` with its length known to the runtime.
fn fixed(stream: &ReadableStream, length: u64) -> StoreResult<ReadableStream> {
    streams::fixed_length(stream, length)
        .map_err(|e| StoreError::internal(format!("cannot stream the copy: {}", js::message(&e))))
}

fn resume(bucket: &R2Bucket, key: &str, upload_id: &str) -> StoreResult<R2MultipartUpload> {
    bucket
        .resume_multipart_upload(key.to_owned(), upload_id.to_owned())
        .map(JsCast::unchecked_into)
        .map_err(|e| r2_error(&e))
}

/// `get(key, { onlyIf, range })`: an `R2ObjectBody`, or an `R2Object` without a body when
/// R2 refused the conditions. `NoSuchKey` when absent.
async fn get(
    bucket: &R2Bucket,
    key: &str,
    conditions: &ReadConditions,
    range: Option<R2Range>,
) -> StoreResult<JsValue> {
    let opts = Object::new();
    if !conditions.is_empty() {
        js::set(&opts, "onlyIf", &headers(&conditions.to_headers())?.into());
    }
    if let Some(r) = range {
        let range = Object::new();
        for (name, value) in [
            ("offset", r.offset),
            ("length", r.length),
            ("suffix", r.suffix),
        ] {
            if let Some(v) = value {
                // R2 takes numbers; object sizes stay far below 2^53.
                js::set(&range, name, &JsValue::from_f64(v as f64));
            }
        }
        js::set(&opts, "range", &range.into());
    }
    let value = wait(bucket.get(key.to_owned(), opts.into())).await?;
    if value.is_null() || value.is_undefined() {
        return Err(no_such_key());
    }
    Ok(value)
}

/// The source of a copy: its metadata, its body stream, and the length of that body. Any
/// failed `x-amz-copy-source-if-*` condition is 412.
async fn read_source(
    bucket: &R2Bucket,
    source: &crate::r2::SourceRead,
) -> StoreResult<(ObjectInfo, ReadableStream, u64)> {
    let value = get(
        bucket,
        &source.key,
        &source.conditions,
        source.range.map(to_r2),
    )
    .await?;
    let info = info(&value);
    let stream = body_of(&value);
    if source.conditions.evaluate(&info.etag, info.uploaded_ms) != Verdict::Proceed {
        cancel(stream);
        return Err(precondition_failed());
    }
    let Some(stream) = stream else {
        return Err(precondition_failed());
    };
    let length = match source.range.map(|r| r.resolve(info.size)).transpose() {
        Ok(Some((_, len))) => len,
        Ok(None) => info.size,
        Err(e) => {
            let _ = stream.cancel();
            return Err(e);
        }
    };
    Ok((info, stream, length))
}

/// `put(key, value, { httpMetadata, customMetadata, <digest>, onlyIf })`.
async fn put(
    bucket: &R2Bucket,
    write: &WriteCall,
    http: &HttpMeta,
    custom: &BTreeMap<String, String>,
    value: JsValue,
) -> StoreResult<ObjectInfo> {
    let opts = Object::new();
    js::set(&opts, "httpMetadata", &http_metadata(http));
    js::set(&opts, "customMetadata", &custom_metadata(custom));
    if let Some(digest) = &write.digest {
        let (name, bytes) = match digest {
            Digest::Md5(b) => ("md5", b),
            Digest::Sha1(b) => ("sha1", b),
            Digest::Sha256(b) => ("sha256", b),
        };
        js::set(
            &opts,
            name,
            &Uint8Array::from(bytes.as_slice()).buffer().into(),
        );
    }
    if !write.conditions.is_empty() {
        js::set(
            &opts,
            "onlyIf",
            &headers(&write.conditions.to_headers())?.into(),
        );
    }
    let stored = wait(bucket.put(write.key.clone(), value, opts.into())).await?;
    if stored.is_null() || stored.is_undefined() {
        return Err(precondition_failed());
    }
    Ok(info(&stored))
}

fn headers(pairs: &[(&'static str, String)]) -> StoreResult<web_sys::Headers> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(v) = http::HeaderValue::from_str(value) {
            map.append(*name, v);
        }
    }
    js::to_js_headers(&map, &[]).map_err(|e| StoreError::invalid_argument(js::message(&e)))
}

fn http_metadata(m: &HttpMeta) -> JsValue {
    let obj = Object::new();
    for (name, value) in [
        ("contentType", &m.content_type),
        ("contentLanguage", &m.content_language),
        ("contentDisposition", &m.content_disposition),
        ("contentEncoding", &m.content_encoding),
        ("cacheControl", &m.cache_control),
    ] {
        if let Some(v) = value {
            js::set(&obj, name, &JsValue::from_str(v));
        }
    }
    if let Some(ms) = m.expires_ms {
        js::set(
            &obj,
            "cacheExpiry",
            &js_sys::Date::new(&JsValue::from_f64(ms as f64)).into(),
        );
    }
    obj.into()
}

fn custom_metadata(m: &BTreeMap<String, String>) -> JsValue {
    let obj = Object::new();
    for (k, v) in m {
        js::set(&obj, k, &JsValue::from_str(v));
    }
    obj.into()
}

/// The body stream of an `R2ObjectBody` (`None` for a bodiless `R2Object`).
fn body_of(value: &JsValue) -> Option<ReadableStream> {
    js::get(value, "body").dyn_into::<ReadableStream>().ok()
}

fn date_ms(value: &JsValue) -> Option<i64> {
    value
        .dyn_ref::<js_sys::Date>()
        .map(|d| d.get_time())
        .filter(|t| t.is_finite())
        .map(|t| t as i64)
}

/// An `R2Object`'s metadata.
fn info(value: &JsValue) -> ObjectInfo {
    let http = js::get(value, "httpMetadata");
    let text = |name: &str| js::get_string(&http, name);
    ObjectInfo {
        key: js::get_string(value, "key").unwrap_or_default(),
        size: js::get_f64(value, "size").map_or(0, |s| s as u64),
        etag: js::get_string(value, "etag").unwrap_or_default(),
        uploaded_ms: date_ms(&js::get(value, "uploaded")).unwrap_or(0),
        http: HttpMeta {
            content_type: text("contentType"),
            content_language: text("contentLanguage"),
            content_disposition: text("contentDisposition"),
            content_encoding: text("contentEncoding"),
            cache_control: text("cacheControl"),
            expires_ms: date_ms(&js::get(&http, "cacheExpiry")),
        },
        custom: js::string_entries(&js::get(value, "customMetadata"))
            .into_iter()
            .collect(),
    }
}
