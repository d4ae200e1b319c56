//! UploadPartCopy: a byte range (`x-amz-copy-source-range`) of a stored object, after the
//! source's conditions, becomes a part, digested as UploadPart digests parts.

use super::checksum::{self, Algorithm, Fields};
use super::content;
use super::errors;
use super::layout::Layout;
use super::multipart::{
    self, load, part_algorithms, part_number, part_staging, record_part, PartRecord,
};
use super::object;
use super::write_rules;
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

/// The byte range `x-amz-copy-source-range` names (`bytes=FIRST-LAST`), within `size`.
fn copy_range(range: Option<&str>, size: u64) -> S3Result<std::ops::Range<u64>> {
    let Some(r) = range else { return Ok(0..size) };
    let bad = || {
        errors::invalid_argument(format!(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy (got {r:?}, object size {size})"
        ))
    };
    let (first, last) = r
        .trim()
        .strip_prefix("bytes=")
        .and_then(|s| s.split_once('-'))
        .ok_or_else(bad)?;
    let (first, last): (u64, u64) = (
        first.parse().map_err(|_| bad())?,
        last.parse().map_err(|_| bad())?,
    );
    if first > last || last >= size {
        return Err(errors::err(
            s3s::S3ErrorCode::InvalidRange,
            format!("The requested range is not satisfiable (object size {size})"),
        ));
    }
    Ok(first..last + 1)
}

pub(super) async fn upload_part_copy(
    store: &Store,
    req: S3Request<UploadPartCopyInput>,
) -> S3Result<S3Response<UploadPartCopyOutput>> {
    let input = req.input;
    let part_number = part_number(store, input.part_number)?;
    let (upload, dir) = load(&store.layout, &input.bucket, &input.key, &input.upload_id)?;
    let src = object::copy_source(store, &input.copy_source, object::copy_conditions!(&input))?;
    let span = copy_range(input.copy_source_range.as_deref(), src.meta.size)?;
    let (staging, file) = part_staging(store)?;
    let algs: Vec<Algorithm> = part_algorithms(&upload, None).into_iter().collect();
    let size = span.end - span.start;
    let (md5, sums) =
        tokio::task::spawn_blocking(move || content::copy_range(src, span, file, &algs))
            .await
            .map_err(|e| errors::internal("copy task failed", e))?
            .map_err(|e| errors::internal("cannot copy the part", e))?;
    let part = PartRecord {
        part_number,
        md5: checksum::hex(&md5),
        size,
        last_modified: multipart::now_unix(),
        checksums: sums,
    };
    if let Some(tmp) = staging {
        tmp.persist(Layout::part_path(&dir, part_number))
            .map_err(|_| errors::no_such_upload())?;
    }
    record_part(store, &dir, &part)?;
    let f = Fields::only(&part.checksums, upload.algorithm);
    let (server_side_encryption, ssekms_key_id, bucket_key_enabled) =
        write_rules::sse_fields(upload.sse.as_ref());
    Ok(S3Response::new(UploadPartCopyOutput {
        copy_part_result: Some(CopyPartResult {
            checksum_crc32: f.crc32,
            checksum_crc32c: f.crc32c,
            checksum_crc64nvme: f.crc64nvme,
            checksum_sha1: f.sha1,
            checksum_sha256: f.sha256,
            e_tag: Some(ETag::Strong(part.md5)),
            last_modified: Some(Timestamp::from(std::time::SystemTime::now())),
        }),
        server_side_encryption,
        ssekms_key_id,
        bucket_key_enabled,
        ..Default::default()
    }))
}
