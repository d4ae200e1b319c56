//! The test server's handling of what a client sends: HTTP/1.1 framing, SigV4 Authorization
//! headers, presigned query strings, SigV2, `x-amz-date`, `x-amz-content-sha256` and
//! aws-chunked bodies, through the gate, s3s's verification, the store and the access log.
//! The server must answer every request with an HTTP response (or close the connection on a
//! request too broken to answer), never panic, never hang.
//!
//! The first byte chooses the mode:
//! - `R` (or anything else): the rest is sent as raw bytes, so the fuzzer mutates framing and
//!   headers, signatures included (most fail verification, after being parsed);
//! - `S`: the rest is `METHOD PATH[?QUERY]`, header lines (`name: value`), an empty line and
//!   the body; it is signed here with the server's key (x-amz-date fixed at 2026-01-01, the
//!   server's clock set to match) so that odd-but-signed requests reach the operations.
//!
//! With `S3UP_FUZZ_SHOW_500` set, every request answered 500 is printed (not a crash, but
//! usually a store error S3 would answer with a 4xx).
#![no_main]

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use s3up::credentials::Credentials;
use s3up::sigv4::{PayloadHash, Request, Scope, Signer, SigningTime};
use test_server::fuzzing::Harness;

const ACCESS_KEY: &str = "AKIDFUZZ";
const SECRET_KEY: &str = "fuzz-secret-key";
const REGION: &str = "us-east-1";
/// 2026-01-01T00:00:00Z: the signing time of `S` inputs and the server's time at start.
const SIGNING_TIME: i64 = 1_767_225_600;

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        let config = test_server::Config {
            access_key: ACCESS_KEY.to_owned(),
            secret_key: SECRET_KEY.to_owned(),
            region: REGION.to_owned(),
            buckets: vec!["bucket".to_owned()],
            clock_offset: SIGNING_TIME - now,
            min_part_size: 1,
            ..test_server::Config::default()
        };
        Harness::new(&config).expect("fuzz harness starts")
    })
}

/// Builds and signs the request an `S` input describes; `None` when it is not one.
fn signed_request(text: &[u8]) -> Option<Vec<u8>> {
    let split = text
        .windows(2)
        .position(|w| w == b"\n\n")
        .map_or((text, &text[..0]), |at| (&text[..at], &text[at + 2..]));
    let (head, body) = split;
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let (method, target) = lines.next()?.split_once(' ')?;
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let (path, query_text) = target.split_once('?').unwrap_or((target, ""));
    if !path.starts_with('/') {
        return None;
    }
    let query: Vec<(String, String)> = query_text
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let mut headers = vec![("host".to_owned(), "127.0.0.1:9000".to_owned())];
    let mut content_sha256 = None;
    let mut framed = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_owned();
        if name.is_empty() || name == "host" || name == "authorization" || name == "x-amz-date" {
            continue;
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return None;
        }
        framed |= name == "content-length" || name == "transfer-encoding";
        if name == "x-amz-content-sha256" {
            content_sha256 = Some(value);
        } else {
            headers.push((name, value));
        }
    }
    if !framed {
        headers.push(("content-length".to_owned(), body.len().to_string()));
    }
    let payload = match content_sha256.as_deref() {
        None => PayloadHash::of(body),
        Some("UNSIGNED-PAYLOAD") => PayloadHash::Unsigned,
        Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") => PayloadHash::StreamingSigned,
        Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER") => PayloadHash::StreamingUnsignedTrailer,
        Some(other) => PayloadHash::Sha256Hex(other.to_owned()),
    };
    let creds = Credentials::new(ACCESS_KEY, SECRET_KEY, None);
    let scope = Scope {
        time: SigningTime(SIGNING_TIME),
        region: REGION,
        service: "s3",
    };
    let req = Request {
        method,
        path,
        query: &query,
        headers: &headers,
    };
    let signed = Signer::s3().sign(&req, &creds, &scope, &payload);
    let mut out = format!("{method} {}", signed.wire_path);
    if !signed.wire_query.is_empty() {
        out.push('?');
        out.push_str(&signed.wire_query);
    }
    out.push_str(" HTTP/1.1\r\n");
    for (name, value) in headers.iter().chain(&signed.headers) {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Some(bytes)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let request = match mode {
        b'S' => match signed_request(rest) {
            Some(r) => r,
            None => return,
        },
        _ => rest.to_vec(),
    };
    let answer = harness().exchange(&request);
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1."),
        "not an HTTP answer: {:?}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
    if std::env::var_os("S3UP_FUZZ_SHOW_500").is_some() && answer.get(8..13) == Some(&b" 500 "[..])
    {
        eprintln!(
            "500 for {:?}\n=> {}",
            String::from_utf8_lossy(&request),
            String::from_utf8_lossy(&answer)
        );
    }
});
