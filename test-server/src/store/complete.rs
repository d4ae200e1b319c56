//! CompleteMultipartUpload. Everything S3 checks (part order, ETags, part checksums, minimum
//! part size, declared size, the object checksum claimed) is checked before anything changes,
//! so a refused Complete leaves the upload intact for a retry or an abort; `If-Match` and
//! `If-None-Match` are checked at the commit itself. The object is then made of the part files
//! themselves (hard links: no byte is copied or read again) and committed like a PutObject.
//! A Complete repeated after it succeeded gets the same answer, as on S3.

use super::checksum::{self, Algorithm, Checksums, Fields};
use super::completed::{self, Completed};
use super::conditions;
use super::content;
use super::errors;
use super::layout::{self, Layout};
use super::manifest::{self, Manifest, PartInfo, Segment};
use super::multipart::{self, PartRecord, UploadRecord};
use super::write_rules;
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use std::path::{Path, PathBuf};

/// The checksum a completed-part element claims for `alg`.
fn claimed_part_checksum(p: &CompletedPart, alg: Algorithm) -> Option<&str> {
    match alg {
        Algorithm::Crc32 => p.checksum_crc32.as_deref(),
        Algorithm::Crc32c => p.checksum_crc32c.as_deref(),
        Algorithm::Crc64Nvme => p.checksum_crc64nvme.as_deref(),
        Algorithm::Sha1 => p.checksum_sha1.as_deref(),
        Algorithm::Sha256 => p.checksum_sha256.as_deref(),
    }
}

/// One requested part against its stored record.
fn check_part(
    upload: &UploadRecord,
    dir: &Path,
    p: &CompletedPart,
    n: i32,
    rec: &PartRecord,
) -> S3Result<()> {
    let on_disk = std::fs::metadata(Layout::part_path(dir, rec.part_number)).map(|m| m.len());
    if on_disk.is_ok_and(|len| len != rec.size) {
        return Err(errors::invalid_part(&format!("part {n} is being replaced")));
    }
    let etag = p
        .e_tag
        .as_ref()
        .map(|e| e.value().trim_matches('"').to_ascii_lowercase());
    if etag.as_deref() != Some(rec.md5.as_str()) {
        return Err(errors::invalid_part(&format!(
            "the ETag given for part {n} does not match"
        )));
    }
    for alg in Algorithm::ALL {
        let Some(claimed) = claimed_part_checksum(p, alg) else {
            continue;
        };
        if rec.checksums.get(&alg).map(String::as_str) != Some(claimed.trim()) {
            return Err(errors::invalid_part(&format!(
                "the {} given for part {n} does not match",
                alg.name()
            )));
        }
    }
    if let (Some(alg), Some(ChecksumType::COMPOSITE)) =
        (upload.algorithm, upload.checksum_type.as_deref())
    {
        if claimed_part_checksum(p, alg).is_none() {
            return Err(errors::invalid_part(&format!(
                "part {n} has no {} checksum, which a COMPOSITE upload requires",
                alg.name()
            )));
        }
    }
    Ok(())
}

/// Matches the requested part list against the stored parts; nothing is modified.
fn check_parts(
    upload: &UploadRecord,
    dir: &Path,
    requested: &[CompletedPart],
    min_part_size: u64,
) -> S3Result<Vec<PartRecord>> {
    if requested.is_empty() {
        return Err(errors::err(
            s3s::S3ErrorCode::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    let stored = multipart::read_parts(dir);
    let mut chosen = Vec::with_capacity(requested.len());
    let mut prev = 0i32;
    for p in requested {
        let n = p
            .part_number
            .ok_or_else(|| errors::invalid_part("a part has no PartNumber"))?;
        if n <= prev {
            return Err(errors::invalid_part_order());
        }
        prev = n;
        let rec = stored
            .iter()
            .find(|r| i64::from(r.part_number) == i64::from(n))
            .ok_or_else(|| errors::invalid_part(&format!("part {n} was not uploaded")))?;
        check_part(upload, dir, p, n, rec)?;
        chosen.push(rec.clone());
    }
    let last = chosen.len() - 1;
    for (i, rec) in chosen.iter().enumerate() {
        if i != last && rec.size < min_part_size {
            return Err(errors::entity_too_small(
                rec.part_number,
                rec.size,
                min_part_size,
            ));
        }
    }
    Ok(chosen)
}

/// The object checksum a Complete request header claims, if any.
fn claimed_object_checksum(input: &CompleteMultipartUploadInput) -> Option<(Algorithm, &str)> {
    [
        (Algorithm::Crc32, &input.checksum_crc32),
        (Algorithm::Crc32c, &input.checksum_crc32c),
        (Algorithm::Crc64Nvme, &input.checksum_crc64nvme),
        (Algorithm::Sha1, &input.checksum_sha1),
        (Algorithm::Sha256, &input.checksum_sha256),
    ]
    .into_iter()
    .find_map(|(a, v)| v.as_deref().map(|v| (a, v.trim())))
}

/// The checksum of the object, from its parts' checksums: COMPOSITE over the part values,
/// FULL_OBJECT by combining the part CRCs (the bytes are read again only for a part stored
/// without that checksum, by an older server).
fn object_checksum(
    store: &Store,
    upload: &UploadRecord,
    dir: &Path,
    parts: &[PartRecord],
) -> S3Result<(Algorithm, Option<String>)> {
    let composite = upload.checksum_type.as_deref() == Some(ChecksumType::COMPOSITE);
    let alg = upload.algorithm.unwrap_or(Algorithm::Crc64Nvme);
    let mut values = Vec::with_capacity(parts.len());
    for p in parts {
        let v = match p.checksums.get(&alg) {
            Some(v) => Some(v.clone()),
            None if store.opts.discard => None,
            None => content::digest_file(&Layout::part_path(dir, p.part_number), &[alg])
                .map_err(|e| errors::internal("cannot read a part", e))?
                .remove(&alg),
        };
        match v {
            Some(v) => values.push((v, p.size)),
            None => return Ok((alg, None)),
        }
    }
    let sum = if composite {
        let refs: Vec<&str> = values.iter().map(|(v, _)| v.as_str()).collect();
        checksum::composite(alg, &refs)
    } else {
        let refs: Vec<(&str, u64)> = values.iter().map(|(v, n)| (v.as_str(), *n)).collect();
        checksum::combine_full(alg, &refs)
    };
    Ok((alg, sum))
}

/// Links (or, where the filesystem cannot, copies) the part files into the staged object:
/// no byte goes through this process.
async fn link_parts(staged: &Path, dir: &Path, parts: &[PartRecord]) -> S3Result<()> {
    let (staged, dir) = (staged.to_owned(), dir.to_owned());
    let numbers: Vec<u32> = parts.iter().map(|p| p.part_number).collect();
    tokio::task::spawn_blocking(move || {
        for n in numbers {
            let (from, to) = (
                Layout::part_path(&dir, n),
                staged.join(layout::part_file(n)),
            );
            std::fs::hard_link(&from, &to).or_else(|_| std::fs::copy(&from, &to).map(|_| ()))?;
        }
        Ok::<_, std::io::Error>(())
    })
    .await
    .map_err(|e| errors::internal("link task failed", e))?
    .map_err(|e| errors::internal("cannot assemble the object", e))
}

fn md5_bytes(hex: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = hex
            .get(2 * i..2 * i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0);
    }
    out
}

/// The upload and the parts a Complete request names, once every check passed.
fn checked(
    store: &Store,
    input: &CompleteMultipartUploadInput,
) -> S3Result<(UploadRecord, PathBuf, Vec<PartRecord>)> {
    let (upload, dir) =
        multipart::load(&store.layout, &input.bucket, &input.key, &input.upload_id)?;
    let parts = check_parts(
        &upload,
        &dir,
        requested(input),
        store.opts.limits.min_part_size,
    )?;
    let total: u64 = parts.iter().map(|p| p.size).sum();
    if input
        .mpu_object_size
        .is_some_and(|n| u64::try_from(n).ok() != Some(total))
    {
        return Err(errors::invalid_request(
            "The provided 'x-amz-mp-object-size' header value does not match what was computed.",
        ));
    }
    Ok((upload, dir, parts))
}

pub(super) fn requested(input: &CompleteMultipartUploadInput) -> &[CompletedPart] {
    input
        .multipart_upload
        .as_ref()
        .and_then(|m| m.parts.as_deref())
        .unwrap_or_default()
}

/// The answer: location, ETag, the object's checksum and encryption.
fn output(
    location: String,
    input: CompleteMultipartUploadInput,
    done: Completed,
) -> CompleteMultipartUploadOutput {
    let f = Fields::of(&done.checksums);
    let (server_side_encryption, ssekms_key_id, bucket_key_enabled) =
        write_rules::sse_fields(done.sse.as_ref());
    CompleteMultipartUploadOutput {
        location: Some(location),
        bucket: Some(input.bucket),
        key: Some(input.key),
        e_tag: Some(ETag::Strong(done.e_tag)),
        checksum_crc32: f.crc32,
        checksum_crc32c: f.crc32c,
        checksum_crc64nvme: f.crc64nvme,
        checksum_sha1: f.sha1,
        checksum_sha256: f.sha256,
        checksum_type: done.checksum_type.map(ChecksumType::from),
        server_side_encryption,
        ssekms_key_id,
        bucket_key_enabled,
        ..Default::default()
    }
}

/// The object a checked upload becomes.
fn manifest_of(
    store: &Store,
    upload: UploadRecord,
    parts: &[PartRecord],
    e_tag: String,
    checksums: Checksums,
) -> Manifest {
    let composite = upload.checksum_type.as_deref() == Some(ChecksumType::COMPOSITE);
    let stored = !store.opts.discard;
    Manifest {
        key: upload.key,
        size: parts.iter().map(|p| p.size).sum(),
        e_tag,
        last_modified_ms: manifest::now_ms(),
        checksums,
        checksum_type: Some(
            if composite {
                ChecksumType::COMPOSITE
            } else {
                ChecksumType::FULL_OBJECT
            }
            .to_owned(),
        ),
        storage_class: upload.storage_class,
        attributes: upload.attributes,
        sse: upload.sse,
        segments: if stored {
            parts
                .iter()
                .map(|p| Segment {
                    file: layout::part_file(p.part_number),
                    size: p.size,
                })
                .collect()
        } else {
            Vec::new()
        },
        stored,
        parts: Some(
            parts
                .iter()
                .map(|p| PartInfo {
                    number: p.part_number,
                    size: p.size,
                    checksums: p.checksums.clone(),
                })
                .collect(),
        ),
    }
}

pub(super) async fn complete(
    store: &Store,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let _guard = store.mpu_lock.lock().await;
    let host = req
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let input = req.input;
    let location = format!(
        "{}://{host}/{}/{}",
        store.opts.scheme, input.bucket, input.key
    );
    if !store.opts.forget_completed {
        if let Some(done) = completed::earlier_answer(store, &input)? {
            return Ok(S3Response::new(output(location, input, done)));
        }
    }
    let (upload, dir, parts) = checked(store, &input)?;
    let (alg, object_sum) = object_checksum(store, &upload, &dir, &parts)?;
    if let Some((claimed_alg, claimed)) = claimed_object_checksum(&input) {
        if claimed_alg != alg || object_sum.as_deref().is_some_and(|s| s != claimed) {
            return Err(errors::bad_checksum(claimed_alg));
        }
    }
    let md5s: Vec<[u8; 16]> = parts.iter().map(|p| md5_bytes(&p.md5)).collect();
    let checksums: Checksums = object_sum
        .map(|s| Checksums::from([(alg, s)]))
        .unwrap_or_default();
    let staged = store.stage()?;
    if !store.opts.discard {
        link_parts(staged.path(), &dir, &parts).await?;
    }
    let meta = manifest_of(
        store,
        upload,
        &parts,
        checksum::multipart_etag(&md5s),
        checksums,
    );
    let (if_match, if_none_match) = (input.if_match.as_ref(), input.if_none_match.as_ref());
    let v = store.index.commit(&input.bucket, staged, meta, |cur| {
        conditions::check_write(if_match, if_none_match, cur.map(|c| c.meta.e_tag.as_str()))
    })?;
    let done = Completed {
        bucket: input.bucket.clone(),
        key: input.key.clone(),
        parts: completed::requested_ids(&input),
        e_tag: v.meta.e_tag.clone(),
        checksums: v.meta.checksums.clone(),
        checksum_type: v.meta.checksum_type.clone(),
        sse: v.meta.sse.clone(),
    };
    completed::finish_upload(store, &dir, &done)?;
    Ok(S3Response::new(output(location, input, done)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_hex_decodes() {
        assert_eq!(md5_bytes("000102030405060708090a0b0c0d0e0f")[15], 15);
        assert_eq!(md5_bytes("zz")[0], 0);
    }
}
