//! How uploads are made: part sizes, concurrency, the additional checksum and object settings,
//! and the checksum fallback for servers that refuse checksum headers.

use super::plan::{self, Limits};
use super::Control;
use crate::checksum::ChecksumAlgorithm;
use crate::error::Error;
use crate::s3::errors::Class;
use crate::s3::ops::ObjectOptions;

/// Which additional checksum to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumMode {
    /// CRC64NVME (full object) where the server accepts it; without, and a warning, where not.
    Auto,
    /// Exactly this algorithm; a server that refuses it fails the upload.
    Explicit(ChecksumAlgorithm),
    Off,
}

#[derive(Debug, Clone)]
pub struct UploadOptions {
    pub part_size: u64,
    pub multipart_threshold: u64,
    pub concurrency: usize,
    pub checksum: ChecksumMode,
    pub object: ObjectOptions,
    pub limits: Limits,
    /// For streams: the expected size, if the user knows it (a hint for the first part size).
    pub expected_size: Option<u64>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            part_size: 8 * plan::MIB,
            multipart_threshold: 8 * plan::MIB,
            concurrency: 4,
            checksum: ChecksumMode::Auto,
            object: ObjectOptions::default(),
            limits: Limits::default(),
            expected_size: None,
        }
    }
}

/// Where an object goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub bucket: String,
    pub key: String,
    /// This object's content type when the options set none (e.g. guessed from a file name).
    pub content_type: Option<String>,
}

impl Target {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            content_type: None,
        }
    }
}

impl UploadOptions {
    /// The checksum algorithm to send now (none once a server refused them under `Auto`).
    fn algorithm(&self, control: &Control) -> Option<ChecksumAlgorithm> {
        match self.checksum {
            ChecksumMode::Auto if !control.checksums_refused() => {
                Some(ChecksumAlgorithm::Crc64Nvme)
            }
            ChecksumMode::Explicit(a) => Some(a),
            _ => None,
        }
    }

    /// Runs `attempt` with the checksum algorithm; under `Auto`, when the server refuses the
    /// request in a way a checksum header could explain, tries once more without it. Only if that
    /// succeeds were checksums the problem: then they stay off for the run, with one warning.
    pub(crate) fn with_checksum_fallback<T>(
        &self,
        control: &Control,
        mut attempt: impl FnMut(Option<ChecksumAlgorithm>) -> Result<T, Error>,
    ) -> Result<(T, Option<ChecksumAlgorithm>), Error> {
        let algorithm = self.algorithm(control);
        match attempt(algorithm) {
            Ok(v) => Ok((v, algorithm)),
            Err(e)
                if algorithm.is_some()
                    && self.checksum == ChecksumMode::Auto
                    && could_be_checksum_refusal(&e) =>
            {
                let v = attempt(None)?;
                if control.refuse_checksums() {
                    log::warn!("the server refused checksum headers ({e}); uploading without an additional checksum (the SHA-256 payload signature still covers every byte)");
                }
                Ok((v, None))
            }
            Err(e) => Err(e),
        }
    }

    /// The object options for `target`: the run's, with the target's content type if the run
    /// sets none.
    pub(crate) fn object_for(&self, target: &Target) -> std::borrow::Cow<'_, ObjectOptions> {
        match (&self.object.content_type, &target.content_type) {
            (None, Some(t)) => {
                let mut o = self.object.clone();
                o.content_type = Some(t.clone());
                std::borrow::Cow::Owned(o)
            }
            _ => std::borrow::Cow::Borrowed(&self.object),
        }
    }
}

fn could_be_checksum_refusal(err: &Error) -> bool {
    matches!(
        err,
        Error::S3 {
            status: 400 | 501,
            ..
        }
    ) && err.class() == Some(Class::Unsupported)
}
