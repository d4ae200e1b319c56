//! Running a server: `start` assembles the store, s3s service, access log and TLS, binds the
//! listener (errors come back to the caller), and runs the accept loop on its own tokio
//! runtime thread; `Server` is the handle tests and `s3up serve` hold, with the address,
//! paths, credentials and a clean, bounded shutdown.

use crate::access_log::{AccessLog, LogRecord};
use crate::auth::{canonical_id, Access, Auth, Keyring};
use crate::clock::Clock;
use crate::config::Config;
use crate::conn_io::ResetOnDrop;
use crate::faults::FaultPlan;
use crate::front::{ConnInfo, Front};
use crate::gate::GateConfig;
use crate::host::Domain;
use crate::serving::{self, Serving, Spec};
use crate::store::{Index, Layout, Limits, Store, StoreOptions};
use crate::Error;

use hyper_util::rt::TokioIo;
use s3s::config::{S3Config, StaticConfigProvider};
use s3s::service::S3ServiceBuilder;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// How long connections get to finish their current request at shutdown.
const DRAIN: Duration = Duration::from_secs(3);
/// How long a client gets to complete the TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// A running test server. Dropping it shuts it down.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    endpoint: String,
    layout: Layout,
    /// The store's index, for test-only changes to stored objects.
    index: Arc<Index>,
    log: Arc<AccessLog>,
    ca_path: Option<PathBuf>,
    access_key: String,
    secret_key: String,
    region: String,
    /// Known access keys; the credential emulator adds temporary ones.
    keyring: Arc<Keyring>,
    serving: Serving,
    // Dropped last: temporary root and scratch directory (log, CA) owned by the handle.
    _scratch: tempfile::TempDir,
    _tmp_root: Option<tempfile::TempDir>,
}

fn io_err(what: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        what: what.to_owned(),
        source,
    }
}

pub(crate) fn build_front(
    config: &Config,
    store: Store,
    log: Arc<AccessLog>,
    keyring: Arc<Keyring>,
    clock: Clock,
) -> Front {
    let mut builder = S3ServiceBuilder::new(store);
    builder.set_auth(Auth(Arc::clone(&keyring)));
    builder.set_access(Access {
        keyring: Arc::clone(&keyring),
        clock,
    });
    if let Some(d) = &config.domain {
        builder.set_host(Domain::new(d));
    }
    // The gate enforces the 15-minute rule against the server clock; s3s's own check (on the
    // system clock) is turned off so that it never contradicts the gate. s3s also applies it
    // to a form upload's x-amz-date, which S3 does not: a form is valid until its policy
    // expires.
    let mut s3_config = S3Config::default();
    s3_config.presigned_url_max_skew_time_secs = u32::MAX;
    builder.set_config(Arc::new(StaticConfigProvider::new(Arc::new(s3_config))));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| {
            u64::try_from(d.as_nanos() & u128::from(u64::MAX)).unwrap_or(0)
        });
    Front {
        s3: builder.build(),
        log,
        gate: GateConfig {
            sigv2: config.sigv2,
            clock,
            region: config.region.clone(),
            wrong_region: config.wrong_region,
            keyring: Arc::clone(&keyring),
            refuse_unsigned_payloads: config.refuse_unsigned_payloads,
        },
        domain: config.domain.clone(),
        owner_id: canonical_id(&config.access_key),
        keyring,
        counter: AtomicU64::new(0),
        id_seed: seed,
        faults: FaultPlan::new(&config.faults, config.seed),
    }
}

/// Where temporary directories go: the system's temporary directory, or the current
/// directory where there is none (a `FROM scratch` container, an empty chroot).
fn temp_parent() -> PathBuf {
    let tmp = std::env::temp_dir();
    if tmp.is_dir() {
        tmp
    } else {
        PathBuf::from(".")
    }
}

/// The storage root: the configured one, or a temporary one the handle owns. With `--discard`
/// the root holds only small records (each object's `object.json`), so it goes to memory
/// (`/dev/shm`) where there is one: on ext4, creating inodes right after a multipart upload
/// deleted its part records cost ~3 ms of kernel time per PUT and bounded the benchmark.
fn root_dir(config: &Config) -> Result<(PathBuf, Option<tempfile::TempDir>), Error> {
    if let Some(r) = &config.root {
        return Ok((r.clone(), None));
    }
    let temp_root = |parent: &Path| {
        tempfile::Builder::new()
            .prefix("s3up-test-root-")
            .tempdir_in(parent)
    };
    let shm = Path::new("/dev/shm");
    let t = if config.discard && shm.is_dir() {
        temp_root(shm).or_else(|_| temp_root(&temp_parent()))
    } else {
        temp_root(&temp_parent())
    }
    .map_err(io_err("create a temporary root"))?;
    Ok((t.path().to_owned(), Some(t)))
}

/// The store over `root`, with the configured buckets.
pub(crate) fn open_store(config: &Config, root: &Path) -> Result<Store, Error> {
    let store = Store::new(
        root,
        StoreOptions {
            limits: Limits {
                min_part_size: config.min_part_size,
                max_parts: config.max_parts,
            },
            region: config.region.clone(),
            owner_id: canonical_id(&config.access_key),
            scheme: if config.tls { "https" } else { "http" },
            discard: config.discard,
            forget_completed: config.forget_completed_uploads,
        },
    )
    .map_err(io_err("prepare the storage root"))?;
    for b in &config.buckets {
        store.ensure_bucket(b).map_err(io_err("create a bucket"))?;
    }
    Ok(store)
}

/// Starts a server as configured, on its own runtime thread.
///
/// # Errors
/// The root, log or CA file cannot be created, a bucket name is invalid, or the address
/// cannot be bound.
pub fn start(config: Config) -> Result<Server, Error> {
    let scratch = tempfile::Builder::new()
        .prefix("s3up-test-server-")
        .tempdir_in(temp_parent())
        .map_err(io_err("create a scratch directory"))?;
    let (root, tmp_root) = root_dir(&config)?;
    let log_path = config
        .access_log
        .clone()
        .unwrap_or_else(|| scratch.path().join("access.log"));
    let log = Arc::new(
        AccessLog::open(&log_path, config.log_stdout, config.log_format)
            .map_err(io_err("open the access log"))?,
    );
    let store = open_store(&config, &root)?;
    let layout = store.layout().clone();
    let index = store.index();
    let (ca_path, tls) = if config.tls {
        let ca = scratch.path().join("ca.pem");
        let cfg = crate::tls::make_server_config(&ca, config.domain.as_deref())
            .map_err(io_err("make TLS certificates"))?;
        (Some(ca), Some(TlsAcceptor::from(cfg)))
    } else {
        (None, None)
    };
    let clock = Clock::with_offset(config.clock_offset);
    let keyring = Keyring::new(&config.access_key, &config.secret_key);
    let front = Arc::new(build_front(
        &config,
        store,
        Arc::clone(&log),
        Arc::clone(&keyring),
        clock,
    ));
    let (listener, addr) = serving::bind(config.addr, "S3")?;
    let spec = Spec {
        name: "s3up-test-server",
        workers: 2,
        drain: Some(DRAIN),
    };
    let (stop, _) = watch::channel(false);
    let serving = serving::start(listener, spec, stop, move |stream, remote, stop| {
        serve_conn(stream, remote, Arc::clone(&front), tls.clone(), stop)
    })?;
    let scheme = if config.tls { "https" } else { "http" };
    Ok(Server {
        addr,
        endpoint: format!("{scheme}://{addr}"),
        layout,
        index,
        log,
        ca_path,
        access_key: config.access_key,
        secret_key: config.secret_key,
        region: config.region,
        keyring,
        serving,
        _scratch: scratch,
        _tmp_root: tmp_root,
    })
}

async fn serve_conn(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    front: Arc<Front>,
    tls: Option<TlsAcceptor>,
    stop: watch::Receiver<bool>,
) {
    let reset = Arc::new(AtomicBool::new(false));
    let stream = ResetOnDrop::new(stream, Arc::clone(&reset));
    let Some(acceptor) = tls else {
        let info = ConnInfo {
            remote,
            cipher_suite: None,
            tls_version: None,
            reset,
        };
        serve_io(TokioIo::new(stream), info, front, stop).await;
        return;
    };
    match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
        Ok(Ok(tls_stream)) => {
            let (cipher_suite, tls_version) = crate::tls::session_names(tls_stream.get_ref().1);
            let info = ConnInfo {
                remote,
                cipher_suite,
                tls_version,
                reset,
            };
            serve_io(TokioIo::new(tls_stream), info, front, stop).await;
        }
        Ok(Err(e)) => eprintln!("test-server: TLS handshake with {remote} failed: {e}"),
        Err(_) => eprintln!("test-server: TLS handshake with {remote} timed out"),
    }
}

/// Whether a request says `Expect: 100-continue` but has no body, so that hyper answers it
/// without the `100 Continue` the client waits for. botocore (as bundled with aws-cli v1) then
/// keeps the early answer's status line for the next request on the connection and misreads
/// that answer, stalling 60 s; closing the connection after such an answer makes it start
/// afresh.
fn answered_before_continue(headers: &http::HeaderMap) -> bool {
    let expects = headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let empty = match headers.get(http::header::CONTENT_LENGTH) {
        Some(v) => v.as_bytes() == b"0",
        None => !headers.contains_key(http::header::TRANSFER_ENCODING),
    };
    expects && empty
}

async fn serve_io<I>(io: I, info: ConnInfo, front: Arc<Front>, stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let info = Arc::new(info);
    let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let close = answered_before_continue(req.headers());
        let head = req.method() == http::Method::HEAD;
        let answer = Arc::clone(&front).handle(Arc::clone(&info), req);
        async move {
            let mut resp = answer.await?;
            if close {
                resp.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
            }
            // s3s answers 206 only for GetObject; S3 answers a HEAD of a part or range alike.
            if head
                && resp.status() == http::StatusCode::OK
                && resp.headers().contains_key(http::header::CONTENT_RANGE)
            {
                *resp.status_mut() = http::StatusCode::PARTIAL_CONTENT;
            }
            Ok::<_, crate::front::FaultAbort>(resp)
        }
    });
    serving::http1(io, svc, stop, DRAIN).await;
}

impl Server {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS).
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The storage root. Bucket BUCKET is the directory `root/BUCKET`; each of its objects is
    /// a directory `root/BUCKET/ID` (16 hex digits) whose `object.json` names the key and lists
    /// the files holding the bytes, in order (`data`, or `part-00001`, ... for a multipart
    /// upload; [`Server::object_bytes`] reads them). Server state lives in `root/.s3up/`.
    pub fn root(&self) -> &Path {
        self.layout.root()
    }

    /// Path of the access log file.
    pub fn access_log_path(&self) -> &Path {
        self.log.path()
    }

    /// The access log so far, as text (each line is written as its request completes).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The access log so far, read back into records: what tests assert on (fields, not text).
    pub fn access_log_records(&self) -> Vec<LogRecord> {
        self.log.records()
    }

    /// The CA certificate (PEM) clients should trust, with TLS.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.ca_path.as_deref()
    }

    /// Access key id requests are signed with.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// Secret key requests are signed with.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The server's region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The keyring requests are checked against (temporary credentials are added to it).
    pub(crate) fn keyring(&self) -> Arc<Keyring> {
        Arc::clone(&self.keyring)
    }

    /// Unfinished multipart uploads of `bucket` as (key, upload id), read from storage.
    pub fn list_multipart_uploads(&self, bucket: &str) -> Vec<(String, String)> {
        crate::store::pending_uploads(&self.layout, bucket)
    }

    /// The stored bytes of an object, read from storage; `None` if it does not exist.
    pub fn object_bytes(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        crate::store::read_object(&self.layout, bucket, key)
    }

    /// Gives an object another `Last-Modified` (GET, HEAD and listings report it), for tests of
    /// clients that compare it (`Config::clock_offset` moves the `Date` of answers, not the
    /// times objects were written).
    ///
    /// # Errors
    /// The object does not exist, or its record cannot be rewritten.
    pub fn set_last_modified(
        &self,
        bucket: &str,
        key: &str,
        time: std::time::SystemTime,
    ) -> std::io::Result<()> {
        self.index.set_last_modified(bucket, key, time)
    }

    /// Stops accepting, lets open requests finish (bounded), and stops the runtime (as
    /// dropping the handle does: `serving` goes first, before the temporary directories).
    pub fn shutdown(mut self) {
        self.serving.stop();
    }
}
