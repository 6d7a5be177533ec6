//! The bridge between generated types and the XML codec: the `XmlWrite` / `XmlRead` traits
//! that generated structures and unions implement, and the helpers their code calls to read
//! scalars and to write and read whole documents.

use super::scalar::{DateTime, TextValue, TimestampFormat, format_timestamp, parse_timestamp};
use super::xml::{Element, XmlError, XmlLimits, XmlWriter, parse_document};

/// A value that writes itself as one XML element.
pub trait XmlWrite {
    /// Writes `<name attrs…>…</name>`.
    fn write_xml(&self, w: &mut XmlWriter, name: &str, attrs: &[(&str, &str)]);
}

/// A value that reads itself from one XML element. Unknown child elements are skipped and
/// children may come in any order.
pub trait XmlRead: Sized {
    fn read_xml(el: &Element) -> Result<Self, XmlError>;
}

fn invalid(el: &str, message: impl ToString) -> XmlError {
    XmlError::InvalidValue {
        element: el.to_owned(),
        message: message.to_string(),
    }
}

/// A scalar from an element's text: exactly as written, or else with surrounding white
/// space trimmed (numbers and enums in pretty-printed documents).
pub fn scalar<T: TextValue>(el: &Element) -> Result<T, XmlError> {
    T::parse_text(&el.text)
        .or_else(|_| T::parse_text(el.text.trim()))
        .map_err(|e| invalid(&el.name, e))
}

/// A timestamp from an element's text. A `date-time` without a zone (AWS's own documentation
/// shows `2009-10-28T22:32:00` in a CopyObjectResult) is read as UTC.
pub fn timestamp(el: &Element, format: TimestampFormat) -> Result<DateTime, XmlError> {
    let text = el.text.trim();
    parse_timestamp(text, format)
        .or_else(|e| {
            let zoneless = format == TimestampFormat::DateTime
                && text.contains('T')
                && !text.ends_with(['Z', 'z'])
                && !text
                    .rsplit_once('T')
                    .is_some_and(|(_, t)| t.contains(['+', '-']));
            if zoneless {
                parse_timestamp(&format!("{text}Z"), format)
            } else {
                Err(e)
            }
        })
        .map_err(|e| invalid(&el.name, e))
}

/// A scalar from an attribute value.
pub fn attribute<T: TextValue>(value: &str, name: &str) -> Result<T, XmlError> {
    T::parse_text(value).map_err(|e| invalid(name, e))
}

/// Parses a body whose root must be `root`; an absent or empty body is an empty root.
pub fn body_root(body: Option<&[u8]>, root: &str) -> Result<Element, XmlError> {
    match body {
        Some(b) if !b.iter().all(u8::is_ascii_whitespace) => {
            let el = parse_document(b, &XmlLimits::default())?;
            if el.name != root {
                return Err(XmlError::UnexpectedRoot {
                    expected: root.to_owned(),
                    found: el.name,
                });
            }
            Ok(el)
        }
        _ => Ok(Element {
            name: root.to_owned(),
            ..Element::default()
        }),
    }
}

/// Parses a backend response body, whatever its root element is called; an absent or empty body
/// is an empty `root`.
///
/// Outputs are read by content, not by root name: S3-compatible stores differ there (moto
/// answers `CompleteMultipartUploadResponse` and `ListPartsResponse` where S3 says `…Result`),
/// and the gateway writes the name the model gives when it re-serializes. Client request bodies
/// keep the strict check of [`body_root`], as S3 answers them with `MalformedXML`.
///
/// One root is refused: `<Error>`, which S3 sends inside a `200 OK` when a long request
/// (CompleteMultipartUpload, CopyObject) fails after the status line went out. Reading it as an
/// output would turn a failure into a success.
pub fn output_root(body: Option<&[u8]>, root: &str) -> Result<Element, XmlError> {
    match body {
        Some(b) if !b.iter().all(u8::is_ascii_whitespace) => {
            let el = parse_document(b, &XmlLimits::default())?;
            if el.name == ERROR_ROOT {
                return Err(XmlError::UnexpectedRoot {
                    expected: root.to_owned(),
                    found: el.name,
                });
            }
            Ok(el)
        }
        _ => Ok(Element {
            name: root.to_owned(),
            ..Element::default()
        }),
    }
}

/// Reads an optional structure payload of a backend response, whatever its root element is
/// called except `<Error>` (see [`output_root`]): `None` for an absent or empty body.
pub fn read_output_payload<T: XmlRead>(
    body: Option<&[u8]>,
    root: &str,
) -> Result<Option<T>, XmlError> {
    match body {
        Some(b) if !b.iter().all(u8::is_ascii_whitespace) => {
            T::read_xml(&output_root(Some(b), root)?).map(Some)
        }
        _ => Ok(None),
    }
}

/// The root of S3's error document.
const ERROR_ROOT: &str = "Error";

/// Reads an optional structure payload: `None` for an absent or empty body.
pub fn read_payload<T: XmlRead>(body: Option<&[u8]>, root: &str) -> Result<Option<T>, XmlError> {
    match body {
        Some(b) if !b.iter().all(u8::is_ascii_whitespace) => read_document(b, root).map(Some),
        _ => Ok(None),
    }
}

/// Reads a whole document whose root must be `root`.
pub fn read_document<T: XmlRead>(body: &[u8], root: &str) -> Result<T, XmlError> {
    let el = parse_document(body, &XmlLimits::default())?;
    if el.name != root {
        return Err(XmlError::UnexpectedRoot {
            expected: root.to_owned(),
            found: el.name,
        });
    }
    T::read_xml(&el)
}

/// Writes a whole document: the XML declaration, then `value` as `<root xmlns=…>`.
pub fn write_document<T: XmlWrite + ?Sized>(
    value: &T,
    root: &str,
    namespace: Option<&str>,
) -> Vec<u8> {
    let mut w = XmlWriter::with_declaration();
    match namespace {
        Some(ns) => value.write_xml(&mut w, root, &[("xmlns", ns)]),
        None => value.write_xml(&mut w, root, &[]),
    }
    w.finish()
}

/// Writes a document whose root element holds only text (S3's unwrapped outputs).
pub fn write_text_document(root: &str, namespace: &str, text: &str) -> Vec<u8> {
    let mut w = XmlWriter::with_declaration();
    if namespace.is_empty() {
        w.start(root, &[]);
    } else {
        w.start(root, &[("xmlns", namespace)]);
    }
    w.text(text);
    w.end(root);
    w.finish()
}

/// Formats a timestamp for XML (kept here so generated code has one import path).
pub fn format_xml_timestamp(t: &DateTime, format: TimestampFormat) -> String {
    format_timestamp(t, format)
}
