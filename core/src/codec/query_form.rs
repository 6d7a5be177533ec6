//! The `application/x-www-form-urlencoded` codec of the AWS query protocol (awsQuery, e.g.
//! STS `AssumeRoleWithWebIdentity`): parsing request bodies into ordered pairs and encoding
//! pairs the way the AWS SDKs do.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, utf8_percent_encode};

/// Everything except the RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~`.
const FORM_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Parses `a=1&b=x+y%2F` into ordered (name, value) pairs: '+' is a space, %XX is decoded,
/// invalid UTF-8 is replaced lossily; empty segments skipped; a name without '=' has value "".
/// A malformed escape (`%`, `%zz`) is kept literally.
pub fn parse_form(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

/// Encodes pairs the way AWS SDKs do: only unreserved characters (A-Z a-z 0-9 - _ . ~) stay
/// literal, everything else %XX (uppercase hex), space as %20.
pub fn encode_form(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(name, FORM_ENCODE_SET));
        out.push('=');
        out.extend(utf8_percent_encode(value, FORM_ENCODE_SET));
    }
    out
}

fn decode_component(raw: &str) -> String {
    let bytes: Vec<u8> = raw
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&bytes).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_plus_percent_and_order() {
        assert_eq!(
            parse_form("a=1&b=x+y%2F&a=2"),
            pairs(&[("a", "1"), ("b", "x y/"), ("a", "2")])
        );
        assert_eq!(parse_form("c%2B=%2B+"), pairs(&[("c+", "+ ")]));
    }

    #[test]
    fn parses_edge_cases() {
        assert_eq!(parse_form(""), pairs(&[]));
        assert_eq!(parse_form("&&a&&"), pairs(&[("a", "")]));
        assert_eq!(parse_form("a=&=b"), pairs(&[("a", ""), ("", "b")]));
        assert_eq!(parse_form("a=b=c"), pairs(&[("a", "b=c")]));
        assert_eq!(parse_form("a=%zz%2"), pairs(&[("a", "%zz%2")]));
        assert_eq!(parse_form("a=%FF%C3%A9"), pairs(&[("a", "\u{FFFD}é")]));
        assert_eq!(parse_form("%E2%82%AC=%e2%82%ac"), pairs(&[("€", "€")]));
    }

    #[test]
    fn encodes_like_the_sdks() {
        assert_eq!(
            encode_form(&pairs(&[
                ("Action", "AssumeRoleWithWebIdentity"),
                ("Version", "2011-06-15"),
                ("RoleSessionName", "a b+c/d~e_f.g-h*é"),
            ])),
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15\
             &RoleSessionName=a%20b%2Bc%2Fd~e_f.g-h%2A%C3%A9"
        );
        assert_eq!(encode_form(&[]), "");
        assert_eq!(encode_form(&pairs(&[("", "")])), "=");
    }

    proptest! {
        #[test]
        fn encode_then_parse_is_identity(
            list in proptest::collection::vec((any::<String>(), any::<String>()), 0..5)
        ) {
            prop_assert_eq!(parse_form(&encode_form(&list)), list);
        }

        #[test]
        fn encoded_output_is_only_unreserved_and_escapes(
            list in proptest::collection::vec((any::<String>(), any::<String>()), 0..3)
        ) {
            let encoded = encode_form(&list);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric()
                || b"-_.~%=&".contains(&b)));
        }

        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = parse_form(&s);
        }
    }
}
