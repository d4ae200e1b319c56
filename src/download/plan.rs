//! Before the first byte: HeadObject (checksum mode) says the size, the ETag every GET will be
//! tied to (`If-Match`), and what to verify against; for a composite checksum, a HeadObject per
//! part gives each part's length and checksum, so that pieces never straddle two parts. Then
//! the object is cut into pieces of at most the part size.

use super::check::Check;
use super::Source;
use crate::client::Client;
use crate::error::Error;
use crate::s3::object::ObjectInfo;
use crate::s3::ops;

/// Everything known before downloading.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) info: ObjectInfo,
    pub(crate) check: Check,
    /// Segment lengths, in order: the parts of a composite checksum, else the whole object.
    pub(crate) segments: Vec<u64>,
}

/// One GET: `len` bytes from `first`, inside segment `segment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    pub(crate) first: u64,
    pub(crate) len: u64,
    pub(crate) segment: usize,
}

/// Most parts a multipart object can have (S3's limit): a larger count in an answer is a
/// server's mistake, not a reason to send that many requests.
const MAX_PARTS: u32 = 10_000;

/// Asks the server what the object is and how to verify it.
///
/// # Errors
/// The HeadObject errors (a missing object is `NoSuchKey`/`NotFound`), or an answer without
/// size or ETag.
pub(crate) fn plan(client: &Client, source: &Source) -> Result<Plan, Error> {
    let resp = client.send(&ops::head_object(&source.bucket, &source.key))?;
    let info = ObjectInfo::from_headers(|h| resp.header(h)).map_err(|e| {
        Error::Integrity(format!(
            "s3://{}/{}: HeadObject: {e}",
            source.bucket, source.key
        ))
    })?;
    let whole = vec![info.size];
    let (check, segments) = match &info.checksum {
        Some(c) => match c.composite_parts {
            None => (
                Check::Whole {
                    algorithm: c.algorithm,
                    expected: c.value.clone(),
                },
                whole,
            ),
            Some(n) if (1..=MAX_PARTS).contains(&n) => {
                let (lens, parts) = part_checksums(client, source, &info, n)?;
                let check = Check::Composite {
                    algorithm: c.algorithm,
                    expected: c.value.clone(),
                    parts,
                };
                (check, lens)
            }
            Some(n) => {
                return Err(Error::Integrity(format!(
                    "s3://{}/{}: the server reports a composite checksum of {n} parts, more than S3 allows",
                    source.bucket, source.key
                )))
            }
        },
        None => match info.etag_md5() {
            Some(md5) => (Check::Md5(md5), whole),
            None => (Check::SizeOnly, whole),
        },
    };
    Ok(Plan {
        info,
        check,
        segments,
    })
}

/// Each part's length and stored checksum, from a HeadObject per part (of the same version).
fn part_checksums(
    client: &Client,
    source: &Source,
    info: &ObjectInfo,
    parts: u32,
) -> Result<(Vec<u64>, Vec<String>), Error> {
    let mut lens = Vec::with_capacity(parts as usize);
    let mut values = Vec::with_capacity(parts as usize);
    for n in 1..=parts {
        let mut req = ops::head_object_part(&source.bucket, &source.key, n);
        req.headers.push(("if-match".into(), info.etag.clone()));
        let resp = client.send(&req)?;
        let part = ObjectInfo::from_headers(|h| resp.header(h)).map_err(|e| {
            Error::Integrity(format!(
                "s3://{}/{} part {n}: {e}",
                source.bucket, source.key
            ))
        })?;
        let value = part
            .checksum
            .filter(|c| c.composite_parts.is_none())
            .map(|c| c.value)
            .ok_or_else(|| {
                Error::Integrity(format!(
                    "s3://{}/{}: the object has a composite checksum but the server gives none for part {n}, so the download cannot be verified part by part",
                    source.bucket, source.key
                ))
            })?;
        lens.push(part.size);
        values.push(value);
    }
    if lens.iter().sum::<u64>() != info.size {
        return Err(Error::Integrity(format!(
            "s3://{}/{}: its parts add up to {} bytes, not the object's {}",
            source.bucket,
            source.key,
            lens.iter().sum::<u64>(),
            info.size
        )));
    }
    Ok((lens, values))
}

/// Cuts the segments into pieces of at most `part_size` bytes, in object order.
pub(crate) fn pieces(segments: &[u64], part_size: u64) -> Vec<Piece> {
    let step = part_size.max(1);
    let mut out = Vec::new();
    let mut first = 0;
    for (segment, &len) in segments.iter().enumerate() {
        let end = first + len;
        let mut at = first;
        while at < end {
            let n = step.min(end - at);
            out.push(Piece {
                first: at,
                len: n,
                segment,
            });
            at += n;
        }
        first = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_every_byte_and_never_straddle_a_segment() {
        let p = pieces(&[10, 3, 0, 7], 4);
        let spans: Vec<(u64, u64, usize)> = p.iter().map(|p| (p.first, p.len, p.segment)).collect();
        assert_eq!(
            spans,
            [
                (0, 4, 0),
                (4, 4, 0),
                (8, 2, 0),
                (10, 3, 1),
                (13, 4, 3),
                (17, 3, 3)
            ]
        );
        assert!(pieces(&[0], 8).is_empty());
    }
}
