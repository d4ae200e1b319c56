//! `s3up tar PATH... s3://bucket/key`: a tar archive (optionally zstd) produced on the fly and
//! streamed into one multipart upload, with no temporary file.
//!
//! The archive comes from [`crate::archive`] and goes through the same engine as `cp -`, as a
//! stream of unknown length (part sizes grow). A producer failure aborts the upload: no
//! truncated archive is ever published. Exit status: 0 stored; 1 failed, or stored with files
//! that changed while read (GNU tar's rule); 2 usage; 130 interrupted.

use std::path::PathBuf;
use std::sync::Arc;

use super::args::TarArgs;
use super::output::{self, Progress, Verbosity};
use super::{transfer, usage};
use crate::archive::{self, ArchiveError, Compression, Spec, Summary};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::upload::{self, Target, UploadReport};

const DEFAULT_ZSTD_LEVEL: i32 = 3;

pub(super) fn run(args: &TarArgs) -> Result<u8, Error> {
    let (spec, dest) = parse(args)?;
    let display = args.paths[..args.paths.len() - 1].join(" ");
    let verbosity = Verbosity::from_flags(args.json, args.only_show_errors, args.quiet);
    if args.dryrun {
        if verbosity != Verbosity::OnlyErrors {
            println!("(dryrun) upload: {display} to {dest}");
        }
        return Ok(0);
    }
    archive::check_paths(&spec).map_err(source_error)?;
    let (session, control) = transfer::prepare(args.common(), &args.transfer())?;
    let mut opts = transfer::upload_options(&args.transfer(), &session)?;
    if opts.object.content_type.is_none() {
        let kind = match spec.compression {
            Compression::None => "application/x-tar",
            Compression::Zstd { .. } => "application/zstd",
        };
        opts.object.content_type = Some(kind.to_owned());
    }
    let show_progress = !(args.no_progress || args.quiet || args.only_show_errors || args.json);
    let target = Target::new(dest.bucket.clone(), dest.key.clone());

    let mut reader = archive::start(spec).map_err(|source| Error::Source {
        path: "archive".into(),
        source,
    })?;
    let progress = Progress::start(Arc::clone(&control), None, show_progress);
    let uploaded = upload::upload_stream(&session.client, &target, &mut reader, &opts, &control);
    drop(progress);
    let produced = reader.finish();
    match outcome(uploaded, produced) {
        Ok((report, summary)) => {
            print(verbosity, &display, &target, &report, &summary);
            if summary.changed {
                log::warn!("some files changed while they were read: {dest} holds them as read");
                return Ok(1);
            }
            Ok(0)
        }
        Err(e) => {
            output::failed(&display, &target.bucket, &target.key, &e);
            if control.is_interrupted() || matches!(e, Error::Interrupted) {
                return Ok(130);
            }
            Ok(e.exit_code())
        }
    }
}

/// Flags → archive spec and destination.
fn parse(args: &TarArgs) -> Result<(Spec, S3Url), Error> {
    let Some((dest, paths)) = args.paths.split_last() else {
        return Err(usage("usage: s3up tar PATH... s3://BUCKET/KEY"));
    };
    if paths.is_empty() {
        return Err(usage(
            "give what to archive and where: s3up tar PATH... s3://BUCKET/KEY",
        ));
    }
    if paths.iter().any(|p| p == "-") {
        return Err(usage(
            "s3up tar archives files; to upload standard input use: s3up cp - s3://BUCKET/KEY",
        ));
    }
    let dest = S3Url::parse(dest).map_err(|e| usage(e.to_string()))?;
    if dest.is_prefix() {
        return Err(usage(format!(
            "the destination {dest} must name the archive's key, e.g. s3://{}/backup.tar.zst",
            dest.bucket
        )));
    }
    Ok((
        Spec {
            dir: args.directory.as_ref().map(PathBuf::from),
            paths: paths.iter().map(PathBuf::from).collect(),
            excludes: args.exclude.clone(),
            compression: compression(args)?,
            ignore_failed_read: args.ignore_failed_read,
        },
        dest,
    ))
}

fn compression(args: &TarArgs) -> Result<Compression, Error> {
    if !(args.zstd || args.zstd_level.is_some()) {
        if args.threads.is_some() {
            return Err(usage("--threads is for zstd: add --zstd"));
        }
        return Ok(Compression::None);
    }
    let level = args.zstd_level.unwrap_or(DEFAULT_ZSTD_LEVEL);
    // Above 19 zstd wants windows of 128 MiB and more: memory would no longer be bounded.
    if !(1..=19).contains(&level) {
        return Err(usage(format!("--zstd level {level}: use 1 to 19")));
    }
    let threads = args.threads.unwrap_or(1);
    if !(1..=200).contains(&threads) {
        return Err(usage(format!("--threads {threads}: use 1 to 200")));
    }
    Ok(Compression::Zstd { level, threads })
}

/// The upload's result, with the producer's own failure in place of the read error it caused.
fn outcome(
    uploaded: Result<UploadReport, Error>,
    produced: Result<Summary, ArchiveError>,
) -> Result<(UploadReport, Summary), Error> {
    match (uploaded, produced) {
        (Ok(report), Ok(summary)) => Ok((report, summary)),
        // The engine read to the end, so the producer finished; anything else is a bug, and
        // the object must not be trusted.
        (Ok(_), Err(e)) | (Err(Error::Source { .. }), Err(e)) => Err(source_error(e)),
        // The producer stopped because the upload did: the upload's error is the cause.
        (Err(e), _) => Err(e),
    }
}

fn source_error(e: ArchiveError) -> Error {
    Error::Source {
        path: e.path.unwrap_or_else(|| "archive".into()),
        source: e.source,
    }
}

fn print(
    verbosity: Verbosity,
    display: &str,
    target: &Target,
    report: &UploadReport,
    summary: &Summary,
) {
    let mut extra = serde_json::Map::new();
    extra.insert("entries".into(), summary.entries.into());
    extra.insert(
        "uncompressed_bytes".into(),
        summary.uncompressed_bytes.into(),
    );
    extra.insert("compressed_bytes".into(), summary.compressed_bytes.into());
    output::uploaded_with(
        verbosity,
        display,
        &target.bucket,
        &target.key,
        report,
        extra,
    );
}
