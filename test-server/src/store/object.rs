//! Writing single objects: PutObject (the whole body verified before the object, or its
//! replacement, becomes visible; conditional writes checked at that moment), CopyObject
//! (conditions on the source, self-copies without a change refused), DeleteObject and
//! DeleteObjects (`Quiet`, at most 1,000 keys), plus what every write shares: storage class,
//! server-side-encryption settings and the object's attributes.

use super::checksum::{self, Algorithm, Fields};
use super::conditions::{self, Conditions};

use super::content;
use super::errors;
use super::layout::DATA;
use super::manifest::{self, Attributes, Manifest, Segment, Sse};
use super::receive::{self, Claims};
use super::write_rules::sse_fields;
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

/// What S3 stores when the client names no content type.
pub(super) const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// Most keys one DeleteObjects may name.
const MAX_DELETE_KEYS: usize = 1000;

/// `aws-chunked` describes the request framing, not the object: S3 does not store it.
pub(super) fn stored_encoding(content_encoding: Option<String>) -> Option<String> {
    content_encoding
        .map(|e| {
            e.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|e| !e.is_empty())
}

/// The attributes a new object gets from a PutObject, CopyObject (REPLACE) or
/// CreateMultipartUpload request (the same fields in each).
macro_rules! attributes_of {
    ($input:expr) => {{
        let input = $input;
        $crate::store::manifest::Attributes {
            user_metadata: input.metadata.map(|m| m.into_iter().collect()),
            content_encoding: $crate::store::object::stored_encoding(input.content_encoding),
            content_type: Some(
                input
                    .content_type
                    .unwrap_or_else(|| $crate::store::object::DEFAULT_CONTENT_TYPE.to_owned()),
            ),
            content_disposition: input.content_disposition,
            content_language: input.content_language,
            cache_control: input.cache_control,
            expires: $crate::store::manifest::fmt_expires(input.expires.as_ref()),
            website_redirect_location: input.website_redirect_location,
        }
    }};
}
pub(super) use attributes_of;

/// The checks every object write starts with (bucket, key, storage class, encryption), the
/// same fields in PutObject, CopyObject and CreateMultipartUpload; the encryption asked for.
macro_rules! write_checks {
    ($store:expr, $input:expr) => {{
        let input = &$input;
        $store.require_bucket(&input.bucket)?;
        $store.check_key(&input.key)?;
        $crate::store::write_rules::check_storage_class(input.storage_class.as_ref())?;
        $crate::store::write_rules::sse_of(
            input.server_side_encryption.as_ref(),
            input.ssekms_key_id.as_deref(),
            input.bucket_key_enabled,
        )?
    }};
}
pub(super) use write_checks;

/// The source conditions (`x-amz-copy-source-if-*`) of a CopyObject or UploadPartCopy.
macro_rules! copy_conditions {
    ($input:expr) => {{
        let input = $input;
        $crate::store::conditions::Conditions {
            if_match: input.copy_source_if_match.as_ref(),
            if_none_match: input.copy_source_if_none_match.as_ref(),
            if_modified_since: input.copy_source_if_modified_since.as_ref(),
            if_unmodified_since: input.copy_source_if_unmodified_since.as_ref(),
        }
    }};
}
pub(super) use copy_conditions;

/// A single-piece object's manifest.
fn single(
    key: String,
    size: u64,
    md5: &[u8; 16],
    sums: checksum::Checksums,
    stored: bool,
) -> Manifest {
    Manifest {
        key,
        size,
        e_tag: checksum::hex(md5),
        last_modified_ms: manifest::now_ms(),
        checksums: sums,
        checksum_type: Some(ChecksumType::FULL_OBJECT.to_owned()),
        storage_class: None,
        attributes: Attributes::default(),
        sse: None,
        segments: if stored {
            vec![Segment {
                file: DATA.to_owned(),
                size,
            }]
        } else {
            Vec::new()
        },
        stored,
        parts: None,
    }
}

pub(super) async fn put_object(
    store: &Store,
    req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let S3Request {
        mut input,
        headers,
        trailing_headers,
        ..
    } = req;
    let sse = write_checks!(store, input);
    let claims = Claims::read(&headers)?;
    let default_alg = claims.algorithm().is_none().then_some(Algorithm::Crc64Nvme);
    let body = input.body.take().ok_or_else(errors::incomplete_body)?;
    let staged = store.stage()?;
    let file = store.data_file(&staged)?;
    let rec = receive::receive(body, file, &claims.algorithms(default_alg)).await?;
    if input
        .content_length
        .is_some_and(|n| u64::try_from(n).ok() != Some(rec.size))
    {
        return Err(errors::incomplete_body());
    }
    let trailers = trailing_headers.and_then(|t| t.take());
    claims.verify(&rec, trailers.as_ref())?;
    let (if_match, if_none_match) = (input.if_match.take(), input.if_none_match.take());
    let bucket = input.bucket.clone();
    let mut meta = single(
        input.key.clone(),
        rec.size,
        &rec.md5,
        rec.sums.clone(),
        !store.opts.discard,
    );
    meta.storage_class = input.storage_class.take().map(|s| s.as_str().to_owned());
    meta.sse = sse;
    meta.attributes = attributes_of!(input);
    let v = store.index.commit(&bucket, staged, meta, |cur| {
        conditions::check_write(
            if_match.as_ref(),
            if_none_match.as_ref(),
            cur.map(|c| c.meta.e_tag.as_str()),
        )
    })?;
    let f = Fields::of(&rec.sums);
    let (server_side_encryption, ssekms_key_id, bucket_key_enabled) =
        sse_fields(v.meta.sse.as_ref());
    Ok(S3Response::new(PutObjectOutput {
        e_tag: Some(ETag::Strong(v.meta.e_tag.clone())),
        checksum_crc32: f.crc32,
        checksum_crc32c: f.crc32c,
        checksum_crc64nvme: f.crc64nvme,
        checksum_sha1: f.sha1,
        checksum_sha256: f.sha256,
        checksum_type: Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
        server_side_encryption,
        ssekms_key_id,
        bucket_key_enabled,
        ..Default::default()
    }))
}

pub(super) fn delete_object(
    store: &Store,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    store.check_key(&req.input.key)?;
    store.index.remove(&req.input.bucket, &req.input.key)?;
    Ok(S3Response::new(DeleteObjectOutput::default()))
}

pub(super) fn delete_objects(
    store: &Store,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let input = req.input;
    store.require_bucket(&input.bucket)?;
    let objects = &input.delete.objects;
    if objects.len() > MAX_DELETE_KEYS {
        return Err(errors::malformed_xml(&format!(
            " (DeleteObjects names {} keys; at most {MAX_DELETE_KEYS} are allowed)",
            objects.len()
        )));
    }
    let quiet = input.delete.quiet.unwrap_or(false);
    let (mut deleted, mut failed) = (Vec::new(), Vec::new());
    for obj in objects {
        let result = store
            .check_key(&obj.key)
            .and_then(|()| store.index.remove(&input.bucket, &obj.key));
        match result {
            Ok(()) if quiet => {}
            Ok(()) => deleted.push(DeletedObject {
                key: Some(obj.key.clone()),
                ..Default::default()
            }),
            Err(e) => failed.push(Error {
                code: Some(e.code().as_str().to_owned()),
                key: Some(obj.key.clone()),
                message: e.message().map(str::to_owned),
                version_id: None,
            }),
        }
    }
    Ok(S3Response::new(DeleteObjectsOutput {
        deleted: (!deleted.is_empty()).then_some(deleted),
        errors: (!failed.is_empty()).then_some(failed),
        ..Default::default()
    }))
}

/// The source of a copy, after its conditions.
pub(super) fn copy_source(
    store: &Store,
    source: &CopySource,
    c: Conditions<'_>,
) -> S3Result<std::sync::Arc<super::index::Version>> {
    let CopySource::Bucket { bucket, key, .. } = source else {
        return Err(errors::err(
            s3s::S3ErrorCode::NotImplemented,
            "This test server copies only from bucket/key sources.",
        ));
    };
    store.check_key(key)?;
    let v = store
        .index
        .get(bucket, key)?
        .ok_or_else(errors::no_such_key)?;
    c.check_source(&v.meta.e_tag, v.meta.last_modified_ms)?;
    Ok(v)
}

/// Refuses a copy onto itself that changes nothing, as S3 does.
fn check_self_copy(input: &CopyObjectInput, replace: bool, sse: Option<&Sse>) -> S3Result<()> {
    let same = matches!(&input.copy_source, CopySource::Bucket { bucket, key, .. }
        if **bucket == *input.bucket && **key == *input.key);
    if same
        && !replace
        && input.storage_class.is_none()
        && sse.is_none()
        && input.website_redirect_location.is_none()
    {
        return Err(errors::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    Ok(())
}

/// Copies a whole object into a staged one, digesting it with `alg`.
async fn copy_bytes(
    store: &Store,
    src: &std::sync::Arc<super::index::Version>,
    alg: Algorithm,
) -> S3Result<(tempfile::TempDir, [u8; 16], checksum::Checksums)> {
    let staged = store.stage()?;
    let file = store.data_file(&staged)?;
    let (source, size) = (std::sync::Arc::clone(src), src.meta.size);
    let (md5, sums) =
        tokio::task::spawn_blocking(move || content::copy_range(source, 0..size, file, &[alg]))
            .await
            .map_err(|e| errors::internal("copy task failed", e))?
            .map_err(|e| errors::internal("cannot copy the object", e))?;
    Ok((staged, md5, sums))
}

pub(super) async fn copy_object(
    store: &Store,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let input = req.input;
    let sse = write_checks!(store, input);
    let src = copy_source(store, &input.copy_source, copy_conditions!(&input))?;
    let replace = input
        .metadata_directive
        .as_ref()
        .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
    check_self_copy(&input, replace, sse.as_ref())?;
    let alg = input
        .checksum_algorithm
        .as_ref()
        .and_then(|a| Algorithm::parse(a.as_str()))
        .or_else(|| src.meta.checksums.keys().next().copied())
        .unwrap_or(Algorithm::Crc64Nvme);
    let (staged, md5, sums) = copy_bytes(store, &src, alg).await?;
    let bucket = input.bucket.clone();
    let mut meta = single(
        input.key.clone(),
        src.meta.size,
        &md5,
        sums.clone(),
        !store.opts.discard,
    );
    meta.storage_class = input.storage_class.clone().map(|s| s.as_str().to_owned());
    meta.sse = sse;
    meta.attributes = if replace {
        attributes_of!(input)
    } else {
        Attributes {
            website_redirect_location: input.website_redirect_location,
            ..src.meta.attributes.clone()
        }
    };
    let v = store.index.commit(&bucket, staged, meta, |_| Ok(()))?;
    let f = Fields::of(&sums);
    let (server_side_encryption, ssekms_key_id, bucket_key_enabled) =
        sse_fields(v.meta.sse.as_ref());
    Ok(S3Response::new(CopyObjectOutput {
        copy_object_result: Some(CopyObjectResult {
            checksum_crc32: f.crc32,
            checksum_crc32c: f.crc32c,
            checksum_crc64nvme: f.crc64nvme,
            checksum_sha1: f.sha1,
            checksum_sha256: f.sha256,
            checksum_type: Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
            e_tag: Some(ETag::Strong(v.meta.e_tag.clone())),
            last_modified: Some(v.meta.last_modified()),
        }),
        server_side_encryption,
        ssekms_key_id,
        bucket_key_enabled,
        ..Default::default()
    }))
}
