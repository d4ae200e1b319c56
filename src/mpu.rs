//! Unfinished multipart uploads: list them all (following pages) and abort them. The cleanup of
//! what failed runs of other tools left behind, which keeps costing money.

use crate::client::Client;
use crate::error::Error;
use crate::s3::ops::{self, PendingUpload};
use crate::sigv4::SigningTime;

/// Every unfinished upload under `prefix`, across all pages (bounded at 10,000 pages).
///
/// # Errors
/// The S3 or transport error of a page request.
pub(crate) fn list_all(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<PendingUpload>, Error> {
    let mut out = Vec::new();
    let mut marker: Option<(String, String)> = None;
    for _ in 0..10_000 {
        let req = ops::list_multipart_uploads(
            bucket,
            prefix,
            marker.as_ref().map(|m| m.0.as_str()),
            marker.as_ref().map(|m| m.1.as_str()),
        );
        let resp = client.send(&req)?;
        let page = ops::parse_list_uploads(&resp.body).map_err(Error::Integrity)?;
        out.extend(page.uploads);
        match page.next {
            Some(next) if Some(&next) != marker.as_ref() => marker = Some(next),
            _ => break,
        }
    }
    Ok(out)
}

/// # Errors
/// The S3 or transport error.
pub(crate) fn abort(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<(), Error> {
    client.send(&ops::abort_multipart_upload(bucket, key, upload_id))?;
    Ok(())
}

/// Seconds since `initiated` (S3's `2026-01-01T00:00:00.000Z`), if it parses.
pub(crate) fn age_seconds(initiated: &str, now: SigningTime) -> Option<i64> {
    let t = crate::time::parse_time(initiated)?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(now.0 - i64::try_from(secs).ok()?)
}

/// `90s`, `30m`, `24h`, `7d`, `2w` (or plain seconds).
///
/// # Errors
/// A message naming the bad value.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (num, mult) = match t.chars().last() {
        Some('s') => (&t[..t.len() - 1], 1),
        Some('m') => (&t[..t.len() - 1], 60),
        Some('h') => (&t[..t.len() - 1], 3600),
        Some('d') => (&t[..t.len() - 1], 86_400),
        Some('w') => (&t[..t.len() - 1], 7 * 86_400),
        _ => (t, 1),
    };
    num.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("'{text}' is not a duration (e.g. 90s, 30m, 12h, 30d, 2w)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_durations() {
        let now = SigningTime::parse_amz_date("20260102T000000Z").expect("time");
        assert_eq!(age_seconds("2026-01-01T00:00:00.000Z", now), Some(86_400));
        assert_eq!(age_seconds("garbage", now), None);
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert_eq!(parse_duration("2w"), Ok(1_209_600));
        assert!(parse_duration("w").is_err());
        assert!(parse_duration("99999999999999999w").is_err());
        assert!(parse_duration("-1h").is_err());
    }
}
