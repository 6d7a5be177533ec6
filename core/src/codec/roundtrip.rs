//! Round-trip property checks that the generated tests call: XML for every structure, HTTP
//! bindings for every operation input and output, and the STS query form and XML response.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::http::{BindingError, HttpRequest, OutboundRequest, ResponseParts};
use super::query_value::QueryParams;
use super::xml::XmlError;
use super::xml_value::{XmlRead, XmlWrite, read_document, write_document};

fn run<T: Debug>(
    strategy: impl Strategy<Value = T>,
    check: impl Fn(T) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    if let Err(e) = runner.run(&strategy, check) {
        panic!("{e}");
    }
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// Writing a value as XML and reading it back gives the same value.
pub fn xml<T: XmlWrite + XmlRead + PartialEq + Debug>(strategy: impl Strategy<Value = T>) {
    run(strategy, |value| {
        let doc = write_document(
            &value,
            "Root",
            Some("http://s3.amazonaws.com/doc/2006-03-01/"),
        );
        let back: T = read_document(&doc, "Root").map_err(fail)?;
        prop_assert_eq!(back, value, "document: {}", String::from_utf8_lossy(&doc));
        Ok(())
    });
}

/// An input written as a backend request reads back, as a client request, to the same input.
pub fn http_input<T: PartialEq + Debug>(
    strategy: impl Strategy<Value = T>,
    to_http: fn(&T) -> Result<OutboundRequest, BindingError>,
    from_http: fn(&HttpRequest<'_>, Option<&[u8]>) -> Result<T, BindingError>,
) {
    run(strategy, |value| {
        let r = to_http(&value).map_err(fail)?;
        let req = HttpRequest {
            method: &r.method,
            bucket: r.bucket.as_deref(),
            key: r.key.as_deref(),
            query: &r.query,
            headers: &r.headers,
        };
        let back = from_http(&req, r.body.as_deref()).map_err(fail)?;
        prop_assert_eq!(back, value, "request: {:?}", r);
        Ok(())
    });
}

/// An output written as a client response reads back, as a backend response, to the same output.
pub fn http_output<T: PartialEq + Debug>(
    strategy: impl Strategy<Value = T>,
    to_http: fn(&T) -> Result<ResponseParts, BindingError>,
    from_http: fn(&http::HeaderMap, Option<&[u8]>) -> Result<T, BindingError>,
) {
    run(strategy, |value| {
        let r = to_http(&value).map_err(fail)?;
        let back = from_http(&r.headers, r.body.as_deref()).map_err(fail)?;
        prop_assert_eq!(back, value, "response: {:?}", r);
        Ok(())
    });
}

/// An STS input written as a form body reads back to an input with the same form. (The form
/// cannot carry a list item whose members are all absent, so values are compared on the wire.)
pub fn query<T: Debug>(
    strategy: impl Strategy<Value = T>,
    to_query: fn(&T) -> Vec<(String, String)>,
    from_query: fn(&QueryParams) -> Result<T, BindingError>,
) {
    run(strategy, |value| {
        let form = super::query_form::encode_form(&to_query(&value));
        let params = QueryParams::new(super::query_form::parse_form(&form));
        let back = from_query(&params).map_err(fail)?;
        prop_assert_eq!(to_query(&back), to_query(&value), "form: {}", form);
        Ok(())
    });
}

/// An STS output written as its XML response reads back to the same output.
pub fn sts_xml<T: PartialEq + Debug>(
    strategy: impl Strategy<Value = T>,
    to_xml: fn(&T, &str) -> Vec<u8>,
    from_xml: fn(&[u8]) -> Result<T, XmlError>,
) {
    run(strategy, |value| {
        let doc = to_xml(&value, "req-1");
        let back = from_xml(&doc).map_err(fail)?;
        prop_assert_eq!(back, value, "document: {}", String::from_utf8_lossy(&doc));
        Ok(())
    });
}
