//! `s3up cp s3://... LOCAL`: downloads, as `aws s3 cp` makes them: one object to a file or a
//! directory, several (or a prefix with `--recursive`) into a directory, one to standard output
//! (`-`). Each file appears under its name only once complete and verified.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::cli::args::CpArgs;
use crate::cli::output::{self, Progress, Verbosity};
use crate::cli::{batch, transfer, usage};
use crate::client::Client;
use crate::config::transfer::check_download_flags;
use crate::control::Control;
use crate::download::targets::{self, Dest, Job};
use crate::download::{self, DownloadOptions, DownloadReport};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::sources::Filter;

/// Downloads `sources` (`s3://` URLs) to `dest`.
pub(super) fn run(
    args: &CpArgs,
    sources: &[String],
    dest: &str,
    filters: &[Filter],
) -> Result<u8, Error> {
    check_download_flags(&args.transfer())?;
    let urls = sources
        .iter()
        .map(|s| S3Url::parse(s).map_err(|e| usage(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let verbosity = Verbosity::from_flags(args.json, args.only_show_errors, args.quiet);
    let (session, control) = transfer::prepare(args.common(), &args.transfer())?;
    let opts = transfer::download_options(&args.transfer(), &session)?;
    let client = &session.client;
    let (jobs, refused) = targets::expand(client, &urls, dest, args.recursive, filters)?;
    for r in &refused {
        output::download_failed(&r.source, dest, &r.why);
    }
    if args.dryrun {
        for job in &jobs {
            if verbosity != Verbosity::OnlyErrors {
                println!(
                    "(dryrun) download: s3://{}/{} to {}",
                    job.source.bucket,
                    job.source.key,
                    shown(&job.dest)
                );
            }
        }
        return Ok(u8::from(!refused.is_empty()));
    }
    if let [Job {
        dest: Dest::Stdout,
        source,
        ..
    }] = jobs.as_slice()
    {
        return to_stdout(client, source, &opts, &control, verbosity);
    }
    let show_progress = !(args.no_progress || args.quiet || args.only_show_errors || args.json);
    let total = jobs.iter().map(|j| j.listed_size).sum::<Option<u64>>();
    let _progress = Progress::start(Arc::clone(&control), total, show_progress);
    let code = download_all(client, &jobs, &opts, &control, verbosity);
    Ok(code.max(u8::from(!refused.is_empty())))
}

/// Downloads each job, printing each outcome; returns the batch's exit status.
pub(in crate::cli) fn download_all(
    client: &Client,
    jobs: &[Job],
    opts: &DownloadOptions,
    control: &Control,
    verbosity: Verbosity,
) -> u8 {
    batch::run_all(
        jobs,
        |j| j.listed_size.is_some_and(|n| n <= opts.part_size),
        opts.concurrency,
        control,
        |job| {
            let result = to_file(client, job, opts, control);
            match &result {
                Ok(report) => {
                    output::downloaded(verbosity, &job.source, &shown(&job.dest), report, false);
                }
                Err(e) => output::download_failed(&job.source, &shown(&job.dest), e),
            }
            result.map(|_| ())
        },
    )
}

pub(in crate::cli) fn shown(dest: &Dest) -> String {
    match dest {
        Dest::File(p) => p.display().to_string(),
        Dest::Stdout => "-".into(),
    }
}

fn to_file(
    client: &Client,
    job: &Job,
    opts: &DownloadOptions,
    control: &Control,
) -> Result<DownloadReport, Error> {
    let Dest::File(path) = &job.dest else {
        return Err(usage("standard output takes exactly one object"));
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Destination {
            path: dir.to_owned(),
            source,
        })?;
    }
    if path.is_dir() {
        return Err(usage(format!(
            "{} is a directory: name a file, or end the destination with '/'",
            path.display()
        )));
    }
    download::download_file(client, &job.source, Path::new(path), opts, control)
}

/// Copies `reader` to standard output in large writes, unbuffered: `Stdout` is line-buffered,
/// which would scan every byte for newlines and write in small pieces.
fn copy_to_stdout(reader: &mut dyn std::io::BufRead) -> std::io::Result<()> {
    use std::os::fd::AsFd;
    let mut out = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
    loop {
        // Written straight from the downloaded piece: no copy in between.
        let n = match reader.fill_buf() {
            Ok([]) => return Ok(()),
            Ok(bytes) => {
                out.write_all(bytes)?;
                bytes.len()
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        reader.consume(n);
    }
}

/// One object to standard output, in order. A closed pipe (`| head`) ends quietly; a checksum
/// mismatch found at the end is an error (the bytes are already out: check the exit status).
fn to_stdout(
    client: &Client,
    source: &download::Source,
    opts: &DownloadOptions,
    control: &Control,
    verbosity: Verbosity,
) -> Result<u8, Error> {
    let result =
        download::download_stream(
            client,
            source,
            opts,
            control,
            |reader| match copy_to_stdout(reader) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
                Err(e) => Err(Error::Destination {
                    path: "standard output".into(),
                    source: e,
                }),
            },
        );
    match result {
        Ok((true, report)) => {
            output::downloaded(verbosity, source, "-", &report, true);
            Ok(0)
        }
        Ok((false, _)) => Ok(0),
        Err(e) if control.is_interrupted() => {
            output::download_failed(source, "-", &e);
            Ok(130)
        }
        Err(e) => Err(e),
    }
}
