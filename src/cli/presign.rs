//! `s3up presign`: prints a SigV4 presigned URL.

use super::args::PresignArgs;
use super::{process_env, usage};
use crate::error::Error;
use crate::s3::addr::S3Url;

pub(super) fn run(args: &PresignArgs) -> Result<u8, Error> {
    let url = S3Url::parse(&args.url).map_err(|e| usage(e.to_string()))?;
    if url.key.is_empty() {
        return Err(usage(format!("{}: presign needs an object key", args.url)));
    }
    let method = args.method.to_ascii_uppercase();
    if method != "GET" && method != "PUT" {
        return Err(usage(format!("--method {}: use GET or PUT", args.method)));
    }
    let session = crate::config::open(&args.common(), &process_env)?;
    let presigned = session
        .client
        .presign(&method, &url.bucket, &url.key, args.expires_in)?;
    println!("{presigned}");
    Ok(0)
}
