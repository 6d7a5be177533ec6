//! Reader tests, and properties tying the writer and the reader together.

use super::*;
use crate::codec::arb;
use proptest::prelude::*;

fn parse(xml: &str) -> Result<Element, XmlError> {
    parse_document(xml.as_bytes(), &XmlLimits::default())
}

fn ok(xml: &str) -> Element {
    parse(xml).unwrap_or_else(|e| panic!("{xml:?} rejected: {e}"))
}

fn is_malformed(result: Result<Element, XmlError>) -> bool {
    matches!(result, Err(XmlError::Malformed(_)))
}

fn leaf(name: &str, text: &str) -> Element {
    Element {
        name: name.to_owned(),
        text: text.to_owned(),
        ..Element::default()
    }
}

#[test]
fn parses_a_typical_request_body() {
    let root = ok(r#"<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Object><Key>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;</Key><VersionId>v1</VersionId></Object>
  <Object><Key>second</Key></Object>
  <Quiet>true</Quiet>
</Delete>"#);
    assert_eq!(root.name, "Delete");
    assert!(root.attributes.is_empty());
    let objects: Vec<_> = root.children_named("Object").collect();
    assert_eq!(objects.len(), 2);
    assert_eq!(
        objects[0].child("Key").map(|k| k.text.as_str()),
        Some("a&b <c> \"d\" 'e'")
    );
    assert_eq!(objects[0].child("VersionId").unwrap().text, "v1");
    assert_eq!(objects[1].child("Key").unwrap().text, "second");
    assert_eq!(root.child("Quiet").unwrap().text, "true");
    assert!(root.child("Missing").is_none());
    assert_eq!(root.children_named("Missing").count(), 0);
    // Whitespace between children is the root's own text.
    assert_eq!(root.text, "\n  \n  \n  \n");
}

#[test]
fn strips_prefixes_and_namespace_declarations() {
    let root = ok(
        r#"<s3:Grant xmlns:s3="urn:s3" xmlns="urn:d" xmlns:xsi="urn:xsi"><s3:Grantee xsi:type="CanonicalUser" plain="p"><ID>id</ID></s3:Grantee></s3:Grant>"#,
    );
    assert_eq!(root.name, "Grant");
    assert!(root.attributes.is_empty());
    let grantee = root.child("Grantee").unwrap();
    assert_eq!(
        grantee.attributes,
        vec![
            ("type".to_owned(), "CanonicalUser".to_owned()),
            ("plain".to_owned(), "p".to_owned())
        ]
    );
    assert_eq!(grantee.attribute("type"), Some("CanonicalUser"));
    assert_eq!(grantee.attribute("xsi:type"), None);
    assert_eq!(grantee.attribute("xmlns"), None);
    assert_eq!(grantee.child("ID").unwrap().text, "id");
}

#[test]
fn keeps_text_exactly() {
    let root = ok(
        "<K> a\tb\r\n c&#13;&#xD;&#233;&#x1F600;<![CDATA[<raw & ]]>]]><!-- c -->x<?pi data?>y </K>",
    );
    assert_eq!(root.text, " a\tb\r\n c\r\ré😀<raw & ]]>xy ");
    assert_eq!(ok("<a></a>"), leaf("a", ""));
    assert_eq!(ok("<a/>"), leaf("a", ""));
    assert_eq!(ok("<a>  </a>").text, "  ");
}

#[test]
fn unescapes_attribute_values() {
    let root = ok(r#"<a v="&lt;&amp;&gt;&quot;&apos;&#65;&#x42;" w='single "q"'/>"#);
    assert_eq!(root.attribute("v"), Some("<&>\"'AB"));
    assert_eq!(root.attribute("w"), Some("single \"q\""));
}

#[test]
fn ignores_prolog_and_epilog_decoration() {
    let expected = leaf("a", "t");
    for xml in [
        "<a>t</a>",
        "\u{FEFF}<a>t</a>",
        "<?xml version=\"1.0\"?>\n<!-- hi -->\n<a>t</a>\n<!-- bye -->\n",
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><?pi x?><a>t</a><?pi y?>",
        "\n\t <a>t</a> \r\n",
    ] {
        assert_eq!(ok(xml), expected, "{xml:?}");
    }
}

#[test]
fn empty_bodies() {
    for xml in ["", " ", "\r\n\t ", "\u{FEFF}", "\u{FEFF}  \n"] {
        assert_eq!(parse(xml), Err(XmlError::Empty), "{xml:?}");
    }
}

#[test]
fn rejects_malformed_documents() {
    for xml in [
        "<a>",
        "<a><b></a>",
        "<a></b>",
        "</a>",
        "<a></a></a>",
        "<a/><b/>",
        "<a/>trailing",
        "text<a/>",
        "<a/>&amp;",
        "&amp;<a/>",
        "<![CDATA[x]]><a/>",
        "<a>&unknown;</a>",
        "<a>&#0;</a>",
        "<a>&#xD800;</a>",
        "<a>&#x110000;</a>",
        "<a>&#-1;</a>",
        "<a>a & b</a>",
        "<a v=\"&nbsp;\"/>",
        "<a v=\"x\" v=\"y\"/>",
        "<a v/>",
        "<a <b/>",
        "<!DOCTYPE a><a/>",
        "<!DOCTYPE a [<!ENTITY e \"boom\">]><a>&e;</a>",
        "<a/><!DOCTYPE a>",
        "<a><?xml version=\"1.0\"?></a>",
        "<!-- never closed",
        "<a><!-- -- --></a>",
        "<",
        ">",
        "just text",
        "<!-- only a comment -->",
        "<?xml version=\"1.0\"?>",
    ] {
        let result = parse(xml);
        assert!(is_malformed(result.clone()), "{xml:?} gave {result:?}");
    }
}

#[test]
fn rejects_invalid_utf8() {
    let result = parse_document(b"<a>\xff</a>", &XmlLimits::default());
    assert_eq!(
        result,
        Err(XmlError::Malformed("invalid UTF-8 at byte 3".to_owned()))
    );
}

#[test]
fn depth_limit_is_exact() {
    let limits = XmlLimits {
        max_depth: 3,
        max_elements: 100,
    };
    assert!(parse_document(b"<a><b><c/></b></a>", &limits).is_ok());
    assert!(parse_document(b"<a><b><c></c></b></a>", &limits).is_ok());
    assert_eq!(
        parse_document(b"<a><b><c><d/></c></b></a>", &limits),
        Err(XmlError::TooDeep(3))
    );
    assert_eq!(
        parse_document(b"<a><b><c><d></d></c></b></a>", &limits),
        Err(XmlError::TooDeep(3))
    );
}

#[test]
fn element_limit_is_exact() {
    let limits = XmlLimits {
        max_depth: 32,
        max_elements: 3,
    };
    assert!(parse_document(b"<a><b/><c/></a>", &limits).is_ok());
    assert_eq!(
        parse_document(b"<a><b/><c/><d/></a>", &limits),
        Err(XmlError::TooManyElements(3))
    );
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let deep = "<a>".repeat(200_000);
    assert_eq!(
        parse_document(deep.as_bytes(), &XmlLimits::default()),
        Err(XmlError::TooDeep(32))
    );
    // With no practical limit the parser still works iteratively (the document is unclosed,
    // so no deep tree is ever built or dropped).
    let unlimited = XmlLimits {
        max_depth: usize::MAX,
        max_elements: usize::MAX,
    };
    assert!(is_malformed(parse_document(deep.as_bytes(), &unlimited)));
}

#[test]
fn error_messages() {
    assert_eq!(XmlError::Empty.to_string(), "the body is empty");
    assert_eq!(
        XmlError::TooDeep(32).to_string(),
        "XML nesting deeper than 32"
    );
    assert_eq!(
        XmlError::TooManyElements(5).to_string(),
        "more than 5 XML elements"
    );
    assert_eq!(
        XmlError::UnexpectedRoot {
            expected: "Delete".into(),
            found: "Tagging".into()
        }
        .to_string(),
        "expected root element <Delete>, found <Tagging>"
    );
    assert_eq!(
        XmlError::MissingElement("Key".into()).to_string(),
        "missing required element <Key>"
    );
    assert_eq!(
        XmlError::InvalidValue {
            element: "Days".into(),
            message: "not an integer".into()
        }
        .to_string(),
        "invalid value for <Days>: not an integer"
    );
    let Err(XmlError::Malformed(message)) = parse("<a>&bogus;</a>") else {
        panic!("expected Malformed");
    };
    assert!(message.contains("&bogus;"), "{message}");
}

#[test]
fn writer_output_parses_back() {
    let mut w = XmlWriter::with_declaration();
    w.start("Tagging", &[("xmlns", "urn:x"), ("a", "1&2\r\n\t\"'")]);
    w.start("TagSet", &[]);
    w.text_element("Key", "k\r\n<&>");
    w.empty("Empty", &[]);
    w.end("TagSet");
    w.end("Tagging");
    let root = parse_document(&w.finish(), &XmlLimits::default()).unwrap();
    assert_eq!(root.name, "Tagging");
    assert_eq!(root.attributes, vec![("a".into(), "1&2\r\n\t\"'".into())]);
    let tag_set = root.child("TagSet").unwrap();
    assert_eq!(tag_set.child("Key").unwrap().text, "k\r\n<&>");
    assert_eq!(tag_set.child("Empty"), Some(&leaf("Empty", "")));
}

/// Writes `element` (its text split around its children, to exercise concatenation).
fn write_element(w: &mut XmlWriter, element: &Element) {
    let attrs: Vec<(&str, &str)> = element
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if element.children.is_empty() && element.text.is_empty() {
        w.empty(&element.name, &attrs);
        return;
    }
    w.start(&element.name, &attrs);
    let half = element.text.chars().count() / 2;
    let split = element
        .text
        .char_indices()
        .nth(half)
        .map_or(element.text.len(), |(i, _)| i);
    w.text(&element.text[..split]);
    for child in &element.children {
        write_element(w, child);
    }
    w.text(&element.text[split..]);
    w.end(&element.name);
}

fn element_tree() -> impl Strategy<Value = Element> {
    let name = "[A-Za-z_][A-Za-z0-9_.-]{0,8}";
    let attributes =
        proptest::collection::btree_map("[a-w_][a-z0-9_.-]{0,6}", arb::xml_string(), 0..3)
            .prop_map(|map| map.into_iter().collect::<Vec<_>>());
    let leaf =
        (name, attributes.clone(), arb::xml_string()).prop_map(|(name, attributes, text)| {
            Element {
                name,
                attributes,
                children: Vec::new(),
                text,
            }
        });
    leaf.prop_recursive(5, 40, 4, move |inner| {
        (
            name,
            attributes.clone(),
            proptest::collection::vec(inner, 0..4),
            arb::xml_string(),
        )
            .prop_map(|(name, attributes, children, text)| Element {
                name,
                attributes,
                children,
                text,
            })
    })
}

fn markup_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        3 => proptest::sample::select(&[
            "<", ">", "</", "/>", "<a", "<a>", "</a>", "<b/>", "a", " ", "=", "\"", "'", "&",
            "&amp;", "&#", "&#x41;", ";", "<![CDATA[", "]]>", "<!--", "-->", "<?xml version=\"1.0\"?>",
            "<?", "?>", "<!DOCTYPE", "[", "]", "x:y", "xmlns", "xmlns:p=\"u\"", "\r\n", "\u{FEFF}",
        ][..]).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    proptest::collection::vec(token, 0..24).prop_map(|tokens| tokens.concat())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_document(&bytes, &XmlLimits::default());
    }

    #[test]
    fn markup_soup_never_panics(soup in markup_soup()) {
        let limits = XmlLimits { max_depth: 4, max_elements: 8 };
        let _ = parse_document(soup.as_bytes(), &limits);
        let _ = parse_document(soup.as_bytes(), &XmlLimits::default());
    }

    #[test]
    fn writer_output_always_parses_back(tree in element_tree(), declaration in any::<bool>()) {
        let mut w = if declaration { XmlWriter::with_declaration() } else { XmlWriter::new() };
        write_element(&mut w, &tree);
        let bytes = w.finish();
        let parsed = parse_document(&bytes, &XmlLimits::default());
        prop_assert_eq!(parsed, Ok(tree), "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn text_element_round_trips_any_xml_string(text in arb::xml_string(), attr in arb::xml_string()) {
        let mut w = XmlWriter::new();
        w.start("R", &[("v", &attr)]);
        w.text_element("T", &text);
        w.end("R");
        let root = parse_document(&w.finish(), &XmlLimits::default()).unwrap();
        prop_assert_eq!(root.attribute("v"), Some(attr.as_str()));
        prop_assert_eq!(&root.child("T").unwrap().text, &text);
    }
}
