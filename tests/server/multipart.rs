//! Multipart rules: CompleteMultipartUpload refuses wrong ETags, out-of-order and too-small
//! parts without destroying the upload; unknown upload ids are NoSuchUpload; part numbers are
//! bounded; ListMultipartUploads pages with prefix, delimiter and markers; checksums.

use super::http::{xml_value, Resp};
use super::{assert_ok, assert_rejected, server, server_with, Call, Client, Server, BUCKET};

use s3up::checksum::{ChecksumAlgorithm, Hasher};

pub(super) fn create(c: &Client, s: &Server, key: &str, headers: &[(&str, &str)]) -> String {
    let mut call = Call::new("POST", &format!("/{BUCKET}/{key}")).query("uploads", "");
    for (k, v) in headers {
        call = call.header(k, v);
    }
    let r = c.send(s, &call);
    assert_ok(s, &r, "REST.POST.UPLOADS");
    xml_value(&r.text(), "UploadId").expect("an UploadId")
}

pub(super) fn part_call(key: &str, id: &str, n: u32, body: &[u8]) -> Call {
    Call::new("PUT", &format!("/{BUCKET}/{key}"))
        .query("partNumber", &n.to_string())
        .query("uploadId", id)
        .body(body)
}

pub(super) fn upload_part(
    c: &Client,
    s: &Server,
    key: &str,
    id: &str,
    n: u32,
    body: &[u8],
) -> String {
    let r = c.send(s, &part_call(key, id, n, body));
    assert_ok(s, &r, "REST.PUT.PART");
    r.header("etag").expect("ETag").to_owned()
}

pub(super) fn complete_xml(parts: &[(u32, &str)], extra: impl Fn(u32) -> String) -> String {
    let mut x = String::from("<CompleteMultipartUpload>");
    for (n, etag) in parts {
        x.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag>{}</Part>",
            extra(*n)
        ));
    }
    x.push_str("</CompleteMultipartUpload>");
    x
}

pub(super) fn complete(c: &Client, s: &Server, key: &str, id: &str, parts: &[(u32, &str)]) -> Resp {
    let body = complete_xml(parts, |_| String::new());
    c.send(
        s,
        &Call::new("POST", &format!("/{BUCKET}/{key}"))
            .query("uploadId", id)
            .body(body.as_bytes()),
    )
}

fn pending(s: &Server) -> Vec<(String, String)> {
    s.list_multipart_uploads(BUCKET)
}

#[test]
fn wrong_part_etag_is_refused_without_destroying_the_upload() {
    let s = server();
    let c = Client::new(&s);
    let id = create(&c, &s, "obj", &[]);
    let etag = upload_part(&c, &s, "obj", &id, 1, b"only part");
    let r = complete(
        &c,
        &s,
        "obj",
        &id,
        &[(1, "\"00000000000000000000000000000000\"")],
    );
    assert_rejected(&s, &r, 400, "InvalidPart", "REST.POST.UPLOAD");
    assert_eq!(s.object_bytes(BUCKET, "obj"), None);
    assert_eq!(
        pending(&s),
        vec![("obj".to_owned(), id.clone())],
        "the upload survives a refused Complete"
    );
    // The retry with the right ETag completes it.
    let r = complete(&c, &s, "obj", &id, &[(1, &etag)]);
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    assert!(
        xml_value(&r.text(), "ETag")
            .is_some_and(|e| e.ends_with("-1&quot;") || e.ends_with("-1\"")),
        "{}",
        r.text()
    );
    assert_eq!(
        s.object_bytes(BUCKET, "obj").as_deref(),
        Some(&b"only part"[..])
    );
    assert!(pending(&s).is_empty());
}

#[test]
fn small_part_is_entity_too_small_and_the_upload_can_be_aborted() {
    let s = server();
    let c = Client::new(&s);
    let id = create(&c, &s, "obj", &[]);
    let e1 = upload_part(&c, &s, "obj", &id, 1, &[1u8; 1024]);
    let e2 = upload_part(&c, &s, "obj", &id, 2, &[2u8; 1024]);
    let r = complete(&c, &s, "obj", &id, &[(1, &e1), (2, &e2)]);
    assert_rejected(&s, &r, 400, "EntityTooSmall", "REST.POST.UPLOAD");
    assert_eq!(s.object_bytes(BUCKET, "obj"), None);
    assert_eq!(pending(&s).len(), 1);
    let r = c.send(&s, &Call::new("GET", "/bkt/obj").query("uploadId", &id));
    assert_ok(&s, &r, "REST.GET.UPLOAD");
    assert_eq!(
        r.text().matches("<Part>").count(),
        2,
        "both parts are still there: {}",
        r.text()
    );
    let r = c.send(&s, &Call::new("DELETE", "/bkt/obj").query("uploadId", &id));
    assert_eq!(r.status, 204);
    assert_ok(&s, &r, "REST.DELETE.UPLOAD");
    assert!(pending(&s).is_empty());
}

#[test]
fn min_part_size_and_max_parts_are_configurable() {
    let s = server_with(|c| {
        c.min_part_size = 1000;
        c.max_parts = 3;
    });
    let c = Client::new(&s);
    let id = create(&c, &s, "obj", &[]);
    let r = c.send(&s, &part_call("obj", &id, 4, b"x"));
    assert_rejected(&s, &r, 400, "InvalidArgument", "REST.PUT.PART");
    let e1 = upload_part(&c, &s, "obj", &id, 1, &[1u8; 999]);
    let e2 = upload_part(&c, &s, "obj", &id, 2, &[2u8; 10]);
    let r = complete(&c, &s, "obj", &id, &[(1, &e1), (2, &e2)]);
    assert_rejected(&s, &r, 400, "EntityTooSmall", "REST.POST.UPLOAD");
    let e1 = upload_part(&c, &s, "obj", &id, 1, &[1u8; 1000]);
    let e3 = upload_part(&c, &s, "obj", &id, 3, &[3u8; 1000]);
    let r = complete(&c, &s, "obj", &id, &[(1, &e1), (2, &e2), (3, &e3)]);
    assert_rejected(&s, &r, 400, "EntityTooSmall", "REST.POST.UPLOAD");
    let r = complete(&c, &s, "obj", &id, &[(1, &e1), (3, &e3)]);
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    let stored = s.object_bytes(BUCKET, "obj").expect("object");
    assert_eq!(stored.len(), 2000);
    assert!(stored[..1000].iter().all(|&b| b == 1) && stored[1000..].iter().all(|&b| b == 3));
}

#[test]
fn default_part_number_bounds() {
    let s = server();
    let c = Client::new(&s);
    let id = create(&c, &s, "obj", &[]);
    for n in [0, 10_001] {
        let r = c.send(&s, &part_call("obj", &id, n, b"x"));
        assert_rejected(&s, &r, 400, "InvalidArgument", "REST.PUT.PART");
    }
    upload_part(&c, &s, "obj", &id, 10_000, b"x");
}

#[test]
fn unknown_upload_id_is_no_such_upload() {
    let s = server();
    let c = Client::new(&s);
    let bogus = "0123456789abcdef0123456789abcdef0123456789abcdef";
    for id in [bogus, "../../etc", "not-an-id"] {
        let r = c.send(&s, &part_call("obj", id, 1, b"x"));
        assert_rejected(&s, &r, 404, "NoSuchUpload", "REST.PUT.PART");
        let r = complete(&c, &s, "obj", id, &[(1, "\"x\"")]);
        assert_rejected(&s, &r, 404, "NoSuchUpload", "REST.POST.UPLOAD");
        let r = c.send(&s, &Call::new("DELETE", "/bkt/obj").query("uploadId", id));
        assert_rejected(&s, &r, 404, "NoSuchUpload", "REST.DELETE.UPLOAD");
    }
    // An upload id is bound to its key.
    let id = create(&c, &s, "mine", &[]);
    let r = c.send(&s, &part_call("other", &id, 1, b"x"));
    assert_rejected(&s, &r, 404, "NoSuchUpload", "REST.PUT.PART");
    assert_eq!(s.object_bytes(BUCKET, "obj"), None);
}

#[test]
fn parts_out_of_order_are_refused() {
    let s = server_with(|c| c.min_part_size = 1);
    let c = Client::new(&s);
    let id = create(&c, &s, "obj", &[]);
    let e1 = upload_part(&c, &s, "obj", &id, 1, b"a");
    let e2 = upload_part(&c, &s, "obj", &id, 2, b"b");
    let r = complete(&c, &s, "obj", &id, &[(2, &e2), (1, &e1)]);
    assert_rejected(&s, &r, 400, "InvalidPartOrder", "REST.POST.UPLOAD");
    let r = complete(&c, &s, "obj", &id, &[(1, &e1), (1, &e1)]);
    assert_rejected(&s, &r, 400, "InvalidPartOrder", "REST.POST.UPLOAD");
    let r = complete(&c, &s, "obj", &id, &[(1, &e1), (3, &e2)]);
    assert_rejected(&s, &r, 400, "InvalidPart", "REST.POST.UPLOAD");
    assert_eq!(s.object_bytes(BUCKET, "obj"), None);
    assert_ok(
        &s,
        &complete(&c, &s, "obj", &id, &[(1, &e1), (2, &e2)]),
        "REST.POST.UPLOAD",
    );
    assert_eq!(s.object_bytes(BUCKET, "obj").as_deref(), Some(&b"ab"[..]));
}

#[test]
fn list_multipart_uploads_with_prefix_delimiter_and_markers() {
    let s = server();
    let c = Client::new(&s);
    let a1 = create(&c, &s, "a/1", &[]);
    let a1b = create(&c, &s, "a/1", &[]);
    let a2 = create(&c, &s, "a/2", &[]);
    let _b1 = create(&c, &s, "b/1", &[]);
    let list = |q: &[(&str, &str)]| {
        let mut call = Call::new("GET", "/bkt").query("uploads", "");
        for (k, v) in q {
            call = call.query(k, v);
        }
        let r = c.send(&s, &call);
        assert_ok(&s, &r, "REST.GET.UPLOADS");
        r.text()
    };
    let ids = |xml: &str| -> Vec<String> {
        xml.split("<UploadId>")
            .skip(1)
            .filter_map(|p| p.split("</UploadId>").next())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(ids(&list(&[])).len(), 4);
    let a_first: Vec<String> = {
        let mut v = vec![a1.clone(), a1b.clone()];
        v.sort();
        v.push(a2.clone());
        v
    };
    assert_eq!(ids(&list(&[("prefix", "a/")])), a_first);

    let page = list(&[("prefix", "a/"), ("max-uploads", "1")]);
    assert!(page.contains("<IsTruncated>true</IsTruncated>"), "{page}");
    let key = xml_value(&page, "NextKeyMarker").expect("next key marker");
    let upload = xml_value(&page, "NextUploadIdMarker").expect("next upload id marker");
    assert_eq!(
        (key.as_str(), upload.as_str()),
        ("a/1", a_first[0].as_str())
    );
    let rest = list(&[
        ("prefix", "a/"),
        ("key-marker", &key),
        ("upload-id-marker", &upload),
    ]);
    assert_eq!(ids(&rest), a_first[1..].to_vec());
    let after_key = list(&[("key-marker", "a/1")]);
    assert_eq!(ids(&after_key).len(), 2, "a/2 and b/1: {after_key}");

    let grouped = list(&[("delimiter", "/")]);
    assert!(
        grouped.contains("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"),
        "{grouped}"
    );
    assert!(
        grouped.contains("<CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"),
        "{grouped}"
    );
    assert!(ids(&grouped).is_empty());
    assert_eq!(s.list_multipart_uploads(BUCKET).len(), 4);
}

#[test]
fn composite_crc32_checksums_are_checked_and_reported() {
    let s = server_with(|c| c.min_part_size = 1024);
    let c = Client::new(&s);
    let id = create(&c, &s, "obj", &[("x-amz-checksum-algorithm", "CRC32")]);
    let parts: Vec<Vec<u8>> = vec![vec![7u8; 2048], vec![9u8; 100]];
    let mut etags = Vec::new();
    let mut crcs = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let crc = Hasher::of(ChecksumAlgorithm::Crc32, p);
        let n = u32::try_from(i + 1).expect("small");
        // A wrong part checksum is BadDigest and stores nothing.
        let bad = part_call("obj", &id, n, p).header("x-amz-checksum-crc32", "AAAAAA==");
        assert_rejected(&s, &c.send(&s, &bad), 400, "BadDigest", "REST.PUT.PART");
        let r = c.send(
            &s,
            &part_call("obj", &id, n, p).header("x-amz-checksum-crc32", &crc),
        );
        assert_ok(&s, &r, "REST.PUT.PART");
        assert_eq!(r.header("x-amz-checksum-crc32"), Some(crc.as_str()));
        etags.push(r.header("etag").expect("etag").to_owned());
        crcs.push(crc);
    }
    let refs: Vec<(u32, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (u32::try_from(i + 1).expect("small"), e.as_str()))
        .collect();
    // COMPOSITE needs each part's checksum in the Complete request.
    let r = complete(&c, &s, "obj", &id, &refs);
    assert_rejected(&s, &r, 400, "InvalidPart", "REST.POST.UPLOAD");
    let body = complete_xml(&refs, |n| {
        format!("<ChecksumCRC32>{}</ChecksumCRC32>", crcs[n as usize - 1])
    });
    let r = c.send(
        &s,
        &Call::new("POST", "/bkt/obj")
            .query("uploadId", &id)
            .body(body.as_bytes()),
    );
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    let reported = xml_value(&r.text(), "ChecksumCRC32").expect("object checksum");
    assert!(reported.ends_with("-2"), "{reported}");
    let head = c.send(
        &s,
        &Call::new("HEAD", "/bkt/obj").header("x-amz-checksum-mode", "ENABLED"),
    );
    assert_eq!(head.header("x-amz-checksum-crc32"), Some(reported.as_str()));
    assert_eq!(head.header("x-amz-checksum-type"), Some("COMPOSITE"));
}

#[test]
fn full_object_crc64nvme_is_reported_and_checked() {
    let s = server_with(|c| c.min_part_size = 1024);
    let c = Client::new(&s);
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
    let whole = Hasher::of(ChecksumAlgorithm::Crc64Nvme, &data);
    let id = create(
        &c,
        &s,
        "obj",
        &[
            ("x-amz-checksum-algorithm", "CRC64NVME"),
            ("x-amz-checksum-type", "FULL_OBJECT"),
        ],
    );
    let e1 = upload_part(&c, &s, "obj", &id, 1, &data[..3000]);
    let e2 = upload_part(&c, &s, "obj", &id, 2, &data[3000..]);
    let body = complete_xml(&[(1, &e1), (2, &e2)], |_| String::new());
    let wrong = Call::new("POST", "/bkt/obj")
        .query("uploadId", &id)
        .header("x-amz-checksum-crc64nvme", "AAAAAAAAAAA=")
        .body(body.as_bytes());
    assert_rejected(
        &s,
        &c.send(&s, &wrong),
        400,
        "BadDigest",
        "REST.POST.UPLOAD",
    );
    assert_eq!(s.object_bytes(BUCKET, "obj"), None);
    let right = Call::new("POST", "/bkt/obj")
        .query("uploadId", &id)
        .header("x-amz-checksum-crc64nvme", &whole)
        .body(body.as_bytes());
    let r = c.send(&s, &right);
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    assert_eq!(
        xml_value(&r.text(), "ChecksumCRC64NVME").as_deref(),
        Some(whole.as_str())
    );
    assert_eq!(
        xml_value(&r.text(), "ChecksumType").as_deref(),
        Some("FULL_OBJECT")
    );
    let head = c.send(
        &s,
        &Call::new("HEAD", "/bkt/obj").header("x-amz-checksum-mode", "ENABLED"),
    );
    assert_eq!(
        head.header("x-amz-checksum-crc64nvme"),
        Some(whole.as_str())
    );
    let plain = c.send(&s, &Call::new("HEAD", "/bkt/obj"));
    assert_eq!(
        plain.header("x-amz-checksum-crc64nvme"),
        None,
        "checksums only with checksum mode"
    );
    assert_eq!(s.object_bytes(BUCKET, "obj"), Some(data));
}

#[test]
fn invalid_checksum_type_combinations_are_refused() {
    let s = server();
    let c = Client::new(&s);
    let call = Call::new("POST", "/bkt/obj")
        .query("uploads", "")
        .header("x-amz-checksum-algorithm", "SHA256")
        .header("x-amz-checksum-type", "FULL_OBJECT");
    assert_rejected(
        &s,
        &c.send(&s, &call),
        400,
        "InvalidRequest",
        "REST.POST.UPLOADS",
    );
    assert!(pending(&s).is_empty());
}
