//! Restoring a tar archive (plain, zstd or gzip; the format found from the data) from any
//! `Read`: [`extract`] writes its members under a directory, [`list`] only reads them.
//!
//! It streams: memory is one buffer, the decompressor's window and a list of the directories
//! restored (their modes and times are set at the end, after their contents, as tar does),
//! whatever the archive's size. The input is read to its end even after the end-of-archive
//! marker, so the decompressor checks its checksums and whoever feeds the input (a download
//! that verifies the object's checksum at the end) sees all of it.
//!
//! Safe against hostile archives, as GNU tar and bsdtar are: nothing is written outside the
//! directory (see `names` for names, `target` for symlinks and hard links), device nodes only
//! as root with `same_owner`, setuid/setgid bits only with `preserve_permissions`. A member
//! that is refused, or exists already without `overwrite`, is named in a warning and in the
//! summary, and the others are restored; a broken archive or a failing write stops the
//! restore with an error that says where.

mod at;
mod input;
mod listing;
mod members;
mod names;
mod pax;
mod restorer;
mod target;

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use crate::upload::Control;

pub use input::Format;
pub use members::{Kind, Member};

use input::{Input, Meter};
use members::{Members, StreamError};
use names::Selection;
use restorer::{write_problem, Restorer};
use target::Target;

/// Refusals and existing files recorded by name (more are counted, not kept).
const MAX_RECORDED: usize = 10_000;

/// What to restore and how.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// The restore directory (`-C`); created if missing.
    pub dir: PathBuf,
    /// Members to restore (with what is under them); all when empty.
    pub paths: Vec<String>,
    /// Globs of member names to leave out (GNU tar's rules, as `s3up tar --exclude`).
    pub excludes: Vec<String>,
    /// Leading name components to remove (members with no more are skipped).
    pub strip_components: usize,
    /// Replace existing files (atomically); by default they are kept and reported.
    pub overwrite: bool,
    /// Restore numeric owners and device nodes (root only).
    pub same_owner: bool,
    /// Restore setuid/setgid bits and ignore the umask.
    pub preserve_permissions: bool,
    /// Keep the names of the entries written in the summary.
    pub record_written: bool,
    /// The run's control, whose interrupt flag (set by the SIGINT/SIGTERM handler) stops the
    /// restore between reads: the same one a download feeding the input watches.
    pub control: Option<Arc<Control>>,
}

/// What a restore (or listing) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractSummary {
    /// The input's format, once known.
    pub format: Option<Format>,
    /// Members restored (or listed).
    pub entries: u64,
    /// Bytes of file data written.
    pub bytes: u64,
    /// Members left out by PATHs, `--exclude` or `--strip-components`.
    pub skipped: u64,
    /// Bytes of the tar stream and of the input (compressed) read.
    pub tar_bytes: u64,
    pub input_bytes: u64,
    /// Members not restored, with why (the first [`MAX_RECORDED`]; `refused_total` counts all).
    pub refused: Vec<(String, String)>,
    pub refused_total: u64,
    /// Members not restored because their name exists (without `overwrite`).
    pub existing: Vec<String>,
    pub existing_total: u64,
    /// PATHs that no member matched.
    pub not_found: Vec<String>,
    /// Entries written (with `record_written`).
    pub written: Vec<String>,
}

impl ExtractSummary {
    /// True when everything asked for was restored.
    pub fn complete(&self) -> bool {
        self.refused_total == 0 && self.existing_total == 0 && self.not_found.is_empty()
    }
}

/// Why a restore stopped.
#[derive(Debug)]
pub enum Problem {
    /// The input is not an archive s3up restores.
    NotAnArchive(String),
    /// Reading the input itself failed (the file, standard input, a download).
    Source {
        offset: u64,
        source: io::Error,
    },
    /// Bad compressed data or a bad tar header.
    Corrupt {
        detail: String,
        input_offset: u64,
        tar_offset: u64,
    },
    /// The input ended early.
    Truncated {
        detail: String,
        input_offset: u64,
        tar_offset: u64,
    },
    /// Writing under the restore directory failed.
    Write {
        entry: String,
        doing: String,
        source: io::Error,
    },
    Interrupted,
}

/// A restore that stopped, and what it had done by then.
#[derive(Debug)]
pub struct ExtractError {
    pub problem: Problem,
    pub summary: Box<ExtractSummary>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |f: &mut fmt::Formatter<'_>, input: u64, tar: u64| {
            if input == tar {
                write!(f, " (at byte {input} of the input)")
            } else {
                write!(
                    f,
                    " (at byte {input} of the input, byte {tar} of the tar stream)"
                )
            }
        };
        match self {
            Self::NotAnArchive(m) => f.write_str(m),
            Self::Source { offset, source } => {
                write!(f, "reading the archive failed at byte {offset}: {source}")
            }
            Self::Corrupt {
                detail,
                input_offset,
                tar_offset,
            } => {
                write!(f, "corrupt archive: {detail}")?;
                at(f, *input_offset, *tar_offset)
            }
            Self::Truncated {
                detail,
                input_offset,
                tar_offset,
            } => {
                write!(f, "truncated archive: {detail}")?;
                at(f, *input_offset, *tar_offset)
            }
            Self::Write {
                entry,
                doing,
                source,
            } => write!(f, "cannot restore '{entry}': {doing}: {source}"),
            Self::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem.fmt(f)
    }
}

impl std::error::Error for ExtractError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Source { source, .. } | Problem::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Restores the archive read from `source` under `opts.dir`.
///
/// # Errors
/// The input is not an archive, is corrupt or truncated, cannot be read; a write under the
/// directory failed; or the restore was interrupted. The error carries what was done.
pub fn extract(source: impl Read, opts: &ExtractOptions) -> Result<ExtractSummary, ExtractError> {
    extract_with(source, opts, &mut |_| {})
}

/// [`extract`], calling `seen` with each member about to be restored (for `-v`).
///
/// # Errors
/// As [`extract`].
pub fn extract_with(
    source: impl Read,
    opts: &ExtractOptions,
    seen: &mut dyn FnMut(&Member),
) -> Result<ExtractSummary, ExtractError> {
    let mut run = Run::open(source, opts)?;
    let target = Target::open(&opts.dir, opts.overwrite).map_err(|e| ExtractError {
        problem: write_problem(".", e),
        summary: Box::new(run.summary.clone()),
    })?;
    let mut restorer = Restorer::new(target, opts);
    let result = run.each(&mut |run, member| {
        seen(member);
        restorer.restore(run, member)
    });
    let finished = restorer.target.finish();
    match (result, finished) {
        (Err(problem), _) => Err(run.failed(problem)),
        (Ok(()), Err(e)) => Err(run.failed(write_problem("(directories)", e))),
        (Ok(()), Ok(())) => Ok(run.summary),
    }
}

/// Reads the archive and calls `seen` with each member `opts.paths`/`opts.excludes` select
/// (like `tar -t`); nothing is written.
///
/// # Errors
/// As [`extract`], writes aside.
pub fn list(
    source: impl Read,
    opts: &ExtractOptions,
    seen: &mut dyn FnMut(&Member),
) -> Result<ExtractSummary, ExtractError> {
    let mut run = Run::open(source, opts)?;
    let result = run.each(&mut |run, member| {
        seen(member);
        run.summary.entries += 1;
        Ok(())
    });
    match result {
        Ok(()) => Ok(run.summary),
        Err(problem) => Err(run.failed(problem)),
    }
}

/// The input being read: its members, meter and the summary so far.
struct Run<'a> {
    members: Members<Box<dyn Read + 'a>>,
    meter: std::rc::Rc<Meter>,
    selection: Selection,
    control: Option<Arc<Control>>,
    summary: ExtractSummary,
}

type Step<'r, 'a> = dyn FnMut(&mut Run<'a>, &Member) -> Result<(), Problem> + 'r;

impl<'a> Run<'a> {
    fn open(source: impl Read + 'a, opts: &ExtractOptions) -> Result<Self, ExtractError> {
        let Input {
            format,
            stream,
            meter,
        } = input::open(source).map_err(|e| ExtractError {
            problem: match e {
                input::Refused::Source(source) => Problem::Source { offset: 0, source },
                input::Refused::Format(m) => Problem::NotAnArchive(m),
            },
            summary: Box::default(),
        })?;
        Ok(Self {
            members: Members::new(stream),
            meter,
            selection: Selection::new(&opts.paths, &opts.excludes),
            control: opts.control.clone(),
            summary: ExtractSummary {
                format: Some(format),
                ..ExtractSummary::default()
            },
        })
    }

    /// Calls `step` with each selected member, then reads the input to its end.
    fn each(&mut self, step: &mut Step<'_, 'a>) -> Result<(), Problem> {
        loop {
            self.check_interrupt()?;
            let Some(member) = self.members.next_member().map_err(|e| self.stream(e))? else {
                break;
            };
            if self.selection.wants(&member.name) {
                step(self, &member)?;
            } else {
                self.summary.skipped += 1;
            }
        }
        self.members.drain().map_err(|e| self.stream(e))?;
        self.summary.not_found = self.selection.not_found();
        self.update_counts();
        Ok(())
    }

    fn check_interrupt(&self) -> Result<(), Problem> {
        match &self.control {
            Some(control) if control.is_interrupted() => Err(Problem::Interrupted),
            _ => Ok(()),
        }
    }

    fn update_counts(&mut self) {
        self.summary.tar_bytes = self.members.position();
        self.summary.input_bytes = self.meter.consumed();
    }

    fn failed(mut self, problem: Problem) -> ExtractError {
        self.update_counts();
        ExtractError {
            problem,
            summary: Box::new(self.summary),
        }
    }

    /// A stream error with where it happened; a read error is the source's when the source
    /// failed, else the decompressor's (corrupt data, or a frame cut short).
    fn stream(&self, e: StreamError) -> Problem {
        let input_offset = self.meter.consumed();
        let tar_offset = self.members.position();
        match e {
            StreamError::Truncated(detail) => Problem::Truncated {
                detail,
                input_offset,
                tar_offset,
            },
            StreamError::Corrupt(detail) => Problem::Corrupt {
                detail,
                input_offset,
                tar_offset,
            },
            StreamError::Read(source) if self.meter.source_failed() => Problem::Source {
                offset: input_offset,
                source,
            },
            StreamError::Read(e) => {
                let format = self
                    .summary
                    .format
                    .map_or_else(String::new, |f| f.to_string());
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    Problem::Truncated {
                        detail: format!("the {format} input ends inside compressed data ({e})"),
                        input_offset,
                        tar_offset,
                    }
                } else {
                    Problem::Corrupt {
                        detail: format!("{format} data: {e}"),
                        input_offset,
                        tar_offset,
                    }
                }
            }
        }
    }

    fn refuse(&mut self, name: &str, why: String) {
        log::warn!("{name}: not restored: {why}");
        self.summary.refused_total += 1;
        if self.summary.refused.len() < MAX_RECORDED {
            self.summary.refused.push((name.to_owned(), why));
        }
    }

    fn exists(&mut self, name: &str) {
        log::warn!("{name}: exists; not replaced (--overwrite replaces existing files)");
        self.summary.existing_total += 1;
        if self.summary.existing.len() < MAX_RECORDED {
            self.summary.existing.push(name.to_owned());
        }
    }
}

#[cfg(test)]
mod tests;
