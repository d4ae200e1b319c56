//! The server's clock (the wall clock plus an optional offset, for clock-skew tests) and the
//! date formats S3 speaks: `20130524T000000Z`, ISO 8601, HTTP dates and the access log's
//! `[06/Feb/2019:00:00:38 +0000]`. Pure arithmetic on Unix seconds; never sleeps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The server's notion of "now": the system clock shifted by a fixed number of seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset_secs: i64,
}

impl Clock {
    /// A clock `offset_secs` ahead of (or, negative, behind) the system clock.
    pub fn with_offset(offset_secs: i64) -> Self {
        Self { offset_secs }
    }

    /// The offset from the system clock, in seconds.
    pub fn offset_secs(self) -> i64 {
        self.offset_secs
    }

    /// The server's current time.
    pub fn now(self) -> SystemTime {
        shift(SystemTime::now(), self.offset_secs)
    }
}

/// `t` moved by `secs` seconds.
pub fn shift(t: SystemTime, secs: i64) -> SystemTime {
    let d = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        t + d
    } else {
        t.checked_sub(d).unwrap_or(UNIX_EPOCH)
    }
}

/// Seconds since the Unix epoch (negative before it).
pub fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Calendar date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Broken-down UTC time: (year, month, day, hour, minute, second).
fn fields(t: SystemTime) -> (i64, u32, u32, u32, u32, u32) {
    let secs = unix_secs(t);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = u32::try_from(secs.rem_euclid(86_400)).unwrap_or(0);
    (y, mo, d, sod / 3600, sod / 60 % 60, sod % 60)
}

/// Parses SigV4's basic ISO 8601 form, `20130524T000000Z`.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + se);
    Some(shift(UNIX_EPOCH, secs))
}

/// Parses the extended UTC form POST policies use, `2013-08-01T12:00:00Z` with optional
/// fractional seconds (`.000`); offsets other than `Z` and a space for `T` are refused, as S3
/// does.
pub fn parse_iso8601_utc(s: &str) -> Option<SystemTime> {
    // Fractions of a second are checked for form, then dropped.
    let head = match s.strip_suffix('Z')?.split_once('.') {
        Some((h, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return None,
        None => s.strip_suffix('Z')?,
    };
    let b = head.as_bytes();
    if !head.is_ascii()
        || b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let compact = format!(
        "{}{}{}T{}{}{}Z",
        &head[0..4],
        &head[5..7],
        &head[8..10],
        &head[11..13],
        &head[14..16],
        &head[17..19]
    );
    parse_amz_date(&compact)
}

/// `20130524T000000Z`.
pub fn fmt_amz_date(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = fields(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// `2019-02-06T00:00:38Z`.
pub fn fmt_iso8601(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = fields(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `06/Feb/2019:00:00:38 +0000`, the access log's time (without the brackets).
pub fn fmt_log_time(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = fields(t);
    let month = MONTHS[usize::try_from(mo - 1).unwrap_or(0)];
    format!("{d:02}/{month}/{y:04}:{h:02}:{mi:02}:{s:02} +0000")
}

/// Parses the access log's time, `06/Feb/2019:00:00:38 +0000` (brackets allowed).
pub fn parse_log_time(s: &str) -> Option<SystemTime> {
    let s = s.trim_start_matches('[').trim_end_matches(']');
    let (stamp, zone) = s.split_once(' ')?;
    let mut parts = stamp.splitn(3, '/');
    let (day, month, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let (year, hms) = rest.split_once(':')?;
    if zone != "+0000" || year.len() != 4 || day.len() != 2 {
        return None;
    }
    parse_amz_date(&format!("{year}{month:02}{day}T{}Z", hms.replace(':', "")))
}

/// An HTTP date, `Wed, 06 Feb 2019 00:00:38 GMT`.
pub fn fmt_http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// Parses an HTTP date (the three formats HTTP/1.1 allows).
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trip() {
        let t = parse_amz_date("20130524T000000Z").expect("valid date");
        assert_eq!(unix_secs(t), 1_369_353_600);
        assert_eq!(fmt_amz_date(t), "20130524T000000Z");
        assert_eq!(fmt_iso8601(t), "2013-05-24T00:00:00Z");
    }

    #[test]
    fn log_time_matches_s3_example() {
        let t = parse_amz_date("20190206T000038Z").expect("valid date");
        assert_eq!(fmt_log_time(t), "06/Feb/2019:00:00:38 +0000");
        assert_eq!(parse_log_time("[06/Feb/2019:00:00:38 +0000]"), Some(t));
        assert_eq!(parse_log_time("06/Feb/2019:00:00:38 +0100"), None);
        assert_eq!(parse_log_time("06/Fev/2019:00:00:38 +0000"), None);
    }

    #[test]
    fn leap_day_and_bad_dates() {
        let t = parse_amz_date("20240229T235959Z").expect("leap day");
        assert_eq!(fmt_iso8601(t), "2024-02-29T23:59:59Z");
        assert!(parse_amz_date("20241301T000000Z").is_none());
        assert!(parse_amz_date("2024-01-01T00:00:00Z").is_none());
        assert!(parse_amz_date("2024010aT000000Z").is_none());
    }

    #[test]
    fn policy_expiration_format() {
        let t = parse_iso8601_utc("2013-08-01T12:00:00.000Z").expect("with millis");
        assert_eq!(fmt_iso8601(t), "2013-08-01T12:00:00Z");
        assert_eq!(parse_iso8601_utc("2013-08-01T12:00:00Z"), Some(t));
        for bad in [
            "2013-08-01T12:00:00+00:00",
            "2013-08-01 12:00:00Z",
            "2013-08-01t12:00:00z",
            "2013-08-01T12:00:00.Z",
            "2013-08-01",
            "",
        ] {
            assert_eq!(parse_iso8601_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn offset_clock_moves_both_ways() {
        let base = SystemTime::now();
        assert!(shift(base, 3600) > base);
        assert!(shift(base, -3600) < base);
        assert_eq!(Clock::with_offset(-5).offset_secs(), -5);
    }
}
