//! Conditional requests (issue 19, item 4): `If-Match`, `If-None-Match`, `If-Modified-Since`
//! and `If-Unmodified-Since` on GET and HEAD (304/412 as S3), and conditional writes
//! (`If-None-Match: *` and `If-Match` on PUT and CompleteMultipartUpload, 412).

use super::multipart::{complete_xml, create, upload_part};
use super::{assert_ok, assert_rejected, server, server_with, Call, Client, BUCKET};

const PAST: &str = "Sat, 01 Jan 2000 00:00:00 GMT";
const FUTURE: &str = "Fri, 01 Jan 2100 00:00:00 GMT";

#[test]
fn reads_answer_304_and_412_as_s3() {
    let s = server();
    let c = Client::new(&s);
    let put = c.put(&s, "k", b"conditional");
    assert_ok(&s, &put, "REST.PUT.OBJECT");
    let etag = put.header("etag").expect("etag").to_owned();
    for method in ["GET", "HEAD"] {
        let op = format!("REST.{method}.OBJECT");
        let ask = |h: &str, v: &str| c.send(&s, &Call::new(method, "/bkt/k").header(h, v));
        let r = ask("if-none-match", &etag);
        assert_eq!(r.status, 304, "{method} If-None-Match: {}", r.text());
        assert!(r.body.is_empty(), "a 304 has no body");
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(ask("if-modified-since", FUTURE).status, 304, "{method}");
        assert_eq!(ask("if-match", "\"0123\"").status, 412, "{method}");
        assert_eq!(ask("if-unmodified-since", PAST).status, 412, "{method}");
        if method == "GET" {
            let r = ask("if-match", "\"0123\"");
            assert_rejected(&s, &r, 412, "PreconditionFailed", &op);
        }
        for (h, v) in [
            ("if-match", etag.as_str()),
            ("if-match", "*"),
            ("if-none-match", "\"0123\""),
            ("if-modified-since", PAST),
            ("if-unmodified-since", FUTURE),
        ] {
            let r = ask(h, v);
            assert_eq!(r.status, 200, "{method} {h}: {v}");
        }
        // If-Match that holds wins over If-Unmodified-Since (RFC 7232, as S3 does).
        let r = c.send(
            &s,
            &Call::new(method, "/bkt/k")
                .header("if-match", &etag)
                .header("if-unmodified-since", PAST),
        );
        assert_eq!(r.status, 200, "{method}");
    }
    let r = c.send(
        &s,
        &Call::new("GET", "/bkt/k").header("if-none-match", "\"zz\""),
    );
    assert_eq!(r.body, b"conditional");
}

#[test]
fn conditional_puts_refuse_and_keep_the_object() {
    let s = server();
    let c = Client::new(&s);
    let put = c.put(&s, "k", b"first");
    let etag = put.header("etag").expect("etag").to_owned();
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k")
            .header("if-match", "\"0123\"")
            .body(b"x"),
    );
    assert_rejected(&s, &r, 412, "PreconditionFailed", "REST.PUT.OBJECT");
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/new")
            .header("if-match", &etag)
            .body(b"x"),
    );
    assert_rejected(&s, &r, 404, "NoSuchKey", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "new"), None);
    assert_eq!(s.object_bytes(BUCKET, "k").as_deref(), Some(&b"first"[..]));
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k")
            .header("if-match", &etag)
            .body(b"second"),
    );
    assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k").as_deref(), Some(&b"second"[..]));
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k")
            .header("if-none-match", "*")
            .body(b"third"),
    );
    assert_rejected(&s, &r, 412, "PreconditionFailed", "REST.PUT.OBJECT");
}

#[test]
fn conditional_completes_refuse_and_keep_the_upload() {
    let s = server_with(|c| c.min_part_size = 1);
    let c = Client::new(&s);
    let old = c.put(&s, "obj", b"existing");
    let old_etag = old.header("etag").expect("etag").to_owned();
    let id = create(&c, &s, "obj", &[]);
    let e1 = upload_part(&c, &s, "obj", &id, 1, b"multipart");
    let body = complete_xml(&[(1, &e1)], |_| String::new());
    let call = |h: &str, v: &str| {
        Call::new("POST", "/bkt/obj")
            .query("uploadId", &id)
            .header(h, v)
            .body(body.as_bytes())
    };
    let r = c.send(&s, &call("if-none-match", "*"));
    assert_rejected(&s, &r, 412, "PreconditionFailed", "REST.POST.UPLOAD");
    let r = c.send(&s, &call("if-match", "\"0123\""));
    assert_rejected(&s, &r, 412, "PreconditionFailed", "REST.POST.UPLOAD");
    assert_eq!(
        s.object_bytes(BUCKET, "obj").as_deref(),
        Some(&b"existing"[..])
    );
    assert_eq!(
        s.list_multipart_uploads(BUCKET).len(),
        1,
        "the upload survives"
    );
    let r = c.send(&s, &call("if-match", &old_etag));
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    assert_eq!(
        s.object_bytes(BUCKET, "obj").as_deref(),
        Some(&b"multipart"[..])
    );
}
