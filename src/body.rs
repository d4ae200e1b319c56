//! The one request body type of s3up: bytes in memory, or a byte range of an open file that is
//! read with positioned reads when it is sent (parts of files are never copied into memory
//! whole, and workers share one descriptor). Used alike by the S3 request descriptions, the
//! client, the upload engine and the transport. Its counterpart for answers is [`Sink`]: where
//! the body of a successful answer goes, chunk by chunk (a range of a file written with
//! positioned writes, or a buffer), so downloads hold no object in memory either.
//!
//! It never opens files and never touches the network: a `FileRange` borrows a file someone
//! else opened, and reads it only at the offsets it names.

use std::borrow::Cow;
use std::io::Read;

/// What a request carries.
#[derive(Debug, Clone)]
pub enum Body<'a> {
    /// Bytes in memory, borrowed (a caller's buffer) or owned (a part read from a stream).
    Bytes(Cow<'a, [u8]>),
    /// A range of a file.
    File(FileRange<'a>),
}

impl Body<'_> {
    /// No body.
    pub const EMPTY: Body<'static> = Body::Bytes(Cow::Borrowed(&[]));

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Self::Bytes(b) => b.len() as u64,
            Self::File(r) => r.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same body, borrowed (an owned buffer is lent, not copied).
    pub fn borrowed(&self) -> Body<'_> {
        match self {
            Self::Bytes(b) => Body::Bytes(Cow::Borrowed(b)),
            Self::File(r) => Body::File(*r),
        }
    }

    /// Feeds every byte to `f`, in chunks of a bounded buffer.
    ///
    /// # Errors
    /// A read error of the file (also when it became shorter).
    pub fn for_each_chunk(&self, mut f: impl FnMut(&[u8])) -> std::io::Result<()> {
        match self {
            Self::Bytes(b) => {
                b.chunks(CHUNK).for_each(f);
                Ok(())
            }
            Self::File(r) => r.for_each_chunk(&mut f),
        }
    }
}

impl<'a> From<&'a [u8]> for Body<'a> {
    fn from(b: &'a [u8]) -> Self {
        Self::Bytes(Cow::Borrowed(b))
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Body<'a> {
    fn from(b: &'a [u8; N]) -> Self {
        Self::Bytes(Cow::Borrowed(b))
    }
}

impl<'a> From<&'a Vec<u8>> for Body<'a> {
    fn from(b: &'a Vec<u8>) -> Self {
        Self::Bytes(Cow::Borrowed(b))
    }
}

impl From<Vec<u8>> for Body<'_> {
    fn from(b: Vec<u8>) -> Self {
        Self::Bytes(Cow::Owned(b))
    }
}

impl<'a> From<FileRange<'a>> for Body<'a> {
    fn from(r: FileRange<'a>) -> Self {
        Self::File(r)
    }
}

/// Where the body of a successful answer goes, chunk by chunk, as it arrives (error answers are
/// always read into memory, to be parsed).
pub trait Sink {
    /// Takes the next bytes of the body.
    ///
    /// # Errors
    /// A local failure (a full disk, a closed pipe): the transfer stops and is not retried; the
    /// sink keeps the error for its owner to report.
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()>;
}

impl Sink for Vec<u8> {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.extend_from_slice(chunk);
        Ok(())
    }
}

/// Hashing and sending read files in chunks of this size.
const CHUNK: usize = 256 * 1024;

/// A byte range of an open file.
#[derive(Debug, Clone, Copy)]
pub struct FileRange<'a> {
    pub file: &'a std::fs::File,
    pub offset: u64,
    pub len: u64,
}

impl<'a> FileRange<'a> {
    /// Reads `buf.len()` bytes at `offset + at` (positioned: the file cursor is not used).
    ///
    /// # Errors
    /// The read error, or `UnexpectedEof` when the file became shorter.
    pub fn read_exact_at(&self, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.read_exact_at(buf, self.offset + at)
    }

    /// Feeds every byte of the range to `f`, in chunks (a bounded buffer, positioned reads).
    ///
    /// # Errors
    /// The read error (also when the file became shorter).
    pub fn for_each_chunk(&self, mut f: impl FnMut(&[u8])) -> std::io::Result<()> {
        let chunk = CHUNK as u64;
        let mut buf = vec![0u8; usize::try_from(chunk.min(self.len)).unwrap_or(0)];
        let mut at = 0;
        while at < self.len {
            let n = usize::try_from(chunk.min(self.len - at)).unwrap_or(0);
            self.read_exact_at(at, &mut buf[..n])?;
            f(&buf[..n]);
            at += n as u64;
        }
        Ok(())
    }

    /// The range as a reader (for sending it).
    pub fn reader(self) -> RangeReader<'a> {
        RangeReader {
            range: self,
            done: 0,
        }
    }
}

/// Reads a [`FileRange`] from its start to its end.
#[derive(Debug)]
pub struct RangeReader<'a> {
    range: FileRange<'a>,
    done: u64,
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.range.len - self.done;
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if n == 0 {
            return Ok(0);
        }
        self.range.read_exact_at(self.done, &mut buf[..n])?;
        self.done += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_range_reads_only_its_bytes() {
        let mut f = tempfile::tempfile().expect("temp file");
        f.write_all(b"0123456789").expect("write");
        let range = FileRange {
            file: &f,
            offset: 3,
            len: 4,
        };
        let mut seen = Vec::new();
        Body::from(range)
            .for_each_chunk(|c| seen.extend_from_slice(c))
            .expect("read");
        assert_eq!(seen, b"3456");
        let mut sent = Vec::new();
        range.reader().read_to_end(&mut sent).expect("read");
        assert_eq!(sent, b"3456");
        let beyond = FileRange {
            file: &f,
            offset: 8,
            len: 4,
        };
        assert!(Body::from(beyond).for_each_chunk(|_| {}).is_err());
    }

    #[test]
    fn borrowed_bodies_lend_their_bytes() {
        let owned = Body::from(vec![1u8, 2, 3]);
        let lent = owned.borrowed();
        assert!(matches!(lent, Body::Bytes(Cow::Borrowed(b)) if b == [1, 2, 3]));
        assert_eq!(Body::EMPTY.len(), 0);
        assert!(Body::from(b"abc").len() == 3 && !Body::from(b"abc").is_empty());
    }
}
