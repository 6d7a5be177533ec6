//! proptest strategies for the values generated round-trip tests feed through the codecs:
//! strings that are valid where they will be written (XML text, headers, query strings,
//! object keys, bucket names), timestamps, blobs and integers. Sizes stay small.

use super::scalar::{Blob, DateTime};
use proptest::arbitrary::{Arbitrary, any};
use proptest::char::CharStrategy;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use std::borrow::Cow;
use std::ops::RangeInclusive;

/// Every character XML 1.0 allows in text (`Char` production).
const XML_CHAR_RANGES: &[RangeInclusive<char>] = &[
    '\t'..='\n',
    '\r'..='\r',
    ' '..='\u{D7FF}',
    '\u{E000}'..='\u{FFFD}',
    '\u{10000}'..='\u{10FFFF}',
];

/// Every character that is not a control character (`char::is_control`).
const NON_CONTROL_RANGES: &[RangeInclusive<char>] =
    &[' '..='~', '\u{A0}'..='\u{D7FF}', '\u{E000}'..='\u{10FFFF}'];

/// Characters XML writers must escape, plus whitespace that parsers like to mangle.
const XML_SPECIALS: &[char] = &['&', '<', '>', '"', '\'', '\r', '\n', '\t', ' '];

/// Characters with a meaning in URLs and forms.
const URL_SPECIALS: &[char] = &['&', '=', '+', '%', '/', '?', '#', ' ', ';', ',', '~', '*'];

/// Pieces that make object keys interesting for path, URL and XML handling.
const KEY_FRAGMENTS: &[&str] = &[
    "/", "//", "./..", "../", " ", "+", "%", "%2F", "?", "#", "~", "&", "=", "a",
];

/// Multi-byte samples: 2-, 3- and 4-byte UTF-8, a combining mark and U+FEFF (the BOM char).
const UNICODE_SAMPLES: &[char] = &['é', 'ß', '€', '日', '本', '😀', '\u{301}', '\u{FEFF}'];

fn xml_char() -> BoxedStrategy<char> {
    prop_oneof![
        3 => select(XML_SPECIALS),
        3 => proptest::char::range(' ', '~'),
        1 => select(UNICODE_SAMPLES),
        2 => proptest::char::ranges(Cow::Borrowed(XML_CHAR_RANGES)),
    ]
    .boxed()
}

fn string_of(chars: impl Strategy<Value = char> + 'static, max: usize) -> BoxedStrategy<String> {
    vec(chars, 0..=max)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

/// Any chars valid in XML 1.0 text: `\t \n \r`, spaces, `& < > " '` and multi-byte unicode;
/// may be empty.
pub fn xml_string() -> BoxedStrategy<String> {
    string_of(xml_char(), 16)
}

fn visible_ascii_word(exclude: &'static [u8]) -> BoxedStrategy<String> {
    let allowed: Vec<char> = (0x21u8..=0x7e)
        .filter(|b| !exclude.contains(b))
        .map(char::from)
        .collect();
    vec(select(allowed), 1..=6)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

fn words(exclude: &'static [u8]) -> BoxedStrategy<String> {
    vec(visible_ascii_word(exclude), 1..=3)
        .prop_map(|words| words.join(" "))
        .boxed()
}

/// Non-empty, visible ASCII (0x21-0x7E) plus inner single spaces; no leading/trailing
/// whitespace.
pub fn header_string() -> BoxedStrategy<String> {
    words(b"")
}

/// Like [`header_string`] but without `,` and `"`, so it can be an item of a header list.
pub fn header_list_item() -> BoxedStrategy<String> {
    words(b",\"")
}

/// Any unicode without control characters; may be empty and may contain `& = + % / ? #` and
/// spaces.
pub fn query_string() -> BoxedStrategy<String> {
    string_of(
        prop_oneof![
            3 => select(URL_SPECIALS),
            3 => proptest::char::range('!', '~'),
            1 => select(&UNICODE_SAMPLES[..6]),
            2 => proptest::char::ranges(Cow::Borrowed(NON_CONTROL_RANGES)),
        ],
        16,
    )
}

/// Non-empty, XML-safe unicode, often with `/`, `//`, `./..`, spaces, `+`, `%`, `?`, `#`, `~`.
pub fn object_key() -> BoxedStrategy<String> {
    let fragment = prop_oneof![
        2 => select(KEY_FRAGMENTS).prop_map(str::to_owned),
        3 => vec(xml_char(), 1..=5).prop_map(|chars| chars.into_iter().collect::<String>()),
        2 => "[a-z0-9]{1,6}",
    ];
    vec(fragment, 1..=4)
        .prop_map(|fragments| fragments.concat())
        .boxed()
}

/// 3-63 chars matching `[a-z0-9][a-z0-9.-]*[a-z0-9]` (mostly short).
pub fn bucket_name() -> BoxedStrategy<String> {
    let edge = || -> CharStrategy<'static> {
        proptest::char::ranges(Cow::Borrowed(&['a'..='z', '0'..='9']))
    };
    let inner_char = prop_oneof![
        4 => edge(),
        1 => select(&['.', '-'][..]),
    ];
    let inner_len = prop_oneof![4 => 1usize..=14, 1 => 1usize..=61];
    (edge(), inner_len, edge())
        .prop_flat_map(move |(first, len, last)| {
            vec(inner_char.clone(), len).prop_map(move |inner| {
                let mut name = String::with_capacity(len + 2);
                name.push(first);
                name.extend(inner);
                name.push(last);
                name
            })
        })
        .boxed()
}

/// `[a-z0-9][a-z0-9-]{0,15}`: a user-metadata key as it appears after `x-amz-meta-`.
pub fn metadata_key() -> BoxedStrategy<String> {
    "[a-z0-9][a-z0-9-]{0,15}".boxed()
}

/// Whole seconds from 1970-01-01T00:00:00Z up to (not including) 2100-01-01T00:00:00Z.
pub fn timestamp() -> BoxedStrategy<DateTime> {
    (0i64..4_102_444_800).prop_map(DateTime::from_secs).boxed()
}

/// Up to 32 arbitrary bytes.
pub fn blob() -> BoxedStrategy<Blob> {
    vec(any::<u8>(), 0..=32).prop_map(Blob::new).boxed()
}

/// `any::<T>()`, boxed (a convenience for generated code).
pub fn int<T>() -> BoxedStrategy<T>
where
    T: Arbitrary + 'static,
    T::Strategy: 'static,
{
    any::<T>().boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::TestRunner;

    fn is_xml_char(c: char) -> bool {
        XML_CHAR_RANGES.iter().any(|r| r.contains(&c))
    }

    /// Draws `n` values from `strategy` with a fixed seed.
    fn sample<T: std::fmt::Debug>(strategy: BoxedStrategy<T>, n: usize) -> Vec<T> {
        let mut runner = TestRunner::deterministic();
        (0..n)
            .filter_map(|_| strategy.new_tree(&mut runner).ok().map(|t| t.current()))
            .collect()
    }

    #[test]
    fn xml_string_is_valid_xml_text_and_covers_specials() {
        let all = sample(xml_string(), 500);
        assert!(
            all.iter()
                .all(|s| s.chars().all(is_xml_char) && s.chars().count() <= 16)
        );
        let joined: String = all.concat();
        for c in ['&', '<', '>', '"', '\'', '\r', '\n', '\t'] {
            assert!(joined.contains(c), "never generated {c:?}");
        }
        assert!(joined.chars().any(|c| c.len_utf8() > 1));
        assert!(all.iter().any(String::is_empty));
    }

    #[test]
    fn header_strings_are_trimmed_visible_ascii() {
        for (s, list_item) in sample(header_string(), 300)
            .into_iter()
            .map(|s| (s, false))
            .chain(
                sample(header_list_item(), 300)
                    .into_iter()
                    .map(|s| (s, true)),
            )
        {
            assert!(!s.is_empty());
            assert_eq!(s.trim(), s);
            assert!(!s.contains("  "));
            assert!(
                s.bytes().all(|b| b == b' ' || (0x21..=0x7e).contains(&b)),
                "{s:?}"
            );
            if list_item {
                assert!(!s.contains(',') && !s.contains('"'), "{s:?}");
            }
        }
    }

    #[test]
    fn query_strings_have_no_controls() {
        let all = sample(query_string(), 300);
        assert!(all.iter().all(|s| !s.chars().any(char::is_control)));
        let joined = all.concat();
        for c in ['&', '=', '+', '%', '/', '?', '#', ' '] {
            assert!(joined.contains(c), "never generated {c:?}");
        }
    }

    #[test]
    fn object_keys_are_non_empty_xml_safe_and_tricky() {
        let all = sample(object_key(), 300);
        assert!(
            all.iter()
                .all(|s| !s.is_empty() && s.chars().all(is_xml_char))
        );
        for needle in ["//", "./..", " ", "+", "%", "?", "#", "~"] {
            assert!(
                all.iter().any(|s| s.contains(needle)),
                "never generated {needle:?}"
            );
        }
    }

    #[test]
    fn bucket_names_match_the_pattern() {
        let all = sample(bucket_name(), 300);
        for name in &all {
            let b = name.as_bytes();
            assert!((3..=63).contains(&b.len()), "{name:?}");
            let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
            assert!(edge(&b[0]) && edge(&b[b.len() - 1]), "{name:?}");
            assert!(
                b.iter().all(|c| edge(c) || *c == b'.' || *c == b'-'),
                "{name:?}"
            );
        }
        assert!(all.iter().any(|n| n.len() > 16));
    }

    #[test]
    fn metadata_keys_match_the_pattern() {
        for key in sample(metadata_key(), 200) {
            let b = key.as_bytes();
            assert!((1..=16).contains(&b.len()));
            assert!(b[0].is_ascii_lowercase() || b[0].is_ascii_digit());
            assert!(
                b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            );
        }
    }

    #[test]
    fn timestamps_blobs_and_ints_stay_in_range() {
        for t in sample(timestamp(), 200) {
            assert!((0..4_102_444_800).contains(&t.secs()) && t.subsec_nanos() == 0);
        }
        assert!(sample(blob(), 200).iter().all(|b| b.as_ref().len() <= 32));
        let ints = sample(int::<i32>(), 50);
        assert!(ints.iter().any(|v| *v != ints[0]));
    }
}
