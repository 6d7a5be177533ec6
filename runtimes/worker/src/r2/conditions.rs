//! Byte ranges and preconditions as S3 evaluates them (the same rules as the native stores).
//!
//! Reads: `If-Match` then `If-Unmodified-Since` (either failing: 412), then `If-None-Match`
//! then `If-Modified-Since` (either failing: 304); a present `If-Match` makes
//! `If-Unmodified-Since` irrelevant and a present `If-None-Match` makes `If-Modified-Since`
//! irrelevant (RFC 7232 §6). Dates compare at whole seconds.
//!
//! R2 is also handed the conditions (`onlyIf`), so that it does not open a body it will not
//! send; these functions decide which S3 status a refused read gets.

use multistore_core::codec::scalar::DateTime;

use super::error::{StoreError, StoreResult};

/// A single byte range from a `Range` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// `bytes=a-b` or `bytes=a-`.
    From { first: u64, last: Option<u64> },
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

/// Parses a `Range` header. `None` when S3 would ignore it (not one well-formed byte range):
/// the whole object is returned then.
pub fn parse_range(value: &str) -> Option<RangeSpec> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| -> Option<u64> {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    match (a.is_empty(), b.is_empty()) {
        (true, true) => None,
        (true, false) => num(b).map(RangeSpec::Suffix),
        (false, true) => num(a).map(|first| RangeSpec::From { first, last: None }),
        (false, false) => {
            let (first, last) = (num(a)?, num(b)?);
            (last >= first).then_some(RangeSpec::From {
                first,
                last: Some(last),
            })
        }
    }
}

impl RangeSpec {
    /// The `(start, length)` of this range in an object of `size` bytes, or `InvalidRange`.
    ///
    /// # Errors
    /// `InvalidRange` when the range starts at or past the end, or is an empty suffix.
    pub fn resolve(self, size: u64) -> StoreResult<(u64, u64)> {
        let unsatisfiable = || StoreError::invalid_range("The requested range is not satisfiable");
        match self {
            Self::From { first, .. } if first >= size => Err(unsatisfiable()),
            Self::From { first, last } => {
                let end = last.map_or(size - 1, |l| l.min(size - 1));
                Ok((first, end - first + 1))
            }
            Self::Suffix(0) => Err(unsatisfiable()),
            Self::Suffix(_) if size == 0 => Err(unsatisfiable()),
            Self::Suffix(n) => {
                let len = n.min(size);
                Ok((size - len, len))
            }
        }
    }

    /// The R2 `range` option: `(offset, length)` or `suffix`, as numbers.
    pub fn to_r2(self) -> R2Range {
        match self {
            Self::From { first, last: None } => R2Range {
                offset: Some(first),
                length: None,
                suffix: None,
            },
            Self::From {
                first,
                last: Some(last),
            } => R2Range {
                offset: Some(first),
                length: Some(last - first + 1),
                suffix: None,
            },
            Self::Suffix(n) => R2Range {
                offset: None,
                length: None,
                suffix: Some(n),
            },
        }
    }
}

/// R2's `range` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct R2Range {
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub suffix: Option<u64>,
}

/// Whether an `If-Match` / `If-None-Match` list names `etag` (`*` names any object).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    let etag = etag.trim_matches('"');
    list.split(',').map(str::trim).any(|candidate| {
        let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
        candidate == "*" || candidate.trim_matches('"') == etag
    })
}

/// The preconditions of a read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadConditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<DateTime>,
    pub if_unmodified_since: Option<DateTime>,
}

/// What the preconditions of a read decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Proceed,
    /// 304, for GET and HEAD.
    NotModified,
    /// 412.
    PreconditionFailed,
}

impl ReadConditions {
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none()
            && self.if_none_match.is_none()
            && self.if_modified_since.is_none()
            && self.if_unmodified_since.is_none()
    }

    /// Evaluates these conditions against an object.
    pub fn evaluate(&self, etag: &str, last_modified_ms: i64) -> Verdict {
        let modified = last_modified_ms.div_euclid(1000);
        if let Some(list) = &self.if_match {
            if !etag_matches(list, etag) {
                return Verdict::PreconditionFailed;
            }
        } else if let Some(since) = &self.if_unmodified_since
            && modified > since.secs()
        {
            return Verdict::PreconditionFailed;
        }
        if let Some(list) = &self.if_none_match {
            if etag_matches(list, etag) {
                return Verdict::NotModified;
            }
        } else if let Some(since) = &self.if_modified_since
            && modified <= since.secs()
        {
            return Verdict::NotModified;
        }
        Verdict::Proceed
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
        match &self.if_none_match {
            Some(v) if v.trim() != "*" => Err(StoreError::not_implemented(
                "A header you provided implies functionality that is not implemented (If-None-Match takes only *)",
            )),
            _ => Ok(()),
        }
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
    fn ranges_parse_like_s3() {
        assert_eq!(
            parse_range("bytes=0-9"),
            Some(RangeSpec::From {
                first: 0,
                last: Some(9)
            })
        );
        assert_eq!(
            parse_range("bytes=5-"),
            Some(RangeSpec::From {
                first: 5,
                last: None
            })
        );
        assert_eq!(parse_range("bytes=-3"), Some(RangeSpec::Suffix(3)));
        for ignored in [
            "bytes=9-5",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=-",
            "bytes=a-b",
            "bytes=+1-2",
            "",
        ] {
            assert_eq!(parse_range(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn ranges_resolve_against_sizes() {
        let r = |s: &str, size| parse_range(s).unwrap().resolve(size).map_err(|e| e.code);
        assert_eq!(r("bytes=0-9", 5), Ok((0, 5)));
        assert_eq!(r("bytes=4-4", 5), Ok((4, 1)));
        assert_eq!(r("bytes=5-", 5), Err("InvalidRange"));
        assert_eq!(r("bytes=-10", 5), Ok((0, 5)));
        assert_eq!(r("bytes=-2", 5), Ok((3, 2)));
        assert_eq!(r("bytes=-0", 5), Err("InvalidRange"));
        assert_eq!(r("bytes=0-", 0), Err("InvalidRange"));
    }

    #[test]
    fn ranges_become_r2_options() {
        assert_eq!(
            parse_range("bytes=2-5").unwrap().to_r2(),
            R2Range {
                offset: Some(2),
                length: Some(4),
                suffix: None
            }
        );
        assert_eq!(
            parse_range("bytes=7-").unwrap().to_r2(),
            R2Range {
                offset: Some(7),
                length: None,
                suffix: None
            }
        );
        assert_eq!(
            parse_range("bytes=-3").unwrap().to_r2(),
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
