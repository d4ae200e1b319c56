//! Multipart upload: create, parts in parallel, complete, verify; abort on any failure.
//!
//! The calling thread reads parts in order (so full-object CRCs are computed as the bytes pass)
//! and hands each buffer to a worker through a rendezvous channel: at most `concurrency`
//! buffers are in flight plus the one being filled.

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Mutex, PoisonError};

use base64::Engine;

use super::plan::PartPlan;
use super::{read_up_to, verify_checksum, Control, Target, UploadOptions, UploadReport};
use crate::checksum::{ChecksumAlgorithm, Hasher};
use crate::client::{s3_error, Client};
use crate::error::Error;
use crate::s3::ops::{self, CompletedPart};
use crate::s3::xml;

#[allow(clippy::too_many_arguments)] // the engine's one internal entry point; every input is distinct
pub(super) fn upload(
    client: &Client,
    target: &Target,
    first: Vec<u8>,
    reader: &mut (dyn Read + Send),
    plan: PartPlan,
    size: Option<u64>,
    opts: &UploadOptions,
    control: &Control,
) -> Result<UploadReport, Error> {
    let (upload_id, algorithm) = create(client, target, opts)?;
    let mut input = Cursor::new(first).chain(reader);
    let outcome = send_parts(client, target, &upload_id, &mut input, plan, algorithm, opts, control)
        .and_then(|sent| {
            if control.is_interrupted() {
                return Err(Error::Interrupted);
            }
            if let Some(expected) = size {
                if sent.total != expected {
                    return Err(Error::Integrity(format!(
                        "{}: read {} bytes but the source has {expected}: it changed while being uploaded",
                        target.key, sent.total
                    )));
                }
            }
            complete(client, target, &upload_id, sent, algorithm, opts)
        });
    match outcome {
        Ok(report) => Ok(report),
        Err(e) => {
            abort(client, target, &upload_id);
            Err(e)
        }
    }
}

fn create(
    client: &Client,
    target: &Target,
    opts: &UploadOptions,
) -> Result<(String, Option<ChecksumAlgorithm>), Error> {
    let (resp, algorithm) = opts.with_checksum_fallback(|algorithm| {
        client.send(&ops::create_multipart_upload(
            &target.bucket,
            &target.key,
            &opts.object,
            algorithm,
        ))
    })?;
    let id = ops::parse_upload_id(&resp.body).map_err(Error::Integrity)?;
    Ok((id, algorithm))
}

/// Aborts, retried by the client; if that fails too, says how to clean up by hand.
pub(crate) fn abort(client: &Client, target: &Target, upload_id: &str) {
    let req = ops::abort_multipart_upload(&target.bucket, &target.key, upload_id);
    match client.send(&req) {
        Ok(_) => log::info!("aborted multipart upload of s3://{}/{}", target.bucket, target.key),
        Err(Error::S3 { code, .. }) if code == "NoSuchUpload" => {}
        Err(e) => eprintln!(
            "error: could not abort the unfinished multipart upload {upload_id} of s3://{}/{}: {e}\n  clean it up with: s3up mpu abort s3://{}/{} --upload-id {upload_id}",
            target.bucket, target.key, target.bucket, target.key
        ),
    }
}

struct Sent {
    parts: Vec<CompletedPart>,
    total: u64,
    full: Option<Hasher>,
}

#[allow(clippy::too_many_arguments)]
fn send_parts(
    client: &Client,
    target: &Target,
    upload_id: &str,
    input: &mut (dyn Read + Send),
    plan: PartPlan,
    algorithm: Option<ChecksumAlgorithm>,
    opts: &UploadOptions,
    control: &Control,
) -> Result<Sent, Error> {
    let (tx, rx) = sync_channel::<(u32, Vec<u8>)>(0);
    let rx = Mutex::new(rx);
    let done: Mutex<Vec<CompletedPart>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let failed = AtomicBool::new(false);
    let mut full = algorithm
        .filter(|a| a.supports_full_object())
        .map(Hasher::new);
    let mut total = 0u64;

    let fail = |e: Error| {
        let mut slot = failure.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(e);
        }
        failed.store(true, Ordering::SeqCst);
    };

    std::thread::scope(|s| {
        for _ in 0..opts.concurrency.max(1) {
            s.spawn(|| loop {
                let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                let Ok((number, buf)) = job else { break };
                if failed.load(Ordering::SeqCst) || control.is_interrupted() {
                    continue;
                }
                match send_part(client, target, upload_id, number, &buf, algorithm, control) {
                    Ok(part) => {
                        control.add_done(buf.len() as u64);
                        done.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(part);
                    }
                    Err(e) => fail(e),
                }
            });
        }
        let mut number = 1u32;
        loop {
            if failed.load(Ordering::SeqCst) || control.is_interrupted() {
                break;
            }
            let part_size = plan.part_size(number);
            let mut buf = Vec::with_capacity(usize::try_from(part_size).unwrap_or(usize::MAX));
            if let Err(e) = read_up_to(input, &mut buf, part_size) {
                fail(e);
                break;
            }
            if buf.is_empty() && number > 1 {
                break;
            }
            if number > opts.limits.max_parts {
                fail(Error::Usage(format!(
                    "the input needs more than {} parts: pass --expected-size or a larger --part-size",
                    opts.limits.max_parts
                )));
                break;
            }
            if let Some(h) = full.as_mut() {
                h.update(&buf);
            }
            total += buf.len() as u64;
            let last = (buf.len() as u64) < part_size;
            if tx.send((number, buf)).is_err() || last {
                break;
            }
            number += 1;
        }
        drop(tx);
    });

    if let Some(e) = failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(e);
    }
    let mut parts = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    parts.sort_by_key(|p| p.number);
    Ok(Sent { parts, total, full })
}

fn send_part(
    client: &Client,
    target: &Target,
    upload_id: &str,
    number: u32,
    buf: &[u8],
    algorithm: Option<ChecksumAlgorithm>,
    control: &Control,
) -> Result<CompletedPart, Error> {
    let checksum = algorithm.map(|a| (a, Hasher::of(a, buf)));
    control.throttle(buf.len() as u64);
    let req = ops::upload_part(
        &target.bucket,
        &target.key,
        upload_id,
        number,
        checksum.as_ref().map(|(a, v)| (*a, v.as_str())),
        buf,
    );
    let resp = client.send(&req)?;
    let etag = resp
        .header("etag")
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            Error::Integrity(format!(
                "UploadPart {number} of {}: the server sent no ETag",
                target.key
            ))
        })?;
    Ok(CompletedPart {
        number,
        etag: etag.to_owned(),
        checksum,
    })
}

fn complete(
    client: &Client,
    target: &Target,
    upload_id: &str,
    sent: Sent,
    algorithm: Option<ChecksumAlgorithm>,
    opts: &UploadOptions,
) -> Result<UploadReport, Error> {
    let local = match (algorithm, &sent.full) {
        (Some(_), Some(full)) => Some(full.finish_base64()),
        (Some(ChecksumAlgorithm::Sha256), None) => Some(composite_sha256(&sent.parts)),
        _ => None,
    };
    let body = ops::complete_body(&sent.parts);
    let full_header = algorithm
        .zip(local.as_deref())
        .filter(|(a, _)| a.supports_full_object());
    let req =
        ops::complete_multipart_upload(&target.bucket, &target.key, upload_id, full_header, &body);
    let resp = send_complete(client, &req)?;
    let completed = ops::parse_complete(&resp.body, algorithm).map_err(Error::Integrity)?;
    let head = client.send(&ops::head_object(&target.bucket, &target.key))?;
    let stored: Option<u64> = head.header("content-length").and_then(|v| v.parse().ok());
    if stored != Some(sent.total) {
        return Err(Error::Integrity(format!(
            "s3://{}/{}: the server stores {} bytes but {} were sent",
            target.bucket,
            target.key,
            stored.map_or_else(|| "an unknown number of".to_owned(), |s| s.to_string()),
            sent.total
        )));
    }
    if let (Some(a), Some(local)) = (algorithm, local.as_deref()) {
        let remote = completed
            .checksum
            .as_deref()
            .or_else(|| head.header(&a.header()));
        verify_checksum(target, a, local, remote, opts)?;
    }
    Ok(UploadReport {
        size: sent.total,
        etag: completed.etag,
        checksum: local,
        checksum_algorithm: algorithm.map(ChecksumAlgorithm::name),
        parts: u32::try_from(sent.parts.len()).unwrap_or(u32::MAX),
        seconds: 0.0,
        retries: 0,
    })
}

/// CompleteMultipartUpload may answer 200 with an `<Error>` body (S3 sends the status before it
/// knows the outcome). That is a failure, never a success; a transient one is retried, as the
/// AWS SDKs do, and the upload stays intact in between.
fn send_complete(client: &Client, req: &ops::S3Request) -> Result<crate::client::Response, Error> {
    let max = client.options().max_attempts;
    let mut attempt = 1;
    loop {
        let resp = client.send(req)?;
        let Some(body) = xml::error_body(&resp.body) else {
            return Ok(resp);
        };
        let transient = matches!(
            body.code.as_str(),
            "InternalError" | "SlowDown" | "ServiceUnavailable"
        );
        if !transient || attempt >= max {
            return Err(s3_error("CompleteMultipartUpload", &resp));
        }
        log::info!(
            "CompleteMultipartUpload answered 200 with {}: retrying",
            body.code
        );
        client.record_retry();
        std::thread::sleep(crate::client::backoff(
            client.options().backoff_base,
            client.options().backoff_cap,
            attempt,
        ));
        attempt += 1;
    }
}

/// S3's composite checksum: the checksum of the concatenated part checksums, then `-N`.
fn composite_sha256(parts: &[CompletedPart]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut h = Hasher::new(ChecksumAlgorithm::Sha256);
    for p in parts {
        if let Some((_, v)) = &p.checksum {
            h.update(&b64.decode(v).unwrap_or_default());
        }
    }
    format!("{}-{}", h.finish_base64(), parts.len())
}
