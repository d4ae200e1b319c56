//! New temporary credentials in AWS's shapes (`ASIA` + 16 characters, a 40-character secret, a
//! long session token), registered with the S3 server's keyring so that S3 accepts them until
//! they expire. Never logs them.

use crate::auth::{Key, Keyring};

use ring::rand::{SecureRandom, SystemRandom};
use std::time::{Duration, SystemTime};

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One issued set of temporary credentials.
pub struct Issued {
    pub access_key: String,
    pub secret: String,
    pub token: String,
    pub expires: SystemTime,
}

fn random(len: usize, alphabet: &[u8]) -> String {
    let mut bytes = vec![0u8; len];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // No OS randomness (never on the systems tests run on): the clock will do for a test.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (nanos >> (i % 16 * 8)).to_le_bytes()[0] ^ u8::try_from(i % 256).unwrap_or(0);
        }
    }
    bytes
        .iter()
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect()
}

/// An opaque token (for IMDSv2 sessions).
pub fn random_token() -> String {
    random(48, BASE64)
}

/// Issues credentials valid for `lifetime` and registers them with `keyring`.
pub fn issue(keyring: &Keyring, lifetime: Duration) -> Issued {
    let issued = Issued {
        access_key: format!("ASIA{}", random(16, UPPER_DIGITS)),
        secret: random(40, BASE64),
        token: format!("IQoJb3JpZ2luX2Vj{}", random(300, BASE64)),
        expires: SystemTime::now() + lifetime,
    };
    keyring.insert(
        &issued.access_key,
        Key {
            secret: issued.secret.clone(),
            session_token: Some(issued.token.clone()),
            expires: Some(issued.expires),
        },
    );
    issued
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_distinct_registered_keys() {
        let ring = Keyring::new("AKID", "secret");
        let a = issue(&ring, Duration::from_secs(60));
        let b = issue(&ring, Duration::from_secs(60));
        assert_ne!(a.access_key, b.access_key);
        assert!(a.access_key.starts_with("ASIA") && a.access_key.len() == 20);
        assert_eq!(a.secret.len(), 40);
        let k = ring.get(&a.access_key).expect("registered");
        assert_eq!(k.session_token.as_deref(), Some(a.token.as_str()));
        assert_eq!(k.expires, Some(a.expires));
    }
}
