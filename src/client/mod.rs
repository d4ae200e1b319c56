//! Where signing meets I/O: address a request, sign it with the current time and credentials,
//! send it, classify the answer, and retry what is worth retrying.
//!
//! Self-correcting as the spec asks: a `RequestTimeTooSkewed` answer sets the clock offset from
//! the server's `Date` and re-signs; a wrong-region answer switches region and re-signs; an
//! expired token refreshes the credentials. Transient faults (5xx, SlowDown, RequestTimeout,
//! resets, timeouts) are retried with exponential backoff and full jitter. What an answer
//! means, and the corrections, are in [`answer`].

mod answer;
mod outgoing;

pub(crate) use answer::s3_error;
use answer::{short_answer, succeeded, Correction};
use outgoing::{Counted, Outgoing};

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::body::{Body, Sink};
use crate::credentials::ProvideCredentials;
use crate::error::Error;
use crate::s3::addr::{AddressingStyle, Endpoint};
use crate::s3::ops::S3Request;
use crate::sigv4::{PayloadHash, Request, Scope, Sha256, Signer, SigningTime, EMPTY_SHA256};
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// Bodies from this size on are sent with `Expect: 100-continue` (botocore's threshold).
const EXPECT_CONTINUE_FROM: u64 = 1024 * 1024;

/// Retry and signing policy of a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub endpoint: Endpoint,
    pub region: String,
    pub addressing_style: AddressingStyle,
    /// Total attempts per request (1 = no retry).
    pub max_attempts: u32,
    /// When request bodies are signed.
    pub payload_signing: PayloadSigning,
    /// First backoff step; each retry doubles it (up to `backoff_cap`), then full jitter.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl ClientOptions {
    pub fn new(endpoint: Endpoint, region: impl Into<String>) -> Self {
        Self {
            endpoint,
            region: region.into(),
            addressing_style: AddressingStyle::Auto,
            max_attempts: 5,
            payload_signing: PayloadSigning::Auto,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(10),
        }
    }
}

/// When request bodies are signed with their SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadSigning {
    /// Over HTTPS, bodies that carry a checksum go as `UNSIGNED-PAYLOAD` (TLS and the checksum
    /// protect them, as the AWS SDKs send them); everything else, and everything over plain
    /// HTTP, is signed.
    #[default]
    Auto,
    /// Every body is signed (`--payload-signing always`, the profile's
    /// `s3 = payload_signing_enabled = true`).
    Always,
}

/// A signed S3 client shared by all upload workers.
pub struct Client {
    transport: Transport,
    signer: Signer,
    credentials: Arc<dyn ProvideCredentials>,
    options: ClientOptions,
    region: RwLock<String>,
    clock_offset: AtomicI64,
    retries: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.options.endpoint)
            .field("region", &self.region())
            .finish_non_exhaustive()
    }
}

/// The parts of an answer callers need.
pub type Response = HttpResponse;

/// Who a client signs as (never a secret).
#[derive(Debug, Clone)]
pub struct Identity {
    /// The access key id, all but its first and last four characters masked.
    pub masked_access_key_id: String,
    /// Where the credentials came from (e.g. "environment (AWS_ACCESS_KEY_ID)").
    pub source: String,
    /// Whether a session token signs along (temporary credentials).
    pub session_token: bool,
}

impl Client {
    pub fn new(
        transport: Transport,
        credentials: Arc<dyn ProvideCredentials>,
        options: ClientOptions,
    ) -> Self {
        Self {
            transport,
            signer: Signer::s3(),
            credentials,
            region: RwLock::new(options.region.clone()),
            options,
            clock_offset: AtomicI64::new(0),
            retries: AtomicU64::new(0),
        }
    }

    pub fn region(&self) -> String {
        self.region
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn options(&self) -> &ClientOptions {
        &self.options
    }

    pub fn credentials_source(&self) -> String {
        self.credentials.source()
    }

    /// Seconds the local clock is behind the server's, as learnt from a skew answer.
    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::Relaxed)
    }

    /// Retries made so far by this client (all requests).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// The endpoint in use: a custom one as given; AWS's follows the current region.
    pub fn endpoint(&self) -> Endpoint {
        if self.options.endpoint.custom {
            self.options.endpoint.clone()
        } else {
            Endpoint::aws(&self.region())
        }
    }

    /// The signing time: the local clock, corrected by what skew answers taught.
    pub fn now(&self) -> SigningTime {
        let local = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        SigningTime(local + self.clock_offset())
    }

    /// Who the client signs as, without any secret: for `doctor`.
    ///
    /// # Errors
    /// When the credentials source cannot give credentials.
    pub fn identity(&self) -> Result<Identity, Error> {
        let creds = self.credentials.credentials()?;
        Ok(Identity {
            masked_access_key_id: creds.masked_access_key_id(),
            source: self.credentials.source(),
            session_token: creds.session_token().is_some(),
        })
    }

    /// A SigV4 query-string presigned URL for `method` on the object, valid `expires_in`
    /// seconds from now.
    ///
    /// # Errors
    /// Credentials errors, or an expiry S3 does not allow (a usage error).
    pub fn presign(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        expires_in: u64,
    ) -> Result<String, Error> {
        let endpoint = self.endpoint();
        let loc = endpoint.locate(bucket, key, self.options.addressing_style);
        let creds = self.credentials.credentials()?;
        let region = self.region();
        let headers = [("host".to_owned(), loc.host.clone())];
        let request = Request {
            method,
            path: &loc.path,
            query: &[],
            headers: &headers,
        };
        let scope = Scope {
            time: self.now(),
            region: &region,
            service: "s3",
        };
        let presigned = self
            .signer
            .presign(&request, &creds, &scope, expires_in, &PayloadHash::Unsigned)
            .map_err(|e| Error::Usage(e.to_string()))?;
        log::debug!(
            "presign canonical request:\n{}\n-- string to sign:\n{}",
            presigned.canonical_request,
            presigned.string_to_sign
        );
        Ok(format!(
            "{}{}?{}",
            endpoint.base_url(&loc.host),
            presigned.wire_path,
            presigned.wire_query
        ))
    }

    /// Sends `req`, hashing its body here for the signature (uploads hash their bodies while
    /// computing their checksum and use [`send_with_payload`](Self::send_with_payload)).
    ///
    /// # Errors
    /// The S3 error after retries, a transport error after retries, or a credentials error.
    pub fn send(&self, req: &S3Request) -> Result<Response, Error> {
        let payload = self.payload_hash(&req.body)?;
        self.send_with_payload(req, &payload)
    }

    /// The payload hash to sign `body` with: its SHA-256 (the bodies sent through here are
    /// small documents, or carry no checksum).
    fn payload_hash(&self, body: &Body) -> Result<PayloadHash, Error> {
        let mut sha = Sha256::new();
        body.for_each_chunk(|chunk| sha.update(chunk))
            .map_err(|source| Error::Source {
                path: "request body".into(),
                source,
            })?;
        Ok(PayloadHash::Sha256Hex(sha.finish_hex()))
    }

    /// Whether a body with a checksum may go unsigned: over HTTPS, unless signing is forced.
    /// Over plain HTTP nothing else protects a body, so it is always signed.
    pub(crate) fn may_send_unsigned(&self) -> bool {
        self.options.payload_signing == PayloadSigning::Auto && self.endpoint().scheme == "https"
    }

    /// Sends `req` whose payload hash is already known (hashed while it was read).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub(crate) fn send_with_payload(
        &self,
        req: &S3Request,
        payload: &PayloadHash,
    ) -> Result<Response, Error> {
        self.send_attempts(Outgoing::Fixed(req), payload, self.options.max_attempts)
    }

    /// Like [`send`](Self::send) with at least `min_attempts` attempts, whatever `--retries`
    /// says: for cleanup (AbortMultipartUpload), which must not give up after one 503.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub(crate) fn send_cleanup(
        &self,
        req: &S3Request,
        min_attempts: u32,
    ) -> Result<Response, Error> {
        let payload = self.payload_hash(&req.body)?;
        let attempts = self.options.max_attempts.max(min_attempts);
        self.send_attempts(Outgoing::Fixed(req), &payload, attempts)
    }

    /// A GET whose body (`len` bytes) goes to `sink` as it arrives. `request(received)` builds
    /// the request for the body bytes after the first `received`: when the connection breaks
    /// mid-body, or the answer ends short, only the rest is asked for again (and every retry
    /// that brought bytes earns fresh attempts). The answer's `body` is empty.
    ///
    /// # Errors
    /// As [`send`](Self::send); a failing sink is a transport error of kind `Local`.
    pub(crate) fn get_into<'a>(
        &self,
        request: &dyn Fn(u64) -> S3Request<'a>,
        len: u64,
        sink: &mut dyn Sink,
    ) -> Result<Response, Error> {
        let mut counted = Counted { sink, received: 0 };
        let out = Outgoing::Resuming {
            request,
            len,
            sink: &mut counted,
            moved: false,
        };
        self.send_attempts(
            out,
            &PayloadHash::Sha256Hex(EMPTY_SHA256.to_owned()),
            self.options.max_attempts,
        )
    }

    /// The one retry loop of s3up: every S3 request goes through it. An answer is a success
    /// only with a 2xx status and, for operations where S3 sends the status before it knows
    /// the outcome (CompleteMultipartUpload), no `<Error>` document in its body: such a 200 is
    /// classified and retried like any error answer.
    fn send_attempts(
        &self,
        mut out: Outgoing,
        payload: &PayloadHash,
        max_attempts: u32,
    ) -> Result<Response, Error> {
        let mut attempt = 0u32;
        let mut corrections = 0u32;
        loop {
            attempt += 1;
            let (req, outcome) = out.attempt(|req, sink| self.send_once(req, payload, sink));
            let retry = match &outcome {
                Ok(resp) if succeeded(&req, resp) && out.complete() => return outcome,
                Ok(resp) if succeeded(&req, resp) => true,
                Ok(resp) => match self.correct(&req, resp) {
                    Correction::Corrected if corrections < 3 => {
                        corrections += 1;
                        attempt -= 1;
                        continue;
                    }
                    Correction::Retry => true,
                    _ => false,
                },
                Err(Error::Transport { source, .. }) => source.is_retryable(),
                Err(_) => false,
            };
            if out.progressed() {
                attempt = attempt.min(1);
            }
            if !retry || attempt >= max_attempts {
                return match outcome {
                    Ok(resp) if succeeded(&req, &resp) => Err(short_answer(&req)),
                    Ok(resp) => Err(s3_error(&req, &resp)),
                    Err(e) => Err(e),
                };
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            let delay = backoff(self.options.backoff_base, self.options.backoff_cap, attempt);
            log::info!(
                "{} {}: retrying in {} ms (attempt {} of {}): {}",
                req.operation,
                req.key,
                delay.as_millis(),
                attempt + 1,
                max_attempts,
                match &outcome {
                    Ok(resp) if succeeded(&req, resp) => short_answer(&req).to_string(),
                    Ok(resp) => s3_error(&req, resp).to_string(),
                    Err(e) => e.to_string(),
                }
            );
            std::thread::sleep(delay);
        }
    }

    fn send_once(
        &self,
        req: &S3Request,
        payload: &PayloadHash,
        sink: Option<&mut dyn Sink>,
    ) -> Result<Response, Error> {
        let creds = self.credentials.credentials()?;
        let region = self.region();
        let endpoint = self.endpoint();
        let loc = endpoint.locate(req.bucket, req.key, self.options.addressing_style);
        let mut headers = Vec::with_capacity(req.headers.len() + 6);
        headers.push(("host".to_owned(), loc.host.clone()));
        headers.extend(req.headers.iter().cloned());
        let scope = Scope {
            time: self.now(),
            region: &region,
            service: "s3",
        };
        let signed = self.signer.sign(
            &Request {
                method: req.method,
                path: &loc.path,
                query: &req.query,
                headers: &headers,
            },
            &creds,
            &scope,
            payload,
        );
        log::debug!(
            "{} canonical request:\n{}\n-- string to sign:\n{}",
            req.operation,
            signed.canonical_request,
            signed.string_to_sign
        );
        headers.extend(signed.headers);
        // Like botocore: for large bodies, ask before sending. A server that refuses the request
        // up front (wrong region, bad signature) answers and closes instead of reading the
        // body; without this the client only sees a broken pipe and never the answer.
        if req.body.len() >= EXPECT_CONTINUE_FROM {
            headers.push(("expect".to_owned(), "100-continue".to_owned()));
        }
        let mut url = endpoint.base_url(&loc.host);
        url.push_str(&signed.wire_path);
        if !signed.wire_query.is_empty() {
            url.push('?');
            url.push_str(&signed.wire_query);
        }
        let http = HttpRequest {
            method: req.method,
            url: &url,
            headers: &headers,
            body: req.body.borrowed(),
        };
        let resp = self
            .transport
            .send_into(&http, sink)
            .map_err(|source| Error::Transport {
                operation: req.operation,
                source,
            })?;
        log::debug!("{} {} -> {}", req.operation, url, resp.status);
        Ok(resp)
    }
}

/// Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].
fn backoff(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let ceiling = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(cap);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random_u64() % nanos)
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per instance: enough randomness for jitter.
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_the_ceiling() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        for attempt in 1..30 {
            let d = backoff(base, cap, attempt);
            assert!(d <= cap);
            assert!(d <= base * 2u32.pow((attempt - 1).min(20)));
        }
    }
}
