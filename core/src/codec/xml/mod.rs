//! XML for restXml bodies: an infallible writer ([`XmlWriter`]) and a small, bounded DOM reader
//! ([`parse_document`] → [`Element`]) on quick-xml, with the error type generated
//! deserializers report through ([`XmlError`]).

mod reader;
mod writer;

#[cfg(test)]
mod tests;

pub use reader::parse_document;
pub use writer::XmlWriter;

/// One parsed element. Names are local names (any namespace prefix stripped).
///
/// `Clone`, `PartialEq`, `Debug` and dropping recurse over the tree, so their stack use grows
/// with nesting depth: [`XmlLimits::max_depth`] bounds it for parsed documents.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Element {
    /// Local name: any namespace prefix stripped (`s3:Key` → `Key`).
    pub name: String,
    /// Local names and unescaped values in document order; `xmlns` and `xmlns:*`
    /// declarations are not included.
    pub attributes: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// All character data and CDATA directly inside this element (not inside children),
    /// concatenated, unescaped, whitespace preserved exactly.
    pub text: String,
}

impl Element {
    /// The first child with local name `local_name`.
    pub fn child(&self, local_name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == local_name)
    }

    /// All children with local name `local_name`, in document order.
    pub fn children_named<'a>(
        &'a self,
        local_name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == local_name)
    }

    /// The value of the attribute with local name `local_name`.
    pub fn attribute(&self, local_name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(name, _)| name == local_name)
            .map(|(_, value)| value.as_str())
    }
}

/// Bounds on what [`parse_document`] accepts, checked while parsing.
#[derive(Clone, Copy, Debug)]
pub struct XmlLimits {
    /// Deepest allowed nesting; the root element is at depth 1.
    pub max_depth: usize,
    /// Most elements allowed in the whole document, root included.
    pub max_elements: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_elements: 200_000,
        }
    }
}

/// Why an XML body could not be read (by [`parse_document`] or by generated deserializers).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// The body is empty or whitespace only.
    #[error("the body is empty")]
    Empty,
    /// Not well-formed (syntax, UTF-8, unknown entity, DOCTYPE, content outside the root...).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Nesting deeper than [`XmlLimits::max_depth`].
    #[error("XML nesting deeper than {0}")]
    TooDeep(usize),
    /// More elements than [`XmlLimits::max_elements`].
    #[error("more than {0} XML elements")]
    TooManyElements(usize),
    /// The root element is not the one the operation expects.
    #[error("expected root element <{expected}>, found <{found}>")]
    UnexpectedRoot {
        /// The expected local name.
        expected: String,
        /// The local name found.
        found: String,
    },
    /// A required member element is absent.
    #[error("missing required element <{0}>")]
    MissingElement(String),
    /// An element's text is not a valid value for its member.
    #[error("invalid value for <{element}>: {message}")]
    InvalidValue {
        /// The element's local name.
        element: String,
        /// What is wrong with the value.
        message: String,
    },
}
