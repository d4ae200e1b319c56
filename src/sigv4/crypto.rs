//! The signer's only contact with `ring`: SHA-256, HMAC-SHA256 and the SigV4 key-derivation chain.
//! Never logs or formats key material.

use ring::{digest, hmac};

/// Lower-case hex of the SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

/// Incremental SHA-256, for payloads hashed while they stream.
#[derive(Clone)]
pub struct Sha256(digest::Context);

impl Sha256 {
    pub fn new() -> Self {
        Self(digest::Context::new(&digest::SHA256))
    }
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    pub fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.0.finish().as_ref());
        out
    }
    pub fn finish_hex(self) -> String {
        hex(&self.finish())
    }
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

/// The derived signing key: kSecret -> kDate -> kRegion -> kService -> kSigning.
/// Built once per (date, region, service) and reused: ring's `hmac::Key` precomputes the padded
/// key blocks, so reuse saves four HMACs per request.
pub(super) struct SigningKey(hmac::Key);

impl SigningKey {
    pub(super) fn derive(secret: &str, date: &str, region: &str, service: &str) -> Self {
        let mut k_secret = Vec::with_capacity(4 + secret.len());
        k_secret.extend_from_slice(b"AWS4");
        k_secret.extend_from_slice(secret.as_bytes());
        let k_date = hmac_raw(&k_secret, date.as_bytes());
        zeroize::Zeroize::zeroize(&mut k_secret);
        let k_region = hmac_raw(k_date.as_ref(), region.as_bytes());
        let k_service = hmac_raw(k_region.as_ref(), service.as_bytes());
        let k_signing = hmac_raw(k_service.as_ref(), b"aws4_request");
        Self(hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref()))
    }

    /// Lower-case hex HMAC-SHA256 of `data` under this key: a SigV4 signature.
    pub(super) fn sign_hex(&self, data: &[u8]) -> String {
        hex(hmac::sign(&self.0, data).as_ref())
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

fn hmac_raw(key: &[u8], data: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sha256() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut inc = Sha256::new();
        inc.update(b"Welcome to ");
        inc.update(b"Amazon S3.");
        assert_eq!(inc.finish_hex(), sha256_hex(b"Welcome to Amazon S3."));
    }
}
