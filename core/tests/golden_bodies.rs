//! Golden tests: S3 and STS bodies as the AWS API references print them (`tests/golden/`, verbatim
//! but for the pages' code-block indentation; exceptions are noted where used), read into the
//! generated types and compared with the values in full, written back and read again, plus facts
//! about what we write and the errors for bodies that must be refused. A cited page is
//! `https://docs.aws.amazon.com/AmazonS3/latest/API/<page>.html`.

use std::fmt::Debug;
use std::sync::LazyLock;

use http::{HeaderMap, HeaderValue, Method};
use multistore_core::codec::http::{BindingError, HttpRequest, OutboundRequest, ResponseParts};
use multistore_core::codec::scalar::DateTime;
use multistore_core::codec::xml::XmlError;
use multistore_core::codec::xml_value::{read_document, write_document};
use multistore_core::s3::{
    Bucket, CommonPrefix, CompleteMultipartUploadOutput, CompleteMultipartUploadRequest,
    CompletedMultipartUpload, CompletedPart, CopyObjectOutput, CopyObjectResult,
    CreateMultipartUploadOutput, Delete, DeleteObjectsOutput, DeleteObjectsRequest, DeletedObject,
    Error, ListBucketsOutput, ListObjectsOutput, ListObjectsV2Output, Object, ObjectIdentifier,
    ObjectStorageClass, Owner,
};
use multistore_core::s3::{ErrorDocument, S3ErrorCode};
use multistore_core::sts::{AssumeRoleWithWebIdentityResponse, AssumedRoleUser, Credentials};

/// A fixture from `tests/golden/`.
macro_rules! golden {
    ($name:literal) => {
        include_str!(concat!("golden/", $name))
    };
}

const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

fn s(value: &str) -> Option<String> {
    Some(value.to_owned())
}

/// The instant `secs` seconds after the Unix epoch.
fn at(secs: i64) -> Option<DateTime> {
    Some(DateTime::from_secs(secs))
}

/// The HTTP bindings every S3 operation output has, so tests can be generic over them.
trait Output: Sized + PartialEq + Debug {
    fn to_http(&self) -> Result<ResponseParts, BindingError>;
    fn from_http(headers: &HeaderMap, body: Option<&[u8]>) -> Result<Self, BindingError>;
}

macro_rules! outputs {
    ($($ty:ty),*) => {$(
        impl Output for $ty {
            fn to_http(&self) -> Result<ResponseParts, BindingError> {
                <$ty>::to_http(self)
            }
            fn from_http(headers: &HeaderMap, body: Option<&[u8]>) -> Result<Self, BindingError> {
                <$ty>::from_http(headers, body)
            }
        }
    )*};
}

outputs!(ListObjectsV2Output, ListObjectsOutput, ListBucketsOutput);
outputs!(CreateMultipartUploadOutput, CompleteMultipartUploadOutput);
outputs!(CopyObjectOutput, DeleteObjectsOutput);

/// Reads an output from a body, with no response headers.
fn read<T: Output>(xml: &str) -> T {
    T::from_http(&HeaderMap::new(), Some(xml.as_bytes())).expect("reads the body")
}

/// Writes `value` as a response, checks the status and content type, reads the response back
/// and checks it equals `value`; returns the response and the XML we wrote, for wire checks.
fn roundtrip<T: Output>(value: &T) -> (ResponseParts, String) {
    let parts = value.to_http().expect("writes");
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["content-type"], "application/xml");
    let again = T::from_http(&parts.headers, parts.body.as_deref()).expect("reads what it wrote");
    assert_eq!(&again, value);
    let xml = String::from_utf8(parts.body.as_deref().expect("a body").to_vec()).expect("UTF-8");
    (parts, xml)
}

/// Our documents open with the XML declaration and the S3 namespace on the root.
fn assert_s3_document(xml: &str, root: &str) {
    let head = format!(r#"{DECLARATION}<{root} xmlns="{S3_NS}">"#);
    assert!(xml.starts_with(&head), "expected {head}…, got {xml}");
    assert!(xml.ends_with(&format!("</{root}>")), "{xml}");
}

/// A `POST` for bucket `b` (and key `key`) with this query and no headers.
fn client_request<'a>(key: Option<&'a str>, query: &'a [(String, String)]) -> HttpRequest<'a> {
    static POST: Method = Method::POST;
    static NO_HEADERS: LazyLock<HeaderMap> = LazyLock::new(HeaderMap::new);
    HttpRequest {
        method: &POST,
        bucket: Some("b"),
        key,
        query,
        headers: &NO_HEADERS,
    }
}

/// Response headers from `(lower-case name, value)` pairs.
fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for &(name, value) in pairs {
        map.insert(name, HeaderValue::from_static(value));
    }
    map
}

/// Reads the request a backend would receive for `out` as a client request.
fn reread<T>(
    out: &OutboundRequest,
    from_http: impl Fn(&HttpRequest<'_>, Option<&[u8]>) -> Result<T, BindingError>,
) -> T {
    let req = HttpRequest {
        method: &out.method,
        bucket: out.bucket.as_deref(),
        key: out.key.as_deref(),
        query: &out.query,
        headers: &out.headers,
    };
    from_http(&req, out.body.as_deref()).expect("reads the request it wrote")
}

static UPLOAD_ID: LazyLock<Vec<(String, String)>> = LazyLock::new(|| query("uploadId", "X"));
static DELETE: LazyLock<Vec<(String, String)>> = LazyLock::new(|| query("delete", ""));

fn query(name: &str, value: &str) -> Vec<(String, String)> {
    vec![(name.to_owned(), value.to_owned())]
}

// ---- ListObjectsV2 (API_ListObjectsV2, Examples) ----

/// "Listing keys using the max-keys, prefix, and start-after parameters".
#[test]
fn list_objects_v2_start_after() {
    let out: ListObjectsV2Output = read(golden!("list_objects_v2_start_after.xml"));
    let expected = ListObjectsV2Output {
        name: s("quotes"),
        prefix: s("E"),
        start_after: s("ExampleGuide.pdf"),
        key_count: Some(1),
        max_keys: Some(3),
        is_truncated: Some(false),
        contents: vec![Object {
            key: s("ExampleObject.txt"),
            last_modified: at(1_379_441_273),
            e_tag: s("\"599bab3ed2c697f1d26842727561fd94\""),
            size: Some(857),
            storage_class: Some(ObjectStorageClass::ReducedRedundancy),
            ..Object::default()
        }],
        ..ListObjectsV2Output::default()
    };
    assert_eq!(out, expected);
    assert_eq!(out.contents[0].last_modified.unwrap().secs(), 1_379_441_273);

    let (_, xml) = roundtrip(&out);
    assert_s3_document(&xml, "ListBucketResult");
    assert!(xml.contains("<ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>"));
    assert!(xml.contains("<LastModified>2013-09-17T18:07:53.000Z</LastModified>"));
    assert!(xml.contains("<KeyCount>1</KeyCount><MaxKeys>3</MaxKeys>"));
    assert!(xml.contains("<StorageClass>REDUCED_REDUNDANCY</StorageClass>"));
}

/// The two prefix-and-delimiter examples: no declaration, an empty `<Prefix></Prefix>`, one key
/// and one rolled-up prefix; then two rolled-up prefixes and no `Contents`.
#[test]
fn list_objects_v2_prefix_and_delimiter() {
    let out: ListObjectsV2Output = read(golden!("list_objects_v2_delimiter.xml"));
    let prefix = |p: &str| CommonPrefix { prefix: s(p) };
    let expected = ListObjectsV2Output {
        name: s("example-bucket"),
        prefix: s(""),
        key_count: Some(2),
        max_keys: Some(1000),
        delimiter: s("/"),
        is_truncated: Some(false),
        contents: vec![Object {
            key: s("sample.jpg"),
            last_modified: at(1_298_685_380),
            e_tag: s("\"bf1d737a4d46a19f3bced6905cc8b902\""),
            size: Some(142_863),
            storage_class: Some(ObjectStorageClass::Standard),
            ..Object::default()
        }],
        common_prefixes: vec![prefix("photos/")],
        ..ListObjectsV2Output::default()
    };
    assert_eq!(out, expected);
    let (_, xml) = roundtrip(&out);
    assert_s3_document(&xml, "ListBucketResult");
    assert!(xml.contains("<Prefix></Prefix>"));
    assert!(xml.contains("<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>"));

    let out: ListObjectsV2Output = read(golden!("list_objects_v2_common_prefixes.xml"));
    let expected = ListObjectsV2Output {
        prefix: s("photos/2006/"),
        contents: Vec::new(),
        common_prefixes: vec![
            prefix("photos/2006/February/"),
            prefix("photos/2006/January/"),
        ],
        ..expected
    };
    assert_eq!(out, expected);
    roundtrip(&out);
}

/// "Using a continuation token": a truncated page. The page's `...` elision is stray text in
/// the root, kept as printed: it is ignored.
#[test]
fn list_objects_v2_continuation_token() {
    let out: ListObjectsV2Output = read(golden!("list_objects_v2_continuation.xml"));
    let expected = ListObjectsV2Output {
        name: s("bucket"),
        prefix: s(""),
        next_continuation_token: s("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
        key_count: Some(1000),
        max_keys: Some(1000),
        is_truncated: Some(true),
        contents: vec![Object {
            key: s("happyface.jpg"),
            last_modified: at(1_416_598_805),
            e_tag: s("\"70ee1738b6b21e2c8a43f3a5ab0eee71\""),
            size: Some(11),
            storage_class: Some(ObjectStorageClass::Standard),
            ..Object::default()
        }],
        ..ListObjectsV2Output::default()
    };
    assert_eq!(out, expected);

    let (_, xml) = roundtrip(&out);
    assert!(xml.contains(
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    ));
    assert!(xml.contains("<IsTruncated>true</IsTruncated>"));
}

// ---- ListObjects, version 1 (GET Bucket, 2006-03-01 reference) ----

/// The reference's ListObjects example as it long printed it: `&quot;`-escaped ETags, two
/// `Contents` with an `Owner`, empty `<Prefix/>` and `<Marker/>`. No ListObjectsV2 example
/// shows `Owner` or more than one complete `Contents`, so this one covers them.
#[test]
fn list_objects_v1_with_owners() {
    let out: ListObjectsOutput = read(golden!("list_objects_v1_owner.xml"));
    let object = |key: &str, md5: &str, size| Object {
        key: s(key),
        last_modified: at(1_255_369_830),
        e_tag: Some(format!("\"{md5}\"")),
        size: Some(size),
        storage_class: Some(ObjectStorageClass::Standard),
        owner: Some(Owner {
            id: s("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"),
            display_name: s("mtd@amazon.com"),
        }),
        ..Object::default()
    };
    let expected = ListObjectsOutput {
        name: s("bucket"),
        prefix: s(""),
        marker: s(""),
        max_keys: Some(1000),
        is_truncated: Some(false),
        contents: vec![
            object("my-image.jpg", "fba9dede5f27731c9771645a39863328", 434_234),
            object(
                "my-third-image.jpg",
                "1b2cf535f27731c974343645a3985328",
                64_994,
            ),
        ],
        ..ListObjectsOutput::default()
    };
    assert_eq!(out, expected);

    let (_, xml) = roundtrip(&out);
    assert_s3_document(&xml, "ListBucketResult");
    assert!(xml.contains("<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"));
    assert!(xml.contains("<LastModified>2009-10-12T17:50:30.000Z</LastModified>"));
    assert!(xml.contains("<Owner><DisplayName>mtd@amazon.com</DisplayName><ID>"));
}

// ---- ListBuckets (API_ListBuckets; GET Service in the 2006-03-01 reference) ----

/// The GET Service example: `Owner`, two buckets with `.000Z` creation dates, and the
/// namespace printed without its trailing slash.
#[test]
fn list_buckets_classic() {
    let out: ListBucketsOutput = read(golden!("list_buckets_classic.xml"));
    let bucket = |name: &str, secs| Bucket {
        name: s(name),
        creation_date: at(secs),
        bucket_region: None,
    };
    let expected = ListBucketsOutput {
        owner: Some(Owner {
            id: s("bcaf1ffd86f461ca5fb16fd081034f"),
            display_name: s("webfile"),
        }),
        buckets: Some(vec![
            bucket("quotes", 1_138_985_109),
            bucket("samples", 1_138_984_918),
        ]),
        ..ListBucketsOutput::default()
    };
    assert_eq!(out, expected);

    let (_, xml) = roundtrip(&out);
    assert_s3_document(&xml, "ListAllMyBucketsResult");
    assert!(xml.contains(
        "<Buckets><Bucket><Name>quotes</Name><CreationDate>2006-02-03T16:45:09.000Z</CreationDate></Bucket>"
    ));
}

/// Example 2, "Paginated ListBuckets request": no declaration or namespace, `+00:00` offsets,
/// `BucketRegion`, a continuation token, and stray spaces after elements.
#[test]
fn list_buckets_paginated() {
    let out: ListBucketsOutput = read(golden!("list_buckets_paginated.xml"));
    let bucket = |name: &str, secs, region: &str| Bucket {
        name: s(name),
        creation_date: at(secs),
        bucket_region: s(region),
    };
    let expected = ListBucketsOutput {
        buckets: Some(vec![
            bucket("amzn-s3-demo-bucket", 1_731_627_167, "us-east-1"),
            bucket("amzn-s3-demo-bucket1", 1_731_627_133, "us-east-2"),
        ]),
        owner: Some(Owner {
            display_name: s("Account+Name"),
            id: s("AIDACKCEVSQ6C2EXAMPLE"),
        }),
        continuation_token: s("eyJNYXJrZXIiOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAxfQ=="),
        ..ListBucketsOutput::default()
    };
    assert_eq!(out, expected);

    let (_, xml) = roundtrip(&out);
    // An offset timestamp is written back in UTC with milliseconds.
    assert!(xml.contains("<CreationDate>2024-11-14T23:32:47.000Z</CreationDate>"));
}

// ---- CreateMultipartUpload (API_CreateMultipartUpload, Examples) ----

#[test]
fn initiate_multipart_upload() {
    let out: CreateMultipartUploadOutput = read(golden!("initiate_multipart_upload.xml"));
    let expected = CreateMultipartUploadOutput {
        bucket: s("amzn-s3-demo-bucket"),
        key: s("example-object"),
        upload_id: s("VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"),
        ..CreateMultipartUploadOutput::default()
    };
    assert_eq!(out, expected);

    let (_, xml) = roundtrip(&out);
    assert_eq!(
        xml,
        format!(
            "{DECLARATION}<InitiateMultipartUploadResult xmlns=\"{S3_NS}\"><Bucket>amzn-s3-demo-bucket</Bucket>\
             <Key>example-object</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>\
             </InitiateMultipartUploadResult>"
        )
    );
}

/// The SSE-C example: the root's `xmlns` on a line of its own, and the SSE-C response headers.
#[test]
fn initiate_multipart_upload_sse_c() {
    let xml = golden!("initiate_multipart_upload_ssec.xml");
    let md5 = "ZjQrne1X/iTcskbY2m3tFg==";
    let headers = headers(&[
        ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
        ("x-amz-server-side-encryption-customer-key-md5", md5),
    ]);
    let out = CreateMultipartUploadOutput::from_http(&headers, Some(xml.as_bytes())).unwrap();
    let expected = CreateMultipartUploadOutput {
        bucket: s("amzn-s3-demo-bucket"),
        key: s("example-object"),
        upload_id: s(
            "EXAMPLEJZ6e0YupT2h66iePQCc9IEbYbDUy4RTpMeoSMLPRp8Z5o1u8feSRonpvnWsKKG35tI2LB9VDPiCgTy.Gq2VxQLYjrue4Nq.NBdqI-",
        ),
        sse_customer_algorithm: s("AES256"),
        sse_customer_key_md5: s(md5),
        ..CreateMultipartUploadOutput::default()
    };
    assert_eq!(out, expected);

    let (parts, xml) = roundtrip(&out);
    assert_eq!(
        parts.headers["x-amz-server-side-encryption-customer-key-md5"],
        md5
    );
    assert_s3_document(&xml, "InitiateMultipartUploadResult");
}

// ---- CompleteMultipartUpload (API_CompleteMultipartUpload, Examples) ----

/// The sample request body: three parts, quoted ETags, irregular indentation.
#[test]
fn complete_multipart_upload_request_body() {
    let xml = golden!("complete_multipart_upload_request.xml");
    let req = client_request(Some("k"), &UPLOAD_ID);
    let input = CompleteMultipartUploadRequest::from_http(&req, Some(xml.as_bytes())).unwrap();
    let part = |n, e_tag: &str| CompletedPart {
        part_number: Some(n),
        e_tag: s(e_tag),
        ..CompletedPart::default()
    };
    let expected = CompleteMultipartUploadRequest {
        bucket: "b".into(),
        key: "k".into(),
        upload_id: "X".into(),
        multipart_upload: Some(CompletedMultipartUpload {
            parts: vec![
                part(1, "\"a54357aff0632cce46d942af68356b38\""),
                part(2, "\"0c78aef83f66abc1fa1e8477f296d394\""),
                part(3, "\"acbd18db4cc2f85cedef654fccc4a4d8\""),
            ],
        }),
        ..CompleteMultipartUploadRequest::default()
    };
    assert_eq!(input, expected);

    let out = input.to_http().unwrap();
    assert_eq!(out.method, Method::POST);
    assert_eq!(out.query, *UPLOAD_ID);
    let written = std::str::from_utf8(out.body.as_deref().unwrap()).unwrap();
    assert_s3_document(written, "CompleteMultipartUpload");
    assert!(written.contains(
        "<Part><ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag><PartNumber>1</PartNumber></Part>"
    ));
    let again = reread(&out, CompleteMultipartUploadRequest::from_http);
    assert_eq!(again, input);

    // The payload is optional: an empty body reads as no parts list.
    let empty = CompleteMultipartUploadRequest::from_http(&req, Some(b"")).unwrap();
    assert_eq!(empty.multipart_upload, None);
}

/// The sample response. Today's page prints the location as `http://amzn-s3-demo-bucket.s3.
/// <Region>.amazonaws.com/…`, whose placeholder is not XML; the fixture is the page's earlier,
/// well-formed text.
#[test]
fn complete_multipart_upload_result() {
    let xml = golden!("complete_multipart_upload_result.xml");
    let out: CompleteMultipartUploadOutput = read(xml);
    let expected = CompleteMultipartUploadOutput {
        location: s("http://Example-Bucket.s3.amazonaws.com/Example-Object"),
        bucket: s("Example-Bucket"),
        key: s("Example-Object"),
        e_tag: s("\"3858f62230ac3c915f300c664312c11f-9\""),
        ..CompleteMultipartUploadOutput::default()
    };
    assert_eq!(out, expected);

    // S3 sends white space while it assembles the parts, before the document itself.
    let padded = format!("\n \n\n{xml}");
    assert_eq!(read::<CompleteMultipartUploadOutput>(&padded), out);

    let (_, xml) = roundtrip(&out);
    assert_s3_document(&xml, "CompleteMultipartUploadResult");
    assert!(xml.contains("<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"));
}

/// S3-compatible stores name the root differently (moto 5 answers
/// `<CompleteMultipartUploadResponse>`): backend outputs are read by content, and written back
/// with S3's root.
#[test]
fn complete_multipart_upload_result_under_another_root() {
    let xml = golden!("complete_multipart_upload_result.xml").replace(
        "CompleteMultipartUploadResult",
        "CompleteMultipartUploadResponse",
    );
    assert!(xml.contains("<CompleteMultipartUploadResponse"));
    let out: CompleteMultipartUploadOutput = read(&xml);
    assert_eq!(out.key.as_deref(), Some("Example-Object"));
    assert_eq!(
        out.e_tag.as_deref(),
        Some("\"3858f62230ac3c915f300c664312c11f-9\"")
    );
    let (_, written) = roundtrip(&out);
    assert_s3_document(&written, "CompleteMultipartUploadResult");
}

/// "Error specified in body": a `200 OK` whose body is an `<Error>` (after a blank line). The
/// output binding refuses it by its root; it reads as an error document.
#[test]
fn complete_multipart_upload_error_in_200() {
    let xml = golden!("error_internal_in_200.xml");
    let err = CompleteMultipartUploadOutput::from_http(&HeaderMap::new(), Some(xml.as_bytes()));
    assert_eq!(
        err,
        Err(BindingError::Xml(XmlError::UnexpectedRoot {
            expected: "CompleteMultipartUploadResult".into(),
            found: "Error".into(),
        }))
    );
    assert_eq!(error_roundtrip(xml).code, "InternalError"); // in full in `error_documents`
}

// ---- CopyObject (API_CopyObject, Examples) ----

/// The sample response: the `CopyObjectResult` payload (no namespace) and the version headers.
#[test]
fn copy_object_result() {
    let xml = golden!("copy_object_result.xml");
    let source_version = "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
    let headers = headers(&[
        ("x-amz-copy-source-version-id", source_version),
        ("x-amz-version-id", "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893"),
    ]);
    let out = CopyObjectOutput::from_http(&headers, Some(xml.as_bytes())).unwrap();
    let expected = CopyObjectOutput {
        copy_object_result: Some(CopyObjectResult {
            last_modified: at(1_255_369_830),
            e_tag: s("\"9b2cf535f27731c974343645a3985328\""),
            ..CopyObjectResult::default()
        }),
        copy_source_version_id: s(source_version),
        version_id: s("QUpfdndhfd8438MNFDN93jdnJFkdmqnh893"),
        ..CopyObjectOutput::default()
    };
    assert_eq!(out, expected);

    let (parts, xml) = roundtrip(&out);
    assert_s3_document(&xml, "CopyObjectResult");
    assert!(xml.contains(
        "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
    ));
    let version = &parts.headers["x-amz-version-id"];
    assert_eq!(version, "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893");
}

/// "Copying a versioned object into a version-suspended bucket" prints `LastModified` as
/// `2009-10-28T22:32:00`, without a zone. The model's `date-time` needs one: refused.
#[test]
fn copy_object_result_without_zone_is_read_as_utc() {
    let xml = golden!("copy_object_result_no_offset.xml");
    let out = CopyObjectOutput::from_http(&HeaderMap::new(), Some(xml.as_bytes())).unwrap();
    let modified = out
        .copy_object_result
        .and_then(|r| r.last_modified)
        .expect("LastModified");
    assert_eq!(
        modified.secs(),
        1_256_769_120,
        "2009-10-28T22:32:00 read as UTC"
    );
}

#[test]
fn timestamps_that_are_not_dates_are_refused() {
    let xml = "<CopyObjectResult><LastModified>yesterday</LastModified></CopyObjectResult>";
    let err = CopyObjectOutput::from_http(&HeaderMap::new(), Some(xml.as_bytes())).unwrap_err();
    assert!(
        matches!(
            &err,
            BindingError::Xml(XmlError::InvalidValue { element, .. }) if element == "LastModified"
        ),
        "{err:?}"
    );
}

// ---- DeleteObjects (API_DeleteObjects, Examples) ----

/// Request bodies: the mixed success/error sample; one shaped by the page's Request Syntax
/// (objects, then `<Quiet>`) with values from its examples; the carriage-return sample.
#[test]
fn delete_objects_request_bodies() {
    let req = client_request(None, &DELETE);
    let parse = |xml: &str| DeleteObjectsRequest::from_http(&req, Some(xml.as_bytes())).unwrap();
    let object = |key: &str, version: Option<&str>| ObjectIdentifier {
        key: key.into(),
        version_id: version.map(Into::into),
        ..ObjectIdentifier::default()
    };
    let request = |objects, quiet| DeleteObjectsRequest {
        bucket: "b".into(),
        delete: Delete { objects, quiet },
        ..DeleteObjectsRequest::default()
    };

    let mixed = parse(golden!("delete_objects_request.xml"));
    let objects = vec![object("sample1.txt", None), object("sample2.txt", None)];
    assert_eq!(mixed, request(objects, None));

    let quiet = parse(golden!("delete_objects_request_quiet.xml"));
    let version = Some("OYcLXagmS.WaD..oyH4KRguB95_YhLs7");
    let objects = vec![
        object("SampleDocument.txt", version),
        object("sample1.txt", None),
    ];
    assert_eq!(quiet, request(objects, Some(true)));

    // `&#13;` is a carriage return in the key, and must be written back escaped.
    let cr = parse(golden!("delete_objects_request_carriage_return.xml"));
    let key = "/some/prefix/objectwith\rcarriagereturn";
    assert_eq!(cr, request(vec![object(key, None)], None));

    for (input, fragment) in [
        (&mixed, "<Object><Key>sample1.txt</Key></Object>"),
        (&quiet, "</Object><Quiet>true</Quiet></Delete>"),
        (&cr, "<Key>/some/prefix/objectwith&#13;carriagereturn</Key>"),
    ] {
        let out = input.to_http().unwrap();
        assert_eq!(out.query, *DELETE);
        let written = std::str::from_utf8(out.body.as_deref().unwrap()).unwrap();
        assert_s3_document(written, "Delete");
        assert!(written.contains(fragment), "{written}");
        let again = reread(&out, DeleteObjectsRequest::from_http);
        assert_eq!(&again, input);
    }
}

/// The mixed success/error response: one `Deleted`, one `Error`.
#[test]
fn delete_result_mixed() {
    let out: DeleteObjectsOutput = read(golden!("delete_result_mixed.xml"));
    let expected = DeleteObjectsOutput {
        deleted: vec![DeletedObject {
            key: s("sample1.txt"),
            ..DeletedObject::default()
        }],
        errors: vec![Error {
            key: s("sample2.txt"),
            code: s("AccessDenied"),
            message: s("Access Denied"),
            version_id: None,
        }],
        request_charged: None,
    };
    assert_eq!(out, expected);
    assert_eq!(S3ErrorCode::from_wire("AccessDenied").http_status(), 403);

    let (_, xml) = roundtrip(&out);
    assert_s3_document(&xml, "DeleteResult");
    assert!(xml.contains(
        "<Deleted><Key>sample1.txt</Key></Deleted><Error><Key>sample2.txt</Key><Code>AccessDenied</Code>\
         <Message>Access Denied</Message></Error>"
    ));
}

/// "Case 3 - Versioned delete of a delete marker".
#[test]
fn delete_result_delete_marker() {
    let out: DeleteObjectsOutput = read(golden!("delete_result_delete_marker.xml"));
    let expected = DeleteObjectsOutput {
        deleted: vec![DeletedObject {
            key: s("SampleDocument.txt"),
            version_id: s("NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s"),
            delete_marker: Some(true),
            delete_marker_version_id: s("NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s"),
        }],
        ..DeleteObjectsOutput::default()
    };
    assert_eq!(out, expected);

    let (_, xml) = roundtrip(&out);
    assert!(xml.contains("<DeleteMarker>true</DeleteMarker>"));
}

// ---- Error bodies (ErrorResponses; API_CompleteMultipartUpload; API_DeleteObjects) ----

/// Reads an error document, writes it back (no namespace, like S3) and reads it again.
fn error_roundtrip(xml: &str) -> ErrorDocument {
    let doc: ErrorDocument = read_document(xml.as_bytes(), "Error").unwrap();
    let written = write_document(&doc, "Error", None);
    let text = std::str::from_utf8(&written).unwrap();
    assert!(
        text.starts_with(&format!("{DECLARATION}<Error><Code>")),
        "{text}"
    );
    let again: ErrorDocument = read_document(&written, "Error").unwrap();
    assert_eq!(again, doc);
    doc
}

/// The REST error response of the S3 reference (`NoSuchKey`, with `Resource` and a space after
/// it); CompleteMultipartUpload's "Error specified in header" (`AccessDenied`, with `HostId`)
/// and "in body" (`InternalError`, after a blank line); DeleteObjects' `MalformedXML`, whose
/// message is broken over two lines and kept exactly.
#[test]
fn error_documents() {
    let no_such_key = ErrorDocument {
        code: "NoSuchKey".into(),
        message: s("The resource you requested does not exist"),
        resource: s("/mybucket/myfoto.jpg"),
        request_id: s("4442587FB7D0A2F9"),
        ..ErrorDocument::default()
    };
    let access_denied = ErrorDocument {
        code: "AccessDenied".into(),
        message: s("Access Denied"),
        request_id: s("656c76696e6727732072657175657374"),
        host_id: s("Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg=="),
        ..ErrorDocument::default()
    };
    let malformed = ErrorDocument {
        code: "MalformedXML".into(),
        message: s(
            "The XML you provided was not well-formed or did not\n        \
                    validate against our published schema",
        ),
        request_id: s("264A17BF16E9E80A"),
        host_id: s("P3xqrhuhYxlrefdw3rEzmJh8z5KDtGzb+/FB7oiQaScI9Yaxd8olYXc7d1111ab+"),
        ..ErrorDocument::default()
    };
    let internal = ErrorDocument {
        code: "InternalError".into(),
        message: s("We encountered an internal error. Please try again."),
        ..access_denied.clone()
    };
    for (xml, expected, status) in [
        (golden!("error_no_such_key.xml"), no_such_key, 404),
        (golden!("error_access_denied.xml"), access_denied, 403),
        (golden!("error_internal_in_200.xml"), internal, 500),
        (golden!("error_malformed_xml.xml"), malformed, 400),
    ] {
        assert_eq!(error_roundtrip(xml), expected);
        let code = S3ErrorCode::from_wire(&expected.code);
        assert!(!matches!(code, S3ErrorCode::Unknown(_)), "{code:?}");
        assert_eq!(code.as_str(), expected.code);
        assert_eq!(code.http_status(), status, "{code:?}");
    }
    assert_eq!(S3ErrorCode::from_wire("NoSuchKey"), S3ErrorCode::NoSuchKey);
    assert_eq!(
        S3ErrorCode::from_wire("MalformedXML"),
        S3ErrorCode::MalformedXml
    );
}

// ---- STS AssumeRoleWithWebIdentity (STS API reference, Examples) ----

#[test]
fn sts_assume_role_with_web_identity() {
    let xml = golden!("sts_assume_role_with_web_identity.xml");
    let out = AssumeRoleWithWebIdentityResponse::from_xml(xml.as_bytes()).unwrap();
    let expected = AssumeRoleWithWebIdentityResponse {
        credentials: Some(Credentials {
            session_token: "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY".into(),
            expiration: DateTime::from_secs(1_414_191_623),
            access_key_id: "ASgeIAIOSFODNN7EXAMPLE".into(),
        }),
        subject_from_web_identity_token: s("amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"),
        assumed_role_user: Some(AssumedRoleUser {
            arn: "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1".into(),
            assumed_role_id: "AROACLKWSDQRAOEXAMPLE:app1".into(),
        }),
        packed_policy_size: None,
        provider: s("www.amazon.com"),
        audience: s("client.5498841531868486423.1548@apps.example.com"),
        source_identity: s("SourceIdentityValue"),
    };
    assert_eq!(out, expected);

    let request_id = "ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE";
    let written = out.to_xml(request_id);
    let again = AssumeRoleWithWebIdentityResponse::from_xml(&written).unwrap();
    assert_eq!(again, out);
    let text = std::str::from_utf8(&written).unwrap();
    assert!(text.starts_with(&format!(
        "{DECLARATION}<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <AssumeRoleWithWebIdentityResult><Credentials>"
    )));
    assert!(text.contains("<Expiration>2014-10-24T23:00:23.000Z</Expiration>"));
    assert!(text.ends_with(&format!(
        "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId>\
         </ResponseMetadata></AssumeRoleWithWebIdentityResponse>"
    )));
}

// ---- Bodies that must be refused ----

/// A DeleteObjects body sent to CompleteMultipartUpload.
#[test]
fn complete_multipart_upload_with_the_wrong_root() {
    let req = client_request(Some("k"), &UPLOAD_ID);
    let xml = golden!("delete_objects_request.xml");
    let err = CompleteMultipartUploadRequest::from_http(&req, Some(xml.as_bytes())).unwrap_err();
    assert_eq!(
        err,
        BindingError::Xml(XmlError::UnexpectedRoot {
            expected: "CompleteMultipartUpload".into(),
            found: "Delete".into(),
        })
    );
}

/// The reference's own malformed example (the `Delete` end tag is missing), and a
/// CompleteMultipartUpload body cut off mid-tag.
#[test]
fn truncated_documents() {
    let xml = golden!("delete_objects_request_malformed.xml");
    let req = client_request(None, &DELETE);
    assert_malformed(DeleteObjectsRequest::from_http(&req, Some(xml.as_bytes())).unwrap_err());

    let full = golden!("complete_multipart_upload_request.xml");
    let cut = &full[..full.find("<PartNumber>2").unwrap() + 5];
    let req = client_request(Some("k"), &UPLOAD_ID);
    assert_malformed(
        CompleteMultipartUploadRequest::from_http(&req, Some(cut.as_bytes())).unwrap_err(),
    );
}

fn assert_malformed(err: BindingError) {
    assert!(
        matches!(err, BindingError::Xml(XmlError::Malformed(_))),
        "{err:?}"
    );
}

/// `Delete` is a required payload: no body, an empty one or only white space is refused.
#[test]
fn delete_objects_without_a_body() {
    let req = client_request(None, &DELETE);
    for body in [None, Some(&b""[..]), Some(&b" \r\n\t"[..])] {
        let err = DeleteObjectsRequest::from_http(&req, body).unwrap_err();
        assert_eq!(err, BindingError::MissingBody, "{body:?}");
    }
}
