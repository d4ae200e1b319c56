//! The embedded test server, checked over real HTTP: every rejection of issues 3 and 18 (each
//! asserting the S3 error code, that storage is unchanged, and the access-log record, read
//! back with `Server::access_log_records`), SigV2 handling, browser-form uploads, multipart
//! rules, streaming payloads, checksums and injected faults. Requests are signed with s3up's
//! own SigV4 signer (SigV2 and form policies with the small signers in `sign.rs`) and sent
//! with a raw HTTP client so that tests can tamper with them.

mod auth;
mod checks_table;
mod conditions;
mod copy_parts;
mod expect;
mod faults;
mod get_faults;
mod http;
mod keys;
mod listing;
mod multipart;
mod objects;
mod post_form;
mod serve;
mod sign;
mod sigv2;
mod smaller;
mod streaming;
mod tls;

use self::http::{send, Resp};

use s3up::credentials::Credentials;
use s3up::sigv4::{PayloadHash, Request, Scope, Signer, SigningTime};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use test_server::{LogRecord, Server};

pub const BUCKET: &str = "bkt";

/// A server with bucket `bkt`, adjusted by `tweak`.
pub fn server_with(tweak: impl FnOnce(&mut test_server::Config)) -> Server {
    let mut config = test_server::Config {
        buckets: vec![BUCKET.to_owned()],
        ..test_server::Config::default()
    };
    tweak(&mut config);
    test_server::start(config).expect("test server starts")
}

pub fn server() -> Server {
    server_with(|_| {})
}

pub fn now_secs() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    i64::try_from(secs).expect("time fits")
}

/// One request to sign and send.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: &'static str,
    /// Unencoded path, e.g. `/bkt/a b.txt`.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Headers to sign (besides host, x-amz-date and x-amz-content-sha256).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Payload hash to sign; `None`: the SHA-256 of `body`.
    pub payload: Option<PayloadHash>,
    /// Seconds added to the signing time.
    pub skew: i64,
}

impl Call {
    pub fn new(method: &'static str, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            payload: None,
            skew: 0,
        }
    }

    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.query.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_ascii_lowercase(), v.to_owned()));
        self
    }

    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    pub fn payload(mut self, p: PayloadHash) -> Self {
        self.payload = Some(p);
        self
    }

    pub fn skew(mut self, secs: i64) -> Self {
        self.skew = secs;
        self
    }
}

/// A request signed, ready to go on the wire.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: &'static str,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The seed signature (for aws-chunked bodies).
    pub signature: String,
    pub time: SigningTime,
}

impl Prepared {
    pub fn send(&self, server: &Server) -> Resp {
        send(
            server.addr(),
            self.method,
            &self.target,
            &self.headers,
            &self.body,
        )
    }

    /// Replaces a header's value (after signing).
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }
}

/// Signs with given credentials for a server.
pub struct Client {
    pub creds: Credentials,
    pub region: String,
    pub host: String,
    signer: Signer,
}

impl Client {
    pub fn new(server: &Server) -> Self {
        Self::with_keys(server, server.access_key(), server.secret_key())
    }

    pub fn with_keys(server: &Server, access_key: &str, secret_key: &str) -> Self {
        Self::for_addr(server.addr(), access_key, secret_key, server.region())
    }

    /// A client for a server known only by address (e.g. `s3up serve` in a child process).
    pub fn for_addr(
        addr: std::net::SocketAddr,
        access_key: &str,
        secret_key: &str,
        region: &str,
    ) -> Self {
        Self {
            creds: Credentials::new(access_key, secret_key, None),
            region: region.to_owned(),
            host: addr.to_string(),
            signer: Signer::s3(),
        }
    }

    pub fn scope(&self, time: SigningTime) -> Scope<'_> {
        Scope {
            time,
            region: &self.region,
            service: "s3",
        }
    }

    pub fn prepare(&self, call: &Call) -> Prepared {
        let time = SigningTime(now_secs() + call.skew);
        let mut headers = vec![("host".to_owned(), self.host.clone())];
        headers.extend(call.headers.iter().cloned());
        let payload = call
            .payload
            .clone()
            .unwrap_or_else(|| PayloadHash::of(&call.body));
        let req = Request {
            method: call.method,
            path: &call.path,
            query: &call.query,
            headers: &headers,
        };
        let signed = self
            .signer
            .sign(&req, &self.creds, &self.scope(time), &payload);
        headers.extend(signed.headers);
        let target = if signed.wire_query.is_empty() {
            signed.wire_path
        } else {
            format!("{}?{}", signed.wire_path, signed.wire_query)
        };
        Prepared {
            method: call.method,
            target,
            headers,
            body: call.body.clone(),
            signature: signed.signature,
            time,
        }
    }

    pub fn send(&self, server: &Server, call: &Call) -> Resp {
        self.prepare(call).send(server)
    }

    /// A presigned URL target (path and query) for `call` valid `expires` seconds.
    pub fn presign(&self, call: &Call, expires: u64) -> String {
        let time = SigningTime(now_secs() + call.skew);
        let headers = vec![("host".to_owned(), self.host.clone())];
        let req = Request {
            method: call.method,
            path: &call.path,
            query: &call.query,
            headers: &headers,
        };
        let p = self
            .signer
            .presign(
                &req,
                &self.creds,
                &self.scope(time),
                expires,
                &PayloadHash::Unsigned,
            )
            .expect("valid expiry");
        format!("{}?{}", p.wire_path, p.wire_query)
    }

    pub fn chunk_signer(&self, prepared: &Prepared) -> s3up::sigv4::testing::ChunkSigner {
        self.signer
            .chunk_signer(&self.creds, &self.scope(prepared.time), &prepared.signature)
    }

    pub fn put(&self, server: &Server, key: &str, body: &[u8]) -> Resp {
        self.send(
            server,
            &Call::new("PUT", &format!("/{BUCKET}/{key}")).body(body),
        )
    }
}

/// The access-log record of the request with this id (waits briefly for it to be written).
pub fn log_record(server: &Server, request_id: &str) -> LogRecord {
    assert!(
        !request_id.is_empty(),
        "the answer carries x-amz-request-id"
    );
    wait_for_record(server, |r| r.request_id == request_id)
}

/// The first access-log record that `pred` accepts (waits briefly for it to be written).
pub fn wait_for_record(server: &Server, pred: impl Fn(&LogRecord) -> bool) -> LogRecord {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(rec) = server.access_log_records().into_iter().find(|r| pred(r)) {
            return rec;
        }
        assert!(
            Instant::now() < deadline,
            "no such access log record:\n{}",
            server.access_log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts an S3 error answer and its access-log record; returns the record.
pub fn assert_rejected(
    server: &Server,
    resp: &Resp,
    status: u16,
    code: &str,
    operation: &str,
) -> LogRecord {
    assert_eq!(resp.status, status, "status of {}", resp.text());
    assert_eq!(
        resp.code().as_deref(),
        Some(code),
        "error code of {}",
        resp.text()
    );
    let rec = log_record(server, &resp.request_id());
    assert_eq!(rec.operation, operation, "{rec:?}");
    assert_eq!(
        (rec.status, rec.error_code.as_deref()),
        (status, Some(code)),
        "{rec:?}"
    );
    rec
}

/// Asserts a success and its access-log record; returns the record.
pub fn assert_ok(server: &Server, resp: &Resp, operation: &str) -> LogRecord {
    assert!(
        resp.status < 300,
        "expected success, got {}: {}",
        resp.status,
        resp.text()
    );
    let rec = log_record(server, &resp.request_id());
    assert_eq!(rec.operation, operation, "{rec:?}");
    rec
}
