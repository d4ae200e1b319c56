//! Injected faults (503 SlowDown, 500, connection reset mid-body, delayed answers, a
//! 200-with-error CompleteMultipartUpload, wrong-region answers) are deterministic, leave
//! storage consistent, and are written to the access log; `discard` verifies but stores nothing.

use super::http::xml_value;
use super::{
    assert_ok, assert_rejected, log_record, server_with, wait_for_record, Call, Client, Server,
    BUCKET,
};

use s3up::checksum::{ChecksumAlgorithm, Hasher};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use test_server::{Fault, WrongRegion};

fn faults(specs: &[&str]) -> Vec<Fault> {
    specs
        .iter()
        .map(|s| Fault::parse(s).expect("valid fault"))
        .collect()
}

fn create(c: &Client, s: &Server, key: &str) -> String {
    let r = c.send(
        s,
        &Call::new("POST", &format!("/{BUCKET}/{key}")).query("uploads", ""),
    );
    assert_ok(s, &r, "REST.POST.UPLOADS");
    xml_value(&r.text(), "UploadId").expect("UploadId")
}

fn part(key: &str, id: &str, n: u32, body: &[u8]) -> Call {
    Call::new("PUT", &format!("/{BUCKET}/{key}"))
        .query("partNumber", &n.to_string())
        .query("uploadId", id)
        .body(body)
}

fn complete_call(key: &str, id: &str, etags: &[String]) -> Call {
    let mut x = String::from("<CompleteMultipartUpload>");
    for (i, e) in etags.iter().enumerate() {
        x.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{e}</ETag></Part>",
            i + 1
        ));
    }
    x.push_str("</CompleteMultipartUpload>");
    Call::new("POST", &format!("/{BUCKET}/{key}"))
        .query("uploadId", id)
        .body(x.as_bytes())
}

#[test]
fn slowdown_on_the_second_part_then_the_retry_succeeds() {
    let s = server_with(|c| {
        c.faults = faults(&["slowdown@REST.PUT.PART:nth=2"]);
        c.min_part_size = 1;
    });
    let c = Client::new(&s);
    let id = create(&c, &s, "obj");
    let r1 = c.send(&s, &part("obj", &id, 1, b"one"));
    assert_ok(&s, &r1, "REST.PUT.PART");
    let r2 = c.send(&s, &part("obj", &id, 2, b"two"));
    let rec = assert_rejected(&s, &r2, 503, "SlowDown", "REST.PUT.PART");
    assert_eq!(rec.fault.as_deref(), Some("slowdown"), "{rec:?}");
    let r2 = c.send(&s, &part("obj", &id, 2, b"two"));
    assert_ok(&s, &r2, "REST.PUT.PART");
    let etags = [r1, r2].map(|r| r.header("etag").expect("etag").to_owned());
    assert_ok(
        &s,
        &c.send(&s, &complete_call("obj", &id, &etags)),
        "REST.POST.UPLOAD",
    );
    assert_eq!(
        s.object_bytes(BUCKET, "obj").as_deref(),
        Some(&b"onetwo"[..])
    );
}

#[test]
fn rate_faults_repeat_with_the_same_seed() {
    let statuses = |seed: u64| {
        let s = server_with(|c| {
            c.faults = faults(&["internal-error@REST.PUT.OBJECT:rate=0.4"]);
            c.seed = seed;
        });
        let c = Client::new(&s);
        (0..30)
            .map(|i| c.put(&s, &format!("k{i}"), b"x").status)
            .collect::<Vec<u16>>()
    };
    let a = statuses(42);
    assert_eq!(a, statuses(42));
    assert_ne!(a, statuses(43));
    let failed = a.iter().filter(|&&st| st == 500).count();
    assert!(
        (3..=24).contains(&failed),
        "{failed} of 30 failed at rate 0.4: {a:?}"
    );
    assert!(a.iter().all(|&st| st == 200 || st == 500));
}

#[test]
fn reset_in_the_middle_of_a_body_stores_nothing_and_is_logged() {
    let s = server_with(|c| c.faults = faults(&["reset@REST.PUT.OBJECT:nth=1:after=1000"]));
    let c = Client::new(&s);
    let body = vec![5u8; 300_000];
    let p = c.prepare(&Call::new("PUT", "/bkt/big").body(&body));
    let mut stream = std::net::TcpStream::connect(s.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut head = format!(
        "PUT {} HTTP/1.1\r\ncontent-length: {}\r\n",
        p.target,
        body.len()
    );
    for (k, v) in &p.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let wrote = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&body));
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    assert!(
        wrote.is_err() || read.is_err() || answer.is_empty(),
        "no answer after a reset: {}",
        String::from_utf8_lossy(&answer)
    );
    wait_for_record(&s, |r| r.fault.as_deref() == Some("reset-after-1000"));
    assert_eq!(s.object_bytes(BUCKET, "big"), None);
    // The retry goes through.
    assert_ok(&s, &c.put(&s, "big", &body), "REST.PUT.OBJECT");
    assert_eq!(s.object_bytes(BUCKET, "big"), Some(body));
}

#[test]
fn delayed_answer_arrives_late_and_complete() {
    let s = server_with(|c| c.faults = faults(&["delay@REST.GET.OBJECT:first=1:ms=700"]));
    let c = Client::new(&s);
    assert_ok(&s, &c.put(&s, "k", b"slow"), "REST.PUT.OBJECT");
    let t = Instant::now();
    let r = c.send(&s, &Call::new("GET", "/bkt/k"));
    assert!(
        t.elapsed() >= Duration::from_millis(700),
        "answered after {:?}",
        t.elapsed()
    );
    let rec = assert_ok(&s, &r, "REST.GET.OBJECT");
    assert_eq!(r.body, b"slow");
    assert_eq!(rec.fault.as_deref(), Some("delay-700ms"), "{rec:?}");
    let t = Instant::now();
    c.send(&s, &Call::new("GET", "/bkt/k"));
    assert!(t.elapsed() < Duration::from_millis(700));
}

#[test]
fn complete_answering_200_with_an_error_keeps_the_upload() {
    let s = server_with(|c| c.faults = faults(&["complete-error:nth=1"]));
    let c = Client::new(&s);
    let id = create(&c, &s, "obj");
    let r = c.send(&s, &part("obj", &id, 1, b"payload"));
    let etags = [r.header("etag").expect("etag").to_owned()];
    let r = c.send(&s, &complete_call("obj", &id, &etags));
    assert_eq!(r.status, 200);
    assert_eq!(r.code().as_deref(), Some("InternalError"), "{}", r.text());
    let rec = log_record(&s, &r.request_id());
    assert_eq!(
        (rec.status, rec.error_code.as_deref(), rec.fault.as_deref()),
        (200, Some("InternalError"), Some("complete-200-error")),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "obj"), None);
    assert_eq!(s.list_multipart_uploads(BUCKET).len(), 1);
    assert_ok(
        &s,
        &c.send(&s, &complete_call("obj", &id, &etags)),
        "REST.POST.UPLOAD",
    );
    assert_eq!(
        s.object_bytes(BUCKET, "obj").as_deref(),
        Some(&b"payload"[..])
    );
}

#[test]
fn wrong_region_is_malformed_or_redirected_and_the_right_one_works() {
    for mode in [WrongRegion::Malformed, WrongRegion::Redirect] {
        let s = server_with(|c| {
            c.region = "eu-west-1".to_owned();
            c.wrong_region = Some(mode);
        });
        let mut c = Client::new(&s);
        c.region = "us-east-1".to_owned();
        let r = c.put(&s, "k", b"x");
        let (status, code) = match mode {
            WrongRegion::Malformed => (400, "AuthorizationHeaderMalformed"),
            WrongRegion::Redirect => (301, "PermanentRedirect"),
        };
        let rec = assert_rejected(&s, &r, status, code, "REST.PUT.OBJECT");
        assert_eq!(rec.fault.as_deref(), Some("wrong-region"), "{rec:?}");
        assert_eq!(r.header("x-amz-bucket-region"), Some("eu-west-1"));
        if mode == WrongRegion::Malformed {
            assert_eq!(xml_value(&r.text(), "Region").as_deref(), Some("eu-west-1"));
        }
        let head = c.send(&s, &Call::new("HEAD", "/bkt"));
        assert_eq!(
            (head.status, head.header("x-amz-bucket-region")),
            (status, Some("eu-west-1"))
        );
        assert_eq!(s.object_bytes(BUCKET, "k"), None);
        let right = Client::new(&s);
        assert_ok(&s, &right.put(&s, "k", b"x"), "REST.PUT.OBJECT");
    }
}

#[test]
fn discard_verifies_everything_and_stores_nothing() {
    let s = server_with(|c| {
        c.discard = true;
        c.min_part_size = 1024;
    });
    // Its placeholders live in memory where there is /dev/shm (on ext4, inode allocation
    // bounded the benchmark), else in the temporary directory.
    let shm = std::path::Path::new("/dev/shm");
    let parent = if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    };
    assert!(s.root().starts_with(&parent), "{}", s.root().display());
    let stored = server_with(|_| {});
    assert!(
        !stored.root().starts_with(shm),
        "{}",
        stored.root().display()
    );
    let c = Client::new(&s);
    let r = c.put(&s, "k", b"discarded");
    assert_ok(&s, &r, "REST.PUT.OBJECT");
    assert!(r.header("etag").is_some());
    // Only a sparse placeholder of the right size is kept: HEAD works, no byte is stored.
    assert_eq!(s.object_bytes(BUCKET, "k"), Some(vec![0u8; 9]));
    let mut p = c.prepare(&Call::new("PUT", "/bkt/k").body(b"signed"));
    p.body = b"Signed".to_vec();
    assert_rejected(
        &s,
        &p.send(&s),
        400,
        "XAmzContentSHA256Mismatch",
        "REST.PUT.OBJECT",
    );
    let bad = Call::new("PUT", "/bkt/k")
        .header("x-amz-checksum-crc32", "AAAAAA==")
        .body(b"x");
    assert_rejected(&s, &c.send(&s, &bad), 400, "BadDigest", "REST.PUT.OBJECT");

    let data: Vec<u8> = (0..5000u32).map(|i| (i % 241) as u8).collect();
    let id = create(&c, &s, "mp");
    let etags: Vec<String> = [&data[..2000], &data[2000..]]
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let r = c.send(
                &s,
                &part("mp", &id, u32::try_from(i + 1).expect("small"), chunk),
            );
            assert_ok(&s, &r, "REST.PUT.PART");
            r.header("etag").expect("etag").to_owned()
        })
        .collect();
    let r = c.send(&s, &complete_call("mp", &id, &etags));
    assert_ok(&s, &r, "REST.POST.UPLOAD");
    let want = Hasher::of(ChecksumAlgorithm::Crc64Nvme, &data);
    assert_eq!(
        xml_value(&r.text(), "ChecksumCRC64NVME").as_deref(),
        Some(want.as_str()),
        "{}",
        r.text()
    );
    assert_eq!(s.object_bytes(BUCKET, "mp"), Some(vec![0u8; 5000]));
    let head = c.send(&s, &Call::new("HEAD", "/bkt/mp"));
    assert_eq!(head.header("content-length"), Some("5000"));
    assert!(s.list_multipart_uploads(BUCKET).is_empty());
}
