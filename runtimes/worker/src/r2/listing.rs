//! ListObjectsV2 and ListObjects (V1) on R2's `list`.
//!
//! | S3                                 | R2                                               |
//! |------------------------------------|--------------------------------------------------|
//! | `prefix`, `delimiter`              | `prefix`, `delimiter`                            |
//! | `max-keys` (0 – 1000; more is 1000) | `limit` (objects and prefixes both count)       |
//! | V2 `continuation-token`            | `cursor` (R2's opaque cursor is the token)       |
//! | V2 `start-after`, V1 `marker`      | `startAfter`                                     |
//! | `NextContinuationToken` / `NextMarker` | `cursor` / the last key or prefix returned   |
//! | `CommonPrefixes`                   | `delimitedPrefixes`                              |
//! | `encoding-type=url`                | keys and prefixes encoded here                   |
//!
//! A marker that is itself a common prefix (V1 clients continue from `NextMarker`) would make
//! R2 roll the keys under it into the same prefix again; such a prefix is left out.

use multistore_core::codec::http::ResponseParts;
use multistore_core::gateway::namespace::url_encode;
use multistore_core::s3::{
    CommonPrefix, EncodingType, ListObjectsOutput, ListObjectsRequest, ListObjectsV2Output,
    ListObjectsV2Request, Object, ObjectStorageClass,
};

use super::error::{StoreError, StoreResult};
use super::object::ObjectInfo;

/// R2's largest page.
pub const MAX_LIST_KEYS: i32 = 1000;

/// Which listing answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListVersion {
    V1,
    V2,
}

/// A listing: what to ask R2, and what to echo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListCall {
    pub version: ListVersion,
    pub bucket: String,
    pub prefix: Option<String>,
    pub delimiter: Option<String>,
    /// `max-keys` as asked (default 1000).
    pub max_keys: i32,
    /// V2's token, passed to R2 as its cursor.
    pub continuation_token: Option<String>,
    /// V2's `start-after` or V1's `marker`.
    pub start_after: Option<String>,
    pub encoding_type: Option<EncodingType>,
}

/// One page of R2's `list`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    pub cursor: Option<String>,
}

/// R2's `list` options for a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct R2ListOptions {
    pub limit: u32,
    pub prefix: Option<String>,
    pub delimiter: Option<String>,
    pub cursor: Option<String>,
    pub start_after: Option<String>,
}

fn check_max_keys(max_keys: Option<i32>) -> StoreResult<i32> {
    match max_keys {
        None => Ok(MAX_LIST_KEYS),
        Some(n) if n < 0 => Err(StoreError::invalid_argument(
            "max-keys must be a non-negative integer",
        )),
        Some(n) => Ok(n),
    }
}

fn non_empty(v: Option<&String>) -> Option<String> {
    v.filter(|s| !s.is_empty()).cloned()
}

impl ListCall {
    /// From a ListObjectsV2 request.
    ///
    /// # Errors
    /// `InvalidArgument` for a negative `max-keys`.
    pub fn v2(r: &ListObjectsV2Request) -> StoreResult<Self> {
        Ok(Self {
            version: ListVersion::V2,
            bucket: r.bucket.clone(),
            prefix: non_empty(r.prefix.as_ref()),
            delimiter: non_empty(r.delimiter.as_ref()),
            max_keys: check_max_keys(r.max_keys)?,
            continuation_token: non_empty(r.continuation_token.as_ref()),
            start_after: non_empty(r.start_after.as_ref()),
            encoding_type: r.encoding_type.clone(),
        })
    }

    /// From a ListObjects (V1) request.
    ///
    /// # Errors
    /// `InvalidArgument` for a negative `max-keys`.
    pub fn v1(r: &ListObjectsRequest) -> StoreResult<Self> {
        Ok(Self {
            version: ListVersion::V1,
            bucket: r.bucket.clone(),
            prefix: non_empty(r.prefix.as_ref()),
            delimiter: non_empty(r.delimiter.as_ref()),
            max_keys: check_max_keys(r.max_keys)?,
            continuation_token: None,
            start_after: non_empty(r.marker.as_ref()),
            encoding_type: r.encoding_type.clone(),
        })
    }

    /// The options for R2, or `None` when nothing is to be listed (`max-keys=0`).
    pub fn r2_options(&self) -> Option<R2ListOptions> {
        let limit = u32::try_from(self.max_keys.min(MAX_LIST_KEYS)).ok()?;
        (limit > 0).then(|| R2ListOptions {
            limit,
            prefix: self.prefix.clone(),
            delimiter: self.delimiter.clone(),
            cursor: self.continuation_token.clone(),
            start_after: self.start_after.clone(),
        })
    }

    fn url(&self) -> bool {
        matches!(self.encoding_type, Some(EncodingType::Url))
    }

    fn enc(&self, value: &str) -> String {
        if self.url() {
            url_encode(value)
        } else {
            value.to_owned()
        }
    }

    /// Whether a common prefix R2 returned belongs on this page (see the module docs).
    fn keeps_prefix(&self, prefix: &str) -> bool {
        match &self.start_after {
            Some(marker) => {
                prefix > marker.as_str() || (marker.starts_with(prefix) && marker != prefix)
            }
            None => true,
        }
    }

    /// The S3 answer for a page of R2's listing.
    ///
    /// # Errors
    /// `InternalError` when the document cannot be written.
    pub fn output(&self, page: ListPage) -> StoreResult<ResponseParts> {
        let prefixes: Vec<String> = page
            .prefixes
            .into_iter()
            .filter(|p| self.keeps_prefix(p))
            .collect();
        // The entry listed last, in key order (V1's NextMarker).
        let last = page
            .objects
            .last()
            .map(|o| o.key.clone())
            .into_iter()
            .chain(prefixes.last().cloned())
            .max();
        let contents: Vec<Object> = page
            .objects
            .iter()
            .map(|o| Object {
                key: Some(self.enc(&o.key)),
                last_modified: Some(o.last_modified()),
                e_tag: Some(o.quoted_etag()),
                size: Some(i64::try_from(o.size).unwrap_or(i64::MAX)),
                storage_class: Some(ObjectStorageClass::Standard),
                ..Object::default()
            })
            .collect();
        let common_prefixes: Vec<CommonPrefix> = prefixes
            .iter()
            .map(|p| CommonPrefix {
                prefix: Some(self.enc(p)),
            })
            .collect();
        let truncated = page.truncated;
        let result = match self.version {
            ListVersion::V2 => ListObjectsV2Output {
                is_truncated: Some(truncated),
                key_count: i32::try_from(contents.len() + common_prefixes.len()).ok(),
                contents,
                common_prefixes,
                name: Some(self.bucket.clone()),
                prefix: Some(
                    self.prefix
                        .as_deref()
                        .map(|p| self.enc(p))
                        .unwrap_or_default(),
                ),
                delimiter: self.delimiter.as_deref().map(|d| self.enc(d)),
                max_keys: Some(self.max_keys),
                encoding_type: self.encoding_type.clone(),
                continuation_token: self.continuation_token.clone(),
                next_continuation_token: page.cursor.filter(|_| truncated),
                start_after: self.start_after.as_deref().map(|s| self.enc(s)),
                ..ListObjectsV2Output::default()
            }
            .to_http(),
            ListVersion::V1 => ListObjectsOutput {
                is_truncated: Some(truncated),
                marker: Some(
                    self.start_after
                        .as_deref()
                        .map(|m| self.enc(m))
                        .unwrap_or_default(),
                ),
                next_marker: last
                    .filter(|_| truncated && self.delimiter.is_some())
                    .map(|m| self.enc(&m)),
                contents,
                common_prefixes,
                name: Some(self.bucket.clone()),
                prefix: Some(
                    self.prefix
                        .as_deref()
                        .map(|p| self.enc(p))
                        .unwrap_or_default(),
                ),
                delimiter: self.delimiter.as_deref().map(|d| self.enc(d)),
                max_keys: Some(self.max_keys),
                encoding_type: self.encoding_type.clone(),
                ..ListObjectsOutput::default()
            }
            .to_http(),
        };
        result.map_err(|e| StoreError::internal(format!("cannot write the listing: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use multistore_core::s3::{S3Operation, S3Response};

    fn obj(key: &str) -> ObjectInfo {
        ObjectInfo {
            key: key.into(),
            size: 3,
            etag: "e".into(),
            uploaded_ms: 1_000,
            ..ObjectInfo::default()
        }
    }

    fn v2(f: impl FnOnce(&mut ListObjectsV2Request)) -> ListCall {
        let mut r = ListObjectsV2Request {
            bucket: "b".into(),
            ..ListObjectsV2Request::default()
        };
        f(&mut r);
        ListCall::v2(&r).unwrap()
    }

    fn parse_v2(p: &ResponseParts) -> ListObjectsV2Output {
        match S3Response::from_http(S3Operation::ListObjectsV2, &p.headers, p.body.as_deref())
            .unwrap()
        {
            S3Response::ListObjectsV2(o) => o,
            _ => panic!("not a V2 listing"),
        }
    }

    #[test]
    fn max_keys_caps_at_r2s_page_and_zero_lists_nothing() {
        assert_eq!(v2(|_| {}).r2_options().unwrap().limit, 1000);
        assert_eq!(
            v2(|r| r.max_keys = Some(5000)).r2_options().unwrap().limit,
            1000
        );
        assert_eq!(v2(|r| r.max_keys = Some(2)).r2_options().unwrap().limit, 2);
        assert_eq!(v2(|r| r.max_keys = Some(0)).r2_options(), None);
        let bad = ListObjectsV2Request {
            max_keys: Some(-1),
            ..ListObjectsV2Request::default()
        };
        assert_eq!(ListCall::v2(&bad).unwrap_err().code, "InvalidArgument");
    }

    #[test]
    fn continuation_tokens_are_r2_cursors() {
        let call = v2(|r| {
            r.continuation_token = Some("CURSOR1".into());
            r.prefix = Some("a/".into());
            r.delimiter = Some("/".into());
        });
        let o = call.r2_options().unwrap();
        assert_eq!(o.cursor.as_deref(), Some("CURSOR1"));
        assert_eq!(o.prefix.as_deref(), Some("a/"));
        let page = ListPage {
            objects: vec![obj("a/1")],
            prefixes: vec!["a/d/".into()],
            truncated: true,
            cursor: Some("CURSOR2".into()),
        };
        let out = parse_v2(&call.output(page).unwrap());
        assert_eq!(out.is_truncated, Some(true));
        assert_eq!(out.key_count, Some(2));
        assert_eq!(out.next_continuation_token.as_deref(), Some("CURSOR2"));
        assert_eq!(out.continuation_token.as_deref(), Some("CURSOR1"));
        assert_eq!(out.contents[0].key.as_deref(), Some("a/1"));
        assert_eq!(out.contents[0].e_tag.as_deref(), Some("\"e\""));
        assert_eq!(out.common_prefixes[0].prefix.as_deref(), Some("a/d/"));
    }

    #[test]
    fn the_last_page_has_no_next_token() {
        let page = ListPage {
            objects: vec![obj("x")],
            truncated: false,
            cursor: Some("ignored".into()),
            ..ListPage::default()
        };
        let out = parse_v2(&v2(|_| {}).output(page).unwrap());
        assert_eq!(out.is_truncated, Some(false));
        assert_eq!(out.next_continuation_token, None);
    }

    #[test]
    fn url_encoding_applies_to_keys_and_prefixes() {
        let call = v2(|r| r.encoding_type = Some(EncodingType::Url));
        let page = ListPage {
            objects: vec![obj("a b/ü")],
            prefixes: vec!["c d/".into()],
            ..ListPage::default()
        };
        let p = call.output(page).unwrap();
        let body = String::from_utf8(p.body.unwrap().to_vec()).unwrap();
        assert!(body.contains("<Key>a+b/%C3%BC</Key>"), "{body}");
        assert!(body.contains("<Prefix>c+d/</Prefix>"), "{body}");
    }

    #[test]
    fn v1_markers_continue_after_a_common_prefix() {
        let r = ListObjectsRequest {
            bucket: "b".into(),
            delimiter: Some("/".into()),
            marker: Some("dir/".into()),
            max_keys: Some(2),
            ..ListObjectsRequest::default()
        };
        let call = ListCall::v1(&r).unwrap();
        assert_eq!(
            call.r2_options().unwrap().start_after.as_deref(),
            Some("dir/")
        );
        // R2 rolls `dir/x` (after the marker) up into `dir/` again: it is dropped.
        let page = ListPage {
            objects: vec![obj("e")],
            prefixes: vec!["dir/".into(), "f/".into()],
            truncated: true,
            cursor: None,
        };
        let p = call.output(page).unwrap();
        let S3Response::ListObjects(out) =
            S3Response::from_http(S3Operation::ListObjects, &p.headers, p.body.as_deref()).unwrap()
        else {
            panic!("not a V1 listing")
        };
        assert_eq!(out.common_prefixes.len(), 1);
        assert_eq!(out.common_prefixes[0].prefix.as_deref(), Some("f/"));
        assert_eq!(out.next_marker.as_deref(), Some("f/"));
        assert_eq!(out.marker.as_deref(), Some("dir/"));
    }

    #[test]
    fn a_marker_inside_a_prefix_keeps_that_prefix() {
        let r = ListObjectsRequest {
            bucket: "b".into(),
            delimiter: Some("/".into()),
            marker: Some("dir/a".into()),
            ..ListObjectsRequest::default()
        };
        let call = ListCall::v1(&r).unwrap();
        assert!(call.keeps_prefix("dir/"));
        assert!(!call.keeps_prefix("alpha/"));
        assert!(call.keeps_prefix("zeta/"));
    }
}
