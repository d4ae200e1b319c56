//! The producer's loop: walks the PATHs (directories in byte order of their names, symlinks
//! stored and not followed, hard links stored once) and writes each member's header and data.
//!
//! It follows GNU tar's rules for trouble: an unreadable file fails the archive unless
//! `ignore_failed_read` (then a warning); a file that shrinks, grows or changes while it is read
//! is stored as read (padded or cut to the size in its header, so the archive stays valid),
//! warned about, and marks the archive "changed" (exit status 1). It never follows a symlink
//! and never knows where the bytes go.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use tar::EntryType;

use super::header::{self, Entry, BLOCK};
use super::{ArchiveError, Spec};

/// GNU tar writes whole 10 KiB records (blocking factor 20); some readers expect them.
const RECORD: u64 = 20 * BLOCK as u64;
const ZEROS: [u8; 8192] = [0; 8192];

/// What the walk wrote.
pub(super) struct Walked {
    pub entries: u64,
    pub bytes: u64,
    pub changed: bool,
}

/// Writes the whole archive of `spec.paths` (members, then the end-of-archive blocks) to `out`.
pub(super) fn write_archive(spec: &Spec, out: &mut dyn Write) -> Result<Walked, ArchiveError> {
    let mut w = Walker {
        spec,
        out,
        written: 0,
        entries: 0,
        changed: false,
        links: HashMap::new(),
        warned: HashSet::new(),
        buf: vec![0; 256 * 1024],
    };
    for arg in &spec.paths {
        let name = w.member_name(arg);
        if w.excluded(&name) {
            continue;
        }
        let fs_path = spec.fs_path(arg);
        match fs::symlink_metadata(&fs_path) {
            Ok(meta) => w.member(&fs_path, arg, name, &meta)?,
            Err(e) => w.unreadable(arg, "cannot stat", e)?,
        }
    }
    w.put(&[0; BLOCK * 2])?;
    let pad = (RECORD - w.written % RECORD) % RECORD;
    w.zeros(pad)?;
    Ok(Walked {
        entries: w.entries,
        bytes: w.written,
        changed: w.changed,
    })
}

struct Walker<'a> {
    spec: &'a Spec,
    out: &'a mut dyn Write,
    written: u64,
    entries: u64,
    changed: bool,
    /// (device, inode) of files with several names → the member name stored first.
    links: HashMap<(u64, u64), Vec<u8>>,
    /// "Removing leading ..." warnings already given.
    warned: HashSet<String>,
    buf: Vec<u8>,
}

impl Walker<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), ArchiveError> {
        self.out.write_all(bytes).map_err(ArchiveError::output)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn zeros(&mut self, mut n: u64) -> Result<(), ArchiveError> {
        while n > 0 {
            let k = n.min(ZEROS.len() as u64) as usize;
            self.put(&ZEROS[..k])?;
            n -= k as u64;
        }
        Ok(())
    }

    /// An unreadable file: fatal, or a warning with `--ignore-failed-read` (as GNU tar).
    fn unreadable(&mut self, shown: &Path, what: &str, err: io::Error) -> Result<(), ArchiveError> {
        if self.spec.ignore_failed_read {
            log::warn!("{}: {what}: {err}", shown.display());
            return Ok(());
        }
        Err(ArchiveError {
            path: Some(shown.to_path_buf()),
            source: io::Error::new(err.kind(), format!("{what}: {err}")),
        })
    }

    /// The member name of a PATH argument: as given, minus leading `/` and anything up to a
    /// last `..` (so extraction stays inside the target directory), like GNU tar.
    fn member_name(&mut self, arg: &Path) -> Vec<u8> {
        let raw = arg.as_os_str().as_bytes();
        let parts: Vec<&[u8]> = raw
            .split(|&b| b == b'/')
            .filter(|p| !p.is_empty())
            .collect();
        let absolute = raw.starts_with(b"/");
        let (kept, removed) = match parts.iter().rposition(|p| *p == b"..") {
            Some(i) => {
                let lead = if absolute { "/" } else { "" };
                let prefix = parts[..=i].join(&b'/');
                (
                    &parts[i + 1..],
                    Some(format!("{lead}{}/", String::from_utf8_lossy(&prefix))),
                )
            }
            None => (&parts[..], absolute.then(|| "/".to_owned())),
        };
        if let Some(prefix) = removed {
            if self.warned.insert(prefix.clone()) {
                log::warn!("removing leading `{prefix}' from member names");
            }
        }
        kept.join(&b'/')
    }

    fn excluded(&self, name: &[u8]) -> bool {
        super::excluded(&self.spec.excludes, name)
    }

    fn member(
        &mut self,
        fs_path: &Path,
        shown: &Path,
        name: Vec<u8>,
        meta: &Metadata,
    ) -> Result<(), ArchiveError> {
        let ft = meta.file_type();
        if ft.is_dir() {
            return self.directory(fs_path, shown, name, meta);
        }
        if ft.is_file() {
            return self.file(fs_path, shown, name, meta);
        }
        let (kind, link, device) = if ft.is_symlink() {
            match fs::read_link(fs_path) {
                Ok(target) => (EntryType::Symlink, Some(target), None),
                Err(e) => return self.unreadable(shown, "cannot read link", e),
            }
        } else if ft.is_fifo() {
            (EntryType::Fifo, None, None)
        } else if ft.is_char_device() {
            (EntryType::Char, None, Some(device_numbers(meta.rdev())))
        } else if ft.is_block_device() {
            (EntryType::Block, None, Some(device_numbers(meta.rdev())))
        } else {
            log::warn!("{}: socket ignored", shown.display());
            return Ok(());
        };
        let link = link.as_ref().map(|l| l.as_os_str().as_bytes());
        self.header(&Entry {
            link,
            device,
            ..entry(&name, kind, meta)
        })
    }

    fn header(&mut self, e: &Entry<'_>) -> Result<(), ArchiveError> {
        self.put(&header::encode(e))?;
        self.entries += 1;
        Ok(())
    }

    fn directory(
        &mut self,
        fs_path: &Path,
        shown: &Path,
        name: Vec<u8>,
        meta: &Metadata,
    ) -> Result<(), ArchiveError> {
        // The root itself ("/" or "..") has no name left: only its contents are stored.
        if !name.is_empty() {
            let mut dir_name = name.clone();
            dir_name.push(b'/');
            self.header(&entry(&dir_name, EntryType::Directory, meta))?;
        }
        let mut children = match fs::read_dir(fs_path) {
            Ok(rd) => match rd
                .map(|d| d.map(|d| d.file_name()))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(children) => children,
                Err(e) => return self.unreadable(shown, "cannot read directory", e),
            },
            Err(e) => return self.unreadable(shown, "cannot open", e),
        };
        // A stable order: the same tree gives the same archive.
        children.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for child in children {
            let mut child_name = name.clone();
            if !child_name.is_empty() {
                child_name.push(b'/');
            }
            child_name.extend_from_slice(child.as_bytes());
            if self.excluded(&child_name) {
                continue;
            }
            let child_fs = fs_path.join(&child);
            let child_shown = shown.join(&child);
            match fs::symlink_metadata(&child_fs) {
                Ok(m) => self.member(&child_fs, &child_shown, child_name, &m)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    log::warn!("{}: file removed before we read it", child_shown.display());
                    self.changed = true;
                }
                Err(e) => self.unreadable(&child_shown, "cannot stat", e)?,
            }
        }
        Ok(())
    }

    fn file(
        &mut self,
        fs_path: &Path,
        shown: &Path,
        name: Vec<u8>,
        meta: &Metadata,
    ) -> Result<(), ArchiveError> {
        let inode = (meta.dev(), meta.ino());
        if meta.nlink() > 1 {
            if let Some(first) = self.links.get(&inode).cloned() {
                return self.header(&Entry {
                    link: Some(&first),
                    ..entry(&name, EntryType::Link, meta)
                });
            }
        }
        let mut file = match File::open(fs_path) {
            Ok(f) => f,
            Err(e) => return self.unreadable(shown, "cannot open", e),
        };
        // Sizes and times of the open file, not of the name, which may have moved on.
        let before = match file.metadata() {
            Ok(m) if m.is_file() => m,
            Ok(_) => {
                log::warn!("{}: file changed as we read it", shown.display());
                self.changed = true;
                return Ok(());
            }
            Err(e) => return self.unreadable(shown, "cannot stat", e),
        };
        let size = before.len();
        self.header(&Entry {
            size,
            ..entry(&name, EntryType::Regular, &before)
        })?;
        let copied = self.copy(&mut file, size, shown)?;
        if meta.nlink() > 1 {
            self.links.insert(inode, name);
        }
        if copied.short {
            return Ok(());
        }
        let after = file.metadata().ok();
        let same = after.is_some_and(|a| {
            a.len() == size && a.mtime() == before.mtime() && a.mtime_nsec() == before.mtime_nsec()
        });
        if copied.grew || !same {
            log::warn!("{}: file changed as we read it", shown.display());
            self.changed = true;
        }
        Ok(())
    }

    /// Copies exactly `size` bytes (the size in the header) and the block padding: a file that
    /// ends early is padded with zeros, one that grew is cut.
    fn copy(&mut self, file: &mut File, size: u64, shown: &Path) -> Result<Copied, ArchiveError> {
        let mut buf = std::mem::take(&mut self.buf);
        let mut done = 0u64;
        let mut short = false;
        while done < size {
            let want = usize::try_from(size - done).map_or(buf.len(), |r| r.min(buf.len()));
            match file.read(&mut buf[..want]) {
                Ok(0) => {
                    log::warn!(
                        "{}: file shrank by {} bytes; padding with zeros",
                        shown.display(),
                        size - done
                    );
                    self.changed = true;
                    short = true;
                    break;
                }
                Ok(n) => {
                    if let Err(e) = self.put(&buf[..n]) {
                        self.buf = buf;
                        return Err(e);
                    }
                    done += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf = buf;
                    self.unreadable(shown, &format!("read error at byte {done}"), e)?;
                    buf = std::mem::take(&mut self.buf);
                    short = true;
                    break;
                }
            }
        }
        self.buf = buf;
        self.zeros(size - done)?;
        self.zeros(header::padding(size) as u64)?;
        let grew = !short && matches!(file.read(&mut [0u8; 1]), Ok(n) if n > 0);
        Ok(Copied { short, grew })
    }
}

struct Copied {
    /// The data ended early (shrank, or a read error under `--ignore-failed-read`).
    short: bool,
    /// There was more data than the header's size.
    grew: bool,
}

/// The header fields every member takes from its metadata.
fn entry<'a>(name: &'a [u8], kind: EntryType, meta: &Metadata) -> Entry<'a> {
    Entry {
        name,
        kind,
        link: None,
        size: 0,
        mode: meta.mode(),
        uid: u64::from(meta.uid()),
        gid: u64::from(meta.gid()),
        mtime: meta.mtime(),
        device: None,
    }
}

/// Linux's `dev_t` split into major and minor (glibc's `gnu_dev_major`/`gnu_dev_minor`).
fn device_numbers(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 32) & 0xffff_f000) | ((rdev >> 8) & 0x0000_0fff);
    let minor = ((rdev >> 12) & 0xffff_ff00) | (rdev & 0x0000_00ff);
    (
        u32::try_from(major).unwrap_or(u32::MAX),
        u32::try_from(minor).unwrap_or(u32::MAX),
    )
}
