//! The operation → checks table: every served operation maps to at least one check, the
//! expected action and target for each, copies check their source, DeleteObjects is checked key
//! by key, and `authorize` applies scopes and anonymous reads as documented.

use multistore_core::authz::{
    Access, Action, ActionSet, BucketPattern, Check, CopySourceError, Denied, Identity, Principal,
    Scope, Target, authorize, authorize_all, delete_objects_checks, required_access,
};
use multistore_core::s3::*;

/// A request of `op` on bucket `b`, key `k` (where it has one), copying from `src/k`.
fn sample(op: S3Operation) -> S3Request {
    let (b, k) = ("b".to_owned(), "k".to_owned());
    let src = "src/k".to_owned();
    // An exhaustive match: a new operation does not compile until it is sampled here.
    match op {
        S3Operation::ListBuckets => S3Request::ListBuckets(ListBucketsRequest::default()),
        S3Operation::HeadBucket => S3Request::HeadBucket(HeadBucketRequest {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::GetBucketLocation => S3Request::GetBucketLocation(GetBucketLocationRequest {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::CreateBucket => S3Request::CreateBucket(CreateBucketRequest {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::DeleteBucket => S3Request::DeleteBucket(DeleteBucketRequest {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::ListObjects => S3Request::ListObjects(ListObjectsRequest {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::ListObjectsV2 => S3Request::ListObjectsV2(ListObjectsV2Request {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::ListObjectVersions => {
            S3Request::ListObjectVersions(ListObjectVersionsRequest {
                bucket: b,
                ..Default::default()
            })
        }
        S3Operation::GetObject => S3Request::GetObject(GetObjectRequest {
            bucket: b,
            key: k,
            ..Default::default()
        }),
        S3Operation::HeadObject => S3Request::HeadObject(HeadObjectRequest {
            bucket: b,
            key: k,
            ..Default::default()
        }),
        S3Operation::PutObject => S3Request::PutObject(PutObjectRequest {
            bucket: b,
            key: k,
            ..Default::default()
        }),
        S3Operation::CopyObject => S3Request::CopyObject(CopyObjectRequest {
            bucket: b,
            key: k,
            copy_source: src,
            ..Default::default()
        }),
        S3Operation::DeleteObject => S3Request::DeleteObject(DeleteObjectRequest {
            bucket: b,
            key: k,
            ..Default::default()
        }),
        S3Operation::DeleteObjects => S3Request::DeleteObjects(DeleteObjectsRequest {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::GetObjectAttributes => {
            S3Request::GetObjectAttributes(GetObjectAttributesRequest {
                bucket: b,
                key: k,
                ..Default::default()
            })
        }
        S3Operation::CreateMultipartUpload => {
            S3Request::CreateMultipartUpload(CreateMultipartUploadRequest {
                bucket: b,
                key: k,
                ..Default::default()
            })
        }
        S3Operation::UploadPart => S3Request::UploadPart(UploadPartRequest {
            bucket: b,
            key: k,
            ..Default::default()
        }),
        S3Operation::UploadPartCopy => S3Request::UploadPartCopy(UploadPartCopyRequest {
            bucket: b,
            key: k,
            copy_source: src,
            ..Default::default()
        }),
        S3Operation::CompleteMultipartUpload => {
            S3Request::CompleteMultipartUpload(CompleteMultipartUploadRequest {
                bucket: b,
                key: k,
                ..Default::default()
            })
        }
        S3Operation::AbortMultipartUpload => {
            S3Request::AbortMultipartUpload(AbortMultipartUploadRequest {
                bucket: b,
                key: k,
                ..Default::default()
            })
        }
        S3Operation::ListParts => S3Request::ListParts(ListPartsRequest {
            bucket: b,
            key: k,
            ..Default::default()
        }),
        S3Operation::ListMultipartUploads => {
            S3Request::ListMultipartUploads(ListMultipartUploadsRequest {
                bucket: b,
                ..Default::default()
            })
        }
        S3Operation::GetObjectTagging => S3Request::GetObjectTagging(GetObjectTaggingRequest {
            bucket: b,
            key: k,
            ..Default::default()
        }),
        S3Operation::PutObjectTagging => S3Request::PutObjectTagging(PutObjectTaggingRequest {
            bucket: b,
            key: k,
            ..Default::default()
        }),
        S3Operation::DeleteObjectTagging => {
            S3Request::DeleteObjectTagging(DeleteObjectTaggingRequest {
                bucket: b,
                key: k,
                ..Default::default()
            })
        }
        S3Operation::GetBucketCors => S3Request::GetBucketCors(GetBucketCorsRequest {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::PutBucketCors => S3Request::PutBucketCors(PutBucketCorsRequest {
            bucket: b,
            ..Default::default()
        }),
        S3Operation::DeleteBucketCors => S3Request::DeleteBucketCors(DeleteBucketCorsRequest {
            bucket: b,
            ..Default::default()
        }),
    }
}

fn checks(request: &S3Request) -> Vec<Check> {
    match required_access(request) {
        Ok(access) => access.checks,
        Err(e) => panic!("{e}"),
    }
}

fn key(action: Action) -> Check {
    Check::key("b", "k", action)
}

#[test]
fn every_operation_needs_at_least_one_check() {
    assert_eq!(S3Operation::ALL.len(), 28);
    for &op in S3Operation::ALL {
        let request = sample(op);
        assert_eq!(request.operation(), op);
        assert!(!checks(&request).is_empty(), "{op}");
    }
}

#[test]
fn the_table() {
    use Action as A;
    let bucket = |a| Check::bucket("b", a);
    let whole = |a| Check::whole_bucket("b", a);
    let expected: Vec<(S3Operation, Vec<Check>)> = vec![
        (
            S3Operation::ListBuckets,
            vec![Check::service(A::ListAllMyBuckets)],
        ),
        (S3Operation::HeadBucket, vec![bucket(A::HeadBucket)]),
        (
            S3Operation::GetBucketLocation,
            vec![bucket(A::GetBucketLocation)],
        ),
        (S3Operation::CreateBucket, vec![whole(A::CreateBucket)]),
        (S3Operation::DeleteBucket, vec![whole(A::DeleteBucket)]),
        (S3Operation::ListObjects, vec![whole(A::ListBucket)]),
        (S3Operation::ListObjectsV2, vec![whole(A::ListBucket)]),
        (
            S3Operation::ListObjectVersions,
            vec![whole(A::ListBucketVersions)],
        ),
        (S3Operation::GetObject, vec![key(A::GetObject)]),
        (S3Operation::HeadObject, vec![key(A::HeadObject)]),
        (S3Operation::PutObject, vec![key(A::PutObject)]),
        (
            S3Operation::CopyObject,
            vec![key(A::PutObject), Check::key("src", "k", A::GetObject)],
        ),
        (S3Operation::DeleteObject, vec![key(A::DeleteObject)]),
        (S3Operation::DeleteObjects, vec![bucket(A::DeleteObject)]),
        (
            S3Operation::GetObjectAttributes,
            vec![key(A::GetObjectAttributes)],
        ),
        (
            S3Operation::CreateMultipartUpload,
            vec![key(A::CreateMultipartUpload)],
        ),
        (S3Operation::UploadPart, vec![key(A::UploadPart)]),
        (
            S3Operation::UploadPartCopy,
            vec![key(A::UploadPart), Check::key("src", "k", A::GetObject)],
        ),
        (
            S3Operation::CompleteMultipartUpload,
            vec![key(A::CompleteMultipartUpload)],
        ),
        (
            S3Operation::AbortMultipartUpload,
            vec![key(A::AbortMultipartUpload)],
        ),
        (
            S3Operation::ListParts,
            vec![key(A::ListMultipartUploadParts)],
        ),
        (
            S3Operation::ListMultipartUploads,
            vec![whole(A::ListBucketMultipartUploads)],
        ),
        (
            S3Operation::GetObjectTagging,
            vec![key(A::GetObjectTagging)],
        ),
        (
            S3Operation::PutObjectTagging,
            vec![key(A::PutObjectTagging)],
        ),
        (
            S3Operation::DeleteObjectTagging,
            vec![key(A::DeleteObjectTagging)],
        ),
        (S3Operation::GetBucketCors, vec![bucket(A::GetBucketCors)]),
        (S3Operation::PutBucketCors, vec![whole(A::PutBucketCors)]),
        (
            S3Operation::DeleteBucketCors,
            vec![whole(A::DeleteBucketCors)],
        ),
    ];
    assert_eq!(expected.len(), S3Operation::ALL.len());
    for (op, want) in expected {
        assert_eq!(checks(&sample(op)), want, "{op}");
    }
}

#[test]
fn versions_and_list_prefixes() {
    let get = S3Request::GetObject(GetObjectRequest {
        bucket: "b".into(),
        key: "k".into(),
        version_id: Some("v1".into()),
        ..Default::default()
    });
    assert_eq!(checks(&get), [key(Action::GetObjectVersion)]);
    let head = S3Request::HeadObject(HeadObjectRequest {
        bucket: "b".into(),
        key: "k".into(),
        version_id: Some("v1".into()),
        ..Default::default()
    });
    assert_eq!(checks(&head), [key(Action::GetObjectVersion)]);
    let attributes = S3Request::GetObjectAttributes(GetObjectAttributesRequest {
        bucket: "b".into(),
        key: "k".into(),
        version_id: Some("v1".into()),
        ..Default::default()
    });
    assert_eq!(
        checks(&attributes),
        [
            key(Action::GetObjectAttributes),
            key(Action::GetObjectVersion)
        ]
    );
    let delete = S3Request::DeleteObject(DeleteObjectRequest {
        bucket: "b".into(),
        key: "k".into(),
        version_id: Some("v1".into()),
        ..Default::default()
    });
    assert_eq!(checks(&delete), [key(Action::DeleteObjectVersion)]);
    let list = S3Request::ListObjectsV2(ListObjectsV2Request {
        bucket: "b".into(),
        prefix: Some("alice/".into()),
        ..Default::default()
    });
    assert_eq!(
        checks(&list),
        [Check::prefix("b", Some("alice/"), Action::ListBucket)]
    );
}

#[test]
fn copies_check_their_source() {
    let copy = |source: &str| {
        required_access(&S3Request::CopyObject(CopyObjectRequest {
            bucket: "dst".into(),
            key: "d".into(),
            copy_source: source.into(),
            ..Default::default()
        }))
    };
    let access = copy("/src/dir/a%20b?versionId=v7").map(|a| a.checks);
    assert_eq!(
        access,
        Ok(vec![
            Check::key("dst", "d", Action::PutObject),
            Check::key("src", "dir/a b", Action::GetObjectVersion),
        ])
    );
    assert_eq!(copy("nokey"), Err(CopySourceError::MissingKey));
    assert_eq!(copy("src/%zz"), Err(CopySourceError::BadEncoding));
    let part = required_access(&S3Request::UploadPartCopy(UploadPartCopyRequest {
        bucket: "dst".into(),
        key: "d".into(),
        copy_source: "src".into(),
        ..Default::default()
    }));
    assert_eq!(part, Err(CopySourceError::MissingKey));
}

#[test]
fn delete_objects_is_checked_key_by_key() {
    let delete = Delete {
        objects: vec![
            ObjectIdentifier {
                key: "alice/a".into(),
                ..Default::default()
            },
            ObjectIdentifier {
                key: "bob/b".into(),
                version_id: Some("v".into()),
                ..Default::default()
            },
        ],
        quiet: None,
    };
    let per_key = delete_objects_checks("b", &delete);
    assert_eq!(
        per_key,
        [
            (
                "alice/a".to_owned(),
                Check::key("b", "alice/a", Action::DeleteObject)
            ),
            (
                "bob/b".to_owned(),
                Check::key("b", "bob/b", Action::DeleteObjectVersion)
            ),
        ]
    );
    let alice = principal(vec![scope("bkt", &["alice/"], ActionSet::write())]);
    let bucket_check = Check::bucket("bkt", Action::DeleteObject);
    assert_eq!(authorize(&alice, false, &bucket_check), Ok(()));
    let decisions: Vec<bool> = delete_objects_checks("bkt", &delete)
        .iter()
        .map(|(_, c)| authorize(&alice, false, c).is_ok())
        .collect();
    assert_eq!(decisions, [true, false]);
}

fn scope(bucket: &str, prefixes: &[&str], actions: ActionSet) -> Scope {
    Scope {
        bucket: BucketPattern::new(bucket).unwrap_or_else(|e| panic!("{e}")),
        prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        actions,
    }
}

fn principal(scopes: Vec<Scope>) -> Identity {
    Identity::Principal(Principal {
        name: "p".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        scopes,
    })
}

#[test]
fn scopes_decide() {
    let p = principal(vec![
        scope(
            "data",
            &["alice/"],
            [Action::GetObject, Action::ListBucket]
                .into_iter()
                .collect(),
        ),
        scope("team-*", &[""], ActionSet::all()),
    ]);
    let ok = |c: Check| authorize(&p, false, &c).is_ok();
    assert!(ok(Check::key("data", "alice/x", Action::GetObject)));
    assert!(
        ok(Check::key("data", "alice/x", Action::HeadObject)),
        "get_object grants HEAD"
    );
    assert!(!ok(Check::key("data", "alice/x", Action::GetObjectVersion)));
    assert!(!ok(Check::key("data", "bob/x", Action::GetObject)));
    assert!(!ok(Check::key("data", "alice/x", Action::PutObject)));
    assert!(ok(Check::prefix(
        "data",
        Some("alice/sub"),
        Action::ListBucket
    )));
    assert!(
        !ok(Check::prefix("data", None, Action::ListBucket)),
        "alice/ does not list the bucket"
    );
    assert!(!ok(Check::bucket("data", Action::HeadBucket)));
    assert!(ok(Check::whole_bucket("team-a", Action::DeleteBucket)));
    assert!(!ok(Check::whole_bucket("data", Action::DeleteBucket)));
    assert!(!ok(Check::key("other", "alice/x", Action::GetObject)));
    assert!(ok(Check::service(Action::ListAllMyBuckets)));
    assert_eq!(
        authorize(&p, false, &Check::key("data", "bob/x", Action::GetObject)),
        Err(Denied::NotGranted(Check::key(
            "data",
            "bob/x",
            Action::GetObject
        )))
    );

    let prefix_only = principal(vec![scope("data", &["alice/"], ActionSet::all())]);
    assert!(
        authorize(
            &prefix_only,
            false,
            &Check::bucket("data", Action::HeadBucket)
        )
        .is_ok()
    );
    assert!(
        authorize(
            &prefix_only,
            false,
            &Check::whole_bucket("data", Action::PutBucketCors)
        )
        .is_err()
    );
    assert!(
        authorize(
            &prefix_only,
            false,
            &Check::service(Action::ListAllMyBuckets)
        )
        .is_ok()
    );
    let no_buckets = principal(vec![]);
    assert!(
        authorize(
            &no_buckets,
            false,
            &Check::service(Action::ListAllMyBuckets)
        )
        .is_err()
    );
}

#[test]
fn anonymous_reads_only_public_buckets() {
    let get = Check::key("pub", "x", Action::GetObject);
    assert_eq!(
        authorize(&Identity::Anonymous, false, &get),
        Err(Denied::Anonymous(get.clone()))
    );
    assert_eq!(authorize(&Identity::Anonymous, true, &get), Ok(()));
    let allowed: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|&a| {
            let check = match a {
                Action::ListBucket
                | Action::ListBucketVersions
                | Action::ListBucketMultipartUploads => Check::prefix("pub", None, a),
                _ => Check::key("pub", "x", a),
            };
            authorize(&Identity::Anonymous, true, &check).is_ok()
        })
        .collect();
    use Action as A;
    assert_eq!(
        allowed,
        [
            A::HeadBucket,
            A::GetBucketLocation,
            A::ListBucket,
            A::GetObject,
            A::HeadObject,
            A::GetObjectAttributes
        ]
    );
    assert!(
        authorize(
            &Identity::Anonymous,
            true,
            &Check::service(A::ListAllMyBuckets)
        )
        .is_err()
    );
    // A signature never gives less than no signature.
    assert!(authorize(&principal(vec![]), true, &get).is_ok());
}

#[test]
fn authorize_all_uses_each_bucket_setting() {
    let access = Access {
        checks: vec![
            Check::key("dst", "d", Action::PutObject),
            Check::key("pub", "s", Action::GetObject),
        ],
    };
    let writer = principal(vec![scope("dst", &[""], ActionSet::write())]);
    assert_eq!(authorize_all(&writer, |b| b == "pub", &access), Ok(()));
    let denied = authorize_all(&writer, |_| false, &access);
    assert!(matches!(
        denied,
        Err(Denied::NotGranted(Check {
            target: Target::Key(_),
            ..
        }))
    ));
}
