//! Temporary credentials with their expiry, and the JSON document that instance metadata,
//! container endpoints and `credential_process` all answer with. Parsing only: never fetches,
//! and error texts never quote the document (it holds secrets).

use std::time::SystemTime;

use super::Credentials;
use crate::time::parse_time;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
