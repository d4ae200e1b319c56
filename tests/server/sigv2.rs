//! SigV2 (which s3up never sends): refused by default as S3 does today, accepted and verified
//! with `SigV2Mode::Accept`, and logged as `SigV2` either way. The tiny HMAC-SHA1 signer below
//! exists only for these tests.

use super::http::{send, Resp};
use super::{assert_ok, assert_rejected, now_secs, server, server_with, Server, BUCKET};

use base64::Engine as _;
use test_server::SigV2Mode;

/// base64(HMAC-SHA1(secret, string_to_sign)).
fn sign_v2(secret: &str, string_to_sign: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    let tag = ring::hmac::sign(&key, string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

fn http_date(offset_secs: i64) -> String {
    let t = std::time::SystemTime::now();
    let d = std::time::Duration::from_secs(offset_secs.unsigned_abs());
    httpdate::fmt_http_date(if offset_secs >= 0 { t + d } else { t - d })
}

/// A SigV2 header-authenticated request.
fn v2_header(
    s: &Server,
    secret: &str,
    method: &str,
    path: &str,
    body: &[u8],
    date_offset: i64,
) -> Resp {
    let date = http_date(date_offset);
    let sts = format!("{method}\n\n\n{date}\n{path}");
    let headers = vec![
        ("host".to_owned(), s.addr().to_string()),
        ("date".to_owned(), date),
        (
            "authorization".to_owned(),
            format!("AWS {}:{}", s.access_key(), sign_v2(secret, &sts)),
        ),
    ];
    send(s.addr(), method, path, &headers, body)
}

/// A SigV2 presigned request.
fn v2_presigned(s: &Server, method: &str, path: &str, expires_in: i64) -> Resp {
    let expires = now_secs() + expires_in;
    let sts = format!("{method}\n\n\n{expires}\n{path}");
    let sig = sign_v2(s.secret_key(), &sts);
    let sig: String = sig
        .bytes()
        .map(|b| match b {
            b'+' => "%2B".to_owned(),
            b'/' => "%2F".to_owned(),
            b'=' => "%3D".to_owned(),
            _ => (b as char).to_string(),
        })
        .collect();
    let target = format!(
        "{path}?AWSAccessKeyId={}&Expires={expires}&Signature={sig}",
        s.access_key()
    );
    send(
        s.addr(),
        method,
        &target,
        &[("host".to_owned(), s.addr().to_string())],
        b"",
    )
}

const REFUSAL: &str =
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";

#[test]
fn sigv2_header_is_refused_by_default_and_logged() {
    let s = server();
    let r = v2_header(&s, s.secret_key(), "PUT", "/bkt/v2.txt", b"legacy", 0);
    let line = assert_rejected(&s, &r, 400, "InvalidRequest", "REST.PUT.OBJECT");
    assert!(r.text().contains(REFUSAL), "{}", r.text());
    assert!(
        line.contains(" SigV2 ") && line.contains(" AuthHeader "),
        "{line}"
    );
    assert_eq!(s.object_bytes(BUCKET, "v2.txt"), None);
}

#[test]
fn sigv2_presigned_is_refused_by_default_and_logged() {
    let s = server();
    let r = v2_presigned(&s, "GET", "/bkt/v2.txt", 300);
    let line = assert_rejected(&s, &r, 400, "InvalidRequest", "REST.GET.OBJECT");
    assert!(
        line.contains(" SigV2 ") && line.contains(" QueryString "),
        "{line}"
    );
}

#[test]
fn sigv2_is_verified_and_accepted_in_accept_mode() {
    let s = server_with(|c| c.sigv2 = SigV2Mode::Accept);
    let r = v2_header(&s, s.secret_key(), "PUT", "/bkt/v2.txt", b"legacy", 0);
    let line = assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert!(
        line.contains(" SigV2 ") && line.contains(" AuthHeader "),
        "{line}"
    );
    assert_eq!(
        s.object_bytes(BUCKET, "v2.txt").as_deref(),
        Some(&b"legacy"[..])
    );

    let r = v2_presigned(&s, "GET", "/bkt/v2.txt", 300);
    let line = assert_ok(&s, &r, "REST.GET.OBJECT");
    assert_eq!(r.body, b"legacy");
    assert!(
        line.contains(" SigV2 ") && line.contains(" QueryString "),
        "{line}"
    );
}

#[test]
fn sigv2_accept_mode_still_checks_secret_skew_and_expiry() {
    let s = server_with(|c| c.sigv2 = SigV2Mode::Accept);
    let r = v2_header(&s, "wrong-secret", "PUT", "/bkt/a", b"x", 0);
    assert_rejected(&s, &r, 403, "SignatureDoesNotMatch", "REST.PUT.OBJECT");
    let r = v2_header(&s, s.secret_key(), "PUT", "/bkt/a", b"x", 20 * 60);
    assert_rejected(&s, &r, 403, "RequestTimeTooSkewed", "REST.PUT.OBJECT");
    let r = v2_header(&s, s.secret_key(), "PUT", "/bkt/a", b"x", -20 * 60);
    assert_rejected(&s, &r, 403, "RequestTimeTooSkewed", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "a"), None);
    let r = v2_presigned(&s, "GET", "/bkt/a", -10);
    assert_rejected(&s, &r, 403, "AccessDenied", "REST.GET.OBJECT");
}
