//! `s3up doctor [s3://bucket[/prefix]]`: "will my upload work, and is it SigV4?" in seconds.
//! Prints what s3up resolved (never secrets), makes signed requests, ends with one verdict line.

use super::args::DoctorArgs;
use super::{common_options, process_env, usage};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::s3::ops;

/// Past this, S3 refuses signatures (RequestTimeTooSkewed).
const MAX_SKEW_SECS: i64 = 15 * 60;

pub fn run(args: &DoctorArgs) -> Result<u8, Error> {
    let target = args
        .url
        .as_deref()
        .map(S3Url::parse)
        .transpose()
        .map_err(|e| usage(e.to_string()))?;
    println!("s3up {}", env!("CARGO_PKG_VERSION"));
    println!(
        "signature:   AWS Signature Version 4 (AWS4-HMAC-SHA256); s3up never signs with SigV2"
    );
    let session = match crate::config::open(&common_options(&args.common(), Some(0)), &process_env)
    {
        Ok(s) => s,
        Err(e) => {
            println!("verdict: FAIL: {e}");
            return Ok(e.exit_code());
        }
    };
    let client = &session.client;
    let creds = match client.current_credentials() {
        Ok(c) => c,
        Err(e) => {
            println!("verdict: FAIL: {e}");
            return Ok(e.exit_code());
        }
    };
    println!(
        "credentials: {} from {}; session token {}",
        creds.masked_access_key_id(),
        client.credentials_source(),
        if creds.session_token().is_some() {
            "present"
        } else {
            "none"
        }
    );
    println!(
        "region:      {} ({})",
        client.region(),
        session.region_source
    );
    let endpoint = client.endpoint();
    println!(
        "endpoint:    {}://{}{} ({}), addressing style {:?}",
        endpoint.scheme,
        endpoint.host,
        endpoint.port.map(|p| format!(":{p}")).unwrap_or_default(),
        session.endpoint_source,
        client.options().addressing_style
    );
    println!("TLS roots:   {}", session.tls_roots);

    // A request with a body shows its error code (HEAD answers carry none).
    let probe = match &target {
        Some(t) => ops::list_objects_v2(&t.bucket, &t.key, 1),
        None => ops::list_buckets(),
    };
    let region_before = client.region();
    let result = client.send(&probe);
    let offset = client.clock_offset();
    let skew = if offset.abs() > 0 {
        format!("local clock off by {offset} s against the server's Date")
    } else {
        "within limits against the server's Date".to_owned()
    };
    println!("clock:       {skew}");
    match result {
        Ok(_) => {}
        Err(e) => {
            println!("request:     {} -> {e}", probe.operation);
            println!("verdict: FAIL: {}", diagnosis(&e));
            return Ok(1);
        }
    }
    if let Some(t) = &target {
        if let Err(e) = client.send(&ops::head_bucket(&t.bucket)) {
            println!("request:     HeadBucket -> {e}");
            println!("verdict: FAIL: {}", diagnosis(&e));
            return Ok(1);
        }
        println!(
            "request:     ListObjectsV2 and HeadBucket on s3://{}: OK (signed with SigV4)",
            t.bucket
        );
    } else {
        println!("request:     ListBuckets: OK (signed with SigV4)");
    }
    if client.region() != region_before {
        println!(
            "note:        the bucket is in {}, not {region_before}: s3up follows it; set AWS_REGION={} to skip the redirect",
            client.region(),
            client.region()
        );
    }
    if offset.abs() > MAX_SKEW_SECS {
        println!(
            "verdict: FAIL: the clock is off by {offset} s (S3 allows 900): s3up signs with the server's time, but other tools will fail; sync the clock (NTP)"
        );
        return Ok(1);
    }
    match &target {
        Some(t) => println!("verdict: OK: uploads to s3://{}/{} should work, signed with SigV4", t.bucket, t.key),
        None => println!("verdict: OK: credentials work with SigV4; name a bucket (s3up doctor s3://BUCKET) to check it"),
    }
    Ok(0)
}

/// The cause and the fix, one line.
fn diagnosis(e: &Error) -> String {
    let fix = match e.s3_code() {
        Some("SignatureDoesNotMatch") => "wrong secret key: check AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key",
        Some("InvalidAccessKeyId") => "unknown access key id: check AWS_ACCESS_KEY_ID or the profile",
        Some("NoSuchBucket") | Some("NotFound") => "no such bucket: check the name, --endpoint-url and the region",
        Some("AccessDenied") => "access denied: the credentials work but the IAM or bucket policy does not allow this",
        Some("RequestTimeTooSkewed") => "the clock is off by more than 15 minutes: sync it (NTP)",
        Some("PermanentRedirect") | Some("AuthorizationHeaderMalformed") => "the bucket is in another region: pass --region",
        Some("ExpiredToken") | Some("InvalidToken") => "the session token expired: refresh the temporary credentials",
        _ => match e {
            Error::Transport { source, .. } if source.kind == crate::transport::TransportErrorKind::Tls => {
                "TLS failed: for a private CA pass --ca-bundle FILE (or AWS_CA_BUNDLE)"
            }
            Error::Transport { .. } => "cannot reach the endpoint: check --endpoint-url, proxies (HTTPS_PROXY) and the network",
            _ => "see the error above",
        },
    };
    format!("{fix} ({e})")
}
