//! Byte ranges and preconditions as S3 evaluates them.
//!
//! Reads: `If-Match` then `If-Unmodified-Since` (either failing: 412), then `If-None-Match`
//! then `If-Modified-Since` (either failing: 304), where a present `If-Match` makes
//! `If-Unmodified-Since` irrelevant and a present `If-None-Match` makes `If-Modified-Since`
//! irrelevant (RFC 7232 §6, which S3 follows). Dates compare at whole seconds.
//!
//! Writes (PutObject, CompleteMultipartUpload): `If-None-Match: *` fails with 412 when the key
//! exists; `If-Match: <etag>` fails with 412 when the object differs or is absent.

use multistore_core::codec::scalar::DateTime;

use super::error::{StoreError, StoreResult};
use super::meta::whole_seconds;

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
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadConditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a DateTime>,
    pub if_unmodified_since: Option<&'a DateTime>,
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

impl ReadConditions<'_> {
    /// Evaluates these conditions against an object.
    pub fn evaluate(&self, etag: &str, last_modified_ms: i64) -> Verdict {
        let modified = whole_seconds(last_modified_ms);
        if let Some(list) = self.if_match {
            if !etag_matches(list, etag) {
                return Verdict::PreconditionFailed;
            }
        } else if let Some(since) = self.if_unmodified_since
            && modified > since.secs()
        {
            return Verdict::PreconditionFailed;
        }
        if let Some(list) = self.if_none_match {
            if etag_matches(list, etag) {
                return Verdict::NotModified;
            }
        } else if let Some(since) = self.if_modified_since
            && modified <= since.secs()
        {
            return Verdict::NotModified;
        }
        Verdict::Proceed
    }
}

/// Checks the preconditions of a write against the current object (`None`: absent).
pub fn check_write(
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    current: Option<&str>,
) -> StoreResult<()> {
    if let Some(value) = if_none_match {
        if value.trim() != "*" {
            return Err(StoreError::not_implemented(
                "A header you provided implies functionality that is not implemented (If-None-Match takes only *)",
            ));
        }
        if current.is_some() {
            return Err(StoreError::precondition_failed(
                "At least one of the pre-conditions you specified did not hold",
            ));
        }
    }
    if let Some(list) = if_match
        && !current.is_some_and(|etag| etag_matches(list, etag))
    {
        return Err(StoreError::precondition_failed(
            "At least one of the pre-conditions you specified did not hold",
        ));
    }
    Ok(())
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
        assert_eq!(r("bytes=-1", 0), Err("InvalidRange"));
    }

    #[test]
    fn read_precedence() {
        let t = DateTime::from_secs(1000);
        let before = DateTime::from_secs(999);
        let c = |m, n, ms, us| ReadConditions {
            if_match: m,
            if_none_match: n,
            if_modified_since: ms,
            if_unmodified_since: us,
        };
        let e = "\"abc\"";
        let at = 1_000_500; // 1000.5 s: the same second as `t`
        assert_eq!(
            c(Some("\"abc\""), None, None, Some(&before)).evaluate(e, at),
            Verdict::Proceed
        );
        assert_eq!(
            c(Some("xyz"), None, None, None).evaluate(e, at),
            Verdict::PreconditionFailed
        );
        assert_eq!(
            c(None, None, None, Some(&before)).evaluate(e, at),
            Verdict::PreconditionFailed
        );
        assert_eq!(
            c(None, None, None, Some(&t)).evaluate(e, at),
            Verdict::Proceed
        );
        assert_eq!(
            c(None, Some("abc"), Some(&before), None).evaluate(e, at),
            Verdict::NotModified
        );
        assert_eq!(
            c(None, Some("zzz"), Some(&t), None).evaluate(e, at),
            Verdict::Proceed
        );
        assert_eq!(
            c(None, None, Some(&t), None).evaluate(e, at),
            Verdict::NotModified
        );
        assert_eq!(
            c(None, None, Some(&before), None).evaluate(e, at),
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
    }

    #[test]
    fn write_conditions() {
        assert!(check_write(None, Some("*"), None).is_ok());
        assert_eq!(
            check_write(None, Some("*"), Some("\"a\""))
                .unwrap_err()
                .code,
            "PreconditionFailed"
        );
        assert_eq!(
            check_write(Some("\"a\""), None, None).unwrap_err().code,
            "PreconditionFailed"
        );
        assert_eq!(
            check_write(Some("\"b\""), None, Some("\"a\""))
                .unwrap_err()
                .code,
            "PreconditionFailed"
        );
        assert!(check_write(Some("a"), None, Some("\"a\"")).is_ok());
        assert_eq!(
            check_write(None, Some("\"a\""), None).unwrap_err().code,
            "NotImplemented"
        );
    }
}
