//! Keys are keys, not files (issue 19, item 3): `a/b` and `a/b/c` together, `dir/` with a
//! body, 1,024-byte keys with their metadata and ETag, and deletes that leave an empty
//! bucket deletable. Nothing is written outside the root whatever the key.

use super::objects::md5_hex;
use super::{assert_ok, assert_rejected, server, Call, Client, BUCKET};

#[test]
fn a_key_and_its_prefix_are_both_objects() {
    let s = server();
    let c = Client::new(&s);
    for (key, body) in [
        ("a/b", &b"short"[..]),
        ("a/b/c", b"longer"),
        ("dir/", b"a body"),
    ] {
        assert_ok(&s, &c.put(&s, key, body), "REST.PUT.OBJECT");
    }
    for (key, body) in [
        ("a/b", &b"short"[..]),
        ("a/b/c", b"longer"),
        ("dir/", b"a body"),
    ] {
        let r = c.send(&s, &Call::new("GET", &format!("/{BUCKET}/{key}")));
        assert_ok(&s, &r, "REST.GET.OBJECT");
        assert_eq!(r.body, body, "{key}");
        assert_eq!(s.object_bytes(BUCKET, key).as_deref(), Some(body));
    }
    // Replacing one leaves the other alone.
    assert_ok(&s, &c.put(&s, "a/b", b"new"), "REST.PUT.OBJECT");
    assert_eq!(
        s.object_bytes(BUCKET, "a/b/c").as_deref(),
        Some(&b"longer"[..])
    );
    assert_eq!(s.object_bytes(BUCKET, "a/b").as_deref(), Some(&b"new"[..]));
}

#[test]
fn keys_of_1024_bytes_keep_metadata_and_etag() {
    let s = server();
    let c = Client::new(&s);
    let key = format!("{}/{}", "d".repeat(500), "é".repeat(261)); // 500 + 1 + 522 = 1023 bytes
    let key = format!("{key}x");
    assert_eq!(key.len(), 1024);
    let body = b"long key body";
    let r = c.send(
        &s,
        &Call::new("PUT", &format!("/{BUCKET}/{key}"))
            .header("x-amz-meta-colour", "blue")
            .header("content-type", "text/plain")
            .body(body),
    );
    assert_ok(&s, &r, "REST.PUT.OBJECT");
    let want = format!("\"{}\"", md5_hex(body));
    let head = c.send(&s, &Call::new("HEAD", &format!("/{BUCKET}/{key}")));
    assert_eq!(head.status, 200);
    assert_eq!(head.header("etag"), Some(want.as_str()));
    assert_eq!(head.header("x-amz-meta-colour"), Some("blue"));
    assert_eq!(head.header("content-type"), Some("text/plain"));
    let too_long = format!("{key}y");
    let r = c.put(&s, &too_long, b"x");
    assert_rejected(&s, &r, 400, "KeyTooLongError", "REST.PUT.OBJECT");
}

#[test]
fn deleted_keys_leave_the_bucket_deletable() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(
        &s,
        &c.send(&s, &Call::new("PUT", "/fresh")),
        "REST.PUT.BUCKET",
    );
    for key in ["a/b/c/d", "a/b", "x/"] {
        let r = c.send(&s, &Call::new("PUT", &format!("/fresh/{key}")).body(b"x"));
        assert_ok(&s, &r, "REST.PUT.OBJECT");
    }
    for key in ["a/b/c/d", "a/b", "x/"] {
        let r = c.send(&s, &Call::new("DELETE", &format!("/fresh/{key}")));
        assert_ok(&s, &r, "REST.DELETE.OBJECT");
    }
    let r = c.send(&s, &Call::new("DELETE", "/fresh"));
    assert_ok(&s, &r, "REST.DELETE.BUCKET");
    assert_eq!(r.status, 204);
}

#[test]
fn odd_keys_stay_inside_the_root() {
    let s = server_with_outside();
    let c = Client::new(&s.0);
    let keys = [
        "..a/b",
        "x/...",
        "a..b/..c",
        "ü/ñ/漢字",
        "sp ace/+plus",
        "%2e%2e/x",
        "dir/",
    ];
    for key in keys {
        let r = c.send(
            &s.0,
            &Call::new("PUT", &format!("/{BUCKET}/{key}")).body(key.as_bytes()),
        );
        assert_ok(&s.0, &r, "REST.PUT.OBJECT");
        assert_eq!(
            s.0.object_bytes(BUCKET, key).as_deref(),
            Some(key.as_bytes()),
            "{key}"
        );
    }
    let outside: Vec<_> = std::fs::read_dir(s.1.path())
        .expect("parent")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        outside,
        vec![std::ffi::OsString::from("root")],
        "nothing beside the root"
    );
}

/// A server whose root is `DIR/root`, so a test can see that nothing lands beside it.
fn server_with_outside() -> (super::Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let s = super::server_with(|c| c.root = Some(root));
    (s, dir)
}

#[test]
fn objects_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_owned();
    {
        let s = super::server_with(|c| c.root = Some(root.clone()));
        let c = Client::new(&s);
        assert_ok(&s, &c.put(&s, "keep/me", b"v1"), "REST.PUT.OBJECT");
        assert_ok(&s, &c.put(&s, "keep/me", b"v2"), "REST.PUT.OBJECT");
        assert_ok(&s, &c.put(&s, "gone", b"x"), "REST.PUT.OBJECT");
        assert_ok(
            &s,
            &c.send(&s, &Call::new("DELETE", "/bkt/gone")),
            "REST.DELETE.OBJECT",
        );
        s.shutdown();
    }
    let s = super::server_with(|c| c.root = Some(root.clone()));
    let c = Client::new(&s);
    let r = c.send(&s, &Call::new("GET", "/bkt/keep/me"));
    assert_eq!(r.body, b"v2");
    let r = c.send(&s, &Call::new("GET", "/bkt/gone"));
    assert_rejected(&s, &r, 404, "NoSuchKey", "REST.GET.OBJECT");
}
