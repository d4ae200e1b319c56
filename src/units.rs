//! Sizes and rates as people write them, on the command line and in aws-cli's config files:
//! `8388608`, `8MiB`, `16MB`, `20M`, `1.5G`, `64 KB`, and rates with an optional `/s`
//! (`50MB/s`, `20M`). Like aws-cli, KB/MB/GB/TB are powers of 1024 (the same as KiB/MiB/...).
//! One grammar for a setting wherever it is given. Pure parsing.

const UNITS: [(&str, u64); 13] = [
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
    ("kb", 1 << 10),
    ("mb", 1 << 20),
    ("gb", 1 << 30),
    ("tb", 1 << 40),
    ("k", 1 << 10),
    ("m", 1 << 20),
    ("g", 1 << 30),
    ("t", 1 << 40),
    ("b", 1),
];

/// A size in bytes.
///
/// # Errors
/// Anything else, described for the user.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let invalid = || {
        format!("invalid size '{text}': expected bytes or a number with K, M, G or T (e.g. 8MiB, 20M, 1.5G)")
    };
    let lower = text.trim().to_ascii_lowercase();
    let (number, multiplier) = UNITS
        .iter()
        .find_map(|(unit, m)| lower.strip_suffix(unit).map(|n| (n.trim(), *m)))
        .unwrap_or((lower.as_str(), 1));
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(invalid());
    }
    if let Ok(whole) = number.parse::<u64>() {
        return whole.checked_mul(multiplier).ok_or_else(invalid);
    }
    // A fraction must still come to whole bytes (1.5K is 1536; 0.3 bytes is nothing).
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let bytes = value * multiplier as f64;
    if !bytes.is_finite() || bytes.fract() != 0.0 || bytes > u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(bytes as u64)
}

/// A bandwidth in bytes per second: a size, optionally followed by `/s`.
///
/// # Errors
/// Anything else, described for the user.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let number = t
        .strip_suffix("/s")
        .or_else(|| t.strip_suffix("/S"))
        .unwrap_or(t);
    parse_size(number).map_err(|_| {
        format!(
            "invalid bandwidth '{text}': expected bytes per second, e.g. 1048576, 20M or 50MB/s"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8388608"), Ok(8 << 20));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("8MB"), Ok(8 << 20));
        assert_eq!(parse_size("16mb"), Ok(16 << 20));
        assert_eq!(parse_size("20M"), Ok(20 << 20));
        assert_eq!(parse_size("1GB"), Ok(1 << 30));
        assert_eq!(parse_size(" 64 KB "), Ok(64 << 10));
        assert_eq!(parse_size("2TiB"), Ok(2 << 40));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("1.5K"), Ok(1536));
        assert_eq!(parse_size("1.5GB"), Ok(3 << 29));
        assert_eq!(parse_size("5000"), Ok(5000));
        for bad in [
            "",
            "MB",
            "-1MB",
            "16XB",
            "8XB",
            "fast",
            "99999999999TB",
            "0.3",
            "1.2.3M",
            "1e3",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("1048576"), Ok(1 << 20));
        assert_eq!(parse_rate("50MB/s"), Ok(50 << 20));
        assert_eq!(parse_rate("10KiB/s"), Ok(10 << 10));
        assert_eq!(parse_rate("500B/s"), Ok(500));
        assert_eq!(parse_rate("20M"), Ok(20 << 20));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("/s").is_err());
    }
}
