//! Where everything lives under the storage root, and which names are safe to turn into paths.
//!
//! - `ROOT/BUCKET/KEY`: object bytes (the s3s-fs layout, so a test can read them directly);
//! - `ROOT/.bucket-B64(BUCKET).object-B64(KEY).{internal,metadata}.json`: the s3s-fs
//!   sidecars (ETag and checksums; content type and user metadata), base64url without padding;
//! - `ROOT/.s3up/uploads/UPLOAD_ID/`: one unfinished multipart upload (`upload.json`,
//!   `part-NNNNN` and `part-NNNNN.json`);
//! - `ROOT/.s3up/tmp/`: files being received; renamed into place only when complete and verified.
//!
//! This module computes paths and validates names; it never touches the filesystem.

use base64::Engine as _;
use std::path::{Path, PathBuf};

/// Paths under one storage root.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

/// Why a key cannot be stored.
pub fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("the object key is empty");
    }
    if key.starts_with('/') {
        return Some("the object key starts with '/', which this test server refuses (it would escape the bucket directory)");
    }
    if key.contains('\0') {
        return Some("the object key contains a NUL character");
    }
    let segments: Vec<&str> = key.split('/').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            ".." => return Some("the object key has a '..' segment, which this test server refuses (it would escape the bucket)"),
            "." => return Some("the object key has a '.' segment, which this test server refuses (it would alias another key)"),
            "" if i != last => return Some("the object key has an empty segment ('//'), which this test server refuses (it would alias another key)"),
            _ => {}
        }
        if seg.len() > 255 {
            return Some("a '/'-separated segment of the object key is longer than 255 bytes, which this test server cannot store");
        }
    }
    None
}

/// Upload ids this server issues: 48 lowercase hex digits.
pub fn is_upload_id(id: &str) -> bool {
    id.len() == 48
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

impl Layout {
    /// Paths under `root` (which should be absolute).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }

    /// The storage root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory of a bucket.
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// File holding an object's bytes; `None` for keys that [`key_problem`] refuses.
    pub fn object_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        if key_problem(key).is_some() {
            return None;
        }
        Some(self.bucket_dir(bucket).join(key))
    }

    /// s3s-fs sidecar with the ETag and checksums.
    pub fn internal_info_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(format!(
            ".bucket-{}.object-{}.internal.json",
            b64(bucket),
            b64(key)
        ))
    }

    /// s3s-fs sidecar with content type, user metadata and the like.
    pub fn metadata_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(format!(
            ".bucket-{}.object-{}.metadata.json",
            b64(bucket),
            b64(key)
        ))
    }

    /// This server's own state.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".s3up")
    }

    /// Staging area for bodies being received.
    pub fn tmp_dir(&self) -> PathBuf {
        self.state_dir().join("tmp")
    }

    /// All unfinished multipart uploads.
    pub fn uploads_dir(&self) -> PathBuf {
        self.state_dir().join("uploads")
    }

    /// One upload's directory; `None` for ids this server never issues.
    pub fn upload_dir(&self, upload_id: &str) -> Option<PathBuf> {
        is_upload_id(upload_id).then(|| self.uploads_dir().join(upload_id))
    }

    /// Bytes of one part (inside an upload directory).
    pub fn part_path(upload_dir: &Path, part_number: u32) -> PathBuf {
        upload_dir.join(format!("part-{part_number:05}"))
    }

    /// Record (ETag, size, checksum) of one part.
    pub fn part_record_path(upload_dir: &Path, part_number: u32) -> PathBuf {
        upload_dir.join(format!("part-{part_number:05}.json"))
    }

    /// Record of the upload itself.
    pub fn upload_record_path(upload_dir: &Path) -> PathBuf {
        upload_dir.join("upload.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keys_are_refused() {
        for bad in [
            "../other/x",
            "a/../../b",
            "..",
            "a/./b",
            "/abs",
            "a//b",
            "",
            "a\0b",
        ] {
            assert!(key_problem(bad).is_some(), "{bad:?} must be refused");
        }
        for good in [
            "a",
            "a/b/c.txt",
            "dir/",
            "a..b",
            "..a/b",
            "x/...",
            "spaces and ü",
        ] {
            assert_eq!(key_problem(good), None, "{good:?} must be accepted");
        }
    }

    #[test]
    fn sidecar_names_match_s3s_fs() {
        let l = Layout::new(Path::new("/r"));
        assert_eq!(
            l.internal_info_path("b", "k"),
            Path::new("/r/.bucket-Yg.object-aw.internal.json")
        );
        assert_eq!(l.object_path("b", "../x"), None);
        assert_eq!(l.object_path("b", "d/k"), Some(PathBuf::from("/r/b/d/k")));
    }

    #[test]
    fn upload_ids_are_checked() {
        let l = Layout::new(Path::new("/r"));
        assert!(l.upload_dir("../../etc").is_none());
        assert!(l.upload_dir(&"a".repeat(48)).is_some());
        assert!(l.upload_dir(&"A".repeat(48)).is_none());
    }
}
