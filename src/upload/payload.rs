//! Sending a body that carries the object's bytes (PutObject, UploadPart): its additional
//! checksum, and how the payload is covered. Over HTTPS a body with a checksum goes as
//! `UNSIGNED-PAYLOAD` (TLS and the checksum the server verifies protect it, as the AWS SDKs send
//! it, and no SHA-256 pass is spent); otherwise its SHA-256 is signed. A server that refuses the
//! unsigned form gets the body signed, and signed bodies from then on, with one warning.

use crate::body::Body;
use crate::checksum::{ChecksumAlgorithm, Hasher};
use crate::client::{Client, Response};
use crate::control::Control;
use crate::error::Error;
use crate::s3::errors::Class;
use crate::s3::ops::S3Request;
use crate::sigv4::{PayloadHash, Sha256};

/// Sends the request `make(checksum value)` builds around `body`; the checksum computed.
///
/// # Errors
/// The body's file cannot be read, or the request failed.
pub(crate) fn send_body<'a>(
    client: &Client,
    control: &Control,
    body: &Body,
    algorithm: Option<ChecksumAlgorithm>,
    make: impl Fn(Option<&str>) -> S3Request<'a>,
) -> Result<(Response, Option<Hasher>), Error> {
    let unsigned = algorithm.is_some() && client.may_send_unsigned() && !control.unsigned_refused();
    let (payload, checksum) = digest(body, !unsigned, algorithm)?;
    let value = checksum.as_ref().map(Hasher::finish_base64);
    let req = make(value.as_deref());
    match client.send_with_payload(&req, &payload) {
        Err(e) if unsigned && refuses_unsigned(&e) => {
            if control.refuse_unsigned() {
                log::warn!("the server refused unsigned payloads ({e}); signing every body with its SHA-256 from now on");
            }
            let (signed, _) = digest(body, true, None)?;
            client
                .send_with_payload(&req, &signed)
                .map(|resp| (resp, checksum))
        }
        sent => sent.map(|resp| (resp, checksum)),
    }
}

/// A refusal that an unsigned payload could explain: the request as sent was not accepted,
/// or the server took `UNSIGNED-PAYLOAD` for a digest the body did not match.
fn refuses_unsigned(e: &Error) -> bool {
    matches!(e.class(), Some(Class::Unsupported | Class::Corrupt))
}

/// The payload hash (SHA-256 when `sign`) and the additional checksum, in one pass.
fn digest(
    body: &Body,
    sign: bool,
    algorithm: Option<ChecksumAlgorithm>,
) -> Result<(PayloadHash, Option<Hasher>), Error> {
    let mut sha = sign.then(Sha256::new);
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
