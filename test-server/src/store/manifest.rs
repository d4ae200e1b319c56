//! `object.json`, the description of one stored object: key, size, ETag, checksums, metadata,
//! server-side-encryption settings, the files holding its bytes and, for a multipart object,
//! its parts. Also the one helper that writes any small file atomically.

use super::checksum::Checksums;

use s3s::dto;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{self, Write as _};
use std::path::Path;

/// Standard object attributes and user metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    /// `x-amz-meta-*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<HashMap<String, String>>,
    /// Content-Encoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// Content-Type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Content-Disposition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    /// Content-Language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    /// Cache-Control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// Expires, as an ISO 8601 date-time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// x-amz-website-redirect-location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_redirect_location: Option<String>,
}

/// Formats an `Expires` timestamp for storage.
pub fn fmt_expires(t: Option<&dto::Timestamp>) -> Option<String> {
    let t = t?;
    let mut buf = Vec::new();
    t.format(dto::TimestampFormat::DateTime, &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

/// Parses a stored `Expires`.
pub fn parse_expires(s: Option<&str>) -> Option<dto::Timestamp> {
    dto::Timestamp::parse(dto::TimestampFormat::DateTime, s?).ok()
}

/// Server-side encryption asked for (stored and echoed; the bytes are kept as sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sse {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    /// `x-amz-server-side-encryption-aws-kms-key-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// `x-amz-server-side-encryption-bucket-key-enabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_key_enabled: Option<bool>,
}

/// One file holding a run of the object's bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Segment {
    /// File name inside the object directory.
    pub file: String,
    /// Bytes.
    pub size: u64,
}

/// One part of a multipart object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartInfo {
    /// Part number given at upload.
    pub number: u32,
    /// Bytes.
    pub size: u64,
    /// Checksums of the part (base64).
    #[serde(default)]
    pub checksums: Checksums,
}

/// A stored object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The key (any bytes S3 allows; never used as a path).
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// ETag without quotes.
    pub e_tag: String,
    /// Last-Modified, Unix milliseconds.
    pub last_modified_ms: i64,
    /// Checksums (base64; COMPOSITE ones end in `-N`).
    #[serde(default)]
    pub checksums: Checksums,
    /// `FULL_OBJECT` or `COMPOSITE`.
    pub checksum_type: Option<String>,
    /// Storage class given at upload (`None`: STANDARD).
    pub storage_class: Option<String>,
    /// Content type, user metadata and the like.
    pub attributes: Attributes,
    /// Server-side encryption asked for.
    pub sse: Option<Sse>,
    /// The files holding the bytes, in order; empty when the server discards bytes.
    pub segments: Vec<Segment>,
    /// Whether the bytes are kept (`false` with `--discard`: reads return zeros).
    pub stored: bool,
    /// The parts of a multipart object, in order.
    pub parts: Option<Vec<PartInfo>>,
}

impl Manifest {
    /// Storage class as S3 reports it.
    pub fn storage_class(&self) -> &str {
        self.storage_class.as_deref().unwrap_or("STANDARD")
    }

    /// Last-Modified as an S3 timestamp.
    pub fn last_modified(&self) -> dto::Timestamp {
        let ms = u64::try_from(self.last_modified_ms).unwrap_or(0);
        dto::Timestamp::from(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
    }

    /// Byte range and part of multipart part `n`; `None` if there is no such part.
    pub fn part_range(&self, n: u32) -> Option<(std::ops::Range<u64>, &PartInfo)> {
        let mut start = 0;
        for p in self.parts.as_deref()? {
            if p.number == n {
                return Some((start..start + p.size, p));
            }
            start += p.size;
        }
        None
    }
}

/// Now, as Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Writes `bytes` to `dest` atomically: a temporary file in `tmp_dir`, then a rename.
///
/// # Errors
/// Creating, writing or renaming fails.
pub fn write_atomic(tmp_dir: &Path, dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix("meta-")
        .tempfile_in(tmp_dir)?;
    tmp.write_all(bytes)?;
    tmp.flush()?;
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}

/// Removes a file, ignoring "not found".
///
/// # Errors
/// Any other removal failure.
pub fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_have_ranges() {
        let part = |number, size| PartInfo {
            number,
            size,
            checksums: Checksums::new(),
        };
        let m = Manifest {
            key: "k".into(),
            size: 15,
            e_tag: "x-2".into(),
            last_modified_ms: 1_000,
            checksums: Checksums::new(),
            checksum_type: None,
            storage_class: None,
            attributes: Attributes::default(),
            sse: None,
            segments: Vec::new(),
            stored: false,
            parts: Some(vec![part(1, 10), part(3, 5)]),
        };
        assert_eq!(m.part_range(3).map(|(r, _)| r), Some(10..15));
        assert!(m.part_range(2).is_none());
        assert_eq!(m.storage_class(), "STANDARD");
        let json = serde_json::to_vec(&m).expect("encodes");
        let back: Manifest = serde_json::from_slice(&json).expect("decodes");
        assert_eq!(back.parts.map(|p| p.len()), Some(2));
    }
}
