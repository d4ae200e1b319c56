//! The upload engine: one path for files and streams. Below the multipart threshold a single
//! PutObject; above it a multipart upload whose parts are read in order by the calling thread
//! and sent in parallel by workers, with at most `concurrency + 1` part buffers alive. Success
//! only when the server confirmed a complete object of the right size (and checksum); on any
//! failure after CreateMultipartUpload the upload is aborted.
//!
//! - [`options`]: how uploads are made, and where an object goes;
//! - `payload`: the SHA-256 and checksum of a body, in one pass;
//! - `single`: one PutObject; `stream`: streams of unknown length; `multipart`: the parts.

mod multipart;
mod options;
mod payload;
pub mod plan;
mod single;
mod stream;

use std::time::Instant;

pub use crate::control::Control;
pub use options::{ChecksumMode, Target, UploadOptions};
pub use stream::upload_stream;

use crate::body::{Body, FileRange};
use crate::client::Client;
use crate::error::Error;

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

/// Uploads a file of `size` bytes. Multipart parts are sent straight from the file (read once
/// to hash, once to send, with positioned reads): no part is held in memory, so memory stays
/// small whatever the part size and concurrency.
///
/// # Errors
/// Any failure; a multipart upload started here has been aborted when this returns an error.
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
            return single::put_single(client, target, Body::File(range), opts, control);
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
