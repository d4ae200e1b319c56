//! Streaming payloads: signed aws-chunked bodies (a bad chunk signature is 403
//! SignatureDoesNotMatch), unsigned bodies with checksum trailers (a bad trailer is
//! BadDigest), and bodies cut short by the client (no object, no staging file left).

use super::{assert_ok, assert_rejected, server, Call, Client, Prepared, BUCKET};

use s3up::checksum::{ChecksumAlgorithm, Hasher};
use s3up::sigv4::testing::{ChunkSigner, TrailerEncoder};
use s3up::sigv4::PayloadHash;
use std::io::{Read, Write};

const CHUNK: usize = 64 * 1024;

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 7 + i / 251) % 256).expect("byte"))
        .collect()
}

/// A signed aws-chunked PUT of `body` to `path` (`tamper` may change the framed body).
fn chunked_put(c: &Client, path: &str, body: &[u8], query: &[(&str, &str)]) -> Prepared {
    let encoded = ChunkSigner::encoded_length(body.len() as u64, CHUNK as u64);
    let mut call = Call::new("PUT", path)
        .header("content-encoding", "aws-chunked")
        .header("content-length", &encoded.to_string())
        .header("x-amz-decoded-content-length", &body.len().to_string())
        .payload(PayloadHash::StreamingSigned);
    for (k, v) in query {
        call = call.query(k, v);
    }
    let mut p = c.prepare(&call);
    let mut signer = c.chunk_signer(&p);
    let mut framed = Vec::new();
    for chunk in body.chunks(CHUNK) {
        signer.frame(chunk, &mut framed);
    }
    signer.frame(&[], &mut framed);
    assert_eq!(framed.len() as u64, encoded);
    p.body = framed;
    p
}

/// An unsigned-payload PUT with a checksum trailer.
fn trailer_put(
    c: &Client,
    path: &str,
    body: &[u8],
    alg: ChecksumAlgorithm,
    value: &str,
) -> Prepared {
    let name = alg.header();
    let encoded =
        TrailerEncoder::encoded_length(body.len() as u64, CHUNK as u64, &name, value.len() as u64);
    let call = Call::new("PUT", path)
        .header("content-encoding", "aws-chunked")
        .header("content-length", &encoded.to_string())
        .header("x-amz-decoded-content-length", &body.len().to_string())
        .header("x-amz-trailer", &name)
        .header("x-amz-sdk-checksum-algorithm", alg.name())
        .payload(PayloadHash::StreamingUnsignedTrailer);
    let mut p = c.prepare(&call);
    let mut framed = Vec::new();
    for chunk in body.chunks(CHUNK) {
        TrailerEncoder::frame(chunk, &mut framed);
    }
    TrailerEncoder::finish(&name, value, &mut framed);
    p.body = framed;
    p
}

#[test]
fn signed_aws_chunked_put_is_stored_and_logged() {
    let s = super::server_with(|c| c.log_format = test_server::LogFormat::Json);
    let c = Client::new(&s);
    let body = data(150_000);
    let r = chunked_put(&c, "/bkt/chunked", &body, &[]).send(&s);
    assert!(r.status < 300, "{}: {}", r.status, r.text());
    assert_eq!(
        super::log_record(&s, &r.request_id()).payload_mode,
        "aws-chunked"
    );
    assert_eq!(s.object_bytes(BUCKET, "chunked"), Some(body));
    let head = c.send(&s, &Call::new("HEAD", "/bkt/chunked"));
    assert_eq!(
        head.header("content-encoding"),
        None,
        "aws-chunked is not stored as the object's encoding"
    );
}

#[test]
fn bad_chunk_signature_is_signature_does_not_match() {
    let s = server();
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", b"old"), "REST.PUT.OBJECT");
    let body = data(100_000);
    let mut p = chunked_put(&c, "/bkt/k", &body, &[]);
    // Flip one data byte of the second chunk: its signature no longer matches.
    let second = p.body.len() / 2 + 100;
    p.body[second] ^= 0x55;
    let r = p.send(&s);
    assert_rejected(&s, &r, 403, "SignatureDoesNotMatch", "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "k").as_deref(), Some(&b"old"[..]));
}

#[test]
fn aws_chunked_part_upload_works() {
    let s = server();
    let c = Client::new(&s);
    let r = c.send(&s, &Call::new("POST", "/bkt/mp").query("uploads", ""));
    let id = super::http::xml_value(&r.text(), "UploadId").expect("upload id");
    let body = data(70_000);
    let r = chunked_put(
        &c,
        "/bkt/mp",
        &body,
        &[("partNumber", "1"), ("uploadId", &id)],
    )
    .send(&s);
    assert_ok(&s, &r, "REST.PUT.PART");
    let etag = r.header("etag").expect("etag").to_owned();
    let xml = format!("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>");
    let r = c.send(
        &s,
        &Call::new("POST", "/bkt/mp")
            .query("uploadId", &id)
            .body(xml.as_bytes()),
    );
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    assert_eq!(s.object_bytes(BUCKET, "mp"), Some(body));
}

#[test]
fn unsigned_payload_with_checksum_trailers() {
    let s = super::server_with(|c| c.log_format = test_server::LogFormat::Json);
    let c = Client::new(&s);
    let body = data(90_000);
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha256,
    ] {
        let key = format!("t-{}", alg.name());
        let value = Hasher::of(alg, &body);
        let r = trailer_put(&c, &format!("/bkt/{key}"), &body, alg, &value).send(&s);
        assert!(r.status < 300, "{alg:?}: {} {}", r.status, r.text());
        assert_eq!(
            r.header(&alg.header()),
            Some(value.as_str()),
            "{alg:?} reported back"
        );
        assert_eq!(
            super::log_record(&s, &r.request_id()).payload_mode,
            "unsigned-trailer"
        );
        assert_eq!(s.object_bytes(BUCKET, &key).as_deref(), Some(&body[..]));
        let head = c.send(
            &s,
            &Call::new("HEAD", &format!("/bkt/{key}")).header("x-amz-checksum-mode", "ENABLED"),
        );
        assert_eq!(head.header(&alg.header()), Some(value.as_str()));
    }
    let wrong = Hasher::of(ChecksumAlgorithm::Crc32, b"different");
    let r = trailer_put(&c, "/bkt/bad", &body, ChecksumAlgorithm::Crc32, &wrong).send(&s);
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("BadDigest")),
        "{}",
        r.text()
    );
    assert_eq!(s.object_bytes(BUCKET, "bad"), None);
}

#[test]
fn body_cut_short_leaves_no_object_and_no_staging_file() {
    let s = server();
    let c = Client::new(&s);
    let p = c.prepare(
        &Call::new("PUT", "/bkt/cut")
            .header("content-length", "100000")
            .payload(PayloadHash::Unsigned),
    );
    let mut stream = std::net::TcpStream::connect(s.addr()).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let mut head = format!("PUT {} HTTP/1.1\r\n", p.target);
    for (k, v) in &p.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(&data(40_000)).expect("part of the body");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("half close");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    drop(stream);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !s
        .access_log_records()
        .iter()
        .any(|r| r.request_uri.contains("/bkt/cut"))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(s.object_bytes(BUCKET, "cut"), None);
    let staging = std::fs::read_dir(s.root().join(".s3up/tmp"))
        .expect("staging dir")
        .count();
    assert_eq!(staging, 0, "no staging file is left behind");
    // The same request sent whole (unsigned payload, plain HTTP) is accepted.
    let whole = c.send(
        &s,
        &Call::new("PUT", "/bkt/cut")
            .payload(PayloadHash::Unsigned)
            .body(&data(1000)),
    );
    assert_ok(&s, &whole, "REST.PUT.OBJECT");
}
