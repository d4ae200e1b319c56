//! Times as S3 and AWS's credential services write them: ISO 8601 / RFC 3339
//! (`2026-11-29T03:22:31Z`, `2026-11-29T03:22:31.000Z`, `+02:00` offsets). The one parser for
//! them (credential expiry, upload and object ages).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::sigv4::SigningTime;

/// Parses an ISO 8601 / RFC 3339 UTC time: `2026-11-29T03:22:31Z`, with optional fractional
/// seconds and a `+HH:MM`/`-HH:MM` offset instead of `Z`.
pub fn parse_time(text: &str) -> Option<SystemTime> {
    let t = text.trim();
    let (main, offset) = if let Some(m) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        (m, 0)
    } else {
        let at = t.len().checked_sub(6)?;
        // Not split_at: `at` may fall inside a multi-byte character of untrusted input.
        let (m, off) = t.split_at_checked(at)?;
        let sign = match off.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let hours: i64 = off.get(1..3)?.parse().ok()?;
        let minutes: i64 = off.get(4..6)?.parse().ok()?;
        (m, sign * (hours * 3600 + minutes * 60))
    };
    let main = main.split_once('.').map_or(main, |(whole, _)| whole);
    let compact: String = main.chars().filter(|c| *c != '-' && *c != ':').collect();
    let SigningTime(secs) = SigningTime::parse_amz_date(&format!("{compact}Z"))?;
    let secs = u64::try_from(secs - offset).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Formats a time as `2026-11-29T03:22:31Z` (for messages).
pub fn format_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let amz = SigningTime(secs).amz_date();
    // 20261129T032231Z → 2026-11-29T03:22:31Z
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &amz[0..4],
        &amz[4..6],
        &amz[6..8],
        &amz[9..11],
        &amz[11..13],
        &amz[13..15]
    )
}

/// Formats a time as `2026-11-29 04:22:31` in the local time zone (`TZ`, else
/// `/etc/localtime`, else UTC), as `aws s3 ls` shows times.
pub fn format_local(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times() {
        let t = parse_time("2013-05-24T00:00:00Z").expect("time");
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(1_369_353_600));
        assert_eq!(parse_time("2013-05-24T00:00:00.123Z"), Some(t));
        assert_eq!(parse_time("2013-05-24T02:00:00+02:00"), Some(t));
        assert_eq!(parse_time("2013-05-23T23:00:00-01:00"), Some(t));
        assert_eq!(format_time(t), "2013-05-24T00:00:00Z");
        for bad in ["", "yesterday", "2013-05-24", "2013-13-24T00:00:00Z"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_with_multibyte_characters_are_refused_not_a_panic() {
        // Found by the credential_answers fuzz target.
        assert_eq!(parse_time("aé12345"), None);
        assert_eq!(parse_time("2026-11-29T03:22:31é:00"), None);
    }
}
