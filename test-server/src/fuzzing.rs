//! Not API: a hook for the fuzz targets in `fuzz/` (`cargo fuzz`). It runs the server's whole
//! request handling (hyper's HTTP/1 parsing, the request facts, the gate, s3s's SigV4 parsing
//! and verification, the store, the access log) on raw request bytes over an in-memory
//! connection: no socket, no thread per request. A panic anywhere in it is a bug the fuzzer
//! reports.

use crate::auth::Keyring;
use crate::clock::Clock;
use crate::config::Config;
use crate::front::{ConnInfo, Front};
use crate::server::{build_front, open_store};
use crate::Error;

use hyper_util::rt::TokioIo;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Longest an exchange may take: the server must answer (or close) by then.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(10);

/// A server without a listener, driven one connection at a time.
#[doc(hidden)]
#[derive(Debug)]
pub struct Harness {
    front: Arc<Front>,
    runtime: tokio::runtime::Runtime,
    _scratch: tempfile::TempDir,
    _root: tempfile::TempDir,
}

impl Harness {
    /// A server as `config` says, over a temporary root and access log (`config.root` and
    /// `config.access_log` are ignored).
    ///
    /// # Errors
    /// The temporary directories, the store or the runtime cannot be made.
    pub fn new(config: &Config) -> Result<Self, Error> {
        let io = |what: &'static str| {
            move |source| Error::Io {
                what: what.to_owned(),
                source,
            }
        };
        let scratch = tempfile::Builder::new()
            .prefix("s3up-fuzz-server-")
            .tempdir()
            .map_err(io("create a scratch directory"))?;
        let root = tempfile::Builder::new()
            .prefix("s3up-fuzz-root-")
            .tempdir()
            .map_err(io("create a root"))?;
        let log = Arc::new(
            crate::access_log::AccessLog::open(
                &scratch.path().join("access.log"),
                false,
                config.log_format,
            )
            .map_err(io("open the access log"))?,
        );
        let store = open_store(config, root.path())?;
        let keyring = Keyring::new(&config.access_key, &config.secret_key);
        let clock = Clock::with_offset(config.clock_offset);
        let front = Arc::new(build_front(config, store, log, keyring, clock));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(io("start the tokio runtime"))?;
        Ok(Self {
            front,
            runtime,
            _scratch: scratch,
            _root: root,
        })
    }

    /// Sends `request` (raw HTTP/1.1 bytes) on a fresh connection, closes the sending side,
    /// and returns everything the server wrote back before it closed the connection.
    ///
    /// # Panics
    /// When the server neither answers nor closes the connection within 10 seconds.
    pub fn exchange(&self, request: &[u8]) -> Vec<u8> {
        let front = Arc::clone(&self.front);
        self.runtime.block_on(async move {
            let (mut client, server) = tokio::io::duplex(64 * 1024);
            let info = Arc::new(ConnInfo {
                remote: SocketAddr::from((Ipv4Addr::LOCALHOST, 40_000)),
                cipher_suite: None,
                tls_version: None,
                reset: Arc::new(AtomicBool::new(false)),
            });
            let svc = hyper::service::service_fn(move |req| {
                Arc::clone(&front).handle(Arc::clone(&info), req)
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .half_close(true)
                .serve_connection(TokioIo::new(server), svc);
            let served = tokio::spawn(conn);
            let talk = async {
                // The server may stop reading early (a refused request): not an error here.
                let _ = client.write_all(request).await;
                let _ = client.shutdown().await;
                let mut answer = Vec::new();
                let _ = client.read_to_end(&mut answer).await;
                answer
            };
            let answer = tokio::time::timeout(EXCHANGE_LIMIT, talk)
                .await
                .unwrap_or_else(|_| panic!("no answer and no close within {EXCHANGE_LIMIT:?}"));
            if let Err(e) = served.await {
                if e.is_panic() {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
            answer
        })
    }
}
