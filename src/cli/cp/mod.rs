//! `s3up cp SRC... DEST`: the drop-in for `aws s3 cp`, both ways. Local sources and an
//! `s3://` destination upload ([`up`]); `s3://` sources and a local destination (a file, a
//! directory, or `-` for standard output) download ([`down`]).

pub(super) mod down;
mod from_cmd;
pub(super) mod up;

use super::args::CpArgs;
use super::usage;
use crate::error::Error;
use crate::sources::Filter;

/// `filters`: `--exclude`/`--include` in the order given.
pub(super) fn run(args: &CpArgs, filters: &[Filter]) -> Result<u8, Error> {
    if let Some(command) = &args.from_cmd {
        return from_cmd::run(args, command);
    }
    if args.shell {
        return Err(usage("--shell only applies to --from-cmd"));
    }
    let Some((dest, sources)) = args.paths.split_last() else {
        return Err(usage(
            "usage: s3up cp SRC... DEST (one of them an s3:// URL)",
        ));
    };
    if sources.is_empty() {
        return Err(usage(
            "give a source and a destination: s3up cp SRC... DEST (one of them an s3:// URL)",
        ));
    }
    let remote = |p: &String| p.starts_with("s3://");
    match (
        sources.iter().all(remote),
        sources.iter().any(remote),
        remote(dest),
    ) {
        (_, false, true) => up::run(args, sources, dest, filters),
        (true, _, false) => down::run(args, sources, dest, filters),
        (true, _, true) => Err(usage(
            "copying from S3 to S3 is not supported: download, then upload",
        )),
        (false, true, _) => Err(usage(
            "the sources are either all local (an upload) or all s3:// URLs (a download)",
        )),
        (false, false, false) => Err(usage(format!(
            "neither the sources nor {dest} is an s3:// URL: s3up copies to or from S3"
        ))),
    }
}
