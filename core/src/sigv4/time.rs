//! SigV4's timestamp form, ISO 8601 basic `YYYYMMDD'T'HHMMSS'Z'` (e.g. `20130524T000000Z`),
//! read strictly and written through the codec's RFC 3339 form.

use aws_smithy_types::DateTime;

use crate::codec::scalar::{TimestampFormat, format_timestamp, parse_timestamp};

/// Parses `YYYYMMDDTHHMMSSZ` exactly (16 ASCII characters, a real calendar date). `None` for
/// anything else.
pub fn parse_amz_date(s: &str) -> Option<DateTime> {
    let b = s.as_bytes();
    let digits_at = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits_at(0..8) || !digits_at(9..15) {
        return None;
    }
    // Only ASCII from here on, so slicing by byte is safe.
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    let t = parse_timestamp(&rfc3339, TimestampFormat::DateTime).ok()?;
    // Round-trip to refuse what the RFC 3339 parser may tolerate (a leap second, say).
    (format_amz_date(&t).as_deref() == Some(s)).then_some(t)
}

/// Formats `t` as `YYYYMMDDTHHMMSSZ`, dropping fractional seconds. `None` outside years
/// 0..=9999, which the form cannot spell.
pub fn format_amz_date(t: &DateTime) -> Option<String> {
    // `2013-05-24T00:00:00.000Z`, always this shape for years 0..=9999.
    let rfc3339 = format_timestamp(t, TimestampFormat::DateTime);
    let b = rfc3339.as_bytes();
    if b.len() != 24 || !b[0].is_ascii_digit() {
        return None;
    }
    let mut out = String::with_capacity(16);
    for range in [0..4, 5..7, 8..10] {
        out.push_str(&rfc3339[range]);
    }
    out.push('T');
    for range in [11..13, 14..16, 17..19] {
        out.push_str(&rfc3339[range]);
    }
    out.push('Z');
    Some(out)
}

/// The `YYYYMMDD` part of a formatted amz date.
pub(crate) fn date_part(amz_date: &str) -> &str {
    amz_date.get(..8).unwrap_or(amz_date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_junk() {
        let t = parse_amz_date("20130524T000000Z").unwrap();
        assert_eq!(t.secs(), 1_369_353_600);
        assert_eq!(format_amz_date(&t).unwrap(), "20130524T000000Z");
        assert_eq!(
            format_amz_date(&DateTime::from_secs_and_nanos(1_369_353_601, 999_999_999)).unwrap(),
            "20130524T000001Z"
        );
        for bad in [
            "",
            "20130524T000000",
            "20130524t000000Z",
            "2013-05-24T00:00:00Z",
            "20130230T000000Z",
            "20131324T000000Z",
            "20130524T240000Z",
            "20130524T235960Z",
            "2013052AT000000Z",
            "20130524T000000Z ",
            "２0130524T000000Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
        assert_eq!(format_amz_date(&DateTime::from_secs(i64::MAX / 4)), None);
        assert_eq!(
            format_amz_date(&DateTime::from_secs(-100_000_000_000)),
            None
        );
    }
}
