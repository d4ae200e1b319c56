//! What a HeadObject (or GetObject) answer says about an object: size, ETag, last
//! modification, server-side encryption, and the additional checksum S3 stores with it (the
//! whole object's, or a multipart object's composite `-N` value). Pure: it reads headers
//! through a lookup.

use std::time::SystemTime;

use crate::checksum::ChecksumAlgorithm;

/// An object as its headers describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub etag: String,
    pub last_modified: Option<SystemTime>,
    /// `x-amz-server-side-encryption` (with `aws:kms` the ETag is no MD5 of the bytes).
    pub sse: Option<String>,
    pub checksum: Option<StoredChecksum>,
    /// `x-amz-mp-parts-count`, on answers about one part of a multipart object.
    pub parts_count: Option<u32>,
}

/// The checksum S3 stores with an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChecksum {
    pub algorithm: ChecksumAlgorithm,
    /// The base64 value, without any `-N` suffix.
    pub value: String,
    /// `Some(N)` for a composite checksum of a multipart object's `N` parts (the checksum of
    /// the part checksums); `None` for a checksum of the whole object's bytes.
    pub composite_parts: Option<u32>,
}

/// The algorithms s3up can verify, in the order a header is looked for.
const ALGORITHMS: [ChecksumAlgorithm; 4] = [
    ChecksumAlgorithm::Crc64Nvme,
    ChecksumAlgorithm::Crc32,
    ChecksumAlgorithm::Crc32c,
    ChecksumAlgorithm::Sha256,
];

impl ObjectInfo {
    /// Reads the answer's headers (`header` looks one up, case-insensitively).
    ///
    /// # Errors
    /// No usable `Content-Length` or no `ETag`: nothing can be checked against such an answer.
    pub fn from_headers<'h>(header: impl Fn(&str) -> Option<&'h str>) -> Result<Self, String> {
        let size = header("content-length")
            .and_then(|v| v.trim().parse().ok())
            .ok_or("the answer has no Content-Length")?;
        let etag = header("etag")
            .filter(|e| !e.is_empty())
            .ok_or("the answer has no ETag")?
            .to_owned();
        Ok(Self {
            size,
            etag,
            last_modified: header("last-modified").and_then(|d| httpdate::parse_http_date(d).ok()),
            sse: header("x-amz-server-side-encryption").map(str::to_owned),
            checksum: stored_checksum(&header),
            parts_count: header("x-amz-mp-parts-count").and_then(|v| v.trim().parse().ok()),
        })
    }

    /// The ETag's MD5 of the bytes, where it is one: a single-part object's ETag is the hex MD5
    /// of its bytes, unless it was encrypted with KMS or customer keys (or copied oddly).
    pub fn etag_md5(&self) -> Option<[u8; 16]> {
        if self.sse.as_deref().is_some_and(|s| s != "AES256") {
            return None;
        }
        let hex = self.etag.trim_matches('"');
        if hex.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(out)
    }
}

fn stored_checksum<'h>(header: &impl Fn(&str) -> Option<&'h str>) -> Option<StoredChecksum> {
    let (algorithm, raw) = ALGORITHMS
        .iter()
        .find_map(|a| header(&a.header()).map(|v| (*a, v.trim())))?;
    let (value, composite_parts) = match raw.rsplit_once('-') {
        Some((v, n)) => (v, Some(n.parse().ok()?)),
        None => (raw, None),
    };
    // A full-object value with COMPOSITE type, or the reverse, is a server's mistake: trust the
    // suffix, which says what the value was computed over.
    Some(StoredChecksum {
        algorithm,
        value: value.to_owned(),
        composite_parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(headers: &[(&str, &str)]) -> Result<ObjectInfo, String> {
        ObjectInfo::from_headers(|name| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        })
    }

    #[test]
    fn reads_size_etag_and_checksums() {
        let o = info(&[
            ("Content-Length", "42"),
            ("ETag", "\"0123456789abcdef0123456789abcdef\""),
            ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-amz-checksum-crc32", "AAAAAA==-3"),
        ])
        .expect("parses");
        assert_eq!(o.size, 42);
        assert!(o.last_modified.is_some());
        let c = o.checksum.clone().expect("checksum");
        assert_eq!(c.algorithm, ChecksumAlgorithm::Crc32);
        assert_eq!((c.value.as_str(), c.composite_parts), ("AAAAAA==", Some(3)));
        assert_eq!(o.etag_md5().expect("md5")[0], 0x01);
    }

    #[test]
    fn an_etag_is_an_md5_only_where_it_can_be() {
        let multipart = info(&[("content-length", "1"), ("etag", "\"abc-2\"")]).expect("ok");
        assert_eq!(multipart.etag_md5(), None);
        let kms = info(&[
            ("content-length", "1"),
            ("etag", "\"0123456789abcdef0123456789abcdef\""),
            ("x-amz-server-side-encryption", "aws:kms"),
        ])
        .expect("ok");
        assert_eq!(kms.etag_md5(), None);
        assert!(info(&[("etag", "\"x\"")]).is_err());
        assert!(info(&[("content-length", "1")]).is_err());
    }
}
