//! Reading a stored object's bytes: a byte range over the files that hold it (zeros for an
//! object kept by a discarding server), as a response body streamed from the blocking pool,
//! or copied into a new file while digesting it (CopyObject, UploadPartCopy). Never writes
//! into an object directory.

use super::checksum::{Algorithm, Checksums, Digests};
use super::index::Version;

use bytes::Bytes;
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Largest chunk read at a time.
const CHUNK: u64 = 1 << 20;
/// Chunks read ahead of the client.
const AHEAD: usize = 4;

/// Reads a byte range of an object, chunk by chunk (blocking).
struct RangeReader {
    version: Arc<Version>,
    /// Next byte (offset in the object).
    pos: u64,
    end: u64,
    /// The open segment, its index and where it starts in the object.
    open: Option<(usize, u64, std::fs::File)>,
}

impl RangeReader {
    fn new(version: Arc<Version>, range: Range<u64>) -> Self {
        Self {
            version,
            pos: range.start,
            end: range.end,
            open: None,
        }
    }

    /// The segment holding `pos`, opened and positioned.
    fn file_at(&mut self) -> io::Result<(&mut std::fs::File, u64)> {
        let mut start = 0;
        let mut found = None;
        for (i, seg) in self.version.meta.segments.iter().enumerate() {
            if self.pos < start + seg.size {
                found = Some((i, start, seg.size));
                break;
            }
            start += seg.size;
        }
        let (i, start, size) =
            found.ok_or_else(|| io::Error::other("object shorter than recorded"))?;
        if self.open.as_ref().map(|o| o.0) != Some(i) {
            let seg = &self.version.meta.segments[i];
            let mut f = std::fs::File::open(self.version.segment_path(seg))?;
            f.seek(SeekFrom::Start(self.pos - start))?;
            self.open = Some((i, start, f));
        }
        let left_in_segment = start + size - self.pos;
        match self.open.as_mut() {
            Some((_, _, f)) => Ok((f, left_in_segment)),
            None => Err(io::Error::other("no open segment")),
        }
    }

    /// The next chunk, or `None` at the end of the range.
    fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        let want = (self.end - self.pos).min(CHUNK);
        if want == 0 {
            return Ok(None);
        }
        let len = usize::try_from(want).map_err(io::Error::other)?;
        if !self.version.meta.stored {
            self.pos += want;
            return Ok(Some(Bytes::from(vec![0u8; len])));
        }
        let (file, left) = self.file_at()?;
        let len = len.min(usize::try_from(left).unwrap_or(usize::MAX));
        let mut buf = vec![0u8; len];
        file.read_exact(&mut buf)?;
        self.pos += len as u64;
        Ok(Some(Bytes::from(buf)))
    }
}

/// A response body fed by a blocking reader through a small channel.
struct ChunkStream(tokio::sync::mpsc::Receiver<io::Result<Bytes>>);

impl futures::Stream for ChunkStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// A response body with the bytes of `range`.
pub fn body(version: Arc<Version>, range: Range<u64>) -> s3s::dto::StreamingBlob {
    let (tx, rx) = tokio::sync::mpsc::channel(AHEAD);
    let mut reader = RangeReader::new(version, range);
    tokio::task::spawn_blocking(move || loop {
        let chunk = reader.next_chunk().transpose();
        let last = !matches!(chunk, Some(Ok(_)));
        // A failed send means the client went away: stop reading.
        if let Some(c) = chunk {
            if tx.blocking_send(c).is_err() {
                return;
            }
        }
        if last {
            return;
        }
    });
    s3s::dto::StreamingBlob::wrap(ChunkStream(rx))
}

/// Copies `range` of an object into `dest` (or nowhere), returning the copy's MD5 and the
/// checksums in `algs` (blocking).
///
/// # Errors
/// Reading or writing fails.
pub fn copy_range(
    version: Arc<Version>,
    range: Range<u64>,
    dest: Option<std::fs::File>,
    algs: &[Algorithm],
) -> io::Result<([u8; 16], Checksums)> {
    let mut reader = RangeReader::new(version, range);
    let mut digests = Digests::new(algs.iter().copied());
    let mut out = dest.map(|f| io::BufWriter::with_capacity(1 << 20, f));
    while let Some(chunk) = reader.next_chunk()? {
        digests.update(&chunk);
        if let Some(o) = out.as_mut() {
            o.write_all(&chunk)?;
        }
    }
    if let Some(o) = out.as_mut() {
        o.flush()?;
    }
    Ok(digests.finish())
}

/// Digests of an existing file (a part written before its checksum was recorded).
///
/// # Errors
/// The file cannot be read.
pub fn digest_file(path: &std::path::Path, algs: &[Algorithm]) -> io::Result<Checksums> {
    let mut f = std::fs::File::open(path)?;
    let mut digests = Digests::new(algs.iter().copied());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        digests.update(&buf[..n]);
    }
    Ok(digests.finish().1)
}
