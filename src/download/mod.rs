//! The download engine: an object into a file, or read in order (standard output, a restore).
//! HeadObject first (size, the ETag every GET is tied to with `If-Match`, what to verify
//! against), then ranged GETs in parallel; a broken piece resumes from its last good byte; an
//! object that changes meanwhile is an error, never a mix of two versions. Verification is
//! never weaker than the upload's ([`check`]): a stored CRC (whole or composite, part by part),
//! else an MD5 ETag, else the size, which the report says.
//!
//! - `plan`: HeadObject(s) and the pieces; `check`: the verification; `fetch`: one piece;
//! - `file`: into a temporary file, renamed over the destination only once verified;
//! - `ordered`: in order, memory bounded by `concurrency × part size`.

mod check;
mod fetch;
mod file;
mod ordered;
mod plan;
pub(crate) mod targets;

use std::io::BufRead;
use std::path::Path;
use std::time::{Instant, SystemTime};

use crate::client::Client;
use crate::control::Control;
use crate::error::Error;
use crate::s3::errors::Class;

/// The object to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub bucket: String,
    pub key: String,
}

impl Source {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
        }
    }
}

/// How downloads are made.
#[derive(Debug, Clone, Copy)]
pub struct DownloadOptions {
    /// Bytes per ranged GET.
    pub part_size: u64,
    /// GETs in flight.
    pub concurrency: usize,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
        }
    }
}

/// What a download did, for `--json` and messages.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadReport {
    pub size: u64,
    pub etag: String,
    pub last_modified: Option<SystemTime>,
    /// What was verified: `crc64nvme`, `crc32-composite`, `md5-etag`, `size-only`, ...
    pub verified: String,
    /// The stored checksum compared against, as S3 shows it.
    pub checksum: Option<String>,
    /// Ranged GETs made (without retries).
    pub pieces: usize,
    pub seconds: f64,
    pub retries: u64,
}

/// Downloads the object into `dest` (replacing a file there only once the download is
/// complete and verified).
///
/// # Errors
/// Any failure, with nothing left under `dest`'s name (an existing file is untouched).
pub fn download_file(
    client: &Client,
    source: &Source,
    dest: &Path,
    opts: &DownloadOptions,
    control: &Control,
) -> Result<DownloadReport, Error> {
    measured(client, source, opts, |plan| {
        file::to_file(client, source, plan, dest, opts, control)
    })
}

/// Downloads the object in order into `consume`, then verifies it: bytes reach `consume`
/// before the verdict, so callers must not treat them as trusted until this returns `Ok`.
///
/// # Errors
/// The download's failure, `consume`'s, or a checksum mismatch.
pub fn download_stream<T>(
    client: &Client,
    source: &Source,
    opts: &DownloadOptions,
    control: &Control,
    consume: impl FnOnce(&mut dyn BufRead) -> Result<T, Error>,
) -> Result<(T, DownloadReport), Error> {
    let mut value = None;
    let report = measured(client, source, opts, |plan| {
        value = Some(ordered::stream(
            client, source, plan, opts, control, consume,
        )?);
        Ok(())
    })?;
    let value = value.ok_or_else(|| Error::Integrity("the download produced nothing".into()))?;
    Ok((value, report))
}

/// Plans, runs `download`, and reports.
fn measured(
    client: &Client,
    source: &Source,
    opts: &DownloadOptions,
    download: impl FnOnce(&plan::Plan) -> Result<(), Error>,
) -> Result<DownloadReport, Error> {
    let started = Instant::now();
    let retries_before = client.retries();
    let plan = plan::plan(client, source)?;
    download(&plan)?;
    Ok(DownloadReport {
        size: plan.info.size,
        etag: plan.info.etag.clone(),
        last_modified: plan.info.last_modified,
        verified: plan.check.label(),
        checksum: plan.check.expected(),
        pieces: plan::pieces(&plan.segments, opts.part_size).len(),
        seconds: started.elapsed().as_secs_f64(),
        retries: client.retries() - retries_before,
    })
}

/// A verification failure, naming the object and both values.
fn mismatch(source: &Source, what: &str) -> Error {
    Error::Integrity(format!(
        "s3://{}/{}: {what}: the downloaded bytes are corrupt",
        source.bucket, source.key
    ))
}

/// A failed `If-Match` says the object changed during the download.
fn changed_or(source: &Source, etag: &str, e: Error) -> Error {
    if e.class() == Some(Class::Changed) {
        return Error::Integrity(format!(
            "s3://{}/{} changed during the download (it is no longer the version with ETag {etag}): nothing was kept; download it again",
            source.bucket, source.key
        ));
    }
    e
}
