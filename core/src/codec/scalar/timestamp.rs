//! Timestamps in Smithy's three text formats: `date-time` (RFC 3339, always written with
//! milliseconds like S3), `http-date` (IMF-fixdate) and `epoch-seconds`.

use super::ScalarError;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use std::fmt::Write as _;

/// Which text form a timestamp member uses (Smithy's `@timestampFormat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampFormat {
    /// RFC 3339, e.g. `2009-10-12T17:50:30.000Z`.
    DateTime,
    /// IMF-fixdate, e.g. `Mon, 12 Oct 2009 17:50:30 GMT`.
    HttpDate,
    /// Seconds since the Unix epoch, e.g. `1255369830` or `1515531081.123`.
    EpochSeconds,
}

const SECS_PER_DAY: i64 = 86_400;
const NANOS_PER_MILLI: u32 = 1_000_000;
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses `s` in `format`. Junk and out-of-range values give an error, never a panic.
pub fn parse_timestamp(s: &str, format: TimestampFormat) -> Result<DateTime, ScalarError> {
    match format {
        // `Format::DateTime` is too strict for what clients send: it rejects numeric offsets
        // (`+01:00`). `DateTimeWithOffset` is the same RFC 3339 parser with offsets allowed;
        // it takes `Z`/`z` or `±hh:mm` and fractional seconds of any length.
        TimestampFormat::DateTime => DateTime::from_str(s, Format::DateTimeWithOffset)
            .map_err(|_| ScalarError::new("timestamp (date-time)", s)),
        // Our own parser: aws-smithy-types only takes two-digit days and at most three
        // fractional digits, and doesn't check the weekday name.
        TimestampFormat::HttpDate => {
            parse_http_date(s).ok_or_else(|| ScalarError::new("timestamp (http-date)", s))
        }
        TimestampFormat::EpochSeconds => DateTime::from_str(s, Format::EpochSeconds)
            .map_err(|_| ScalarError::new("timestamp (epoch-seconds)", s)),
    }
}

/// Formats `t` in `format`. Never fails: a year outside 0..=9999 (which no format can
/// spell) is written with an explicit sign, e.g. `+10000-01-01T00:00:00.000Z`.
pub fn format_timestamp(t: &DateTime, format: TimestampFormat) -> String {
    match format {
        TimestampFormat::DateTime => format_date_time(t),
        TimestampFormat::HttpDate => format_http_date(t),
        TimestampFormat::EpochSeconds => format_epoch_seconds(t),
    }
}

/// A UTC calendar instant split into fields (year unbounded, the rest in their usual ranges).
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: usize,
}

impl Civil {
    fn from_secs(secs: i64) -> Self {
        let days = secs.div_euclid(SECS_PER_DAY);
        let rem = secs.rem_euclid(SECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        // 1970-01-01 was a Thursday (index 4).
        let weekday = (days.rem_euclid(7) as usize + 4) % 7;
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
            weekday,
        }
    }

    fn write_year(&self, out: &mut String) {
        if (0..=9999).contains(&self.year) {
            let _ = write!(out, "{:04}", self.year);
        } else {
            let _ = write!(out, "{:+}", self.year);
        }
    }
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`). Total for every `i64` that comes from
/// `i64 seconds / 86400`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month 1..=12, day) to days since 1970-01-01 (Hinnant's `days_from_civil`).
/// Callers keep `year` within a few thousand years, so nothing overflows.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// `2009-10-12T17:50:30.000Z`: always three fractional digits, sub-millisecond truncated.
fn format_date_time(t: &DateTime) -> String {
    let c = Civil::from_secs(t.secs());
    let mut out = String::with_capacity(24);
    c.write_year(&mut out);
    let _ = write!(
        out,
        "-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        t.subsec_nanos() / NANOS_PER_MILLI
    );
    out
}

/// `Mon, 12 Oct 2009 17:50:30 GMT`; sub-second precision is dropped.
fn format_http_date(t: &DateTime) -> String {
    let c = Civil::from_secs(t.secs());
    let mut out = String::with_capacity(29);
    let month = MONTHS
        .get((c.month as usize).saturating_sub(1))
        .copied()
        .unwrap_or("Jan");
    let _ = write!(
        out,
        "{}, {:02} {} ",
        WEEKDAYS.get(c.weekday).copied().unwrap_or("Sun"),
        c.day,
        month
    );
    c.write_year(&mut out);
    let _ = write!(out, " {:02}:{:02}:{:02} GMT", c.hour, c.minute, c.second);
    out
}

/// `1255369830`, or `1515531081.123` (trailing zeros trimmed) when there are sub-second nanos.
fn format_epoch_seconds(t: &DateTime) -> String {
    // Formatting epoch seconds cannot fail in aws-smithy-types; the fallback is unreachable.
    t.fmt(Format::EpochSeconds)
        .unwrap_or_else(|_| t.secs().to_string())
}

/// IMF-fixdate `Www, DD Mon YYYY HH:MM:SS GMT`, also taking a one-digit day and an optional
/// fraction of 1 to 9 digits after the seconds. Surrounding whitespace is ignored; the
/// weekday must be a valid name but is not checked against the date.
fn parse_http_date(s: &str) -> Option<DateTime> {
    let s = s.trim_matches(|c: char| c == ' ' || c == '\t');
    let (weekday, rest) = s.split_once(", ")?;
    if !WEEKDAYS.contains(&weekday) {
        return None;
    }
    let mut parts = rest.split(' ');
    let (day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "GMT" {
        return None;
    }
    if !(1..=2).contains(&day.len()) || year.len() != 4 {
        return None;
    }
    let day = digits(day)? as u32;
    let year = digits(year)? as i64;
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }

    let (hms, fraction) = match time.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (time, None),
    };
    let mut hms_parts = hms.split(':');
    let (hour, minute, second) = (hms_parts.next()?, hms_parts.next()?, hms_parts.next()?);
    if hms_parts.next().is_some() || [hour, minute, second].iter().any(|p| p.len() != 2) {
        return None;
    }
    let (hour, minute, second) = (digits(hour)?, digits(minute)?, digits(second)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let nanos = match fraction {
        None => 0,
        Some(f) if (1..=9).contains(&f.len()) => {
            let value = digits(f)? as u32;
            value * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
    };

    let secs = days_from_civil(year, month, day) * SECS_PER_DAY
        + (hour * 3600 + minute * 60 + second) as i64;
    Some(DateTime::from_secs_and_nanos(secs, nanos))
}

/// A non-empty run of ASCII digits (at most 9, so it fits) as a number.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DT: TimestampFormat = TimestampFormat::DateTime;
    const HTTP: TimestampFormat = TimestampFormat::HttpDate;
    const EPOCH: TimestampFormat = TimestampFormat::EpochSeconds;

    fn parse(s: &str, f: TimestampFormat) -> DateTime {
        parse_timestamp(s, f).unwrap_or_else(|e| panic!("{s:?} rejected: {e}"))
    }

    #[test]
    fn fixed_vectors_format() {
        let t = DateTime::from_secs(1_255_369_830);
        assert_eq!(format_timestamp(&t, DT), "2009-10-12T17:50:30.000Z");
        assert_eq!(format_timestamp(&t, HTTP), "Mon, 12 Oct 2009 17:50:30 GMT");
        assert_eq!(format_timestamp(&t, EPOCH), "1255369830");

        let epoch = DateTime::from_secs(0);
        assert_eq!(format_timestamp(&epoch, DT), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(&epoch, HTTP),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );

        let leap = DateTime::from_secs(951_782_400); // 2000-02-29
        assert_eq!(format_timestamp(&leap, DT), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            format_timestamp(&leap, HTTP),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );

        let max = DateTime::from_secs(253_402_300_799);
        assert_eq!(format_timestamp(&max, DT), "9999-12-31T23:59:59.000Z");
        assert_eq!(
            format_timestamp(&max, HTTP),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
    }

    #[test]
    fn date_time_writes_truncated_milliseconds() {
        let t = DateTime::from_secs_and_nanos(1_515_531_081, 123_999_999);
        assert_eq!(format_timestamp(&t, DT), "2018-01-09T20:51:21.123Z");
        assert_eq!(format_timestamp(&t, HTTP), "Tue, 09 Jan 2018 20:51:21 GMT");
        assert_eq!(format_timestamp(&t, EPOCH), "1515531081.123999999");
        let t = DateTime::from_secs_and_nanos(1_515_531_081, 120_000_000);
        assert_eq!(format_timestamp(&t, EPOCH), "1515531081.12");
        // Before the epoch: nanos still advance time.
        let t = DateTime::from_secs_and_nanos(-1, 500_000_000);
        assert_eq!(format_timestamp(&t, DT), "1969-12-31T23:59:59.500Z");
        assert_eq!(format_timestamp(&t, EPOCH), "-0.5");
    }

    #[test]
    fn extreme_values_format_without_panicking() {
        for secs in [
            i64::MIN,
            i64::MIN + 1,
            -62_135_596_801,
            253_402_300_800,
            i64::MAX,
        ] {
            let t = DateTime::from_secs_and_nanos(secs, 999_999_999);
            for f in [DT, HTTP, EPOCH] {
                assert!(!format_timestamp(&t, f).is_empty());
            }
        }
        let t = DateTime::from_secs(253_402_300_800);
        assert_eq!(format_timestamp(&t, DT), "+10000-01-01T00:00:00.000Z");
        let t = DateTime::from_secs(-62_135_596_800); // 0001-01-01
        assert_eq!(format_timestamp(&t, DT), "0001-01-01T00:00:00.000Z");
    }

    #[test]
    fn date_time_parsing_is_lenient() {
        let expected = DateTime::from_secs(1_255_369_830);
        assert_eq!(parse("2009-10-12T17:50:30Z", DT), expected);
        assert_eq!(parse("2009-10-12T17:50:30.000Z", DT), expected);
        assert_eq!(parse("2009-10-12T18:50:30+01:00", DT), expected);
        assert_eq!(parse("2009-10-12T16:20:30-01:30", DT), expected);
        assert_eq!(
            parse("2009-10-12T17:50:30.5Z", DT),
            DateTime::from_secs_and_nanos(1_255_369_830, 500_000_000)
        );
        assert_eq!(
            parse("2009-10-12T17:50:30.123456789123Z", DT),
            DateTime::from_secs_and_nanos(1_255_369_830, 123_456_789)
        );
    }

    #[test]
    fn date_time_rejects_junk() {
        for bad in [
            "",
            "2009-10-12",
            "2009-10-12 17:50:30Z",
            "2009-13-12T17:50:30Z",
            "2009-02-30T17:50:30Z",
            "2009-10-12T24:00:00Z",
            "2009-10-12T17:50:30",
            "2009-10-12T17:50:30.Z",
            "2009-10-12T17:50:30Zjunk",
            "1255369830",
            "२००९-10-12T17:50:30Z",
        ] {
            let err = parse_timestamp(bad, DT).unwrap_err();
            assert_eq!(err.expected, "timestamp (date-time)", "{bad:?}");
        }
    }

    #[test]
    fn http_date_parsing() {
        let expected = DateTime::from_secs(1_255_369_830);
        assert_eq!(parse("Mon, 12 Oct 2009 17:50:30 GMT", HTTP), expected);
        assert_eq!(parse(" Mon, 12 Oct 2009 17:50:30 GMT ", HTTP), expected);
        assert_eq!(
            parse("Mon, 2 Oct 2009 17:50:30 GMT", HTTP),
            DateTime::from_secs(1_255_369_830 - 10 * 86_400)
        );
        assert_eq!(
            parse("Mon, 12 Oct 2009 17:50:30.25 GMT", HTTP),
            DateTime::from_secs_and_nanos(1_255_369_830, 250_000_000)
        );
        for bad in [
            "",
            "Mon, 12 Oct 2009 17:50:30",
            "Mon, 12 Oct 2009 17:50:30 UTC",
            "Xyz, 12 Oct 2009 17:50:30 GMT",
            "Mon, 012 Oct 2009 17:50:30 GMT",
            "Mon, 32 Oct 2009 17:50:30 GMT",
            "Mon, 29 Feb 2009 17:50:30 GMT",
            "Mon, 00 Oct 2009 17:50:30 GMT",
            "Mon, 12 oct 2009 17:50:30 GMT",
            "Mon, 12 Oct 09 17:50:30 GMT",
            "Mon, 12 Oct 2009 24:50:30 GMT",
            "Mon, 12 Oct 2009 17:60:30 GMT",
            "Mon, 12 Oct 2009 17:50:60 GMT",
            "Mon, 12 Oct 2009 17:50:3 GMT",
            "Mon, 12 Oct 2009 17:50:30. GMT",
            "Mon, 12 Oct 2009 17:50:30.1234567890 GMT",
            "Mon, +1 Oct 2009 17:50:30 GMT",
            "Mon,  12 Oct 2009 17:50:30 GMT",
            "Monday, 12-Oct-09 17:50:30 GMT",
            "Mon Oct 12 17:50:30 2009",
            "Mon, 12 Oct 2009 17:50:30 GMT extra",
        ] {
            let err = parse_timestamp(bad, HTTP).unwrap_err();
            assert_eq!(err.expected, "timestamp (http-date)", "{bad:?}");
        }
        assert_eq!(
            parse("Tue, 29 Feb 2000 00:00:00 GMT", HTTP),
            DateTime::from_secs(951_782_400)
        );
    }

    #[test]
    fn epoch_seconds_parsing() {
        assert_eq!(
            parse("1255369830", EPOCH),
            DateTime::from_secs(1_255_369_830)
        );
        assert_eq!(
            parse("1515531081.123", EPOCH),
            DateTime::from_secs_and_nanos(1_515_531_081, 123_000_000)
        );
        assert_eq!(
            parse("-0.5", EPOCH),
            DateTime::from_secs_and_nanos(-1, 500_000_000)
        );
        for bad in [
            "",
            "abc",
            "1.2.3",
            "1e9",
            " 1",
            "1.",
            ".5",
            "99999999999999999999",
        ] {
            assert!(parse_timestamp(bad, EPOCH).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn civil_conversions_agree() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!(d >= 1 && d <= days_in_month(y, m));
        }
    }

    proptest! {
        #[test]
        fn whole_seconds_round_trip(secs in 0i64..=253_402_300_799) {
            let t = DateTime::from_secs(secs);
            for f in [DT, HTTP, EPOCH] {
                let text = format_timestamp(&t, f);
                prop_assert_eq!(parse_timestamp(&text, f), Ok(t), "{}", text);
            }
        }

        #[test]
        fn milliseconds_round_trip_as_date_time(millis in 0i64..=253_402_300_799_999) {
            let t = DateTime::from_millis(millis);
            let text = format_timestamp(&t, DT);
            prop_assert_eq!(parse_timestamp(&text, DT), Ok(t), "{}", text);
        }

        #[test]
        fn nanos_round_trip_as_epoch_seconds(secs in any::<i64>(), nanos in 0u32..1_000_000_000) {
            let t = DateTime::from_secs_and_nanos(secs, nanos);
            let text = format_timestamp(&t, EPOCH);
            prop_assert_eq!(parse_timestamp(&text, EPOCH), Ok(t), "{}", text);
        }

        #[test]
        fn any_instant_formats(secs in any::<i64>(), nanos in 0u32..1_000_000_000) {
            let t = DateTime::from_secs_and_nanos(secs, nanos);
            for f in [DT, HTTP, EPOCH] {
                prop_assert!(!format_timestamp(&t, f).is_empty());
            }
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            for f in [DT, HTTP, EPOCH] {
                let _ = parse_timestamp(&s, f);
            }
        }

        #[test]
        fn http_date_like_junk_never_panics(
            s in "[A-Za-z]{0,4}, ?[0-9+ ]{0,3} [A-Za-z]{3} [0-9]{0,5} [0-9:.]{0,14} GMT"
        ) {
            let _ = parse_timestamp(&s, HTTP);
        }
    }
}
