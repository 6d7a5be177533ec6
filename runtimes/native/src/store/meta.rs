//! What a store keeps about an object, a multipart upload and its parts (serialized as JSON in
//! the directory store), and the time helpers shared by both stores.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use multistore_core::codec::scalar::DateTime;
use serde::{Deserialize, Serialize};

use super::checksum::{Algorithm, Kind, Stored};

/// The system metadata S3 keeps with an object and returns as headers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHeaders {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `Expires`, kept as the client sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_redirect_location: Option<String>,
}

/// Everything about an object but its data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub size: u64,
    /// With its quotes: `"<hex md5>"` or `"<hex>-<parts>"`.
    pub etag: String,
    /// Milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    #[serde(flatten)]
    pub headers: ContentHeaders,
    /// The storage class asked for (`None`: STANDARD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// User metadata (`x-amz-meta-*`), names lowercased without the prefix.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Stored>,
    /// The parts of an object made by CompleteMultipartUpload (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartInfo>,
}

/// One part of a multipart object, as kept for `partNumber` reads and GetObjectAttributes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Stored>,
}

impl ObjectMeta {
    pub fn last_modified(&self) -> DateTime {
        DateTime::from_millis(self.last_modified_ms)
    }

    /// The storage class as reported (STANDARD by default).
    pub fn storage_class(&self) -> &str {
        self.storage_class.as_deref().unwrap_or("STANDARD")
    }

    /// The byte range of part `n` (1-based), or `None` when there is no such part. An object
    /// not made of parts has one part: itself.
    pub fn part_range(&self, n: usize) -> Option<(u64, u64)> {
        if self.parts.is_empty() {
            return (n == 1).then_some((0, self.size));
        }
        let start: u64 = self
            .parts
            .iter()
            .take(n.checked_sub(1)?)
            .map(|p| p.size)
            .sum();
        self.parts.get(n - 1).map(|p| (start, p.size))
    }
}

/// What a listing shows about an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub storage_class: Option<String>,
    pub checksum: Option<(Algorithm, Kind)>,
}

impl From<&ObjectMeta> for ListEntry {
    fn from(meta: &ObjectMeta) -> Self {
        Self {
            size: meta.size,
            etag: meta.etag.clone(),
            last_modified_ms: meta.last_modified_ms,
            storage_class: meta.storage_class.clone(),
            checksum: meta.checksum.as_ref().map(|c| (c.algorithm, c.kind)),
        }
    }
}

/// A multipart upload in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadMeta {
    pub upload_id: String,
    pub key: String,
    pub initiated_ms: i64,
    /// The object's metadata to be (size, etag, time and parts are filled at completion).
    pub object: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<Algorithm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_kind: Option<Kind>,
}

/// One uploaded part.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartMeta {
    pub part_number: i32,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Stored>,
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Milliseconds truncated to whole seconds (HTTP dates carry seconds only).
pub fn whole_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_ranges() {
        let single = ObjectMeta {
            size: 10,
            ..ObjectMeta::default()
        };
        assert_eq!(single.part_range(1), Some((0, 10)));
        assert_eq!(single.part_range(2), None);
        let multi = ObjectMeta {
            size: 12,
            parts: vec![
                PartInfo {
                    size: 5,
                    checksum: None,
                },
                PartInfo {
                    size: 7,
                    checksum: None,
                },
            ],
            ..ObjectMeta::default()
        };
        assert_eq!(multi.part_range(0), None);
        assert_eq!(multi.part_range(2), Some((5, 7)));
        assert_eq!(multi.part_range(3), None);
    }

    #[test]
    fn metadata_round_trips_through_json() {
        let meta = ObjectMeta {
            size: 3,
            etag: "\"abc\"".into(),
            headers: ContentHeaders {
                content_type: Some("text/plain".into()),
                ..ContentHeaders::default()
            },
            metadata: [("k".to_owned(), "v".to_owned())].into(),
            tags: vec![("t".into(), "u".into())],
            ..ObjectMeta::default()
        };
        let json = serde_json::to_vec(&meta).unwrap();
        assert_eq!(serde_json::from_slice::<ObjectMeta>(&json).unwrap(), meta);
    }
}
