//! Signing time as SigV4 writes it (`20130524T000000Z`, `20130524`). The signer never reads
//! the clock: callers pass the time in.

/// Seconds since the Unix epoch, UTC. Constructed by the caller (client clock, tests, skew fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SigningTime(pub i64);

impl SigningTime {
    /// `YYYYMMDDTHHMMSSZ`, the `x-amz-date` format.
    pub fn amz_date(self) -> String {
        let (y, m, d, hh, mm, ss) = self.civil();
        format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
    }

    /// `YYYYMMDD`, the credential-scope date.
    pub fn date_stamp(self) -> String {
        let (y, m, d, ..) = self.civil();
        format!("{y:04}{m:02}{d:02}")
    }

    /// Parses `YYYYMMDDTHHMMSSZ` (the inverse of [`amz_date`](Self::amz_date)).
    pub fn parse_amz_date(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
        let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
        let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        Some(Self(
            days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss,
        ))
    }

    fn civil(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }
}

// Howard Hinnant's days <-> civil date algorithms (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let t = SigningTime(1_369_353_600); // 2013-05-24T00:00:00Z
        assert_eq!(t.amz_date(), "20130524T000000Z");
        assert_eq!(t.date_stamp(), "20130524");
        assert_eq!(
            SigningTime::parse_amz_date("20150830T123600Z")
                .map(|t| t.amz_date())
                .as_deref(),
            Some("20150830T123600Z")
        );
        assert_eq!(
            SigningTime::parse_amz_date("20240229T235959Z")
                .map(|t| t.amz_date())
                .as_deref(),
            Some("20240229T235959Z")
        );
        assert_eq!(SigningTime::parse_amz_date("2015-08-30"), None);
    }
}
