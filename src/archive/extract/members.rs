//! The tar stream read member by member: ustar and GNU headers (fields decoded by the `tar`
//! crate's `Header`), PAX extended headers (`path`, `linkpath`, `size`, `mtime`, `uid`, `gid`;
//! global ones for times and owners) and GNU long names. Each header's checksum is checked.
//!
//! Written here rather than with `tar::Archive` because a restore needs three things it does not
//! give: memory bounded against hostile headers (a PAX header or long name of any declared
//! size would be read whole; here they are refused beyond 1 MiB), a missing end-of-archive
//! marker reported as truncation (it takes an end of input at a header boundary for a clean
//! end), and the byte offset of every problem.
//!
//! It never touches the file system and never interprets names: that is the extractor's job.

use std::fmt;
use std::io::{self, Read};

use tar::{EntryType, Header};

use super::input::fill;
use super::pax::{self, Pax};

pub(super) const BLOCK: usize = 512;
/// The largest PAX header or GNU long name accepted: real ones are a few hundred bytes.
const MAX_EXTENSION: u64 = 1 << 20;

/// One archive member, as its headers describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The name as stored (PAX or GNU long name when present); directories may end with `/`.
    pub name: Vec<u8>,
    pub kind: Kind,
    /// Symlink target or hard-link name (empty for other kinds).
    pub link: Vec<u8>,
    /// Bytes of data in the archive (regular files).
    pub size: u64,
    /// Permission bits, with setuid/setgid/sticky.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Seconds since the epoch (negative before 1970) and nanoseconds (PAX only).
    pub mtime: i64,
    pub mtime_nsec: u32,
    /// Major and minor numbers of character and block devices.
    pub device: (u32, u32),
    /// Where the member's first header starts in the tar stream.
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    Symlink,
    HardLink,
    CharDevice,
    BlockDevice,
    Fifo,
    /// A kind s3up does not restore (GNU sparse or multi-volume files, unknown type flags):
    /// the text says which.
    Unsupported(String),
}

/// A problem in the tar stream itself (the caller adds the input offset).
#[derive(Debug)]
pub(super) enum StreamError {
    /// The stream ended early; the text says inside what.
    Truncated(String),
    /// A header that is not a valid tar header.
    Corrupt(String),
    /// The reader under the stream failed (source or decompressor).
    Read(io::Error),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(m) | Self::Corrupt(m) => f.write_str(m),
            Self::Read(e) => write!(f, "{e}"),
        }
    }
}

/// The members of a tar stream, read in order.
pub(super) struct Members<R> {
    inner: R,
    /// Bytes of the tar stream consumed.
    pos: u64,
    /// Data bytes of the current member not read yet, then its padding.
    data_left: u64,
    padding_left: u64,
    /// The member whose data is being read (for messages).
    current: Vec<u8>,
    globals: Pax,
    ended: bool,
}

impl<R: Read> Members<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            pos: 0,
            data_left: 0,
            padding_left: 0,
            current: Vec::new(),
            globals: Pax::default(),
            ended: false,
        }
    }

    /// Bytes of the tar stream read so far.
    pub(super) fn position(&self) -> u64 {
        self.pos
    }

    /// The next member (its data is read with [`Self::read_data`]); `None` at the
    /// end-of-archive marker.
    ///
    /// # Errors
    /// Truncation, a corrupt header, or a read error underneath.
    pub(super) fn next_member(&mut self) -> Result<Option<Member>, StreamError> {
        self.skip_data()?;
        if self.ended {
            return Ok(None);
        }
        let mut local = Pax::default();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut start: Option<u64> = None;
        loop {
            let at = self.pos;
            let Some(header) = self.header(start.is_some())? else {
                self.ended = true;
                return Ok(None);
            };
            start.get_or_insert(at);
            let kind = header.entry_type();
            let size = local
                .size
                .filter(|_| !is_extension(kind))
                .map_or_else(|| header.entry_size(), Ok)
                .map_err(|e| corrupt(at, &e))?;
            match kind {
                EntryType::XHeader => pax::parse(&self.extension(size, at)?, &mut local, at)?,
                EntryType::XGlobalHeader => {
                    let mut g = Pax::default();
                    pax::parse(&self.extension(size, at)?, &mut g, at)?;
                    // Only what a global header sensibly shares: times and owners.
                    self.globals.mtime = g.mtime.or(self.globals.mtime);
                    self.globals.uid = g.uid.or(self.globals.uid);
                    self.globals.gid = g.gid.or(self.globals.gid);
                }
                EntryType::GNULongName => long_name = Some(nul_trimmed(self.extension(size, at)?)),
                EntryType::GNULongLink => long_link = Some(nul_trimmed(self.extension(size, at)?)),
                _ => {
                    let member = self.member(&header, size, local, long_name, long_link)?;
                    return Ok(Some(Member {
                        offset: start.unwrap_or(at),
                        ..member
                    }));
                }
            }
        }
    }

    /// Reads the current member's data; 0 at its end.
    ///
    /// # Errors
    /// Truncation or a read error underneath.
    pub(super) fn read_data(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        let want = usize::try_from(self.data_left).map_or(buf.len(), |left| left.min(buf.len()));
        if want == 0 {
            return Ok(0);
        }
        let n = loop {
            match self.inner.read(&mut buf[..want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StreamError::Read(e)),
            }
        };
        if n == 0 {
            return Err(StreamError::Truncated(format!(
                "the data of '{}' stops {} bytes short",
                String::from_utf8_lossy(&self.current),
                self.data_left
            )));
        }
        self.pos += n as u64;
        self.data_left -= n as u64;
        Ok(n)
    }

    /// Reads the rest of the underlying stream (after the end-of-archive marker), so the
    /// decompressor checks its checksums and every input byte is counted; the bytes read.
    ///
    /// # Errors
    /// A read error underneath.
    pub(super) fn drain(&mut self) -> Result<u64, StreamError> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            match self.inner.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    self.pos += n as u64;
                    total += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StreamError::Read(e)),
            }
        }
    }

    /// Skips what is left of the current member's data and its padding.
    fn skip_data(&mut self) -> Result<(), StreamError> {
        let mut buf = [0u8; 8192];
        while self.data_left > 0 {
            self.read_data(&mut buf)?;
        }
        while self.padding_left > 0 {
            let want = usize::try_from(self.padding_left).map_or(BLOCK, |p| p.min(BLOCK));
            let got = fill(&mut self.inner, &mut buf[..want]).map_err(StreamError::Read)?;
            self.pos += got as u64;
            if got < want {
                return Err(StreamError::Truncated(format!(
                    "the archive ends inside the padding after '{}'",
                    String::from_utf8_lossy(&self.current)
                )));
            }
            self.padding_left -= got as u64;
        }
        Ok(())
    }

    /// The next header block, checksum checked; `None` at the end-of-archive marker (one or
    /// two zero blocks). `inside` says a member's extension headers were already read.
    fn header(&mut self, inside: bool) -> Result<Option<Header>, StreamError> {
        let at = self.pos;
        let mut header = Header::new_old();
        let got = self.block(header.as_mut_bytes())?;
        if got == 0 {
            return Err(StreamError::Truncated(if inside {
                format!(
                    "the archive ends after the extended headers at byte {at}, before their member"
                )
            } else {
                format!("the archive ends at byte {at} without its end-of-archive marker")
            }));
        }
        if got < BLOCK {
            return Err(StreamError::Truncated(format!(
                "the archive ends inside the header at byte {at}"
            )));
        }
        if header.as_bytes().iter().all(|&b| b == 0) {
            if inside {
                return Err(corrupt_msg(
                    at,
                    "extended headers are followed by the end of the archive, not a member",
                ));
            }
            // A second zero block normally follows; one alone is accepted, as GNU tar does.
            let mut second = [0u8; BLOCK];
            self.block(&mut second)?;
            return Ok(None);
        }
        if !checksum_ok(header.as_bytes()) {
            return Err(corrupt_msg(
                at,
                "header checksum mismatch: not a tar archive, or a damaged one",
            ));
        }
        Ok(Some(header))
    }

    /// Reads up to one block; the bytes read (fewer only at the end of the stream).
    fn block(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        let got = fill(&mut self.inner, buf).map_err(StreamError::Read)?;
        self.pos += got as u64;
        Ok(got)
    }

    /// The data of an extension header (PAX, GNU long name), bounded.
    fn extension(&mut self, size: u64, at: u64) -> Result<Vec<u8>, StreamError> {
        if size > MAX_EXTENSION {
            return Err(corrupt_msg(
                at,
                &format!("an extended header of {size} bytes (more than 1 MiB): refused"),
            ));
        }
        let mut data = vec![0u8; usize::try_from(size).unwrap_or(0)];
        self.current = b"(extended header)".to_vec();
        self.start_data(size);
        let mut done = 0;
        while done < data.len() {
            done += self.read_data(&mut data[done..])?;
        }
        self.skip_data()?;
        Ok(data)
    }

    fn start_data(&mut self, size: u64) {
        self.data_left = size;
        self.padding_left = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
    }

    /// The member described by `header` and the extensions before it; its data comes next.
    fn member(
        &mut self,
        header: &Header,
        size: u64,
        pax: Pax,
        long_name: Option<Vec<u8>>,
        long_link: Option<Vec<u8>>,
    ) -> Result<Member, StreamError> {
        let at = self.pos - BLOCK as u64;
        let name = pax
            .path
            .clone()
            .or(long_name)
            .unwrap_or_else(|| header.path_bytes().into_owned());
        let link = pax
            .linkpath
            .clone()
            .or(long_link)
            .or_else(|| header.link_name_bytes().map(|l| l.into_owned()))
            .unwrap_or_default();
        let kind = kind_of(header.entry_type(), &name, pax.sparse);
        let member = Member {
            name,
            link,
            size,
            ..numbers(header, kind, &pax, &self.globals, at).map_err(|e| corrupt(at, &e))?
        };
        self.current.clone_from(&member.name);
        self.start_data(size);
        if header.entry_type() == EntryType::GNUSparse {
            self.skip_sparse_extensions(header)?;
        }
        Ok(member)
    }

    /// An old GNU sparse member may be followed by extension blocks of its sparse map.
    fn skip_sparse_extensions(&mut self, header: &Header) -> Result<(), StreamError> {
        let mut extended = header.as_gnu().is_some_and(|g| g.is_extended());
        while extended {
            let mut block = [0u8; BLOCK];
            if self.block(&mut block)? < BLOCK {
                return Err(StreamError::Truncated(
                    "the archive ends inside a sparse map".into(),
                ));
            }
            extended = block[504] != 0;
        }
        Ok(())
    }
}

/// The numeric fields of a member (mode, owner, time, device), PAX records first, then global
/// ones, then the header's own fields; name, link and size left empty.
fn numbers(header: &Header, kind: Kind, pax: &Pax, globals: &Pax, at: u64) -> io::Result<Member> {
    let device = match kind {
        Kind::CharDevice | Kind::BlockDevice => (
            header.device_major()?.unwrap_or(0),
            header.device_minor()?.unwrap_or(0),
        ),
        _ => (0, 0),
    };
    let (mtime, mtime_nsec) = match pax.mtime.or(globals.mtime) {
        Some(t) => t,
        None => (i64::try_from(header.mtime()?).unwrap_or(i64::MAX), 0),
    };
    Ok(Member {
        name: Vec::new(),
        kind,
        link: Vec::new(),
        size: 0,
        mode: header.mode()?,
        uid: pax.uid.or(globals.uid).map_or_else(|| header.uid(), Ok)?,
        gid: pax.gid.or(globals.gid).map_or_else(|| header.gid(), Ok)?,
        mtime,
        mtime_nsec,
        device,
        offset: at,
    })
}

fn is_extension(kind: EntryType) -> bool {
    matches!(
        kind,
        EntryType::XHeader
            | EntryType::XGlobalHeader
            | EntryType::GNULongName
            | EntryType::GNULongLink
    )
}

fn kind_of(t: EntryType, name: &[u8], sparse: bool) -> Kind {
    if sparse {
        return Kind::Unsupported("a sparse file (PAX GNU.sparse)".into());
    }
    match t {
        // Old tars mark directories with a regular type and a trailing slash.
        EntryType::Regular | EntryType::Continuous if name.ends_with(b"/") => Kind::Directory,
        EntryType::Regular | EntryType::Continuous => Kind::File,
        EntryType::Directory => Kind::Directory,
        // GNU incremental dump directories ('D'): their data is a listing, not contents.
        other if other.as_byte() == b'D' => Kind::Directory,
        EntryType::Symlink => Kind::Symlink,
        EntryType::Link => Kind::HardLink,
        EntryType::Char => Kind::CharDevice,
        EntryType::Block => Kind::BlockDevice,
        EntryType::Fifo => Kind::Fifo,
        EntryType::GNUSparse => Kind::Unsupported("a GNU sparse file".into()),
        other => Kind::Unsupported(format!(
            "an entry of type '{}'",
            char::from(other.as_byte()).escape_default()
        )),
    }
}

/// The header checksum: the sum of the header's bytes with the checksum field read as spaces,
/// unsigned as POSIX says or signed as some old tars computed it.
pub(super) fn checksum_ok(block: &[u8]) -> bool {
    if block.len() != BLOCK {
        return false;
    }
    let mut header = Header::new_old();
    header.as_mut_bytes().copy_from_slice(block);
    let Ok(stored) = header.cksum() else {
        return false;
    };
    let (mut unsigned, mut signed) = (8 * u32::from(b' '), 8 * i32::from(b' '));
    for (i, &b) in block.iter().enumerate() {
        if !(148..156).contains(&i) {
            unsigned += u32::from(b);
            signed += i32::from(b as i8);
        }
    }
    stored == unsigned || i32::try_from(stored).is_ok_and(|s| s == signed)
}

fn nul_trimmed(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

fn corrupt(at: u64, e: &io::Error) -> StreamError {
    corrupt_msg(at, &e.to_string())
}

pub(super) fn corrupt_msg(at: u64, what: &str) -> StreamError {
    StreamError::Corrupt(format!("bad tar header at byte {at}: {what}"))
}
