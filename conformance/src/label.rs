//! Names an exchange after the S3 operation its request is, with the gateway's generated
//! router (`multistore_core::s3::route`), so a traffic file reads as a list of operations.

use http::{HeaderMap, HeaderName, HeaderValue};
use multistore_core::codec::route::{PathShape, RouteRequest};
use percent_encoding::percent_decode_str;

use crate::traffic::Message;

/// `PutObject`, `GetObject (presigned)`, or `GET ? (why it does not route)`.
pub fn operation(request: &Message) -> String {
    let target = request.target();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.trim_start_matches('/').splitn(2, '/').collect();
    let shape = match segments[..] {
        [""] => PathShape::Root,
        [_] | [_, ""] => PathShape::Bucket,
        _ => PathShape::Object,
    };
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (d(n), d(v))
        })
        .collect();
    let mut headers = HeaderMap::new();
    for (name, value) in &request.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    let route = RouteRequest {
        method: request.method(),
        shape,
        query: &pairs,
        headers: &headers,
    };
    let presigned = pairs.iter().any(|(n, _)| n == "X-Amz-Signature");
    match multistore_core::s3::route(&route) {
        Ok(op) if presigned => format!("{} (presigned)", op.name()),
        Ok(op) => op.name().to_owned(),
        Err(why) => format!("{} ? ({why})", request.method()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(start: &str, headers: &[(&str, &str)]) -> Message {
        Message {
            start: start.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn requests_are_named_after_their_operation() {
        assert_eq!(operation(&request("PUT /b/k HTTP/1.1", &[])), "PutObject");
        assert_eq!(
            operation(&request(
                "PUT /b/k HTTP/1.1",
                &[("X-Amz-Copy-Source", "b/a")]
            )),
            "CopyObject"
        );
        assert_eq!(
            operation(&request("GET /b?list-type=2&prefix=a HTTP/1.1", &[])),
            "ListObjectsV2"
        );
        assert_eq!(operation(&request("GET / HTTP/1.1", &[])), "ListBuckets");
        assert_eq!(
            operation(&request("GET /b/k?X-Amz-Signature=00 HTTP/1.1", &[])),
            "GetObject (presigned)"
        );
    }
}
