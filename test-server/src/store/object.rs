//! Single objects: PutObject that verifies the whole body before the object (or its
//! replacement) becomes visible, GET/HEAD through s3s-fs with S3's checksum reporting rules
//! (`x-amz-checksum-mode: ENABLED`), DELETE that also drops the sidecars, and the commit step
//! shared with CompleteMultipartUpload. Never writes outside the bucket directory.

use super::checksum::{self, Algorithm, Fields};
use super::errors;
use super::receive::{self, Claims};
use super::sidecar::{self, Attributes, Info};
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, S3};
use std::io;
use tempfile::TempPath;

/// What S3 stores when the client names no content type.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// Storage classes S3 accepts on upload.
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "OUTPOSTS",
    "SNOW",
    "EXPRESS_ONEZONE",
];

/// Refuses storage classes S3 does not know.
pub(super) fn check_storage_class(class: Option<&StorageClass>) -> S3Result<()> {
    match class {
        Some(c) if !STORAGE_CLASSES.contains(&c.as_str()) => Err(errors::err(
            s3s::S3ErrorCode::InvalidStorageClass,
            "The storage class you specified is not valid",
        )),
        _ => Ok(()),
    }
}

fn conflict(key: &str, e: &io::Error) -> s3s::S3Error {
    errors::invalid_argument(format!(
        "Cannot store key {key:?}: this test server keeps objects as files, so a key cannot also be a \
         '/'-prefix of another key ({e})"
    ))
}

/// Writes a sidecar; keys too long for a sidecar file name keep s3s-fs's fallbacks instead.
fn write_sidecar(store: &Store, path: &std::path::Path, bytes: &[u8]) -> S3Result<()> {
    match sidecar::write_atomic(&store.layout.tmp_dir(), path, bytes) {
        Err(e) if e.raw_os_error() == Some(36) => Ok(()), // ENAMETOOLONG
        r => r.map_err(|e| errors::internal("cannot write object metadata", e)),
    }
}

/// In discard mode: a sparse file of the object's size (no data blocks), so HEAD, listings
/// and the sidecars behave as for a stored object while no bytes are kept (GET returns zeros).
pub(super) fn sparse_placeholder(store: &Store, size: u64) -> S3Result<TempPath> {
    let file = tempfile::NamedTempFile::new_in(store.layout.tmp_dir())
        .map_err(|e| errors::internal("cannot create a placeholder", e))?;
    file.as_file()
        .set_len(size)
        .map_err(|e| errors::internal("cannot size a placeholder", e))?;
    Ok(file.into_temp_path())
}

/// Makes a received object visible: sidecars first, then the bytes, by rename.
pub(super) fn commit(
    store: &Store,
    bucket: &str,
    key: &str,
    tmp: Option<TempPath>,
    attrs: &Attributes,
    info: &Info,
) -> S3Result<()> {
    let path = store.object_path(bucket, key)?;
    let Some(tmp) = tmp else { return Ok(()) }; // discard mode
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| conflict(key, &e))?;
    }
    if path.is_dir() {
        return Err(conflict(
            key,
            &io::Error::other("a directory has that name"),
        ));
    }
    let attrs_json =
        serde_json::to_vec(attrs).map_err(|e| errors::internal("cannot encode metadata", e))?;
    write_sidecar(store, &store.layout.metadata_path(bucket, key), &attrs_json)?;
    write_sidecar(
        store,
        &store.layout.internal_info_path(bucket, key),
        &info.to_json(),
    )?;
    tmp.persist(&path).map_err(|e| conflict(key, &e.error))?;
    Ok(())
}

/// The ETag of a stored object (sidecar, else its MD5).
fn stored_etag(store: &Store, bucket: &str, key: &str) -> Option<String> {
    if let Some(info) = Info::read(&store.layout.internal_info_path(bucket, key)) {
        return Some(info.e_tag);
    }
    let bytes = std::fs::read(store.object_path(bucket, key).ok()?).ok()?;
    Some(checksum::hex(
        &<s3s::crypto::Md5 as s3s::crypto::Checksum>::checksum(&bytes),
    ))
}

/// If-Match / If-None-Match on writes (checked right before the commit).
pub(super) fn check_preconditions(
    store: &Store,
    bucket: &str,
    key: &str,
    if_match: Option<&IfMatch>,
    if_none_match: Option<&IfNoneMatch>,
) -> S3Result<()> {
    let exists = store.object_path(bucket, key)?.is_file();
    let failed = || {
        errors::err(
            s3s::S3ErrorCode::PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold",
        )
    };
    if if_none_match.is_some_and(ETagCondition::is_any) && exists {
        return Err(failed());
    }
    if let Some(cond) = if_match {
        if !exists {
            return Err(errors::err(
                s3s::S3ErrorCode::NoSuchKey,
                "The specified key does not exist.",
            ));
        }
        if let Some(want) = cond.as_etag() {
            if stored_etag(store, bucket, key).as_deref() != Some(want.value()) {
                return Err(failed());
            }
        }
    }
    Ok(())
}

/// Attributes of a new object from its request.
pub(super) fn attributes(
    content_type: Option<String>,
    metadata: Option<Metadata>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    cache_control: Option<String>,
    expires: Option<&Timestamp>,
) -> Attributes {
    // `aws-chunked` describes the request framing, not the object: S3 does not store it.
    let content_encoding = content_encoding
        .map(|e| {
            e.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|e| !e.is_empty());
    Attributes {
        user_metadata: metadata.map(|m| m.into_iter().collect()),
        content_encoding,
        content_type: Some(content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned())),
        content_disposition,
        cache_control,
        expires: sidecar::fmt_expires(expires),
        ..Attributes::default()
    }
}

pub(super) async fn put_object(
    store: &Store,
    req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let S3Request {
        input,
        headers,
        trailing_headers,
        ..
    } = req;
    store.require_bucket(&input.bucket)?;
    let path = store.object_path(&input.bucket, &input.key)?;
    check_storage_class(input.storage_class.as_ref())?;
    let claims = Claims::read(&headers)?;
    let default_alg = claims.algorithm().is_none().then_some(Algorithm::Crc64Nvme);
    let body = input.body.ok_or_else(errors::incomplete_body)?;
    let rec = receive::receive(
        body,
        &store.layout.tmp_dir(),
        &claims.algorithms(default_alg),
        store.opts.discard,
    )
    .await?;
    if input
        .content_length
        .is_some_and(|n| u64::try_from(n).ok() != Some(rec.size))
    {
        return Err(errors::incomplete_body());
    }
    let trailers = trailing_headers.and_then(|t| t.take());
    claims.verify(&rec, trailers.as_ref())?;
    if input.key.ends_with('/') {
        if rec.size > 0 {
            return Err(errors::invalid_argument("A key ending in '/' is stored as a directory by this test server: its body must be empty."));
        }
        if !store.opts.discard {
            std::fs::create_dir_all(&path).map_err(|e| conflict(&input.key, &e))?;
        }
    } else {
        check_preconditions(
            store,
            &input.bucket,
            &input.key,
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
        )?;
        let attrs = attributes(
            input.content_type,
            input.metadata,
            input.content_encoding,
            input.content_disposition,
            input.cache_control,
            input.expires.as_ref(),
        );
        let info = Info {
            e_tag: checksum::hex(&rec.md5),
            checksums: rec.sums.clone(),
            checksum_type: Some(ChecksumType::FULL_OBJECT.to_owned()),
            parts_count: None,
        };
        let tmp = match rec.tmp {
            Some(tmp) => tmp,
            None => sparse_placeholder(store, rec.size)?,
        };
        commit(store, &input.bucket, &input.key, Some(tmp), &attrs, &info)?;
    }
    let f = Fields::of(&rec.sums);
    Ok(S3Response::new(PutObjectOutput {
        e_tag: Some(ETag::Strong(checksum::hex(&rec.md5))),
        checksum_crc32: f.crc32,
        checksum_crc32c: f.crc32c,
        checksum_crc64nvme: f.crc64nvme,
        checksum_sha1: f.sha1,
        checksum_sha256: f.sha256,
        checksum_type: Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
        ..Default::default()
    }))
}

fn mode_enabled(mode: Option<&ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"))
}

/// The checksum fields S3 reports for a whole-object read: only with checksum mode enabled.
fn reported(
    store: &Store,
    bucket: &str,
    key: &str,
    enabled: bool,
) -> (Fields, Option<ChecksumType>) {
    let info = if enabled {
        Info::read(&store.layout.internal_info_path(bucket, key))
    } else {
        None
    };
    match info {
        Some(info) => (
            Fields::of(&info.checksums),
            info.checksum_type.map(ChecksumType::from),
        ),
        None => (Fields::default(), None),
    }
}

/// A key that is only a `/`-prefix of other keys is a directory here; S3 has no such object.
fn not_a_directory(path: &std::path::Path) -> S3Result<()> {
    if path.is_dir() {
        return Err(errors::err(
            s3s::S3ErrorCode::NoSuchKey,
            "The specified key does not exist.",
        ));
    }
    Ok(())
}

/// GetObject and HeadObject differ only in their types: read through s3s-fs, then report the
/// checksums this server stored (whole-object reads with checksum mode enabled).
macro_rules! read_with_checksums {
    ($store:expr, $req:expr, $method:ident) => {{
        let (store, req) = ($store, $req);
        store.require_bucket(&req.input.bucket)?;
        not_a_directory(&store.object_path(&req.input.bucket, &req.input.key)?)?;
        let whole = req.input.range.is_none() && req.input.part_number.is_none();
        let enabled = whole && mode_enabled(req.input.checksum_mode.as_ref());
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let mut resp = store.fs.$method(req).await?;
        let (f, ty) = reported(store, &bucket, &key, enabled);
        let out = &mut resp.output;
        (
            out.checksum_crc32,
            out.checksum_crc32c,
            out.checksum_crc64nvme,
        ) = (f.crc32, f.crc32c, f.crc64nvme);
        (out.checksum_sha1, out.checksum_sha256, out.checksum_type) = (f.sha1, f.sha256, ty);
        Ok(resp)
    }};
}

pub(super) async fn get_object(
    store: &Store,
    req: S3Request<GetObjectInput>,
) -> S3Result<S3Response<GetObjectOutput>> {
    read_with_checksums!(store, req, get_object)
}

pub(super) async fn head_object(
    store: &Store,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    read_with_checksums!(store, req, head_object)
}

pub(super) async fn delete_object(
    store: &Store,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    store.require_bucket(&req.input.bucket)?;
    let path = store.object_path(&req.input.bucket, &req.input.key)?;
    let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
    let resp = store.fs.delete_object(req).await?;
    if !path.exists() {
        for p in [
            store.layout.internal_info_path(&bucket, &key),
            store.layout.metadata_path(&bucket, &key),
        ] {
            sidecar::remove_if_exists(&p)
                .map_err(|e| errors::internal("cannot remove object metadata", e))?;
        }
    }
    Ok(resp)
}

pub(super) async fn delete_bucket(
    store: &Store,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    store.require_bucket(&req.input.bucket)?;
    let dir = store.layout.bucket_dir(&req.input.bucket);
    let mut entries =
        std::fs::read_dir(&dir).map_err(|e| errors::internal("cannot read bucket", e))?;
    if entries.next().is_some() {
        return Err(errors::err(
            s3s::S3ErrorCode::BucketNotEmpty,
            "The bucket you tried to delete is not empty",
        ));
    }
    store.fs.delete_bucket(req).await
}
