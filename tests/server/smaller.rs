//! The smaller differences from S3 (issue 19, item 6): DeleteObjects honours `<Quiet>` and
//! refuses more than 1,000 keys; `Accept-Ranges: bytes` on GET/HEAD; checksum mismatches are
//! BadDigest; server-side-encryption headers are stored and echoed.

use super::multipart::{complete, create, part_call};
use super::objects::md5_b64;
use super::{assert_ok, assert_rejected, server, server_with, Call, Client, Server, BUCKET};

fn delete_objects(c: &Client, s: &Server, keys: &[String], quiet: bool) -> super::http::Resp {
    let mut xml = String::from("<Delete>");
    if quiet {
        xml.push_str("<Quiet>true</Quiet>");
    }
    for k in keys {
        xml.push_str(&format!("<Object><Key>{k}</Key></Object>"));
    }
    xml.push_str("</Delete>");
    c.send(
        s,
        &Call::new("POST", "/bkt")
            .query("delete", "")
            .header("content-md5", &md5_b64(xml.as_bytes()))
            .body(xml.as_bytes()),
    )
}

#[test]
fn delete_objects_is_quiet_when_asked_and_takes_at_most_1000_keys() {
    let s = server();
    let c = Client::new(&s);
    let keys: Vec<String> = (0..4).map(|i| format!("k{i}")).collect();
    for k in &keys {
        assert_ok(&s, &c.put(&s, k, b"x"), "REST.PUT.OBJECT");
    }
    let r = delete_objects(&c, &s, &keys[..2], false);
    assert_ok(&s, &r, "REST.POST.MULTI_OBJECT_DELETE");
    assert_eq!(r.text().matches("<Deleted>").count(), 2, "{}", r.text());
    let r = delete_objects(&c, &s, &keys[2..], true);
    assert_ok(&s, &r, "REST.POST.MULTI_OBJECT_DELETE");
    assert!(!r.text().contains("<Deleted>"), "quiet: {}", r.text());
    for k in &keys {
        assert_eq!(s.object_bytes(BUCKET, k), None);
    }
    assert_ok(&s, &c.put(&s, "survivor", b"x"), "REST.PUT.OBJECT");
    let many: Vec<String> = (0..1001)
        .map(|i| format!("m{i}"))
        .chain(["survivor".to_owned()])
        .collect();
    let r = delete_objects(&c, &s, &many, false);
    assert_rejected(&s, &r, 400, "MalformedXML", "REST.POST.MULTI_OBJECT_DELETE");
    assert!(s.object_bytes(BUCKET, "survivor").is_some());
}

#[test]
fn get_and_head_accept_ranges() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", b"0123456789"), "REST.PUT.OBJECT");
    for method in ["GET", "HEAD"] {
        let r = c.send(&s, &Call::new(method, "/bkt/k"));
        assert_eq!(r.header("accept-ranges"), Some("bytes"), "{method}");
    }
    let r = c.send(&s, &Call::new("GET", "/bkt/k").header("range", "bytes=2-4"));
    assert_eq!((r.status, r.body.as_slice()), (206, &b"234"[..]));
    assert_eq!(r.header("content-range"), Some("bytes 2-4/10"));
}

#[test]
fn checksum_mismatches_are_bad_digest() {
    let s = server_with(|c| c.min_part_size = 1);
    let c = Client::new(&s);
    let body = b"digested";
    // PUT with the other algorithms' headers: objects.rs. SHA-1 too, with a well-formed
    // value (20 zero bytes) that no body here has.
    let zero_sha1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let sha1 = |call: Call| call.header("x-amz-checksum-sha1", zero_sha1);
    let r = c.send(&s, &sha1(Call::new("PUT", "/bkt/k").body(body)));
    assert_rejected(&s, &r, 400, "BadDigest", "REST.PUT.OBJECT");
    let id = create(&c, &s, "mp", &[]);
    let r = c.send(&s, &sha1(part_call("mp", &id, 1, body)));
    assert_rejected(&s, &r, 400, "BadDigest", "REST.PUT.PART");
    let wrong_md5 = part_call("mp", &id, 1, body).header("content-md5", &md5_b64(b"other"));
    assert_rejected(
        &s,
        &c.send(&s, &wrong_md5),
        400,
        "BadDigest",
        "REST.PUT.PART",
    );
    assert_eq!(s.object_bytes(BUCKET, "k"), None);
    let listed = c.send(&s, &Call::new("GET", "/bkt/mp").query("uploadId", &id));
    assert!(
        !listed.text().contains("<Part>"),
        "no part was stored: {}",
        listed.text()
    );
}

#[test]
fn server_side_encryption_is_stored_and_echoed() {
    let s = server_with(|c| c.min_part_size = 1);
    let c = Client::new(&s);
    let put = c.send(
        &s,
        &Call::new("PUT", "/bkt/kms")
            .header("x-amz-server-side-encryption", "aws:kms")
            .header("x-amz-server-side-encryption-aws-kms-key-id", "my-key")
            .body(b"secret"),
    );
    assert_ok(&s, &put, "REST.PUT.OBJECT");
    for r in [
        &put,
        &c.send(&s, &Call::new("HEAD", "/bkt/kms")),
        &c.send(&s, &Call::new("GET", "/bkt/kms")),
    ] {
        assert_eq!(r.header("x-amz-server-side-encryption"), Some("aws:kms"));
        assert_eq!(
            r.header("x-amz-server-side-encryption-aws-kms-key-id"),
            Some("my-key")
        );
    }
    let id = create(&c, &s, "aes", &[("x-amz-server-side-encryption", "AES256")]);
    let part = c.send(&s, &part_call("aes", &id, 1, b"part"));
    assert_eq!(part.header("x-amz-server-side-encryption"), Some("AES256"));
    let etag = part.header("etag").expect("etag").to_owned();
    let done = complete(&c, &s, "aes", &id, &[(1, &etag)]);
    assert_ok(&s, &done, "REST.POST.UPLOAD");
    assert_eq!(done.header("x-amz-server-side-encryption"), Some("AES256"));
    let head = c.send(&s, &Call::new("HEAD", "/bkt/aes"));
    assert_eq!(head.header("x-amz-server-side-encryption"), Some("AES256"));
    let plain = c.send(&s, &Call::new("HEAD", "/bkt/kms2"));
    assert_eq!(plain.header("x-amz-server-side-encryption"), None);
    let bad = c.send(
        &s,
        &Call::new("PUT", "/bkt/bad")
            .header("x-amz-server-side-encryption", "rot13")
            .body(b"x"),
    );
    assert_rejected(&s, &bad, 400, "InvalidArgument", "REST.PUT.OBJECT");
}
