//! SigV2 (which s3up never sends): refused by default as S3 does today, accepted and verified
//! with `SigV2Mode::Accept`, and logged as `SigV2` either way. Signed by the small HMAC-SHA1
//! signer in `sign.rs`, which exists only for these tests.

use super::http::{send, Resp};
use super::sign::sigv2;
use super::{assert_ok, assert_rejected, now_secs, server, server_with, Server, BUCKET};

use test_server::SigV2Mode;

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
    v2_header_signing(s, secret, method, (path, path), body, date_offset)
}

/// A SigV2 header-authenticated request to `target.0` whose signature covers the canonical
/// resource `target.1`.
fn v2_header_signing(
    s: &Server,
    secret: &str,
    method: &str,
    (path, resource): (&str, &str),
    body: &[u8],
    date_offset: i64,
) -> Resp {
    let date = http_date(date_offset);
    let sts = format!("{method}\n\n\n{date}\n{resource}");
    let headers = vec![
        ("host".to_owned(), s.addr().to_string()),
        ("date".to_owned(), date),
        (
            "authorization".to_owned(),
            format!("AWS {}:{}", s.access_key(), sigv2(secret, &sts)),
        ),
    ];
    send(s.addr(), method, path, &headers, body)
}

/// A SigV2 presigned request.
fn v2_presigned(s: &Server, method: &str, path: &str, expires_in: i64) -> Resp {
    let expires = now_secs() + expires_in;
    let sts = format!("{method}\n\n\n{expires}\n{path}");
    let sig = sigv2(s.secret_key(), &sts);
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
    let rec = assert_rejected(&s, &r, 400, "InvalidRequest", "REST.PUT.OBJECT");
    assert!(r.text().contains(REFUSAL), "{}", r.text());
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV2", "AuthHeader"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "v2.txt"), None);
}

#[test]
fn sigv2_presigned_is_refused_by_default_and_logged() {
    let s = server();
    let r = v2_presigned(&s, "GET", "/bkt/v2.txt", 300);
    let rec = assert_rejected(&s, &r, 400, "InvalidRequest", "REST.GET.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV2", "QueryString"),
        "{rec:?}"
    );
}

#[test]
fn sigv2_is_verified_and_accepted_in_accept_mode() {
    let s = server_with(|c| c.sigv2 = SigV2Mode::Accept);
    let r = v2_header(&s, s.secret_key(), "PUT", "/bkt/v2.txt", b"legacy", 0);
    let rec = assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV2", "AuthHeader"),
        "{rec:?}"
    );
    assert_eq!(
        s.object_bytes(BUCKET, "v2.txt").as_deref(),
        Some(&b"legacy"[..])
    );

    let r = v2_presigned(&s, "GET", "/bkt/v2.txt", 300);
    let rec = assert_ok(&s, &r, "REST.GET.OBJECT");
    assert_eq!(r.body, b"legacy");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV2", "QueryString"),
        "{rec:?}"
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

/// Issue 18, hole 6: S3's canonical resource for a bucket is `/BUCKET/`, which clients sign
/// (botocore, s3cmd, the Java SDK) for path-style requests to `/BUCKET` too; the literal path
/// is accepted as well. Create, list and delete bucket all verify.
#[test]
fn sigv2_bucket_requests_verify_with_the_bucket_resource() {
    let s = server_with(|c| c.sigv2 = SigV2Mode::Accept);
    let key = s.secret_key().to_owned();
    let r = v2_header_signing(&s, &key, "PUT", ("/newb", "/newb/"), b"", 0);
    let rec = assert_ok(&s, &r, "REST.PUT.BUCKET");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV2", "AuthHeader"),
        "{rec:?}"
    );
    assert!(bucket_names(&s).contains(&"newb".to_owned()));

    for resource in ["/bkt/", "/bkt"] {
        let r = v2_header_signing(&s, &key, "GET", ("/bkt", resource), b"", 0);
        let rec = assert_ok(&s, &r, "REST.GET.BUCKET");
        assert!(r.text().contains("<ListBucketResult"), "{}", r.text());
        assert_eq!(
            (rec.signature_version, rec.auth_type),
            ("SigV2", "AuthHeader"),
            "{rec:?}"
        );
    }

    let r = v2_header_signing(&s, "wrong-secret", "DELETE", ("/newb", "/newb/"), b"", 0);
    let rec = assert_rejected(&s, &r, 403, "SignatureDoesNotMatch", "REST.DELETE.BUCKET");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV2", "AuthHeader"),
        "{rec:?}"
    );
    assert!(bucket_names(&s).contains(&"newb".to_owned()));

    let r = v2_header_signing(&s, &key, "DELETE", ("/newb", "/newb/"), b"", 0);
    let rec = assert_ok(&s, &r, "REST.DELETE.BUCKET");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV2", "AuthHeader"),
        "{rec:?}"
    );
    assert!(!bucket_names(&s).contains(&"newb".to_owned()));
}

/// The server's buckets, listed with SigV4.
fn bucket_names(s: &Server) -> Vec<String> {
    let r = super::Client::new(s).send(s, &super::Call::new("GET", "/"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
        .split("<Name>")
        .skip(1)
        .filter_map(|p| p.split("</Name>").next())
        .map(str::to_owned)
        .collect()
}
