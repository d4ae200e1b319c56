//! Where everything lives under the storage root, and which keys the server accepts.
//!
//! - `ROOT/BUCKET/`: a bucket;
//! - `ROOT/BUCKET/ID/`: one object, `ID` being 16 hex digits that grow with every write:
//!   `object.json` (its key, size, ETag, checksums, metadata, parts) and its bytes in the files
//!   that `object.json` lists, in order (`data` for a single PUT or a copy; `part-00001`, ...
//!   for a multipart upload: the uploaded part files themselves). A key is never a path, so
//!   `a/b` and `a/b/c`, `dir/` with a body and 1,024-byte keys are all ordinary objects;
//! - `ROOT/.s3up/uploads/UPLOAD_ID/`: one multipart upload (`upload.json`, `part-NNNNN` and
//!   `part-NNNNN.json`), reduced to `completed.json` once completed (for retried Completes);
//! - `ROOT/.s3up/tmp/`: bodies and objects being received; renamed into place only when
//!   complete and verified, and emptied at start.
//!
//! This module computes paths and validates names; it never touches the filesystem.

use std::path::{Path, PathBuf};

/// The file of an object directory that describes the object.
pub const MANIFEST: &str = "object.json";
/// The bytes of an object written in one piece.
pub const DATA: &str = "data";

/// Paths under one storage root.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

/// Why a key cannot be stored. Keys never become paths here, but clients that download keys
/// to files (aws-cli, rclone, s3cmd) would write outside their target for some, so a strict
/// test server refuses those.
pub fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("the object key is empty");
    }
    if key.len() > 1024 {
        return Some("the object key is longer than S3's 1,024 bytes");
    }
    if key.starts_with('/') {
        return Some("the object key starts with '/', which this test server refuses (a client downloading it to a file would leave its target directory)");
    }
    if key.contains('\0') {
        return Some("the object key contains a NUL character");
    }
    let segments: Vec<&str> = key.split('/').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            ".." => return Some("the object key has a '..' segment, which this test server refuses (a client downloading it to a file would leave its target directory)"),
            "." => return Some("the object key has a '.' segment, which this test server refuses (clients normalise it away and address another key)"),
            "" if i != last => return Some("the object key has an empty segment ('//'), which this test server refuses (clients normalise it away and address another key)"),
            _ => {}
        }
    }
    None
}

/// Upload ids this server issues: 48 lowercase hex digits.
pub fn is_upload_id(id: &str) -> bool {
    id.len() == 48 && is_lower_hex(id)
}

/// Object directory names: 16 lowercase hex digits.
pub fn is_object_id(id: &str) -> bool {
    id.len() == 16 && is_lower_hex(id)
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The file holding part `n` of a multipart object or upload.
pub fn part_file(n: u32) -> String {
    format!("part-{n:05}")
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

    /// Directory of one object.
    pub fn object_dir(&self, bucket: &str, id: &str) -> PathBuf {
        self.bucket_dir(bucket).join(id)
    }

    /// This server's own state.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".s3up")
    }

    /// Staging area for bodies and objects being received.
    pub fn tmp_dir(&self) -> PathBuf {
        self.state_dir().join("tmp")
    }

    /// All multipart uploads.
    pub fn uploads_dir(&self) -> PathBuf {
        self.state_dir().join("uploads")
    }

    /// One upload's directory; `None` for ids this server never issues.
    pub fn upload_dir(&self, upload_id: &str) -> Option<PathBuf> {
        is_upload_id(upload_id).then(|| self.uploads_dir().join(upload_id))
    }

    /// Bytes of one part (inside an upload directory).
    pub fn part_path(upload_dir: &Path, part_number: u32) -> PathBuf {
        upload_dir.join(part_file(part_number))
    }

    /// Record (ETag, size, checksums) of one part.
    pub fn part_record_path(upload_dir: &Path, part_number: u32) -> PathBuf {
        upload_dir.join(format!("{}.json", part_file(part_number)))
    }

    /// Record of the upload itself.
    pub fn upload_record_path(upload_dir: &Path) -> PathBuf {
        upload_dir.join("upload.json")
    }

    /// What a completed upload answered (kept for retried Completes).
    pub fn completed_record_path(upload_dir: &Path) -> PathBuf {
        upload_dir.join("completed.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keys_are_refused() {
        let long = "k".repeat(1025);
        for bad in [
            "../other/x",
            "a/../../b",
            "..",
            "a/./b",
            "/abs",
            "a//b",
            "",
            "a\0b",
            long.as_str(),
        ] {
            assert!(key_problem(bad).is_some(), "{bad:?} must be refused");
        }
        let max = format!("{}/{}", "d".repeat(300), "k".repeat(723));
        for good in [
            "a",
            "a/b/c.txt",
            "dir/",
            "a..b",
            "..a/b",
            "x/...",
            "spaces and ü",
            max.as_str(),
        ] {
            assert_eq!(key_problem(good), None, "{good:?} must be accepted");
        }
    }

    #[test]
    fn ids_are_checked() {
        let l = Layout::new(Path::new("/r"));
        assert!(l.upload_dir("../../etc").is_none());
        assert!(l.upload_dir(&"a".repeat(48)).is_some());
        assert!(l.upload_dir(&"A".repeat(48)).is_none());
        assert!(is_object_id("0123456789abcdef") && !is_object_id("../x"));
        assert_eq!(part_file(7), "part-00007");
    }
}
