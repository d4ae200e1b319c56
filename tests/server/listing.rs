//! Listings as S3 writes them (issue 19, item 2): every entry with its ETag and storage class
//! (V1 and V2), `encoding-type=url` in ListObjects V1/V2 and ListMultipartUploads, V1's
//! `Marker`/`NextMarker`, `FetchOwner`, no empty `Delimiter` echoed, `Prefix=/`.

use super::http::xml_value;
use super::multipart::create;
use super::objects::md5_hex;
use super::{assert_ok, server, Call, Client, Server, BUCKET};

fn list(c: &Client, s: &Server, q: &[(&str, &str)]) -> String {
    let mut call = Call::new("GET", &format!("/{BUCKET}"));
    for (k, v) in q {
        call = call.query(k, v);
    }
    let r = c.send(s, &call);
    assert_ok(s, &r, "REST.GET.BUCKET");
    r.text()
}

fn keys(xml: &str) -> Vec<String> {
    xml.split("<Key>")
        .skip(1)
        .filter_map(|p| p.split("</Key>").next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_entry_has_etag_size_and_storage_class_in_v1_and_v2() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "dir/k", b"listed"), "REST.PUT.OBJECT");
    let etag = format!("\"{}\"", md5_hex(b"listed"));
    for q in [vec![("list-type", "2")], vec![]] {
        let xml = list(&c, &s, &q);
        let entry = xml.split("<Contents>").nth(1).expect("one entry");
        assert!(
            entry.contains(&format!("<ETag>{etag}</ETag>"))
                || entry.contains(&format!("<ETag>{}</ETag>", etag.replace('"', "&quot;"))),
            "{xml}"
        );
        assert!(
            entry.contains("<StorageClass>STANDARD</StorageClass>"),
            "{xml}"
        );
        assert!(entry.contains("<Size>6</Size>"), "{xml}");
        assert_eq!(keys(&xml), ["dir/k"]);
    }
}

#[test]
fn encoding_type_url_keeps_plus_and_space_apart() {
    let s = server();
    let c = Client::new(&s);
    for key in ["a+b", "a b", "ü/x"] {
        assert_ok(&s, &c.put(&s, key, b"x"), "REST.PUT.OBJECT");
    }
    for q in [
        vec![("list-type", "2"), ("encoding-type", "url")],
        vec![("encoding-type", "url")],
    ] {
        let xml = list(&c, &s, &q);
        assert_eq!(keys(&xml), ["a%20b", "a%2Bb", "%C3%BC/x"], "{xml}");
        assert!(xml.contains("<EncodingType>url</EncodingType>"), "{xml}");
    }
    // Without encoding-type the keys are plain text.
    assert_eq!(
        keys(&list(&c, &s, &[("list-type", "2")])),
        ["a b", "a+b", "ü/x"]
    );
    create(&c, &s, "up+load", &[]);
    let r = c.send(
        &s,
        &Call::new("GET", "/bkt")
            .query("uploads", "")
            .query("encoding-type", "url"),
    );
    assert!(r.text().contains("<Key>up%2Bload</Key>"), "{}", r.text());
}

#[test]
fn v1_pages_with_marker_and_next_marker() {
    let s = server();
    let c = Client::new(&s);
    for key in ["a", "b/1", "b/2", "c"] {
        assert_ok(&s, &c.put(&s, key, b"x"), "REST.PUT.OBJECT");
    }
    let page = list(&c, &s, &[("max-keys", "2"), ("delimiter", "/")]);
    assert!(page.contains("<IsTruncated>true</IsTruncated>"), "{page}");
    assert!(
        page.contains("<Marker></Marker>") || page.contains("<Marker/>"),
        "{page}"
    );
    let next = xml_value(&page, "NextMarker").expect("NextMarker when truncated");
    assert_eq!(next, "b/");
    let rest = list(&c, &s, &[("marker", &next), ("delimiter", "/")]);
    assert_eq!(keys(&rest), ["c"], "the b/ prefix is not repeated: {rest}");
    assert!(rest.contains("<Marker>b/</Marker>"), "{rest}");
    assert!(!rest.contains("<Prefix>b/</Prefix>"), "{rest}");
    assert!(rest.contains("<IsTruncated>false</IsTruncated>"), "{rest}");
    // V2 pages the same way with continuation tokens.
    let first = list(&c, &s, &[("list-type", "2"), ("max-keys", "3")]);
    let token = xml_value(&first, "NextContinuationToken").expect("token");
    let second = list(
        &c,
        &s,
        &[("list-type", "2"), ("continuation-token", &token)],
    );
    assert_eq!(keys(&first), ["a", "b/1", "b/2"]);
    assert_eq!(keys(&second), ["c"]);
}

#[test]
fn owner_only_with_fetch_owner_and_no_empty_delimiter_echoed() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", b"x"), "REST.PUT.OBJECT");
    let plain = list(&c, &s, &[("list-type", "2"), ("delimiter", "")]);
    assert!(!plain.contains("<Owner>"), "{plain}");
    assert!(
        !plain.contains("<Delimiter>"),
        "an empty delimiter is not echoed: {plain}"
    );
    let owned = list(&c, &s, &[("list-type", "2"), ("fetch-owner", "true")]);
    assert!(
        owned.contains("<Owner>") && owned.contains("<ID>"),
        "{owned}"
    );
    let v1 = list(&c, &s, &[("delimiter", "")]);
    assert!(!v1.contains("<Delimiter>"), "{v1}");
}

#[test]
fn prefix_slash_lists_only_keys_starting_with_slash() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "top", b"x"), "REST.PUT.OBJECT");
    assert_ok(&s, &c.put(&s, "d/k", b"x"), "REST.PUT.OBJECT");
    for q in [
        vec![("list-type", "2"), ("prefix", "/")],
        vec![("prefix", "/")],
    ] {
        let xml = list(&c, &s, &q);
        assert!(keys(&xml).is_empty(), "no key starts with '/': {xml}");
        assert!(xml.contains("<Prefix>/</Prefix>"), "{xml}");
    }
    let xml = list(&c, &s, &[("list-type", "2"), ("prefix", "d/")]);
    assert_eq!(keys(&xml), ["d/k"]);
}
