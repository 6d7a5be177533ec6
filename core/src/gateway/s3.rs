//! The S3 request flow: address → route → authenticate → (read a small body) → bind →
//! authorize → answer locally or forward.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};
use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::authz::{self, Identity};
use crate::codec::http::{BindingError, BodyKind, HttpRequest};
use crate::codec::path::S3Path;
use crate::codec::route::RouteRequest;
use crate::codec::xml::XmlError;
use crate::error::Error;
use crate::registry::BucketTarget;
use crate::s3::{S3Operation, S3Request, S3Response, route};
use crate::sigv4::ParsedAuth;

use super::addressing::address;
use super::authenticate::{Authenticated, authenticate, parse_signature};
use super::backend::{BackendCall, build};
use super::body::{buffered_decoding, stream_plan};
use super::namespace::Namespace;
use super::plan::{Forward, NeedsBody, Plan, RequestBody, Response, ResponseMode};
use super::request::{RequestHead, parse_query};
use super::summary::Summary;
use super::{Inner, error_plan};

/// The most bytes of a backend answer the gateway buffers to rewrite it (a list page).
const REWRITE_LIMIT: u64 = 32 << 20;

/// The XML body a forwarded request carries.
pub(crate) enum XmlBody {
    /// The client's bytes, unchanged.
    AsSent(Bytes),
    /// Written by the gateway from the typed request (after keys were removed or prefixed).
    Regenerated,
}

/// A hook that adjusts a rewritten response before it is written (DeleteObjects adds the
/// keys the gateway refused).
pub(crate) type ResponseHook = Box<dyn FnOnce(&mut S3Response) + Send>;

/// What [`Inner::address_and_route`] read from a request head.
pub(crate) struct Addressed {
    pub path: S3Path,
    pub query: Vec<(String, String)>,
    pub op: S3Operation,
    /// The signature, parsed but not verified (`None`: anonymous).
    pub signature: Option<ParsedAuth>,
}

/// A request on its way through the S3 flow.
pub(crate) struct S3Call {
    pub head: RequestHead,
    pub path: S3Path,
    pub query: Vec<(String, String)>,
    pub op: S3Operation,
    pub auth: Authenticated,
}

impl Inner {
    /// Everything up to the body: may ask the runtime for a small body first.
    /// `trace` receives what the access log says of the request as the flow learns it: the
    /// bucket and key, the operation, the access key id claimed, and the caller's name once
    /// its signature verified (nothing is parsed twice for the log).
    pub(crate) fn resolve_s3(
        self: &Arc<Self>,
        head: RequestHead,
        trace: &mut Summary,
    ) -> Result<Plan, Error> {
        self.resolve_s3_at(head, 0, trace)
    }

    /// [`Self::resolve_s3`], after `depth` credential exchanges for this request.
    pub(crate) fn resolve_s3_at(
        self: &Arc<Self>,
        head: RequestHead,
        depth: u8,
        trace: &mut Summary,
    ) -> Result<Plan, Error> {
        let Addressed {
            path,
            query,
            op,
            signature,
        } = self.address_and_route(&head, trace)?;
        let regions = std::slice::from_ref(&self.settings.region);
        let auth = authenticate(
            &head,
            &query,
            signature,
            self.credentials.as_ref(),
            self.sessions.as_deref(),
            regions,
            "s3",
        )?;
        if let Identity::Principal(p) = &auth.identity {
            trace.principal = Some(p.name.clone());
        }
        // Backends with `auth = "oidc"` get their credentials before anything else (a body
        // cannot be read twice); the request is resolved again once they are there.
        if let Some(plan) = self.ensure_backend_credentials(&head, &path, &auth, depth)? {
            return Ok(plan);
        }
        let call = S3Call {
            head,
            path,
            query,
            op,
            auth,
        };
        if !matches!(op.info().input_body, BodyKind::Xml | BodyKind::Raw) {
            return self.dispatch(call, None);
        }
        // Nobody reads a body for a caller that could never be allowed to send it.
        if call.auth.identity == Identity::Anonymous {
            return Err(Error::Denied(authz::Denied::Anonymous(
                authz::Check::bucket(
                    call.path.bucket.as_deref().unwrap_or_default(),
                    authz::Action::PutObject,
                ),
            )));
        }
        if let Some(bucket) = call.path.bucket.as_deref()
            && op != S3Operation::CreateBucket
        {
            self.lookup(bucket)?;
        }
        let decode = buffered_decoding(&call.auth, &call.head.headers)?;
        let inner = Arc::clone(self);
        Ok(Plan::NeedsBody(NeedsBody {
            limit: self.settings.limits.max_xml_body_bytes,
            decode,
            then: Box::new(move |body| {
                let (request_id, resource, is_head) = (
                    call.head.request_id.clone(),
                    call.head.raw_path.clone(),
                    false,
                );
                inner
                    .dispatch(call, Some(body))
                    .unwrap_or_else(|e| inner.error_plan(&e, &request_id, &resource, is_head))
            }),
        }))
    }

    /// The flow's first steps, which need no secret: address, query, route and the parse of
    /// the signature. `trace` receives the bucket, key, operation and claimed access key id
    /// even when a later step fails (a broken query string is read as no parameters for it),
    /// so a refused request is logged with what could be read.
    pub(crate) fn address_and_route(
        &self,
        head: &RequestHead,
        trace: &mut Summary,
    ) -> Result<Addressed, Error> {
        let path = address(
            head.header("host"),
            &head.raw_path,
            &self.settings.virtual_host_domains,
        )?;
        trace.bucket.clone_from(&path.bucket);
        trace.key.clone_from(&path.key);
        let query = parse_query(&head.raw_query);
        let params = query.as_deref().unwrap_or_default();
        let routed = route(&RouteRequest {
            method: head.method.as_str(),
            shape: path.shape,
            query: params,
            headers: &head.headers,
        });
        trace.operation = routed.as_ref().ok().map(|op| op.name());
        let signature = parse_signature(head, params);
        if let Ok(Some(parsed)) = &signature {
            trace.access_key_id = Some(parsed.access_key_id.clone());
        }
        // The errors in the order of the steps.
        Ok(Addressed {
            query: query?,
            op: routed?,
            signature: signature?,
            path,
        })
    }

    pub(crate) fn lookup(&self, bucket: &str) -> Result<BucketTarget, Error> {
        self.buckets.lookup(bucket).ok_or(Error::NoSuchBucket)
    }

    fn anonymous_read(&self, bucket: &str) -> bool {
        self.buckets
            .lookup(bucket)
            .is_some_and(|t| t.anonymous_read)
    }

    /// Binds the request, authorizes it, and answers or forwards it.
    fn dispatch(self: &Arc<Self>, call: S3Call, body: Option<Bytes>) -> Result<Plan, Error> {
        if let (Some(body), Some(signature)) = (&body, &call.auth.signature) {
            let digest: [u8; 32] = Sha256::digest(body).into();
            signature.parsed.payload.check_body_sha256(&digest)?;
        }
        let http = HttpRequest {
            method: &call.head.method,
            bucket: call.path.bucket.as_deref(),
            key: call.path.key.as_deref(),
            query: &call.query,
            headers: &call.head.headers,
        };
        let request = S3Request::from_http(call.op, &http, body.as_deref())?;
        match &request {
            S3Request::ListBuckets(_) => return self.list_buckets(&call),
            S3Request::CreateBucket(_) | S3Request::DeleteBucket(_) => {
                return self.bucket_lifecycle(call, request, body);
            }
            _ => {}
        }
        let bucket = call.path.bucket.clone().unwrap_or_default();
        let target = self.lookup(&bucket)?;
        let access = authz::required_access(&request).map_err(|e| Error::InvalidArgument {
            name: "x-amz-copy-source",
            message: e.to_string(),
        })?;
        authz::authorize_all(&call.auth.identity, |b| self.anonymous_read(b), &access)?;
        // DeleteObjects passed its bucket-level check; its keys are authorized one by one.
        if let S3Request::DeleteObjects(delete) = request {
            return self.delete_objects(call, target, delete);
        }
        match request {
            S3Request::GetBucketLocation(_) => Ok(self.bucket_location(&call)),
            // A configured bucket's CORS rules are the gateway's (it enforces them), not the
            // shared backend bucket's; only a pass-through bucket is the client's own.
            S3Request::GetBucketCors(_) if !target.pass_through => self.bucket_cors(&call, &target),
            S3Request::PutBucketCors(_) | S3Request::DeleteBucketCors(_)
                if !target.pass_through =>
            {
                Err(Error::NotImplemented(
                    "the CORS rules of this bucket are set in the gateway's configuration",
                ))
            }
            S3Request::CopyObject(_) | S3Request::UploadPartCopy(_) => {
                self.copy(call, target, request)
            }
            request => self.forward(call, &target, request, body),
        }
    }

    /// Forwards a request to its bucket's backend.
    pub(crate) fn forward(
        self: &Arc<Self>,
        call: S3Call,
        target: &BucketTarget,
        request: S3Request,
        client_body: Option<Bytes>,
    ) -> Result<Plan, Error> {
        let body = match call.op.info().input_body {
            BodyKind::Xml | BodyKind::Raw => Some(XmlBody::AsSent(client_body.unwrap_or_default())),
            _ => None,
        };
        self.forward_with(call, target, request, body, None)
    }

    /// Forwards with a chosen XML body and response handling.
    pub(crate) fn forward_with(
        self: &Arc<Self>,
        call: S3Call,
        target: &BucketTarget,
        mut request: S3Request,
        xml_body: Option<XmlBody>,
        response: Option<ResponseMode>,
    ) -> Result<Plan, Error> {
        let ns = namespace(target);
        ns.request_to_backend(&mut request);
        let mut extra_headers = HeaderMap::new();
        let regenerated = matches!(xml_body, Some(XmlBody::Regenerated));
        let (body, payload_hash, chunked) = match xml_body {
            Some(XmlBody::AsSent(bytes)) => {
                let hash = hex::encode(Sha256::digest(&bytes));
                (RequestBody::Buffered(bytes), hash, false)
            }
            Some(XmlBody::Regenerated) => {
                let bytes = request.to_http()?.body.unwrap_or_default();
                extra_headers.insert(HeaderName::from_static("content-md5"), content_md5(&bytes));
                let hash = hex::encode(Sha256::digest(&bytes));
                (RequestBody::Buffered(bytes), hash, false)
            }
            None if call.op.info().input_body == BodyKind::Streaming => {
                let plan = stream_plan(
                    &call.auth,
                    &call.head.headers,
                    self.settings.limits.max_upload_bytes,
                )?;
                (plan.body, plan.payload_hash, plan.chunked_to_backend)
            }
            None => (
                RequestBody::Empty,
                crate::sigv4::EMPTY_SHA256.to_owned(),
                false,
            ),
        };
        let mut backend = build(&BackendCall {
            backend: &target.backend,
            store: &target.client_name,
            request: &request,
            client_headers: &call.head.headers,
            chunked_to_backend: chunked,
            body_regenerated: regenerated,
            extra_headers,
            payload_hash: &payload_hash,
            now: call.head.now,
            federated: self.federated_for(target, call.head.now)?.as_deref(),
        })?;
        // A buffered body goes to the backend exactly as chosen above (for one sent unchanged,
        // its Content-MD5 and checksums still hold).
        if let RequestBody::Buffered(bytes) = &body {
            backend.s3.body = Some(bytes.clone());
        }
        let response = response.unwrap_or_else(|| {
            if ns.response_needs_rewrite(call.op) {
                rewrite(call.op, ns, call.head.request_id.clone(), None)
            } else {
                ResponseMode::PassThrough
            }
        });
        Ok(Plan::Forward(Box::new(Forward {
            request: backend,
            body,
            response,
            request_id: call.head.request_id,
            client_method: call.head.method,
            // Added for the whole plan by `Gateway::resolve`.
            cors: None,
        })))
    }

    /// A locally built response with our request id.
    pub(crate) fn respond(
        &self,
        call: &S3Call,
        status: StatusCode,
        mut headers: HeaderMap,
        body: Bytes,
    ) -> Plan {
        if let Ok(id) = HeaderValue::from_str(&call.head.request_id) {
            headers.insert("x-amz-request-id", id);
        }
        Plan::Respond(Response::new(status, headers, body))
    }
}

/// The namespace of a bucket target.
pub(crate) fn namespace(target: &BucketTarget) -> Namespace {
    Namespace {
        client_bucket: target.client_name.clone(),
        backend_bucket: target.backend_bucket.clone(),
        prefix: target.prefix.clone(),
    }
}

/// Rewrites a successful backend answer of `op` into the client's namespace.
pub(crate) fn rewrite(
    op: S3Operation,
    ns: Namespace,
    request_id: String,
    hook: Option<ResponseHook>,
) -> ResponseMode {
    ResponseMode::Rewrite {
        limit: REWRITE_LIMIT,
        then: Box::new(move |status, headers, body| {
            let client_headers = || {
                let mut out = HeaderMap::new();
                for (name, value) in &headers {
                    if name != CONTENT_LENGTH
                        && crate::policy::headers::response_header_passes(name.as_str())
                    {
                        out.insert(name.clone(), value.clone());
                    }
                }
                out
            };
            let with_id = |mut out: HeaderMap| {
                if let Ok(id) = HeaderValue::from_str(&request_id) {
                    out.insert("x-amz-request-id", id);
                }
                out
            };
            let parsed = S3Response::from_http(op, &headers, Some(&body));
            // S3 can answer 200 with an `<Error>` document (CompleteMultipartUpload); SDKs
            // look for it, so it is relayed as sent.
            if let Err(BindingError::Xml(XmlError::UnexpectedRoot { found, .. })) = &parsed
                && found == "Error"
            {
                return Response::new(status, with_id(client_headers()), body);
            }
            let result = parsed
                .map_err(|e| Error::BadGateway(e.to_string()))
                .and_then(|mut response| {
                    ns.response_to_client(&mut response);
                    if let Some(hook) = hook {
                        hook(&mut response);
                    }
                    response.to_http().map_err(Error::from)
                });
            match result {
                Ok(parts) => {
                    let mut out = client_headers();
                    out.extend(parts.headers);
                    Response::new(status, with_id(out), parts.body.unwrap_or_default())
                }
                Err(e) => error_plan_response(&e, &request_id),
            }
        }),
    }
}

fn error_plan_response(e: &Error, request_id: &str) -> Response {
    match error_plan(e, request_id, "", false, false) {
        Plan::Respond(r) => r,
        _ => Response::new(StatusCode::BAD_GATEWAY, HeaderMap::new(), Bytes::new()),
    }
}

/// Content-MD5 of a body the gateway wrote itself.
pub(crate) fn content_md5(body: &[u8]) -> HeaderValue {
    use base64::Engine as _;
    let digest = Md5::digest(body);
    HeaderValue::from_str(&base64::engine::general_purpose::STANDARD.encode(digest))
        .unwrap_or(HeaderValue::from_static(""))
}
