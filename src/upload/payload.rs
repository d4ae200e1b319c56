//! What a request body is signed and checked with: its SHA-256 for the signature (when the
//! client signs payloads) and the additional checksum, computed in one pass over the body.

use crate::body::Body;
use crate::checksum::{ChecksumAlgorithm, Hasher};
use crate::client::Client;
use crate::error::Error;
use crate::sigv4::{PayloadHash, Sha256};

/// The payload hash and the checksum of `body`, in one pass.
///
/// # Errors
/// The body's file cannot be read.
pub(crate) fn digest(
    body: &Body,
    client: &Client,
    algorithm: Option<ChecksumAlgorithm>,
) -> Result<(PayloadHash, Option<Hasher>), Error> {
    let mut sha = client.signs_payloads().then(Sha256::new);
    let mut checksum = algorithm.map(Hasher::new);
    body.for_each_chunk(|chunk| {
        if let Some(h) = sha.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = checksum.as_mut() {
            h.update(chunk);
        }
    })
    .map_err(|source| Error::Source {
        path: "input file".into(),
        source,
    })?;
    let payload = sha.map_or(PayloadHash::Unsigned, |h| {
        PayloadHash::Sha256Hex(h.finish_hex())
    });
    Ok((payload, checksum))
}
