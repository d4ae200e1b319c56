//! Multipart upload: create, parts in parallel, complete, verify; abort on any failure.
//!
//! The calling thread cuts the source into parts in order and hands each to a worker through a
//! rendezvous channel. A stream's part is a buffer (at most `concurrency` in flight plus the one
//! being filled); a file's part is only a range, which the worker reads twice with positioned
//! reads (once to hash, once to send), so files need no part buffers at all. Each worker
//! computes its part's SHA-256 (for the signature) and checksum in one pass; the full-object CRC
//! is combined from the part CRCs at the end.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Mutex, PoisonError};

use base64::Engine;

use super::payload::send_body;
use super::plan::PartPlan;
use super::single::verify_checksum;
use super::stream::read_up_to;
use super::{Control, Target, UploadOptions, UploadReport};
use crate::body::{Body, FileRange};
use crate::checksum::{combine_crc, crc_base64, ChecksumAlgorithm, Hasher};
use crate::client::Client;
use crate::error::Error;
use crate::s3::errors::Class;
use crate::s3::ops::{self, CompletedPart};

/// Where the parts come from.
pub(super) enum Source<'a> {
    Stream(&'a mut (dyn Read + Send)),
    File { file: &'a std::fs::File, size: u64 },
}

/// What every worker needs to send a part.
struct Upload<'a> {
    client: &'a Client,
    target: &'a Target,
    upload_id: &'a str,
    algorithm: Option<ChecksumAlgorithm>,
    control: &'a Control,
}

/// A sent part, with what the full-object checksum needs.
struct SentPart {
    part: CompletedPart,
    len: u64,
    crc: Option<u64>,
}

pub(super) fn upload(
    client: &Client,
    target: &Target,
    mut source: Source,
    plan: PartPlan,
    size: Option<u64>,
    opts: &UploadOptions,
    control: &Control,
) -> Result<UploadReport, Error> {
    let (upload_id, algorithm) = create(client, target, opts, control)?;
    let job = Upload {
        client,
        target,
        upload_id: &upload_id,
        algorithm,
        control,
    };
    let outcome = send_parts(&job, &mut source, plan, opts).and_then(|sent| {
        if control.is_interrupted() {
            return Err(Error::Interrupted);
        }
        let total: u64 = sent.iter().map(|p| p.len).sum();
        if let Some(expected) = size {
            if total != expected {
                return Err(Error::Integrity(format!(
                    "{}: read {total} bytes but the source has {expected}: it changed while being uploaded",
                    target.key
                )));
            }
        }
        complete(&job, sent, total, opts)
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
    control: &Control,
) -> Result<(String, Option<ChecksumAlgorithm>), Error> {
    let (resp, algorithm) = opts.with_checksum_fallback(control, |algorithm| {
        client.send(&ops::create_multipart_upload(
            &target.bucket,
            &target.key,
            &opts.object_for(target),
            algorithm,
        ))
    })?;
    let id = ops::parse_upload_id(&resp.body).map_err(Error::Integrity)?;
    Ok((id, algorithm))
}

/// Cleanup is retried even under `--retries 0`: one 503 must not leave parts behind.
const ABORT_MIN_ATTEMPTS: u32 = 4;

/// Aborts, retried by the client; if that fails too, says how to clean up by hand.
pub(crate) fn abort(client: &Client, target: &Target, upload_id: &str) {
    let req = ops::abort_multipart_upload(&target.bucket, &target.key, upload_id);
    match client.send_cleanup(&req, ABORT_MIN_ATTEMPTS) {
        Ok(_) => log::info!("aborted multipart upload of s3://{}/{}", target.bucket, target.key),
        Err(e) if e.class() == Some(Class::NoUpload) => {}
        Err(e) => eprintln!(
            "error: could not abort the unfinished multipart upload {upload_id} of s3://{}/{}: {e}\n  clean it up with: s3up mpu abort s3://{}/{} --upload-id {upload_id}",
            target.bucket, target.key, target.bucket, target.key
        ),
    }
}

/// The next part of the source (`None` at its end): a range of the file, or a buffer read
/// from the stream.
fn next_part<'a>(
    source: &mut Source<'a>,
    number: u32,
    part_size: u64,
    offset: u64,
) -> Result<Option<Body<'a>>, Error> {
    match source {
        Source::File { file, size } => {
            let len = part_size.min(size.saturating_sub(offset));
            Ok((len > 0).then_some(Body::File(FileRange { file, offset, len })))
        }
        Source::Stream(reader) => {
            let mut buf = Vec::with_capacity(usize::try_from(part_size).unwrap_or(usize::MAX));
            read_up_to(*reader, &mut buf, part_size)?;
            Ok((!buf.is_empty() || number == 1).then_some(Body::from(buf)))
        }
    }
}

fn send_parts<'a>(
    job: &Upload,
    source: &mut Source<'a>,
    plan: PartPlan,
    opts: &UploadOptions,
) -> Result<Vec<SentPart>, Error> {
    let (tx, rx) = sync_channel::<(u32, Body<'a>)>(0);
    let rx = Mutex::new(rx);
    let done: Mutex<Vec<SentPart>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let failed = AtomicBool::new(false);
    let fail = |e: Error| {
        let mut slot = failure.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(e);
        }
        failed.store(true, Ordering::SeqCst);
    };
    let stop = || failed.load(Ordering::SeqCst) || job.control.is_interrupted();

    std::thread::scope(|s| {
        for _ in 0..opts.concurrency.max(1) {
            s.spawn(|| loop {
                let next = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                let Ok((number, part)) = next else { break };
                if stop() {
                    continue;
                }
                match send_part(job, number, &part) {
                    Ok(sent) => {
                        job.control.add_done(sent.len);
                        done.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(sent);
                    }
                    Err(e) => fail(e),
                }
            });
        }
        let (mut number, mut offset) = (1u32, 0u64);
        while !stop() {
            let part_size = plan.part_size(number);
            let part = match next_part(source, number, part_size, offset) {
                Ok(Some(part)) => part,
                Ok(None) => break,
                Err(e) => {
                    fail(e);
                    break;
                }
            };
            if number > opts.limits.max_parts {
                fail(Error::Usage(format!(
                    "the input needs more than {} parts: pass --expected-size or a larger --part-size",
                    opts.limits.max_parts
                )));
                break;
            }
            let len = part.len();
            offset += len;
            if tx.send((number, part)).is_err() || len < part_size {
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
    parts.sort_by_key(|p| p.part.number);
    Ok(parts)
}

/// Checksums the part (and hashes it, where it is signed), then sends it.
fn send_part(job: &Upload, number: u32, part: &Body) -> Result<SentPart, Error> {
    let (t, id, algorithm) = (job.target, job.upload_id, job.algorithm);
    job.control.throttle(part.len());
    let (resp, checksum) = send_body(job.client, job.control, part, algorithm, |value| {
        ops::upload_part(
            &t.bucket,
            &t.key,
            id,
            number,
            algorithm.zip(value),
            part.borrowed(),
        )
    })?;
    let value = checksum.as_ref().map(Hasher::finish_base64);
    let etag = resp
        .header("etag")
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            Error::Integrity(format!(
                "UploadPart {number} of {}: the server sent no ETag",
                t.key
            ))
        })?;
    Ok(SentPart {
        part: CompletedPart {
            number,
            etag: etag.to_owned(),
            checksum: job.algorithm.zip(value),
        },
        len: part.len(),
        crc: checksum.as_ref().and_then(Hasher::crc_value),
    })
}

/// The object's checksum as S3 reports it: the full-object CRC combined from the part CRCs,
/// or SHA-256's composite form.
fn object_checksum(algorithm: ChecksumAlgorithm, parts: &[SentPart]) -> String {
    if algorithm == ChecksumAlgorithm::Sha256 {
        return composite_sha256(parts);
    }
    let mut crc: Option<u64> = None;
    for p in parts {
        let part_crc = p.crc.unwrap_or(0);
        crc = Some(match crc {
            None => part_crc,
            Some(acc) => combine_crc(algorithm, acc, part_crc, p.len).unwrap_or(0),
        });
    }
    crc_base64(algorithm, crc.unwrap_or(0))
}

fn complete(
    job: &Upload,
    sent: Vec<SentPart>,
    total: u64,
    opts: &UploadOptions,
) -> Result<UploadReport, Error> {
    let (client, target, algorithm) = (job.client, job.target, job.algorithm);
    let local = algorithm.map(|a| object_checksum(a, &sent));
    let parts: Vec<CompletedPart> = sent.into_iter().map(|p| p.part).collect();
    let full_header = algorithm
        .zip(local.as_deref())
        .filter(|(a, _)| a.supports_full_object());
    let req = ops::complete_multipart_upload(
        &target.bucket,
        &target.key,
        job.upload_id,
        full_header,
        &parts,
    );
    let resp = match client.send(&req) {
        Ok(resp) => resp,
        Err(e) if answer_may_be_lost(&e) => {
            return stored_despite_lost_answer(job, local, total, parts.len(), e);
        }
        Err(e) => return Err(e),
    };
    let completed = ops::parse_complete(&resp.body, algorithm).map_err(Error::Integrity)?;
    let (head, stored) = head_stored_size(client, target)?;
    if stored != Some(total) {
        return Err(Error::Integrity(format!(
            "s3://{}/{}: the server stores {} bytes but {total} were sent",
            target.bucket,
            target.key,
            stored.map_or_else(|| "an unknown number of".to_owned(), |s| s.to_string()),
        )));
    }
    if let (Some(a), Some(local)) = (algorithm, local.as_deref()) {
        let remote = completed
            .checksum
            .as_deref()
            .or_else(|| head.header(&a.header()));
        verify_checksum(target, a, local, remote, opts)?;
    }
    Ok(completed_report(
        total,
        completed.etag,
        local,
        algorithm,
        parts.len(),
    ))
}

/// HEAD of the object and the size it reports.
fn head_stored_size(
    client: &Client,
    target: &Target,
) -> Result<(crate::client::Response, Option<u64>), Error> {
    let head = client.send(&ops::head_object(&target.bucket, &target.key))?;
    let size = head.header("content-length").and_then(|v| v.parse().ok());
    Ok((head, size))
}

fn completed_report(
    size: u64,
    etag: String,
    checksum: Option<String>,
    algorithm: Option<ChecksumAlgorithm>,
    parts: usize,
) -> UploadReport {
    UploadReport {
        size,
        etag,
        checksum,
        checksum_algorithm: algorithm.map(ChecksumAlgorithm::name),
        parts: u32::try_from(parts).unwrap_or(u32::MAX),
        seconds: 0.0,
        retries: 0,
    }
}

/// A Complete that timed out may still have completed; its retry then finds the upload gone
/// (`NoSuchUpload`). Neither says whether the object is stored.
fn answer_may_be_lost(e: &Error) -> bool {
    match e {
        Error::Transport { .. } => true,
        Error::S3 { .. } => e.class() == Some(Class::NoUpload),
        _ => false,
    }
}

/// After a lost Complete answer: success only when the object at the key has our size and our
/// whole-object checksum (the CRC combined from the parts, or SHA-256's composite), which no
/// other object can show by accident. Otherwise the original error stands.
fn stored_despite_lost_answer(
    job: &Upload,
    local: Option<String>,
    total: u64,
    parts: usize,
    lost: Error,
) -> Result<UploadReport, Error> {
    let target = job.target;
    let (Some(algorithm), Some(local)) = (job.algorithm, local) else {
        return Err(Error::Integrity(format!(
            "{lost}; the upload may have completed, but without a checksum s3up cannot tell whether s3://{}/{} holds what was sent: check it or upload again",
            target.bucket, target.key
        )));
    };
    let Ok((head, size)) = head_stored_size(job.client, target) else {
        return Err(lost);
    };
    if size != Some(total) || head.header(&algorithm.header()) != Some(local.as_str()) {
        return Err(lost);
    }
    log::warn!(
        "the answer to CompleteMultipartUpload was lost ({lost}), but s3://{}/{} holds the {total} bytes sent with the same {} checksum: the upload is complete",
        target.bucket,
        target.key,
        algorithm.name()
    );
    let etag = head.header("etag").unwrap_or_default().to_owned();
    Ok(completed_report(
        total,
        etag,
        Some(local),
        Some(algorithm),
        parts,
    ))
}

/// S3's composite checksum: the checksum of the concatenated part checksums, then `-N`.
fn composite_sha256(parts: &[SentPart]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut h = Hasher::new(ChecksumAlgorithm::Sha256);
    for p in parts {
        if let Some((_, v)) = &p.part.checksum {
            h.update(&b64.decode(v).unwrap_or_default());
        }
    }
    format!("{}-{}", h.finish_base64(), parts.len())
}
