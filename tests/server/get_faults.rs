//! Faults of downloads (issue 15): an answer's body cut by a connection reset after N bytes,
//! 5xx answers to GET (Nth request or a seeded rate), a stall in the middle of the body, one
//! byte of the body flipped, and objects given an old `Last-Modified`. Each fault is logged on
//! the request's access-log record and leaves storage untouched.

use super::http::{send_ending, Resp};
use super::{assert_ok, assert_rejected, log_record, server_with, Call, Client, Server, BUCKET};

use std::time::{Duration, Instant, SystemTime};
use test_server::Fault;

fn faults(specs: &[&str]) -> Vec<Fault> {
    specs
        .iter()
        .map(|s| Fault::parse(s).expect("valid fault"))
        .collect()
}

/// An object of `len` bytes that differ from their neighbours, stored under `key`.
fn stored(s: &Server, c: &Client, key: &str, len: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    assert_ok(s, &c.put(s, key, &data), "REST.PUT.OBJECT");
    data
}

/// A signed GET: the answer, and how reading it ended (a reset is an `Err`).
fn get_ending(s: &Server, c: &Client, call: &Call) -> (Resp, std::io::Result<usize>) {
    let p = c.prepare(call);
    send_ending(s.addr(), "GET", &p.target, &p.headers, b"")
}

#[test]
fn reset_after_n_bytes_of_the_answer_body() {
    let s = server_with(|c| {
        c.faults = faults(&["reset-response@REST.GET.OBJECT:nth=1:after=1000"]);
    });
    let c = Client::new(&s);
    let data = stored(&s, &c, "big", 300_000);
    let (r, ended) = get_ending(&s, &c, &Call::new("GET", "/bkt/big"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("300000"));
    assert_eq!(r.body, data[..1000], "the bytes before the reset");
    let err = ended.expect_err("the connection is reset, not closed");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    let rec = log_record(&s, &r.request_id());
    assert_eq!(
        (
            rec.status,
            rec.error_code.as_deref(),
            rec.bytes_sent,
            rec.object_size
        ),
        (200, None, 1000, Some(300_000)),
        "{rec:?}"
    );
    assert_eq!(
        rec.fault.as_deref(),
        Some("reset-response-after-1000"),
        "{rec:?}"
    );
    // The next GET (a retry) gets the whole object; storage is untouched.
    let r = c.send(&s, &Call::new("GET", "/bkt/big"));
    assert_ok(&s, &r, "REST.GET.OBJECT");
    assert_eq!(r.body, data);
    assert_eq!(s.object_bytes(BUCKET, "big"), Some(data));
}

#[test]
fn reset_in_a_ranged_get() {
    let s = server_with(|c| {
        c.faults = faults(&["reset-response@REST.GET.OBJECT:nth=1:after=100"]);
    });
    let c = Client::new(&s);
    let data = stored(&s, &c, "big", 10_000);
    let range = Call::new("GET", "/bkt/big").header("range", "bytes=5000-5999");
    let (r, ended) = get_ending(&s, &c, &range);
    assert_eq!(r.status, 206);
    assert!(ended.is_err(), "the ranged GET is reset");
    assert_eq!(r.body, data[5000..5100]);
    let r = c.send(&s, &range);
    assert_eq!((r.status, &r.body[..]), (206, &data[5000..6000]));
}

#[test]
fn server_errors_on_get_by_nth_and_by_seeded_rate() {
    let s = server_with(|c| c.faults = faults(&["internal-error@REST.GET.OBJECT:nth=2"]));
    let c = Client::new(&s);
    let data = stored(&s, &c, "k", 5000);
    let get = Call::new("GET", "/bkt/k");
    assert_eq!(c.send(&s, &get).body, data);
    let rec = assert_rejected(
        &s,
        &c.send(&s, &get),
        500,
        "InternalError",
        "REST.GET.OBJECT",
    );
    assert_eq!(rec.fault.as_deref(), Some("internal-error"), "{rec:?}");
    assert_eq!(c.send(&s, &get).body, data);

    let statuses = |seed: u64| {
        let s = server_with(|c| {
            c.faults = faults(&["slowdown@REST.GET.OBJECT:rate=0.5"]);
            c.seed = seed;
        });
        let c = Client::new(&s);
        let data = stored(&s, &c, "k", 100);
        (0..16)
            .map(|_| {
                let r = c.send(&s, &Call::new("GET", "/bkt/k"));
                match r.status {
                    200 => assert_eq!(r.body, data),
                    _ => assert_eq!((r.status, r.code().as_deref()), (503, Some("SlowDown"))),
                }
                r.status
            })
            .collect::<Vec<_>>()
    };
    let a = statuses(11);
    assert_eq!(a, statuses(11), "same seed, same faults");
    assert!(a.contains(&200) && a.contains(&503), "{a:?}");
    assert_ne!(a, statuses(12), "another seed, other faults");
}

#[test]
fn stall_in_the_middle_of_the_answer_body() {
    let s = server_with(|c| {
        c.faults = faults(&["stall@REST.GET.OBJECT:first=1:after=2000:ms=800"]);
    });
    let c = Client::new(&s);
    let data = stored(&s, &c, "k", 50_000);
    let t = Instant::now();
    let r = c.send(&s, &Call::new("GET", "/bkt/k"));
    assert!(
        t.elapsed() >= Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
    let rec = assert_ok(&s, &r, "REST.GET.OBJECT");
    assert_eq!(r.body, data, "a stall delays the bytes, it changes none");
    assert_eq!(
        rec.fault.as_deref(),
        Some("stall-after-2000-800ms"),
        "{rec:?}"
    );
}

#[test]
fn corrupt_flips_one_byte_of_what_get_sends() {
    let s = server_with(|c| c.faults = faults(&["corrupt@REST.GET.OBJECT:every=1:after=10"]));
    let c = Client::new(&s);
    let data = stored(&s, &c, "k", 4096);
    let put_etag = c
        .send(&s, &Call::new("HEAD", "/bkt/k"))
        .header("etag")
        .map(str::to_owned);
    let r = c.send(&s, &Call::new("GET", "/bkt/k"));
    let rec = assert_ok(&s, &r, "REST.GET.OBJECT");
    assert_eq!(rec.fault.as_deref(), Some("corrupt-byte-10"), "{rec:?}");
    assert_eq!(r.body.len(), data.len());
    let differ: Vec<usize> = (0..data.len()).filter(|&i| r.body[i] != data[i]).collect();
    assert_eq!(differ, vec![10], "exactly the byte at offset 10");
    assert_eq!(r.body[10], !data[10]);
    assert_eq!(
        r.header("etag").map(str::to_owned),
        put_etag,
        "headers unchanged"
    );
    // In a ranged GET the offset counts from the range's first byte.
    let r = c.send(
        &s,
        &Call::new("GET", "/bkt/k").header("range", "bytes=100-199"),
    );
    assert_eq!(r.status, 206);
    let differ: Vec<usize> = (0..100).filter(|&i| r.body[i] != data[100 + i]).collect();
    assert_eq!(differ, vec![10]);
    assert_eq!(s.object_bytes(BUCKET, "k"), Some(data), "storage untouched");
}

#[test]
fn objects_can_be_given_an_old_last_modified() {
    let s = server_with(|_| {});
    let c = Client::new(&s);
    stored(&s, &c, "old", 10);
    let day_ago = SystemTime::now() - Duration::from_secs(86_400);
    s.set_last_modified(BUCKET, "old", day_ago)
        .expect("set the time");
    let want = httpdate::fmt_http_date(day_ago);
    let head = c.send(&s, &Call::new("HEAD", "/bkt/old"));
    assert_eq!(head.header("last-modified"), Some(want.as_str()));
    let get = c.send(&s, &Call::new("GET", "/bkt/old"));
    assert_eq!(get.header("last-modified"), Some(want.as_str()));
    let list = c.send(&s, &Call::new("GET", "/bkt").query("list-type", "2"));
    let listed = super::http::xml_value(&list.text(), "LastModified").expect("listed");
    let listed = httpdate::parse_http_date(&want).expect("date") == parse_iso(&listed);
    assert!(listed, "{}", list.text());
    assert!(s.set_last_modified(BUCKET, "missing", day_ago).is_err());
}

/// `2026-01-02T03:04:05.000Z` to a time (whole seconds).
fn parse_iso(s: &str) -> SystemTime {
    let compact = format!(
        "{}{}{}T{}{}{}Z",
        &s[0..4],
        &s[5..7],
        &s[8..10],
        &s[11..13],
        &s[14..16],
        &s[17..19]
    );
    let t = s3up::sigv4::SigningTime::parse_amz_date(&compact).expect("listing time");
    SystemTime::UNIX_EPOCH + Duration::from_secs(t.0.unsigned_abs())
}
