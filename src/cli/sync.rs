//! `s3up sync DIR s3://bucket/prefix/` and `s3up sync s3://bucket/prefix/ DIR`: what
//! [`crate::sync`] plans, run through the upload engine or the download engine, printed as
//! aws-cli prints it (`upload:`, `download:`, `delete:` lines; `(dryrun)` before each with
//! `--dryrun`); `--json`: one object per action.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argh::FromArgs;

use super::args::Logging;
use super::cp::{down, up};
use super::output::{self, Progress, Verbosity};
use super::{rm, transfer, usage};
use crate::config::transfer::{check_download_flags, TransferFlags};
use crate::config::CommonOptions;
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::sources::Filter;
use crate::sync::compare::Rules;
use crate::sync::{self, DownloadPlan, UploadPlan};

command! {
    transfer;
    /// copy new and changed files from a directory to a prefix, or back (aws s3 sync's rules)
    #[argh(subcommand, name = "sync")]
    pub(crate) struct SyncArgs {
        /// source then destination: DIR s3://bucket/prefix/ or s3://bucket/prefix/ DIR
        #[argh(positional)]
        pub(crate) paths: Vec<String>,
        /// skip paths (below the directory or prefix) matching this glob (repeatable; later filters win)
        #[argh(option)]
        pub(crate) exclude: Vec<String>,
        /// include paths matching this glob even if excluded before (repeatable)
        #[argh(option)]
        pub(crate) include: Vec<String>,
        /// copy when sizes differ, whatever the times
        #[argh(switch)]
        pub(crate) size_only: bool,
        /// downloads: copy same-sized objects unless the times match exactly
        #[argh(switch)]
        pub(crate) exact_timestamps: bool,
        /// delete destination files or objects the source does not have (never without this flag)
        #[argh(switch)]
        pub(crate) delete: bool,
    }
}

pub(super) fn run(args: &SyncArgs, filters: &[Filter]) -> Result<u8, Error> {
    let [src, dest] = args.paths.as_slice() else {
        return Err(usage(
            "usage: s3up sync DIR s3://bucket/prefix/ (or s3://bucket/prefix/ DIR)",
        ));
    };
    let rules = Rules {
        size_only: args.size_only,
        exact_timestamps: args.exact_timestamps,
    };
    let parse = |u: &str| S3Url::parse(u).map_err(|e| usage(e.to_string()));
    match (src.starts_with("s3://"), dest.starts_with("s3://")) {
        (false, true) => upload(args, Path::new(src), &parse(dest)?, filters, rules),
        (true, false) => download(args, &parse(src)?, Path::new(dest), filters, rules),
        (true, true) => Err(usage(
            "syncing from S3 to S3 is not supported: sync down, then up",
        )),
        (false, false) => Err(usage(
            "one side of sync is a directory, the other an s3:// URL",
        )),
    }
}

fn upload(
    args: &SyncArgs,
    dir: &Path,
    dest: &S3Url,
    filters: &[Filter],
    rules: Rules,
) -> Result<u8, Error> {
    let flags = args.transfer();
    let verbosity = Verbosity::from_flags(args.json, args.only_show_errors, args.quiet);
    let (session, control) = transfer::prepare(args.common(), &flags)?;
    let opts = transfer::upload_options(&flags, &session)?;
    let client = &session.client;
    let UploadPlan { uploads, deletes } =
        sync::plan_upload(client, dir, dest, filters, rules, args.delete)?;
    let bucket = &dest.bucket;
    if args.dryrun {
        for job in &uploads {
            let line = format!(
                "(dryrun) upload: {} to s3://{bucket}/{}",
                job.display, job.key
            );
            done(
                verbosity,
                &line,
                || serde_json::json!({"dryrun": true, "action": "upload", "source": job.display, "bucket": bucket, "key": job.key}),
            );
        }
        for key in &deletes {
            done(
                verbosity,
                &format!("(dryrun) delete: s3://{bucket}/{key}"),
                || serde_json::json!({"dryrun": true, "action": "delete", "bucket": bucket, "key": key}),
            );
        }
        return Ok(0);
    }
    let _progress = progress(args, &control, uploads.iter().map(|j| j.listed_size));
    let code = up::upload_all(
        client,
        &uploads,
        bucket,
        &opts,
        &control,
        verbosity,
        &action("upload"),
    );
    if code > 1 || deletes.is_empty() {
        return Ok(code);
    }
    let deleted = rm::delete_printing(client, bucket, &deletes, |key| {
        done(
            verbosity,
            &format!("delete: s3://{bucket}/{key}"),
            || serde_json::json!({"action": "delete", "bucket": bucket, "key": key}),
        );
    })?;
    Ok(code.max(deleted))
}

fn download(
    args: &SyncArgs,
    src: &S3Url,
    dir: &Path,
    filters: &[Filter],
    rules: Rules,
) -> Result<u8, Error> {
    let flags: TransferFlags = args.transfer();
    check_download_flags(&flags)?;
    let verbosity = Verbosity::from_flags(args.json, args.only_show_errors, args.quiet);
    let (session, control) = transfer::prepare(args.common(), &flags)?;
    let opts = transfer::download_options(&flags, &session)?;
    let client = &session.client;
    let DownloadPlan {
        downloads,
        deletes,
        refused,
    } = sync::plan_download(client, src, dir, filters, rules, args.delete)?;
    let shown = |p: &Path| p.display().to_string();
    for r in &refused {
        output::download_failed(&r.source, &shown(dir), &r.why);
    }
    let refused_code = u8::from(!refused.is_empty());
    if args.dryrun {
        for job in &downloads {
            let (s, to) = (&job.source, down::shown(&job.dest));
            let line = format!("(dryrun) download: s3://{}/{} to {to}", s.bucket, s.key);
            done(
                verbosity,
                &line,
                || serde_json::json!({"dryrun": true, "action": "download", "bucket": s.bucket, "key": s.key, "destination": to}),
            );
        }
        for path in &deletes {
            done(
                verbosity,
                &format!("(dryrun) delete: {}", shown(path)),
                || serde_json::json!({"dryrun": true, "action": "delete", "path": shown(path)}),
            );
        }
        return Ok(refused_code);
    }
    let _progress = progress(args, &control, downloads.iter().map(|j| j.listed_size));
    let code = down::download_all(client, &downloads, &opts, &control, verbosity);
    if code > 1 {
        return Ok(code);
    }
    let mut failed = false;
    for path in &deletes {
        match sync::delete_local(path) {
            Ok(()) => done(
                verbosity,
                &format!("delete: {}", shown(path)),
                || serde_json::json!({"action": "delete", "path": shown(path)}),
            ),
            Err(e) => {
                failed = true;
                eprintln!("delete failed: {}: {e}", shown(path));
            }
        }
    }
    Ok(code.max(refused_code).max(u8::from(failed)))
}

fn progress(
    args: &SyncArgs,
    control: &Arc<crate::control::Control>,
    sizes: impl Iterator<Item = Option<u64>>,
) -> Progress {
    let show = !(args.no_progress || args.quiet || args.only_show_errors || args.json);
    Progress::start(Arc::clone(control), sizes.sum(), show)
}

fn action(name: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut extra = serde_json::Map::new();
    extra.insert("action".into(), name.into());
    extra
}

/// An action (done, or with `--dryrun` to be done): its line, or its JSON object.
fn done(verbosity: Verbosity, line: &str, json: impl FnOnce() -> serde_json::Value) {
    match verbosity {
        Verbosity::Normal => println!("{line}"),
        Verbosity::Json => println!("{}", json()),
        Verbosity::OnlyErrors => {}
    }
}
