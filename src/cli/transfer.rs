//! `cp`/`tar` object and transfer flags (with the profile's `s3 =` settings as defaults) turned
//! into upload options.

use std::sync::Arc;

use super::args::{Common, Transfer};
use super::units::parse_size;
use super::usage;
use super::{common_options, process_env};
use crate::checksum::ChecksumAlgorithm;
use crate::error::Error;
use crate::profile::S3Settings;
use crate::s3::ops::ObjectOptions;
use crate::upload::Control;
use crate::upload::{plan, ChecksumMode, UploadOptions};

pub const DEFAULT_CONCURRENCY: usize = 4;

fn size_flag(name: &str, value: Option<&String>) -> Result<Option<u64>, Error> {
    value
        .map(|v| parse_size(v).map_err(|e| usage(format!("--{name}: {e}"))))
        .transpose()
}

/// Builds the upload options; `env` supplies `AWS_REQUEST_CHECKSUM_CALCULATION`.
///
/// # Errors
/// [`Error::Usage`] for malformed values.
pub fn upload_options(
    t: &Transfer,
    s3: &S3Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<UploadOptions, Error> {
    let part_size = size_flag("part-size", t.part_size.as_ref())?
        .or(s3.multipart_chunksize)
        .unwrap_or(8 * plan::MIB);
    let threshold = size_flag("multipart-threshold", t.multipart_threshold.as_ref())?
        .or(s3.multipart_threshold)
        .unwrap_or(8 * plan::MIB);
    let concurrency = t
        .concurrency
        .or(s3.max_concurrent_requests)
        .unwrap_or(DEFAULT_CONCURRENCY);
    if concurrency == 0 || concurrency > 256 {
        return Err(usage(format!("--concurrency {concurrency}: use 1 to 256")));
    }
    let checksum = match &t.checksum_algorithm {
        Some(a) => match ChecksumAlgorithm::parse(a).map_err(usage)? {
            Some(alg) => ChecksumMode::Explicit(alg),
            None => ChecksumMode::Off,
        },
        // aws-cli's switch: "when_required" sends checksums only where an operation needs one.
        None => match env("AWS_REQUEST_CHECKSUM_CALCULATION")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            Some("when_required") => ChecksumMode::Off,
            Some("when_supported") | None | Some("") => ChecksumMode::Auto,
            Some(other) => {
                return Err(usage(format!(
                    "AWS_REQUEST_CHECKSUM_CALCULATION={other}: use when_supported or when_required"
                )))
            }
        },
    };
    let object = ObjectOptions {
        content_type: t.content_type.clone(),
        cache_control: t.cache_control.clone(),
        content_encoding: t.content_encoding.clone(),
        storage_class: t.storage_class.clone(),
        sse: t.sse.clone(),
        sse_kms_key_id: t.sse_kms_key_id.clone(),
        acl: t.acl.clone(),
        metadata: parse_metadata(t.metadata.as_deref())?,
        tagging: t.tagging.clone(),
    };
    if let Some(sse) = &object.sse {
        if sse != "AES256" && sse != "aws:kms" {
            return Err(usage(format!("--sse {sse}: use AES256 or aws:kms")));
        }
    }
    Ok(UploadOptions {
        part_size,
        multipart_threshold: threshold,
        concurrency,
        checksum,
        object,
        expected_size: size_flag("expected-size", t.expected_size.as_ref())?,
        limits: limits(env)?,
        ..UploadOptions::default()
    })
}

/// S3's multipart limits, unless `S3UP_MIN_PART_SIZE` / `S3UP_MAX_PARTS` name a store's own
/// (S3-compatible stores differ; a test server shrinks them to reach the part limit in seconds).
fn limits(env: &dyn Fn(&str) -> Option<String>) -> Result<plan::Limits, Error> {
    let mut limits = plan::Limits::default();
    if let Some(v) = env("S3UP_MIN_PART_SIZE").filter(|v| !v.is_empty()) {
        limits.min_part_size = parse_size(&v)
            .ok()
            .filter(|s| (1..=limits.max_part_size).contains(s))
            .ok_or_else(|| usage(format!("S3UP_MIN_PART_SIZE={v}: give a size such as 5MiB")))?;
    }
    if let Some(v) = env("S3UP_MAX_PARTS").filter(|v| !v.is_empty()) {
        limits.max_parts = v
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| usage(format!("S3UP_MAX_PARTS={v}: give 1 to 10000")))?;
    }
    Ok(limits)
}

/// `--limit-rate`, else the profile's `max_bandwidth`.
///
/// # Errors
/// A malformed rate.
pub fn rate_limit(t: &Transfer, s3: &S3Settings) -> Result<Option<u64>, Error> {
    Ok(size_flag("limit-rate", t.limit_rate.as_ref())?.or(s3.max_bandwidth))
}

fn parse_metadata(text: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(',')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| usage(format!("--metadata: '{pair}' is not key=value")))
        })
        .collect()
}

/// The session, upload options and run control shared by `cp` and `tar`, with the interrupt
/// handler installed.
///
/// # Errors
/// Configuration and credential errors (exit 2).
pub fn prepare(
    common: &Common,
    flags: &Transfer,
) -> Result<(crate::config::Session, UploadOptions, Arc<Control>), Error> {
    let session = crate::config::open(&common_options(common, flags.retries), &process_env)?;
    let opts = upload_options(flags, &session.profile.s3, &process_env)?;
    let control = Arc::new(Control::new(rate_limit(flags, &session.profile.s3)?));
    install_interrupt_handler(&control);
    Ok((session, opts, control))
}

/// SIGINT/SIGTERM: stop sending, abort unfinished multipart uploads, exit 130.
fn install_interrupt_handler(control: &Arc<Control>) {
    let control = Arc::clone(control);
    let _ = ctrlc::set_handler(move || {
        if control.is_interrupted() {
            // A second signal: the user insists.
            std::process::exit(130);
        }
        eprintln!("interrupted: aborting unfinished uploads (press Ctrl-C again to quit at once)");
        control.interrupt();
    });
}
