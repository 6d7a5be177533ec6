//! The canonical request and the string to sign, S3 flavour: the path re-encoded once from
//! its strict per-segment decoding, query pairs re-encoded and sorted, header values trimmed
//! with inner runs of spaces collapsed. Built as bytes: header values need not be UTF-8.

use http::HeaderMap;

use super::key::sha256_hex;
use super::{ALGORITHM, SigV4Error};
use crate::codec::path::{decode_component, encode_component};

/// The canonical URI of a raw (percent-encoded) path. Each `/`-separated segment is decoded
/// strictly and re-encoded with everything but the unreserved characters escaped, so `%2F`
/// stays an escaped slash, `+` becomes `%2B`, `%7e` becomes `~`, and `.`/`..`/empty segments
/// stay as they are. An empty path is `/`.
pub(crate) fn canonical_uri(raw_path: &str) -> Result<String, SigV4Error> {
    if raw_path.is_empty() {
        return Ok("/".to_owned());
    }
    if !raw_path.starts_with('/') {
        return Err(SigV4Error::InvalidUri);
    }
    let mut out = String::with_capacity(raw_path.len() + raw_path.len() / 2);
    for (i, segment) in raw_path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let decoded = decode_component(segment).map_err(|_| SigV4Error::InvalidUri)?;
        out.push_str(&encode_component(&decoded));
    }
    Ok(out)
}

/// The canonical query string of decoded (name, value) pairs: each side re-encoded, the
/// encoded pairs sorted by name then value, joined as `n=v&…` (a bare name gives `n=`).
pub(crate) fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(n, v)| (encode_component(n), encode_component(v)))
        .collect();
    encoded.sort_unstable();
    let mut out = String::new();
    for (i, (n, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Appends a header value trimmed of leading and trailing spaces and tabs, with every inner
/// run of spaces collapsed to one.
fn push_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    let mut previous_space = false;
    for &b in &value[start..end] {
        if b == b' ' && previous_space {
            continue;
        }
        previous_space = b == b' ';
        out.push(b);
    }
}

/// The canonical request:
///
/// ```text
/// <method>\n<canonical uri>\n<canonical query>\n<name:values\n …>\n<signed;headers>\n<payload>
/// ```
///
/// `signed_headers` are lowercase names; each must be present in `headers` (else
/// [`SigV4Error::SignatureDoesNotMatch`]). Repeated headers join their values with `,`.
pub(crate) fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload: &str,
) -> Result<Vec<u8>, SigV4Error> {
    let mut out = Vec::with_capacity(256);
    for line in [method, canonical_uri, canonical_query] {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    for name in signed_headers {
        let mut values = headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() {
            return Err(SigV4Error::SignatureDoesNotMatch);
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_trimmed(&mut out, value.as_bytes());
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload.as_bytes());
    Ok(out)
}

/// `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256(canonical request)>`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn uri_is_reencoded_per_segment() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("/b/a%20b", "/b/a%20b"),
            ("/b/a+b", "/b/a%2Bb"),
            ("/b/a%2Bb", "/b/a%2Bb"),
            ("/b/a%2bb", "/b/a%2Bb"),
            ("/b/a%2Fb", "/b/a%2Fb"),
            ("/b/%7Eu", "/b/~u"),
            ("/b/./../x//y/", "/b/./../x//y/"),
            ("/test$file.text", "/test%24file.text"),
            ("/b/%E2%9C%93", "/b/%E2%9C%93"),
            ("/b/✓", "/b/%E2%9C%93"),
        ];
        for (raw, want) in cases {
            assert_eq!(canonical_uri(raw).unwrap(), want, "{raw}");
        }
        for bad in ["b/k", "/b/%zz", "/b/%2", "/b/%FF", "*"] {
            assert_eq!(canonical_uri(bad), Err(SigV4Error::InvalidUri), "{bad}");
        }
    }

    #[test]
    fn query_is_encoded_then_sorted() {
        let q = canonical_query([
            ("prefix", "J"),
            ("max-keys", "2"),
            ("a b", "x+y/z"),
            ("acl", ""),
            ("a", "2"),
            ("a", "10"),
        ]);
        assert_eq!(q, "a=10&a=2&a%20b=x%2By%2Fz&acl=&max-keys=2&prefix=J");
        assert_eq!(canonical_query([]), "");
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let mut headers = HeaderMap::new();
        headers.append("x-amz-meta-a", HeaderValue::from_static("  a   b  c "));
        headers.append("x-amz-meta-a", HeaderValue::from_static("\td"));
        headers.insert("host", HeaderValue::from_static("h"));
        let signed = vec!["host".to_owned(), "x-amz-meta-a".to_owned()];
        let creq =
            canonical_request("GET", "/", "", &headers, &signed, "UNSIGNED-PAYLOAD").unwrap();
        assert_eq!(
            String::from_utf8(creq).unwrap(),
            "GET\n/\n\nhost:h\nx-amz-meta-a:a b c,d\n\nhost;x-amz-meta-a\nUNSIGNED-PAYLOAD"
        );
        let missing = vec!["host".to_owned(), "range".to_owned()];
        assert_eq!(
            canonical_request("GET", "/", "", &headers, &missing, "x"),
            Err(SigV4Error::SignatureDoesNotMatch)
        );
    }
}
