//! One piece: a ranged GET tied to the object's ETag (`If-Match`), its bytes handed to a writer
//! as they arrive, with the piece's CRC computed on the way when the check combines CRCs. A
//! broken connection resumes from the last good byte (the client asks for the rest only).

use super::plan::Piece;
use super::Source;
use crate::body::Sink;
use crate::checksum::{ChecksumAlgorithm, Hasher};
use crate::client::Client;
use crate::error::Error;
use crate::s3::ops;

/// Where a piece's bytes go: `at` is the offset within the piece.
pub(crate) trait PieceWriter {
    /// # Errors
    /// A local failure (disk full, closed pipe).
    fn write_at(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()>;
}

/// What a fetched piece gives the verification.
pub(crate) struct Fetched {
    /// The piece's CRC, when the check combines CRCs.
    pub(crate) crc: Option<u64>,
}

/// Counts, checks the length, computes the CRC and forwards to the writer.
struct PieceSink<'w> {
    writer: &'w mut dyn PieceWriter,
    len: u64,
    done: u64,
    crc: Option<Hasher>,
    /// The writer's own failure, kept for the report (the client only sees "the sink failed").
    failed: Option<std::io::Error>,
}

impl Sink for PieceSink<'_> {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        let n = chunk.len() as u64;
        if self.done + n > self.len {
            // A server that ignored the Range (or sent more): never written past the piece.
            let e = std::io::Error::other(format!(
                "the server sent more than the {} bytes asked for",
                self.len
            ));
            self.failed = Some(std::io::Error::other(e.to_string()));
            return Err(e);
        }
        if let Err(e) = self.writer.write_at(self.done, chunk) {
            self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
            return Err(e);
        }
        if let Some(h) = self.crc.as_mut() {
            h.update(chunk);
        }
        self.done += n;
        Ok(())
    }
}

/// Downloads `piece` of the object whose ETag is `etag` into `writer`.
///
/// # Errors
/// The S3 error (`PreconditionFailed` when the object changed), a transport error after
/// retries, or the writer's failure as [`Error::Destination`]-like text via `on_local`.
pub(crate) fn fetch(
    client: &Client,
    source: &Source,
    etag: &str,
    piece: Piece,
    crc: Option<ChecksumAlgorithm>,
    writer: &mut dyn PieceWriter,
) -> Result<Fetched, LocalOr> {
    let mut sink = PieceSink {
        writer,
        len: piece.len,
        done: 0,
        crc: crc.map(Hasher::new),
        failed: None,
    };
    let last = piece.first + piece.len - 1;
    let request = |received: u64| {
        ops::get_object_range(
            &source.bucket,
            &source.key,
            piece.first + received,
            last,
            etag,
        )
    };
    match client.get_into(&request, piece.len, &mut sink) {
        Ok(_) => Ok(Fetched {
            crc: sink.crc.as_ref().and_then(Hasher::crc_value),
        }),
        Err(e) => Err(match sink.failed.take() {
            Some(local) => LocalOr::Local(local),
            None => LocalOr::Remote(e),
        }),
    }
}

/// A piece failed locally (the writer), or remotely (the server or the network).
#[derive(Debug)]
pub(crate) enum LocalOr {
    Local(std::io::Error),
    Remote(Error),
}
