//! HTTP binding helpers that generated code calls: typed reads of labels, query parameters,
//! headers and prefix headers from a request or response, the matching writes, and the
//! request/response shapes the bindings produce.
//!
//! Reads are lenient where S3 is (an empty header counts as absent) and strict where it
//! matters (a value that does not parse is an error naming the header or parameter).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

use super::scalar::{
    Blob, DateTime, ScalarError, TextValue, TimestampFormat, format_timestamp, parse_timestamp,
};
use super::xml::XmlError;

/// Why a request or response does not bind to an operation's input or output.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BindingError {
    #[error("missing URI label {0}")]
    MissingLabel(&'static str),
    #[error("missing required query parameter {0}")]
    MissingQuery(&'static str),
    #[error("missing required header {0}")]
    MissingHeader(&'static str),
    #[error("missing required parameter {0}")]
    MissingParameter(String),
    #[error("the request body is required")]
    MissingBody,
    #[error("invalid header {name}: {source}")]
    InvalidHeader { name: String, source: ScalarError },
    #[error("invalid query parameter {name}: {source}")]
    InvalidQuery { name: String, source: ScalarError },
    #[error("invalid URI label {name}: {source}")]
    InvalidLabel { name: String, source: ScalarError },
    #[error("header {0} is not valid UTF-8")]
    NonUtf8Header(String),
    #[error("cannot write header {0}: the value has characters HTTP headers cannot carry")]
    UnwritableHeader(String),
    #[error("the body is not valid UTF-8")]
    NonUtf8Body,
    #[error(transparent)]
    Xml(#[from] XmlError),
}

/// What an operation's body is, from the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// An XML document, small enough to buffer.
    Xml,
    /// A raw string or blob payload, small enough to buffer.
    Raw,
    /// A streaming blob: passed through, never buffered.
    Streaming,
}

/// Static metadata of an operation, from the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationInfo {
    pub name: &'static str,
    pub method: &'static str,
    /// The model's URI pattern, e.g. `/{Bucket}/{Key+}?tagging`.
    pub uri: &'static str,
    pub success_status: u16,
    pub input_body: BodyKind,
    pub output_body: BodyKind,
    /// The model requires a checksum (Content-MD5 or `x-amz-checksum-*`) on the request.
    pub checksum_required: bool,
    /// Headers the input binds (lowercase, sorted).
    pub input_headers: &'static [&'static str],
    /// Header prefixes the input binds (`x-amz-meta-`).
    pub input_header_prefixes: &'static [&'static str],
    /// Headers the output binds (lowercase, sorted).
    pub output_headers: &'static [&'static str],
    /// Header prefixes the output binds.
    pub output_header_prefixes: &'static [&'static str],
}

/// A client request, already addressed: the bucket and key come decoded from the path or
/// the virtual host, the query is decoded into ordered pairs.
#[derive(Clone, Copy, Debug)]
pub struct HttpRequest<'a> {
    pub method: &'a Method,
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
}

/// A request for a backend, before addressing and signing.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboundRequest {
    pub method: Method,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    /// A buffered body (XML or raw payload); `None` for no body or a streamed one.
    pub body: Option<Bytes>,
}

impl OutboundRequest {
    pub fn new(method: Method) -> Self {
        Self {
            method,
            bucket: None,
            key: None,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// Sets an XML body, with `Content-Type: application/xml` unless a type is already set.
    pub fn set_xml_body(&mut self, xml: Vec<u8>) {
        set_xml(&mut self.headers, &mut self.body, xml);
    }
}

/// A response for a client, or one read from a backend.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseParts {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// A buffered body; `None` for no body or a streamed one.
    pub body: Option<Bytes>,
}

impl ResponseParts {
    /// An empty response with this status (an invalid status becomes 500).
    pub fn new(status: u16) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// Sets an XML body, with `Content-Type: application/xml` unless a type is already set.
    pub fn set_xml_body(&mut self, xml: Vec<u8>) {
        set_xml(&mut self.headers, &mut self.body, xml);
    }
}

fn set_xml(headers: &mut HeaderMap, body: &mut Option<Bytes>, xml: Vec<u8>) {
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    }
    *body = Some(Bytes::from(xml));
}

// ---- reads ----

/// A URI label by its model name (`Bucket`, `Key`).
pub fn label<T: TextValue>(
    req: &HttpRequest<'_>,
    name: &'static str,
) -> Result<Option<T>, BindingError> {
    let value = match name {
        "Bucket" => req.bucket,
        "Key" => req.key,
        _ => None,
    };
    value
        .map(|v| {
            T::parse_text(v).map_err(|source| BindingError::InvalidLabel {
                name: name.to_owned(),
                source,
            })
        })
        .transpose()
}

fn query_value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The first value of a query parameter.
pub fn query<T: TextValue>(
    query: &[(String, String)],
    name: &str,
) -> Result<Option<T>, BindingError> {
    query_value(query, name)
        .map(|v| {
            T::parse_text(v).map_err(|source| BindingError::InvalidQuery {
                name: name.to_owned(),
                source,
            })
        })
        .transpose()
}

/// A timestamp query parameter.
pub fn query_timestamp(
    query: &[(String, String)],
    name: &str,
    format: TimestampFormat,
) -> Result<Option<DateTime>, BindingError> {
    query_value(query, name)
        .map(|v| {
            parse_timestamp(v, format).map_err(|source| BindingError::InvalidQuery {
                name: name.to_owned(),
                source,
            })
        })
        .transpose()
}

/// Every value of a repeated query parameter.
pub fn query_list<T: TextValue>(
    query: &[(String, String)],
    name: &str,
) -> Result<Vec<T>, BindingError> {
    query
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| {
            T::parse_text(v).map_err(|source| BindingError::InvalidQuery {
                name: name.to_owned(),
                source,
            })
        })
        .collect()
}

/// The value of a header (several occurrences joined with `,`); empty counts as absent.
fn header_text(headers: &HeaderMap, name: &HeaderName) -> Result<Option<String>, BindingError> {
    let mut joined: Option<String> = None;
    for value in headers.get_all(name) {
        // Visible ASCII, or UTF-8 sent raw (SDKs send non-ASCII metadata that way); any other
        // byte sequence is refused rather than guessed at.
        let text = std::str::from_utf8(value.as_bytes())
            .map_err(|_| BindingError::NonUtf8Header(name.to_string()))?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match &mut joined {
            Some(j) => {
                j.push(',');
                j.push_str(text);
            }
            None => joined = Some(text.to_owned()),
        }
    }
    Ok(joined)
}

/// A header value.
pub fn header<T: TextValue>(
    headers: &HeaderMap,
    name: &HeaderName,
) -> Result<Option<T>, BindingError> {
    header_text(headers, name)?
        .map(|v| {
            T::parse_text(&v).map_err(|source| BindingError::InvalidHeader {
                name: name.to_string(),
                source,
            })
        })
        .transpose()
}

/// A timestamp header.
pub fn header_timestamp(
    headers: &HeaderMap,
    name: &HeaderName,
    format: TimestampFormat,
) -> Result<Option<DateTime>, BindingError> {
    header_text(headers, name)?
        .map(|v| {
            parse_timestamp(&v, format).map_err(|source| BindingError::InvalidHeader {
                name: name.to_string(),
                source,
            })
        })
        .transpose()
}

/// A list header: every occurrence, split on commas, items trimmed, empty items skipped.
pub fn header_list<T: TextValue>(
    headers: &HeaderMap,
    name: &HeaderName,
) -> Result<Vec<T>, BindingError> {
    let Some(text) = header_text(headers, name)? else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|v| {
            T::parse_text(v).map_err(|source| BindingError::InvalidHeader {
                name: name.to_string(),
                source,
            })
        })
        .collect()
}

/// Every header starting with `prefix` (lowercase), keyed by the rest of its name.
pub fn prefix_headers(
    headers: &HeaderMap,
    prefix: &str,
) -> Result<BTreeMap<String, String>, BindingError> {
    let mut map = BTreeMap::new();
    for name in headers.keys() {
        if let Some(rest) = name.as_str().strip_prefix(prefix) {
            let value = header_text(headers, name)?.unwrap_or_default();
            map.insert(rest.to_owned(), value);
        }
    }
    Ok(map)
}

/// A raw string payload.
pub fn payload_string(body: Option<&[u8]>) -> Result<Option<String>, BindingError> {
    match body {
        Some(b) if !b.is_empty() => String::from_utf8(b.to_vec())
            .map(Some)
            .map_err(|_| BindingError::NonUtf8Body),
        _ => Ok(None),
    }
}

/// A raw blob payload.
pub fn payload_blob(body: Option<&[u8]>) -> Option<Blob> {
    body.filter(|b| !b.is_empty())
        .map(|b| Blob::new(b.to_vec()))
}

// ---- writes ----

fn header_value(name: &HeaderName, text: &str) -> Result<HeaderValue, BindingError> {
    HeaderValue::from_str(text)
        .or_else(|_| HeaderValue::from_bytes(text.as_bytes()))
        .map_err(|_| BindingError::UnwritableHeader(name.to_string()))
}

/// Sets a header from a value.
pub fn set_header<T: TextValue>(
    headers: &mut HeaderMap,
    name: &HeaderName,
    value: Option<&T>,
) -> Result<(), BindingError> {
    if let Some(v) = value {
        headers.insert(name.clone(), header_value(name, &v.to_text())?);
    }
    Ok(())
}

/// Sets a timestamp header.
pub fn set_header_timestamp(
    headers: &mut HeaderMap,
    name: &HeaderName,
    value: Option<&DateTime>,
    format: TimestampFormat,
) -> Result<(), BindingError> {
    if let Some(v) = value {
        headers.insert(
            name.clone(),
            header_value(name, &format_timestamp(v, format))?,
        );
    }
    Ok(())
}

/// Sets a list header, items joined with `,`; an empty list sets nothing.
pub fn set_header_list<T: TextValue>(
    headers: &mut HeaderMap,
    name: &HeaderName,
    values: &[T],
) -> Result<(), BindingError> {
    if !values.is_empty() {
        let joined = values
            .iter()
            .map(TextValue::to_text)
            .collect::<Vec<_>>()
            .join(",");
        headers.insert(name.clone(), header_value(name, &joined)?);
    }
    Ok(())
}

/// Sets one header per map entry, named `prefix` + key.
pub fn set_prefix_headers(
    headers: &mut HeaderMap,
    prefix: &str,
    values: &BTreeMap<String, String>,
) -> Result<(), BindingError> {
    for (key, value) in values {
        let full = format!("{prefix}{key}");
        let name = HeaderName::from_bytes(full.to_ascii_lowercase().as_bytes())
            .map_err(|_| BindingError::UnwritableHeader(full.clone()))?;
        let value = header_value(&name, value)?;
        headers.append(name, value);
    }
    Ok(())
}

/// Appends a query parameter.
pub fn push_query<T: TextValue>(query: &mut Vec<(String, String)>, name: &str, value: Option<&T>) {
    if let Some(v) = value {
        query.push((name.to_owned(), v.to_text()));
    }
}

/// Appends a timestamp query parameter.
pub fn push_query_timestamp(
    query: &mut Vec<(String, String)>,
    name: &str,
    value: Option<&DateTime>,
    format: TimestampFormat,
) {
    if let Some(v) = value {
        query.push((name.to_owned(), format_timestamp(v, format)));
    }
}

/// Appends a repeated query parameter, once per item.
pub fn push_query_list<T: TextValue>(query: &mut Vec<(String, String)>, name: &str, values: &[T]) {
    for v in values {
        query.push((name.to_owned(), v.to_text()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn empty_headers_count_as_absent_and_repeats_join() {
        let h = headers(&[("x-a", ""), ("x-b", "1"), ("x-b", "2")]);
        assert_eq!(
            header::<String>(&h, &HeaderName::from_static("x-a")).unwrap(),
            None
        );
        assert_eq!(
            header::<String>(&h, &HeaderName::from_static("x-b"))
                .unwrap()
                .as_deref(),
            Some("1,2")
        );
        let list: Vec<String> = header_list(&h, &HeaderName::from_static("x-b")).unwrap();
        assert_eq!(list, ["1", "2"]);
    }

    #[test]
    fn bad_values_name_the_header_or_parameter() {
        let h = headers(&[("content-length", "ten")]);
        let err = header::<i64>(&h, &HeaderName::from_static("content-length")).unwrap_err();
        assert!(
            matches!(err, BindingError::InvalidHeader { ref name, .. } if name == "content-length"),
            "{err}"
        );
        let q = vec![("max-keys".to_owned(), "-x".to_owned())];
        assert!(matches!(
            query::<i32>(&q, "max-keys"),
            Err(BindingError::InvalidQuery { .. })
        ));
    }

    #[test]
    fn raw_utf8_header_values_are_read_and_other_bytes_refused() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-amz-meta-name",
            HeaderValue::from_bytes("Zoë ✓".as_bytes()).unwrap(),
        );
        let map = prefix_headers(&h, "x-amz-meta-").unwrap();
        assert_eq!(map["name"], "Zoë ✓");
        h.insert(
            "x-amz-meta-bad",
            HeaderValue::from_bytes(&[0xff, 0xfe]).unwrap(),
        );
        assert_eq!(
            prefix_headers(&h, "x-amz-meta-").unwrap_err(),
            BindingError::NonUtf8Header("x-amz-meta-bad".into())
        );
    }

    #[test]
    fn prefix_headers_strip_the_prefix() {
        let h = headers(&[
            ("x-amz-meta-color", "blue"),
            ("x-amz-metadata-directive", "COPY"),
        ]);
        let map = prefix_headers(&h, "x-amz-meta-").unwrap();
        assert_eq!(
            map.into_iter().collect::<Vec<_>>(),
            [("color".to_owned(), "blue".to_owned())]
        );
    }

    #[test]
    fn unwritable_header_values_are_errors_not_panics() {
        let mut h = HeaderMap::new();
        let err = set_header(
            &mut h,
            &HeaderName::from_static("x-a"),
            Some(&"a\nb".to_owned()),
        )
        .unwrap_err();
        assert_eq!(err, BindingError::UnwritableHeader("x-a".into()));
    }
}
