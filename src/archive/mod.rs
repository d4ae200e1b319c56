//! `s3up tar`'s archive: a tar stream of PATHs, optionally zstd-compressed, produced on the fly
//! by a thread and read through [`ArchiveReader`] (`impl Read`), so it can be cut into parts
//! while the next ones are being produced. Memory stays bounded (a pipe of a few MiB plus the
//! zstd window) whatever the archive size; no temporary file is written.
//!
//! The reader reaches end of file only when the producer finished the archive completely; any
//! failure (an unreadable file, a compression error, a crash) reaches it as an `io::Error`, so
//! an upload fed from it aborts instead of publishing a truncated archive.
//!
//! What it never does: know about S3, HTTP or part sizes; follow symlinks; change the files it
//! reads.

mod extract;
mod header;
mod pipe;
mod walk;

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

pub use extract::{
    extract, extract_with, list, ExtractError, ExtractOptions, ExtractSummary, Format, Kind,
    Member, Problem,
};

/// Bytes each zstd worker compresses at a time (`--threads` > 1).
const MT_JOB_SIZE: u32 = 2 << 20;

/// What to archive and how.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// `-C DIR`: PATHs are read relative to it (member names stay as given).
    pub dir: Option<PathBuf>,
    pub paths: Vec<PathBuf>,
    /// Globs of member names to leave out (`*` also matches `/`).
    pub excludes: Vec<String>,
    pub compression: Compression,
    /// Warn about unreadable files instead of failing (GNU tar's `--ignore-failed-read`).
    pub ignore_failed_read: bool,
}

impl Spec {
    fn fs_path(&self, arg: &Path) -> PathBuf {
        match &self.dir {
            Some(dir) => dir.join(arg),
            None => arg.to_path_buf(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    #[default]
    None,
    /// zstd at `level`; `threads` > 1 compresses on that many worker threads.
    Zstd { level: i32, threads: u32 },
}

/// What the finished archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Members stored (files, directories, links, ...).
    pub entries: u64,
    /// Size of the tar stream.
    pub uncompressed_bytes: u64,
    /// Size of what the reader got (equal to `uncompressed_bytes` without compression).
    pub compressed_bytes: u64,
    /// A file changed or vanished while it was read (GNU tar's exit status 1); already warned.
    pub changed: bool,
}

/// Why the archive could not be produced.
#[derive(Debug)]
pub struct ArchiveError {
    /// The file concerned (as named on the command line), if one is.
    pub path: Option<PathBuf>,
    pub source: io::Error,
}

impl ArchiveError {
    fn output(source: io::Error) -> Self {
        Self { path: None, source }
    }
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.source),
            None => write!(f, "writing the archive: {}", self.source),
        }
    }
}

impl std::error::Error for ArchiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Checks that `-C DIR` and every PATH exist before anything is sent, so a typo costs no
/// upload. With `ignore_failed_read` missing paths are only warned about later.
///
/// # Errors
/// The first PATH that cannot be found.
pub fn check_paths(spec: &Spec) -> Result<(), ArchiveError> {
    if let Some(dir) = &spec.dir {
        if let Err(e) = std::fs::metadata(dir) {
            return Err(ArchiveError {
                path: Some(dir.clone()),
                source: io::Error::new(e.kind(), format!("cannot change to directory: {e}")),
            });
        }
    }
    if spec.ignore_failed_read {
        return Ok(());
    }
    for arg in &spec.paths {
        if let Err(e) = std::fs::symlink_metadata(spec.fs_path(arg)) {
            return Err(ArchiveError {
                path: Some(arg.clone()),
                source: io::Error::new(e.kind(), format!("cannot stat: {e}")),
            });
        }
    }
    Ok(())
}

/// `--exclude` (archiving and restoring): like GNU tar, a pattern matches the whole member
/// name or any part of it that starts after a `/`; `*` also matches `/`.
pub(crate) fn excluded(excludes: &[String], name: &[u8]) -> bool {
    if excludes.is_empty() || name.is_empty() {
        return false;
    }
    let name = String::from_utf8_lossy(name);
    let tails: Vec<&str> = std::iter::once(&name[..])
        .chain(name.match_indices('/').map(|(i, _)| &name[i + 1..]))
        .collect();
    excludes.iter().any(|p| {
        let p = p.trim_end_matches('/');
        tails.iter().any(|t| crate::sources::glob_match(p, t))
    })
}

/// The archive as a byte stream; dropping it stops the producer.
pub struct ArchiveReader {
    reader: Option<pipe::PipeReader>,
    producer: Option<JoinHandle<Result<Summary, ArchiveError>>>,
}

/// Starts producing the archive of `spec` on a new thread.
///
/// # Errors
/// The thread could not be started.
pub fn start(spec: Spec) -> io::Result<ArchiveReader> {
    let (writer, failer, reader) = pipe::pipe();
    let producer = std::thread::Builder::new()
        .name("s3up-archive".into())
        .spawn(move || {
            let result = produce(&spec, writer);
            if let Err(e) = &result {
                failer.fail(io::Error::new(e.source.kind(), e.to_string()));
            }
            result
        })?;
    Ok(ArchiveReader {
        reader: Some(reader),
        producer: Some(producer),
    })
}

fn produce(spec: &Spec, writer: pipe::PipeWriter) -> Result<Summary, ArchiveError> {
    let (walked, compressed) = match spec.compression {
        Compression::None => {
            let mut writer = writer;
            let walked = walk::write_archive(spec, &mut writer)?;
            (walked, writer.close().map_err(ArchiveError::output)?)
        }
        Compression::Zstd { level, threads } => {
            let mut enc =
                zstd::stream::write::Encoder::new(writer, level).map_err(ArchiveError::output)?;
            // Like the zstd tool: a frame checksum, so `zstd -t` and `zstd -d` verify it.
            enc.include_checksum(true).map_err(ArchiveError::output)?;
            if threads > 1 {
                enc.multithread(threads).map_err(ArchiveError::output)?;
                // zstd's default job (4 windows, 8 MiB at level 3) costs ~30 MiB per worker in
                // buffers; 2 MiB jobs keep memory near the window for ~1% of ratio.
                enc.set_parameter(zstd::stream::raw::CParameter::JobSize(MT_JOB_SIZE))
                    .map_err(ArchiveError::output)?;
            }
            let walked = walk::write_archive(spec, &mut enc)?;
            let writer = enc.finish().map_err(ArchiveError::output)?;
            (walked, writer.close().map_err(ArchiveError::output)?)
        }
    };
    Ok(Summary {
        entries: walked.entries,
        uncompressed_bytes: walked.bytes,
        compressed_bytes: compressed,
        changed: walked.changed,
    })
}

impl Read for ArchiveReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.reader {
            Some(r) => r.read(buf),
            None => Ok(0),
        }
    }
}

impl ArchiveReader {
    /// Stops reading and waits for the producer: the summary of a complete archive, or why it
    /// failed. Called before the end of the stream, it stops the producer (which then reports
    /// that the upload stopped reading).
    ///
    /// # Errors
    /// The producer's failure.
    pub fn finish(mut self) -> Result<Summary, ArchiveError> {
        self.stop().unwrap_or_else(|| {
            Err(ArchiveError::output(io::Error::other(
                "the archive producer crashed",
            )))
        })
    }

    fn stop(&mut self) -> Option<Result<Summary, ArchiveError>> {
        // Dropping the reader first unblocks a producer waiting on a full pipe.
        drop(self.reader.take());
        self.producer.take().and_then(|p| p.join().ok())
    }
}

impl Drop for ArchiveReader {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[cfg(test)]
mod tests;
