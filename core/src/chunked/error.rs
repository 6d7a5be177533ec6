//! Why an aws-chunked body was refused, with the S3 code each answers with
//! ([`ChunkedError::s3_code`]).

use crate::s3::S3ErrorCode;

/// An aws-chunked decoding failure. Once a decoder fails it keeps answering the same error.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ChunkedError {
    /// `IncompleteBody`: the framing is not aws-chunked (S3 answers `IncompleteBody` or
    /// `InvalidChunkSizeError`; the latter is not in our error table).
    #[error("malformed aws-chunked body: {0}")]
    Malformed(Malformed),
    /// `EntityTooLarge`: a chunk declared bigger than [`super::ChunkLimits::max_chunk_size`].
    #[error("a chunk of {declared} bytes is larger than the limit of {limit}")]
    ChunkTooLarge { declared: u64, limit: usize },
    /// `IncompleteBody`: a chunk-size line longer than [`super::ChunkLimits::max_header_line`].
    #[error("a chunk-size line is longer than {limit} bytes")]
    HeaderLineTooLong { limit: usize },
    /// `RequestHeaderSectionTooLarge`: more trailer bytes than
    /// [`super::ChunkLimits::max_trailer_bytes`].
    #[error("the trailers are larger than {limit} bytes")]
    TrailersTooLarge { limit: usize },
    /// `IncompleteBody`: the decoded length differs from `x-amz-decoded-content-length`
    /// (`actual` is how far decoding got: at least that much when too long).
    #[error("decoded {actual} bytes, but x-amz-decoded-content-length declared {expected}")]
    DecodedLengthMismatch { expected: u64, actual: u64 },
    /// `IncompleteBody`: the input ended before the final chunk and its trailers.
    #[error("the body ended before the final chunk")]
    Truncated,
    /// `SignatureDoesNotMatch`: a chunk or trailer signature does not verify.
    #[error("a chunk signature does not match")]
    SignatureDoesNotMatch,
    /// `IncompleteBody`: bytes after the end of the aws-chunked stream.
    #[error("data after the end of the aws-chunked body")]
    TrailingData,
}

/// What exactly is malformed.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    #[error("the chunk size is not hexadecimal")]
    ChunkSize,
    #[error("unexpected or malformed chunk extension")]
    ChunkExtension,
    #[error("a chunk's data is not followed by CRLF")]
    MissingCrlf,
    #[error("a trailer line is not name:value")]
    TrailerLine,
    #[error("trailers are not allowed in this mode")]
    UnexpectedTrailer,
    #[error("the trailers end without x-amz-trailer-signature")]
    MissingTrailerSignature,
    #[error("x-amz-trailer-signature must be the last trailer and come once")]
    MisplacedTrailerSignature,
}

impl ChunkedError {
    /// The S3 error code this failure answers with (the table is in [`crate::error`]).
    pub fn s3_code(&self) -> S3ErrorCode {
        crate::error::chunked_code(self)
    }
}

impl From<Malformed> for ChunkedError {
    fn from(m: Malformed) -> Self {
        Self::Malformed(m)
    }
}
