//! aws-chunked bodies (`Content-Encoding: aws-chunked`), sans-IO: a decoder for what clients
//! send (unsigned with trailers, signed chunks, signed chunks with a signed trailer) and an
//! unsigned encoder for re-framing toward a backend.
//!
//! ```text
//! signed:   <hex>;chunk-signature=<sig>\r\n<data>\r\n … 0;chunk-signature=<sig>\r\n[…]\r\n
//! unsigned: <hex>\r\n<data>\r\n … 0\r\n[name:value\r\n …]\r\n
//! ```
//!
//! In the signed modes each chunk's data is released only after its signature verified, so a
//! chunk is buffered once, and never more than [`ChunkLimits::max_chunk_size`] of it.

mod decoder;
mod encoder;
mod error;
mod signing;

#[cfg(test)]
mod tests;

use aws_smithy_types::DateTime;
use bytes::Bytes;

pub use decoder::ChunkedDecoder;
pub use encoder::{encode_chunk, encode_final, encoded_length};
pub use error::{ChunkedError, Malformed};
pub use signing::{SignatureChain, TRAILER_SIGNATURE};

use crate::sigv4::{CredentialScope, PayloadMode, SigningKey, Verified};

/// Which framing the body uses, and for signed bodies what the chain starts from. Its
/// [`std::fmt::Debug`] shows neither key nor seed signature.
#[derive(Clone)]
pub enum ChunkMode {
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: `hex-size\r\n` headers, optional trailers.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: `hex-size;chunk-signature=<sig>\r\n`, no trailers.
    Signed {
        signing_key: SigningKey,
        seed_signature: String,
        scope: CredentialScope,
        request_time: DateTime,
    },
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then trailers closed by a
    /// signed `x-amz-trailer-signature`.
    SignedWithTrailer {
        signing_key: SigningKey,
        seed_signature: String,
        scope: CredentialScope,
        request_time: DateTime,
    },
}

impl std::fmt::Debug for ChunkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, scope, time) = match self {
            Self::Unsigned => return f.write_str("Unsigned"),
            Self::Signed {
                scope,
                request_time,
                ..
            } => ("Signed", scope, request_time),
            Self::SignedWithTrailer {
                scope,
                request_time,
                ..
            } => ("SignedWithTrailer", scope, request_time),
        };
        f.debug_struct(name)
            .field("scope", scope)
            .field("request_time", time)
            .finish_non_exhaustive()
    }
}

impl ChunkMode {
    /// The mode for a verified request's declared payload; `None` when the body is not
    /// aws-chunked.
    pub fn for_payload(payload: &PayloadMode, verified: &Verified) -> Option<Self> {
        let signed = || {
            (
                verified.signing_key.clone(),
                verified.seed_signature.clone(),
                verified.scope.clone(),
                verified.request_time,
            )
        };
        match payload {
            PayloadMode::StreamingUnsignedTrailer => Some(Self::Unsigned),
            PayloadMode::StreamingSigned => {
                let (signing_key, seed_signature, scope, request_time) = signed();
                Some(Self::Signed {
                    signing_key,
                    seed_signature,
                    scope,
                    request_time,
                })
            }
            PayloadMode::StreamingSignedTrailer => {
                let (signing_key, seed_signature, scope, request_time) = signed();
                Some(Self::SignedWithTrailer {
                    signing_key,
                    seed_signature,
                    scope,
                    request_time,
                })
            }
            PayloadMode::Unsigned | PayloadMode::Sha256(_) | PayloadMode::Undeclared => None,
        }
    }
}

/// Bounds on what the decoder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The largest chunk accepted; a bigger declared size is refused before reading it.
    pub max_chunk_size: usize,
    /// The longest chunk-size line, without its CRLF.
    pub max_header_line: usize,
    /// The most trailer bytes (all lines with their CRLFs, and the closing CRLF).
    pub max_trailer_bytes: usize,
}

impl Default for ChunkLimits {
    /// 16 MiB chunks, 4 KiB size lines, 16 KiB of trailers.
    fn default() -> Self {
        Self {
            max_chunk_size: 16 << 20,
            max_header_line: 4096,
            max_trailer_bytes: 16 << 10,
        }
    }
}

/// What the decoder produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkEvent {
    /// Decoded (and, if signed, verified) body bytes.
    Data(Bytes),
    /// The trailers, names lowercased, values trimmed, in order; `x-amz-trailer-signature`
    /// is verified and left out. Checksums (`x-amz-checksum-*`) are not validated here.
    Trailers(Vec<(String, String)>),
    /// The end of the body; comes once, last.
    End,
}
