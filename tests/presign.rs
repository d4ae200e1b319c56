//! `s3up presign` URLs work against a SigV4-verifying server, and expire.

use crate::util::{self, s3up, text, BUCKET};
use s3up::transport::{HttpRequest, Transport, TransportOptions};

fn get(url: &str) -> (u16, Vec<u8>) {
    let t = Transport::new(&TransportOptions::default()).expect("transport");
    let r = t
        .send(&HttpRequest {
            method: "GET",
            url,
            headers: &[],
            body: s3up::body::Body::EMPTY,
        })
        .expect("GET");
    (r.status, r.body)
}

#[test]
fn presigned_get_downloads_and_expires() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let file = util::write_file(dir.path(), "p.txt", b"presigned bytes");
    let out = s3up(
        &server,
        &["cp", file.to_str().expect("f"), "s3://bucket/dir/p q.txt"],
    );
    assert!(out.status.success(), "{}", text(&out));

    let out = s3up(
        &server,
        &["presign", "s3://bucket/dir/p q.txt", "--expires-in", "600"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=600"),
        "{url}"
    );
    assert_eq!(get(&url), (200, b"presigned bytes".to_vec()));
    assert!(
        server
            .access_log_records()
            .iter()
            .any(|r| r.auth_type == "QueryString"),
        "{}",
        server.access_log()
    );

    let out = s3up(
        &server,
        &["presign", "s3://bucket/dir/p q.txt", "--expires-in", "1"],
    );
    let short = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (status, body) = get(&short);
    assert_eq!(
        status,
        403,
        "expired URL must be refused: {}",
        String::from_utf8_lossy(&body)
    );
    let _ = BUCKET;
}

#[test]
fn presign_rejects_bad_expiry_and_method() {
    let server = util::server();
    for args in [
        &["presign", "s3://bucket/k", "--expires-in", "604801"][..],
        &["presign", "s3://bucket/k", "--method", "DELETE"][..],
    ] {
        let out = s3up(&server, args);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    }
}

#[test]
fn a_key_that_is_only_a_prefix_is_no_such_key() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let file = util::write_file(dir.path(), "b.txt", b"inside");
    let out = s3up(
        &server,
        &["cp", file.to_str().expect("f"), "s3://bucket/pre/b.txt"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = s3up(&server, &["presign", "s3://bucket/pre"]);
    let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (status, body) = get(&url);
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("NoSuchKey"));
}
