//! `s3up rm s3://bucket/key` and `rm --recursive s3://bucket/prefix/`: aws-cli's `delete:` lines,
//! `--exclude`/`--include`, `--dryrun`; deletions in DeleteObjects batches (see
//! [`crate::delete`]); retention with `--older-than` and `--keep-last`. Exit status 1 when any
//! key could not be deleted.

use std::time::Duration;

use argh::FromArgs;

use super::args::Logging;
use super::{process_env, usage};
use crate::client::Client;
use crate::config::CommonOptions;
use crate::delete::{self, Outcome, Retention};
use crate::error::Error;
use crate::listing::dir_prefix;
use crate::s3::addr::S3Url;
use crate::sources::{included, Filter};

command! {
    /// delete an object, or with --recursive the objects under a prefix (retention: --older-than, --keep-last)
    #[argh(subcommand, name = "rm")]
    pub(crate) struct RmArgs {
        /// s3://bucket/key, or s3://bucket/prefix/ with --recursive
        #[argh(positional)]
        pub(crate) url: String,
        /// delete every object under the prefix
        #[argh(switch)]
        pub(crate) recursive: bool,
        /// skip keys (below the prefix) matching this glob (repeatable; later filters win)
        #[argh(option)]
        pub(crate) exclude: Vec<String>,
        /// delete keys matching this glob even if excluded before (repeatable)
        #[argh(option)]
        pub(crate) include: Vec<String>,
        /// only objects whose Last-Modified is older than this, e.g. 30d, 12h, 2w (measured on the server's clock)
        #[argh(option)]
        pub(crate) older_than: Option<String>,
        /// keep the newest N matching objects, whatever their age
        #[argh(option)]
        pub(crate) keep_last: Option<usize>,
        /// print what would be deleted; delete nothing
        #[argh(switch)]
        pub(crate) dryrun: bool,
        /// print only errors
        #[argh(switch)]
        pub(crate) only_show_errors: bool,
    }
}

pub(super) fn run(args: &RmArgs, filters: &[Filter]) -> Result<u8, Error> {
    let url = S3Url::parse(&args.url).map_err(|e| usage(e.to_string()))?;
    let retention = retention(args)?;
    if retention.is_active() && !args.recursive {
        return Err(usage(
            "--older-than and --keep-last choose among the objects under a prefix: add --recursive",
        ));
    }
    if !args.recursive && url.is_prefix() {
        return Err(usage(format!(
            "{url} is a prefix: use --recursive to delete what is under it"
        )));
    }
    let session = crate::config::open(&args.common(), &process_env)?;
    let client = &session.client;
    let quiet = args.only_show_errors || args.quiet;
    if !args.recursive {
        let name = url.key.rsplit('/').next().unwrap_or_default();
        if !included(name, filters) {
            return Ok(0);
        }
        if args.dryrun {
            show(quiet, &format!("(dryrun) delete: {url}"));
        } else {
            delete::delete_one(client, &url.bucket, &url.key)?;
            show(quiet, &format!("delete: {url}"));
        }
        return Ok(0);
    }
    let prefix = dir_prefix(&url.key);
    let selection = delete::plan(client, &url.bucket, &prefix, filters, &retention)?;
    for key in &selection.undated {
        log::warn!(
            "s3://{}/{key}: kept, its Last-Modified cannot be read",
            url.bucket
        );
    }
    let keys: Vec<String> = selection.delete.into_iter().map(|o| o.key).collect();
    if args.dryrun {
        for key in &keys {
            show(
                quiet,
                &format!("(dryrun) delete: s3://{}/{key}", url.bucket),
            );
        }
        return Ok(0);
    }
    let bucket = &url.bucket;
    delete_printing(client, bucket, &keys, |key| {
        show(quiet, &format!("delete: s3://{bucket}/{key}"));
    })
}

/// Deletes `keys`; `deleted` shows each deletion, failures go to stderr (`delete failed:`).
/// Returns 1 when any failed.
///
/// # Errors
/// An error that stopped the run (credentials, no bucket).
pub(super) fn delete_printing(
    client: &Client,
    bucket: &str,
    keys: &[String],
    mut deleted: impl FnMut(&str),
) -> Result<u8, Error> {
    let mut failed = 0usize;
    delete::delete_keys(client, bucket, keys, |outcome| match outcome {
        Outcome::Deleted(key) => deleted(&key),
        Outcome::Failed { key, why } => {
            failed += 1;
            eprintln!("delete failed: s3://{bucket}/{key}: {why}");
        }
    })?;
    Ok(u8::from(failed > 0))
}

fn show(quiet: bool, line: &str) {
    if !quiet {
        println!("{line}");
    }
}

fn retention(args: &RmArgs) -> Result<Retention, Error> {
    let older_than = args
        .older_than
        .as_deref()
        .map(crate::mpu::parse_duration)
        .transpose()
        .map_err(usage)?
        .map(|secs| Duration::from_secs(secs.unsigned_abs()));
    Ok(Retention {
        older_than,
        keep_last: args.keep_last,
    })
}
