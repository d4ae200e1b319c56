//! Human sizes and rates on the command line: `8MiB`, `8MB` (aws-cli reads MB as MiB), `20M`,
//! `1G`, `5000`, `20MB/s`.

/// # Errors
/// A message naming the bad value.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().trim_end_matches("/s");
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not a size (e.g. 8MiB, 20M, 1G)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "'{text}': unknown unit '{unit}' (use K, M, G or T)"
            ))
        }
    };
    let bytes = value * mult as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("'{text}' is out of range"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("8MB"), Ok(8 << 20));
        assert_eq!(parse_size("20M"), Ok(20 << 20));
        assert_eq!(parse_size("1.5K"), Ok(1536));
        assert_eq!(parse_size("5000"), Ok(5000));
        assert_eq!(parse_size("50MB/s"), Ok(50 << 20));
        assert!(parse_size("fast").is_err());
        assert!(parse_size("8XB").is_err());
    }
}
