//! `s3up cp --from-cmd 'pg_dump mydb' s3://bucket/key`: the command's standard output uploaded,
//! the object created only if the command exits 0 (see [`crate::child`]).

use std::sync::Arc;

use crate::child::{self, CommandLine};
use crate::cli::args::CpArgs;
use crate::cli::output::{self, Progress, Verbosity};
use crate::cli::{transfer, usage};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::upload::Target;

pub(super) fn run(args: &CpArgs, command: &str) -> Result<u8, Error> {
    let [dest] = args.paths.as_slice() else {
        return Err(usage(
            "--from-cmd takes only the destination: s3up cp --from-cmd 'pg_dump mydb' s3://bucket/key",
        ));
    };
    if args.recursive {
        return Err(usage("--from-cmd uploads one stream: drop --recursive"));
    }
    let dest = S3Url::parse(dest).map_err(|e| usage(e.to_string()))?;
    if dest.is_prefix() {
        return Err(usage(format!(
            "--from-cmd needs a full object key, not the prefix {dest}"
        )));
    }
    let command = CommandLine::parse(command, args.shell).map_err(usage)?;
    let verbosity = Verbosity::from_flags(args.json, args.only_show_errors, args.quiet);
    if args.dryrun {
        if verbosity != Verbosity::OnlyErrors {
            println!("(dryrun) upload: {} to {dest}", command.shown);
        }
        return Ok(0);
    }
    let (session, control) = transfer::prepare(args.common(), &args.transfer())?;
    let opts = transfer::upload_options(&args.transfer(), &session)?;
    let show_progress = !(args.no_progress || args.quiet || args.only_show_errors || args.json);
    let _progress = Progress::start(Arc::clone(&control), None, show_progress);
    let target = Target::new(dest.bucket.clone(), dest.key.clone());
    let report = child::upload_output(&session.client, &target, &command, &opts, &control)?;
    let (bucket, key) = (&dest.bucket, &dest.key);
    let json = serde_json::Map::new();
    output::uploaded_with(verbosity, &command.shown, bucket, key, &report, json);
    Ok(0)
}
