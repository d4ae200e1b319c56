//! Who may call the server: the keyring of access keys (the configured one, plus temporary
//! ones with session tokens and expiry), the `S3Auth` that hands s3s the secret to verify a
//! signature with, and the `S3Access` check that runs after verification (signature present,
//! session token valid and unexpired, keys that cannot escape the bucket). It never verifies
//! signatures itself (the gate verifies form uploads' policy signatures before s3s does).

use crate::clock::Clock;
use crate::store::key_problem;

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::path::S3Path;
use s3s::{s3_error, S3Error, S3ErrorCode, S3Result};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// A stable fake canonical user id for an access key (64 hex digits, like S3's).
pub fn canonical_id(access_key: &str) -> String {
    use s3s::crypto::Checksum as _;
    let digest = s3s::crypto::Sha256::checksum(format!("s3up-test-server:{access_key}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One access key's secret and, for temporary credentials, token and expiry.
#[derive(Clone)]
pub struct Key {
    /// Secret access key.
    pub secret: String,
    /// Session token that must accompany the key.
    pub session_token: Option<String>,
    /// When the key stops working (`ExpiredToken`).
    pub expires: Option<SystemTime>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// All access keys the server knows.
#[derive(Debug, Default)]
pub struct Keyring {
    keys: RwLock<HashMap<String, Key>>,
}

impl Keyring {
    /// A keyring with one permanent key.
    pub fn new(access_key: &str, secret_key: &str) -> Arc<Self> {
        let ring = Arc::new(Self::default());
        ring.insert(
            access_key,
            Key {
                secret: secret_key.to_owned(),
                session_token: None,
                expires: None,
            },
        );
        ring
    }

    /// Adds or replaces a key.
    pub fn insert(&self, access_key: &str, key: Key) {
        let mut keys = self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.insert(access_key.to_owned(), key);
    }

    /// Looks a key up.
    pub fn get(&self, access_key: &str) -> Option<Key> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.get(access_key).cloned()
    }
}

/// Gives s3s the secret of a known access key.
#[derive(Debug, Clone)]
pub struct Auth(pub Arc<Keyring>);

#[async_trait::async_trait]
impl S3Auth for Auth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.get(access_key) {
            Some(k) => Ok(SecretKey::from(k.secret)),
            None => Err(S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records.",
            )),
        }
    }
}

/// Post-verification checks on every request.
#[derive(Debug, Clone)]
pub struct Access {
    /// Known keys.
    pub keyring: Arc<Keyring>,
    /// Server clock (for token expiry).
    pub clock: Clock,
}

/// The `x-amz-security-token` field of a browser-form POST upload, put in the request's
/// extensions by the front door (s3s does not pass form fields to access checks).
#[derive(Debug, Clone)]
pub struct FormSessionToken(pub String);

fn session_token(cx: &mut S3AccessContext<'_>) -> Option<String> {
    if let Some(FormSessionToken(t)) = cx.extensions_mut().get::<FormSessionToken>() {
        return Some(t.clone());
    }
    if let Some(v) = cx
        .headers()
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
    {
        return Some(v.to_owned());
    }
    let q = cx.uri().query()?;
    q.split('&').find_map(|p| {
        let v = p.strip_prefix("X-Amz-Security-Token=")?;
        Some(
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned(),
        )
    })
}

fn check_key(key: &str) -> S3Result<()> {
    match key_problem(key) {
        Some(why) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("Invalid object key {key:?}: {why}."),
        )),
        None => Ok(()),
    }
}

impl Access {
    fn check_token(&self, cx: &mut S3AccessContext<'_>, access_key: &str) -> S3Result<()> {
        let Some(key) = self.keyring.get(access_key) else {
            return Ok(());
        };
        let Some(want) = key.session_token.as_deref() else {
            return Ok(());
        };
        match session_token(cx) {
            None => Err(S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records (temporary credentials need x-amz-security-token).",
            )),
            Some(got) if got != want => Err(S3Error::with_message(
                S3ErrorCode::InvalidToken,
                "The provided token is malformed or otherwise invalid.",
            )),
            Some(_) if key.expires.is_some_and(|t| self.clock.now() >= t) => {
                Err(S3Error::with_message(S3ErrorCode::ExpiredToken, "The provided token has expired."))
            }
            Some(_) => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(creds) = cx.credentials() else {
            return Err(s3_error!(
                AccessDenied,
                "Anonymous access is not allowed: sign the request with AWS Signature Version 4"
            ));
        };
        let access_key = creds.access_key.clone();
        self.check_token(cx, &access_key)?;
        if let S3Path::Object { key, .. } = cx.s3_path() {
            check_key(key)?;
        }
        if let Some(src) = cx
            .headers()
            .get("x-amz-copy-source")
            .and_then(|v| v.to_str().ok())
        {
            let decoded = percent_encoding::percent_decode_str(src).decode_utf8_lossy();
            let path = decoded
                .split('?')
                .next()
                .unwrap_or("")
                .trim_start_matches('/');
            if let Some((_, key)) = path.split_once('/') {
                check_key(key)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_ids_are_stable_hex() {
        let a = canonical_id("AKID");
        assert_eq!(a.len(), 64);
        assert_eq!(a, canonical_id("AKID"));
        assert_ne!(a, canonical_id("OTHER"));
    }

    #[test]
    fn key_debug_hides_secrets() {
        let k = Key {
            secret: "s3cr3t".into(),
            session_token: Some("tok3n".into()),
            expires: None,
        };
        let d = format!("{k:?}");
        assert!(!d.contains("s3cr3t") && !d.contains("tok3n"), "{d}");
    }
}
