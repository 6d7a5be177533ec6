//! S3's integrity checks: the MD5 that makes an ETag (and checks `Content-MD5`), and the
//! `x-amz-checksum-*` algorithms (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256), computed while a
//! body streams, verified against what the client sent, and stored to be returned on reads.
//!
//! Values are base64 of the big-endian digest, as S3 writes them. A multipart object's checksum
//! is either FULL_OBJECT (the digest of the whole object, computed while the parts are joined)
//! or COMPOSITE (the digest of the concatenated part digests, suffixed `-<parts>`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use multistore_core::s3::{ChecksumAlgorithm, ChecksumType};
use serde::{Deserialize, Serialize};

use super::error::{StoreError, StoreResult};

/// A checksum algorithm S3 supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl Algorithm {
    /// All algorithms, in the order of the `x-amz-checksum-*` fields.
    pub const ALL: [Algorithm; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Crc64Nvme,
        Self::Sha1,
        Self::Sha256,
    ];

    /// The name S3 uses (`CRC32`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    fn header(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// Whether a multipart object can carry a FULL_OBJECT checksum of this algorithm.
    pub fn supports_full_object(self) -> bool {
        matches!(self, Self::Crc32 | Self::Crc32c | Self::Crc64Nvme)
    }

    /// The algorithm of a request's `ChecksumAlgorithm` (`None` for an unknown one).
    pub fn from_dto(value: &ChecksumAlgorithm) -> Option<Self> {
        match value {
            ChecksumAlgorithm::Crc32 => Some(Self::Crc32),
            ChecksumAlgorithm::Crc32c => Some(Self::Crc32c),
            ChecksumAlgorithm::Crc64nvme => Some(Self::Crc64Nvme),
            ChecksumAlgorithm::Sha1 => Some(Self::Sha1),
            ChecksumAlgorithm::Sha256 => Some(Self::Sha256),
            ChecksumAlgorithm::Unknown(_) => None,
        }
    }

    /// The algorithm as an output's `ChecksumAlgorithm`.
    pub fn to_dto(self) -> ChecksumAlgorithm {
        ChecksumAlgorithm::from_wire(self.name())
    }

    /// A request's algorithm, or an error for one S3 does not know.
    pub fn parse_requested(value: Option<&ChecksumAlgorithm>) -> StoreResult<Option<Self>> {
        value
            .map(|v| {
                Self::from_dto(v).ok_or_else(|| {
                    StoreError::invalid_request(format!(
                        "Checksum algorithm provided is unsupported: {}",
                        v.as_str()
                    ))
                })
            })
            .transpose()
    }
}

/// How a stored checksum covers the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    FullObject,
    Composite,
}

impl Kind {
    pub fn to_dto(self) -> ChecksumType {
        match self {
            Self::FullObject => ChecksumType::FullObject,
            Self::Composite => ChecksumType::Composite,
        }
    }

    /// A request's checksum type (`None` when not given), or an error for an unknown one.
    pub fn parse_requested(value: Option<&ChecksumType>) -> StoreResult<Option<Self>> {
        match value {
            None => Ok(None),
            Some(ChecksumType::FullObject) => Ok(Some(Self::FullObject)),
            Some(ChecksumType::Composite) => Ok(Some(Self::Composite)),
            Some(other) => Err(StoreError::invalid_request(format!(
                "Value for x-amz-checksum-type header is invalid: {}",
                other.as_str()
            ))),
        }
    }
}

/// A checksum kept with an object or part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub algorithm: Algorithm,
    /// Base64 of the digest; composite values end in `-<parts>`.
    pub value: String,
    pub kind: Kind,
}

/// Sets the `checksum_*` fields of an output (any generated type with the five fields) from
/// a stored checksum, and `checksum_type` when the type has it.
macro_rules! set_checksum_fields {
    ($out:expr, $stored:expr) => {{
        if let Some(stored) = $stored {
            let value = Some(stored.value.clone());
            match stored.algorithm {
                $crate::store::checksum::Algorithm::Crc32 => $out.checksum_crc32 = value,
                $crate::store::checksum::Algorithm::Crc32c => $out.checksum_crc32c = value,
                $crate::store::checksum::Algorithm::Crc64Nvme => $out.checksum_crc64nvme = value,
                $crate::store::checksum::Algorithm::Sha1 => $out.checksum_sha1 = value,
                $crate::store::checksum::Algorithm::Sha256 => $out.checksum_sha256 = value,
            }
        }
    }};
}
pub(crate) use set_checksum_fields;

/// A running digest of one algorithm.
pub enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Crc32 => Self::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => Self::Crc32c(0),
            Algorithm::Crc64Nvme => Self::Crc64Nvme(crc64fast_nvme::Digest::new()),
            Algorithm::Sha1 => Self::Sha1(sha1::Sha1::new()),
            Algorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc32(h) => h.update(data),
            Self::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            Self::Crc64Nvme(h) => h.write(data),
            Self::Sha1(h) => sha1::Digest::update(h, data),
            Self::Sha256(h) => sha2::Digest::update(h, data),
        }
    }

    /// The big-endian digest.
    pub fn finish(self) -> Vec<u8> {
        match self {
            Self::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Self::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            Self::Crc64Nvme(h) => h.sum64().to_be_bytes().to_vec(),
            Self::Sha1(h) => sha1::Digest::finalize(h).to_vec(),
            Self::Sha256(h) => sha2::Digest::finalize(h).to_vec(),
        }
    }
}

/// The base64 digest of `data`.
pub fn digest_base64(algorithm: Algorithm, data: &[u8]) -> String {
    let mut h = Hasher::new(algorithm);
    h.update(data);
    STANDARD.encode(h.finish())
}

/// What a write asks to be checked and stored: an algorithm, and the value the client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requested {
    pub algorithm: Algorithm,
    pub expected: Option<String>,
}

/// The checksum fields of a PutObject or UploadPart request.
pub struct ChecksumFields<'a> {
    pub algorithm: Option<&'a ChecksumAlgorithm>,
    pub values: [Option<&'a String>; 5],
}

impl ChecksumFields<'_> {
    /// Validates the fields: at most one value, well-formed, agreeing with the algorithm.
    pub fn parse(&self) -> StoreResult<Option<Requested>> {
        let algorithm = Algorithm::parse_requested(self.algorithm)?;
        let mut sent = Algorithm::ALL
            .iter()
            .zip(self.values)
            .filter_map(|(a, v)| v.map(|v| (*a, v)));
        let first = sent.next();
        if sent.next().is_some() {
            return Err(StoreError::invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        match (algorithm, first) {
            (Some(a), Some((b, _))) if a != b => Err(StoreError::invalid_request(format!(
                "Value for x-amz-sdk-checksum-algorithm header is invalid: {} does not match {}",
                a.name(),
                b.header()
            ))),
            (_, Some((a, value))) => {
                let ok = STANDARD
                    .decode(value)
                    .is_ok_and(|d| d.len() == a.digest_len());
                if !ok {
                    return Err(StoreError::invalid_request(format!(
                        "Value for {} header is invalid.",
                        a.header()
                    )));
                }
                Ok(Some(Requested {
                    algorithm: a,
                    expected: Some(value.clone()),
                }))
            }
            (Some(a), None) => Ok(Some(Requested {
                algorithm: a,
                expected: None,
            })),
            (None, None) => Ok(None),
        }
    }
}

/// Checks a buffered request body (XML payloads) against its `Content-MD5` and
/// `x-amz-checksum-*` headers, when sent.
pub fn verify_buffered(headers: &http::HeaderMap, body: &[u8]) -> StoreResult<()> {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Some(expected) = parse_content_md5(value("content-md5").as_ref())? {
        let actual: [u8; 16] = Md5::digest(body).into();
        if actual != expected {
            return Err(StoreError::bad_digest(
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    for algorithm in Algorithm::ALL {
        if let Some(sent) = value(algorithm.header())
            && sent.trim() != digest_base64(algorithm, body)
        {
            return Err(StoreError::bad_digest(format!(
                "The {} you specified did not match the calculated checksum.",
                algorithm.name()
            )));
        }
    }
    Ok(())
}

/// A `Content-MD5` value, decoded (`InvalidDigest` when it is not base64 of 16 bytes).
pub fn parse_content_md5(value: Option<&String>) -> StoreResult<Option<[u8; 16]>> {
    value
        .map(|v| {
            STANDARD
                .decode(v.trim())
                .ok()
                .and_then(|d| <[u8; 16]>::try_from(d.as_slice()).ok())
                .ok_or_else(|| {
                    StoreError::invalid_digest("The Content-MD5 you specified is not valid.")
                })
        })
        .transpose()
}

/// The digests of a body, computed while it streams.
pub struct BodyDigests {
    md5: Md5,
    size: u64,
    checksum: Option<(Algorithm, Hasher)>,
    /// Extra algorithm computed alongside (the object-level digest of a multipart join).
    extra: Option<(Algorithm, Hasher)>,
}

/// The finished digests of a body.
#[derive(Clone, Debug)]
pub struct Digests {
    pub md5: [u8; 16],
    pub size: u64,
    pub checksum: Option<(Algorithm, String)>,
    pub extra: Option<(Algorithm, String)>,
}

impl Digests {
    /// `"<hex md5>"`.
    pub fn etag(&self) -> String {
        format!("\"{}\"", hex::encode(self.md5))
    }
}

impl BodyDigests {
    pub fn new(checksum: Option<Algorithm>) -> Self {
        Self {
            md5: Md5::new(),
            size: 0,
            checksum: checksum.map(|a| (a, Hasher::new(a))),
            extra: None,
        }
    }

    /// Also computes `algorithm` (kept apart from the request's own checksum).
    pub fn with_extra(mut self, algorithm: Option<Algorithm>) -> Self {
        self.extra = algorithm.map(|a| (a, Hasher::new(a)));
        self
    }

    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.size += data.len() as u64;
        if let Some((_, h)) = &mut self.checksum {
            h.update(data);
        }
        if let Some((_, h)) = &mut self.extra {
            h.update(data);
        }
    }

    pub fn finish(self) -> Digests {
        Digests {
            md5: self.md5.finalize().into(),
            size: self.size,
            checksum: self.checksum.map(|(a, h)| (a, STANDARD.encode(h.finish()))),
            extra: self.extra.map(|(a, h)| (a, STANDARD.encode(h.finish()))),
        }
    }
}

/// Checks a finished body against `Content-MD5` and the sent checksum.
pub fn verify(
    digests: &Digests,
    content_md5: Option<[u8; 16]>,
    requested: Option<&Requested>,
) -> StoreResult<()> {
    if content_md5.is_some_and(|md5| md5 != digests.md5) {
        return Err(StoreError::bad_digest(
            "The Content-MD5 you specified did not match what we received.",
        ));
    }
    if let (Some(req), Some((_, actual))) = (requested, &digests.checksum)
        && req.expected.as_ref().is_some_and(|e| e != actual)
    {
        return Err(StoreError::bad_digest(format!(
            "The {} you specified did not match the calculated checksum.",
            req.algorithm.name()
        )));
    }
    Ok(())
}

/// The COMPOSITE checksum of parts: the digest of their concatenated digests, `-<n>`.
/// `None` when a part lacks a checksum of this algorithm.
pub fn composite(algorithm: Algorithm, parts: &[Option<&Stored>]) -> Option<String> {
    let mut h = Hasher::new(algorithm);
    for part in parts {
        let part = (*part).filter(|p| p.algorithm == algorithm)?;
        h.update(&STANDARD.decode(&part.value).ok()?);
    }
    Some(format!("{}-{}", STANDARD.encode(h.finish()), parts.len()))
}

/// The multipart ETag: MD5 of the concatenated part MD5s, `-<n>`. `None` if an ETag is malformed.
pub fn multipart_etag(part_etags: &[&str]) -> Option<String> {
    let mut md5 = Md5::new();
    for etag in part_etags {
        md5.update(hex::decode(etag.trim_matches('"')).ok()?);
    }
    Some(format!(
        "\"{}-{}\"",
        hex::encode(md5.finalize()),
        part_etags.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // "hello world", as S3 and the AWS CLI report it.
        let data = b"hello world";
        assert_eq!(digest_base64(Algorithm::Crc32, data), "DUoRhQ==");
        assert_eq!(digest_base64(Algorithm::Crc32c, data), "yZRlqg==");
        assert_eq!(
            digest_base64(Algorithm::Sha1, data),
            "Kq5sNclPz7QV2+lfQIuc6R7oRu0="
        );
        assert_eq!(
            digest_base64(Algorithm::Sha256, data),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        // CRC64/NVME check value of "123456789" is 0xAE8B14860A799888.
        let mut h = Hasher::new(Algorithm::Crc64Nvme);
        h.update(b"123456789");
        assert_eq!(h.finish(), 0xAE8B_1486_0A79_9888u64.to_be_bytes());
    }

    #[test]
    fn fields_are_validated() {
        let good = STANDARD.encode([0u8; 4]);
        let bad = "abc".to_owned();
        let crc32 = ChecksumAlgorithm::Crc32;
        let sha = ChecksumAlgorithm::Sha256;
        let ok = ChecksumFields {
            algorithm: Some(&crc32),
            values: [Some(&good), None, None, None, None],
        };
        assert_eq!(ok.parse().unwrap().unwrap().algorithm, Algorithm::Crc32);
        let two = ChecksumFields {
            algorithm: None,
            values: [Some(&good), Some(&good), None, None, None],
        };
        assert_eq!(two.parse().unwrap_err().code, "InvalidRequest");
        let malformed = ChecksumFields {
            algorithm: None,
            values: [Some(&bad), None, None, None, None],
        };
        assert_eq!(malformed.parse().unwrap_err().code, "InvalidRequest");
        let mismatch = ChecksumFields {
            algorithm: Some(&sha),
            values: [Some(&good), None, None, None, None],
        };
        assert_eq!(mismatch.parse().unwrap_err().code, "InvalidRequest");
        assert_eq!(
            parse_content_md5(Some(&"nope".to_owned()))
                .unwrap_err()
                .code,
            "InvalidDigest"
        );
    }

    #[test]
    fn multipart_etags_and_composites() {
        let a = "\"5d41402abc4b2a76b9719d911017c592\"";
        let b = "\"7d793037a0760186574b0282f2f435e7\"";
        let etag = multipart_etag(&[a, b]).unwrap();
        assert!(etag.ends_with("-2\"") && etag.len() == 1 + 32 + 2 + 1);
        let p1 = Stored {
            algorithm: Algorithm::Crc32,
            value: digest_base64(Algorithm::Crc32, b"x"),
            kind: Kind::FullObject,
        };
        let c = composite(Algorithm::Crc32, &[Some(&p1), Some(&p1)]).unwrap();
        assert!(c.ends_with("-2"));
        assert_eq!(composite(Algorithm::Crc32, &[Some(&p1), None]), None);
    }
}
