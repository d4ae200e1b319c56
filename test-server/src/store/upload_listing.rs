//! ListMultipartUploads (prefix, delimiter, key and upload-id markers, max-uploads, url
//! encoding) and ListParts (part-number marker, max-parts), read from the multipart storage.
//! Read-only.

use super::checksum::Fields;
use super::errors;
use super::listing::{owner, page_size, Encoder};
use super::multipart::{self, UploadRecord};
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};

fn timestamp(unix: i64) -> Timestamp {
    Timestamp::from(UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0)))
}

fn initiator(store: &Store) -> Initiator {
    let o = owner(store);
    Initiator {
        display_name: o.display_name,
        id: o.id,
    }
}

/// An upload or a common prefix, in listing order.
enum Entry<'a> {
    Upload(&'a UploadRecord),
    Prefix(String),
}

/// The uploads and common prefixes of a listing, in order, before paging.
fn entries<'a>(
    all: &'a [UploadRecord],
    input: &ListMultipartUploadsInput,
    prefix: &str,
) -> Vec<Entry<'a>> {
    let after_marker = |u: &UploadRecord| match (&input.key_marker, &input.upload_id_marker) {
        (Some(km), Some(um)) => u.key > *km || (u.key == *km && u.upload_id > *um),
        (Some(km), None) => u.key > *km,
        _ => true,
    };
    let delimiter = input.delimiter.as_deref().filter(|d| !d.is_empty());
    let mut entries = Vec::new();
    let mut seen_prefixes = BTreeSet::new();
    for u in all
        .iter()
        .filter(|u| u.bucket == input.bucket && u.key.starts_with(prefix) && after_marker(u))
    {
        let rest = &u.key[prefix.len()..];
        match delimiter.and_then(|d| rest.find(d).map(|i| i + d.len())) {
            Some(end) => {
                let cp = format!("{prefix}{}", &rest[..end]);
                if seen_prefixes.insert(cp.clone()) {
                    entries.push(Entry::Prefix(cp));
                }
            }
            None => entries.push(Entry::Upload(u)),
        }
    }
    entries
}

/// One listed upload.
fn upload_entry(store: &Store, u: &UploadRecord, key: String) -> MultipartUpload {
    MultipartUpload {
        checksum_algorithm: u
            .algorithm
            .map(|a| ChecksumAlgorithm::from(a.name().to_owned())),
        checksum_type: u.checksum_type.clone().map(ChecksumType::from),
        initiated: Some(timestamp(u.initiated)),
        initiator: Some(initiator(store)),
        key: Some(key),
        owner: Some(owner(store)),
        storage_class: Some(StorageClass::from(
            u.storage_class
                .clone()
                .unwrap_or_else(|| "STANDARD".to_owned()),
        )),
        upload_id: Some(u.upload_id.clone()),
    }
}

pub(super) fn list_uploads(
    store: &Store,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let input = req.input;
    store.require_bucket(&input.bucket)?;
    let all = multipart::read_all(&store.layout);
    let prefix = input.prefix.clone().unwrap_or_default();
    let mut entries = entries(&all, &input, &prefix);
    let max = page_size(input.max_uploads);
    let is_truncated = entries.len() > max;
    entries.truncate(max);
    let encoder = Encoder::new(input.encoding_type.as_ref());
    let enc = |s: &str| encoder.apply(s);
    let (mut uploads, mut common) = (Vec::new(), Vec::new());
    let (mut next_key, mut next_id) = (None, None);
    for e in &entries {
        match e {
            Entry::Upload(u) => {
                (next_key, next_id) = (Some(u.key.clone()), Some(u.upload_id.clone()));
                uploads.push(upload_entry(store, u, enc(&u.key)));
            }
            Entry::Prefix(p) => {
                (next_key, next_id) = (Some(p.clone()), None);
                common.push(CommonPrefix {
                    prefix: Some(enc(p)),
                });
            }
        }
    }
    Ok(S3Response::new(ListMultipartUploadsOutput {
        bucket: Some(input.bucket),
        common_prefixes: (!common.is_empty()).then_some(common),
        delimiter: input
            .delimiter
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(enc),
        encoding_type: input.encoding_type,
        is_truncated: Some(is_truncated),
        key_marker: Some(input.key_marker.as_deref().map(enc).unwrap_or_default()),
        max_uploads: Some(i32::try_from(max).unwrap_or(1000)),
        next_key_marker: is_truncated.then(|| next_key.as_deref().map(enc)).flatten(),
        next_upload_id_marker: is_truncated.then_some(next_id).flatten(),
        prefix: Some(enc(&prefix)),
        upload_id_marker: Some(input.upload_id_marker.unwrap_or_default()),
        uploads: (!uploads.is_empty()).then_some(uploads),
        ..Default::default()
    }))
}

pub(super) fn list_parts(
    store: &Store,
    req: S3Request<ListPartsInput>,
) -> S3Result<S3Response<ListPartsOutput>> {
    let input = req.input;
    let (upload, dir) =
        multipart::load(&store.layout, &input.bucket, &input.key, &input.upload_id)?;
    let marker = match input.part_number_marker {
        Some(m) => {
            u32::try_from(m).map_err(|_| errors::invalid_argument("Invalid part-number-marker"))?
        }
        None => 0,
    };
    let mut parts: Vec<_> = multipart::read_parts(&dir)
        .into_iter()
        .filter(|p| p.part_number > marker)
        .collect();
    let max = page_size(input.max_parts);
    let is_truncated = parts.len() > max;
    parts.truncate(max);
    let next = parts.last().and_then(|p| i32::try_from(p.part_number).ok());
    let listed = parts
        .iter()
        .map(|p| {
            let f = Fields::of(&p.checksums);
            Part {
                checksum_crc32: f.crc32,
                checksum_crc32c: f.crc32c,
                checksum_crc64nvme: f.crc64nvme,
                checksum_sha1: f.sha1,
                checksum_sha256: f.sha256,
                e_tag: Some(ETag::Strong(p.md5.clone())),
                last_modified: Some(timestamp(p.last_modified)),
                part_number: i32::try_from(p.part_number).ok(),
                size: i64::try_from(p.size).ok(),
            }
        })
        .collect();
    Ok(S3Response::new(ListPartsOutput {
        bucket: Some(input.bucket),
        checksum_algorithm: upload
            .algorithm
            .map(|a| ChecksumAlgorithm::from(a.name().to_owned())),
        checksum_type: upload.checksum_type.map(ChecksumType::from),
        initiator: Some(initiator(store)),
        is_truncated: Some(is_truncated),
        key: Some(input.key),
        max_parts: Some(i32::try_from(max).unwrap_or(1000)),
        next_part_number_marker: is_truncated.then_some(next).flatten(),
        owner: Some(owner(store)),
        part_number_marker: input.part_number_marker,
        parts: Some(listed),
        storage_class: Some(StorageClass::from(
            upload
                .storage_class
                .unwrap_or_else(|| "STANDARD".to_owned()),
        )),
        upload_id: Some(input.upload_id),
        ..Default::default()
    }))
}
