//! Multipart and copy (issue 19, item 5): a Complete retried after it succeeded answers 200
//! with the same ETag; UploadPartCopy with ranges; GET/HEAD with `partNumber` and
//! `x-amz-mp-parts-count`; GetObjectAttributes; a copy onto itself without a change refused;
//! ListObjectVersions of an unversioned bucket shows `null` versions.

use super::http::xml_value;
use super::multipart::{complete, create, upload_part};
use super::{assert_ok, assert_rejected, server, server_with, Call, Client, Server, BUCKET};

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A two-part object `obj` (parts of 3000 and 1000 bytes) on a server with 1 KiB parts.
fn two_part_object() -> (Server, Client, Vec<u8>) {
    let s = server_with(|c| c.min_part_size = 1024);
    let c = Client::new(&s);
    let body = data(4000, 7);
    let id = create(
        &c,
        &s,
        "obj",
        &[
            ("x-amz-checksum-algorithm", "CRC32"),
            ("x-amz-checksum-type", "FULL_OBJECT"),
        ],
    );
    let e1 = upload_part(&c, &s, "obj", &id, 1, &body[..3000]);
    let e2 = upload_part(&c, &s, "obj", &id, 2, &body[3000..]);
    let r = complete(&c, &s, "obj", &id, &[(1, &e1), (2, &e2)]);
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    (s, c, body)
}

#[test]
fn a_retried_complete_gets_the_same_answer() {
    let s = server_with(|c| c.min_part_size = 1);
    let c = Client::new(&s);
    let id = create(&c, &s, "obj", &[]);
    let e1 = upload_part(&c, &s, "obj", &id, 1, b"first part");
    let first = complete(&c, &s, "obj", &id, &[(1, &e1)]);
    assert_ok(&s, &first, "REST.POST.UPLOAD");
    let again = complete(&c, &s, "obj", &id, &[(1, &e1)]);
    assert_ok(&s, &again, "REST.POST.UPLOAD");
    assert_eq!(
        xml_value(&again.text(), "ETag"),
        xml_value(&first.text(), "ETag")
    );
    assert!(s.list_multipart_uploads(BUCKET).is_empty());
    // The upload itself is gone: parts and aborts are refused, as on S3.
    let r = c.send(&s, &super::multipart::part_call("obj", &id, 2, b"late"));
    assert_rejected(&s, &r, 404, "NoSuchUpload", "REST.PUT.PART");
    let other = complete(
        &c,
        &s,
        "obj",
        &id,
        &[(1, "\"00000000000000000000000000000000\"")],
    );
    assert_rejected(&s, &other, 404, "NoSuchUpload", "REST.POST.UPLOAD");
}

#[test]
fn upload_part_copy_copies_ranges() {
    let s = server_with(|c| c.min_part_size = 1000);
    let c = Client::new(&s);
    let src = data(3000, 1);
    assert_ok(&s, &c.put(&s, "src", &src), "REST.PUT.OBJECT");
    let id = create(&c, &s, "dst", &[]);
    let copy = |n: u32, range: Option<&str>| {
        let mut call = Call::new("PUT", "/bkt/dst")
            .query("partNumber", &n.to_string())
            .query("uploadId", &id)
            .header("x-amz-copy-source", "/bkt/src");
        if let Some(r) = range {
            call = call.header("x-amz-copy-source-range", r);
        }
        c.send(&s, &call)
    };
    let r1 = copy(1, Some("bytes=1000-2999"));
    assert_ok(&s, &r1, "REST.COPY.PART");
    let e1 = xml_value(&r1.text(), "ETag")
        .expect("CopyPartResult ETag")
        .replace("&quot;", "\"");
    let r2 = copy(2, None);
    assert_ok(&s, &r2, "REST.COPY.PART");
    let e2 = xml_value(&r2.text(), "ETag")
        .expect("ETag")
        .replace("&quot;", "\"");
    let bad = copy(3, Some("bytes=2000-3000"));
    assert_rejected(&s, &bad, 416, "InvalidRange", "REST.COPY.PART");
    let r = complete(&c, &s, "dst", &id, &[(1, &e1), (2, &e2)]);
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    let mut want = src[1000..].to_vec();
    want.extend_from_slice(&src);
    assert_eq!(s.object_bytes(BUCKET, "dst"), Some(want));
}

#[test]
fn part_numbers_select_parts_on_get_and_head() {
    let (s, c, body) = two_part_object();
    let head = c.send(&s, &Call::new("HEAD", "/bkt/obj").query("partNumber", "1"));
    assert_eq!(head.status, 206);
    assert_eq!(head.header("content-length"), Some("3000"));
    assert_eq!(head.header("x-amz-mp-parts-count"), Some("2"));
    assert_eq!(head.header("content-range"), Some("bytes 0-2999/4000"));
    let get = c.send(&s, &Call::new("GET", "/bkt/obj").query("partNumber", "2"));
    assert_eq!(get.status, 206);
    assert_eq!(get.body, &body[3000..]);
    assert_eq!(get.header("x-amz-mp-parts-count"), Some("2"));
    let r = c.send(&s, &Call::new("GET", "/bkt/obj").query("partNumber", "3"));
    assert_rejected(&s, &r, 416, "InvalidPartNumber", "REST.GET.OBJECT");
    let plain = c.send(&s, &Call::new("HEAD", "/bkt/obj"));
    assert_eq!(plain.header("content-length"), Some("4000"));
}

#[test]
fn a_part_read_with_checksum_mode_reports_the_parts_checksum() {
    let (s, c, body) = two_part_object();
    let crc =
        |bytes: &[u8]| s3up::checksum::Hasher::of(s3up::checksum::ChecksumAlgorithm::Crc32, bytes);
    for (n, range) in [("1", 0..3000), ("2", 3000..4000)] {
        let head = c.send(
            &s,
            &Call::new("HEAD", "/bkt/obj")
                .query("partNumber", n)
                .header("x-amz-checksum-mode", "ENABLED"),
        );
        assert_eq!(head.status, 206);
        let part = crc(&body[range]);
        assert_eq!(
            head.header("x-amz-checksum-crc32"),
            Some(part.as_str()),
            "part {n}"
        );
    }
    let whole = c.send(
        &s,
        &Call::new("HEAD", "/bkt/obj").header("x-amz-checksum-mode", "ENABLED"),
    );
    assert_eq!(
        whole.header("x-amz-checksum-crc32"),
        Some(crc(&body).as_str())
    );
    let plain = c.send(&s, &Call::new("HEAD", "/bkt/obj").query("partNumber", "1"));
    assert_eq!(
        plain.header("x-amz-checksum-crc32"),
        None,
        "only when asked for"
    );
}

#[test]
fn get_object_attributes_reports_size_parts_and_checksum() {
    let (s, c, _) = two_part_object();
    let r = c.send(
        &s,
        &Call::new("GET", "/bkt/obj").query("attributes", "").header(
            "x-amz-object-attributes",
            "ETag,Checksum,ObjectParts,StorageClass,ObjectSize",
        ),
    );
    assert_ok(&s, &r, "REST.GET.OBJECT_ATTRIBUTES");
    let xml = r.text();
    assert_eq!(
        xml_value(&xml, "ObjectSize").as_deref(),
        Some("4000"),
        "{xml}"
    );
    assert_eq!(xml_value(&xml, "StorageClass").as_deref(), Some("STANDARD"));
    assert_eq!(xml_value(&xml, "PartsCount").as_deref(), Some("2"));
    assert!(
        xml_value(&xml, "ETag").is_some_and(|e| e.contains("-2")),
        "{xml}"
    );
    assert!(xml.contains("<ChecksumCRC32>"), "{xml}");
    assert_eq!(xml.matches("<Part>").count(), 2, "{xml}");
    let r = c.send(
        &s,
        &Call::new("GET", "/bkt/none")
            .query("attributes", "")
            .header("x-amz-object-attributes", "ETag"),
    );
    assert_rejected(&s, &r, 404, "NoSuchKey", "REST.GET.OBJECT_ATTRIBUTES");
}

#[test]
fn copying_onto_itself_needs_a_change() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", b"self"), "REST.PUT.OBJECT");
    let same = Call::new("PUT", "/bkt/k").header("x-amz-copy-source", "/bkt/k");
    let r = c.send(&s, &same);
    assert_rejected(&s, &r, 400, "InvalidRequest", "REST.COPY.OBJECT");
    let replace = same
        .header("x-amz-metadata-directive", "REPLACE")
        .header("x-amz-meta-note", "changed");
    assert_ok(&s, &c.send(&s, &replace), "REST.COPY.OBJECT");
    let head = c.send(&s, &Call::new("HEAD", "/bkt/k"));
    assert_eq!(head.header("x-amz-meta-note"), Some("changed"));
    let r = c.send(
        &s,
        &Call::new("PUT", "/bkt/k2").header("x-amz-copy-source", "/bkt/k"),
    );
    assert_ok(&s, &r, "REST.COPY.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k2").as_deref(), Some(&b"self"[..]));
}

#[test]
fn list_object_versions_shows_null_versions() {
    let s = server();
    let c = Client::new(&s);
    for key in ["a", "b/c"] {
        assert_ok(&s, &c.put(&s, key, b"v"), "REST.PUT.OBJECT");
    }
    let r = c.send(&s, &Call::new("GET", "/bkt").query("versions", ""));
    assert_ok(&s, &r, "REST.GET.BUCKETVERSIONS");
    let xml = r.text();
    assert_eq!(xml.matches("<Version>").count(), 2, "{xml}");
    assert_eq!(
        xml.matches("<VersionId>null</VersionId>").count(),
        2,
        "{xml}"
    );
    assert_eq!(xml.matches("<IsLatest>true</IsLatest>").count(), 2, "{xml}");
}
