//! The R2 store's side of S3's range and precondition rules: the rules themselves are the
//! core's ([`multistore_core::store::conditions`], shared with the native stores); this module
//! keeps a request's conditions owned (they outlive the request head) and turns them into R2's
//! options. R2 is also handed the conditions (`onlyIf`), so that it does not open a body it will
//! not send; the core's rules decide which S3 status a refused read gets.

use multistore_core::codec::scalar::DateTime;
use multistore_core::store::conditions;
pub use multistore_core::store::conditions::{RangeSpec, Verdict, parse_range};

use super::error::StoreResult;

/// The R2 `range` option of a byte range: `(offset, length)` or `suffix`, as numbers.
pub fn to_r2(range: RangeSpec) -> R2Range {
    match range {
        RangeSpec::From { first, last: None } => R2Range {
            offset: Some(first),
            length: None,
            suffix: None,
        },
        RangeSpec::From {
            first,
            last: Some(last),
        } => R2Range {
            offset: Some(first),
            length: Some(last - first + 1),
            suffix: None,
        },
        RangeSpec::Suffix(n) => R2Range {
            offset: None,
            length: None,
            suffix: Some(n),
        },
    }
}

/// R2's `range` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct R2Range {
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub suffix: Option<u64>,
}

/// The preconditions of a read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadConditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<DateTime>,
    pub if_unmodified_since: Option<DateTime>,
}

impl ReadConditions {
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none()
            && self.if_none_match.is_none()
            && self.if_modified_since.is_none()
            && self.if_unmodified_since.is_none()
    }

    /// Evaluates these conditions against an object (the core's rules).
    pub fn evaluate(&self, etag: &str, last_modified_ms: i64) -> Verdict {
        let borrowed = conditions::ReadConditions {
            if_match: self.if_match.as_deref(),
            if_none_match: self.if_none_match.as_deref(),
            if_modified_since: self.if_modified_since.as_ref(),
            if_unmodified_since: self.if_unmodified_since.as_ref(),
        };
        conditions::evaluate_read(borrowed, etag, last_modified_ms)
    }

    /// The conditions as request headers (R2 takes `onlyIf` as a `Headers` object and applies
    /// HTTP's rules, at whole seconds).
    pub fn to_headers(&self) -> Vec<(&'static str, String)> {
        use multistore_core::codec::scalar::{TimestampFormat, format_timestamp};
        let mut out = Vec::new();
        if let Some(v) = &self.if_match {
            out.push(("if-match", v.clone()));
        }
        if let Some(v) = &self.if_none_match {
            out.push(("if-none-match", v.clone()));
        }
        if let Some(t) = &self.if_modified_since {
            out.push((
                "if-modified-since",
                format_timestamp(t, TimestampFormat::HttpDate),
            ));
        }
        if let Some(t) = &self.if_unmodified_since {
            out.push((
                "if-unmodified-since",
                format_timestamp(t, TimestampFormat::HttpDate),
            ));
        }
        out
    }
}

/// The preconditions of a write (PutObject): `If-None-Match: *` and `If-Match: <etag>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteConditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

impl WriteConditions {
    /// Refuses what S3 refuses before looking at the object.
    ///
    /// # Errors
    /// `NotImplemented` for `If-None-Match` with anything but `*`.
    pub fn check_syntax(&self) -> StoreResult<()> {
        conditions::check_write_syntax(self.if_none_match.as_deref())
    }

    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// As headers for R2's `onlyIf`.
    pub fn to_headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.if_match {
            out.push(("if-match", v.clone()));
        }
        if let Some(v) = &self.if_none_match {
            out.push(("if-none-match", v.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_become_r2_options() {
        assert_eq!(
            to_r2(parse_range("bytes=2-5").unwrap()),
            R2Range {
                offset: Some(2),
                length: Some(4),
                suffix: None
            }
        );
        assert_eq!(
            to_r2(parse_range("bytes=7-").unwrap()),
            R2Range {
                offset: Some(7),
                length: None,
                suffix: None
            }
        );
        assert_eq!(
            to_r2(parse_range("bytes=-3").unwrap()),
            R2Range {
                offset: None,
                length: None,
                suffix: Some(3)
            }
        );
    }

    #[test]
    fn read_precedence() {
        let t = DateTime::from_secs(1000);
        let before = DateTime::from_secs(999);
        let c = |m: Option<&str>, n: Option<&str>, ms: Option<DateTime>, us: Option<DateTime>| {
            ReadConditions {
                if_match: m.map(str::to_owned),
                if_none_match: n.map(str::to_owned),
                if_modified_since: ms,
                if_unmodified_since: us,
            }
        };
        let e = "abc";
        let at = 1_000_500; // 1000.5 s: the same second as `t`
        assert_eq!(
            c(Some("\"abc\""), None, None, Some(before)).evaluate(e, at),
            Verdict::Proceed
        );
        assert_eq!(
            c(Some("xyz"), None, None, None).evaluate(e, at),
            Verdict::PreconditionFailed
        );
        assert_eq!(
            c(None, None, None, Some(before)).evaluate(e, at),
            Verdict::PreconditionFailed
        );
        assert_eq!(
            c(None, None, None, Some(t)).evaluate(e, at),
            Verdict::Proceed
        );
        assert_eq!(
            c(None, Some("\"abc\""), Some(before), None).evaluate(e, at),
            Verdict::NotModified
        );
        assert_eq!(
            c(None, Some("zzz"), Some(t), None).evaluate(e, at),
            Verdict::Proceed
        );
        assert_eq!(
            c(None, None, Some(t), None).evaluate(e, at),
            Verdict::NotModified
        );
        assert_eq!(
            c(None, None, Some(before), None).evaluate(e, at),
            Verdict::Proceed
        );
        assert_eq!(
            c(Some("nope"), Some("abc"), None, None).evaluate(e, at),
            Verdict::PreconditionFailed
        );
        assert_eq!(
            c(Some("*"), None, None, None).evaluate(e, at),
            Verdict::Proceed
        );
        assert!(c(None, None, None, None).is_empty());
    }

    #[test]
    fn conditions_become_headers_for_only_if() {
        let c = ReadConditions {
            if_match: Some("\"a\"".into()),
            if_modified_since: Some(DateTime::from_secs(0)),
            ..ReadConditions::default()
        };
        assert_eq!(
            c.to_headers(),
            [
                ("if-match", "\"a\"".to_owned()),
                (
                    "if-modified-since",
                    "Thu, 01 Jan 1970 00:00:00 GMT".to_owned()
                )
            ]
        );
    }

    #[test]
    fn write_conditions_take_only_a_wildcard_if_none_match() {
        let ok = WriteConditions {
            if_none_match: Some("*".into()),
            ..WriteConditions::default()
        };
        assert!(ok.check_syntax().is_ok());
        let bad = WriteConditions {
            if_none_match: Some("\"a\"".into()),
            ..WriteConditions::default()
        };
        assert_eq!(bad.check_syntax().unwrap_err().code, "NotImplemented");
    }
}
