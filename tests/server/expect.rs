//! `Expect: 100-continue` with an empty body (issue 19, item 1): hyper answers such a request
//! at once, without `100 Continue`, and botocore as bundled with aws-cli v1 then misreads the
//! next answer on that connection (a 60 s stall per request). The server closes the
//! connection after such an answer. `scripts/interop.sh` runs `aws s3 sync` on a tree with an
//! empty file for the real client.

use super::{assert_ok, server, Call, Client, BUCKET};

use s3up::sigv4::PayloadHash;
use std::io::{Read, Write};
use std::time::Duration;

/// Sends `request` on a fresh keep-alive connection; returns what arrived before the server
/// closed it (`None`: still open after 5 s).
fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => Some(String::from_utf8_lossy(&got).into_owned()),
        Err(_) => None,
    }
}

fn raw(p: &super::Prepared, extra: &str) -> Vec<u8> {
    let mut head = format!("{} {} HTTP/1.1\r\n", p.method, p.target);
    for (k, v) in &p.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(extra);
    head.push_str("\r\n");
    head.into_bytes()
}

#[test]
fn an_empty_put_expecting_continue_ends_its_connection() {
    let s = server();
    let c = Client::new(&s);
    let p = c.prepare(
        &Call::new("PUT", "/bkt/empty")
            .header("expect", "100-continue")
            .payload(PayloadHash::Unsigned),
    );
    let answer = exchange(s.addr(), &raw(&p, "content-length: 0\r\n"))
        .expect("the connection is closed after the early answer, not left for the next request");
    let status = answer.lines().next().unwrap_or_default().to_owned();
    assert!(status.contains(" 200 "), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert_eq!(s.object_bytes(BUCKET, "empty").as_deref(), Some(&b""[..]));
    // An ordinary request keeps its connection.
    assert_ok(&s, &c.put(&s, "full", b"x"), "REST.PUT.OBJECT");
    let p = c.prepare(&Call::new("GET", "/bkt/full"));
    assert_eq!(
        exchange(s.addr(), &raw(&p, "")),
        None,
        "an ordinary request keeps its connection open"
    );
}
