//! Text forms of Smithy scalars: the one spelling of a string, boolean, integer, float, blob or
//! timestamp that restXml / awsQuery use in XML bodies, headers, query strings and URI labels.

mod timestamp;

pub use aws_smithy_types::{Blob, DateTime};
pub use timestamp::{TimestampFormat, format_timestamp, parse_timestamp};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The longest excerpt of a rejected value kept in a [`ScalarError`], in characters.
const MAX_ERROR_VALUE_CHARS: usize = 64;

/// A text value that is not a valid spelling of the expected scalar.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("invalid {expected}: {value:?}")]
pub struct ScalarError {
    /// What was expected, e.g. `"boolean"` or `"timestamp (date-time)"`.
    pub expected: &'static str,
    /// The rejected text, truncated to at most 64 characters.
    pub value: String,
}

impl ScalarError {
    /// Builds an error, keeping at most the first 64 characters of `value`.
    pub fn new(expected: &'static str, value: &str) -> Self {
        Self {
            expected,
            value: value.chars().take(MAX_ERROR_VALUE_CHARS).collect(),
        }
    }
}

/// Text form used in XML, headers, query strings and labels.
pub trait TextValue: Sized {
    /// Parses the text form; never panics.
    fn parse_text(s: &str) -> Result<Self, ScalarError>;
    /// Writes the text form; `parse_text(&v.to_text())` gives `v` back (floats: same bits or
    /// both NaN).
    fn to_text(&self) -> String;
}

impl TextValue for String {
    fn parse_text(s: &str) -> Result<Self, ScalarError> {
        Ok(s.to_owned())
    }

    fn to_text(&self) -> String {
        self.clone()
    }
}

impl TextValue for bool {
    fn parse_text(s: &str) -> Result<Self, ScalarError> {
        match s {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ScalarError::new("boolean", s)),
        }
    }

    fn to_text(&self) -> String {
        if *self { "true" } else { "false" }.to_owned()
    }
}

macro_rules! integer_text_value {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl TextValue for $ty {
            /// Plain decimal with an optional leading `-`; a leading `+`, whitespace or
            /// anything else is rejected.
            fn parse_text(s: &str) -> Result<Self, ScalarError> {
                if s.starts_with('+') {
                    return Err(ScalarError::new($expected, s));
                }
                s.parse().map_err(|_| ScalarError::new($expected, s))
            }

            fn to_text(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

integer_text_value!(i8 => "byte", i16 => "short", i32 => "integer", i64 => "long");

macro_rules! float_text_value {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl TextValue for $ty {
            /// Smithy's `NaN`, `Infinity` and `-Infinity`, else anything Rust's float parser
            /// takes (plain or exponent notation).
            fn parse_text(s: &str) -> Result<Self, ScalarError> {
                match s {
                    "NaN" => Ok(<$ty>::NAN),
                    "Infinity" => Ok(<$ty>::INFINITY),
                    "-Infinity" => Ok(<$ty>::NEG_INFINITY),
                    _ => s.parse().map_err(|_| ScalarError::new($expected, s)),
                }
            }

            /// Shortest text that parses back to the same bits: plain decimal for ordinary
            /// magnitudes, exponent form (`1e300`) for huge or tiny ones.
            fn to_text(&self) -> String {
                let v = *self;
                if v.is_nan() {
                    "NaN".to_owned()
                } else if v.is_infinite() {
                    if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
                } else {
                    let magnitude = v.abs();
                    if magnitude != 0.0 && !(1e-5..1e16).contains(&magnitude) {
                        format!("{v:e}")
                    } else {
                        v.to_string()
                    }
                }
            }
        }
    )*};
}

float_text_value!(f32 => "float", f64 => "double");

impl TextValue for Blob {
    /// Standard base64 alphabet with padding, as Smithy specifies for blobs in text.
    fn parse_text(s: &str) -> Result<Self, ScalarError> {
        STANDARD
            .decode(s)
            .map(Blob::new)
            .map_err(|_| ScalarError::new("base64 blob", s))
    }

    fn to_text(&self) -> String {
        STANDARD.encode(self.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strings_are_identity() {
        assert_eq!(String::parse_text(" a&b ").unwrap(), " a&b ");
        assert_eq!("x y".to_owned().to_text(), "x y");
    }

    #[test]
    fn booleans_are_exact() {
        assert_eq!(bool::parse_text("true"), Ok(true));
        assert_eq!(bool::parse_text("false"), Ok(false));
        for bad in ["True", "TRUE", "1", "", " true", "yes"] {
            let err = bool::parse_text(bad).unwrap_err();
            assert_eq!(err.expected, "boolean");
            assert_eq!(err.value, bad);
        }
        assert_eq!(true.to_text(), "true");
        assert_eq!(false.to_text(), "false");
    }

    #[test]
    fn integers_are_plain_decimal() {
        assert_eq!(i32::parse_text("-42"), Ok(-42));
        assert_eq!(i64::parse_text("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(i8::parse_text("-128"), Ok(i8::MIN));
        assert_eq!(i16::parse_text("0"), Ok(0));
        for bad in ["+1", "", "-", " 1", "1 ", "1.0", "0x10", "1e3", "128"] {
            assert!(i8::parse_text(bad).is_err(), "{bad:?} accepted");
        }
        assert!(i64::parse_text("9223372036854775808").is_err());
        assert_eq!(i64::MIN.to_text(), "-9223372036854775808");
        assert_eq!(
            i32::parse_text("x").unwrap_err().to_string(),
            "invalid integer: \"x\""
        );
    }

    #[test]
    fn floats_use_smithy_special_names() {
        assert!(f64::parse_text("NaN").unwrap().is_nan());
        assert_eq!(f64::parse_text("Infinity"), Ok(f64::INFINITY));
        assert_eq!(f32::parse_text("-Infinity"), Ok(f32::NEG_INFINITY));
        assert_eq!(f64::NAN.to_text(), "NaN");
        assert_eq!(f32::INFINITY.to_text(), "Infinity");
        assert_eq!(f64::NEG_INFINITY.to_text(), "-Infinity");
        assert_eq!(1.5f64.to_text(), "1.5");
        assert_eq!(2.0f32.to_text(), "2");
        assert_eq!(1e300f64.to_text(), "1e300");
        assert_eq!(f64::parse_text("1.25e2"), Ok(125.0));
        assert!(f64::parse_text("").is_err());
        assert!(f64::parse_text("1,5").is_err());
        assert!(f32::parse_text(" 1").is_err());
    }

    #[test]
    fn blobs_are_padded_standard_base64() {
        let blob = Blob::new(vec![0xfb, 0xff, 0x00]);
        assert_eq!(blob.to_text(), "+/8A");
        assert_eq!(Blob::parse_text("+/8A").unwrap(), blob);
        assert_eq!(Blob::new(b"a".to_vec()).to_text(), "YQ==");
        assert_eq!(Blob::parse_text("").unwrap(), Blob::new(Vec::new()));
        // URL-safe alphabet, missing padding and junk are rejected.
        for bad in ["-_8A", "YQ", "Y", "!!!!"] {
            assert!(Blob::parse_text(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn error_value_is_truncated_to_64_chars() {
        let long = "é".repeat(100);
        let err = i32::parse_text(&long).unwrap_err();
        assert_eq!(err.value.chars().count(), 64);
        assert!(long.starts_with(&err.value));
    }

    proptest! {
        #[test]
        fn f64_round_trips(v in any::<f64>()) {
            let back = f64::parse_text(&v.to_text()).unwrap();
            prop_assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()));
        }

        #[test]
        fn f32_round_trips(v in any::<f32>()) {
            let back = f32::parse_text(&v.to_text()).unwrap();
            prop_assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()));
        }

        #[test]
        fn i64_round_trips(v in any::<i64>()) {
            prop_assert_eq!(i64::parse_text(&v.to_text()), Ok(v));
        }

        #[test]
        fn i8_round_trips(v in any::<i8>()) {
            prop_assert_eq!(i8::parse_text(&v.to_text()), Ok(v));
        }

        #[test]
        fn blob_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let blob = Blob::new(bytes);
            prop_assert_eq!(Blob::parse_text(&blob.to_text()), Ok(blob));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = bool::parse_text(&s);
            let _ = i32::parse_text(&s);
            let _ = f64::parse_text(&s);
            let _ = Blob::parse_text(&s);
        }
    }
}
