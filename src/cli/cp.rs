//! `s3up cp SRC... DEST`: the drop-in for `aws s3 cp` uploads.

use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use super::args::CpArgs;
use super::output::{self, Progress, Verbosity};
use super::{transfer, usage};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::sources::{self, Filter, Job};
use crate::upload::{self, Control, Target, UploadOptions};

/// `filters`: `--exclude`/`--include` in the order given.
pub(super) fn run(args: &CpArgs, filters: &[Filter]) -> Result<u8, Error> {
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
    let (session, opts, control) = transfer::prepare(args.common(), &args.transfer())?;
    let show_progress = !(args.no_progress || args.quiet || args.only_show_errors || args.json);
    let total = jobs.iter().map(|j| j.listed_size).sum::<Option<u64>>();
    let _progress = Progress::start(Arc::clone(&control), total, show_progress);
    let run = Run {
        client: &session.client,
        bucket: &dest.bucket,
        opts: &opts,
        control: &control,
        verbosity,
        failures: AtomicUsize::new(0),
        stop: Mutex::new(None),
    };
    // Small files go in parallel (one request each); large ones one after another, each with
    // its parts in parallel.
    let (small, large): (Vec<&Job>, Vec<&Job>) = jobs
        .iter()
        .partition(|j| j.listed_size.is_some_and(|n| n < opts.multipart_threshold));
    let queue = Mutex::new(small.into_iter());
    std::thread::scope(|s| {
        for _ in 0..small_file_workers(opts.concurrency) {
            s.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                match next {
                    Some(job) if !run.stopped() => run.one(job),
                    _ => break,
                }
            });
        }
    });
    for job in large {
        if run.stopped() {
            break;
        }
        run.one(job);
    }
    if let Some(code) = *run.stop.lock().unwrap_or_else(PoisonError::into_inner) {
        return Ok(code);
    }
    Ok(u8::from(run.failures.load(Ordering::SeqCst) > 0))
}

/// Small files are one request each, cheap in memory (sent from the file) and bound by round
/// trips, so more of them run at once than parts of a large file (16 at the default 4).
fn small_file_workers(concurrency: usize) -> usize {
    concurrency.saturating_mul(4).clamp(1, 64)
}

/// Shared state of one `cp` run.
struct Run<'a> {
    client: &'a crate::client::Client,
    bucket: &'a str,
    opts: &'a UploadOptions,
    control: &'a Arc<Control>,
    verbosity: Verbosity,
    failures: AtomicUsize,
    /// Set when the run must end early, with its exit status (interrupt, fatal error).
    stop: Mutex<Option<u8>>,
}

impl Run<'_> {
    fn stopped(&self) -> bool {
        self.stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn one(&self, job: &Job) {
        let mut target = Target::new(self.bucket, job.key.clone());
        match upload_job(self.client, job, &mut target, self.opts, self.control) {
            Ok(report) => output::uploaded(
                self.verbosity,
                &job.display,
                self.bucket,
                &target.key,
                &report,
            ),
            Err(e) => {
                self.failures.fetch_add(1, Ordering::SeqCst);
                output::failed(&job.display, self.bucket, &target.key, &e);
                let code = if self.control.is_interrupted() || matches!(e, Error::Interrupted) {
                    Some(130)
                } else {
                    e.is_fatal_for_run().then(|| e.exit_code())
                };
                if let Some(code) = code {
                    self.stop
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_or_insert(code);
                }
            }
        }
    }
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
