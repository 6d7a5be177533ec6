//! [`parse_document`]: bytes → [`Element`] tree, iteratively (an explicit stack, never
//! recursion on the input) with depth and element-count limits checked as it goes.

use super::{Element, XmlError, XmlLimits};
use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use std::borrow::Cow;
use std::fmt::Display;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses one XML document and returns its root element.
///
/// Accepted around the root: an XML declaration, comments, processing instructions and
/// whitespace (all ignored), and a leading UTF-8 byte-order mark. Rejected as
/// [`XmlError::Malformed`]: syntax errors, invalid UTF-8, entities other than the five
/// predefined ones and character references, any DOCTYPE, mismatched or unclosed tags, and
/// anything else outside the root.
pub fn parse_document(bytes: &[u8], limits: &XmlLimits) -> Result<Element, XmlError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if bytes.iter().all(|b| is_xml_whitespace(*b)) {
        return Err(XmlError::Empty);
    }
    let source = std::str::from_utf8(bytes)
        .map_err(|e| XmlError::Malformed(format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;

    let mut reader = Reader::from_str(source);
    let config = reader.config_mut();
    config.trim_text(false);
    config.expand_empty_elements = false;
    config.check_end_names = true;
    config.allow_unmatched_ends = false;
    config.allow_dangling_amp = false;
    config.check_comments = true;

    let mut tree = TreeBuilder::new(limits);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(e, reader.error_position()))?;
        let at = reader.buffer_position();
        match event {
            Event::Start(start) => {
                let element = new_element(&start, &reader, at)?;
                tree.open(element)?;
            }
            Event::Empty(start) => {
                let element = new_element(&start, &reader, at)?;
                tree.open(element)?;
                tree.close(at)?;
            }
            Event::End(_) => tree.close(at)?,
            Event::Text(text) => {
                let text = text.decode().map_err(|e| malformed(e, at))?;
                tree.text(&text, at)?;
            }
            Event::CData(cdata) => {
                let text = cdata.decode().map_err(|e| malformed(e, at))?;
                tree.character_data(&text, at)?;
            }
            Event::GeneralRef(reference) => {
                let text = resolve_reference(&reference, at)?;
                tree.character_data(&text, at)?;
            }
            Event::Decl(_) => {
                if tree.started() {
                    return Err(malformed(
                        "XML declaration after the root element started",
                        at,
                    ));
                }
            }
            Event::DocType(_) => return Err(malformed("DOCTYPE is not allowed", at)),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => return tree.finish(at),
        }
    }
}

/// Builds the tree from a flat event stream. `stack` holds the open elements, innermost last.
struct TreeBuilder<'l> {
    limits: &'l XmlLimits,
    stack: Vec<Element>,
    root: Option<Element>,
    elements: usize,
}

impl<'l> TreeBuilder<'l> {
    fn new(limits: &'l XmlLimits) -> Self {
        Self {
            limits,
            stack: Vec::new(),
            root: None,
            elements: 0,
        }
    }

    /// Whether the root element has been opened.
    fn started(&self) -> bool {
        !self.stack.is_empty() || self.root.is_some()
    }

    fn open(&mut self, element: Element) -> Result<(), XmlError> {
        if self.root.is_some() {
            return Err(XmlError::Malformed(format!(
                "element <{}> after the root element",
                element.name
            )));
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements(self.limits.max_elements));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep(self.limits.max_depth));
        }
        self.stack.push(element);
        Ok(())
    }

    fn close(&mut self, at: u64) -> Result<(), XmlError> {
        let element = self
            .stack
            .pop()
            .ok_or_else(|| malformed("end tag without a start tag", at))?;
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(element),
            None => self.root = Some(element),
        }
        Ok(())
    }

    /// Character data from a text event: whitespace is fine outside the root, nothing else.
    fn text(&mut self, text: &str, at: u64) -> Result<(), XmlError> {
        match self.stack.last_mut() {
            Some(current) => current.text.push_str(text),
            None if text.bytes().all(is_xml_whitespace) => {}
            None => return Err(malformed("text outside the root element", at)),
        }
        Ok(())
    }

    /// CDATA or a reference: only allowed inside the root.
    fn character_data(&mut self, text: &str, at: u64) -> Result<(), XmlError> {
        match self.stack.last_mut() {
            Some(current) => {
                current.text.push_str(text);
                Ok(())
            }
            None => Err(malformed("character data outside the root element", at)),
        }
    }

    fn finish(mut self, at: u64) -> Result<Element, XmlError> {
        if let Some(open) = self.stack.pop() {
            return Err(malformed(format!("unclosed element <{}>", open.name), at));
        }
        self.root.ok_or_else(|| malformed("no root element", at))
    }
}

/// An element with its local name and attributes (namespace declarations dropped).
fn new_element(
    start: &BytesStart<'_>,
    reader: &Reader<&[u8]>,
    at: u64,
) -> Result<Element, XmlError> {
    let name = local_str(start.local_name().into_inner(), at)?;
    if name.is_empty() {
        return Err(malformed("element with an empty name", at));
    }
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| malformed(e, at))?;
        if attribute.key.as_namespace_binding().is_some() {
            continue;
        }
        let key = local_str(attribute.key.local_name().into_inner(), at)?;
        let value = attribute
            .decode_and_unescape_value_with(reader.decoder(), predefined_entity)
            .map_err(|e| malformed(e, at))?;
        attributes.push((key.to_owned(), value.into_owned()));
    }
    Ok(Element {
        name: name.to_owned(),
        attributes,
        ..Element::default()
    })
}

fn local_str(bytes: &[u8], at: u64) -> Result<&str, XmlError> {
    std::str::from_utf8(bytes).map_err(|_| malformed("name is not valid UTF-8", at))
}

/// The replacement text of `&name;` or `&#N;` / `&#xN;` in character data.
fn resolve_reference(reference: &BytesRef<'_>, at: u64) -> Result<Cow<'static, str>, XmlError> {
    if let Some(c) = reference.resolve_char_ref().map_err(|e| malformed(e, at))? {
        return Ok(Cow::Owned(c.to_string()));
    }
    let name = reference.decode().map_err(|e| malformed(e, at))?;
    predefined_entity(&name)
        .map(Cow::Borrowed)
        .ok_or_else(|| malformed(format!("unknown entity &{name};"), at))
}

/// The five entities XML predefines; no others (no DTDs).
fn predefined_entity(name: &str) -> Option<&'static str> {
    match name {
        "lt" => Some("<"),
        "gt" => Some(">"),
        "amp" => Some("&"),
        "apos" => Some("'"),
        "quot" => Some("\""),
        _ => None,
    }
}

fn is_xml_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn malformed(cause: impl Display, at: u64) -> XmlError {
    XmlError::Malformed(format!("{cause} (at byte {at})"))
}
