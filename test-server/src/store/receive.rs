//! Receiving an object or part body: stream it into a staging file while computing MD5 and
//! the checksums asked for, then check every claim the client made about it (Content-MD5,
//! an `x-amz-checksum-*` header or trailer, the length). A body that fails anywhere leaves
//! only a staging file, deleted by its owner; this module never puts anything in place.

use super::checksum::{self, Algorithm, Checksums, Digests};
use super::errors;

use bytes::Bytes;
use futures::StreamExt as _;
use http::HeaderMap;
use s3s::dto::StreamingBlob;
use s3s::S3Result;
use std::collections::BTreeSet;
use std::io::Write as _;

/// A body received in full and digested.
#[derive(Debug)]
pub struct Received {
    /// Number of bytes.
    pub size: u64,
    /// MD5 of the bytes.
    pub md5: [u8; 16],
    /// Checksums computed (base64).
    pub sums: Checksums,
}

/// What the client says about the body, from the request headers.
#[derive(Debug, Default, Clone)]
pub struct Claims {
    /// Decoded Content-MD5.
    pub content_md5: Option<[u8; 16]>,
    /// The one `x-amz-checksum-*` header sent.
    pub header: Option<(Algorithm, String)>,
    /// `x-amz-sdk-checksum-algorithm`.
    pub sdk_algorithm: Option<Algorithm>,
    /// Checksum announced by `x-amz-trailer`.
    pub trailer: Option<Algorithm>,
}

fn header<'a>(hs: &'a HeaderMap, name: &str) -> Option<&'a str> {
    hs.get(name).and_then(|v| v.to_str().ok())
}

impl Claims {
    /// Reads the claims.
    ///
    /// # Errors
    /// `InvalidDigest` for a malformed Content-MD5; `InvalidRequest` for several checksum
    /// headers, a malformed value, or an unknown algorithm.
    pub fn read(hs: &HeaderMap) -> S3Result<Self> {
        let mut claims = Self::default();
        if let Some(v) = header(hs, "content-md5") {
            let raw = checksum::unb64(v).ok_or_else(errors::invalid_md5)?;
            claims.content_md5 = Some(raw.try_into().map_err(|_| errors::invalid_md5())?);
        }
        for alg in Algorithm::ALL {
            let Some(v) = header(hs, alg.header()) else {
                continue;
            };
            if claims.header.is_some() {
                return Err(errors::invalid_request(
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            if !checksum::valid_value(alg, v) {
                return Err(errors::invalid_checksum_value(alg));
            }
            claims.header = Some((alg, v.trim().to_owned()));
        }
        if let Some(v) = header(hs, "x-amz-sdk-checksum-algorithm") {
            let alg = Algorithm::parse(v).ok_or_else(|| {
                errors::invalid_request("Value for x-amz-sdk-checksum-algorithm header is invalid.")
            })?;
            if claims.header.as_ref().is_some_and(|(h, _)| *h != alg) {
                return Err(errors::invalid_request(
                    "Value for x-amz-sdk-checksum-algorithm header is invalid: it names another checksum than the one sent.",
                ));
            }
            claims.sdk_algorithm = Some(alg);
        }
        if let Some(v) = header(hs, "x-amz-trailer") {
            claims.trailer = v.split(',').map(str::trim).find_map(|t| {
                Algorithm::ALL
                    .into_iter()
                    .find(|a| a.header().eq_ignore_ascii_case(t))
            });
        }
        Ok(claims)
    }

    /// The algorithm the client chose, if any.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.header
            .as_ref()
            .map(|(a, _)| *a)
            .or(self.trailer)
            .or(self.sdk_algorithm)
    }

    /// Algorithms to compute: the client's plus `extra`.
    pub fn algorithms(&self, extra: Option<Algorithm>) -> BTreeSet<Algorithm> {
        self.algorithm().into_iter().chain(extra).collect()
    }

    /// Checks the received body against the claims and returns the client's checksum
    /// (verified), if it sent one.
    ///
    /// # Errors
    /// `BadDigest` on any mismatch; `InvalidRequest` for a missing or malformed trailer.
    pub fn verify(
        &self,
        rec: &Received,
        trailers: Option<&HeaderMap>,
    ) -> S3Result<Option<(Algorithm, String)>> {
        if self.content_md5.is_some_and(|m| m != rec.md5) {
            return Err(errors::bad_md5());
        }
        let mut claimed = self.header.clone();
        if let Some(alg) = self.trailer.filter(|_| claimed.is_none()) {
            let v = trailers
                .and_then(|t| header(t, alg.header()))
                .ok_or_else(|| {
                    errors::invalid_request(format!(
                        "The trailing checksum {} announced in x-amz-trailer was not sent.",
                        alg.header()
                    ))
                })?;
            if !checksum::valid_value(alg, v) {
                return Err(errors::invalid_checksum_value(alg));
            }
            claimed = Some((alg, v.trim().to_owned()));
        }
        if let Some((alg, v)) = &claimed {
            if rec.sums.get(alg) != Some(v) {
                return Err(errors::bad_checksum(*alg));
            }
        }
        Ok(claimed)
    }
}

/// Chunks queued for the writer thread.
const QUEUED: usize = 16;

/// Writes chunks as they come, on the blocking pool, without copying them again.
fn spawn_writer(
    file: std::fs::File,
) -> (
    tokio::sync::mpsc::Sender<Bytes>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(QUEUED);
    let writer = tokio::task::spawn_blocking(move || {
        let mut file = file;
        while let Some(chunk) = rx.blocking_recv() {
            file.write_all(&chunk)?;
        }
        Ok(())
    });
    (tx, writer)
}

/// Streams `body` into `file` (or nowhere, when discarding), computing MD5 and `algs`. The
/// digests run here while a blocking-pool thread writes the same chunks.
///
/// # Errors
/// The body stream fails (see [`errors::body_error`]) or the file cannot be written.
pub async fn receive(
    body: StreamingBlob,
    file: Option<std::fs::File>,
    algs: &BTreeSet<Algorithm>,
) -> S3Result<Received> {
    let mut digests = Digests::new(algs.iter().copied());
    let mut writer = file.map(spawn_writer);
    let mut size: u64 = 0;
    let mut body = body;
    let write_failed = |e| errors::internal("cannot write a staging file", e);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| errors::body_error(&e))?;
        digests.update(&chunk);
        size += chunk.len() as u64;
        if let Some((tx, _)) = writer.as_ref() {
            if tx.send(chunk).await.is_err() {
                break; // the writer failed: its error is reported below
            }
        }
    }
    if let Some((tx, handle)) = writer.take() {
        drop(tx);
        handle
            .await
            .map_err(|e| errors::internal("staging writer failed", e))?
            .map_err(write_failed)?;
    }
    let (md5, sums) = digests.finish();
    Ok(Received { size, md5, sums })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use s3s::crypto::Checksum as _;

    fn hs(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("test header"));
        }
        h
    }

    fn received(data: &[u8], algs: &[Algorithm]) -> Received {
        let mut d = Digests::new(algs.iter().copied());
        d.update(data);
        let (md5, sums) = d.finish();
        Received {
            size: data.len() as u64,
            md5,
            sums,
        }
    }

    #[test]
    fn content_md5_checked() {
        let good = checksum::b64(&s3s::crypto::Md5::checksum(b"abc"));
        let claims = Claims::read(&hs(&[("content-md5", &good)])).expect("valid");
        assert!(claims.verify(&received(b"abc", &[]), None).is_ok());
        let err = claims
            .verify(&received(b"abd", &[]), None)
            .expect_err("mismatch");
        assert_eq!(err.code(), &s3s::S3ErrorCode::BadDigest);
        let bad = Claims::read(&hs(&[("content-md5", "nope")])).expect_err("malformed");
        assert_eq!(bad.code(), &s3s::S3ErrorCode::InvalidDigest);
    }

    #[test]
    fn checksum_header_and_trailer() {
        let crc = checksum::b64(&Algorithm::Crc32.digest(b"abc"));
        let claims = Claims::read(&hs(&[("x-amz-checksum-crc32", &crc)])).expect("valid");
        assert_eq!(claims.algorithms(None).len(), 1);
        assert!(claims
            .verify(&received(b"abc", &[Algorithm::Crc32]), None)
            .is_ok());
        assert!(claims
            .verify(&received(b"abx", &[Algorithm::Crc32]), None)
            .is_err());

        let claims =
            Claims::read(&hs(&[("x-amz-trailer", "x-amz-checksum-crc32")])).expect("valid");
        assert_eq!(claims.trailer, Some(Algorithm::Crc32));
        let rec = received(b"abc", &[Algorithm::Crc32]);
        assert!(
            claims.verify(&rec, None).is_err(),
            "a missing trailer is refused"
        );
        let t = hs(&[("x-amz-checksum-crc32", &crc)]);
        assert_eq!(
            claims.verify(&rec, Some(&t)).expect("matches").map(|c| c.0),
            Some(Algorithm::Crc32)
        );
    }

    #[test]
    fn two_checksum_headers_refused() {
        let crc = checksum::b64(&Algorithm::Crc32.digest(b"abc"));
        let crcc = checksum::b64(&Algorithm::Crc32c.digest(b"abc"));
        let e = Claims::read(&hs(&[
            ("x-amz-checksum-crc32", &crc),
            ("x-amz-checksum-crc32c", &crcc),
        ]))
        .expect_err("two");
        assert_eq!(e.code(), &s3s::S3ErrorCode::InvalidRequest);
    }
}
