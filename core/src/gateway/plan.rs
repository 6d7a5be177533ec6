//! Plans: what the gateway tells a runtime to do with a request. The runtime never needs to
//! know S3; it only executes these.
//!
//! ```text
//! resolve(head) ─▶ Respond(response)                 send it
//!               ─▶ Forward(forward)                  send forward.request to the backend with
//!                                                    forward.body; relay or rewrite the answer
//!               ─▶ NeedsBody { limit, decode, then } read ≤ limit bytes (decoded), call then(body)
//!               ─▶ Pipe(pipe)                        stream a backend's answer into another
//!               ─▶ Fetch(fetch)                      a small buffered HTTP exchange (OIDC
//!                                                    discovery, a JWKS, a backend's STS), then
//!                                                    call then(result) for the next plan
//! ```

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::chunked::{ChunkLimits, ChunkMode};
use crate::codec::http::OutboundRequest;
use crate::policy::headers::response_header_passes;

/// A complete response built by the gateway.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }
}

/// The continuation after a body has been read.
pub type BodyContinuation = Box<dyn FnOnce(Bytes) -> Plan + Send>;

/// The continuation after a backend answered, for responses the gateway rewrites.
pub type ResponseContinuation = Box<dyn FnOnce(StatusCode, HeaderMap, Bytes) -> Response + Send>;

/// What to do next.
pub enum Plan {
    /// Send this response.
    Respond(Response),
    /// Send a request to a backend.
    Forward(Box<Forward>),
    /// Read the client's body, then continue.
    NeedsBody(NeedsBody),
    /// Stream one backend's answer into another backend (a copy across backends).
    Pipe(Box<Pipe>),
    /// Make a small HTTP request of the gateway's own, then continue with its answer.
    Fetch(Box<Fetch>),
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Respond(r) => f.debug_tuple("Respond").field(&r.status).finish(),
            Self::Forward(fw) => f
                .debug_tuple("Forward")
                .field(&fw.request.method)
                .field(&fw.request.url)
                .finish(),
            Self::NeedsBody(n) => f
                .debug_struct("NeedsBody")
                .field("limit", &n.limit)
                .finish(),
            Self::Pipe(p) => f
                .debug_tuple("Pipe")
                .field(&p.source.method)
                .field(&p.source.url)
                .finish(),
            Self::Fetch(fetch) => f
                .debug_tuple("Fetch")
                .field(&fetch.request.method)
                .field(&fetch.request.url)
                .finish(),
        }
    }
}

/// Read the client's body (at most `limit` bytes after decoding; more is an error the
/// runtime reports with [`crate::error::Error::BodyTooLarge`]) and hand it to `then`.
pub struct NeedsBody {
    pub limit: u64,
    /// How the body is framed on the wire.
    pub decode: BodyDecoding,
    pub then: BodyContinuation,
}

/// How a client body is framed.
#[derive(Clone, Debug)]
pub enum BodyDecoding {
    /// Bytes as sent.
    Plain,
    /// aws-chunked: decode (and verify, when signed) with these settings.
    Chunked {
        mode: ChunkMode,
        limits: ChunkLimits,
        expected_length: Option<u64>,
    },
}

/// Which kind of backend a request goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// An S3-compatible endpoint over HTTP(S); use `BackendRequest::url` and `headers`.
    Http,
    /// A store inside the runtime (local directory, memory, R2 binding), named by the bucket's
    /// configuration; use `BackendRequest::s3`.
    Embedded { store: String },
}

/// A request for a backend.
#[derive(Clone, Debug)]
pub struct BackendRequest {
    pub kind: BackendKind,
    /// The operation this request performs (embedded stores execute it by name).
    pub operation: crate::s3::S3Operation,
    pub method: Method,
    /// The full URL (HTTP backends), path and query encoded.
    pub url: String,
    /// Headers to send (HTTP backends): signed, with `host`; no `content-length` (the runtime
    /// sets it from the body it sends).
    pub headers: HeaderMap,
    /// The same request in S3 terms (backend bucket, prefixed key, query, unsigned headers):
    /// what an embedded store executes.
    pub s3: OutboundRequest,
}

/// Where a backend request's body comes from.
#[derive(Clone, Debug)]
pub enum RequestBody {
    Empty,
    Buffered(Bytes),
    /// The client's body, streamed as received. `length` is the client's Content-Length.
    Stream {
        length: Option<u64>,
    },
    /// The client's aws-chunked body, decoded (signatures verified) and sent on as
    /// `reframe` says. `length` is the decoded length.
    Decoded {
        mode: ChunkMode,
        limits: ChunkLimits,
        length: Option<u64>,
        reframe: Reframe,
    },
    /// The body of the source answer of a [`Pipe`], streamed. `length` is its Content-Length.
    FromSource {
        length: Option<u64>,
    },
}

/// How decoded aws-chunked data is framed toward the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reframe {
    /// A plain body of the decoded length.
    Plain,
    /// Unsigned aws-chunked with the client's trailers (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
    UnsignedChunksWithTrailer,
}

/// How the backend's answer reaches the client.
pub enum ResponseMode {
    /// Relay the status, the headers that pass the policy, and the body stream.
    PassThrough,
    /// Buffer a successful (2xx) body of at most `limit` bytes and let `then` build the
    /// client response; other statuses are relayed as in `PassThrough`.
    Rewrite {
        limit: u64,
        then: ResponseContinuation,
    },
}

/// A request to forward.
pub struct Forward {
    pub request: BackendRequest,
    pub body: RequestBody,
    pub response: ResponseMode,
    /// Echoed to the client in `x-amz-request-id`.
    pub request_id: String,
    /// The client's method: a HEAD answer has no body.
    pub client_method: Method,
    /// The CORS headers of the client's bucket for this request (see
    /// [`super::cors`]); `client_head` and a rewrite add them. A runtime adds them with
    /// [`Forward::add_cors`] to a response it builds itself (an unreachable backend).
    pub cors: Option<HeaderMap>,
}

impl Forward {
    /// The status and headers to send the client for a relayed backend answer: backend
    /// headers that pass the header policy, plus our request id and CORS headers.
    pub fn client_head(&self, status: StatusCode, backend: &HeaderMap) -> (StatusCode, HeaderMap) {
        let mut headers = HeaderMap::new();
        for (name, value) in backend {
            if response_header_passes(name.as_str()) {
                headers.append(name.clone(), value.clone());
            }
        }
        if let Ok(id) = HeaderValue::from_str(&self.request_id) {
            headers.insert("x-amz-request-id", id);
        }
        self.add_cors(&mut headers);
        (status, headers)
    }

    /// Adds this request's CORS headers, if any, to a response's headers.
    pub fn add_cors(&self, headers: &mut HeaderMap) {
        if let Some(cors) = &self.cors {
            super::cors::add_headers(headers, cors);
        }
    }
}

/// A copy across backends: read the source, then write it to the target while it streams.
pub struct Pipe {
    /// The GET of the source object.
    pub source: BackendRequest,
    /// Given the source's status and headers: the write to send with
    /// [`RequestBody::FromSource`], or the response to give when the source failed.
    pub then: PipeContinuation,
}

/// The continuation of a [`Pipe`] once the source answered.
pub type PipeContinuation = Box<dyn FnOnce(StatusCode, &HeaderMap) -> PipeNext + Send>;

/// What follows the source's answer in a [`Pipe`].
pub enum PipeNext {
    Write(Box<Forward>),
    Respond(Response),
}

/// A request the gateway makes for itself: a GET of an OIDC discovery document or a JWKS, a
/// POST of `AssumeRoleWithWebIdentity` to a backend's STS. Small and buffered both ways.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// `GET` or `POST`.
    pub method: Method,
    /// An absolute `http` or `https` URL.
    pub url: String,
    /// Headers to send; the runtime adds `host` and `content-length`.
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A fetch's answer: any status (a 4xx is an answer, not an error), its headers and body.
pub type FetchResponse = (StatusCode, HeaderMap, Bytes);

/// Why a fetch produced no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("cannot reach {0}")]
    Unavailable(String),
    #[error("no answer in time")]
    Timeout,
    #[error("the answer is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the exchange broke: {0}")]
    Protocol(String),
    /// The runtime cannot make requests of its own.
    #[error("this runtime does not make requests of its own")]
    Unsupported,
}

/// The continuation after a fetch.
pub type FetchContinuation = Box<dyn FnOnce(Result<FetchResponse, FetchError>) -> Plan + Send>;

/// Make `request`, read at most `limit` bytes of the answer (more is
/// [`FetchError::TooLarge`]), and hand the result to `then`.
pub struct Fetch {
    pub request: FetchRequest,
    pub limit: u64,
    /// Fetches with the same key may share one exchange: a runtime that has one in flight for
    /// this key may wait for it and hand every waiter a copy of its answer instead of sending
    /// again (the native runtime does). This is how concurrent cold misses of the gateway's
    /// caches (a JWKS, a backend credential) make one request. Runtimes may ignore it.
    pub coalesce: Option<String>,
    pub then: FetchContinuation,
}

impl Fetch {
    /// A plan that fetches and continues.
    pub fn plan(
        request: FetchRequest,
        limit: u64,
        coalesce: Option<String>,
        then: impl FnOnce(Result<FetchResponse, FetchError>) -> Plan + Send + 'static,
    ) -> Plan {
        Plan::Fetch(Box::new(Fetch {
            request,
            limit,
            coalesce,
            then: Box::new(then),
        }))
    }
}
