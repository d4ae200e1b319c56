//! SigV4 verification: wrong secret, unknown key, tampered body and headers, clock skew
//! (server clock and offset), unsigned headers, anonymous and presigned requests.

use super::http::send;
use super::{assert_ok, assert_rejected, log_record, server, server_with, Call, Client, BUCKET};

const OLD: &[u8] = b"the previous object, which must survive";

#[test]
fn wrong_secret_is_refused_and_logged() {
    let s = server();
    let c = Client::with_keys(&s, s.access_key(), "not-the-secret");
    let r = c.put(&s, "k", b"data");
    let rec = assert_rejected(&s, &r, 403, "SignatureDoesNotMatch", "REST.PUT.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "AuthHeader"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "k"), None);
}

#[test]
fn unknown_access_key_is_refused() {
    let s = server();
    let c = Client::with_keys(&s, "AKIDNOBODY", "whatever");
    let r = c.put(&s, "k", b"data");
    assert_rejected(&s, &r, 403, "InvalidAccessKeyId", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k"), None);
}

#[test]
fn tampered_body_is_refused_and_the_old_object_survives() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", OLD), "REST.PUT.OBJECT");
    let mut p = c.prepare(&Call::new("PUT", "/bkt/k").body(b"signed body"));
    p.body = b"Signed body".to_vec();
    let r = p.send(&s);
    assert_rejected(&s, &r, 400, "XAmzContentSHA256Mismatch", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k").as_deref(), Some(OLD));
}

#[test]
fn tampered_signed_header_is_refused() {
    let s = server();
    let c = Client::new(&s);
    let mut p = c.prepare(
        &Call::new("PUT", "/bkt/k")
            .header("x-amz-meta-owner", "alice")
            .body(b"x"),
    );
    p.set_header("x-amz-meta-owner", "mallory");
    let r = p.send(&s);
    assert_rejected(&s, &r, 403, "SignatureDoesNotMatch", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k"), None);
}

#[test]
fn unsigned_amz_header_is_refused() {
    let s = server();
    let c = Client::new(&s);
    let mut p = c.prepare(&Call::new("PUT", "/bkt/k").body(b"x"));
    p.set_header("x-amz-meta-sneaky", "1");
    let r = p.send(&s);
    assert_rejected(&s, &r, 403, "AccessDenied", "REST.PUT.OBJECT");
    assert!(
        r.text()
            .contains("<HeadersNotSigned>x-amz-meta-sneaky</HeadersNotSigned>"),
        "{}",
        r.text()
    );
    assert_eq!(s.object_bytes(BUCKET, "k"), None);
}

#[test]
fn clock_skew_beyond_15_minutes_is_refused() {
    let s = server();
    let c = Client::new(&s);
    for skew in [20 * 60, -20 * 60] {
        let r = c.send(&s, &Call::new("PUT", "/bkt/k").body(b"x").skew(skew));
        assert_rejected(&s, &r, 403, "RequestTimeTooSkewed", "REST.PUT.OBJECT");
        assert!(r.text().contains("<ServerTime>"), "{}", r.text());
        assert!(r
            .text()
            .contains("<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>"));
        assert_eq!(s.object_bytes(BUCKET, "k"), None);
    }
    for skew in [10 * 60, -10 * 60] {
        let r = c.send(
            &s,
            &Call::new("PUT", "/bkt/k")
                .body(b"ten minutes off")
                .skew(skew),
        );
        assert_ok(&s, &r, "REST.PUT.OBJECT");
        assert_eq!(
            s.object_bytes(BUCKET, "k").as_deref(),
            Some(&b"ten minutes off"[..])
        );
    }
}

#[test]
fn server_clock_offset_shows_in_date_and_skew() {
    let s = server_with(|c| c.clock_offset = 3600);
    let c = Client::new(&s);
    let r = c.put(&s, "k", b"x");
    let rec = assert_rejected(&s, &r, 403, "RequestTimeTooSkewed", "REST.PUT.OBJECT");
    assert_eq!(rec.fault.as_deref(), Some("clock-offset-3600s"), "{rec:?}");
    let date = r.header("date").expect("Date header");
    let server_time = httpdate::parse_http_date(date).expect("HTTP date");
    let ahead = server_time
        .duration_since(std::time::SystemTime::now())
        .expect("server clock ahead")
        .as_secs();
    assert!(
        (3500..=3700).contains(&ahead),
        "Date {date} is {ahead} s ahead"
    );
    // A client that corrects its clock from the answer succeeds.
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k").body(b"corrected").skew(3600),
    );
    assert_ok(&s, &r, "REST.PUT.OBJECT");
}

#[test]
fn anonymous_request_is_refused() {
    let s = server();
    let host = s.addr().to_string();
    let r = send(s.addr(), "PUT", "/bkt/k", &[("host".into(), host)], b"x");
    let rec = assert_rejected(&s, &r, 403, "AccessDenied", "REST.PUT.OBJECT");
    // No requester, no signature: the dashes of an anonymous request.
    assert_eq!(
        (rec.requester.as_deref(), rec.signature_version),
        (None, "-"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "k"), None);
}

#[test]
fn presigned_get_works_and_is_logged_as_query_string() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "doc.txt", b"hello"), "REST.PUT.OBJECT");
    let target = c.presign(&Call::new("GET", "/bkt/doc.txt"), 300);
    let host = vec![("host".to_owned(), s.addr().to_string())];
    let r = send(s.addr(), "GET", &target, &host, b"");
    let rec = assert_ok(&s, &r, "REST.GET.OBJECT");
    assert_eq!(r.body, b"hello");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "QueryString"),
        "{rec:?}"
    );

    let tampered = target.replace("doc.txt", "doc.txU");
    let r = send(s.addr(), "GET", &tampered, &host, b"");
    assert_rejected(&s, &r, 403, "SignatureDoesNotMatch", "REST.GET.OBJECT");

    let old = c.presign(&Call::new("GET", "/bkt/doc.txt").skew(-7200), 60);
    let r = send(s.addr(), "GET", &old, &host, b"");
    assert_rejected(&s, &r, 403, "AccessDenied", "REST.GET.OBJECT");
    assert!(r.text().contains("Request has expired"), "{}", r.text());
}

#[test]
fn request_ids_match_log_lines() {
    let s = server();
    let c = Client::new(&s);
    let r = c.send(&s, &Call::new("HEAD", "/bkt"));
    let rec = assert_ok(&s, &r, "REST.HEAD.BUCKET");
    assert_eq!(rec.bucket.as_deref(), Some(BUCKET), "{rec:?}");
    assert_eq!(rec.request_id, r.request_id());
    assert_eq!(log_record(&s, &r.request_id()), rec);
}

/// Issue 18, hole 1: a presigned URL signs only what its `X-Amz-SignedHeaders` names; any other
/// `x-amz-*` header must be refused, or it changes what the request does (here a PUT becomes a
/// copy, or gains metadata, tags or a storage class nobody signed).
#[test]
fn presigned_request_with_unsigned_amz_header_is_refused() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "src", OLD), "REST.PUT.OBJECT");
    let host = ("host".to_owned(), s.addr().to_string());
    let cases = [
        ("x-amz-copy-source", "/bkt/src", "REST.COPY.OBJECT"),
        ("x-amz-meta-owner", "mallory", "REST.PUT.OBJECT"),
        ("x-amz-tagging", "stolen=yes", "REST.PUT.OBJECT"),
        ("x-amz-storage-class", "GLACIER", "REST.PUT.OBJECT"),
    ];
    for (name, value, operation) in cases {
        let target = c.presign(&Call::new("PUT", "/bkt/dst"), 300);
        let headers = vec![host.clone(), (name.to_owned(), value.to_owned())];
        let r = send(s.addr(), "PUT", &target, &headers, b"new body");
        let rec = assert_rejected(&s, &r, 403, "AccessDenied", operation);
        assert!(
            r.text()
                .contains(&format!("<HeadersNotSigned>{name}</HeadersNotSigned>")),
            "{}",
            r.text()
        );
        assert_eq!(
            (rec.signature_version, rec.auth_type),
            ("SigV4", "QueryString"),
            "{rec:?}"
        );
        assert_eq!(s.object_bytes(BUCKET, "dst"), None, "{name} took effect");
    }
    // x-amz-content-sha256 only protects the body (S3 lets it through unsigned); it is checked.
    let target = c.presign(&Call::new("PUT", "/bkt/dst"), 300);
    let sha = s3up::sigv4::sha256_hex(b"new body");
    let headers = vec![host, ("x-amz-content-sha256".to_owned(), sha)];
    let r = send(s.addr(), "PUT", &target, &headers, b"new body");
    assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert_eq!(
        s.object_bytes(BUCKET, "dst").as_deref(),
        Some(&b"new body"[..])
    );
    assert_eq!(s.object_bytes(BUCKET, "src").as_deref(), Some(OLD));
}

/// Issue 18, hole 4: the credential scope's region is checked on every server, as S3 does, not
/// only when `wrong_region` asks for it.
#[test]
fn request_signed_for_another_region_is_refused_by_default() {
    let s = server();
    let c = Client::for_addr(s.addr(), s.access_key(), s.secret_key(), "eu-west-1");
    let r = c.put(&s, "k", b"data");
    let rec = assert_rejected(
        &s,
        &r,
        400,
        "AuthorizationHeaderMalformed",
        "REST.PUT.OBJECT",
    );
    let message = r.text().replace("&apos;", "'");
    assert!(
        message.contains("the region 'eu-west-1' is wrong; expecting 'us-east-1'"),
        "{message}"
    );
    assert!(
        r.text().contains("<Region>us-east-1</Region>"),
        "{}",
        r.text()
    );
    assert_eq!(r.header("x-amz-bucket-region"), Some("us-east-1"));
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "AuthHeader"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "k"), None);

    let target = c.presign(&Call::new("PUT", "/bkt/k"), 300);
    let host = vec![("host".to_owned(), s.addr().to_string())];
    let r = send(s.addr(), "PUT", &target, &host, b"data");
    let rec = assert_rejected(
        &s,
        &r,
        400,
        "AuthorizationQueryParametersError",
        "REST.PUT.OBJECT",
    );
    assert_eq!(r.header("x-amz-bucket-region"), Some("us-east-1"));
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "QueryString"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "k"), None);
}

/// Issue 18, hole 5: SigV4 may carry its time in `Date` when `X-Amz-Date` is absent; the
/// 15-minute rule applies to it, and a request with neither is refused.
#[test]
fn sigv4_time_in_date_header_is_accepted_and_skew_checked() {
    let s = server();
    let r = super::sign::put_with_date_header(&s, "/bkt/dated", b"dated body", 0);
    let rec = assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "AuthHeader"),
        "{rec:?}"
    );
    assert_eq!(
        s.object_bytes(BUCKET, "dated").as_deref(),
        Some(&b"dated body"[..])
    );

    let r = super::sign::put_with_date_header(&s, "/bkt/late", b"x", 20 * 60);
    let rec = assert_rejected(&s, &r, 403, "RequestTimeTooSkewed", "REST.PUT.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "AuthHeader"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "late"), None);

    let c = Client::new(&s);
    let mut p = c.prepare(&Call::new("PUT", "/bkt/undated").body(b"x"));
    p.headers.retain(|(k, _)| k != "x-amz-date");
    let r = p.send(&s);
    let rec = assert_rejected(&s, &r, 403, "AccessDenied", "REST.PUT.OBJECT");
    assert!(
        r.text().contains("a valid Date or x-amz-date header"),
        "{}",
        r.text()
    );
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "AuthHeader"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "undated"), None);
}

/// Issue 18, hole 7: an `Authorization` header and presigned query parameters together are
/// refused (S3 allows one mechanism per request), even when each is valid on its own.
#[test]
fn header_and_query_authentication_together_are_refused() {
    let s = server();
    let c = Client::new(&s);
    let target = c.presign(&Call::new("PUT", "/bkt/both"), 300);
    let mut p = c.prepare(&Call::new("PUT", "/bkt/both").body(b"both"));
    p.target = target;
    let r = p.send(&s);
    let rec = assert_rejected(&s, &r, 400, "InvalidArgument", "REST.PUT.OBJECT");
    assert!(
        r.text().contains("Only one auth mechanism allowed"),
        "{}",
        r.text()
    );
    assert!(
        r.text()
            .contains("<ArgumentName>Authorization</ArgumentName>"),
        "{}",
        r.text()
    );
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "AuthHeader"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "both"), None);
}

/// Temporary credentials from the emulator (valid `lifetime_secs`): (emulator, key, secret,
/// session token).
pub(super) fn temporary_credentials(
    s: &super::Server,
    lifetime_secs: u64,
) -> (
    test_server::credential_emulator::Emulator,
    String,
    String,
    String,
) {
    let config = test_server::credential_emulator::EmulatorConfig {
        lifetime_secs,
        ..Default::default()
    };
    let md =
        test_server::credential_emulator::start(config, s).expect("credential emulator starts");
    let host = vec![("host".to_owned(), md.addr().to_string())];
    let path = "/latest/meta-data/iam/security-credentials/s3up-test-role";
    let r = send(md.addr(), "GET", path, &host, b"");
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("credentials JSON");
    let field = |k: &str| v[k].as_str().expect("credential field").to_owned();
    let (ak, sk, token) = (
        field("AccessKeyId"),
        field("SecretAccessKey"),
        field("Token"),
    );
    (md, ak, sk, token)
}

/// Temporary credentials need their session token (signed), and stop working at expiry.
#[test]
fn temporary_credentials_need_their_token_until_they_expire() {
    let s = server();
    let (_md, ak, sk, token) = temporary_credentials(&s, 3);
    let put = |t: Option<&str>| {
        let mut c = Client::with_keys(&s, &ak, &sk);
        c.creds = s3up::credentials::Credentials::new(&ak, &sk, t.map(str::to_owned));
        c.put(&s, "tmp", b"temporary")
    };
    assert_rejected(&s, &put(None), 403, "InvalidAccessKeyId", "REST.PUT.OBJECT");
    assert_rejected(
        &s,
        &put(Some("not-the-token")),
        400,
        "InvalidToken",
        "REST.PUT.OBJECT",
    );
    assert_eq!(s.object_bytes(BUCKET, "tmp"), None);
    assert_ok(&s, &put(Some(&token)), "REST.PUT.OBJECT");
    assert_eq!(
        s.object_bytes(BUCKET, "tmp").as_deref(),
        Some(&b"temporary"[..])
    );
    std::thread::sleep(std::time::Duration::from_millis(3500));
    assert_rejected(
        &s,
        &put(Some(&token)),
        400,
        "ExpiredToken",
        "REST.PUT.OBJECT",
    );
}

#[test]
fn presigned_validity_beyond_a_week_is_refused() {
    let s = server();
    let c = Client::new(&s);
    let target = c
        .presign(&Call::new("GET", "/bkt/k"), 300)
        .replace("X-Amz-Expires=300", "X-Amz-Expires=604801");
    let host = vec![("host".to_owned(), s.addr().to_string())];
    let r = send(s.addr(), "GET", &target, &host, b"");
    let rec = assert_rejected(
        &s,
        &r,
        400,
        "AuthorizationQueryParametersError",
        "REST.GET.OBJECT",
    );
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "QueryString"),
        "{rec:?}"
    );
}

/// A presigned PUT whose URL carries `x-amz-checksum-crc32` (signed with it, as the AWS SDKs
/// make them): the body must match it, as on S3.
#[test]
fn a_presigned_puts_checksum_parameter_is_checked_like_the_header() {
    let s = server();
    let c = Client::new(&s);
    let host = vec![("host".to_owned(), s.addr().to_string())];
    let body = b"the body of a presigned upload";
    let crc = s3up::checksum::Hasher::of(s3up::checksum::ChecksumAlgorithm::Crc32, body);
    for (key, value, ok) in [
        ("good.bin", crc.as_str(), true),
        ("bad.bin", "AAAAAA==", false),
    ] {
        let call = Call::new("PUT", &format!("/bkt/{key}"))
            .query("x-amz-checksum-crc32", value)
            .query("x-amz-sdk-checksum-algorithm", "CRC32");
        let target = c.presign(&call, 300);
        let r = send(s.addr(), "PUT", &target, &host, body);
        if ok {
            assert_ok(&s, &r, "REST.PUT.OBJECT");
            assert_eq!(s.object_bytes(BUCKET, key).as_deref(), Some(&body[..]));
        } else {
            assert_rejected(&s, &r, 400, "BadDigest", "REST.PUT.OBJECT");
            assert_eq!(
                s.object_bytes(BUCKET, key),
                None,
                "a mismatching body was stored"
            );
        }
    }
}
