//! Members written through the [`Target`]: where each goes (`names`), with which mode and
//! owner (the options' policy), and the file data copied from the tar stream.

use std::io::Write;

use super::at::shown;
use super::members::{Kind, Member};
use super::names::{Namer, Placed};
use super::target::{Done, FsError, Meta, Target};
use super::{ExtractOptions, Problem, Run};

/// Modes and owners as the options allow.
struct Policy {
    preserve: bool,
    owners: bool,
    umask: u32,
}

impl Policy {
    fn new(opts: &ExtractOptions) -> Self {
        // umask(2) can only be read by setting it: set it back at once.
        let umask = rustix::process::umask(rustix::fs::Mode::empty());
        rustix::process::umask(umask);
        Self {
            preserve: opts.preserve_permissions,
            owners: opts.same_owner && rustix::process::geteuid().is_root(),
            umask: umask.bits(),
        }
    }

    fn meta(&self, m: &Member, name: &str) -> Meta {
        let mode = if self.preserve {
            m.mode & 0o7777
        } else {
            m.mode & 0o1777 & !self.umask
        };
        let owner = match (u32::try_from(m.uid), u32::try_from(m.gid)) {
            (Ok(uid), Ok(gid)) if self.owners => Some((uid, gid)),
            _ if self.owners => {
                log::warn!(
                    "{name}: owner {}:{} out of range; not restored",
                    m.uid,
                    m.gid
                );
                None
            }
            _ => None,
        };
        Meta {
            mode,
            mtime: (m.mtime, m.mtime_nsec),
            owner,
        }
    }

    /// Setuid/setgid bits this member had and does not get.
    fn drops_special(&self, m: &Member) -> bool {
        !self.preserve && m.mode & 0o6000 != 0 && matches!(m.kind, Kind::File | Kind::Directory)
    }
}

/// Writes members through the [`Target`].
pub(super) struct Restorer {
    pub target: Target,
    namer: Namer,
    policy: Policy,
    record_written: bool,
    buf: Vec<u8>,
}

impl Restorer {
    pub(super) fn new(target: Target, opts: &ExtractOptions) -> Self {
        Self {
            target,
            namer: Namer::new(opts.strip_components),
            policy: Policy::new(opts),
            record_written: opts.record_written,
            buf: vec![0; 256 * 1024],
        }
    }

    pub(super) fn restore(&mut self, run: &mut Run<'_>, m: &Member) -> Result<(), Problem> {
        let name = String::from_utf8_lossy(&m.name).into_owned();
        let path = match self.namer.place(&m.name) {
            Placed::Inside(path) => path,
            Placed::StrippedAway => {
                run.summary.skipped += 1;
                return Ok(());
            }
            Placed::Refused(why) => {
                run.refuse(&name, why);
                return Ok(());
            }
        };
        let meta = self.policy.meta(m, &name);
        let done = match &m.kind {
            Kind::File => return self.file(run, m, &path, meta, &name),
            Kind::Directory => self.target.directory(&path, meta),
            Kind::Symlink => self.target.symlink(&path, &m.link, meta),
            Kind::HardLink => match self.namer.place(&m.link) {
                Placed::Inside(to) => self.target.hard_link(&path, &to),
                Placed::StrippedAway => Ok(Done::Refused(
                    "--strip-components removed its link target".into(),
                )),
                Placed::Refused(why) => Ok(Done::Refused(format!("its link target: {why}"))),
            },
            Kind::Fifo => self
                .target
                .node(&path, rustix::fs::FileType::Fifo, (0, 0), meta),
            Kind::CharDevice | Kind::BlockDevice if !self.policy.owners => Ok(Done::Refused(
                "a device node: restored only as root with --same-owner".into(),
            )),
            Kind::CharDevice => {
                self.target
                    .node(&path, rustix::fs::FileType::CharacterDevice, m.device, meta)
            }
            Kind::BlockDevice => {
                self.target
                    .node(&path, rustix::fs::FileType::BlockDevice, m.device, meta)
            }
            Kind::Unsupported(what) => Ok(Done::Refused(format!("{what}: not supported"))),
        };
        let done = done.map_err(|e| write_problem(&name, e))?;
        self.count(run, done, m, &path);
        Ok(())
    }

    fn file(
        &mut self,
        run: &mut Run<'_>,
        m: &Member,
        path: &[Vec<u8>],
        meta: Meta,
        name: &str,
    ) -> Result<(), Problem> {
        let mut new = match self
            .target
            .new_file(path)
            .map_err(|e| write_problem(name, e))?
        {
            Done::Ok(new) => new,
            other => {
                self.count(run, other.carry(), m, path);
                return Ok(());
            }
        };
        let mut written = 0u64;
        loop {
            run.check_interrupt()?;
            let n = run
                .members
                .read_data(&mut self.buf)
                .map_err(|e| run.stream(e))?;
            if n == 0 {
                break;
            }
            new.file
                .write_all(&self.buf[..n])
                .map_err(|source| Problem::Write {
                    entry: name.to_owned(),
                    doing: "writing".into(),
                    source,
                })?;
            written += n as u64;
        }
        let done = self
            .target
            .place_file(new, path, meta)
            .map_err(|e| write_problem(name, e))?;
        if matches!(done, Done::Ok(())) {
            run.summary.bytes += written;
        }
        debug_assert_eq!(written, m.size);
        self.count(run, done, m, path);
        Ok(())
    }

    fn count(&self, run: &mut Run<'_>, done: Done<()>, m: &Member, path: &[Vec<u8>]) {
        let name = String::from_utf8_lossy(&m.name);
        match done {
            Done::Ok(()) => {
                if self.policy.drops_special(m) {
                    log::warn!(
                        "{name}: setuid/setgid bits not restored (--preserve-permissions restores them)"
                    );
                }
                run.summary.entries += 1;
                if self.record_written {
                    run.summary.written.push(shown(path));
                }
            }
            Done::Exists => run.exists(&name),
            Done::Refused(why) => run.refuse(&name, why),
        }
    }
}

pub(super) fn write_problem(entry: &str, e: FsError) -> Problem {
    Problem::Write {
        entry: entry.to_owned(),
        doing: e.doing,
        source: e.source,
    }
}
