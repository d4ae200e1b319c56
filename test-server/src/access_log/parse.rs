//! Reading access-log lines back into [`LogRecord`]s, both formats: the S3 line's fields
//! (`[time]` and `"quoted"` fields whole), or the JSON object. Names the log writes as
//! `&'static str` (signature version, authentication type, payload mode, verdict) are read back
//! from the same enums that wrote them.

use super::LogRecord;
use crate::clock;
use crate::facts::{AuthType, PayloadMode, SigVersion};

const VERDICTS: [&str; 2] = ["accepted", "rejected"];

/// The `&'static` name among `names` equal to `v`.
fn known(v: &str, names: impl IntoIterator<Item = &'static str>) -> Option<&'static str> {
    names.into_iter().find(|n| *n == v)
}

fn sig_name(v: &str) -> Option<&'static str> {
    known(v, SigVersion::ALL.map(SigVersion::log_name))
}

fn auth_name(v: &str) -> Option<&'static str> {
    known(v, AuthType::ALL.map(AuthType::log_name))
}

/// The fields of an S3 log line: `[...]` and `"..."` (with `\"` inside) are one field each.
fn split_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        let mut field = String::new();
        match c {
            ' ' => {
                chars.next();
                continue;
            }
            '"' => {
                chars.next();
                loop {
                    match chars.next()? {
                        '\\' if chars.peek() == Some(&'"') => field.push(chars.next()?),
                        '"' => break,
                        other => field.push(other),
                    }
                }
            }
            '[' => {
                for c in chars.by_ref() {
                    field.push(c);
                    if c == ']' {
                        break;
                    }
                }
            }
            _ => {
                while let Some(c) = chars.next_if(|c| *c != ' ') {
                    field.push(c);
                }
            }
        }
        fields.push(field);
    }
    Some(fields)
}

fn opt(v: &str) -> Option<String> {
    (v != "-").then(|| v.to_owned())
}

fn num(v: &str) -> Option<u64> {
    v.parse().ok()
}

fn verdict(status: u16, error_code: Option<&String>) -> &'static str {
    if status < 400 && error_code.is_none() {
        VERDICTS[0]
    } else {
        VERDICTS[1]
    }
}

impl LogRecord {
    /// Reads a line of either format back; `None` for anything else (e.g. a line being
    /// written).
    pub fn parse(line: &str) -> Option<Self> {
        if line.starts_with('{') {
            Self::from_json_line(line)
        } else {
            Self::from_s3_line(line)
        }
    }

    /// Reads an S3 server access log line. The JSON-only fields come back empty (`-`, `None`)
    /// and the verdict is derived from the status and error code, as when it was written.
    pub fn from_s3_line(line: &str) -> Option<Self> {
        let f = split_fields(line)?;
        if !(26..=27).contains(&f.len()) {
            return None;
        }
        let status = num(&f[9]).and_then(|s| u16::try_from(s).ok())?;
        let error_code = opt(&f[10]);
        Some(Self {
            bucket_owner: f[0].clone(),
            bucket: opt(&f[1]),
            time: clock::parse_log_time(&f[2])?,
            remote_ip: f[3].parse().ok()?,
            requester: opt(&f[4]),
            request_id: f[5].clone(),
            operation: f[6].clone(),
            key: f[7].clone(),
            request_uri: f[8].clone(),
            status,
            verdict: verdict(status, error_code.as_ref()),
            error_code,
            bytes_sent: num(&f[11]).unwrap_or(0),
            object_size: num(&f[12]),
            total_time_ms: num(&f[13])?,
            turn_around_ms: num(&f[14]),
            referer: opt(&f[15]),
            user_agent: opt(&f[16]),
            host_id: f[18].clone(),
            signature_version: sig_name(&f[19])?,
            cipher_suite: opt(&f[20]),
            auth_type: auth_name(&f[21])?,
            host_header: opt(&f[22]),
            tls_version: opt(&f[23]),
            payload_mode: PayloadMode::Absent.log_name(),
            checksum: None,
            access_key_id: None,
            region: None,
            fault: f
                .get(26)
                .and_then(|x| x.strip_prefix("fault:"))
                .map(str::to_owned),
        })
    }

    /// Reads a JSON access log line.
    pub fn from_json_line(line: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let text = |k: &str| v[k].as_str().map(str::to_owned);
        let name = |k: &str| v[k].as_str().unwrap_or("-").to_owned();
        Some(Self {
            bucket_owner: text("bucket_owner")?,
            bucket: text("bucket"),
            time: clock::parse_iso8601_utc(v["time"].as_str()?)?,
            remote_ip: v["remote_ip"].as_str()?.parse().ok()?,
            requester: text("requester"),
            request_id: text("request_id")?,
            operation: text("operation")?,
            key: text("key")?,
            request_uri: text("request_uri")?,
            status: u16::try_from(v["status"].as_u64()?).ok()?,
            error_code: text("error_code"),
            bytes_sent: v["bytes_sent"].as_u64()?,
            object_size: v["object_size"].as_u64(),
            total_time_ms: v["total_time_ms"].as_u64()?,
            turn_around_ms: v["turn_around_time_ms"].as_u64(),
            referer: text("referer"),
            user_agent: text("user_agent"),
            host_id: text("host_id")?,
            signature_version: sig_name(&name("signature_version"))?,
            cipher_suite: text("cipher_suite"),
            auth_type: auth_name(&name("authentication_type"))?,
            host_header: text("host_header"),
            tls_version: text("tls_version"),
            payload_mode: known(
                &name("payload_mode"),
                PayloadMode::ALL.map(PayloadMode::log_name),
            )?,
            checksum: text("checksum"),
            access_key_id: text("access_key_id"),
            region: text("region"),
            verdict: known(&name("verdict"), VERDICTS)?,
            fault: text("fault"),
        })
    }
}
