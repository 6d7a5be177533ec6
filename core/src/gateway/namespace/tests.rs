//! Tests of the client ↔ backend namespace translation.

use super::*;
use crate::s3::{
    CommonPrefix, Delete, DeleteObjectsRequest, GetObjectRequest, ListObjectsV2Output,
    ListObjectsV2Request, Object, ObjectIdentifier,
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
