//! `s3up cp FILE... s3://...`: uploads, as `aws s3 cp` makes them.

use std::fs::File;
use std::sync::Arc;
use std::time::SystemTime;

use crate::cli::args::CpArgs;
use crate::cli::output::{self, Progress, Verbosity};
use crate::cli::{batch, transfer, usage};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::sources::{self, Filter, Job};
use crate::upload::{self, Control, Target, UploadOptions};

/// Uploads local `sources` to `dest` (an `s3://` URL).
pub(super) fn run(
    args: &CpArgs,
    sources: &[String],
    dest: &str,
    filters: &[Filter],
) -> Result<u8, Error> {
    let dest = S3Url::parse(dest).map_err(|e| usage(e.to_string()))?;
    let jobs = sources::expand(sources, &dest, args.recursive, filters)?;
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
    let (session, control) = transfer::prepare(args.common(), &args.transfer())?;
    let opts = transfer::upload_options(&args.transfer(), &session)?;
    let show_progress = !(args.no_progress || args.quiet || args.only_show_errors || args.json);
    let total = jobs.iter().map(|j| j.listed_size).sum::<Option<u64>>();
    let _progress = Progress::start(Arc::clone(&control), total, show_progress);
    let client = &session.client;
    let json = serde_json::Map::new();
    Ok(upload_all(
        client,
        &jobs,
        &dest.bucket,
        &opts,
        &control,
        verbosity,
        &json,
    ))
}

/// Uploads each job to `bucket` under its key, printing each outcome (`json`: fields added to
/// each `--json` object); returns the batch's exit status.
pub(in crate::cli) fn upload_all(
    client: &crate::client::Client,
    jobs: &[Job],
    bucket: &str,
    opts: &UploadOptions,
    control: &Arc<Control>,
    verbosity: Verbosity,
    json: &serde_json::Map<String, serde_json::Value>,
) -> u8 {
    batch::run_all(
        jobs,
        |j| j.listed_size.is_some_and(|n| n < opts.multipart_threshold),
        opts.concurrency,
        control,
        |job| {
            let mut target = Target::new(bucket.to_owned(), job.key.clone());
            let result = upload_job(client, job, &mut target, opts, control);
            match &result {
                Ok(report) => {
                    let extra = json.clone();
                    output::uploaded_with(
                        verbosity,
                        &job.display,
                        bucket,
                        &target.key,
                        report,
                        extra,
                    );
                }
                Err(e) => output::failed(&job.display, bucket, &target.key, e),
            }
            result.map(|_| ())
        },
    )
}

fn upload_job(
    client: &crate::client::Client,
    job: &Job,
    target: &mut Target,
    opts: &UploadOptions,
    control: &Arc<Control>,
) -> Result<upload::UploadReport, Error> {
    let Some(path) = &job.path else {
        let mut stdin = std::io::stdin();
        return upload::upload_stream(client, target, &mut stdin, opts, control);
    };
    let source_err = |source| Error::Source {
        path: path.clone(),
        source,
    };
    let file = File::open(path).map_err(source_err)?;
    let before = file.metadata().map_err(source_err)?;
    target.content_type = mime_guess::from_path(path).first_raw().map(str::to_owned);
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
