//! A pure AWS Signature Version 4 signer.
//!
//! Inputs in, signing output out: a request description, credentials, a scope (time, region,
//! service) and a payload mode give the headers to add (or a presigned query, or chunk
//! signatures). It never reads the clock, the network, files or the environment, and never logs:
//! callers decide what to show (the canonical request and string to sign, never key material).
//!
//! S3's rules are the default ([`Settings::s3`]): the key is URI-encoded once, the path is not
//! normalised, and `x-amz-content-sha256` is always sent and signed. [`Settings::generic`] gives
//! the rules of other AWS services (double encoding, normalisation), which the published test
//! suite uses.

mod canonical;
mod crypto;
pub mod testing;
mod time;

use std::sync::{Arc, Mutex, PoisonError};

pub use canonical::{canonical_query, uri_encode};
pub use crypto::{hex, sha256_hex, Sha256};
pub use time::SigningTime;

use crate::credentials::Credentials;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The SHA-256 of an empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// S3 refuses presigned URLs that live longer than seven days.
pub const MAX_PRESIGN_SECONDS: u64 = 7 * 24 * 3600;

/// How the path is encoded in the canonical URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// S3: each byte of the key encoded exactly once.
    Single,
    /// Every other service: the already-encoded path is encoded again.
    Double,
}

/// Whether a session token is part of what is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionTokenMode {
    /// Signed like any other header or query parameter (S3 requires this).
    Signed,
    /// Added after signing (some services, e.g. older STS/IoT flows).
    AppendedAfterSigning,
}

/// The service-specific choices of SigV4. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub uri_encoding: UriEncoding,
    pub normalize_path: bool,
    /// Send and sign `x-amz-content-sha256` (S3: always).
    pub content_sha256_header: bool,
    pub session_token: SessionTokenMode,
}

impl Settings {
    pub const fn s3() -> Self {
        Self {
            uri_encoding: UriEncoding::Single,
            normalize_path: false,
            content_sha256_header: true,
            session_token: SessionTokenMode::Signed,
        }
    }

    pub const fn generic() -> Self {
        Self {
            uri_encoding: UriEncoding::Double,
            normalize_path: true,
            content_sha256_header: false,
            session_token: SessionTokenMode::Signed,
        }
    }
}

/// What the last line of the canonical request says about the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadHash {
    /// Signed single chunk: lower-case hex SHA-256 of the whole body.
    Sha256Hex(String),
    /// `UNSIGNED-PAYLOAD` (HTTPS only; presigned URLs).
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked body with a signature per chunk.
    StreamingSigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked body ending in a checksum trailer.
    StreamingUnsignedTrailer,
}

impl PayloadHash {
    pub fn of(body: &[u8]) -> Self {
        Self::Sha256Hex(sha256_hex(body))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Sha256Hex(hex) => hex,
            Self::Unsigned => "UNSIGNED-PAYLOAD",
            Self::StreamingSigned => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            Self::StreamingUnsignedTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        }
    }
}

/// The request to sign. `query` is *decoded*, and so is `path` under S3 rules (the raw key
/// bytes; see [`UriEncoding`]); the signer encodes them, and
/// [`Signed::wire_path`]/[`Signed::wire_query`] are exactly what must be sent.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    /// Headers to sign, including `host`. The signer adds its own (`x-amz-date`, ...).
    pub headers: &'a [(String, String)],
}

/// Where and when: the credential scope.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub time: SigningTime,
    pub region: &'a str,
    pub service: &'a str,
}

impl Scope<'_> {
    /// `YYYYMMDD/region/service/aws4_request`.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.time.date_stamp(),
            self.region,
            self.service
        )
    }
}

/// The result of header signing.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Headers to add to the request (`x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token`, `authorization`). Contains a secret-derived signature but no key.
    pub headers: Vec<(String, String)>,
    pub wire_path: String,
    pub wire_query: String,
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
}

/// The result of query-string signing (presigning).
#[derive(Debug, Clone)]
pub struct Presigned {
    pub wire_path: String,
    /// The full query, `X-Amz-Signature` last.
    pub wire_query: String,
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// Presign expiry outside 1 s ..= 7 days.
    Expiry(u64),
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Expiry(s) => write!(
                f,
                "presign expiry of {s} s is out of range: use 1 to {MAX_PRESIGN_SECONDS} seconds (7 days)"
            ),
        }
    }
}

impl std::error::Error for SignError {}

/// Signs requests; caches the derived signing key per (access key, date, region, service), so
/// parallel part uploads share one key. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Signer {
    settings: Settings,
    cache: Mutex<Option<CachedKey>>,
}

#[derive(Debug)]
struct CachedKey {
    id: (String, String, String, String),
    key: Arc<crypto::SigningKey>,
}

impl Signer {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            cache: Mutex::new(None),
        }
    }

    pub fn s3() -> Self {
        Self::new(Settings::s3())
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn key(&self, creds: &Credentials, scope: &Scope) -> Arc<crypto::SigningKey> {
        let id = (
            creds.access_key_id().to_owned(),
            scope.time.date_stamp(),
            scope.region.to_owned(),
            scope.service.to_owned(),
        );
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cached) = cache.as_ref().filter(|c| c.id == id) {
            return Arc::clone(&cached.key);
        }
        let key = Arc::new(crypto::SigningKey::derive(
            creds.secret_access_key(),
            &id.1,
            scope.region,
            scope.service,
        ));
        *cache = Some(CachedKey {
            id,
            key: Arc::clone(&key),
        });
        key
    }

    /// Signs with the `Authorization` header.
    pub fn sign(
        &self,
        req: &Request,
        creds: &Credentials,
        scope: &Scope,
        payload: &PayloadHash,
    ) -> Signed {
        let amz_date = scope.time.amz_date();
        let mut signed_input: Vec<(String, String)> = req
            .headers
            .iter()
            .filter(|(k, _)| !is_signer_header(k))
            .cloned()
            .collect();
        let mut added = vec![("x-amz-date".to_owned(), amz_date.clone())];
        if self.settings.content_sha256_header {
            added.push((
                "x-amz-content-sha256".to_owned(),
                payload.as_str().to_owned(),
            ));
        }
        let token = creds
            .session_token()
            .map(|t| ("x-amz-security-token".to_owned(), t.to_owned()));
        signed_input.extend(added.iter().cloned());
        if self.settings.session_token == SessionTokenMode::Signed {
            signed_input.extend(token.iter().cloned());
        }
        added.extend(token);

        let wire_path = canonical::wire_path(req.path, &self.settings);
        let wire_query = canonical_query(req.query);
        let (canonical_headers, signed_headers) = canonical::canonical_headers(&signed_input);
        let canonical_request = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method,
            canonical::canonical_uri(&wire_path, &self.settings),
            wire_query,
            canonical_headers,
            signed_headers,
            payload.as_str()
        );
        let string_to_sign = string_to_sign(&amz_date, scope, &canonical_request);
        let signature = self.key(creds, scope).sign_hex(string_to_sign.as_bytes());
        added.push((
            "authorization".to_owned(),
            format!(
                "{ALGORITHM} Credential={}/{},SignedHeaders={signed_headers},Signature={signature}",
                creds.access_key_id(),
                scope.credential_scope()
            ),
        ));
        Signed {
            headers: added,
            wire_path,
            wire_query,
            canonical_request,
            string_to_sign,
            signature,
        }
    }

    /// Signs with the query string (a presigned URL valid for `expires_in` seconds).
    /// `payload` is [`PayloadHash::Unsigned`] for S3.
    ///
    /// # Errors
    /// [`SignError::Expiry`] when `expires_in` is not within 1 s ..= 7 days.
    pub fn presign(
        &self,
        req: &Request,
        creds: &Credentials,
        scope: &Scope,
        expires_in: u64,
        payload: &PayloadHash,
    ) -> Result<Presigned, SignError> {
        if !(1..=MAX_PRESIGN_SECONDS).contains(&expires_in) {
            return Err(SignError::Expiry(expires_in));
        }
        let amz_date = scope.time.amz_date();
        let (canonical_headers, signed_headers) = canonical::canonical_headers(req.headers);
        let mut query: Vec<(String, String)> = req.query.to_vec();
        query.extend([
            ("X-Amz-Algorithm".to_owned(), ALGORITHM.to_owned()),
            (
                "X-Amz-Credential".to_owned(),
                format!("{}/{}", creds.access_key_id(), scope.credential_scope()),
            ),
            ("X-Amz-Date".to_owned(), amz_date.clone()),
            ("X-Amz-Expires".to_owned(), expires_in.to_string()),
            ("X-Amz-SignedHeaders".to_owned(), signed_headers.clone()),
        ]);
        let token = creds
            .session_token()
            .map(|t| ("X-Amz-Security-Token".to_owned(), t.to_owned()));
        if self.settings.session_token == SessionTokenMode::Signed {
            query.extend(token.iter().cloned());
        }
        let wire_path = canonical::wire_path(req.path, &self.settings);
        let canonical_request = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method,
            canonical::canonical_uri(&wire_path, &self.settings),
            canonical_query(&query),
            canonical_headers,
            signed_headers,
            payload.as_str()
        );
        let string_to_sign = string_to_sign(&amz_date, scope, &canonical_request);
        let signature = self.key(creds, scope).sign_hex(string_to_sign.as_bytes());
        if self.settings.session_token == SessionTokenMode::AppendedAfterSigning {
            query.extend(token);
        }
        let mut wire_query = canonical_query(&query);
        wire_query.push_str("&X-Amz-Signature=");
        wire_query.push_str(&signature);
        Ok(Presigned {
            wire_path,
            wire_query,
            canonical_request,
            string_to_sign,
            signature,
        })
    }

    /// A signer for the chunks of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body, chained from the
    /// request's (seed) signature (see [`testing`]).
    pub fn chunk_signer(
        &self,
        creds: &Credentials,
        scope: &Scope,
        seed_signature: &str,
    ) -> testing::ChunkSigner {
        testing::ChunkSigner::new(
            self.key(creds, scope),
            scope.time.amz_date(),
            scope.credential_scope(),
            seed_signature.to_owned(),
        )
    }
}

fn is_signer_header(name: &str) -> bool {
    [
        "x-amz-date",
        "x-amz-content-sha256",
        "x-amz-security-token",
        "authorization",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

fn string_to_sign(amz_date: &str, scope: &Scope, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        scope.credential_scope(),
        sha256_hex(canonical_request.as_bytes())
    )
}
