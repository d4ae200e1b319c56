//! AWS credentials: the access key id, the secret key and an optional session token.
//! `Debug` and `Display` show only the (masked) access key id and whether a token is present;
//! the secret and token live in zeroizing buffers and never reach any output.

pub(crate) mod chain;
pub(crate) mod container;
pub mod expiring;
pub(crate) mod imds;
pub mod process;
pub(crate) mod refresh;
pub mod web_identity;

use std::time::Duration;

use zeroize::Zeroizing;

use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        let secret_access_key = Zeroizing::new(secret_access_key.into());
        let session_token = session_token.filter(|t| !t.is_empty()).map(Zeroizing::new);
        crate::redact::register(&secret_access_key);
        if let Some(t) = &session_token {
            crate::redact::register(t);
        }
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key,
            session_token,
        }
    }

    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, read through
    /// `lookup` (so tests need not touch the process environment). `None` unless both the key id
    /// and the secret are set and non-empty.
    pub(crate) fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let id = lookup("AWS_ACCESS_KEY_ID").filter(|v| !v.is_empty())?;
        let secret = lookup("AWS_SECRET_ACCESS_KEY").filter(|v| !v.is_empty())?;
        Some(Self::new(id, secret, lookup("AWS_SESSION_TOKEN")))
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref().map(String::as_str)
    }

    /// The access key id with all but its first four and last four characters masked.
    pub fn masked_access_key_id(&self) -> String {
        mask(&self.access_key_id)
    }
}

pub(crate) fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.masked_access_key_id())
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

impl std::fmt::Display for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "access key {} ({} session token)",
            self.masked_access_key_id(),
            if self.session_token.is_some() {
                "with"
            } else {
                "no"
            }
        )
    }
}

/// A source of credentials that may change over time (temporary credentials are refreshed
/// before they expire, also in the middle of a long upload).
pub trait ProvideCredentials: Send + Sync {
    /// The credentials to sign the next request with.
    ///
    /// # Errors
    /// When the source cannot give credentials (e.g. a metadata service stopped answering).
    fn credentials(&self) -> Result<Credentials, crate::error::Error>;
    /// The server said the credentials expired: fetch new ones on the next call.
    fn invalidate(&self) {}
    /// Where the credentials come from, for `doctor` and errors (e.g. "environment").
    fn source(&self) -> String;
    /// The region this source knows (instance metadata's `placement/region`), if any.
    fn region(&self) -> Option<String> {
        None
    }
}

/// Credentials that never change (environment, flags, a static profile).
#[derive(Debug, Clone)]
pub struct StaticCredentials {
    pub credentials: Credentials,
    pub source: String,
}

impl ProvideCredentials for StaticCredentials {
    fn credentials(&self) -> Result<Credentials, crate::error::Error> {
        Ok(self.credentials.clone())
    }
    fn source(&self) -> String {
        self.source.clone()
    }
}

/// Sends a request to a local credentials service (instance metadata, container credentials)
/// up to `attempts` times: 5xx answers and transient transport failures are tried again after
/// `pause`. These services are near and fast, so there is no backoff.
pub(crate) fn send_retrying(
    transport: &Transport,
    req: &HttpRequest,
    attempts: u32,
    pause: Duration,
) -> Result<HttpResponse, TransportError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = transport.send(req);
        let again = match &result {
            Ok(r) => r.status >= 500,
            Err(e) => e.is_retryable(),
        };
        if !again || attempt >= attempts {
            return result;
        }
        std::thread::sleep(pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_secret_or_token() {
        let c = Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            Some("TOKEN-SECRET-123".into()),
        );
        for shown in [format!("{c:?}"), format!("{c}"), format!("{c:#?}")] {
            assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
            assert!(!shown.contains("TOKEN-SECRET"), "{shown}");
            assert!(!shown.contains("AKIAIOSFODNN7EXAMPLE"), "{shown}");
            assert!(shown.contains("AKIA"), "{shown}");
        }
    }

    #[test]
    fn loads_from_env_lookup() {
        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("AKID".to_owned()),
            "AWS_SECRET_ACCESS_KEY" => Some("secret".to_owned()),
            "AWS_SESSION_TOKEN" => Some(String::new()),
            _ => None,
        };
        let c = Credentials::from_env(env).expect("credentials");
        assert_eq!(c.access_key_id(), "AKID");
        assert_eq!(c.session_token(), None);
        assert!(Credentials::from_env(|_| None).is_none());
    }
}
