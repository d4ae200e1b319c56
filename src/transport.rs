//! HTTP(S) for everything s3up sends: the only module that touches `ureq`.
//!
//! One agent (connection pool) shared by all workers; S3 error bodies are read, never turned into
//! bare status errors; TLS roots are bundled (webpki) unless a CA bundle replaces them, as in
//! aws-cli. Knows nothing of S3, signing, retries or multipart.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::body::{Body, Sink};

/// Largest response body read into memory: S3 answers with small XML documents.
const MAX_RESPONSE_BODY: u64 = 64 * 1024 * 1024;
/// Bodies streamed into a sink are read in chunks of this size: ureq hands over at most its
/// input buffer (128 KiB) a read, and a download holds one chunk per connection.
const STREAM_CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// PEM bundle trusted instead of the bundled roots (`--ca-bundle`, `AWS_CA_BUNDLE`).
    pub ca_bundle: Option<PathBuf>,
    pub no_verify_ssl: bool,
    pub connect_timeout: Duration,
    /// Longest wait for the server to answer once the request was sent.
    pub read_timeout: Duration,
    /// Use `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (with `NO_PROXY`) from the environment.
    pub use_env_proxy: bool,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            ca_bundle: None,
            no_verify_ssl: false,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            use_env_proxy: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Body<'a>,
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// Could not resolve or connect (nothing was sent).
    Connect,
    /// Timed out connecting, sending or waiting for the answer.
    Timeout,
    /// TLS handshake or certificate failure.
    Tls,
    /// Connection reset or other I/O failure mid-request.
    Io,
    /// Bad URL, bad configuration: retrying cannot help.
    Invalid,
    /// The answer's body could not be taken locally (the [`Sink`] failed: a full disk, a closed
    /// pipe); the sink holds the cause.
    Local,
}

#[derive(Debug, Clone)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub message: String,
}

impl TransportError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }
}

impl std::fmt::Display for TransportError {
    /// The failure, then what to do about it (the alternate form `{:#}` leaves the fix out).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if self.kind == TransportErrorKind::Tls && !f.alternate() {
            f.write_str(" (if the server uses a private CA, pass it with --ca-bundle FILE or AWS_CA_BUNDLE)")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

/// A cheap-to-clone HTTP client over one connection pool.
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport")
    }
}

impl Transport {
    /// # Errors
    /// When the CA bundle cannot be read or holds no certificate.
    pub fn new(opts: &TransportOptions) -> Result<Self, TransportError> {
        let mut tls = TlsConfig::builder().disable_verification(opts.no_verify_ssl);
        if let Some(path) = &opts.ca_bundle {
            tls = tls.root_certs(RootCerts::Specific(Arc::new(read_ca_bundle(path)?)));
        }
        let proxy = if opts.use_env_proxy {
            ureq::Proxy::try_from_env()
        } else {
            None
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // S3 redirects (301 PermanentRedirect) need re-signing for the new region: the
            // client handles them; following them here would resend the old signature.
            .max_redirects(0)
            .proxy(proxy)
            .tls_config(tls.build())
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_recv_response(Some(opts.read_timeout))
            .timeout_recv_body(Some(opts.read_timeout))
            .timeout_send_body(Some(opts.read_timeout))
            .max_idle_connections_per_host(64)
            .user_agent(format!("s3up/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            agent: ureq::Agent::new_with_config(config),
        })
    }

    /// A transport that never uses a proxy, with short timeouts: for instance and container
    /// metadata addresses, which must never go through one.
    pub fn direct(timeout: Duration) -> Self {
        let opts = TransportOptions {
            connect_timeout: timeout,
            read_timeout: timeout,
            use_env_proxy: false,
            ..TransportOptions::default()
        };
        // No CA bundle, so building cannot fail on file access.
        Self::new(&opts).unwrap_or_else(|_| unreachable_transport())
    }

    /// Sends one request and reads the whole answer, whatever its status. A file body is sent
    /// from positioned reads of its range (workers share one descriptor; nothing is buffered
    /// whole).
    ///
    /// # Errors
    /// Connection, TLS, timeout and I/O failures, classified by [`TransportErrorKind`]; a read
    /// failure of a file body is an I/O error.
    pub fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.send_into(req, None)
    }

    /// Like [`send`](Self::send), with the body of a 2xx answer handed to `sink` as it arrives
    /// instead of read into memory (the answer's `body` is then empty). Error answers are read
    /// into memory as always. When the connection breaks mid-body, the sink has what arrived
    /// before.
    ///
    /// # Errors
    /// As [`send`](Self::send); a failing sink is [`TransportErrorKind::Local`].
    pub fn send_into(
        &self,
        req: &HttpRequest,
        sink: Option<&mut dyn Sink>,
    ) -> Result<HttpResponse, TransportError> {
        match &req.body {
            Body::Bytes(bytes) => self.run(req, req.headers, &bytes[..], sink),
            Body::File(range) => {
                let mut headers = req.headers.to_vec();
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-length"));
                headers.push(("content-length".to_owned(), range.len.to_string()));
                let mut reader = range.reader();
                self.run(
                    req,
                    &headers,
                    ureq::SendBody::from_reader(&mut reader),
                    sink,
                )
            }
        }
    }

    fn run(
        &self,
        req: &HttpRequest,
        headers: &[(String, String)],
        body: impl ureq::AsSendBody,
        sink: Option<&mut dyn Sink>,
    ) -> Result<HttpResponse, TransportError> {
        let mut builder = ureq::http::Request::builder()
            .method(req.method)
            .uri(req.url);
        for (k, v) in headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder.body(body).map_err(|e| TransportError {
            kind: TransportErrorKind::Invalid,
            message: format!("invalid request for {}: {e}", req.url),
        })?;
        let response = self.agent.run(request).map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        if req.method != "HEAD" {
            let mut reader = response.into_body().into_reader();
            match sink {
                Some(sink) if (200..300).contains(&status) => {
                    stream_into(&mut reader, sink, req.url)?
                }
                _ => {
                    reader
                        .take(MAX_RESPONSE_BODY)
                        .read_to_end(&mut body)
                        .map_err(|e| read_failure(req.url, &e))?;
                }
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// Hands the body to `sink` in chunks as it arrives.
fn stream_into(
    reader: &mut impl Read,
    sink: &mut dyn Sink,
    url: &str,
) -> Result<(), TransportError> {
    let mut buf = vec![0u8; STREAM_CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_failure(url, &e)),
        };
        sink.write(&buf[..n]).map_err(|e| TransportError {
            kind: TransportErrorKind::Local,
            message: format!("the answer from {url} could not be stored: {e}"),
        })?;
    }
}

fn read_failure(url: &str, e: &std::io::Error) -> TransportError {
    let kind = match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            TransportErrorKind::Timeout
        }
        _ => TransportErrorKind::Io,
    };
    TransportError {
        kind,
        message: format!("reading the answer from {url}: {e}"),
    }
}

fn unreachable_transport() -> Transport {
    Transport {
        agent: ureq::Agent::new_with_defaults(),
    }
}

fn read_ca_bundle(path: &Path) -> Result<Vec<Certificate<'static>>, TransportError> {
    let invalid = |message: String| TransportError {
        kind: TransportErrorKind::Invalid,
        message,
    };
    let pem = std::fs::read(path)
        .map_err(|e| invalid(format!("cannot read CA bundle {}: {e}", path.display())))?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(invalid(format!(
            "CA bundle {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

fn is_tls_failure(io: &std::io::Error) -> bool {
    let text = io.to_string().to_ascii_lowercase();
    ["certificate", "handshake", "tls", "alert"]
        .iter()
        .any(|w| text.contains(w))
}

fn classify(e: ureq::Error) -> TransportError {
    use TransportErrorKind as K;
    let kind = match &e {
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => K::Connect,
        // rustls reports handshake and certificate failures through io::Error.
        ureq::Error::Io(io) if is_tls_failure(io) => K::Tls,
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable => {
                K::Connect
            }
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => K::Timeout,
            _ => K::Io,
        },
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => K::Tls,
        ureq::Error::BadUri(_) | ureq::Error::InvalidProxyUrl => K::Invalid,
        _ => K::Io,
    };
    TransportError {
        kind,
        message: e.to_string(),
    }
}
