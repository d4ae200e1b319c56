//! The restore directory, written only through directory handles: the one place extraction
//! touches the file system, and why no member can write outside it.
//!
//! How: the directory is opened once; every path below it is walked one component at a time
//! with `openat(O_DIRECTORY | O_NOFOLLOW)` from the handle of the component before, and every
//! entry is created with `*at` calls on its parent's handle (`O_CREAT | O_EXCL | O_NOFOLLOW`
//! for files). A symlink is therefore never followed on the way in — one the archive created
//! earlier ("symlink `l -> /etc`, then `l/passwd`"), nor one already in the directory (as
//! bsdtar, stricter than GNU tar) — and a hard link's target is looked up the same way, so it
//! can only name something inside the directory.
//!
//! Races: a process that swaps a directory for a symlink while we restore makes the next
//! `openat` fail (`ELOOP`/`ENOTDIR`) and the member is refused; it cannot redirect a write. Only
//! someone who may rename directories inside the restore directory can move what we write,
//! and they could move it afterwards anyway.
//!
//! Every file, symlink, link or node is made under a temporary name in its directory, given its
//! mode, owner and times, then put in place (`linkat`, which refuses to replace anything, or
//! `renameat` with `--overwrite`), so no name ever holds a partial file, and replacing a name
//! never writes through what was there. Directories' modes and times are set at the end,
//! deepest first, after their contents (and after a read-only directory's contents were
//! written); a directory that existed before keeps its own unless `--overwrite`.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::rc::Rc;

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::at::{fail, gid_of, not_a_directory, open_dir, shown, times, uid_of};

/// The metadata an entry gets (already decided by the caller's policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Meta {
    pub mode: u32,
    pub mtime: (i64, u32),
    /// Numeric owner and group, when they are to be restored.
    pub owner: Option<(u32, u32)>,
}

/// What became of an entry.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Done<T> {
    Ok(T),
    /// Something of that name exists and `--overwrite` was not given.
    Exists,
    /// Not restored; the text says why.
    Refused(String),
}

/// A file system call that failed, and what it was doing.
#[derive(Debug)]
pub(super) struct FsError {
    pub doing: String,
    pub source: io::Error,
}

type Result<T> = std::result::Result<T, FsError>;

/// The restore directory.
pub(super) struct Target {
    root: Rc<OwnedFd>,
    overwrite: bool,
    /// The directory of the last entry, by path: most entries share it.
    cache: Option<(Vec<Vec<u8>>, Rc<OwnedFd>)>,
    /// Directory entries whose mode and times are set at the end.
    dirs: Vec<(Vec<Vec<u8>>, Meta)>,
    /// Directories this restore created before their entry came (parents made on the way,
    /// the restore directory itself): their entry still sets their mode and times, while a
    /// directory that was there before keeps its own unless `--overwrite`.
    made: HashSet<Vec<Vec<u8>>>,
    /// Temporary names: `.s3up-restore.PID.SEQ`.
    pid: u32,
    temp_seq: u64,
}

/// An entry under its temporary name, which goes when this is dropped: after `linkat` gave
/// the entry its name, after a failure, and after `renameat` too (which leaves the temporary
/// name in place when both names were already links to the same file).
pub(super) struct Temp {
    dir: Rc<OwnedFd>,
    name: Vec<u8>,
    leaf: Vec<u8>,
    replace: bool,
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = rfs::unlinkat(&*self.dir, self.name.as_slice(), AtFlags::empty());
    }
}

/// A new regular file: write its data to `file`, then [`Target::place_file`].
pub(super) struct NewFile {
    pub file: File,
    temp: Temp,
}

enum Room {
    Free,
    /// A directory entry for an existing directory.
    Merge,
    Replace,
    Exists,
    Refused(String),
}

impl Target {
    /// Opens (creating it if needed) the restore directory.
    pub(super) fn open(dir: &Path, overwrite: bool) -> Result<Self> {
        let mut made = HashSet::new();
        if std::fs::symlink_metadata(dir).is_err() {
            made.insert(Vec::new());
        }
        std::fs::create_dir_all(dir).map_err(|source| FsError {
            doing: format!("creating the directory {}", dir.display()),
            source,
        })?;
        let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
        let root = rfs::open(dir, flags, Mode::empty()).map_err(|e| FsError {
            doing: format!("opening the directory {}", dir.display()),
            source: e.into(),
        })?;
        Ok(Self {
            root: Rc::new(root),
            overwrite,
            cache: None,
            dirs: Vec::new(),
            made,
            pid: std::process::id(),
            temp_seq: 0,
        })
    }

    /// A directory entry; its mode and times are set by [`Self::finish`].
    pub(super) fn directory(&mut self, path: &[Vec<u8>], meta: Meta) -> Result<Done<()>> {
        let Some((leaf, parents)) = path.split_last() else {
            if self.overwrite || self.made.contains(path) {
                self.dirs.push((Vec::new(), meta));
            }
            return Ok(Done::Ok(()));
        };
        let dir = match self.walk(parents, true)? {
            Done::Ok(d) => d,
            other => return Ok(other.carry()),
        };
        match self.room(&dir, path, true)? {
            Room::Merge if !(self.overwrite || self.made.contains(path)) => {
                return Ok(Done::Ok(()))
            }
            Room::Merge => {}
            Room::Free => match rfs::mkdirat(&*dir, leaf.as_slice(), Mode::from_raw_mode(0o700)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(fail("creating the directory", path, e)),
            },
            Room::Replace => unreachable_room(),
            Room::Exists => return Ok(Done::Exists),
            Room::Refused(why) => return Ok(Done::Refused(why)),
        }
        self.dirs.push((path.to_vec(), meta));
        Ok(Done::Ok(()))
    }

    /// A new regular file at `path`, under a temporary name until [`Self::place_file`].
    pub(super) fn new_file(&mut self, path: &[Vec<u8>]) -> Result<Done<NewFile>> {
        let temp = match self.temp(path)? {
            Done::Ok(t) => t,
            other => return Ok(other.carry()),
        };
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let fd = rfs::openat(
            &*temp.dir,
            temp.name.as_slice(),
            flags | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| fail("creating", path, e))?;
        Ok(Done::Ok(NewFile {
            file: File::from(fd),
            temp,
        }))
    }

    /// Gives the written file its metadata and puts it in place.
    pub(super) fn place_file(
        &mut self,
        new: NewFile,
        path: &[Vec<u8>],
        meta: Meta,
    ) -> Result<Done<()>> {
        let f = &new.file;
        let set = || -> std::result::Result<(), Errno> {
            if let Some((uid, gid)) = meta.owner {
                rfs::fchown(f, Some(uid_of(uid)), Some(gid_of(gid)))?;
            }
            rfs::fchmod(f, Mode::from_raw_mode(meta.mode))?;
            rfs::futimens(f, &times(meta.mtime))
        };
        set().map_err(|e| fail("setting the mode, owner and time of", path, e))?;
        self.place(new.temp, path)
    }

    /// A symlink to `target` (any target: it is never followed here).
    pub(super) fn symlink(
        &mut self,
        path: &[Vec<u8>],
        target: &[u8],
        meta: Meta,
    ) -> Result<Done<()>> {
        let temp = match self.temp(path)? {
            Done::Ok(t) => t,
            other => return Ok(other.carry()),
        };
        rfs::symlinkat(target, &*temp.dir, temp.name.as_slice())
            .map_err(|e| fail("creating the symlink", path, e))?;
        self.node_meta(&temp, path, meta, false)?;
        self.place(temp, path)
    }

    /// A FIFO or device node.
    pub(super) fn node(
        &mut self,
        path: &[Vec<u8>],
        kind: FileType,
        device: (u32, u32),
        meta: Meta,
    ) -> Result<Done<()>> {
        let temp = match self.temp(path)? {
            Done::Ok(t) => t,
            other => return Ok(other.carry()),
        };
        let dev = rfs::makedev(device.0, device.1);
        let mode = Mode::from_raw_mode(0o600);
        match rfs::mknodat(&*temp.dir, temp.name.as_slice(), kind, mode, dev) {
            Ok(()) => {}
            // A container without CAP_MKNOD, a nodev mount: this node, not the restore, fails.
            Err(Errno::PERM | Errno::ACCESS) => {
                return Ok(Done::Refused(
                    "the system does not allow creating this node here".into(),
                ))
            }
            Err(e) => return Err(fail("creating the node", path, e)),
        }
        self.node_meta(&temp, path, meta, true)?;
        self.place(temp, path)
    }

    /// A hard link at `path` to the existing `target` (looked up inside the directory only).
    pub(super) fn hard_link(&mut self, path: &[Vec<u8>], target: &[Vec<u8>]) -> Result<Done<()>> {
        let Some((target_leaf, target_dirs)) = target.split_last() else {
            return Ok(Done::Refused(
                "its link target is the restore directory itself".into(),
            ));
        };
        let target_dir = match self.walk(target_dirs, false)? {
            Done::Ok(d) => d,
            Done::Refused(why) => {
                return Ok(Done::Refused(format!(
                    "its link target '{}': {why}",
                    shown(target)
                )))
            }
            Done::Exists => return Ok(Done::Exists),
        };
        let temp = match self.temp(path)? {
            Done::Ok(t) => t,
            other => return Ok(other.carry()),
        };
        let linked = rfs::linkat(
            &*target_dir,
            target_leaf.as_slice(),
            &*temp.dir,
            temp.name.as_slice(),
            AtFlags::empty(),
        );
        match linked {
            Ok(()) => self.place(temp, path),
            Err(Errno::NOENT) => Ok(Done::Refused(format!(
                "its link target '{}' is not in the directory",
                shown(target)
            ))),
            Err(Errno::PERM) => Ok(Done::Refused(format!(
                "its link target '{}' cannot be hard-linked (a directory?)",
                shown(target)
            ))),
            Err(e) => Err(fail("creating the hard link", path, e)),
        }
    }

    /// Sets the directories' modes, owners and times, deepest first.
    pub(super) fn finish(&mut self) -> Result<()> {
        self.cache = None;
        let mut dirs = std::mem::take(&mut self.dirs);
        // Deepest first; of a directory stored twice, the later entry wins (stable sort of
        // the reversed list, then the first of equals kept).
        dirs.reverse();
        dirs.sort_by(|a, b| b.0.cmp(&a.0));
        dirs.dedup_by(|next, kept| next.0 == kept.0);
        for (path, meta) in dirs {
            let fd = match self.walk(&path, false)? {
                Done::Ok(fd) => fd,
                // Replaced by a later member (with --overwrite): nothing left to set.
                _ => continue,
            };
            let set = || -> std::result::Result<(), Errno> {
                if let Some((uid, gid)) = meta.owner {
                    rfs::fchown(&*fd, Some(uid_of(uid)), Some(gid_of(gid)))?;
                }
                rfs::fchmod(&*fd, Mode::from_raw_mode(meta.mode))?;
                rfs::futimens(&*fd, &times(meta.mtime))
            };
            set().map_err(|e| fail("setting the mode, owner and time of", &path, e))?;
        }
        self.cache = None;
        Ok(())
    }

    /// The directory at `parts`, walked from the root without following symlinks; missing
    /// directories are created when `create` (with the default mode, as tar does).
    fn walk(&mut self, parts: &[Vec<u8>], create: bool) -> Result<Done<Rc<OwnedFd>>> {
        if let Some((path, fd)) = &self.cache {
            if path.as_slice() == parts {
                return Ok(Done::Ok(Rc::clone(fd)));
            }
        }
        let mut cur = Rc::clone(&self.root);
        for (i, part) in parts.iter().enumerate() {
            let here = &parts[..=i];
            let mut opened = open_dir(&cur, part);
            if matches!(opened, Err(Errno::NOENT)) && create {
                match rfs::mkdirat(&*cur, part.as_slice(), Mode::from_raw_mode(0o777)) {
                    Ok(()) => {
                        self.made.insert(here.to_vec());
                        opened = open_dir(&cur, part);
                    }
                    Err(Errno::EXIST) => opened = open_dir(&cur, part),
                    Err(e) => return Err(fail("creating the directory", here, e)),
                }
            }
            cur = match opened {
                Ok(fd) => Rc::new(fd),
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    return Ok(Done::Refused(not_a_directory(&cur, part, here)))
                }
                Err(Errno::NOENT) => {
                    return Ok(Done::Refused(format!("'{}' does not exist", shown(here))))
                }
                Err(e) => return Err(fail("opening the directory", here, e)),
            };
        }
        self.cache = Some((parts.to_vec(), Rc::clone(&cur)));
        Ok(Done::Ok(cur))
    }

    /// Whether `path` (in `dir`) may be created, and what has to go first.
    fn room(&mut self, dir: &OwnedFd, path: &[Vec<u8>], is_dir: bool) -> Result<Room> {
        let leaf = path.last().map_or(&[][..], Vec::as_slice);
        let existing = match rfs::statat(dir, leaf, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => FileType::from_raw_mode(st.st_mode),
            Err(Errno::NOENT) => return Ok(Room::Free),
            Err(e) => return Err(fail("looking at", path, e)),
        };
        let existing_dir = existing == FileType::Directory;
        if existing_dir && is_dir {
            return Ok(Room::Merge);
        }
        if !self.overwrite {
            return Ok(Room::Exists);
        }
        if !existing_dir {
            if is_dir {
                rfs::unlinkat(dir, leaf, AtFlags::empty())
                    .map_err(|e| fail("removing", path, e))?;
                return Ok(Room::Free);
            }
            return Ok(Room::Replace);
        }
        // Only an empty directory gives way to something else.
        self.cache = None;
        match rfs::unlinkat(dir, leaf, AtFlags::REMOVEDIR) {
            Ok(()) => Ok(Room::Free),
            Err(Errno::NOTEMPTY | Errno::EXIST) => Ok(Room::Refused(
                "a directory of that name, not empty, is in the way".into(),
            )),
            Err(e) => Err(fail("removing the directory", path, e)),
        }
    }

    /// A fresh temporary name in the directory of `path`, once there is room for `path`.
    fn temp(&mut self, path: &[Vec<u8>]) -> Result<Done<Temp>> {
        let Some((leaf, parents)) = path.split_last() else {
            return Ok(Done::Refused(
                "only a directory can be the restore directory itself".into(),
            ));
        };
        let dir = match self.walk(parents, true)? {
            Done::Ok(d) => d,
            other => return Ok(other.carry()),
        };
        let replace = match self.room(&dir, path, false)? {
            Room::Free => false,
            Room::Replace => true,
            Room::Merge => unreachable_room(),
            Room::Exists => return Ok(Done::Exists),
            Room::Refused(why) => return Ok(Done::Refused(why)),
        };
        self.temp_seq += 1;
        let name = format!(".s3up-restore.{}.{}", self.pid, self.temp_seq);
        Ok(Done::Ok(Temp {
            dir,
            name: name.into_bytes(),
            leaf: leaf.clone(),
            replace,
        }))
    }

    /// Owner, mode (not for symlinks, which have none) and times of a node under its
    /// temporary name.
    fn node_meta(&self, temp: &Temp, path: &[Vec<u8>], meta: Meta, chmod: bool) -> Result<()> {
        let (dir, name) = (&*temp.dir, temp.name.as_slice());
        let set = || -> std::result::Result<(), Errno> {
            if let Some((uid, gid)) = meta.owner {
                rfs::chownat(
                    dir,
                    name,
                    Some(uid_of(uid)),
                    Some(gid_of(gid)),
                    AtFlags::SYMLINK_NOFOLLOW,
                )?;
            }
            if chmod {
                rfs::chmodat(dir, name, Mode::from_raw_mode(meta.mode), AtFlags::empty())?;
            }
            rfs::utimensat(dir, name, &times(meta.mtime), AtFlags::SYMLINK_NOFOLLOW)
        };
        set().map_err(|e| fail("setting the owner, mode and time of", path, e))
    }

    /// Puts a finished entry under its name: `linkat` never replaces anything (a name that
    /// appeared meanwhile is reported as existing); `renameat` replaces atomically.
    fn place(&mut self, temp: Temp, path: &[Vec<u8>]) -> Result<Done<()>> {
        let (dir, name, leaf) = (&*temp.dir, temp.name.as_slice(), temp.leaf.as_slice());
        let result = if temp.replace {
            rfs::renameat(dir, name, dir, leaf)
        } else {
            match rfs::linkat(dir, name, dir, leaf, AtFlags::empty()) {
                Ok(()) => return Ok(Done::Ok(())),
                Err(Errno::EXIST) => return Ok(Done::Exists),
                // File systems without hard links: the name was free a moment ago.
                Err(Errno::PERM | Errno::OPNOTSUPP | Errno::MLINK) => {
                    rfs::renameat(dir, name, dir, leaf)
                }
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(()) => Ok(Done::Ok(())),
            Err(e) => Err(fail("putting in place", path, e)),
        }
    }
}

impl<T> Done<T> {
    /// A refusal or "exists" carried over to another result type.
    pub(super) fn carry<U>(self) -> Done<U> {
        match self {
            Self::Ok(_) => Done::Refused("internal: a result was dropped".into()),
            Self::Exists => Done::Exists,
            Self::Refused(why) => Done::Refused(why),
        }
    }
}

fn unreachable_room() -> ! {
    unreachable!(
        "room() merges only directories into directories and replaces only non-directories"
    )
}
