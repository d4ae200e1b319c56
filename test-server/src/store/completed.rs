//! What a completed multipart upload answered, kept in its directory (`completed.json`, for
//! a day) so that a CompleteMultipartUpload repeated after it succeeded gets the same answer,
//! as on S3; and the cleanup that leaves only that record once the object holds the parts.

use super::checksum::Checksums;
use super::complete::requested;
use super::errors;
use super::layout::Layout;
use super::manifest::{self, Sse};
use super::Store;

use s3s::dto::CompleteMultipartUploadInput;
use s3s::S3Result;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// (part number, ETag) of each requested part, ETags unquoted and lower case.
pub(super) fn requested_ids(input: &CompleteMultipartUploadInput) -> Vec<(i32, String)> {
    requested(input)
        .iter()
        .map(|p| {
            let etag = p
                .e_tag
                .as_ref()
                .map(|e| e.value().trim_matches('"').to_ascii_lowercase());
            (p.part_number.unwrap_or(0), etag.unwrap_or_default())
        })
        .collect()
}

/// What a completed upload answered, kept in its directory for retried Completes.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Completed {
    pub bucket: String,
    pub key: String,
    pub parts: Vec<(i32, String)>,
    pub e_tag: String,
    pub checksums: Checksums,
    pub checksum_type: Option<String>,
    pub sse: Option<Sse>,
}

/// The earlier answer, when this Complete repeats one that succeeded (as S3 answers it).
pub(super) fn earlier_answer(
    store: &Store,
    input: &CompleteMultipartUploadInput,
) -> S3Result<Option<Completed>> {
    let Some(dir) = store.layout.upload_dir(&input.upload_id) else {
        return Ok(None);
    };
    let Ok(bytes) = std::fs::read(Layout::completed_record_path(&dir)) else {
        return Ok(None);
    };
    let done: Completed = serde_json::from_slice(&bytes)
        .map_err(|e| errors::internal("corrupt completion record", e))?;
    if done.bucket != input.bucket || done.key != input.key {
        return Err(errors::no_such_upload());
    }
    if done.parts != requested_ids(input) {
        let mut e = errors::no_such_upload();
        e.set_message("The specified upload was already completed with another list of parts.");
        return Err(e);
    }
    Ok(Some(done))
}

/// Records the answer, then drops the upload's parts (the object holds its own links).
pub(super) fn finish_upload(store: &Store, dir: &Path, done: &Completed) -> S3Result<()> {
    let json = serde_json::to_vec(done).map_err(|e| errors::internal("cannot encode", e))?;
    manifest::write_atomic(
        &store.layout.tmp_dir(),
        &Layout::completed_record_path(dir),
        &json,
    )
    .map_err(|e| errors::internal("cannot record the completion", e))?;
    let entries =
        std::fs::read_dir(dir).map_err(|e| errors::internal("cannot read the upload", e))?;
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name() != "completed.json" {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}
