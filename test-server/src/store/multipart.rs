//! Multipart uploads with this server's own storage (`ROOT/.s3up/uploads/ID/`): the upload and
//! part records, CreateMultipartUpload (checksum algorithm and type checked as S3 does),
//! UploadPart (verified before the part replaces anything) and AbortMultipartUpload.
//! CompleteMultipartUpload lives in `complete.rs`; listing in `listing.rs`.

use super::checksum::{self, Algorithm, Checksums, Fields};
use super::errors;
use super::layout::Layout;
use super::object;
use super::receive::{self, Claims};
use super::sidecar::{self, Attributes};
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

fn now_unix() -> i64 {
    crate::clock::unix_secs(std::time::SystemTime::now())
}

/// Every unfinished upload under the root, sorted by (key, upload id).
pub fn read_all(layout: &Layout) -> Vec<UploadRecord> {
    let Ok(dir) = std::fs::read_dir(layout.uploads_dir()) else {
        return Vec::new();
    };
    let mut all: Vec<UploadRecord> = dir
        .filter_map(Result::ok)
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
    store.require_bucket(&input.bucket)?;
    store.object_path(&input.bucket, &input.key)?;
    object::check_storage_class(input.storage_class.as_ref())?;
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
        storage_class: input.storage_class.map(|s| s.as_str().to_owned()),
        attributes: object::attributes(
            input.content_type,
            input.metadata,
            input.content_encoding,
            input.content_disposition,
            input.cache_control,
            input.expires.as_ref(),
        ),
    };
    let dir = store
        .layout
        .upload_dir(&upload_id)
        .ok_or_else(|| errors::internal("bad upload id", &upload_id))?;
    std::fs::create_dir_all(&dir).map_err(|e| errors::internal("cannot create upload", e))?;
    let json =
        serde_json::to_vec(&record).map_err(|e| errors::internal("cannot encode upload", e))?;
    sidecar::write_atomic(
        &store.layout.tmp_dir(),
        &Layout::upload_record_path(&dir),
        &json,
    )
    .map_err(|e| errors::internal("cannot write upload", e))?;
    Ok(S3Response::new(CreateMultipartUploadOutput {
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
    let max = store.opts.limits.max_parts;
    let part_number = u32::try_from(input.part_number)
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            errors::invalid_argument(format!(
                "Part number must be an integer between 1 and {max}, inclusive"
            ))
        })?;
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
    let mut algs = claims.algorithms(upload.algorithm);
    if store.opts.discard && upload.algorithm.is_none() {
        // Without stored bytes, Complete combines the parts' CRCs into the default checksum.
        algs.insert(Algorithm::Crc64Nvme);
    }
    let rec = receive::receive(body, &store.layout.tmp_dir(), &algs, store.opts.discard).await?;
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
    if let Some(tmp) = rec.tmp {
        tmp.persist(Layout::part_path(&dir, part_number))
            .map_err(|_| errors::no_such_upload())?;
    }
    let json = serde_json::to_vec(&part).map_err(|e| errors::internal("cannot encode part", e))?;
    sidecar::write_atomic(
        &store.layout.tmp_dir(),
        &Layout::part_record_path(&dir, part_number),
        &json,
    )
    .map_err(|_| errors::no_such_upload())?;
    let f = Fields::of(&rec.sums);
    Ok(S3Response::new(UploadPartOutput {
        e_tag: Some(ETag::Strong(part.md5)),
        checksum_crc32: f.crc32,
        checksum_crc32c: f.crc32c,
        checksum_crc64nvme: f.crc64nvme,
        checksum_sha1: f.sha1,
        checksum_sha256: f.sha256,
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
