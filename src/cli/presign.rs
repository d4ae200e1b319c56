//! `s3up presign`: prints a SigV4 presigned URL.

use super::args::PresignArgs;
use super::{common_options, process_env, usage};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::sigv4::{PayloadHash, Request, Scope};

pub fn run(args: &PresignArgs) -> Result<u8, Error> {
    let url = S3Url::parse(&args.url).map_err(|e| usage(e.to_string()))?;
    if url.key.is_empty() {
        return Err(usage(format!("{}: presign needs an object key", args.url)));
    }
    let method = args.method.to_ascii_uppercase();
    if method != "GET" && method != "PUT" {
        return Err(usage(format!("--method {}: use GET or PUT", args.method)));
    }
    let session = crate::config::open(&common_options(&args.common(), None), &process_env)?;
    let client = &session.client;
    let endpoint = client.endpoint();
    let loc = endpoint.locate(&url.bucket, &url.key, client.options().addressing_style);
    let creds = client.current_credentials()?;
    let region = client.region();
    let headers = vec![("host".to_owned(), loc.host.clone())];
    let presigned = client
        .signer()
        .presign(
            &Request {
                method: &method,
                path: &loc.path,
                query: &[],
                headers: &headers,
            },
            &creds,
            &Scope {
                time: client.now(),
                region: &region,
                service: "s3",
            },
            args.expires_in,
            &PayloadHash::Unsigned,
        )
        .map_err(|e| usage(e.to_string()))?;
    log::debug!(
        "presign canonical request:\n{}\n-- string to sign:\n{}",
        presigned.canonical_request,
        presigned.string_to_sign
    );
    println!(
        "{}{}?{}",
        endpoint.base_url(&loc.host),
        presigned.wire_path,
        presigned.wire_query
    );
    Ok(0)
}
