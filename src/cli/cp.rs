//! `s3up cp SRC... DEST`: the drop-in for `aws s3 cp` uploads.

use std::fs::File;
use std::sync::Arc;
use std::time::SystemTime;

use super::args::CpArgs;
use super::output::{self, Progress, Verbosity};
use super::{transfer, usage};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::sources::{self, Filter, Job};
use crate::upload::{self, Control, Target, UploadOptions};

pub fn run(args: &CpArgs) -> Result<u8, Error> {
    let Some((dest, sources)) = args.paths.split_last() else {
        return Err(usage("usage: s3up cp SRC... s3://BUCKET/KEY"));
    };
    if sources.is_empty() {
        return Err(usage(
            "give a source and a destination: s3up cp SRC... s3://BUCKET/KEY",
        ));
    }
    if !dest.starts_with("s3://") {
        return Err(usage(format!(
            "the destination {dest} must be an s3:// URL (s3up uploads; it does not download)"
        )));
    }
    let dest = S3Url::parse(dest).map_err(|e| usage(e.to_string()))?;
    let sources: Vec<String> = sources
        .iter()
        .map(|s| {
            if s == super::STDIN_MARKER {
                "-".to_owned()
            } else {
                s.clone()
            }
        })
        .collect();
    let jobs = sources::expand(
        &sources,
        &dest,
        args.recursive,
        &filters_in_order(&args.exclude, &args.include),
    )?;
    let verbosity = Verbosity::from_flags(args.json, args.only_show_errors, args.quiet);
    if args.dryrun {
        for job in &jobs {
            if verbosity != Verbosity::OnlyErrors {
                println!(
                    "(dryrun) upload: {} to s3://{}/{}",
                    job.display, dest.bucket, job.key
                );
            }
        }
        return Ok(0);
    }
    let (session, opts, control) = transfer::prepare(&args.common(), &args.transfer())?;
    let show_progress = !(args.no_progress || args.quiet || args.only_show_errors || args.json);

    let mut failures = 0;
    for job in &jobs {
        let target = Target {
            bucket: dest.bucket.clone(),
            key: job.key.clone(),
        };
        let result = upload_job(
            &session.client,
            job,
            &target,
            &opts,
            &control,
            show_progress,
        );
        match result {
            Ok(report) => output::uploaded(
                verbosity,
                &job.display,
                &target.bucket,
                &target.key,
                &report,
            ),
            Err(e) => {
                failures += 1;
                output::failed(&job.display, &target.bucket, &target.key, &e);
                if control.is_interrupted() || matches!(e, Error::Interrupted) {
                    return Ok(130);
                }
                if e.is_fatal_for_run() {
                    return Ok(e.exit_code());
                }
            }
        }
    }
    Ok(if failures > 0 { 1 } else { 0 })
}

fn upload_job(
    client: &crate::client::Client,
    job: &Job,
    target: &Target,
    opts: &UploadOptions,
    control: &Arc<Control>,
    show_progress: bool,
) -> Result<upload::UploadReport, Error> {
    let Some(path) = &job.path else {
        let _progress = Progress::start(Arc::clone(control), None, show_progress);
        let mut stdin = std::io::stdin();
        return upload::upload(client, target, &mut stdin, None, opts, control);
    };
    let source_err = |source| Error::Source {
        path: path.clone(),
        source,
    };
    let file = File::open(path).map_err(source_err)?;
    let before = file.metadata().map_err(source_err)?;
    let mut opts_for_file;
    let opts = if opts.object.content_type.is_none() {
        opts_for_file = clone_options(opts);
        opts_for_file.object.content_type =
            mime_guess::from_path(path).first_raw().map(str::to_owned);
        &opts_for_file
    } else {
        opts
    };
    let _progress = Progress::start(Arc::clone(control), Some(before.len()), show_progress);
    let report = upload::upload_file(client, target, &file, before.len(), opts, control)?;
    let after = std::fs::metadata(path).map_err(source_err)?;
    if after.len() != before.len() || modified(&after) != modified(&before) {
        return Err(Error::Integrity(format!(
            "{} changed while it was being uploaded: s3://{}/{} may not match it; upload it again",
            path.display(),
            target.bucket,
            target.key
        )));
    }
    Ok(report)
}

fn modified(meta: &std::fs::Metadata) -> Option<SystemTime> {
    meta.modified().ok()
}

fn clone_options(o: &UploadOptions) -> UploadOptions {
    UploadOptions {
        part_size: o.part_size,
        multipart_threshold: o.multipart_threshold,
        concurrency: o.concurrency,
        checksum: o.checksum,
        object: o.object.clone(),
        limits: o.limits,
        expected_size: o.expected_size,
        checksum_refused: std::sync::atomic::AtomicBool::new(
            o.checksum_refused
                .load(std::sync::atomic::Ordering::Relaxed),
        ),
    }
}

/// `--exclude`/`--include` in the order given: argh keeps each list but not their interleaving,
/// so the order is read back from argv (and checked against what argh parsed).
fn filters_in_order(excludes: &[String], includes: &[String]) -> Vec<Filter> {
    let argv: Vec<String> = std::env::args().collect();
    let mut filters = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let (flag, value) = match argv[i].split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (argv[i].clone(), argv.get(i + 1).cloned()),
        };
        let step = if argv[i].contains('=') { 1 } else { 2 };
        match (flag.as_str(), value) {
            ("--exclude", Some(v)) => {
                filters.push(Filter::Exclude(v));
                i += step;
            }
            ("--include", Some(v)) => {
                filters.push(Filter::Include(v));
                i += step;
            }
            _ => i += 1,
        }
    }
    let scanned_ex: Vec<&String> = filters
        .iter()
        .filter_map(|f| match f {
            Filter::Exclude(p) => Some(p),
            Filter::Include(_) => None,
        })
        .collect();
    let scanned_in: Vec<&String> = filters
        .iter()
        .filter_map(|f| match f {
            Filter::Include(p) => Some(p),
            Filter::Exclude(_) => None,
        })
        .collect();
    if scanned_ex.iter().copied().eq(excludes.iter())
        && scanned_in.iter().copied().eq(includes.iter())
    {
        return filters;
    }
    excludes
        .iter()
        .map(|p| Filter::Exclude(p.clone()))
        .chain(includes.iter().map(|p| Filter::Include(p.clone())))
        .collect()
}
