//! The transfer settings of `cp` and `tar`: object and transfer flags, with the profile's
//! `s3 =` settings as defaults and `AWS_REQUEST_CHECKSUM_CALCULATION` / `S3UP_MIN_PART_SIZE` /
//! `S3UP_MAX_PARTS` from the environment, merged into upload options.

use super::CommonOptions;
use crate::checksum::ChecksumAlgorithm;
use crate::client::PayloadSigning;
use crate::context::Env;
use crate::download::DownloadOptions;
use crate::error::Error;
use crate::profile::S3Settings;
use crate::s3::ops::ObjectOptions;
use crate::units::{parse_rate, parse_size};
use crate::upload::{plan, ChecksumMode, UploadOptions};

/// The object and transfer flags of `cp` and `tar`, as given on the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct TransferFlags {
    pub storage_class: Option<String>,
    pub sse: Option<String>,
    pub sse_kms_key_id: Option<String>,
    pub acl: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_encoding: Option<String>,
    pub metadata: Option<String>,
    pub tagging: Option<String>,
    pub checksum_algorithm: Option<String>,
    pub expected_size: Option<String>,
    pub part_size: Option<String>,
    pub multipart_threshold: Option<String>,
    pub concurrency: Option<usize>,
    pub limit_rate: Option<String>,
    pub retries: Option<u32>,
    /// `--payload-signing auto|always`.
    pub payload_signing: Option<String>,
}

/// The client options a transfer's flags set: retries and payload signing.
///
/// # Errors
/// [`Error::Usage`] for a value that is neither `auto` nor `always`.
pub(crate) fn client_options(
    t: &TransferFlags,
    common: CommonOptions,
) -> Result<CommonOptions, Error> {
    let payload_signing = match t
        .payload_signing
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => None,
        Some("auto") => Some(PayloadSigning::Auto),
        Some("always") => Some(PayloadSigning::Always),
        Some(other) => {
            return Err(Error::Usage(format!(
                "--payload-signing {other}: use auto or always"
            )))
        }
    };
    Ok(CommonOptions {
        max_attempts: t.retries.map(|r| r.saturating_add(1)),
        payload_signing,
        ..common
    })
}

pub(crate) const DEFAULT_CONCURRENCY: usize = 4;

fn size_flag(name: &str, value: Option<&String>) -> Result<Option<u64>, Error> {
    value
        .map(|v| parse_size(v).map_err(|e| Error::Usage(format!("--{name}: {e}"))))
        .transpose()
}

/// Builds the upload options; `env` supplies `AWS_REQUEST_CHECKSUM_CALCULATION`.
///
/// # Errors
/// [`Error::Usage`] for malformed values.
pub(crate) fn upload_options(
    t: &TransferFlags,
    s3: &S3Settings,
    env: Env,
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
        return Err(Error::Usage(format!(
            "--concurrency {concurrency}: use 1 to 256"
        )));
    }
    let checksum = match &t.checksum_algorithm {
        Some(a) => match ChecksumAlgorithm::parse(a).map_err(Error::Usage)? {
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
                return Err(Error::Usage(format!(
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
            return Err(Error::Usage(format!("--sse {sse}: use AES256 or aws:kms")));
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
    })
}

/// The download options: `--part-size` (bytes per ranged GET) and `--concurrency`, else the
/// profile's `multipart_chunksize` and `max_concurrent_requests`, as aws-cli reads them.
///
/// # Errors
/// [`Error::Usage`] for malformed values, and for flags that only make sense for uploads.
pub(crate) fn download_options(
    t: &TransferFlags,
    s3: &S3Settings,
) -> Result<DownloadOptions, Error> {
    check_download_flags(t)?;
    download_options_of(t, s3)
}

fn download_options_of(t: &TransferFlags, s3: &S3Settings) -> Result<DownloadOptions, Error> {
    let defaults = DownloadOptions::default();
    let part_size = size_flag("part-size", t.part_size.as_ref())?
        .or(s3.multipart_chunksize)
        .unwrap_or(defaults.part_size);
    if part_size == 0 {
        return Err(Error::Usage(
            "--part-size 0: give a size such as 8MiB".into(),
        ));
    }
    let concurrency = t
        .concurrency
        .or(s3.max_concurrent_requests)
        .unwrap_or(defaults.concurrency);
    if concurrency == 0 || concurrency > 256 {
        return Err(Error::Usage(format!(
            "--concurrency {concurrency}: use 1 to 256"
        )));
    }
    Ok(DownloadOptions {
        part_size,
        concurrency,
    })
}

/// Refuses the flags that describe an object to create: meaningless for a download.
///
/// # Errors
/// [`Error::Usage`] naming them.
pub(crate) fn check_download_flags(t: &TransferFlags) -> Result<(), Error> {
    let upload_only = upload_only_flags(t);
    if upload_only.is_empty() {
        // The values given on the command line, checked before credentials are looked for.
        let no_profile = S3Settings::default();
        download_options_of(t, &no_profile)?;
        rate_limit(t, &no_profile)?;
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} only {} to uploads; this command downloads",
        upload_only.join(", "),
        if upload_only.len() == 1 {
            "applies"
        } else {
            "apply"
        }
    )))
}

/// The flags given that describe the object to create, meaningless for a download.
fn upload_only_flags(t: &TransferFlags) -> Vec<&'static str> {
    [
        ("--storage-class", t.storage_class.is_some()),
        ("--sse", t.sse.is_some()),
        ("--sse-kms-key-id", t.sse_kms_key_id.is_some()),
        ("--acl", t.acl.is_some()),
        ("--content-type", t.content_type.is_some()),
        ("--cache-control", t.cache_control.is_some()),
        ("--content-encoding", t.content_encoding.is_some()),
        ("--metadata", t.metadata.is_some()),
        ("--tagging", t.tagging.is_some()),
        ("--checksum-algorithm", t.checksum_algorithm.is_some()),
        ("--expected-size", t.expected_size.is_some()),
        ("--multipart-threshold", t.multipart_threshold.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect()
}

/// S3's multipart limits, unless `S3UP_MIN_PART_SIZE` / `S3UP_MAX_PARTS` name a store's own
/// (S3-compatible stores differ; a test server shrinks them to reach the part limit in seconds).
fn limits(env: Env) -> Result<plan::Limits, Error> {
    let mut limits = plan::Limits::default();
    if let Some(v) = env("S3UP_MIN_PART_SIZE").filter(|v| !v.is_empty()) {
        limits.min_part_size = parse_size(&v)
            .ok()
            .filter(|s| (1..=limits.max_part_size).contains(s))
            .ok_or_else(|| {
                Error::Usage(format!("S3UP_MIN_PART_SIZE={v}: give a size such as 5MiB"))
            })?;
    }
    if let Some(v) = env("S3UP_MAX_PARTS").filter(|v| !v.is_empty()) {
        limits.max_parts = v
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| Error::Usage(format!("S3UP_MAX_PARTS={v}: give 1 to 10000")))?;
    }
    Ok(limits)
}

/// `--limit-rate`, else the profile's `max_bandwidth`.
///
/// # Errors
/// A malformed rate.
pub(crate) fn rate_limit(t: &TransferFlags, s3: &S3Settings) -> Result<Option<u64>, Error> {
    let flag = t
        .limit_rate
        .as_deref()
        .map(|v| parse_rate(v).map_err(|e| Error::Usage(format!("--limit-rate: {e}"))))
        .transpose()?;
    Ok(flag.or(s3.max_bandwidth))
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
                .ok_or_else(|| Error::Usage(format!("--metadata: '{pair}' is not key=value")))
        })
        .collect()
}
