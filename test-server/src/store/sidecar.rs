//! Object sidecar files in the s3s-fs format (so s3s-fs can serve GET/HEAD/List/Copy of what
//! this store wrote): `metadata.json` with content type and user metadata, `internal.json`
//! with the ETag and checksums (plus this server's `checksum_type` and `parts_count`, which
//! s3s-fs ignores). Also the one helper that writes any small file atomically.

use super::checksum::{Algorithm, Checksums};

use s3s::dto;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{self, Write as _};
use std::path::Path;

/// Standard object attributes and user metadata (s3s-fs's `ObjectAttributes` JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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

/// Formats an `Expires` timestamp as s3s-fs stores it.
pub fn fmt_expires(t: Option<&dto::Timestamp>) -> Option<String> {
    let t = t?;
    let mut buf = Vec::new();
    t.format(dto::TimestampFormat::DateTime, &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

/// ETag, checksums and checksum type of a stored object.
#[derive(Debug, Clone, Default)]
pub struct Info {
    /// ETag without quotes.
    pub e_tag: String,
    /// Stored checksums (base64; COMPOSITE ones end in `-N`).
    pub checksums: Checksums,
    /// `FULL_OBJECT` or `COMPOSITE`.
    pub checksum_type: Option<String>,
    /// Number of parts of a multipart object.
    pub parts_count: Option<u32>,
}

impl Info {
    /// The `internal.json` document.
    pub fn to_json(&self) -> Vec<u8> {
        let mut map = serde_json::Map::new();
        map.insert("e_tag".into(), self.e_tag.clone().into());
        for (alg, v) in &self.checksums {
            map.insert(alg.info_key().into(), v.clone().into());
        }
        if let Some(t) = &self.checksum_type {
            map.insert("checksum_type".into(), t.clone().into());
        }
        if let Some(n) = self.parts_count {
            map.insert("parts_count".into(), n.into());
        }
        serde_json::Value::Object(map).to_string().into_bytes()
    }

    /// Reads an `internal.json` document; `None` if absent or unreadable.
    pub fn read(path: &Path) -> Option<Self> {
        let bytes = std::fs::read(path).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let str_of = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        let mut checksums = Checksums::new();
        for alg in Algorithm::ALL {
            if let Some(s) = str_of(alg.info_key()) {
                checksums.insert(alg, s);
            }
        }
        Some(Self {
            e_tag: str_of("e_tag").unwrap_or_default(),
            checksums,
            checksum_type: str_of("checksum_type"),
            parts_count: v
                .get("parts_count")
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
        })
    }
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
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir)?;
    }
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
    fn info_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut info = Info {
            e_tag: "abc-2".into(),
            checksum_type: Some("COMPOSITE".into()),
            parts_count: Some(2),
            ..Info::default()
        };
        info.checksums.insert(Algorithm::Crc32, "AAAAAA==-2".into());
        let p = dir.path().join("x.json");
        write_atomic(dir.path(), &p, &info.to_json()).expect("write");
        let back = Info::read(&p).expect("read");
        assert_eq!(back.e_tag, "abc-2");
        assert_eq!(back.checksums[&Algorithm::Crc32], "AAAAAA==-2");
        assert_eq!(back.parts_count, Some(2));
        assert_eq!(back.checksum_type.as_deref(), Some("COMPOSITE"));
    }
}
