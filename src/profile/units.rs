//! The human-readable sizes and rates of aws-cli's `s3` settings: `8388608`, `16MB`, `8MiB`,
//! `1GB` (aws-cli treats KB/MB/GB/TB as powers of 1024, like KiB/MiB/GiB/TiB) and bandwidth as
//! bytes per second (`1048576`, `50MB/s`). Pure parsing.

const SUFFIXES: [(&str, u64); 9] = [
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
    ("kb", 1 << 10),
    ("mb", 1 << 20),
    ("gb", 1 << 30),
    ("tb", 1 << 40),
    ("b", 1),
];

/// A size such as `16MB`, `8 MiB` or `1048576` in bytes.
///
/// # Errors
/// Anything else, described for the user.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let (number, multiplier) = SUFFIXES
        .iter()
        .find_map(|(suffix, m)| lower.strip_suffix(suffix).map(|n| (n.trim(), *m)))
        .unwrap_or((lower.as_str(), 1));
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| {
            format!("invalid size '{text}': expected bytes or a whole number with KB, MB, GB, TB, KiB, MiB, GiB or TiB")
        })
}

/// A bandwidth such as `50MB/s` or `1048576` in bytes per second.
///
/// # Errors
/// Anything else, described for the user.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (number, per_second) = match t.strip_suffix("/s").or_else(|| t.strip_suffix("/S")) {
        Some(n) => (n, true),
        None => (t, false),
    };
    let invalid =
        || format!("invalid bandwidth '{text}': expected bytes per second, e.g. 1048576 or 50MB/s");
    if !per_second {
        return t.parse::<u64>().map_err(|_| invalid());
    }
    parse_size(number).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_aws_cli() {
        assert_eq!(parse_size("8388608"), Ok(8 << 20));
        assert_eq!(parse_size("16MB"), Ok(16 << 20));
        assert_eq!(parse_size("16mb"), Ok(16 << 20));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("1GB"), Ok(1 << 30));
        assert_eq!(parse_size(" 64 KB "), Ok(64 << 10));
        assert_eq!(parse_size("2TiB"), Ok(2 << 40));
        assert_eq!(parse_size("100B"), Ok(100));
        for bad in ["", "MB", "1.5GB", "-1MB", "16XB", "99999999999TB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("1048576"), Ok(1 << 20));
        assert_eq!(parse_rate("50MB/s"), Ok(50 << 20));
        assert_eq!(parse_rate("10KiB/s"), Ok(10 << 10));
        assert_eq!(parse_rate("500B/s"), Ok(500));
        assert!(parse_rate("50MB").is_err());
        assert!(parse_rate("fast").is_err());
    }
}
