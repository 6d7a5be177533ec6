//! ListObjects (V1), ListObjectsV2 and ListObjectVersions over the backend's sorted keys.
//!
//! One page walk serves all three: keys in byte order from a start point, grouped into
//! CommonPrefixes by the delimiter (a group is emitted once, then the walk seeks past every
//! key of the group instead of reading them), with `max-keys` counting keys and prefixes
//! alike. V2 continuation tokens are the URL-safe base64 of the last key or prefix returned.
//! With `encoding-type=url`, keys, prefixes, delimiters and markers are form-encoded as S3
//! does (`/` kept, space as `+`).

use std::ops::{Bound, ControlFlow};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use multistore_core::s3::{
    CommonPrefix, EncodingType, ListObjectVersionsOutput, ListObjectVersionsRequest,
    ListObjectsOutput, ListObjectsRequest, ListObjectsV2Output, ListObjectsV2Request, Object,
    ObjectStorageClass, ObjectVersion, ObjectVersionStorageClass, Owner,
};

use super::backend::Backend;
use super::engine::{Engine, respond};
use super::error::{StoreError, StoreResult};
use super::meta::ListEntry;
use super::{StoreBody, StoreResponse};

/// The owner every listed object reports (a store has one owner).
pub const OWNER_ID: &str = "multistore";

pub fn owner() -> Owner {
    Owner {
        id: Some(OWNER_ID.to_owned()),
        display_name: Some(OWNER_ID.to_owned()),
    }
}

/// One page of a listing.
#[derive(Debug, Default)]
pub struct Page {
    pub objects: Vec<(String, ListEntry)>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or common prefix in the page.
    pub last: Option<String>,
}

/// The smallest string after every string that starts with `prefix` (`None`: there is none).
pub fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(c) = chars.pop() {
        let next = (u32::from(c) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Walks one page: keys under `prefix`, strictly after `after`, grouped by `delimiter`.
pub fn page<B: Backend>(
    backend: &B,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> Page {
    let mut page = Page::default();
    if max == 0 {
        return page;
    }
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut from: Bound<String> = match after {
        Some(a) if a >= prefix => Bound::Excluded(a.to_owned()),
        _ => Bound::Included(prefix.to_owned()),
    };
    loop {
        let mut seek: Option<String> = None;
        let mut count = page.objects.len() + page.prefixes.len();
        backend.list(from.as_ref().map(String::as_str), &mut |key, entry| {
            let Some(rest) = key.strip_prefix(prefix) else {
                return ControlFlow::Break(());
            };
            if let Some(i) = delimiter.and_then(|d| rest.find(d).map(|i| i + d.len())) {
                let group = &key[..prefix.len() + i];
                // A group at or before the marker was returned by an earlier page.
                if after.is_none_or(|a| group > a) {
                    if count == max {
                        page.truncated = true;
                        return ControlFlow::Break(());
                    }
                    page.prefixes.push(group.to_owned());
                    page.last = Some(group.to_owned());
                }
                seek = Some(group.to_owned());
                return ControlFlow::Break(());
            }
            if count == max {
                page.truncated = true;
                return ControlFlow::Break(());
            }
            page.objects.push((key.to_owned(), entry.clone()));
            page.last = Some(key.to_owned());
            count += 1;
            ControlFlow::Continue(())
        });
        match seek.and_then(|group| successor(&group)) {
            Some(next) if !page.truncated => from = Bound::Included(next),
            _ => return page,
        }
    }
}

/// `encoding-type=url` encoding: form encoding with `/` kept.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Whether to URL-encode; an unknown encoding type is an error.
pub fn url_encoding(encoding: Option<&EncodingType>) -> StoreResult<bool> {
    match encoding {
        None => Ok(false),
        Some(EncodingType::Url) => Ok(true),
        Some(EncodingType::Unknown(_)) => Err(StoreError::invalid_argument(
            "Invalid Encoding Method specified in Request",
        )),
    }
}

/// `max-keys` as S3 reads it: 1000 by default and at most, never negative.
pub fn max_keys(value: Option<i32>) -> StoreResult<usize> {
    match value {
        None => Ok(1000),
        Some(n) if n < 0 => Err(StoreError::invalid_argument(
            "max-keys must be a non-negative integer",
        )),
        Some(n) => Ok(usize::try_from(n).unwrap_or(0).min(1000)),
    }
}

/// Encodes `value` when asked.
pub fn enc(url: bool, value: &str) -> String {
    if url {
        url_encode(value)
    } else {
        value.to_owned()
    }
}

fn enc_opt(url: bool, value: Option<&String>) -> Option<String> {
    value.map(|v| enc(url, v))
}

fn prefixes(url: bool, page: &Page) -> Vec<CommonPrefix> {
    page.prefixes
        .iter()
        .map(|p| CommonPrefix {
            prefix: Some(enc(url, p)),
        })
        .collect()
}

fn object(url: bool, key: &str, entry: &ListEntry, with_owner: bool) -> Object {
    Object {
        key: Some(enc(url, key)),
        last_modified: Some(multistore_core::codec::scalar::DateTime::from_millis(
            entry.last_modified_ms,
        )),
        e_tag: Some(entry.etag.clone()),
        checksum_algorithm: entry.checksum.iter().map(|(a, _)| a.to_dto()).collect(),
        checksum_type: entry.checksum.map(|(_, k)| k.to_dto()),
        size: Some(i64::try_from(entry.size).unwrap_or(i64::MAX)),
        storage_class: Some(ObjectStorageClass::from_wire(
            entry.storage_class.as_deref().unwrap_or("STANDARD"),
        )),
        owner: with_owner.then(owner),
        restore_status: None,
    }
}

fn count(n: usize) -> Option<i32> {
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

impl<B: Backend> Engine<B> {
    pub(super) fn list_objects_v1(&self, r: &ListObjectsRequest) -> StoreResult<StoreResponse> {
        let url = url_encoding(r.encoding_type.as_ref())?;
        let max = max_keys(r.max_keys)?;
        let prefix = r.prefix.as_deref().unwrap_or("");
        let marker = r.marker.as_deref().filter(|m| !m.is_empty());
        let page = page(&self.backend, prefix, r.delimiter.as_deref(), marker, max);
        let has_delimiter = r.delimiter.as_deref().is_some_and(|d| !d.is_empty());
        let out = ListObjectsOutput {
            is_truncated: Some(page.truncated),
            marker: Some(enc(url, r.marker.as_deref().unwrap_or(""))),
            next_marker: if page.truncated && has_delimiter {
                enc_opt(url, page.last.as_ref())
            } else {
                None
            },
            contents: page
                .objects
                .iter()
                .map(|(k, e)| object(url, k, e, true))
                .collect(),
            name: Some(r.bucket.clone()),
            prefix: Some(enc(url, prefix)),
            delimiter: enc_opt(url, r.delimiter.as_ref()),
            max_keys: count(max),
            common_prefixes: prefixes(url, &page),
            encoding_type: r.encoding_type.clone(),
            request_charged: None,
        };
        respond(out.to_http(), StoreBody::Empty)
    }

    pub(super) fn list_objects_v2(&self, r: &ListObjectsV2Request) -> StoreResult<StoreResponse> {
        let url = url_encoding(r.encoding_type.as_ref())?;
        let max = max_keys(r.max_keys)?;
        let prefix = r.prefix.as_deref().unwrap_or("");
        let token = r
            .continuation_token
            .as_deref()
            .map(decode_token)
            .transpose()?;
        let after = token
            .as_deref()
            .or(r.start_after.as_deref())
            .filter(|a| !a.is_empty());
        let page = page(&self.backend, prefix, r.delimiter.as_deref(), after, max);
        let out = ListObjectsV2Output {
            is_truncated: Some(page.truncated),
            contents: page
                .objects
                .iter()
                .map(|(k, e)| object(url, k, e, r.fetch_owner == Some(true)))
                .collect(),
            name: Some(r.bucket.clone()),
            prefix: Some(enc(url, prefix)),
            delimiter: enc_opt(url, r.delimiter.as_ref()),
            max_keys: count(max),
            common_prefixes: prefixes(url, &page),
            encoding_type: r.encoding_type.clone(),
            key_count: count(page.objects.len() + page.prefixes.len()),
            continuation_token: r.continuation_token.clone(),
            next_continuation_token: if page.truncated {
                page.last.as_deref().map(encode_token)
            } else {
                None
            },
            start_after: enc_opt(url, r.start_after.as_ref()),
            request_charged: None,
        };
        respond(out.to_http(), StoreBody::Empty)
    }

    pub(super) fn list_object_versions(
        &self,
        r: &ListObjectVersionsRequest,
    ) -> StoreResult<StoreResponse> {
        let url = url_encoding(r.encoding_type.as_ref())?;
        let max = max_keys(r.max_keys)?;
        let prefix = r.prefix.as_deref().unwrap_or("");
        let key_marker = r.key_marker.as_deref().filter(|m| !m.is_empty());
        if r.version_id_marker
            .as_deref()
            .is_some_and(|v| !v.is_empty())
            && key_marker.is_none()
        {
            return Err(StoreError::invalid_argument(
                "A version-id marker cannot be specified without a key marker.",
            ));
        }
        let page = page(
            &self.backend,
            prefix,
            r.delimiter.as_deref(),
            key_marker,
            max,
        );
        let versions = page
            .objects
            .iter()
            .map(|(key, e)| ObjectVersion {
                e_tag: Some(e.etag.clone()),
                checksum_algorithm: e.checksum.iter().map(|(a, _)| a.to_dto()).collect(),
                checksum_type: e.checksum.map(|(_, k)| k.to_dto()),
                size: Some(i64::try_from(e.size).unwrap_or(i64::MAX)),
                storage_class: Some(ObjectVersionStorageClass::from_wire(
                    e.storage_class.as_deref().unwrap_or("STANDARD"),
                )),
                key: Some(enc(url, key)),
                version_id: Some("null".to_owned()),
                is_latest: Some(true),
                last_modified: Some(multistore_core::codec::scalar::DateTime::from_millis(
                    e.last_modified_ms,
                )),
                owner: Some(owner()),
                restore_status: None,
            })
            .collect();
        let out = ListObjectVersionsOutput {
            is_truncated: Some(page.truncated),
            key_marker: Some(enc(url, r.key_marker.as_deref().unwrap_or(""))),
            version_id_marker: Some(r.version_id_marker.clone().unwrap_or_default()),
            next_key_marker: if page.truncated {
                enc_opt(url, page.last.as_ref())
            } else {
                None
            },
            next_version_id_marker: page.truncated.then(|| "null".to_owned()),
            versions,
            delete_markers: Vec::new(),
            name: Some(r.bucket.clone()),
            prefix: Some(enc(url, prefix)),
            delimiter: enc_opt(url, r.delimiter.as_ref()),
            max_keys: count(max),
            common_prefixes: prefixes(url, &page),
            encoding_type: r.encoding_type.clone(),
            request_charged: None,
        };
        respond(out.to_http(), StoreBody::Empty)
    }
}

fn encode_token(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(last)
}

fn decode_token(token: &str) -> StoreResult<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| StoreError::invalid_argument("The continuation token provided is incorrect"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successors_bound_every_extension() {
        assert_eq!(successor("a/").as_deref(), Some("a0"));
        assert_eq!(successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(successor("b\u{10FFFF}").as_deref(), Some("c"));
        assert_eq!(successor("\u{10FFFF}"), None);
        for ext in ["", "x", "\u{10FFFF}\u{10FFFF}", "/zzz"] {
            assert!(format!("a/{ext}") < successor("a/").unwrap());
        }
    }

    #[test]
    fn url_encoding_matches_s3() {
        assert_eq!(url_encode("a b/c+d%é~"), "a+b/c%2Bd%25%C3%A9~");
        assert_eq!(decode_token(&encode_token("k/é")).unwrap(), "k/é");
        assert_eq!(decode_token("!!").unwrap_err().code, "InvalidArgument");
    }
}
