//! Single objects: keys that would escape the bucket, bad Content-MD5 and checksums never
//! replace or create an object, checksum reporting, virtual-hosted style, buckets.

use super::{assert_ok, assert_rejected, server, server_with, Call, Client, BUCKET};

use base64::Engine as _;
use s3up::checksum::{ChecksumAlgorithm, Hasher};

const OLD: &[u8] = b"old bytes that must survive";

pub(super) fn md5_b64(data: &[u8]) -> String {
    // MD5 via the server's own crate would not be independent; compute it here.
    base64::engine::general_purpose::STANDARD.encode(md5(data))
}

/// Lower-case hex MD5 (an S3 ETag without its quotes).
pub(super) fn md5_hex(data: &[u8]) -> String {
    md5(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 1321 MD5, small and slow, for tests only.
pub(super) fn md5(input: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64)
        .map(|i: i32| ((f64::from(i) + 1.0).sin().abs() * 4_294_967_296.0) as u32)
        .collect();
    let mut msg = input.to_vec();
    let bit_len = (input.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    let (mut a0, mut b0, mut c0, mut d0) = (
        0x6745_2301u32,
        0xefcd_ab89u32,
        0x98ba_dcfeu32,
        0x1032_5476u32,
    );
    for chunk in msg.chunks(64) {
        let m: Vec<u32> = chunk
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, w) in [a0, b0, c0, d0].iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    out
}

#[test]
fn md5_helper_matches_rfc_1321() {
    let hex: String = md5(b"abc").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "900150983cd24fb0d6963f7d28e17f72");
}

#[test]
fn dot_dot_keys_are_refused_and_nothing_escapes() {
    let s = server_with(|c| c.buckets.push("other".to_owned()));
    let c = Client::new(&s);
    for key in ["../other/x", "a/../../b", "a/./b", "..", "a//b"] {
        let r = c.put(&s, key, b"escape attempt");
        assert_rejected(&s, &r, 400, "InvalidArgument", "REST.PUT.OBJECT");
        assert!(r.text().contains("Invalid object key"), "{}", r.text());
        let r = c.send(
            &s,
            &Call::new("POST", &format!("/{BUCKET}/{key}")).query("uploads", ""),
        );
        assert_rejected(&s, &r, 400, "InvalidArgument", "REST.POST.UPLOADS");
    }
    assert_eq!(s.object_bytes("other", "x"), None);
    assert!(!s.root().join("b").exists() && !s.root().join("x").exists());
    assert!(s.list_multipart_uploads(BUCKET).is_empty());
}

#[test]
fn bad_content_md5_never_replaces_or_creates() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", OLD), "REST.PUT.OBJECT");
    let body = b"new bytes";
    let wrong = md5_b64(b"something else");
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k")
            .header("content-md5", &wrong)
            .body(body),
    );
    assert_rejected(&s, &r, 400, "BadDigest", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k").as_deref(), Some(OLD));
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/new")
            .header("content-md5", &wrong)
            .body(body),
    );
    assert_rejected(&s, &r, 400, "BadDigest", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "new"), None);
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/new")
            .header("content-md5", "not base64!")
            .body(body),
    );
    assert_rejected(&s, &r, 400, "InvalidDigest", "REST.PUT.OBJECT");
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k")
            .header("content-md5", &md5_b64(body))
            .body(body),
    );
    assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k").as_deref(), Some(&body[..]));
}

#[test]
fn bad_checksum_header_never_replaces_and_good_ones_are_reported() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", OLD), "REST.PUT.OBJECT");
    let body = b"checksummed";
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha256,
    ] {
        let wrong = Hasher::of(alg, b"other bytes");
        let r = c.send(
            &s,
            &Call::new("PUT", "/bkt/k")
                .header(&alg.header(), &wrong)
                .body(body),
        );
        assert_rejected(&s, &r, 400, "BadDigest", "REST.PUT.OBJECT");
        assert_eq!(s.object_bytes(BUCKET, "k").as_deref(), Some(OLD));
    }
    let sha = Hasher::of(ChecksumAlgorithm::Sha256, body);
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k")
            .header("x-amz-checksum-sha256", &sha)
            .body(body),
    );
    assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert_eq!(r.header("x-amz-checksum-sha256"), Some(sha.as_str()));
    let head = c.send(
        &s,
        &Call::new("HEAD", "/bkt/k").header("x-amz-checksum-mode", "ENABLED"),
    );
    assert_eq!(head.header("x-amz-checksum-sha256"), Some(sha.as_str()));
    assert_eq!(head.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
}

#[test]
fn objects_without_checksum_get_crc64nvme_like_s3() {
    let s = server();
    let c = Client::new(&s);
    let body = b"no checksum sent";
    let r = c.put(&s, "k", body);
    assert_ok(&s, &r, "REST.PUT.OBJECT");
    let want = Hasher::of(ChecksumAlgorithm::Crc64Nvme, body);
    let get = c.send(
        &s,
        &Call::new("GET", "/bkt/k").header("x-amz-checksum-mode", "ENABLED"),
    );
    assert_ok(&s, &get, "REST.GET.OBJECT");
    assert_eq!(get.body, body);
    assert_eq!(get.header("x-amz-checksum-crc64nvme"), Some(want.as_str()));
    assert_eq!(get.header("content-type"), Some("binary/octet-stream"));
}

#[test]
fn if_none_match_star_protects_existing_objects() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", OLD), "REST.PUT.OBJECT");
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k")
            .header("if-none-match", "*")
            .body(b"new"),
    );
    assert_rejected(&s, &r, 412, "PreconditionFailed", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k").as_deref(), Some(OLD));
}

#[test]
fn virtual_hosted_style_uses_the_host_header() {
    let s = server_with(|c| c.domain = Some("localhost".to_owned()));
    let mut c = Client::new(&s);
    c.host = format!("{BUCKET}.localhost:{}", s.addr().port());
    let r = c.send(&s, &Call::new("PUT", "/dir/v h.txt").body(b"virtual"));
    let rec = assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert_eq!(
        (rec.bucket.as_deref(), rec.key.as_str()),
        (Some(BUCKET), "dir/v%20h.txt"),
        "{rec:?}"
    );
    assert_eq!(
        s.object_bytes(BUCKET, "dir/v h.txt").as_deref(),
        Some(&b"virtual"[..])
    );
    // Path style keeps working on the same server.
    let path_style = Client::new(&s);
    let r = path_style.send(&s, &Call::new("GET", "/bkt/dir/v h.txt"));
    assert_eq!(r.body, b"virtual");
}

#[test]
fn buckets_are_created_listed_located_and_only_deleted_when_empty() {
    let s = server_with(|c| c.region = "eu-west-1".to_owned());
    let c = Client::new(&s);
    assert_ok(
        &s,
        &c.send(&s, &Call::new("PUT", "/fresh")),
        "REST.PUT.BUCKET",
    );
    let r = c.send(&s, &Call::new("PUT", "/fresh"));
    assert_rejected(&s, &r, 409, "BucketAlreadyOwnedByYou", "REST.PUT.BUCKET");
    let r = c.send(&s, &Call::new("GET", "/"));
    assert!(
        r.text().contains("<Name>fresh</Name>") && r.text().contains("<Name>bkt</Name>"),
        "{}",
        r.text()
    );
    let r = c.send(&s, &Call::new("GET", "/fresh").query("location", ""));
    assert!(
        r.text().contains(">eu-west-1</LocationConstraint>"),
        "{}",
        r.text()
    );
    let r = c.send(&s, &Call::new("HEAD", "/fresh"));
    assert_eq!(r.header("x-amz-bucket-region"), Some("eu-west-1"));
    assert_ok(
        &s,
        &c.send(&s, &Call::new("PUT", "/fresh/k").body(b"x")),
        "REST.PUT.OBJECT",
    );
    let r = c.send(&s, &Call::new("DELETE", "/fresh"));
    assert_rejected(&s, &r, 409, "BucketNotEmpty", "REST.DELETE.BUCKET");
    assert_ok(
        &s,
        &c.send(&s, &Call::new("DELETE", "/fresh/k")),
        "REST.DELETE.OBJECT",
    );
    assert_ok(
        &s,
        &c.send(&s, &Call::new("DELETE", "/fresh")),
        "REST.DELETE.BUCKET",
    );
    let r = c.put(&s, "../fresh", b"x");
    assert_eq!(r.status, 400);
    let r = c.send(&s, &Call::new("PUT", "/nosuch/k").body(b"x"));
    assert_rejected(&s, &r, 404, "NoSuchBucket", "REST.PUT.OBJECT");
}

#[test]
fn json_log_has_payload_mode_key_region_and_verdict() {
    let s = server_with(|c| c.log_format = test_server::LogFormat::Json);
    let c = Client::new(&s);
    let ok = c.put(&s, "j", b"json");
    let bad = Client::with_keys(&s, s.access_key(), "wrong").put(&s, "j2", b"x");
    super::log_record(&s, &ok.request_id());
    super::log_record(&s, &bad.request_id());
    for line in s.access_log().lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("one JSON object per line");
    }
    let v = super::log_record(&s, &ok.request_id());
    assert_eq!(v.operation, "REST.PUT.OBJECT");
    assert_eq!(v.payload_mode, "signed");
    assert_eq!(v.access_key_id.as_deref(), Some(s.access_key()));
    assert_eq!(v.region.as_deref(), Some("us-east-1"));
    assert_eq!(v.verdict, "accepted");
    assert_eq!(v.signature_version, "SigV4");
    assert_eq!(v.auth_type, "AuthHeader");
    let v = super::log_record(&s, &bad.request_id());
    assert_eq!(v.verdict, "rejected");
    assert_eq!(v.error_code.as_deref(), Some("SignatureDoesNotMatch"));
    assert_eq!(v.status, 403);
}
