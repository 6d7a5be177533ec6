//! Byte-faithful S3 paths: splitting a raw request path into bucket and key (the `{Bucket}`
//! and greedy `{Key+}` labels), percent-decoding them exactly, and encoding keys for a
//! backend request.
//!
//! S3 never normalizes a key: `dir/`, `a//b`, `./..` segments, `+` (a literal plus, not a
//! space) and `%2F` (a slash) all stay as sent. Decoding is strict: a malformed escape or a
//! key that is not UTF-8 after decoding is an error, never a guess.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::route::PathShape;

/// A request path, split and decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Path {
    pub shape: PathShape,
    pub bucket: Option<String>,
    pub key: Option<String>,
}

/// Why a path cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path does not start with '/'")]
    NotAbsolute,
    #[error("malformed percent-escape in the path")]
    BadEscape,
    #[error("the path is not UTF-8 after percent-decoding")]
    NotUtf8,
    #[error("the bucket name is empty")]
    EmptyBucket,
}

/// Decodes `%XX` escapes exactly; `+` stays a plus. Rejects a `%` not followed by two hex digits.
pub fn decode_component(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !ok {
                return Err(PathError::BadEscape);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| PathError::NotUtf8)
}

/// Splits a path-style request path (`/`, `/bucket`, `/bucket/`, `/bucket/key…`).
pub fn split_path_style(raw_path: &str) -> Result<S3Path, PathError> {
    let rest = raw_path.strip_prefix('/').ok_or(PathError::NotAbsolute)?;
    if rest.is_empty() {
        return Ok(S3Path {
            shape: PathShape::Root,
            bucket: None,
            key: None,
        });
    }
    let (bucket, key) = match rest.split_once('/') {
        Some((b, k)) => (b, Some(k)),
        None => (rest, None),
    };
    if bucket.is_empty() {
        return Err(PathError::EmptyBucket);
    }
    let bucket = decode_component(bucket)?;
    match key.filter(|k| !k.is_empty()) {
        Some(k) => Ok(S3Path {
            shape: PathShape::Object,
            bucket: Some(bucket),
            key: Some(decode_component(k)?),
        }),
        None => Ok(S3Path {
            shape: PathShape::Bucket,
            bucket: Some(bucket),
            key: None,
        }),
    }
}

/// Splits the path of a virtual-hosted request, whose bucket came from the Host header.
pub fn split_virtual_hosted(bucket: &str, raw_path: &str) -> Result<S3Path, PathError> {
    let rest = raw_path.strip_prefix('/').ok_or(PathError::NotAbsolute)?;
    if bucket.is_empty() {
        return Err(PathError::EmptyBucket);
    }
    if rest.is_empty() {
        return Ok(S3Path {
            shape: PathShape::Bucket,
            bucket: Some(bucket.to_owned()),
            key: None,
        });
    }
    Ok(S3Path {
        shape: PathShape::Object,
        bucket: Some(bucket.to_owned()),
        key: Some(decode_component(rest)?),
    })
}

/// Characters kept literal in an encoded key: the SigV4 unreserved set plus `/`.
const KEY_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');
/// Characters kept literal in an encoded bucket or query component: the unreserved set.
const COMPONENT_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Encodes a key for a request path the way SigV4 canonicalizes S3 paths: every byte but the
/// unreserved characters and `/` becomes `%XX`.
pub fn encode_key(key: &str) -> String {
    utf8_percent_encode(key, KEY_KEEP).to_string()
}

/// Encodes a path segment or query component: every byte but the unreserved characters.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT_KEEP).to_string()
}

/// The encoded path for a bucket and key, path-style (`/bucket/key`).
pub fn path_style(bucket: Option<&str>, key: Option<&str>) -> String {
    match (bucket, key) {
        (None, _) => "/".to_owned(),
        (Some(b), None) => format!("/{}", encode_component(b)),
        (Some(b), Some(k)) => format!("/{}/{}", encode_component(b), encode_key(k)),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn path_shapes() {
        assert_eq!(split_path_style("/").unwrap().shape, PathShape::Root);
        assert_eq!(split_path_style("/b").unwrap().shape, PathShape::Bucket);
        assert_eq!(
            split_path_style("/b/").unwrap().shape,
            PathShape::Bucket,
            "a trailing slash is the bucket"
        );
        let p = split_path_style("/b/dir/").unwrap();
        assert_eq!(
            (p.shape, p.key.as_deref()),
            (PathShape::Object, Some("dir/"))
        );
        assert_eq!(split_path_style("//k"), Err(PathError::EmptyBucket));
        assert_eq!(split_path_style("b/k"), Err(PathError::NotAbsolute));
    }

    #[test]
    fn keys_are_byte_faithful() {
        let cases = [
            ("/b/a//b", "a//b"),
            ("/b/./..", "./.."),
            ("/b/a+b", "a+b"),
            ("/b/a%2Bb", "a+b"),
            ("/b/a%20b", "a b"),
            ("/b/a%2Fb", "a/b"),
            ("/b/%E2%9C%93", "✓"),
            ("/b/%25", "%"),
            ("/b//lead", "/lead"),
        ];
        for (path, key) in cases {
            assert_eq!(
                split_path_style(path).unwrap().key.as_deref(),
                Some(key),
                "{path}"
            );
        }
    }

    #[test]
    fn malformed_escapes_and_non_utf8_are_refused() {
        assert_eq!(split_path_style("/b/%zz"), Err(PathError::BadEscape));
        assert_eq!(split_path_style("/b/%2"), Err(PathError::BadEscape));
        assert_eq!(split_path_style("/b/%FF"), Err(PathError::NotUtf8));
    }

    #[test]
    fn virtual_hosted_paths() {
        assert_eq!(
            split_virtual_hosted("b", "/").unwrap().shape,
            PathShape::Bucket
        );
        assert_eq!(
            split_virtual_hosted("b", "/k/").unwrap().key.as_deref(),
            Some("k/")
        );
        assert_eq!(
            split_virtual_hosted("b", "//x").unwrap().key.as_deref(),
            Some("/x")
        );
    }

    #[test]
    fn encoding_keeps_only_unreserved_and_slash() {
        assert_eq!(encode_key("a b+c/d~e_f.g-h"), "a%20b%2Bc/d~e_f.g-h");
        assert_eq!(encode_key("ü?#[]*%="), "%C3%BC%3F%23%5B%5D%2A%25%3D");
        assert_eq!(path_style(Some("b"), Some("./..")), "/b/./..");
    }

    proptest! {
        #[test]
        fn any_key_round_trips_through_the_path(key in "\\PC{1,24}") {
            let path = path_style(Some("bucket"), Some(&key));
            let back = split_path_style(&path).unwrap();
            prop_assert_eq!(back.bucket.as_deref(), Some("bucket"));
            if key.is_empty() {
                prop_assert_eq!(back.shape, PathShape::Bucket);
            } else {
                prop_assert_eq!(back.key.as_deref(), Some(key.as_str()));
            }
        }
    }
}
