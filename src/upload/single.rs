//! One object in one PutObject request, its checksum verified against the server's.

use super::payload::send_body;
use super::{ChecksumMode, Control, Target, UploadOptions, UploadReport};
use crate::body::Body;
use crate::checksum::{ChecksumAlgorithm, Hasher};
use crate::client::Client;
use crate::error::Error;
use crate::s3::ops;

pub(super) fn put_single(
    client: &Client,
    target: &Target,
    body: Body,
    opts: &UploadOptions,
    control: &Control,
) -> Result<UploadReport, Error> {
    control.throttle(body.len());
    if control.is_interrupted() {
        return Err(Error::Interrupted);
    }
    let object = opts.object_for(target);
    let ((resp, checksum), algorithm) = opts.with_checksum_fallback(control, |algorithm| {
        send_body(client, control, &body, algorithm, |value| {
            let pair = algorithm.zip(value);
            ops::put_object(&target.bucket, &target.key, &object, pair, body.borrowed())
        })
    })?;
    let value = checksum.as_ref().map(Hasher::finish_base64);
    control.add_done(body.len());
    let checksum = match (algorithm, value) {
        (Some(a), Some(local)) => {
            verify_checksum(target, a, &local, resp.header(&a.header()), opts)?;
            Some(local)
        }
        _ => None,
    };
    Ok(UploadReport {
        size: body.len(),
        etag: resp.header("etag").unwrap_or_default().to_owned(),
        checksum,
        checksum_algorithm: algorithm.map(ChecksumAlgorithm::name),
        parts: 1,
        seconds: 0.0,
        retries: 0,
    })
}

/// Compares the checksum the server reports with ours. A server that reports none is only
/// tolerated under `Auto` (third-party servers often ignore checksums).
pub(super) fn verify_checksum(
    target: &Target,
    algorithm: ChecksumAlgorithm,
    local: &str,
    remote: Option<&str>,
    opts: &UploadOptions,
) -> Result<(), Error> {
    match remote {
        Some(r) if r == local => Ok(()),
        Some(r) => Err(Error::Integrity(format!(
            "s3://{}/{}: the server's {} checksum {r} differs from the local {local}: the object is corrupt, upload it again",
            target.bucket,
            target.key,
            algorithm.name()
        ))),
        None if opts.checksum == ChecksumMode::Auto => {
            log::debug!("server reported no {} checksum for {}", algorithm.name(), target.key);
            Ok(())
        }
        None => Err(Error::Integrity(format!(
            "s3://{}/{}: the server did not report the {} checksum, so the upload cannot be verified (use --checksum-algorithm none for servers without checksums)",
            target.bucket,
            target.key,
            algorithm.name()
        ))),
    }
}
