//! CompleteMultipartUpload. Everything S3 checks (part order, ETags, part checksums, minimum
//! part size, declared size, preconditions, the object checksum claimed) is checked before
//! anything changes, so a refused Complete leaves the upload intact for a retry or an abort.
//! Only then are the parts joined into a staging file and committed like a PutObject.

use super::checksum::{self, Algorithm, Checksums, Fields};
use super::errors;
use super::layout::Layout;
use super::multipart::{self, PartRecord, UploadRecord};
use super::object;
use super::sidecar::Info;
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use std::io::{Read as _, Write as _};
use std::path::Path;

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

/// Concatenates the parts into a staging file, computing a full-object checksum on the way.
fn assemble(
    tmp_dir: &Path,
    dir: &Path,
    parts: &[PartRecord],
    full: Option<Algorithm>,
) -> std::io::Result<(tempfile::TempPath, Option<String>)> {
    let mut out = tempfile::Builder::new()
        .prefix("complete-")
        .tempfile_in(tmp_dir)?;
    let mut digests = checksum::Digests::new(full);
    let mut buf = vec![0u8; 1 << 20];
    for p in parts {
        let mut f = std::fs::File::open(Layout::part_path(dir, p.part_number))?;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            digests.update(&buf[..n]);
            out.write_all(&buf[..n])?;
        }
    }
    out.flush()?;
    let (_, sums) = digests.finish();
    Ok((
        out.into_temp_path(),
        full.and_then(|a| sums.get(&a).cloned()),
    ))
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

/// The joined object (none when discarding) and its checksum: COMPOSITE from the part
/// checksums, FULL_OBJECT from the bytes (or, when discarding, by combining part CRCs).
async fn build(
    store: &Store,
    upload: &UploadRecord,
    dir: &Path,
    parts: &[PartRecord],
) -> S3Result<(Option<tempfile::TempPath>, Algorithm, Option<String>)> {
    let composite = upload.checksum_type.as_deref() == Some(ChecksumType::COMPOSITE);
    let alg = upload.algorithm.unwrap_or(Algorithm::Crc64Nvme);
    if composite {
        let values: Vec<&str> = parts
            .iter()
            .filter_map(|p| p.checksums.get(&alg).map(String::as_str))
            .collect();
        let tmp = if store.opts.discard {
            None
        } else {
            Some(join(store, dir, parts, None).await?.0)
        };
        return Ok((tmp, alg, checksum::composite(alg, &values)));
    }
    if store.opts.discard {
        let crcs: Vec<(&str, u64)> = parts
            .iter()
            .filter_map(|p| p.checksums.get(&alg).map(|v| (v.as_str(), p.size)))
            .collect();
        let full = (crcs.len() == parts.len())
            .then(|| checksum::combine_full(alg, &crcs))
            .flatten();
        return Ok((None, alg, full));
    }
    let (tmp, sum) = join(store, dir, parts, Some(alg)).await?;
    Ok((Some(tmp), alg, sum))
}

/// [`assemble`] on the blocking pool.
async fn join(
    store: &Store,
    dir: &Path,
    parts: &[PartRecord],
    full: Option<Algorithm>,
) -> S3Result<(tempfile::TempPath, Option<String>)> {
    let (tmp_dir, dir, parts) = (store.layout.tmp_dir(), dir.to_owned(), parts.to_vec());
    tokio::task::spawn_blocking(move || assemble(&tmp_dir, &dir, &parts, full))
        .await
        .map_err(|e| errors::internal("assembly task failed", e))?
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
) -> S3Result<(UploadRecord, std::path::PathBuf, Vec<PartRecord>)> {
    let (upload, dir) =
        multipart::load(&store.layout, &input.bucket, &input.key, &input.upload_id)?;
    let requested = input
        .multipart_upload
        .as_ref()
        .and_then(|m| m.parts.as_deref())
        .unwrap_or_default();
    let parts = check_parts(&upload, &dir, requested, store.opts.limits.min_part_size)?;
    let total: u64 = parts.iter().map(|p| p.size).sum();
    if input
        .mpu_object_size
        .is_some_and(|n| u64::try_from(n).ok() != Some(total))
    {
        return Err(errors::invalid_request(
            "The provided 'x-amz-mp-object-size' header value does not match what was computed.",
        ));
    }
    object::check_preconditions(
        store,
        &input.bucket,
        &input.key,
        input.if_match.as_ref(),
        input.if_none_match.as_ref(),
    )?;
    Ok((upload, dir, parts))
}

/// The answer: location, ETag and the object's checksum.
fn output(
    location: String,
    input: CompleteMultipartUploadInput,
    info: Info,
) -> CompleteMultipartUploadOutput {
    let f = Fields::of(&info.checksums);
    CompleteMultipartUploadOutput {
        location: Some(location),
        bucket: Some(input.bucket),
        key: Some(input.key),
        e_tag: Some(ETag::Strong(info.e_tag)),
        checksum_crc32: f.crc32,
        checksum_crc32c: f.crc32c,
        checksum_crc64nvme: f.crc64nvme,
        checksum_sha1: f.sha1,
        checksum_sha256: f.sha256,
        checksum_type: info.checksum_type.map(ChecksumType::from),
        ..Default::default()
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
    let (upload, dir, parts) = checked(store, &input)?;
    let (tmp, alg, object_sum) = build(store, &upload, &dir, &parts).await?;
    if let Some((claimed_alg, claimed)) = claimed_object_checksum(&input) {
        if claimed_alg != alg || object_sum.as_deref().is_some_and(|s| s != claimed) {
            return Err(errors::bad_checksum(claimed_alg));
        }
    }
    let md5s: Vec<[u8; 16]> = parts.iter().map(|p| md5_bytes(&p.md5)).collect();
    let composite = upload.checksum_type.as_deref() == Some(ChecksumType::COMPOSITE);
    let info = Info {
        e_tag: checksum::multipart_etag(&md5s),
        checksums: object_sum
            .map(|s| Checksums::from([(alg, s)]))
            .unwrap_or_default(),
        checksum_type: Some(
            if composite {
                ChecksumType::COMPOSITE
            } else {
                ChecksumType::FULL_OBJECT
            }
            .to_owned(),
        ),
        parts_count: u32::try_from(parts.len()).ok(),
    };
    let tmp = match tmp {
        Some(tmp) => tmp,
        None => object::sparse_placeholder(store, parts.iter().map(|p| p.size).sum())?,
    };
    object::commit(
        store,
        &input.bucket,
        &input.key,
        Some(tmp),
        &upload.attributes,
        &info,
    )?;
    std::fs::remove_dir_all(&dir)
        .map_err(|e| errors::internal("cannot remove the finished upload", e))?;
    let location = format!(
        "{}://{host}/{}/{}",
        store.opts.scheme, input.bucket, input.key
    );
    Ok(S3Response::new(output(location, input, info)))
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
