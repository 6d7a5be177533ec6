//! The gateway with aws-sdk-s3 in front of each real backend (embedded directory, s3s-fs,
//! moto): ListObjects V1 and V2 with prefix, delimiter and pagination (max-keys 2 over seven
//! keys, continuation tokens and markers), ListObjectVersions, and the adversarial key corpus
//! (`dir/`, `a//b`, `./..`, unicode, `+ = % ~ # ? [ ] *`, spaces) put, read and listed back.

mod support;

use std::collections::BTreeSet;

use aws_sdk_s3::types::EncodingType;
use support::{BUCKET, Harness, Kind, backend_lacks, failure, show};

matrix!(
    list_v2_prefix_delimiter_and_pagination,
    list_v1_prefix_delimiter_and_markers,
    list_object_versions,
    adversarial_keys_round_trip,
);

const KEYS: [&str; 7] = ["a/1", "a/2", "a/b/3", "b/4", "c5", "c6", "d7"];

async fn seed(h: &Harness) {
    for key in KEYS {
        h.put(key, key.as_bytes().to_vec()).await;
    }
}

/// One ListObjectsV2 page: (keys, common prefixes, truncated, next token).
async fn v2_page(
    h: &Harness,
    prefix: Option<&str>,
    delimiter: Option<&str>,
    max: Option<i32>,
    token: Option<String>,
) -> (Vec<String>, Vec<String>, bool, Option<String>) {
    let out =
        h.s3.list_objects_v2()
            .bucket(BUCKET)
            .set_prefix(prefix.map(str::to_owned))
            .set_delimiter(delimiter.map(str::to_owned))
            .set_max_keys(max)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: ListObjectsV2: {}", h.name(), show(&e)));
    let keys = out
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .map(str::to_owned)
        .collect();
    let prefixes = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .map(str::to_owned)
        .collect();
    let returned = out.contents().len() + out.common_prefixes().len();
    assert_eq!(
        out.key_count(),
        Some(returned as i32),
        "KeyCount counts keys and prefixes"
    );
    let truncated = out.is_truncated().unwrap_or(false);
    (
        keys,
        prefixes,
        truncated,
        out.next_continuation_token().map(str::to_owned),
    )
}

async fn list_v2_prefix_delimiter_and_pagination(h: &Harness) {
    seed(h).await;
    let (keys, prefixes, truncated, _) = v2_page(h, None, None, None, None).await;
    assert_eq!(keys, KEYS, "everything, in key order");
    assert!(prefixes.is_empty() && !truncated);

    // max-keys 2 over seven keys: four pages chained by continuation tokens.
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let (keys, _, truncated, next) = v2_page(h, None, None, Some(2), token.take()).await;
        pages.push(keys);
        if !truncated {
            assert_eq!(next, None, "no token on the last page");
            break;
        }
        token = Some(next.expect("a truncated page has a continuation token"));
        assert!(pages.len() < 10, "pagination does not end");
    }
    let expected: Vec<Vec<String>> = KEYS
        .chunks(2)
        .map(|c| c.iter().map(|k| k.to_string()).collect())
        .collect();
    assert_eq!(pages, expected);

    let (keys, prefixes, _, _) = v2_page(h, None, Some("/"), None, None).await;
    assert_eq!(keys, ["c5", "c6", "d7"]);
    assert_eq!(prefixes, ["a/", "b/"]);
    let (keys, prefixes, _, _) = v2_page(h, Some("a/"), Some("/"), None, None).await;
    assert_eq!(keys, ["a/1", "a/2"]);
    assert_eq!(prefixes, ["a/b/"]);
    let (keys, prefixes, _, _) = v2_page(h, Some("c"), None, None, None).await;
    assert_eq!(
        (keys.as_slice(), prefixes.len()),
        (["c5", "c6"].map(String::from).as_slice(), 0)
    );

    // With a delimiter, prefixes count toward max-keys and pages carry on after them.
    let mut seen_keys = Vec::new();
    let mut seen_prefixes = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let (keys, prefixes, truncated, next) =
            v2_page(h, None, Some("/"), Some(2), token.take()).await;
        assert!(keys.len() + prefixes.len() <= 2);
        seen_keys.extend(keys);
        seen_prefixes.extend(prefixes);
        if !truncated {
            break;
        }
        token = next;
    }
    assert_eq!(seen_prefixes, ["a/", "b/"]);
    assert_eq!(seen_keys, ["c5", "c6", "d7"]);

    let after =
        h.s3.list_objects_v2()
            .bucket(BUCKET)
            .start_after("b/4")
            .send()
            .await
            .unwrap();
    let keys: Vec<&str> = after.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["c5", "c6", "d7"], "StartAfter");
}

async fn list_v1_prefix_delimiter_and_markers(h: &Harness) {
    seed(h).await;
    let mut marker: Option<String> = None;
    let mut all = Vec::new();
    for _ in 0..10 {
        let out =
            h.s3.list_objects()
                .bucket(BUCKET)
                .max_keys(2)
                .set_marker(marker.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{}: ListObjects: {}", h.name(), show(&e)));
        let keys: Vec<String> = out
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .map(str::to_owned)
            .collect();
        assert!(keys.len() <= 2);
        if h.kind == Kind::Local {
            let echoed = out.marker().unwrap_or_default();
            assert_eq!(
                echoed,
                marker.as_deref().unwrap_or_default(),
                "the marker is echoed"
            );
        } else if marker.is_some() {
            // Backend lacks the Marker echo (and moto's NextMarker is an opaque token, not a
            // key); the gateway relays what it gets, and the chain still pages correctly.
            assert_eq!(
                out.marker(),
                None,
                "{}: backend lacks the Marker echo",
                h.name()
            );
            eprintln!(
                "{}: backend lacks the ListObjects Marker echo (asserted: none)",
                h.name()
            );
        }
        let truncated = out.is_truncated().unwrap_or(false);
        // Without a delimiter S3 sends no NextMarker; the last key is the next marker.
        marker = out
            .next_marker()
            .map(str::to_owned)
            .or_else(|| keys.last().cloned());
        all.extend(keys);
        if !truncated {
            break;
        }
    }
    assert_eq!(all, KEYS);

    let out =
        h.s3.list_objects()
            .bucket(BUCKET)
            .delimiter("/")
            .send()
            .await
            .unwrap();
    let keys: Vec<&str> = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<&str> = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!((keys, prefixes), (vec!["c5", "c6", "d7"], vec!["a/", "b/"]));
    let out =
        h.s3.list_objects()
            .bucket(BUCKET)
            .prefix("a/")
            .delimiter("/")
            .send()
            .await
            .unwrap();
    let keys: Vec<&str> = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<&str> = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!((keys, prefixes), (vec!["a/1", "a/2"], vec!["a/b/"]));
    assert_eq!(out.prefix(), Some("a/"));
    assert_eq!(out.delimiter(), Some("/"));
    let first = h.s3.list_objects().bucket(BUCKET).send().await.unwrap();
    let object = &first.contents()[0];
    assert_eq!(object.size(), Some(3), "sizes are listed");
    let etag = format!("\"{}\"", support::md5_hex(b"a/1"));
    if h.kind == Kind::S3sFs {
        assert_eq!(
            object.e_tag(),
            None,
            "s3s-fs: backend lacks ETags in V1 listings"
        );
        eprintln!("s3s-fs: backend lacks ETags in ListObjects (V1) entries (asserted)");
    } else {
        assert_eq!(object.e_tag(), Some(etag.as_str()));
    }
}

async fn list_object_versions(h: &Harness) {
    seed(h).await;
    let result =
        h.s3.list_object_versions()
            .bucket(BUCKET)
            .prefix("a/")
            .send()
            .await;
    if h.kind == Kind::S3sFs {
        return backend_lacks(h, "ListObjectVersions", result);
    }
    let out = result.unwrap_or_else(|e| panic!("{}: ListObjectVersions: {}", h.name(), show(&e)));
    let versions: Vec<(&str, Option<&str>, Option<bool>)> = out
        .versions()
        .iter()
        .map(|v| (v.key().unwrap(), v.version_id(), v.is_latest()))
        .collect();
    assert_eq!(
        versions,
        [
            ("a/1", Some("null"), Some(true)),
            ("a/2", Some("null"), Some(true)),
            ("a/b/3", Some("null"), Some(true))
        ],
        "an unversioned bucket: one current version per key, id `null`"
    );
    assert!(out.delete_markers().is_empty());

    let page =
        h.s3.list_object_versions()
            .bucket(BUCKET)
            .max_keys(2)
            .send()
            .await
            .unwrap();
    assert_eq!(page.versions().len(), 2);
    assert_eq!(page.is_truncated(), Some(true));
    let next = page.next_key_marker().expect("NextKeyMarker").to_owned();
    let rest =
        h.s3.list_object_versions()
            .bucket(BUCKET)
            .key_marker(&next)
            .send()
            .await
            .unwrap();
    let keys: Vec<&str> = rest.versions().iter().filter_map(|v| v.key()).collect();
    assert_eq!(keys, &KEYS[2..], "after the key marker");
    let delimited =
        h.s3.list_object_versions()
            .bucket(BUCKET)
            .delimiter("/")
            .send()
            .await
            .unwrap();
    let prefixes: Vec<&str> = delimited
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["a/", "b/"]);
}

/// Keys S3 accepts that a naive gateway or file store gets wrong.
const CORPUS: [&str; 14] = [
    "dir/",
    "a//b",
    "./..",
    "../escape",
    "x/./y",
    "x/../y",
    "unicode/日本語/ключ/é",
    "plus+equals=percent%tilde~",
    "hash#question?brackets[]star*",
    "with space",
    "trailing space ",
    "%2F-looks-encoded",
    "semi;colon,comma&amp'quote\"",
    "caf\u{e9}-nfc vs cafe\u{301}-nfd",
];

async fn adversarial_keys_round_trip(h: &Harness) {
    let mut stored = BTreeSet::new();
    let mut refused = Vec::new();
    for (i, key) in CORPUS.iter().enumerate() {
        let body = format!("body {i}: {key}").into_bytes();
        let put =
            h.s3.put_object()
                .bucket(BUCKET)
                .key(*key)
                .body(body.clone().into())
                .send()
                .await;
        match put {
            Ok(_) => {
                assert_eq!(h.get(key).await, body, "{}: {key:?} reads back", h.name());
                stored.insert(key.to_string());
            }
            Err(e) if h.kind == Kind::S3sFs => refused.push((*key, failure::<(), _>(Err(e)))),
            Err(e) => panic!("{}: put {key:?}: {}", h.name(), show(&e)),
        }
    }
    if h.kind == Kind::S3sFs {
        // Backend lacks arbitrary keys: s3s-fs maps keys to file paths, so it refuses or
        // normalizes some. A refusal is an S3 error; for `./..` s3s-fs panics inside
        // path-dedot and drops the connection, which the gateway answers 502 BadGateway.
        for (key, (status, code)) in &refused {
            let crashed = *key == "./.." && (*status, code.as_str()) == (502, "BadGateway");
            assert!(
                (400..500).contains(status) || crashed,
                "s3s-fs refused {key:?} with {status} {code}"
            );
        }
        eprintln!("s3s-fs: backend lacks arbitrary keys (asserted 4xx): {refused:?}");
    } else {
        assert_eq!(
            stored.len(),
            CORPUS.len(),
            "{}: every key is stored",
            h.name()
        );
    }

    let listed = h.s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let listed: BTreeSet<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .map(str::to_owned)
        .collect();
    let url =
        h.s3.list_objects_v2()
            .bucket(BUCKET)
            .encoding_type(EncodingType::Url)
            .send()
            .await
            .unwrap();
    let url_keys: BTreeSet<String> = url
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .map(str::to_owned)
        .collect();
    if h.kind == Kind::S3sFs {
        // Backend lacks encoding-type=url: s3s-fs echoes the parameter, lists keys raw.
        assert_eq!(url_keys, listed, "s3s-fs: backend lacks encoding-type=url");
        eprintln!("s3s-fs: backend lacks encoding-type=url (asserted: raw keys)");
        // What s3s-fs stored under a normalized path lists under that path; every listed key
        // must at least read back.
        for key in &listed {
            h.get(key).await;
        }
        eprintln!("s3s-fs: stored {stored:?}, lists {listed:?}");
    } else {
        assert_eq!(listed, stored, "{}: the same keys list back", h.name());
        let decoded: BTreeSet<String> = url_keys.iter().map(|k| url_decode(k)).collect();
        assert_eq!(
            decoded,
            stored,
            "{}: the same keys list back url-encoded",
            h.name()
        );
    }
    if let support::Backend::Local { path } = &h.backend {
        // Nothing escaped the bucket's directory.
        let parent: BTreeSet<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            parent,
            BTreeSet::from(["local".to_owned(), "side".to_owned()])
        );
    }

    // Delete them all back through DeleteObject.
    for key in &stored {
        h.s3.delete_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        assert!(!h.exists(key).await, "{}: {key:?} deleted", h.name());
    }
}

/// Decodes a key listed with `encoding-type=url` (`+` is a space there).
fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}
