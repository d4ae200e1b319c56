//! SigV4 verification: wrong secret, unknown key, tampered body and headers, clock skew
//! (server clock and offset), unsigned headers, anonymous and presigned requests.

use super::http::send;
use super::{assert_ok, assert_rejected, log_line, server, server_with, Call, Client, BUCKET};

const OLD: &[u8] = b"the previous object, which must survive";

#[test]
fn wrong_secret_is_refused_and_logged() {
    let s = server();
    let c = Client::with_keys(&s, s.access_key(), "not-the-secret");
    let r = c.put(&s, "k", b"data");
    let line = assert_rejected(&s, &r, 403, "SignatureDoesNotMatch", "REST.PUT.OBJECT");
    assert!(
        line.contains(" SigV4 ") && line.contains(" AuthHeader "),
        "{line}"
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
    let line = assert_rejected(&s, &r, 403, "RequestTimeTooSkewed", "REST.PUT.OBJECT");
    assert!(line.ends_with(" fault:clock-offset-3600s"), "{line}");
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
    let line = assert_rejected(&s, &r, 403, "AccessDenied", "REST.PUT.OBJECT");
    assert!(line.contains("\" - ") || line.contains(" - - "), "{line}");
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
    let line = assert_ok(&s, &r, "REST.GET.OBJECT");
    assert_eq!(r.body, b"hello");
    assert!(
        line.contains(" SigV4 ") && line.contains(" QueryString "),
        "{line}"
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
    let line = assert_ok(&s, &r, "REST.HEAD.BUCKET");
    assert!(
        line.starts_with(&format!(
            "{} {BUCKET} [",
            line.split(' ').next().unwrap_or_default()
        )),
        "{line}"
    );
    assert_eq!(log_line(&s, &r.request_id()), line);
}
