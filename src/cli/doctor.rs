//! `s3up doctor [s3://bucket[/prefix]]`: "will my upload work, and is it SigV4?" in seconds.
//! Prints what s3up resolved (never secrets), makes signed requests, ends with one verdict line.

use super::args::DoctorArgs;
use super::{process_env, usage};
use crate::client::Client;
use crate::config::{CommonOptions, Session};
use crate::error::Error;
use crate::s3::addr::S3Url;
use crate::s3::errors;
use crate::s3::{list, ops};
use crate::transport::TransportErrorKind;

/// Past this, S3 refuses signatures (RequestTimeTooSkewed).
const MAX_SKEW_SECS: i64 = 15 * 60;

pub(super) fn run(args: &DoctorArgs) -> Result<u8, Error> {
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
    // One attempt per request: doctor reports what happens, it does not insist.
    let common = CommonOptions {
        max_attempts: Some(1),
        ..args.common()
    };
    let session = match crate::config::open(&common, &process_env) {
        Ok(s) => s,
        Err(e) => {
            println!("verdict: FAIL: {e}");
            return Ok(e.exit_code());
        }
    };
    if let Err(e) = print_setup(&session) {
        println!("verdict: FAIL: {e}");
        return Ok(e.exit_code());
    }
    let client = &session.client;
    let region_before = client.region();
    if let Err(e) = probe(client, target.as_ref()) {
        println!("verdict: FAIL: {}", diagnosis(&e, target.as_ref()));
        return Ok(1);
    }
    if client.region() != region_before {
        println!(
            "note:        the bucket is in {}, not {region_before}: s3up follows it; set AWS_REGION={} to skip the redirect",
            client.region(),
            client.region()
        );
    }
    let offset = client.clock_offset();
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

/// Credentials (masked), region, endpoint and TLS roots, each with where it came from.
fn print_setup(session: &Session) -> Result<(), Error> {
    let client = &session.client;
    let id = client.identity()?;
    println!(
        "credentials: {} from {}; session token {}",
        id.masked_access_key_id,
        id.source,
        if id.session_token { "present" } else { "none" }
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
    Ok(())
}

/// The signed requests: a listing (its answer carries an error code; HEAD answers carry none),
/// then HeadBucket. Prints the clock line once a server answered, and each request's result.
fn probe(client: &Client, target: Option<&S3Url>) -> Result<(), Error> {
    let listing = match target {
        Some(t) => list::list_objects_v2(
            &t.bucket,
            &list::ListObjects {
                prefix: &t.key,
                max_keys: Some(1),
                ..list::ListObjects::default()
            },
        ),
        None => ops::list_buckets(),
    };
    let result = client.send(&listing);
    if !matches!(result, Err(Error::Transport { .. })) {
        let offset = client.clock_offset();
        if offset == 0 {
            println!("clock:       within limits against the server's Date");
        } else {
            println!("clock:       local clock off by {offset} s against the server's Date");
        }
    }
    if let Err(e) = result {
        println!("request:     {} -> {}", listing.operation, e.without_fix());
        return Err(e);
    }
    let Some(t) = target else {
        println!("request:     ListBuckets: OK (signed with SigV4)");
        return Ok(());
    };
    if let Err(e) = client.send(&ops::head_bucket(&t.bucket)) {
        println!("request:     HeadBucket -> {}", e.without_fix());
        return Err(e);
    }
    println!(
        "request:     ListObjectsV2 and HeadBucket on s3://{}: OK (signed with SigV4)",
        t.bucket
    );
    Ok(())
}

/// What went wrong and the fix, once.
fn diagnosis(e: &Error, target: Option<&S3Url>) -> String {
    match e {
        Error::S3 { code, .. } => {
            let mut meaning = errors::meaning(code).to_owned();
            if let (Some(errors::Class::NoBucket), Some(t)) = (e.class(), target) {
                meaning = format!("{meaning} s3://{}", t.bucket);
            }
            match errors::fix(code) {
                Some(fix) => format!("{meaning}: {fix}"),
                None => meaning,
            }
        }
        Error::Transport { source, .. } if source.kind == TransportErrorKind::Tls => {
            "TLS failed: for a private CA pass --ca-bundle FILE (or AWS_CA_BUNDLE)".to_owned()
        }
        Error::Transport { .. } => {
            "cannot reach the endpoint: check --endpoint-url, proxies (HTTPS_PROXY) and the network"
                .to_owned()
        }
        other => other.to_string(),
    }
}
