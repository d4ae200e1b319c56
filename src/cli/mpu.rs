//! `s3up mpu ls` and `s3up mpu abort`: find and remove unfinished multipart uploads.

use super::args::{MpuAbortArgs, MpuArgs, MpuCommand, MpuLsArgs};
use super::{process_env, usage};
use crate::error::Error;
use crate::s3::addr::S3Url;

pub(super) fn run(args: &MpuArgs) -> Result<u8, Error> {
    match &args.command {
        MpuCommand::Ls(a) => ls(a),
        MpuCommand::Abort(a) => abort(a),
    }
}

fn ls(args: &MpuLsArgs) -> Result<u8, Error> {
    let url = S3Url::parse(&args.url).map_err(|e| usage(e.to_string()))?;
    let session = crate::config::open(&args.common(), &process_env)?;
    let uploads = crate::mpu::list_all(&session.client, &url.bucket, &url.key)?;
    let now = session.client.now();
    for u in &uploads {
        let age =
            crate::mpu::age_seconds(&u.initiated, now).map_or_else(|| "?".to_owned(), human_age);
        println!("{}\t{}\t{}\t{age}", u.key, u.upload_id, u.initiated);
    }
    if !args.quiet {
        eprintln!(
            "{} unfinished multipart upload(s) in s3://{}/{}",
            uploads.len(),
            url.bucket,
            url.key
        );
    }
    Ok(0)
}

fn abort(args: &MpuAbortArgs) -> Result<u8, Error> {
    let url = S3Url::parse(&args.url).map_err(|e| usage(e.to_string()))?;
    let older_than = args
        .older_than
        .as_deref()
        .map(crate::mpu::parse_duration)
        .transpose()
        .map_err(usage)?;
    let targets: Vec<(String, String)> = match (&args.upload_id, args.all) {
        (Some(_), true) | (None, false) => {
            return Err(usage(
                "give either --upload-id ID (with s3://bucket/key) or --all",
            ))
        }
        (Some(id), false) => {
            if url.key.is_empty() {
                return Err(usage("--upload-id needs the object key: s3://bucket/key"));
            }
            vec![(url.key.clone(), id.clone())]
        }
        (None, true) => Vec::new(),
    };
    let session = crate::config::open(&args.common(), &process_env)?;
    let client = &session.client;
    let targets = if args.all {
        let now = client.now();
        crate::mpu::list_all(client, &url.bucket, &url.key)?
            .into_iter()
            .filter(|u| match older_than {
                Some(min) => {
                    crate::mpu::age_seconds(&u.initiated, now).is_some_and(|age| age >= min)
                }
                None => true,
            })
            .map(|u| (u.key, u.upload_id))
            .collect()
    } else {
        targets
    };
    let mut failed = 0;
    for (key, id) in &targets {
        if args.dryrun {
            println!("(dryrun) abort: s3://{}/{key} upload {id}", url.bucket);
            continue;
        }
        match crate::mpu::abort(client, &url.bucket, key, id) {
            Ok(()) => println!("aborted: s3://{}/{key} upload {id}", url.bucket),
            Err(e) => {
                failed += 1;
                eprintln!("abort failed: s3://{}/{key} upload {id}: {e}", url.bucket);
            }
        }
    }
    Ok(u8::from(failed > 0))
}

fn human_age(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}
