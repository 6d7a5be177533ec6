//! Request bodies: how a client's body reaches the backend, by the payload mode its
//! signature declared, and what payload hash the backend signature then carries. No body is
//! hashed on the way through unless the protocol requires it.
//!
//! | client payload                         | to the backend                          | backend payload hash                  |
//! |----------------------------------------|-----------------------------------------|---------------------------------------|
//! | `UNSIGNED-PAYLOAD` (or anonymous)      | streamed as is                          | `UNSIGNED-PAYLOAD`                    |
//! | a literal sha256                       | streamed as is                          | the same sha256: the backend verifies |
//! | `STREAMING-UNSIGNED-PAYLOAD-TRAILER`   | streamed as is (aws-chunked, trailers)  | the same sentinel                     |
//! | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`   | decoded, chunk signatures verified, plain | `UNSIGNED-PAYLOAD`                  |
//! | `…-PAYLOAD-TRAILER`                    | decoded, verified, re-framed unsigned with the trailers | `STREAMING-UNSIGNED-PAYLOAD-TRAILER` |

use http::HeaderMap;

use crate::chunked::{ChunkLimits, ChunkMode};
use crate::error::Error;
use crate::sigv4::PayloadMode;

use super::authenticate::Authenticated;
use super::plan::{BodyDecoding, Reframe, RequestBody};

/// How a streamed body crosses, and the headers that change with it.
#[derive(Clone, Debug)]
pub struct StreamPlan {
    pub body: RequestBody,
    /// The `x-amz-content-sha256` of the backend signature.
    pub payload_hash: String,
    /// The body stays aws-chunked toward the backend: keep `Content-Encoding: aws-chunked`,
    /// `x-amz-decoded-content-length` and `x-amz-trailer`.
    pub chunked_to_backend: bool,
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<Option<u64>, Error> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or(Error::InvalidArgument {
                    name: "Content-Length",
                    message: format!("{name} is not a number"),
                })
        })
        .transpose()
}

/// The plan for a streaming upload body (PutObject, UploadPart), checked against the
/// upload limit before anything is sent.
pub fn stream_plan(
    auth: &Authenticated,
    headers: &HeaderMap,
    max_upload_bytes: u64,
) -> Result<StreamPlan, Error> {
    let content_length = header_u64(headers, "content-length")?;
    let decoded_length = header_u64(headers, "x-amz-decoded-content-length")?;
    let payload = auth.payload();
    let size = if payload.is_streaming() {
        decoded_length
    } else {
        content_length
    };
    if let Some(size) = size
        && size > max_upload_bytes
    {
        return Err(Error::EntityTooLarge {
            limit: max_upload_bytes,
        });
    }
    if content_length.is_none() && !headers.contains_key("transfer-encoding") {
        return Err(Error::MissingContentLength);
    }
    let chunk_mode = auth
        .signature
        .as_ref()
        .and_then(|s| ChunkMode::for_payload(&s.parsed.payload, &s.verified));
    Ok(match (payload, chunk_mode) {
        (PayloadMode::StreamingUnsignedTrailer, _) => StreamPlan {
            body: RequestBody::Stream {
                length: content_length,
            },
            payload_hash: PayloadMode::STREAMING_UNSIGNED_TRAILER.to_owned(),
            chunked_to_backend: true,
        },
        (PayloadMode::StreamingSigned, Some(mode)) => StreamPlan {
            body: RequestBody::Decoded {
                mode,
                limits: ChunkLimits::default(),
                length: decoded_length,
                reframe: Reframe::Plain,
            },
            payload_hash: PayloadMode::UNSIGNED.to_owned(),
            chunked_to_backend: false,
        },
        (PayloadMode::StreamingSignedTrailer, Some(mode)) => StreamPlan {
            body: RequestBody::Decoded {
                mode,
                limits: ChunkLimits::default(),
                length: decoded_length,
                reframe: Reframe::UnsignedChunksWithTrailer,
            },
            payload_hash: PayloadMode::STREAMING_UNSIGNED_TRAILER.to_owned(),
            chunked_to_backend: true,
        },
        (PayloadMode::Sha256(hash), _) => StreamPlan {
            body: RequestBody::Stream {
                length: content_length,
            },
            payload_hash: hash.clone(),
            chunked_to_backend: false,
        },
        _ => StreamPlan {
            body: RequestBody::Stream {
                length: content_length,
            },
            payload_hash: PayloadMode::UNSIGNED.to_owned(),
            chunked_to_backend: false,
        },
    })
}

/// How to read a small body the gateway must see (XML payloads).
pub fn buffered_decoding(auth: &Authenticated, headers: &HeaderMap) -> Result<BodyDecoding, Error> {
    let Some(signature) = &auth.signature else {
        return Ok(BodyDecoding::Plain);
    };
    Ok(
        match ChunkMode::for_payload(&signature.parsed.payload, &signature.verified) {
            Some(mode) => BodyDecoding::Chunked {
                mode,
                limits: ChunkLimits::default(),
                expected_length: header_u64(headers, "x-amz-decoded-content-length")?,
            },
            None => BodyDecoding::Plain,
        },
    )
}
