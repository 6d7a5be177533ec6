//! Embedded stores, listing: ListObjects (V1 markers), ListObjectsV2 (continuation tokens,
//! start-after) and ListObjectVersions over 1,200 keys, paginated with and without
//! delimiters and checked against a model of S3's rules; `encoding-type=url`; byte order;
//! max-keys limits. Every scenario runs on the directory and the memory store.

#[macro_use]
mod store_support;

use std::collections::BTreeSet;

use multistore_core::codec::query_form::parse_form;
use multistore_core::s3::{
    ListObjectVersionsOutput, ListObjectsOutput, ListObjectsV2Output, S3Operation as Op,
};
use store_support::{Harness, Kind, Resp};

/// One listed item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Key(String),
    Prefix(String),
}

/// What S3 lists for these keys: keys under `prefix`, grouped at the first `delimiter`.
fn model(keys: &BTreeSet<String>, prefix: &str, delimiter: Option<&str>) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    for key in keys.iter().filter(|k| k.starts_with(prefix)) {
        let rest = &key[prefix.len()..];
        match delimiter.and_then(|d| rest.find(d).map(|i| i + d.len())) {
            Some(i) => {
                let p = Item::Prefix(key[..prefix.len() + i].to_owned());
                if out.last() != Some(&p) {
                    out.push(p);
                }
            }
            None => out.push(Item::Key(key.clone())),
        }
    }
    out
}

fn keys_1200() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for i in 0..600 {
        keys.insert(format!("a/{i:04}"));
    }
    for i in 0..300 {
        keys.insert(format!("b/x/{i:04}"));
    }
    for i in 0..200 {
        keys.insert(format!("c{i:04}"));
    }
    for i in 0..100 {
        keys.insert(format!("d/{}/{i}", i % 7));
    }
    keys
}

async fn populate(h: &Harness, keys: &BTreeSet<String>) {
    let keys: Vec<String> = keys.iter().cloned().collect();
    for batch in keys.chunks(32) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|k| {
                let req = h.req(Op::PutObject).key(k).body(k.clone().into_bytes());
                tokio::spawn(async move { req.send().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().assert_ok();
        }
    }
}

fn v2(r: &Resp) -> ListObjectsV2Output {
    assert_eq!(r.status, 200, "{}", r.text());
    ListObjectsV2Output::from_http(&r.headers, Some(&r.body)).unwrap()
}

fn v1(r: &Resp) -> ListObjectsOutput {
    assert_eq!(r.status, 200, "{}", r.text());
    ListObjectsOutput::from_http(&r.headers, Some(&r.body)).unwrap()
}

fn items(contents: Vec<Option<String>>, prefixes: Vec<Option<String>>) -> Vec<Item> {
    let mut all: Vec<Item> = contents
        .into_iter()
        .map(|k| Item::Key(k.unwrap()))
        .collect();
    all.extend(prefixes.into_iter().map(|p| Item::Prefix(p.unwrap())));
    all.sort_by(|a, b| name(a).cmp(name(b)));
    all
}

fn name(item: &Item) -> &str {
    match item {
        Item::Key(k) | Item::Prefix(k) => k,
    }
}

/// Lists everything with V2 pages of `max`; checks each page and returns the items.
async fn list_v2(h: &Harness, prefix: &str, delimiter: Option<&str>, max: usize) -> Vec<Item> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let mut req = h
            .req(Op::ListObjectsV2)
            .query("list-type", "2")
            .query("prefix", prefix)
            .query("max-keys", &max.to_string());
        if let Some(d) = delimiter {
            req = req.query("delimiter", d);
        }
        if let Some(t) = &token {
            req = req.query("continuation-token", t);
        }
        let out = v2(&req.send().await);
        let page = items(
            out.contents.into_iter().map(|o| o.key).collect(),
            out.common_prefixes.into_iter().map(|p| p.prefix).collect(),
        );
        assert!(page.len() <= max);
        assert_eq!(out.key_count, Some(page.len() as i32));
        assert_eq!(out.continuation_token, token);
        all.extend(page);
        if out.is_truncated != Some(true) {
            assert_eq!(out.next_continuation_token, None);
            return all;
        }
        token = Some(
            out.next_continuation_token
                .expect("a truncated page has a next token"),
        );
    }
    panic!("listing never ended");
}

/// Lists everything with V1 pages of `max` (NextMarker with a delimiter, else the last key).
async fn list_v1(h: &Harness, prefix: &str, delimiter: Option<&str>, max: usize) -> Vec<Item> {
    let mut all: Vec<Item> = Vec::new();
    let mut marker = String::new();
    for _ in 0..10_000 {
        let mut req = h
            .req(Op::ListObjects)
            .query("prefix", prefix)
            .query("max-keys", &max.to_string())
            .query("marker", &marker);
        if let Some(d) = delimiter {
            req = req.query("delimiter", d);
        }
        let out = v1(&req.send().await);
        assert_eq!(out.marker.as_deref(), Some(marker.as_str()));
        let page = items(
            out.contents.into_iter().map(|o| o.key).collect(),
            out.common_prefixes.into_iter().map(|p| p.prefix).collect(),
        );
        assert!(page.len() <= max);
        all.extend(page.iter().cloned());
        if out.is_truncated != Some(true) {
            return all;
        }
        marker = match (delimiter, out.next_marker) {
            (Some(_), Some(next)) => next,
            (Some(_), None) => panic!("a truncated V1 page with a delimiter has a NextMarker"),
            (None, next) => {
                assert_eq!(next, None, "no NextMarker without a delimiter");
                match page.last().unwrap() {
                    Item::Key(k) | Item::Prefix(k) => k.clone(),
                }
            }
        };
    }
    panic!("listing never ended");
}

async fn pagination_matches_the_model(kind: Kind) {
    let h = Harness::new(kind).await;
    let keys = keys_1200();
    populate(&h, &keys).await;
    let cases: [(&str, Option<&str>); 7] = [
        ("", None),
        ("", Some("/")),
        ("a/", None),
        ("b/", Some("/")),
        ("d/", Some("/")),
        ("c00", Some("1")),
        ("nope", Some("/")),
    ];
    for (prefix, delimiter) in cases {
        let expected = model(&keys, prefix, delimiter);
        for max in [1000, 7, 333] {
            assert_eq!(
                list_v2(&h, prefix, delimiter, max).await,
                expected,
                "V2 {prefix:?} {delimiter:?} {max}"
            );
        }
        assert_eq!(
            list_v1(&h, prefix, delimiter, 11).await,
            expected,
            "V1 {prefix:?} {delimiter:?}"
        );
        assert_eq!(
            list_v1(&h, prefix, delimiter, 1000).await,
            expected,
            "V1 {prefix:?} {delimiter:?}"
        );
    }
    // One V2 page holds at most 1000; the whole bucket is two pages.
    let first = v2(&h
        .req(Op::ListObjectsV2)
        .query("max-keys", "5000")
        .send()
        .await);
    assert_eq!(
        (first.contents.len(), first.max_keys, first.is_truncated),
        (1000, Some(1000), Some(true))
    );
    // start-after, and its echo.
    let after = v2(&h
        .req(Op::ListObjectsV2)
        .query("start-after", "a/0597")
        .query("max-keys", "4")
        .send()
        .await);
    let got: Vec<_> = after
        .contents
        .iter()
        .map(|o| o.key.clone().unwrap())
        .collect();
    assert_eq!(got, vec!["a/0598", "a/0599", "b/x/0000", "b/x/0001"]);
    assert_eq!(after.start_after.as_deref(), Some("a/0597"));
    // Objects carry size, ETag, time and STANDARD; owners only on request in V2.
    let one = &after.contents[0];
    assert_eq!(one.size, Some(6));
    assert!(one.e_tag.as_deref().unwrap().starts_with('"'));
    assert_eq!(
        one.storage_class.as_ref().map(|s| s.as_str()),
        Some("STANDARD")
    );
    assert!(one.last_modified.is_some() && one.owner.is_none());
    let owned = v2(&h
        .req(Op::ListObjectsV2)
        .query("fetch-owner", "true")
        .query("max-keys", "1")
        .send()
        .await);
    assert!(owned.contents[0].owner.is_some());
    let zero = v2(&h.req(Op::ListObjectsV2).query("max-keys", "0").send().await);
    assert_eq!((zero.contents.len(), zero.is_truncated), (0, Some(false)));
    h.req(Op::ListObjectsV2)
        .query("max-keys", "-1")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    h.req(Op::ListObjectsV2)
        .query("continuation-token", "!!!")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    h.req(Op::ListObjectsV2)
        .query("encoding-type", "base64")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
}

async fn object_versions(kind: Kind) {
    let h = Harness::new(kind).await;
    let keys: BTreeSet<String> = (0..25)
        .map(|i| format!("v/{i:02}"))
        .chain(["w/x".to_owned()])
        .collect();
    populate(&h, &keys).await;
    let mut seen = Vec::new();
    let mut marker = String::new();
    loop {
        let r = h
            .req(Op::ListObjectVersions)
            .query("key-marker", &marker)
            .query("max-keys", "10")
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let out = ListObjectVersionsOutput::from_http(&r.headers, Some(&r.body)).unwrap();
        for v in &out.versions {
            assert_eq!(
                (v.version_id.as_deref(), v.is_latest),
                (Some("null"), Some(true))
            );
            seen.push(v.key.clone().unwrap());
        }
        if out.is_truncated != Some(true) {
            break;
        }
        assert_eq!(out.next_version_id_marker.as_deref(), Some("null"));
        marker = out.next_key_marker.unwrap();
    }
    assert_eq!(seen, keys.iter().cloned().collect::<Vec<_>>());
    let grouped = h
        .req(Op::ListObjectVersions)
        .query("delimiter", "/")
        .send()
        .await;
    let out = ListObjectVersionsOutput::from_http(&grouped.headers, Some(&grouped.body)).unwrap();
    let prefixes: Vec<_> = out
        .common_prefixes
        .into_iter()
        .map(|p| p.prefix.unwrap())
        .collect();
    assert_eq!(
        (prefixes, out.versions.len()),
        (vec!["v/".to_owned(), "w/".to_owned()], 0)
    );
    h.req(Op::ListObjectVersions)
        .query("version-id-marker", "null")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
}

async fn url_encoding_and_byte_order(kind: Kind) {
    let h = Harness::new(kind).await;
    let keys: BTreeSet<String> = [
        "a b/c", "a b/d+e", "a b/%41", "Z", "é/1", "~", "B", "z", "x\u{1}y", "plain",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    populate(&h, &keys).await;
    let decode = |s: &str| parse_form(&format!("v={s}")).pop().unwrap().1;
    // Byte order of UTF-8 keys.
    let plain = v2(&h.req(Op::ListObjectsV2).send().await);
    let order: Vec<String> = plain
        .contents
        .iter()
        .map(|o| o.key.clone().unwrap())
        .collect();
    assert_eq!(order, keys.iter().cloned().collect::<Vec<_>>());
    let r = h
        .req(Op::ListObjectsV2)
        .query("encoding-type", "url")
        .query("delimiter", "/")
        .query("start-after", "B c")
        .send()
        .await;
    let raw = r.text();
    assert!(raw.contains("<Prefix>a+b/</Prefix>"), "{raw}");
    assert!(raw.contains("<Prefix>%C3%A9/</Prefix>"), "{raw}");
    assert!(raw.contains("<Key>x%01y</Key>"), "{raw}");
    assert!(raw.contains("<StartAfter>B+c</StartAfter>"), "{raw}");
    assert!(raw.contains("<EncodingType>url</EncodingType>"), "{raw}");
    let out = v2(&r);
    let mut listed: Vec<String> = out
        .contents
        .iter()
        .map(|o| decode(o.key.as_deref().unwrap()))
        .collect();
    listed.extend(
        out.common_prefixes
            .iter()
            .map(|p| decode(p.prefix.as_deref().unwrap())),
    );
    listed.sort();
    let expected: Vec<String> = model(&keys, "", Some("/"))
        .into_iter()
        .map(|i| match i {
            Item::Key(k) | Item::Prefix(k) => k,
        })
        .filter(|k| k.as_str() > "B c")
        .collect();
    assert_eq!(listed, expected);
    // Under a prefix with a space: keys with `+` and `%` encoded, prefix echoed encoded.
    let r = h
        .req(Op::ListObjects)
        .query("encoding-type", "url")
        .query("prefix", "a b/")
        .query("max-keys", "1")
        .query("delimiter", "/")
        .send()
        .await;
    let raw = r.text();
    assert!(
        raw.contains("<Prefix>a+b/</Prefix>") && raw.contains("<Key>a+b/%2541</Key>"),
        "{raw}"
    );
    assert!(
        raw.contains("<NextMarker>a+b/%2541</NextMarker>")
            && raw.contains("<Delimiter>/</Delimiter>"),
        "{raw}"
    );
    let page2 = v1(&h
        .req(Op::ListObjects)
        .query("encoding-type", "url")
        .query("prefix", "a b/")
        .query("marker", "a b/%41")
        .send()
        .await);
    let rest: Vec<String> = page2
        .contents
        .iter()
        .map(|o| decode(o.key.as_deref().unwrap()))
        .collect();
    assert_eq!(rest, vec!["a b/c", "a b/d+e"]);
    assert_eq!(page2.marker.as_deref(), Some("a+b/%2541"));
}

both!(
    pagination_matches_the_model,
    object_versions,
    url_encoding_and_byte_order
);
