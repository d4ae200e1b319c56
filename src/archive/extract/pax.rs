//! PAX extended header records (POSIX.1-2001 `pax` format): `"LEN key=value\n"`, the values
//! s3up restores parsed, the others (atime, ctime, xattrs, user and group names) ignored.

use super::members::{corrupt_msg, StreamError};

/// PAX records that apply to members.
#[derive(Debug, Default, Clone)]
pub(super) struct Pax {
    pub path: Option<Vec<u8>>,
    pub linkpath: Option<Vec<u8>>,
    pub size: Option<u64>,
    pub mtime: Option<(i64, u32)>,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    pub sparse: bool,
}

/// PAX records `"LEN key=value\n"` into `pax`.
pub(super) fn parse(data: &[u8], pax: &mut Pax, at: u64) -> Result<(), StreamError> {
    let mut rest = data;
    while !rest.is_empty() {
        // Some writers pad the data with NULs.
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let malformed = || corrupt_msg(at, "malformed PAX extended header");
        let space = rest.iter().position(|&b| b == b' ').ok_or_else(malformed)?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&l| l > space + 1 && l <= rest.len())
            .ok_or_else(malformed)?;
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").ok_or_else(malformed)?;
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(malformed)?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        apply_pax(key, value, pax).ok_or_else(|| {
            corrupt_msg(
                at,
                &format!(
                    "PAX record {}={} is not valid",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(value)
                ),
            )
        })?;
        rest = &rest[len..];
    }
    Ok(())
}

/// One record; `None` when its value does not parse. Keys s3up does not restore (atime,
/// ctime, xattrs, user and group names, charset) are ignored.
fn apply_pax(key: &[u8], value: &[u8], pax: &mut Pax) -> Option<()> {
    let number = || std::str::from_utf8(value).ok()?.parse::<u64>().ok();
    match key {
        b"path" => pax.path = Some(value.to_vec()),
        b"linkpath" => pax.linkpath = Some(value.to_vec()),
        b"size" => pax.size = Some(number()?),
        b"uid" => pax.uid = Some(number()?),
        b"gid" => pax.gid = Some(number()?),
        b"mtime" => pax.mtime = Some(pax_time(std::str::from_utf8(value).ok()?)?),
        k if k.starts_with(b"GNU.sparse.") => pax.sparse = true,
        _ => {}
    }
    Some(())
}

/// `"1700000000.5"`, `"-86400"`, `"-1.25"` → seconds and nanoseconds (floor).
fn pax_time(text: &str) -> Option<(i64, u32)> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let negative = whole.starts_with('-');
    let secs: i64 = whole.parse().ok()?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    let nanos: u32 = digits.parse().ok()?;
    if negative && nanos > 0 {
        Some((secs.checked_sub(1)?, 1_000_000_000 - nanos))
    } else {
        Some((secs, nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_times_floor_to_whole_seconds() {
        assert_eq!(pax_time("1700000000"), Some((1_700_000_000, 0)));
        assert_eq!(pax_time("1700000000.5"), Some((1_700_000_000, 500_000_000)));
        assert_eq!(pax_time("-86400"), Some((-86_400, 0)));
        assert_eq!(pax_time("-1.25"), Some((-2, 750_000_000)));
        assert_eq!(pax_time("1.x"), None);
        assert_eq!(pax_time("soon"), None);
    }

    #[test]
    fn pax_records_are_parsed_and_checked() {
        let mut pax = Pax::default();
        parse(b"12 path=abc\n14 mtime=-1.5\n", &mut pax, 0).expect("parses");
        assert_eq!(pax.path.as_deref(), Some(&b"abc"[..]));
        assert_eq!(pax.mtime, Some((-2, 500_000_000)));
        for bad in [
            &b"99 path=abc\n"[..],
            b"12 path=abc!",
            b"x path=a\n",
            b"9 size=x\n",
        ] {
            assert!(parse(bad, &mut Pax::default(), 0).is_err(), "{bad:?}");
        }
    }
}
