//! Temporary credentials with their expiry, and the JSON document that instance metadata,
//! container endpoints and `credential_process` all answer with. Parsing only: never fetches,
//! and error texts never quote the document (it holds secrets).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Credentials;
use crate::sigv4::SigningTime;

/// Credentials and when they stop working (`None`: never).
#[derive(Debug, Clone)]
pub struct Expiring {
    pub credentials: Credentials,
    pub expires: Option<SystemTime>,
}

/// Which token field a document carries: `Token` (instance metadata, containers) or
/// `SessionToken` (`credential_process`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenField {
    Token,
    SessionToken,
}

/// Reads `{"AccessKeyId", "SecretAccessKey", "Token"|"SessionToken", "Expiration"}`; a `Code`
/// other than `Success` (instance metadata) is an error carrying the code and message.
///
/// # Errors
/// A description naming the missing or malformed field, never a value.
pub fn parse_json(body: &[u8], token: TokenField) -> Result<Expiring, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let field = |name: &str| doc.get(name).and_then(serde_json::Value::as_str);
    if let Some(code) = field("Code").filter(|c| *c != "Success") {
        return Err(format!(
            "the answer says {code}: {}",
            field("Message").unwrap_or("no message")
        ));
    }
    let required = |name: &str| {
        field(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("the answer has no {name}"))
    };
    let id = required("AccessKeyId")?;
    let secret = required("SecretAccessKey")?;
    let token = match token {
        TokenField::Token => field("Token"),
        TokenField::SessionToken => field("SessionToken"),
    };
    let expires = match field("Expiration") {
        Some(t) => Some(
            parse_time(t)
                .ok_or_else(|| "the answer's Expiration is not an ISO 8601 time".to_owned())?,
        ),
        None => None,
    };
    Ok(Expiring {
        credentials: Credentials::new(id, secret, token.map(str::to_owned)),
        expires,
    })
}

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
    fn parses_instance_metadata_documents() {
        let doc = br#"{"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z","Type":"AWS-HMAC",
            "AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"sekrit","Token":"tok",
            "Expiration":"2026-01-01T06:00:00Z"}"#;
        let e = parse_json(doc, TokenField::Token).expect("parses");
        assert_eq!(e.credentials.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(e.credentials.session_token(), Some("tok"));
        assert_eq!(e.expires, parse_time("2026-01-01T06:00:00Z"));
    }

    #[test]
    fn errors_never_quote_secrets() {
        let cases: [&[u8]; 4] = [
            br#"{"Code":"Failed","Message":"no role"}"#,
            br#"{"AccessKeyId":"A","SecretAccessKey":""}"#,
            br#"{"AccessKeyId":"A","SecretAccessKey":"sekrit","Expiration":"soon"}"#,
            b"sekrit not json",
        ];
        for doc in cases {
            let e = parse_json(doc, TokenField::SessionToken).expect_err("fails");
            assert!(!e.contains("sekrit"), "{e}");
        }
    }

    #[test]
    fn times_with_multibyte_characters_are_refused_not_a_panic() {
        // Found by the credential_answers fuzz target.
        assert_eq!(parse_time("aé12345"), None);
        assert_eq!(parse_time("2026-11-29T03:22:31é:00"), None);
    }
}
