//! Tests of the client ↔ backend namespace translation.

use super::*;
use crate::s3::{
    CommonPrefix, Delete, DeleteMarkerEntry, DeleteObjectsRequest, GetObjectRequest,
    ListMultipartUploadsOutput, ListMultipartUploadsRequest, ListObjectVersionsOutput,
    ListObjectVersionsRequest, ListObjectsOutput, ListObjectsRequest, ListObjectsV2Output,
    ListObjectsV2Request, MultipartUpload, Object, ObjectIdentifier, ObjectVersion,
};

fn ns() -> Namespace {
    Namespace {
        client_bucket: "photos".into(),
        backend_bucket: "store".into(),
        prefix: "tenant/".into(),
    }
}

#[test]
fn keys_and_buckets_move_into_the_backend_namespace() {
    let mut req = S3Request::GetObject(GetObjectRequest {
        bucket: "photos".into(),
        key: "a//b/./..".into(),
        ..GetObjectRequest::default()
    });
    ns().request_to_backend(&mut req);
    let S3Request::GetObject(r) = req else {
        unreachable!()
    };
    assert_eq!(
        (r.bucket.as_str(), r.key.as_str()),
        ("store", "tenant/a//b/./..")
    );
}

#[test]
fn an_absent_list_prefix_becomes_the_key_prefix() {
    let mut req = S3Request::ListObjectsV2(ListObjectsV2Request {
        bucket: "photos".into(),
        start_after: Some("m".into()),
        ..ListObjectsV2Request::default()
    });
    ns().request_to_backend(&mut req);
    let S3Request::ListObjectsV2(r) = req else {
        unreachable!()
    };
    assert_eq!(r.prefix.as_deref(), Some("tenant/"));
    assert_eq!(r.start_after.as_deref(), Some("tenant/m"));
}

#[test]
fn delete_objects_keys_are_prefixed() {
    let mut req = S3Request::DeleteObjects(DeleteObjectsRequest {
        bucket: "photos".into(),
        delete: Delete {
            objects: vec![ObjectIdentifier {
                key: "x".into(),
                ..ObjectIdentifier::default()
            }],
            quiet: None,
        },
        ..DeleteObjectsRequest::default()
    });
    ns().request_to_backend(&mut req);
    let S3Request::DeleteObjects(r) = req else {
        unreachable!()
    };
    assert_eq!(r.delete.objects[0].key, "tenant/x");
}

fn listing(keys: &[&str], prefixes: &[&str], encoding: Option<EncodingType>) -> S3Response {
    S3Response::ListObjectsV2(ListObjectsV2Output {
        name: Some("store".into()),
        prefix: Some("tenant/".into()),
        contents: keys
            .iter()
            .map(|k| Object {
                key: Some((*k).into()),
                ..Object::default()
            })
            .collect(),
        common_prefixes: prefixes
            .iter()
            .map(|p| CommonPrefix {
                prefix: Some((*p).into()),
            })
            .collect(),
        key_count: Some(i32::try_from(keys.len() + prefixes.len()).unwrap()),
        encoding_type: encoding,
        ..ListObjectsV2Output::default()
    })
}

#[test]
fn listings_lose_the_prefix_and_never_show_foreign_keys() {
    let mut resp = listing(
        &["tenant/a", "other/secret", "tenant/b c"],
        &["tenant/dir/"],
        None,
    );
    ns().response_to_client(&mut resp);
    let S3Response::ListObjectsV2(r) = resp else {
        unreachable!()
    };
    let keys: Vec<_> = r.contents.iter().map(|o| o.key.clone().unwrap()).collect();
    assert_eq!(keys, ["a", "b c"]);
    assert_eq!(r.common_prefixes[0].prefix.as_deref(), Some("dir/"));
    assert_eq!(r.name.as_deref(), Some("photos"));
    assert_eq!(r.prefix.as_deref(), Some(""));
    assert_eq!(r.key_count, Some(3));
}

#[test]
fn url_encoded_listings_are_decoded_stripped_and_reencoded() {
    let mut resp = listing(
        &["tenant/b+c%2B", "tenant/%C3%BC"],
        &[],
        Some(EncodingType::Url),
    );
    ns().response_to_client(&mut resp);
    let S3Response::ListObjectsV2(r) = resp else {
        unreachable!()
    };
    let keys: Vec<_> = r.contents.iter().map(|o| o.key.clone().unwrap()).collect();
    assert_eq!(keys, ["b+c%2B", "%C3%BC"]);
}

#[test]
fn identity_namespaces_need_no_rewrite() {
    let id = Namespace {
        client_bucket: "b".into(),
        backend_bucket: "b".into(),
        prefix: String::new(),
    };
    assert!(id.is_identity());
    assert!(!id.response_needs_rewrite(crate::s3::S3Operation::ListObjectsV2));
    assert!(ns().response_needs_rewrite(crate::s3::S3Operation::ListObjectsV2));
    assert!(!ns().response_needs_rewrite(crate::s3::S3Operation::GetObject));
}

#[test]
fn url_encoding_keeps_slashes_and_encodes_the_rest() {
    assert_eq!(url_encode("a b/c+d~é"), "a+b/c%2Bd~%C3%A9");
}

#[test]
fn copy_sources_use_the_source_namespace() {
    assert_eq!(
        ns().copy_source("a b", Some("v 1")),
        "/store/tenant/a%20b?versionId=v%201"
    );
}

fn keys<T>(items: &[T], key: impl Fn(&T) -> Option<&String>) -> Vec<&str> {
    items
        .iter()
        .map(|i| key(i).map_or("", String::as_str))
        .collect()
}

fn prefixes(common: &[CommonPrefix]) -> Vec<&str> {
    keys(common, |p| p.prefix.as_ref())
}

fn common(prefixes: &[&str]) -> Vec<CommonPrefix> {
    prefixes
        .iter()
        .map(|p| CommonPrefix {
            prefix: Some((*p).into()),
        })
        .collect()
}

#[test]
fn list_objects_v1_markers_move_into_the_prefix() {
    let mut req = S3Request::ListObjects(ListObjectsRequest {
        bucket: "photos".into(),
        prefix: Some("2024/".into()),
        marker: Some("2024/b".into()),
        delimiter: Some("/".into()),
        ..ListObjectsRequest::default()
    });
    ns().request_to_backend(&mut req);
    let S3Request::ListObjects(r) = req else {
        unreachable!()
    };
    assert_eq!(r.bucket, "store");
    assert_eq!(r.prefix.as_deref(), Some("tenant/2024/"));
    assert_eq!(r.marker.as_deref(), Some("tenant/2024/b"));
    assert_eq!(
        r.delimiter.as_deref(),
        Some("/"),
        "the delimiter is not a key"
    );

    let mut req = S3Request::ListObjects(ListObjectsRequest {
        bucket: "photos".into(),
        ..ListObjectsRequest::default()
    });
    ns().request_to_backend(&mut req);
    let S3Request::ListObjects(r) = req else {
        unreachable!()
    };
    assert_eq!(
        (r.prefix.as_deref(), r.marker.as_deref()),
        (Some("tenant/"), None)
    );
}

#[test]
fn list_objects_v1_answers_lose_the_prefix_in_keys_markers_and_common_prefixes() {
    let mut resp = S3Response::ListObjects(ListObjectsOutput {
        name: Some("store".into()),
        prefix: Some("tenant/2024/".into()),
        marker: Some("tenant/2024/b".into()),
        next_marker: Some("tenant/2024/d/".into()),
        delimiter: Some("/".into()),
        is_truncated: Some(true),
        contents: ["tenant/2024/c", "other/secret"]
            .iter()
            .map(|k| Object {
                key: Some((*k).into()),
                ..Object::default()
            })
            .collect(),
        common_prefixes: common(&["tenant/2024/d/", "other/"]),
        ..ListObjectsOutput::default()
    });
    ns().response_to_client(&mut resp);
    let S3Response::ListObjects(r) = resp else {
        unreachable!()
    };
    assert_eq!(r.name.as_deref(), Some("photos"));
    assert_eq!(keys(&r.contents, |o| o.key.as_ref()), ["2024/c"]);
    assert_eq!(prefixes(&r.common_prefixes), ["2024/d/"]);
    assert_eq!(r.prefix.as_deref(), Some("2024/"));
    assert_eq!(r.marker.as_deref(), Some("2024/b"));
    assert_eq!(r.next_marker.as_deref(), Some("2024/d/"));
    assert_eq!(r.delimiter.as_deref(), Some("/"));
    assert_eq!(r.is_truncated, Some(true));
}

#[test]
fn list_objects_v1_url_encoded_answers_are_decoded_stripped_and_reencoded() {
    let mut resp = S3Response::ListObjects(ListObjectsOutput {
        encoding_type: Some(EncodingType::Url),
        prefix: Some("tenant/a%20b/".into()),
        marker: Some("tenant/a+b/%2B".into()),
        next_marker: Some("tenant/a+b/%C3%BC%20x/".into()),
        contents: vec![Object {
            key: Some("tenant/a%20b/c%2Bd".into()),
            ..Object::default()
        }],
        common_prefixes: common(&["tenant/a+b/%C3%BC%20x/", "tenant%2Fx/", "other%2F"]),
        ..ListObjectsOutput::default()
    });
    ns().response_to_client(&mut resp);
    let S3Response::ListObjects(r) = resp else {
        unreachable!()
    };
    // `encoding-type=url` as S3 writes it: space as `+`, `/` kept.
    assert_eq!(keys(&r.contents, |o| o.key.as_ref()), ["a+b/c%2Bd"]);
    assert_eq!(prefixes(&r.common_prefixes), ["a+b/%C3%BC+x/", "x/"]);
    assert_eq!(r.prefix.as_deref(), Some("a+b/"));
    assert_eq!(r.marker.as_deref(), Some("a+b/%2B"));
    assert_eq!(r.next_marker.as_deref(), Some("a+b/%C3%BC+x/"));
}

#[test]
fn empty_echoed_markers_stay_empty() {
    // S3 echoes `<Marker></Marker>` when none was sent; it is no marker in either namespace.
    for encoding_type in [None, Some(EncodingType::Url)] {
        let mut resp = S3Response::ListObjects(ListObjectsOutput {
            marker: Some(String::new()),
            encoding_type: encoding_type.clone(),
            ..ListObjectsOutput::default()
        });
        ns().response_to_client(&mut resp);
        let S3Response::ListObjects(r) = resp else {
            unreachable!()
        };
        assert_eq!(r.marker.as_deref(), Some(""), "{encoding_type:?}");
    }
    let mut resp = S3Response::ListObjectVersions(ListObjectVersionsOutput {
        key_marker: Some(String::new()),
        ..ListObjectVersionsOutput::default()
    });
    ns().response_to_client(&mut resp);
    let S3Response::ListObjectVersions(r) = resp else {
        unreachable!()
    };
    assert_eq!(r.key_marker.as_deref(), Some(""));
}

#[test]
fn list_object_versions_key_markers_cross_both_ways() {
    let mut req = S3Request::ListObjectVersions(ListObjectVersionsRequest {
        bucket: "photos".into(),
        key_marker: Some("k 1".into()),
        version_id_marker: Some("v1".into()),
        ..ListObjectVersionsRequest::default()
    });
    ns().request_to_backend(&mut req);
    let S3Request::ListObjectVersions(r) = req else {
        unreachable!()
    };
    assert_eq!(r.bucket, "store");
    assert_eq!(r.prefix.as_deref(), Some("tenant/"));
    assert_eq!(r.key_marker.as_deref(), Some("tenant/k 1"));
    assert_eq!(
        r.version_id_marker.as_deref(),
        Some("v1"),
        "version ids are not keys"
    );

    for (url, raw, client) in [
        (
            false,
            ["tenant/k 1", "tenant/b+", "tenant/d/"],
            ["k 1", "b+", "d/"],
        ),
        (
            true,
            ["tenant/k%201", "tenant/b%2B", "tenant/d%2F"],
            ["k+1", "b%2B", "d/"],
        ),
    ] {
        let version = |key: &str| ObjectVersion {
            key: Some(key.into()),
            version_id: Some("v".into()),
            ..ObjectVersion::default()
        };
        let marker = |key: &str| DeleteMarkerEntry {
            key: Some(key.into()),
            ..DeleteMarkerEntry::default()
        };
        let mut resp = S3Response::ListObjectVersions(ListObjectVersionsOutput {
            name: Some("store".into()),
            prefix: Some("tenant/".into()),
            key_marker: Some(raw[0].into()),
            version_id_marker: Some("v1".into()),
            next_key_marker: Some(raw[1].into()),
            next_version_id_marker: Some("v9".into()),
            versions: vec![version(raw[0]), version("other/x")],
            delete_markers: vec![marker(raw[1]), marker("other/y")],
            common_prefixes: common(&[raw[2], "other/"]),
            encoding_type: url.then_some(EncodingType::Url),
            ..ListObjectVersionsOutput::default()
        });
        ns().response_to_client(&mut resp);
        let S3Response::ListObjectVersions(r) = resp else {
            unreachable!()
        };
        assert_eq!(r.name.as_deref(), Some("photos"));
        assert_eq!(keys(&r.versions, |v| v.key.as_ref()), [client[0]], "{url}");
        assert_eq!(keys(&r.delete_markers, |m| m.key.as_ref()), [client[1]]);
        assert_eq!(prefixes(&r.common_prefixes), [client[2]]);
        assert_eq!(r.prefix.as_deref(), Some(""));
        assert_eq!(r.key_marker.as_deref(), Some(client[0]));
        assert_eq!(r.next_key_marker.as_deref(), Some(client[1]));
        assert_eq!(
            (
                r.version_id_marker.as_deref(),
                r.next_version_id_marker.as_deref()
            ),
            (Some("v1"), Some("v9"))
        );
    }
}

#[test]
fn list_multipart_uploads_key_markers_cross_both_ways() {
    let mut req = S3Request::ListMultipartUploads(ListMultipartUploadsRequest {
        bucket: "photos".into(),
        prefix: Some("up/".into()),
        key_marker: Some("up/a".into()),
        upload_id_marker: Some("u1".into()),
        ..ListMultipartUploadsRequest::default()
    });
    ns().request_to_backend(&mut req);
    let S3Request::ListMultipartUploads(r) = req else {
        unreachable!()
    };
    assert_eq!(r.bucket, "store");
    assert_eq!(r.prefix.as_deref(), Some("tenant/up/"));
    assert_eq!(r.key_marker.as_deref(), Some("tenant/up/a"));
    assert_eq!(r.upload_id_marker.as_deref(), Some("u1"));

    for (url, raw, client) in [
        (false, ["tenant/up/a", "tenant/up/ü z"], ["up/a", "up/ü z"]),
        (
            true,
            ["tenant/up/a", "tenant/up/%C3%BC%20z"],
            ["up/a", "up/%C3%BC+z"],
        ),
    ] {
        let upload = |key: &str| MultipartUpload {
            key: Some(key.into()),
            upload_id: Some("u".into()),
            ..MultipartUpload::default()
        };
        let mut resp = S3Response::ListMultipartUploads(ListMultipartUploadsOutput {
            bucket: Some("store".into()),
            prefix: Some("tenant/up/".into()),
            key_marker: Some(raw[0].into()),
            upload_id_marker: Some("u1".into()),
            next_key_marker: Some(raw[1].into()),
            next_upload_id_marker: Some("u9".into()),
            is_truncated: Some(true),
            uploads: vec![upload(raw[1]), upload("elsewhere/x")],
            common_prefixes: common(&["other/"]),
            encoding_type: url.then_some(EncodingType::Url),
            ..ListMultipartUploadsOutput::default()
        });
        ns().response_to_client(&mut resp);
        let S3Response::ListMultipartUploads(r) = resp else {
            unreachable!()
        };
        assert_eq!(r.bucket.as_deref(), Some("photos"));
        assert_eq!(keys(&r.uploads, |u| u.key.as_ref()), [client[1]], "{url}");
        assert!(r.common_prefixes.is_empty(), "foreign prefixes are dropped");
        assert_eq!(r.prefix.as_deref(), Some("up/"));
        assert_eq!(r.key_marker.as_deref(), Some(client[0]));
        assert_eq!(r.next_key_marker.as_deref(), Some(client[1]));
        assert_eq!(
            (
                r.upload_id_marker.as_deref(),
                r.next_upload_id_marker.as_deref()
            ),
            (Some("u1"), Some("u9"))
        );
    }
}
