//! The archive's bytes as a tar stream: the format found from the first bytes (zstd, gzip or
//! plain tar; never from a file name), the decompressor put in front, and every input byte the
//! decompressor consumed counted, so an error can say where in the input it happened.
//!
//! Memory is bounded whatever the input: one read buffer, and the decompressor's window (zstd
//! refuses frames that need more than 128 MiB, like the `zstd` tool without `--long`).

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use super::members::BLOCK;

/// Read size from the source: what a zstd decoder asks for at a time.
const READ_BUF: usize = 128 * 1024;
/// zstd's default decoding limit (2^27 = 128 MiB windows), stated so it is a decision.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// What the input turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Tar,
    TarZstd,
    TarGzip,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tar => "tar",
            Self::TarZstd => "tar+zstd",
            Self::TarGzip => "tar+gzip",
        })
    }
}

/// Input bytes consumed, and whether the source itself (not the decompressor) failed.
#[derive(Debug, Default)]
pub(super) struct Meter {
    consumed: Cell<u64>,
    source_failed: Cell<bool>,
}

impl Meter {
    pub(super) fn consumed(&self) -> u64 {
        self.consumed.get()
    }

    /// True when the last error came from reading the source, not from decoding it.
    pub(super) fn source_failed(&self) -> bool {
        self.source_failed.get()
    }
}

/// The decompressed tar stream and the meter of the input under it.
pub(super) struct Input<'a> {
    pub format: Format,
    pub stream: Box<dyn Read + 'a>,
    pub meter: Rc<Meter>,
}

/// Why the input is not something we can read.
#[derive(Debug)]
pub(super) enum Refused {
    /// Reading the first bytes failed.
    Source(io::Error),
    /// Not a tar, tar.zst or tar.gz (the text says what it looks like instead).
    Format(String),
}

/// Looks at the first bytes of `source` and puts the right decoder in front of it.
///
/// # Errors
/// The source cannot be read, is empty, or is not a format s3up restores.
pub(super) fn open<'a>(mut source: impl Read + 'a) -> Result<Input<'a>, Refused> {
    let mut head = vec![0u8; BLOCK];
    let got = fill(&mut source, &mut head).map_err(Refused::Source)?;
    head.truncate(got);
    let format = detect(&head)?;
    let meter = Rc::new(Meter::default());
    let counted = Counted {
        inner: BufReader::with_capacity(READ_BUF, io::Cursor::new(head).chain(source)),
        meter: Rc::clone(&meter),
    };
    let stream: Box<dyn Read + 'a> = match format {
        Format::Tar => Box::new(counted),
        Format::TarZstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(counted)
                .map_err(|e| Refused::Format(format!("cannot start a zstd decoder: {e}")))?;
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(|e| Refused::Format(format!("cannot start a zstd decoder: {e}")))?;
            Box::new(decoder)
        }
        Format::TarGzip => Box::new(flate2::bufread::MultiGzDecoder::new(counted)),
    };
    Ok(Input {
        format,
        stream,
        meter,
    })
}

/// The format from the magic bytes; plain tar when the first block is a tar header (or the
/// zero block of an empty archive).
fn detect(head: &[u8]) -> Result<Format, Refused> {
    if head.starts_with(&ZSTD_MAGIC) || is_zstd_skippable(head) {
        return Ok(Format::TarZstd);
    }
    if head.starts_with(&GZIP_MAGIC) {
        return Ok(Format::TarGzip);
    }
    if head.is_empty() {
        return Err(Refused::Format(
            "the input is empty: no archive to restore".into(),
        ));
    }
    if head.len() == BLOCK && (head.iter().all(|&b| b == 0) || super::members::checksum_ok(head)) {
        return Ok(Format::Tar);
    }
    let other = [
        (&b"BZh"[..], "bzip2"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0][..], "xz"),
        (&[0x04, 0x22, 0x4d, 0x18][..], "lz4"),
        (&b"PK\x03\x04"[..], "zip"),
    ]
    .into_iter()
    .find(|(magic, _)| head.starts_with(magic));
    let shown: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Err(Refused::Format(match other {
        Some((_, name)) => format!(
            "this is {name}-compressed data: s3up restores tar, tar.zst and tar.gz; \
             decompress it first (e.g. {name} -dc FILE | s3up restore - -C DIR)"
        ),
        None => format!(
            "not a tar, tar.zst or tar.gz archive (it starts with bytes {})",
            shown.join(" ")
        ),
    }))
}

/// zstd skippable frames (magic 0x184D2A50..=0x184D2A5F, little-endian) may precede the data.
fn is_zstd_skippable(head: &[u8]) -> bool {
    head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18]
}

/// Reads until `buf` is full or the source ends; the number of bytes read.
pub(super) fn fill(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The source behind a buffer, counting what the reader above consumed (exactly: the
/// decoders take their input through `BufRead`, so read-ahead is not counted).
struct Counted<R> {
    inner: BufReader<R>,
    meter: Rc<Meter>,
}

impl<R: Read> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.inner.fill_buf() {
            Ok(buf) => Ok(buf),
            Err(e) => {
                self.meter.source_failed.set(true);
                Err(e)
            }
        }
    }

    fn consume(&mut self, amt: usize) {
        self.meter
            .consumed
            .set(self.meter.consumed.get() + amt as u64);
        self.inner.consume(amt);
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_of(bytes: &[u8]) -> Result<Format, String> {
        match open(bytes) {
            Ok(input) => Ok(input.format),
            Err(Refused::Format(m)) => Err(m),
            Err(Refused::Source(e)) => Err(e.to_string()),
        }
    }

    #[test]
    fn formats_come_from_magic_bytes() {
        let tar = {
            let mut h = tar::Header::new_ustar();
            h.set_path("a").expect("path");
            h.set_cksum();
            h.as_bytes().to_vec()
        };
        assert_eq!(format_of(&tar), Ok(Format::Tar));
        assert_eq!(format_of(&[0; 1024]), Ok(Format::Tar));
        let zst = zstd::encode_all(&tar[..], 3).expect("zstd");
        assert_eq!(format_of(&zst), Ok(Format::TarZstd));
        assert_eq!(format_of(&[0x1f, 0x8b, 8, 0]), Ok(Format::TarGzip));
        assert!(format_of(b"").expect_err("empty").contains("empty"));
        let xz = format_of(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]).expect_err("xz");
        assert!(xz.contains("xz-compressed"), "{xz}");
        let text = format_of(b"hello world").expect_err("text");
        assert!(text.contains("68 65 6c 6c 6f"), "{text}");
        let mut bad = tar.clone();
        bad[0] ^= 1;
        assert!(format_of(&bad).is_err(), "a block with a wrong checksum");
    }

    #[test]
    fn the_meter_counts_consumed_input_bytes() {
        let data = vec![7u8; 300_000];
        let zst = zstd::encode_all(&data[..], 1).expect("zstd");
        let mut input = match open(&zst[..]) {
            Ok(i) => i,
            Err(_) => panic!("opens"),
        };
        let mut out = Vec::new();
        input.stream.read_to_end(&mut out).expect("decode");
        assert_eq!(out, data);
        assert_eq!(input.meter.consumed(), zst.len() as u64);
        assert!(!input.meter.source_failed());
    }
}
