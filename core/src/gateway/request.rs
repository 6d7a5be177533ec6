//! What a runtime hands the gateway for each request: the request head as the client sent
//! it (method, raw path and query, headers), who sent it, when, and the request id. The body
//! stays with the runtime until a plan asks for it.

use std::net::IpAddr;

use http::{HeaderMap, Method};

use crate::codec::path::{PathError, decode_component};
use crate::codec::scalar::DateTime;

/// A request head, as received.
#[derive(Clone, Debug)]
pub struct RequestHead {
    pub method: Method,
    /// The path as sent, still percent-encoded, without the query.
    pub raw_path: String,
    /// The query string as sent (without `?`), still encoded; empty when absent.
    pub raw_query: String,
    /// All request headers, including `host`.
    pub headers: HeaderMap,
    /// The client address as the runtime trusts it (peer, or a trusted proxy's header).
    pub client_ip: Option<IpAddr>,
    /// The current time, from the runtime's clock.
    pub now: DateTime,
    /// The id of this request, echoed in `x-amz-request-id` and error bodies.
    pub request_id: String,
}

impl RequestHead {
    /// Splits a request target (`/path?query`) into the raw path and raw query.
    pub fn split_target(target: &str) -> (String, String) {
        match target.split_once('?') {
            Some((p, q)) => (p.to_owned(), q.to_owned()),
            None => (target.to_owned(), String::new()),
        }
    }

    /// The value of a header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Decodes a raw query string into ordered pairs: `+` is a space (form encoding, as S3
/// reads it), `%XX` escapes must be well formed and decode to UTF-8, a key without `=` has
/// the value `""`.
pub fn parse_query(raw: &str) -> Result<Vec<(String, String)>, PathError> {
    let mut pairs = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((
            decode_component(&k.replace('+', " "))?,
            decode_component(&v.replace('+', " "))?,
        ));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode_in_order() {
        let q = parse_query("list-type=2&prefix=a%2Fb+c&uploads&delimiter=%2F").unwrap();
        assert_eq!(
            q,
            [
                ("list-type".to_owned(), "2".to_owned()),
                ("prefix".to_owned(), "a/b c".to_owned()),
                ("uploads".to_owned(), String::new()),
                ("delimiter".to_owned(), "/".to_owned()),
            ]
        );
        assert_eq!(parse_query("a=%2").unwrap_err(), PathError::BadEscape);
        assert_eq!(parse_query("").unwrap(), []);
    }

    #[test]
    fn targets_split_at_the_first_question_mark() {
        assert_eq!(
            RequestHead::split_target("/b/k?x=1?2"),
            ("/b/k".to_owned(), "x=1?2".to_owned())
        );
        assert_eq!(
            RequestHead::split_target("/"),
            ("/".to_owned(), String::new())
        );
    }
}
