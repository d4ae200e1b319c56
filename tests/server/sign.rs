//! Signatures s3up's signer does not make, written out by hand for the server tests: SigV4 with
//! the time in `Date` instead of `X-Amz-Date`, and the policy signatures of browser-form POST
//! uploads (SigV4 and SigV2). Independent of the server's own code, so they check it.

use super::http::Resp;
use super::{now_secs, Server};

use base64::Engine as _;
use ring::hmac;
use s3up::sigv4::{hex, sha256_hex, SigningTime};

fn hmac_sha256(key: &[u8], data: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
}

/// Hex SigV4 signature of `string_to_sign` with the key derived for `date` (YYYYMMDD).
pub fn sigv4(secret: &str, date: &str, region: &str, string_to_sign: &str) -> String {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(k_date.as_ref(), region.as_bytes());
    let k_service = hmac_sha256(k_region.as_ref(), b"s3");
    let k_signing = hmac_sha256(k_service.as_ref(), b"aws4_request");
    hex(hmac_sha256(k_signing.as_ref(), string_to_sign.as_bytes()).as_ref())
}

/// base64(HMAC-SHA1(secret, string_to_sign)): a SigV2 signature.
pub fn sigv2(secret: &str, string_to_sign: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    let tag = hmac::sign(&key, string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// `2030-01-01T00:00:00Z`, the POST policy expiration format.
pub fn iso8601(t: SigningTime) -> String {
    let d = t.amz_date();
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    )
}

/// A SigV4 header-signed PUT of `body` to `path` whose time travels in `Date` (signed), with no
/// `X-Amz-Date` header, `date_offset` seconds off this machine's clock.
pub fn put_with_date_header(s: &Server, path: &str, body: &[u8], date_offset: i64) -> Resp {
    let t = SigningTime(now_secs() + date_offset);
    let date = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.0.unsigned_abs()),
    );
    let host = s.addr().to_string();
    let payload = sha256_hex(body);
    let canonical = format!(
        "PUT\n{path}\n\ndate:{date}\nhost:{host}\nx-amz-content-sha256:{payload}\n\n\
         date;host;x-amz-content-sha256\n{payload}"
    );
    let scope = format!("{}/{}/s3/aws4_request", t.date_stamp(), s.region());
    let sts = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        t.amz_date(),
        sha256_hex(canonical.as_bytes())
    );
    let signature = sigv4(s.secret_key(), &t.date_stamp(), s.region(), &sts);
    let headers = vec![
        ("host".to_owned(), host),
        ("date".to_owned(), date),
        ("x-amz-content-sha256".to_owned(), payload),
        (
            "authorization".to_owned(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=date;host;x-amz-content-sha256, Signature={signature}",
                s.access_key()
            ),
        ),
    ];
    super::http::send(s.addr(), "PUT", path, &headers, body)
}
