//! The thin layer over the `*at` system calls the target uses: opening a directory without
//! following a symlink, and the conversions and messages around them.

use std::os::fd::OwnedFd;

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;

use super::target::FsError;

pub(super) fn open_dir(dir: &OwnedFd, name: &[u8]) -> std::result::Result<OwnedFd, Errno> {
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC;
    rfs::openat(dir, name, flags, Mode::empty())
}

pub(super) fn not_a_directory(dir: &OwnedFd, name: &[u8], path: &[Vec<u8>]) -> String {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => format!(
            "'{}' is a symbolic link, and s3up never writes through one",
            shown(path)
        ),
        _ => format!("'{}' is not a directory", shown(path)),
    }
}

pub(super) fn times((secs, nsec): (i64, u32)) -> Timestamps {
    let t = Timespec {
        tv_sec: secs,
        tv_nsec: nsec.into(),
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

pub(super) fn uid_of(uid: u32) -> rfs::Uid {
    rfs::Uid::from_raw_unchecked(uid)
}

pub(super) fn gid_of(gid: u32) -> rfs::Gid {
    rfs::Gid::from_raw_unchecked(gid)
}

pub(super) fn fail(doing: &str, path: &[Vec<u8>], e: Errno) -> FsError {
    FsError {
        doing: format!("{doing} '{}'", shown(path)),
        source: e.into(),
    }
}

/// A path for messages.
pub(super) fn shown(path: &[Vec<u8>]) -> String {
    if path.is_empty() {
        return ".".into();
    }
    String::from_utf8_lossy(&path.join(&b'/')).into_owned()
}
