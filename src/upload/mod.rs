//! The upload engine: one path for files and streams. Below the multipart threshold a single
//! PutObject; above it a multipart upload whose parts are read in order by the calling thread
//! and sent in parallel by workers, with at most `concurrency + 1` part buffers alive. Success
//! only when the server confirmed a complete object of the right size (and checksum); on any
//! failure after CreateMultipartUpload the upload is aborted.

mod control;
mod multipart;
pub mod plan;

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use control::Control;

use crate::body::{Body, FileRange};
use crate::checksum::{ChecksumAlgorithm, Hasher};
use crate::client::Client;
use crate::error::Error;
use crate::s3::errors::Class;
use crate::s3::ops::{self, ObjectOptions};
use crate::sigv4::PayloadHash;
use plan::Limits;

/// Which additional checksum to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumMode {
    /// CRC64NVME (full object) where the server accepts it; without, and a warning, where not.
    Auto,
    /// Exactly this algorithm; a server that refuses it fails the upload.
    Explicit(ChecksumAlgorithm),
    Off,
}

#[derive(Debug)]
pub struct UploadOptions {
    pub part_size: u64,
    pub multipart_threshold: u64,
    pub concurrency: usize,
    pub checksum: ChecksumMode,
    pub object: ObjectOptions,
    pub limits: Limits,
    /// For streams: the expected size, if the user knows it (a hint for the first part size).
    pub expected_size: Option<u64>,
    /// Set once a server refused checksums under `Auto`: later uploads skip them.
    pub checksum_refused: AtomicBool,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            part_size: 8 * plan::MIB,
            multipart_threshold: 8 * plan::MIB,
            concurrency: 4,
            checksum: ChecksumMode::Auto,
            object: ObjectOptions::default(),
            limits: Limits::default(),
            expected_size: None,
            checksum_refused: AtomicBool::new(false),
        }
    }
}

impl UploadOptions {
    fn algorithm(&self) -> Option<ChecksumAlgorithm> {
        match self.checksum {
            ChecksumMode::Auto if !self.checksum_refused.load(Ordering::Relaxed) => {
                Some(ChecksumAlgorithm::Crc64Nvme)
            }
            ChecksumMode::Explicit(a) => Some(a),
            _ => None,
        }
    }

    /// Runs `attempt` with the checksum algorithm; under `Auto`, when the server refuses the
    /// request in a way a checksum header could explain, tries once more without it. Only if that
    /// succeeds were checksums the problem: then they stay off for the run, with one warning.
    fn with_checksum_fallback<T>(
        &self,
        mut attempt: impl FnMut(Option<ChecksumAlgorithm>) -> Result<T, Error>,
    ) -> Result<(T, Option<ChecksumAlgorithm>), Error> {
        let algorithm = self.algorithm();
        match attempt(algorithm) {
            Ok(v) => Ok((v, algorithm)),
            Err(e)
                if algorithm.is_some()
                    && self.checksum == ChecksumMode::Auto
                    && could_be_checksum_refusal(&e) =>
            {
                let v = attempt(None)?;
                if !self.checksum_refused.swap(true, Ordering::Relaxed) {
                    log::warn!("the server refused checksum headers ({e}); uploading without an additional checksum (the SHA-256 payload signature still covers every byte)");
                }
                Ok((v, None))
            }
            Err(e) => Err(e),
        }
    }
}

fn could_be_checksum_refusal(err: &Error) -> bool {
    matches!(
        err,
        Error::S3 {
            status: 400 | 501,
            ..
        }
    ) && err.class() == Some(Class::Unsupported)
}

/// Where an object goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub bucket: String,
    pub key: String,
    /// This object's content type when the options set none (e.g. guessed from a file name).
    pub content_type: Option<String>,
}

impl Target {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            content_type: None,
        }
    }
}

impl UploadOptions {
    /// The object options for `target`: the run's, with the target's content type if the run
    /// sets none.
    pub(crate) fn object_for(&self, target: &Target) -> std::borrow::Cow<'_, ObjectOptions> {
        match (&self.object.content_type, &target.content_type) {
            (None, Some(t)) => {
                let mut o = self.object.clone();
                o.content_type = Some(t.clone());
                std::borrow::Cow::Owned(o)
            }
            _ => std::borrow::Cow::Borrowed(&self.object),
        }
    }
}

/// The payload hash for the signature (SHA-256, when the client signs payloads) and the
/// additional checksum of `body`, computed in one pass over it.
pub(crate) fn digest(
    body: &Body,
    client: &Client,
    algorithm: Option<ChecksumAlgorithm>,
) -> Result<(PayloadHash, Option<Hasher>), Error> {
    let mut sha = client.signs_payloads().then(crate::sigv4::Sha256::new);
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

/// What an upload did, for `--json` and messages.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadReport {
    pub size: u64,
    pub etag: String,
    pub checksum: Option<String>,
    pub checksum_algorithm: Option<&'static str>,
    pub parts: u32,
    pub seconds: f64,
    pub retries: u64,
}

/// Uploads everything `reader` yields. `size` is the exact length when known (files), `None`
/// for streams (then part sizes grow as it goes).
///
/// # Errors
/// Any failure; a multipart upload started here has been aborted when this returns an error.
pub fn upload(
    client: &Client,
    target: &Target,
    reader: &mut (dyn Read + Send),
    size: Option<u64>,
    opts: &UploadOptions,
    control: &Control,
) -> Result<UploadReport, Error> {
    let part_plan = match (size, opts.expected_size) {
        (None, Some(hint)) => {
            plan::plan(opts.part_size, Some(hint), &opts.limits).map(|p| plan::PartPlan::Growing {
                first: p.part_size(1),
                parts_per_step: (opts.limits.max_parts / 10).max(1),
                max: opts.limits.max_part_size,
            })
        }
        _ => plan::plan(opts.part_size, size, &opts.limits),
    }
    .map_err(Error::Usage)?;
    // Read up to the threshold first: a short stream becomes a single PutObject.
    let threshold = opts.multipart_threshold.max(1);
    let want = match size {
        Some(s) if s < threshold => s + 1,
        _ => threshold,
    };
    let report = measured(client, || {
        let mut first = Vec::new();
        read_up_to(reader, &mut first, want)?;
        if (first.len() as u64) < threshold {
            return put_single(client, target, Body::from(&first), opts, control);
        }
        let mut input = Prefixed {
            first: Some(std::io::Cursor::new(first)),
            rest: reader,
        };
        let source = multipart::Source::Stream(&mut input);
        multipart::upload(client, target, source, part_plan, size, opts, control)
    })?;
    if let Some(expected) = size {
        if report.size != expected {
            return Err(Error::Integrity(format!(
                "s3://{}/{}: read {} bytes but the source has {expected}: it changed while being uploaded",
                target.bucket, target.key, report.size
            )));
        }
    }
    Ok(report)
}

/// Uploads a file of `size` bytes. Multipart parts are sent straight from the file (read once
/// to hash, once to send, with positioned reads): no part is held in memory, so memory stays
/// small whatever the part size and concurrency.
///
/// # Errors
/// As [`upload`].
pub fn upload_file(
    client: &Client,
    target: &Target,
    file: &std::fs::File,
    size: u64,
    opts: &UploadOptions,
    control: &Control,
) -> Result<UploadReport, Error> {
    measured(client, || {
        if size < opts.multipart_threshold.max(1) {
            let range = FileRange {
                file,
                offset: 0,
                len: size,
            };
            return put_single(client, target, Body::File(range), opts, control);
        }
        let part_plan =
            plan::plan(opts.part_size, Some(size), &opts.limits).map_err(Error::Usage)?;
        let source = multipart::Source::File { file, size };
        multipart::upload(client, target, source, part_plan, Some(size), opts, control)
    })
}

/// Runs one upload and stamps its report with how long it took and how many retries it needed.
fn measured(
    client: &Client,
    run: impl FnOnce() -> Result<UploadReport, Error>,
) -> Result<UploadReport, Error> {
    let started = Instant::now();
    let retries_before = client.retries();
    let mut report = run()?;
    report.seconds = started.elapsed().as_secs_f64();
    report.retries = client.retries() - retries_before;
    Ok(report)
}

/// The bytes read ahead to choose single vs multipart, then the rest of the stream. Unlike
/// `Read::chain`, the read-ahead buffer is freed as soon as it is consumed instead of living
/// as long as the stream (a whole threshold of memory, 8 MiB by default).
struct Prefixed<'a> {
    first: Option<std::io::Cursor<Vec<u8>>>,
    rest: &'a mut (dyn Read + Send),
}

impl Read for Prefixed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(first) = self.first.as_mut() {
            let n = first.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.first = None;
        }
        self.rest.read(buf)
    }
}

/// Reads until `buf` holds `limit` bytes or the reader ends.
pub(crate) fn read_up_to(
    reader: &mut (dyn Read + Send),
    buf: &mut Vec<u8>,
    limit: u64,
) -> Result<(), Error> {
    reader
        .take(limit.saturating_sub(buf.len() as u64))
        .read_to_end(buf)
        .map_err(|source| Error::Source {
            path: "input".into(),
            source,
        })?;
    Ok(())
}

fn put_single(
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
    let ((resp, value), algorithm) = opts.with_checksum_fallback(|algorithm| {
        let (payload, checksum) = digest(&body, client, algorithm)?;
        let value = checksum.as_ref().map(Hasher::finish_base64);
        let pair = algorithm.zip(value.as_deref());
        let req = ops::put_object(&target.bucket, &target.key, &object, pair, body.borrowed());
        client
            .send_with_payload(&req, &payload)
            .map(|resp| (resp, value))
    })?;
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
fn verify_checksum(
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
