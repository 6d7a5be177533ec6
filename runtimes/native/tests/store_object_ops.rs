//! Embedded stores: DeleteObject(s), tagging, GetObjectAttributes, the bucket operations
//! (the store is the bucket), bucket CORS, and request-level errors. Every scenario runs on
//! the directory and the memory store.

#[macro_use]
mod store_support;

use multistore_core::s3::S3Operation as Op;
use store_support::{Harness, Kind, crc32_b64, data};

async fn deletes(kind: Kind) {
    let h = Harness::new(kind).await;
    h.req(Op::DeleteObject)
        .key("absent")
        .send()
        .await
        .assert_ok();
    assert_eq!(
        h.req(Op::DeleteObject).key("absent").send().await.status,
        204
    );
    h.put("a", "1").await.assert_ok();
    assert_eq!(h.req(Op::DeleteObject).key("a").send().await.status, 204);
    h.get("a").await.assert_error(404, "NoSuchKey");
    // Conditional delete.
    let etag = h.put("c", "1").await.etag();
    h.req(Op::DeleteObject)
        .key("c")
        .header("if-match", "\"0\"")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    h.get("c").await.assert_ok();
    assert_eq!(
        h.req(Op::DeleteObject)
            .key("c")
            .header("if-match", &etag)
            .send()
            .await
            .status,
        204
    );
    h.get("c").await.assert_error(404, "NoSuchKey");
}

async fn delete_objects(kind: Kind) {
    let h = Harness::new(kind).await;
    for k in ["x/1", "x/2", "y & <z>"] {
        h.put(k, "v").await.assert_ok();
    }
    let long = "k".repeat(1100);
    let body = format!(
        "<Delete><Object><Key>x/1</Key></Object><Object><Key>y &amp; &lt;z&gt;</Key></Object>\
         <Object><Key>absent</Key></Object><Object><Key>{long}</Key></Object></Delete>"
    );
    let r = h.req(Op::DeleteObjects).body(body).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.all("Key"),
        vec![
            "x/1".to_owned(),
            "y & <z>".to_owned(),
            "absent".to_owned(),
            long.clone()
        ]
    );
    assert_eq!(r.all("Deleted").len(), 3);
    assert_eq!(r.all("Code"), vec!["KeyTooLongError".to_owned()]);
    h.get("x/1").await.assert_error(404, "NoSuchKey");
    h.get("x/2").await.assert_ok();
    let quiet = h
        .req(Op::DeleteObjects)
        .body("<Delete><Quiet>true</Quiet><Object><Key>x/2</Key></Object></Delete>")
        .send()
        .await;
    assert_eq!(quiet.status, 200);
    assert!(
        quiet.all("Deleted").is_empty() && quiet.all("Key").is_empty(),
        "{}",
        quiet.text()
    );
    h.get("x/2").await.assert_error(404, "NoSuchKey");
    h.req(Op::DeleteObjects)
        .body("<Delete><Object>")
        .send()
        .await
        .assert_error(400, "MalformedXML");
    let many: String = (0..1001)
        .map(|i| format!("<Object><Key>k{i}</Key></Object>"))
        .collect();
    h.req(Op::DeleteObjects)
        .body(format!("<Delete>{many}</Delete>"))
        .send()
        .await
        .assert_error(400, "MalformedXML");
}

async fn tagging(kind: Kind) {
    let h = Harness::new(kind).await;
    let body = data(300_000, 9);
    h.req(Op::PutObject)
        .key("t")
        .header("x-amz-tagging", "a=1&b=two%20words")
        .body(body.clone())
        .send()
        .await
        .assert_ok();
    let r = h.req(Op::GetObjectTagging).key("t").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.all("Key"), vec!["a", "b"]);
    assert_eq!(r.all("Value"), vec!["1", "two words"]);
    assert_eq!(h.get("t").await.header("x-amz-tagging-count"), Some("2"));
    let put = "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>";
    h.req(Op::PutObjectTagging)
        .key("t")
        .body(put)
        .send()
        .await
        .assert_ok();
    let r = h.req(Op::GetObjectTagging).key("t").send().await;
    assert_eq!(
        (r.all("Key"), r.all("Value")),
        (vec!["k".to_owned()], vec!["v".to_owned()])
    );
    // The data and its ETag survive a tag change.
    let got = h.get("t").await;
    assert_eq!(got.body, body);
    assert_eq!(got.header("x-amz-tagging-count"), Some("1"));
    assert_eq!(
        h.req(Op::DeleteObjectTagging).key("t").send().await.status,
        204
    );
    assert!(
        h.req(Op::GetObjectTagging)
            .key("t")
            .send()
            .await
            .all("Tag")
            .is_empty()
    );
    assert_eq!(h.get("t").await.header("x-amz-tagging-count"), None);
    for op in [Op::GetObjectTagging, Op::DeleteObjectTagging] {
        h.req(op)
            .key("absent")
            .send()
            .await
            .assert_error(404, "NoSuchKey");
    }
    h.req(Op::PutObjectTagging)
        .key("absent")
        .body(put)
        .send()
        .await
        .assert_error(404, "NoSuchKey");
    let eleven: String = (0..11)
        .map(|i| format!("<Tag><Key>k{i}</Key><Value>v</Value></Tag>"))
        .collect();
    let too_many = format!("<Tagging><TagSet>{eleven}</TagSet></Tagging>");
    h.req(Op::PutObjectTagging)
        .key("t")
        .body(too_many)
        .send()
        .await
        .assert_error(400, "InvalidTag");
    h.req(Op::PutObject)
        .key("u")
        .header("x-amz-tagging", "a=1&a=2")
        .send()
        .await
        .assert_error(400, "InvalidTag");
}

async fn object_attributes(kind: Kind) {
    let h = Harness::new(kind).await;
    let body = data(1234, 4);
    let put = h
        .req(Op::PutObject)
        .key("g")
        .header("x-amz-checksum-crc32", &crc32_b64(&body))
        .body(body.clone())
        .send()
        .await;
    let r = h
        .req(Op::GetObjectAttributes)
        .key("g")
        .header(
            "x-amz-object-attributes",
            "ETag,ObjectSize,StorageClass,Checksum,ObjectParts",
        )
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.one("ETag"), Some(put.etag().trim_matches('"').to_owned()));
    assert_eq!(r.one("ObjectSize").as_deref(), Some("1234"));
    assert_eq!(r.one("StorageClass").as_deref(), Some("STANDARD"));
    assert_eq!(r.one("ChecksumCRC32"), Some(crc32_b64(&body)));
    assert!(r.header("last-modified").is_some());
    h.req(Op::GetObjectAttributes)
        .key("absent")
        .header("x-amz-object-attributes", "ETag")
        .send()
        .await
        .assert_error(404, "NoSuchKey");
}

async fn bucket_operations(kind: Kind) {
    let h = Harness::new(kind).await;
    assert_eq!(h.req(Op::HeadBucket).send().await.status, 200);
    h.req(Op::CreateBucket)
        .send()
        .await
        .assert_error(409, "BucketAlreadyOwnedByYou");
    let loc = h.req(Op::GetBucketLocation).send().await;
    assert_eq!(loc.status, 200);
    assert!(loc.text().contains("LocationConstraint"), "{}", loc.text());
    h.put("only", "x").await.assert_ok();
    h.req(Op::DeleteBucket)
        .send()
        .await
        .assert_error(409, "BucketNotEmpty");
    h.req(Op::DeleteObject).key("only").send().await.assert_ok();
    assert_eq!(h.req(Op::DeleteBucket).send().await.status, 204);
    // The store stays usable.
    h.put("again", "y").await.assert_ok();
    assert_eq!(h.get("again").await.body.as_ref(), b"y");
    h.req(Op::ListBuckets)
        .send()
        .await
        .assert_error(501, "NotImplemented");
}

async fn bucket_cors(kind: Kind) {
    let h = Harness::new(kind).await;
    h.req(Op::GetBucketCors)
        .send()
        .await
        .assert_error(404, "NoSuchCORSConfiguration");
    let cors = "<CORSConfiguration><CORSRule><ID>r1</ID><AllowedOrigin>https://a.example</AllowedOrigin>\
                <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>\
                <ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule></CORSConfiguration>";
    h.req(Op::PutBucketCors).body(cors).send().await.assert_ok();
    let r = h.req(Op::GetBucketCors).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.all("AllowedMethod"), vec!["GET", "PUT"]);
    assert_eq!(r.one("AllowedOrigin").as_deref(), Some("https://a.example"));
    assert_eq!(r.one("MaxAgeSeconds").as_deref(), Some("300"));
    assert_eq!(r.one("ID").as_deref(), Some("r1"));
    let bad = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>\
               </CORSRule></CORSConfiguration>";
    h.req(Op::PutBucketCors)
        .body(bad)
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    h.req(Op::PutBucketCors)
        .body("<CORSConfiguration/>")
        .send()
        .await
        .assert_error(400, "MalformedXML");
    assert_eq!(h.req(Op::DeleteBucketCors).send().await.status, 204);
    h.req(Op::GetBucketCors)
        .send()
        .await
        .assert_error(404, "NoSuchCORSConfiguration");
    h.req(Op::PutBucketCors)
        .body(vec![b'x'; 3 * 1024 * 1024])
        .send()
        .await
        .assert_error(400, "MaxMessageLengthExceeded");
}

async fn buffered_bodies_are_checked(kind: Kind) {
    let h = Harness::new(kind).await;
    h.put("k", "v").await.assert_ok();
    let tags = "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>";
    let bad_md5 = store_support::content_md5(b"other");
    h.req(Op::PutObjectTagging)
        .key("k")
        .header("content-md5", &bad_md5)
        .body(tags)
        .send()
        .await
        .assert_error(400, "BadDigest");
    h.req(Op::PutObjectTagging)
        .key("k")
        .header("content-md5", "%%%")
        .body(tags)
        .send()
        .await
        .assert_error(400, "InvalidDigest");
    h.req(Op::PutObjectTagging)
        .key("k")
        .header("content-md5", &store_support::content_md5(tags.as_bytes()))
        .body(tags)
        .send()
        .await
        .assert_ok();
    let delete = "<Delete><Object><Key>k</Key></Object></Delete>";
    let r = h
        .req(Op::DeleteObjects)
        .header("x-amz-checksum-crc32", &crc32_b64(b"other"))
        .body(delete)
        .send()
        .await;
    r.assert_error(400, "BadDigest");
    h.get("k").await.assert_ok();
    h.req(Op::DeleteObjects)
        .header("x-amz-checksum-crc32", &crc32_b64(delete.as_bytes()))
        .body(delete)
        .send()
        .await
        .assert_ok();
    h.get("k").await.assert_error(404, "NoSuchKey");
}

both!(
    deletes,
    delete_objects,
    tagging,
    object_attributes,
    bucket_operations,
    bucket_cors,
    buffered_bodies_are_checked,
);
