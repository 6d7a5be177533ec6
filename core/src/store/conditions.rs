//! Byte ranges and preconditions as S3 evaluates them.
//!
//! Reads: `If-Match` then `If-Unmodified-Since` (either failing: 412), then `If-None-Match`
//! then `If-Modified-Since` (either failing: 304), where a present `If-Match` makes
//! `If-Unmodified-Since` irrelevant and a present `If-None-Match` makes `If-Modified-Since`
//! irrelevant (RFC 7232 §6, which S3 follows). Dates compare at whole seconds.
//!
//! Writes (PutObject, CompleteMultipartUpload): `If-None-Match` takes only `*`, and fails with
//! 412 when the key exists; `If-Match: <etag>` fails with 412 when the object differs or is
//! absent.

use crate::codec::scalar::DateTime;

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
    /// The `(start, length)` of this range in an object of `size` bytes.
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
}

/// Whether an `If-Match` / `If-None-Match` list names `etag` (`*` names any object).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    let etag = etag.trim_matches('"');
    list.split(',').map(str::trim).any(|candidate| {
        let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
        candidate == "*" || candidate.trim_matches('"') == etag
    })
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

/// The preconditions of a read, borrowed from wherever the store keeps them.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadConditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a DateTime>,
    pub if_unmodified_since: Option<&'a DateTime>,
}

/// Evaluates a read's preconditions against an object (its ETag and its last-modified time in
/// milliseconds since the epoch).
pub fn evaluate_read(c: ReadConditions<'_>, etag: &str, last_modified_ms: i64) -> Verdict {
    let modified = last_modified_ms.div_euclid(1000);
    if let Some(list) = c.if_match {
        if !etag_matches(list, etag) {
            return Verdict::PreconditionFailed;
        }
    } else if let Some(since) = c.if_unmodified_since
        && modified > since.secs()
    {
        return Verdict::PreconditionFailed;
    }
    if let Some(list) = c.if_none_match {
        if etag_matches(list, etag) {
            return Verdict::NotModified;
        }
    } else if let Some(since) = c.if_modified_since
        && modified <= since.secs()
    {
        return Verdict::NotModified;
    }
    Verdict::Proceed
}

/// Refuses what S3 refuses in a write's preconditions before looking at the object.
///
/// # Errors
/// `NotImplemented` for `If-None-Match` with anything but `*`.
pub fn check_write_syntax(if_none_match: Option<&str>) -> StoreResult<()> {
    match if_none_match {
        Some(v) if v.trim() != "*" => Err(StoreError::not_implemented(
            "A header you provided implies functionality that is not implemented (If-None-Match takes only *)",
        )),
        _ => Ok(()),
    }
}

/// Checks the preconditions of a write against the current object's ETag (`None`: absent).
///
/// # Errors
/// `NotImplemented` as [`check_write_syntax`]; `PreconditionFailed` when they do not hold.
pub fn check_write(
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    current: Option<&str>,
) -> StoreResult<()> {
    check_write_syntax(if_none_match)?;
    let failed = || {
        StoreError::precondition_failed(
            "At least one of the pre-conditions you specified did not hold",
        )
    };
    if if_none_match.is_some() && current.is_some() {
        return Err(failed());
    }
    if let Some(list) = if_match
        && !current.is_some_and(|etag| etag_matches(list, etag))
    {
        return Err(failed());
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
        let cases = [
            (
                c(Some("\"abc\""), None, None, Some(&before)),
                Verdict::Proceed,
            ),
            (
                c(Some("xyz"), None, None, None),
                Verdict::PreconditionFailed,
            ),
            (
                c(None, None, None, Some(&before)),
                Verdict::PreconditionFailed,
            ),
            (c(None, None, None, Some(&t)), Verdict::Proceed),
            (
                c(None, Some("abc"), Some(&before), None),
                Verdict::NotModified,
            ),
            (c(None, Some("zzz"), Some(&t), None), Verdict::Proceed),
            (c(None, None, Some(&t), None), Verdict::NotModified),
            (c(None, None, Some(&before), None), Verdict::Proceed),
            (
                c(Some("nope"), Some("abc"), None, None),
                Verdict::PreconditionFailed,
            ),
            (c(Some("*"), None, None, None), Verdict::Proceed),
        ];
        for (i, (conditions, verdict)) in cases.into_iter().enumerate() {
            assert_eq!(evaluate_read(conditions, e, at), verdict, "case {i}");
        }
        // Times before the epoch still compare at whole seconds (rounding down).
        let early = DateTime::from_secs(-2);
        assert_eq!(
            evaluate_read(c(None, None, Some(&early), None), e, -1_500),
            Verdict::NotModified
        );
    }

    #[test]
    fn write_conditions() {
        assert!(check_write(None, Some("*"), None).is_ok());
        let code = |r: StoreResult<()>| r.unwrap_err().code;
        assert_eq!(
            code(check_write(None, Some("*"), Some("\"a\""))),
            "PreconditionFailed"
        );
        assert_eq!(
            code(check_write(Some("\"a\""), None, None)),
            "PreconditionFailed"
        );
        assert_eq!(
            code(check_write(Some("\"b\""), None, Some("\"a\""))),
            "PreconditionFailed"
        );
        assert!(check_write(Some("a"), None, Some("\"a\"")).is_ok());
        assert_eq!(
            code(check_write(None, Some("\"a\""), None)),
            "NotImplemented"
        );
        assert_eq!(code(check_write_syntax(Some("\"a\""))), "NotImplemented");
        assert!(check_write_syntax(Some(" * ")).is_ok());
    }
}
