//! [`XmlWriter`]: an infallible, non-indenting XML writer into a `Vec<u8>`.

/// Writes XML into memory. Element and attribute names are written as given (generated code
/// passes literal names); text and attribute values are escaped so that any `&str` survives a
/// parse unchanged, including `\r`.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: Vec<u8>,
}

impl XmlWriter {
    /// A writer with no XML declaration.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer whose output starts with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub fn with_declaration() -> Self {
        Self {
            out: br#"<?xml version="1.0" encoding="UTF-8"?>"#.to_vec(),
        }
    }

    /// `<name a="v" ...>`.
    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.open_tag(name, attrs);
        self.out.push(b'>');
    }

    /// `</name>`.
    pub fn end(&mut self, name: &str) {
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
    }

    /// `<name a="v" .../>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.open_tag(name, attrs);
        self.out.extend_from_slice(b"/>");
    }

    /// Escaped character data inside the current element.
    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text, false);
    }

    /// `<name>escaped text</name>`; empty text gives `<name></name>`.
    pub fn text_element(&mut self, name: &str, text: &str) {
        self.start(name, &[]);
        self.text(text);
        self.end(name);
    }

    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    fn open_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        for (key, value) in attrs {
            self.out.push(b' ');
            self.out.extend_from_slice(key.as_bytes());
            self.out.extend_from_slice(b"=\"");
            escape_into(&mut self.out, value, true);
            self.out.push(b'"');
        }
    }
}

/// Appends `s` escaped: `& < > " '` as the predefined entities and `\r` as `&#13;` (a parser
/// would otherwise normalize it to `\n`). In attribute values `\t` and `\n` are written as
/// `&#9;` and `&#10;` too, because XML attribute-value normalization turns them into spaces.
fn escape_into(out: &mut Vec<u8>, s: &str, attribute: bool) {
    let bytes = s.as_bytes();
    let mut copied = 0;
    for (i, &b) in bytes.iter().enumerate() {
        // Every byte matched here is ASCII, so `i` is always on a char boundary.
        let escaped: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&apos;",
            b'\r' => b"&#13;",
            b'\t' if attribute => b"&#9;",
            b'\n' if attribute => b"&#10;",
            _ => continue,
        };
        out.extend_from_slice(&bytes[copied..i]);
        out.extend_from_slice(escaped);
        copied = i + 1;
    }
    out.extend_from_slice(&bytes[copied..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut XmlWriter)) -> String {
        let mut w = XmlWriter::new();
        f(&mut w);
        String::from_utf8(w.finish()).unwrap()
    }

    #[test]
    fn writes_elements_without_indentation() {
        let out = written(|w| {
            w.start(
                "ListBucketResult",
                &[("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")],
            );
            w.text_element("Name", "bucket");
            w.text_element("Prefix", "");
            w.empty("Grantee", &[("xsi:type", "CanonicalUser"), ("a", "1")]);
            w.end("ListBucketResult");
        });
        assert_eq!(
            out,
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Name>bucket</Name><Prefix></Prefix>\
             <Grantee xsi:type=\"CanonicalUser\" a=\"1\"/></ListBucketResult>"
        );
    }

    #[test]
    fn declaration_only_when_asked() {
        assert_eq!(written(|_| {}), "");
        assert_eq!(XmlWriter::default().finish(), Vec::<u8>::new());
        let mut w = XmlWriter::with_declaration();
        w.empty("a", &[]);
        assert_eq!(
            String::from_utf8(w.finish()).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>"
        );
    }

    #[test]
    fn escapes_text() {
        let out = written(|w| w.text_element("Key", "a&b<c>d\"e'f\rg\nh\ti é😀"));
        assert_eq!(
            out,
            "<Key>a&amp;b&lt;c&gt;d&quot;e&apos;f&#13;g\nh\ti é😀</Key>"
        );
        assert_eq!(written(|w| w.text("]]>")), "]]&gt;");
    }

    #[test]
    fn escapes_attribute_values() {
        let out = written(|w| w.empty("a", &[("v", "<\"&'>\r\n\t")]));
        assert_eq!(out, "<a v=\"&lt;&quot;&amp;&apos;&gt;&#13;&#10;&#9;\"/>");
    }
}
