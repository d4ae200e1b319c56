//! Multipart uploads (`ROOT/.s3up/uploads/ID/`): the upload and part records,
//! CreateMultipartUpload (checksum algorithm and type checked as S3 does), UploadPart
//! (verified before the part replaces anything) and AbortMultipartUpload (UploadPartCopy:
//! `part_copy.rs`). Every part records the checksum its object will need, so that
//! CompleteMultipartUpload (`complete.rs`) never reads the bytes again; listing in
//! `listing.rs`.

use super::checksum::{self, Algorithm, Checksums, Fields};
use super::errors;
use super::layout::Layout;
use super::manifest::{self, Attributes, Sse};
use super::object;
use super::receive::{self, Claims};
use super::write_rules;
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// An unfinished upload, as stored in `upload.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRecord {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// Initiation time, Unix seconds.
    pub initiated: i64,
    /// Checksum algorithm chosen at creation.
    pub algorithm: Option<Algorithm>,
    /// `COMPOSITE` or `FULL_OBJECT` (with an algorithm).
    pub checksum_type: Option<String>,
    /// Storage class requested.
    pub storage_class: Option<String>,
    /// Attributes the object will get.
    pub attributes: Attributes,
    /// Server-side encryption the object will get.
    #[serde(default)]
    pub sse: Option<Sse>,
}

/// One uploaded part, as stored in `part-NNNNN.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRecord {
    /// Part number.
    pub part_number: u32,
    /// Hex MD5 (the part's ETag).
    pub md5: String,
    /// Bytes.
    pub size: u64,
    /// Upload time, Unix seconds.
    pub last_modified: i64,
    /// Checksums computed for the part.
    pub checksums: Checksums,
}

/// A fresh upload id: 16 hex digits of time (so ids sort by creation) and 32 random ones.
fn new_upload_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let mut rnd = [0u8; 16];
    // A failing system RNG leaves zeros; the time prefix still keeps ids distinct.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut rnd);
    format!("{nanos:016x}{}", checksum::hex(&rnd))
}

pub(super) fn now_unix() -> i64 {
    crate::clock::unix_secs(std::time::SystemTime::now())
}

/// The algorithms every part of `upload` is digested with: the client's, plus the one the
/// object's checksum will be combined from (the upload's, else CRC64NVME as S3 defaults to).
pub(super) fn part_algorithms(
    upload: &UploadRecord,
    claimed: Option<Algorithm>,
) -> std::collections::BTreeSet<Algorithm> {
    claimed
        .into_iter()
        .chain(Some(upload.algorithm.unwrap_or(Algorithm::Crc64Nvme)))
        .collect()
}

/// Writes a part's record next to its bytes.
pub(super) fn record_part(store: &Store, dir: &Path, part: &PartRecord) -> S3Result<()> {
    let json = serde_json::to_vec(part).map_err(|e| errors::internal("cannot encode part", e))?;
    manifest::write_atomic(
        &store.layout.tmp_dir(),
        &Layout::part_record_path(dir, part.part_number),
        &json,
    )
    .map_err(|_| errors::no_such_upload())
}

/// Checks a part number against the configured limit.
pub(super) fn part_number(store: &Store, n: i32) -> S3Result<u32> {
    let max = store.opts.limits.max_parts;
    u32::try_from(n)
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            errors::invalid_argument(format!(
                "Part number must be an integer between 1 and {max}, inclusive"
            ))
        })
}

/// A staging file for a part's bytes and a handle to write them (`None` when discarding).
pub(super) fn part_staging(
    store: &Store,
) -> S3Result<(Option<tempfile::NamedTempFile>, Option<std::fs::File>)> {
    if store.opts.discard {
        return Ok((None, None));
    }
    let cannot = |e| errors::internal("cannot create a staging file", e);
    let tmp = tempfile::Builder::new()
        .prefix("part-")
        .tempfile_in(store.layout.tmp_dir())
        .map_err(cannot)?;
    let file = tmp.as_file().try_clone().map_err(cannot)?;
    Ok((Some(tmp), Some(file)))
}

/// Every unfinished upload under the root, sorted by (key, upload id) (completed ones keep
/// only their `completed.json`).
pub fn read_all(layout: &Layout) -> Vec<UploadRecord> {
    let Ok(dir) = std::fs::read_dir(layout.uploads_dir()) else {
        return Vec::new();
    };
    let mut all: Vec<UploadRecord> = dir
        .filter_map(Result::ok)
        .filter(|e| !Layout::completed_record_path(&e.path()).exists())
        .filter_map(|e| std::fs::read(Layout::upload_record_path(&e.path())).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    all.sort_by(|a, b| (&a.key, &a.upload_id).cmp(&(&b.key, &b.upload_id)));
    all
}

/// The upload `id` for `bucket`/`key` and its directory, or `NoSuchUpload`.
pub fn load(
    layout: &Layout,
    bucket: &str,
    key: &str,
    id: &str,
) -> S3Result<(UploadRecord, PathBuf)> {
    let dir = layout.upload_dir(id).ok_or_else(errors::no_such_upload)?;
    if Layout::completed_record_path(&dir).exists() {
        return Err(errors::no_such_upload());
    }
    let bytes =
        std::fs::read(Layout::upload_record_path(&dir)).map_err(|_| errors::no_such_upload())?;
    let rec: UploadRecord =
        serde_json::from_slice(&bytes).map_err(|e| errors::internal("corrupt upload record", e))?;
    if rec.bucket != bucket || rec.key != key {
        return Err(errors::no_such_upload());
    }
    Ok((rec, dir))
}

/// The part records of an upload, by part number.
pub fn read_parts(dir: &Path) -> Vec<PartRecord> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut parts: Vec<PartRecord> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name().to_string_lossy().ends_with(".json") && e.file_name() != "upload.json"
        })
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    parts.sort_by_key(|p| p.part_number);
    parts
}

/// The checksum algorithm and type an upload is created with, validated as S3 does.
fn checksum_choice(
    alg: Option<&ChecksumAlgorithm>,
    ty: Option<&ChecksumType>,
) -> S3Result<(Option<Algorithm>, Option<String>)> {
    let alg = match alg {
        Some(a) => Some(Algorithm::parse(a.as_str()).ok_or_else(|| {
            errors::invalid_request("Checksum algorithm provided is unsupported.")
        })?),
        None => None,
    };
    let ty = ty.map(|t| t.as_str().to_ascii_uppercase());
    match (alg, ty) {
        (None, None) => Ok((None, None)),
        (None, Some(_)) => Err(errors::invalid_request(
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        )),
        (Some(a), None) => {
            let t = if a.composite_ok() { ChecksumType::COMPOSITE } else { ChecksumType::FULL_OBJECT };
            Ok((Some(a), Some(t.to_owned())))
        }
        (Some(a), Some(t)) => {
            let ok = match t.as_str() {
                ChecksumType::FULL_OBJECT => a.full_object_ok(),
                ChecksumType::COMPOSITE => a.composite_ok(),
                _ => false,
            };
            if ok {
                Ok((Some(a), Some(t)))
            } else {
                Err(errors::invalid_request(format!(
                    "The {t} checksum type cannot be used with the {} checksum algorithm.",
                    a.name().to_ascii_lowercase()
                )))
            }
        }
    }
}

pub(super) async fn create(
    store: &Store,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let input = req.input;
    let sse = object::write_checks!(store, input);
    let (algorithm, checksum_type) = checksum_choice(
        input.checksum_algorithm.as_ref(),
        input.checksum_type.as_ref(),
    )?;
    let upload_id = new_upload_id();
    let record = UploadRecord {
        bucket: input.bucket.clone(),
        key: input.key.clone(),
        upload_id: upload_id.clone(),
        initiated: now_unix(),
        algorithm,
        checksum_type: checksum_type.clone(),
        storage_class: input.storage_class.clone().map(|s| s.as_str().to_owned()),
        attributes: object::attributes_of!(input.clone()),
        sse,
    };
    let dir = store
        .layout
        .upload_dir(&upload_id)
        .ok_or_else(|| errors::internal("bad upload id", &upload_id))?;
    std::fs::create_dir_all(&dir).map_err(|e| errors::internal("cannot create upload", e))?;
    let json =
        serde_json::to_vec(&record).map_err(|e| errors::internal("cannot encode upload", e))?;
    manifest::write_atomic(
        &store.layout.tmp_dir(),
        &Layout::upload_record_path(&dir),
        &json,
    )
    .map_err(|e| errors::internal("cannot write upload", e))?;
    let (server_side_encryption, ssekms_key_id, bucket_key_enabled) =
        write_rules::sse_fields(record.sse.as_ref());
    Ok(S3Response::new(CreateMultipartUploadOutput {
        server_side_encryption,
        ssekms_key_id,
        bucket_key_enabled,
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(upload_id),
        checksum_algorithm: algorithm.map(|a| ChecksumAlgorithm::from(a.name().to_owned())),
        checksum_type: checksum_type.map(ChecksumType::from),
        ..Default::default()
    }))
}

pub(super) async fn upload_part(
    store: &Store,
    req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let S3Request {
        input,
        headers,
        trailing_headers,
        ..
    } = req;
    let part_number = part_number(store, input.part_number)?;
    let (upload, dir) = load(&store.layout, &input.bucket, &input.key, &input.upload_id)?;
    let claims = Claims::read(&headers)?;
    if let (Some(want), Some(got)) = (upload.algorithm, claims.algorithm()) {
        if want != got {
            return Err(errors::invalid_request(format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                want.name().to_ascii_lowercase(),
                got.name().to_ascii_lowercase()
            )));
        }
    }
    let body = input.body.ok_or_else(errors::incomplete_body)?;
    let (staging, file) = part_staging(store)?;
    let algs = part_algorithms(&upload, claims.algorithm());
    let rec = receive::receive(body, file, &algs).await?;
    if input
        .content_length
        .is_some_and(|n| u64::try_from(n).ok() != Some(rec.size))
    {
        return Err(errors::incomplete_body());
    }
    let trailers = trailing_headers.and_then(|t| t.take());
    claims.verify(&rec, trailers.as_ref())?;
    let part = PartRecord {
        part_number,
        md5: checksum::hex(&rec.md5),
        size: rec.size,
        last_modified: now_unix(),
        checksums: rec.sums.clone(),
    };
    if let Some(tmp) = staging {
        tmp.persist(Layout::part_path(&dir, part_number))
            .map_err(|_| errors::no_such_upload())?;
    }
    record_part(store, &dir, &part)?;
    // S3 reports only the checksum the client or the upload chose.
    let f = Fields::only(&rec.sums, claims.algorithm().or(upload.algorithm));
    let (server_side_encryption, ssekms_key_id, bucket_key_enabled) =
        write_rules::sse_fields(upload.sse.as_ref());
    Ok(S3Response::new(UploadPartOutput {
        e_tag: Some(ETag::Strong(part.md5)),
        checksum_crc32: f.crc32,
        checksum_crc32c: f.crc32c,
        checksum_crc64nvme: f.crc64nvme,
        checksum_sha1: f.sha1,
        checksum_sha256: f.sha256,
        server_side_encryption,
        ssekms_key_id,
        bucket_key_enabled,
        ..Default::default()
    }))
}

pub(super) async fn abort(
    store: &Store,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let _guard = store.mpu_lock.lock().await;
    let input = req.input;
    let (_, dir) = load(&store.layout, &input.bucket, &input.key, &input.upload_id)?;
    std::fs::remove_dir_all(&dir).map_err(|e| errors::internal("cannot remove the upload", e))?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_choices_follow_s3() {
        let alg = |s: &str| Some(ChecksumAlgorithm::from(s.to_owned()));
        let ty = |s: &str| Some(ChecksumType::from(s.to_owned()));
        assert_eq!(checksum_choice(None, None).expect("none").0, None);
        let (a, t) = checksum_choice(alg("CRC32").as_ref(), None).expect("crc32");
        assert_eq!(
            (a, t.as_deref()),
            (Some(Algorithm::Crc32), Some("COMPOSITE"))
        );
        let (_, t) = checksum_choice(alg("CRC64NVME").as_ref(), None).expect("crc64");
        assert_eq!(t.as_deref(), Some("FULL_OBJECT"));
        assert!(checksum_choice(alg("SHA256").as_ref(), ty("FULL_OBJECT").as_ref()).is_err());
        assert!(checksum_choice(alg("CRC64NVME").as_ref(), ty("COMPOSITE").as_ref()).is_err());
        assert!(checksum_choice(None, ty("FULL_OBJECT").as_ref()).is_err());
        assert!(checksum_choice(alg("CRC32C").as_ref(), ty("FULL_OBJECT").as_ref()).is_ok());
    }

    #[test]
    fn upload_ids_are_valid_and_ordered() {
        let a = new_upload_id();
        let b = new_upload_id();
        assert!(super::super::layout::is_upload_id(&a), "{a}");
        assert!(a[..16] <= b[..16]);
    }
}
