//! The normalization a response goes through before it is compared with the reference's, in
//! one table each: which headers are compared by value ([`COMPARED_HEADERS`]), which only by
//! presence ([`PRESENT_HEADERS`]), which XML elements are masked ([`MASKED_ELEMENTS`]). Every
//! other header (request ids, dates, server names, connection handling) is ignored.
//!
//! A response becomes a small text *view* (status, chosen headers, the body as an indented
//! XML outline or as bytes); two responses conform when their views are equal, and a failure
//! shows the line diff of the views.

use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::Event;
use sha2::{Digest, Sha256};

use crate::traffic::Message;

/// Headers compared by value (lowercase; `x-amz-meta-` and `x-amz-checksum-` prefixes too).
pub const COMPARED_HEADERS: &[&str] = &[
    "etag",
    "content-range",
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
    "x-amz-tagging-count",
    "x-amz-mp-parts-count",
    "x-amz-delete-marker",
    "x-amz-checksum-type",
];

/// Header prefixes compared by value.
pub const COMPARED_PREFIXES: &[&str] = &["x-amz-meta-", "x-amz-checksum-"];

/// Headers compared only by presence, and only in answers to GET and HEAD: their values
/// differ by nature (times).
pub const PRESENT_HEADERS: &[&str] = &["last-modified"];

/// XML elements whose text is replaced by `*`: ids, times and owners differ by run and backend.
/// Error documents keep only their `Code`.
pub const MASKED_ELEMENTS: &[&str] = &[
    "RequestId",
    "HostId",
    "LastModified",
    "Initiated",
    "ID",
    "DisplayName",
    "UploadId",
    "NextUploadIdMarker",
    "ContinuationToken",
    "NextContinuationToken",
    "VersionId",
    "Location",
    "CreationDate",
];

/// Root elements moto names after its own templates, with the name S3 uses: a documented quirk
/// of the reference (the gateway answers S3's name, and the SDKs for Rust and JavaScript refuse
/// moto's).
pub const ROOT_ALIASES: &[(&str, &str)] = &[
    ("ListPartsResponse", "ListPartsResult"),
    (
        "CompleteMultipartUploadResponse",
        "CompleteMultipartUploadResult",
    ),
];

/// The view of a response to `request`: what is compared.
///
/// `Content-Type` and `Content-Length` are compared in answers to GET and HEAD of an object
/// (its own headers), never on XML documents (their formatting differs); `x-amz-checksum-*` is
/// compared on writes and where the request asked for checksums (`x-amz-checksum-mode`),
/// since backends differ in volunteering them.
pub fn view(request: &Message, response: &Message) -> String {
    let read = matches!(request.method(), "GET" | "HEAD");
    // A read of an object (`/bucket/key`), whose Content-Type and Content-Length are its own.
    let path = request.target().split('?').next().unwrap_or("");
    let object_read = read
        && path
            .trim_start_matches('/')
            .split_once('/')
            .is_some_and(|(_, k)| !k.is_empty());
    let wants_checksums = !read || request.header("x-amz-checksum-mode").is_some();
    let mut out = format!("status {}\n", response.status());
    let xml = is_xml(response);
    let error = xml && response.status() >= 300;
    let mut headers: Vec<(String, String)> = response
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    headers.sort();
    for (name, value) in &headers {
        let checksum = name.starts_with("x-amz-checksum-");
        // ETag is compared as a header where it is not also in an XML body (CopyObject's
        // answer has it in the body; some backends repeat it as a header, S3 does not).
        if name == "etag" && xml {
            continue;
        }
        if (checksum && wants_checksums)
            || (!checksum
                && (COMPARED_HEADERS.contains(&name.as_str())
                    || COMPARED_PREFIXES.iter().any(|p| name.starts_with(p))))
        {
            let _ = writeln!(out, "{name}: {value}");
        } else if read && PRESENT_HEADERS.contains(&name.as_str()) {
            let _ = writeln!(out, "{name}: (present)");
        } else if (name == "content-type" || name == "content-length")
            && object_read
            && !xml
            && response.status() < 300
        {
            let _ = writeln!(out, "{name}: {value}");
        }
    }
    if response.body.is_empty() {
        out.push_str("body: empty\n");
    } else if xml {
        out.push_str("body: xml\n");
        out.push_str(&xml_outline(&response.body, error));
    } else if let Ok(text) = std::str::from_utf8(&response.body)
        .map_err(|_| ())
        .and_then(|t| if t.len() <= 2048 { Ok(t) } else { Err(()) })
    {
        let _ = writeln!(out, "body: text {:?}", text);
    } else {
        let _ = writeln!(
            out,
            "body: {} bytes, sha256 {}",
            response.body.len(),
            hex::encode(Sha256::digest(&response.body))
        );
    }
    out
}

fn is_xml(response: &Message) -> bool {
    let body = String::from_utf8_lossy(&response.body[..response.body.len().min(64)])
        .trim_start()
        .to_owned();
    body.starts_with("<?xml")
        || (body.starts_with('<')
            && response
                .header("content-type")
                .is_none_or(|t| t.contains("xml")))
}

/// One XML element: its local name, its text, its children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

/// An indented outline of an XML document: one line per element with its text, masked.
/// Siblings are sorted by name, stably: S3 clients read members in any order, but the order of
/// a repeated element (list entries) is kept.
fn xml_outline(body: &[u8], error: bool) -> String {
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut buf = Vec::new();
    let mut problem = None;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let mut name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if let Some((_, s3)) = ROOT_ALIASES
                    .iter()
                    .find(|(moto, _)| stack.len() == 1 && *moto == name)
                {
                    (*s3).clone_into(&mut name);
                }
                stack.push(Node {
                    name,
                    ..Node::default()
                });
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Node {
                        name,
                        ..Node::default()
                    });
                }
            }
            Ok(Event::End(_)) => {
                if stack.len() > 1 {
                    let node = stack.pop().unwrap_or_default();
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(node);
                    }
                }
            }
            Ok(Event::Text(t)) => {
                let raw = t.decode().map(|c| c.into_owned()).unwrap_or_default();
                let text = quick_xml::escape::unescape(&raw)
                    .map(|c| c.into_owned())
                    .unwrap_or(raw);
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&text);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let text =
                    quick_xml::escape::unescape(&format!("&{};", String::from_utf8_lossy(&r)))
                        .map(|c| c.into_owned())
                        .unwrap_or_default();
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&text);
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => {
                problem = Some(format!("(XML error: {e})\n"));
                break;
            }
            Ok(_) => {}
        }
        buf.clear();
    }
    let mut out = String::new();
    if let Some(root) = stack.first_mut() {
        for node in &mut root.children {
            if error {
                node.children.retain(|c| c.name == "Code");
            }
            write_node(&mut out, node, 0);
        }
    }
    out.push_str(&problem.unwrap_or_default());
    out
}

fn write_node(out: &mut String, node: &mut Node, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = writeln!(out, "{indent}<{}>", node.name);
    let text = node.text.trim();
    if !text.is_empty() {
        let shown = if MASKED_ELEMENTS.contains(&node.name.as_str()) {
            "*".to_owned()
        } else {
            format!("{text:?}")
        };
        let _ = writeln!(out, "{indent}  = {shown}");
    }
    node.children.sort_by(|a, b| a.name.cmp(&b.name));
    for child in &mut node.children {
        write_node(out, child, depth + 1);
    }
}

/// A line diff of two views (`-` reference, `+` actual), or `None` when they are equal.
pub fn diff(expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // Longest common subsequence table; views are a few dozen lines.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            let _ = writeln!(out, "  {}", a[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = writeln!(out, "+ {}", b[j]);
            j += 1;
        } else {
            let _ = writeln!(out, "- {}", a[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Message {
        Message {
            start: format!("HTTP/1.1 {status}"),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn volatile_parts_are_normalized_away() {
        let a = response(
            "200 OK",
            &[
                ("ETag", "\"e\""),
                ("x-amz-request-id", "1"),
                ("Date", "x"),
                ("Content-Type", "application/xml"),
            ],
            "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Contents><Key>a&amp;b</Key><LastModified>2026</LastModified></Contents></ListBucketResult>",
        );
        let b = response(
            "200 OK",
            &[
                ("x-amz-request-id", "2"),
                ("etag", "\"e\""),
                ("Content-Type", "application/xml; charset=utf-8"),
            ],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n  <Name>b</Name>\n  <Contents><Key>a&amp;b</Key><LastModified>2027</LastModified></Contents>\n</ListBucketResult>",
        );
        let get = Message {
            start: "GET /b HTTP/1.1".into(),
            ..Message::default()
        };
        assert_eq!(
            diff(&view(&get, &a), &view(&get, &b)),
            None,
            "{}",
            view(&get, &a)
        );
        assert!(view(&get, &a).contains("= \"a&b\""), "{}", view(&get, &a));
    }

    #[test]
    fn errors_compare_by_status_and_code_only() {
        let a = response(
            "404 Not Found",
            &[],
            "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>one</Message><Key>k</Key></Error>",
        );
        let b = response(
            "404 Not Found",
            &[],
            "<Error><Code>NoSuchKey</Code><Message>two</Message><RequestId>r</RequestId></Error>",
        );
        let get = Message {
            start: "GET /b/k HTTP/1.1".into(),
            ..Message::default()
        };
        assert_eq!(diff(&view(&get, &a), &view(&get, &b)), None);
        let c = response(
            "403 Forbidden",
            &[],
            "<Error><Code>AccessDenied</Code></Error>",
        );
        let d = diff(&view(&get, &a), &view(&get, &c)).unwrap();
        assert!(
            d.contains("- status 404")
                && d.contains("+ status 403")
                && d.contains("+     = \"AccessDenied\""),
            "{d}"
        );
    }

    #[test]
    fn object_bodies_and_metadata_must_match() {
        let a = response(
            "200 OK",
            &[("Content-Length", "5"), ("x-amz-meta-a", "1")],
            "hello",
        );
        let b = response(
            "200 OK",
            &[("Content-Length", "5"), ("x-amz-meta-a", "2")],
            "hellp",
        );
        let get = Message {
            start: "GET /b/k HTTP/1.1".into(),
            ..Message::default()
        };
        let d = diff(&view(&get, &a), &view(&get, &b)).unwrap();
        assert!(
            d.contains("- x-amz-meta-a: 1") && d.contains("+ body: text \"hellp\""),
            "{d}"
        );
        // A PUT's empty answer: the backend's content type is not the object's.
        let put = Message {
            start: "PUT /b/k HTTP/1.1".into(),
            ..Message::default()
        };
        let c = response("200 OK", &[("Content-Type", "text/html")], "");
        let e = response("200 OK", &[], "");
        assert_eq!(diff(&view(&put, &c), &view(&put, &e)), None);
    }
}
