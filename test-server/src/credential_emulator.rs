//! Emulated AWS credential services for offline tests, on their own loopback listener: EC2
//! instance metadata (IMDSv2 token rules, IMDSv1, the instance role and region), a container
//! credentials endpoint and STS `AssumeRoleWithWebIdentity`. Every set of credentials it hands
//! out is new (`ASIA…` key, secret, session token) and is registered with the S3 server, which
//! accepts it until it expires and answers `ExpiredToken` after.
//!
//! Its answers follow the real services' formats; it never contacts them. [`start`] runs it on
//! its own runtime thread; the [`Emulator`] handle shows what was issued and asked.

mod issue;
mod routes;

use crate::serving::{self, Serving, Spec};
use crate::{Error, Server};

use hyper_util::rt::TokioIo;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// Path of the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`).
pub const CONTAINER_PATH: &str = "/v2/credentials/s3up-test";

/// How the IMDSv2 token call (`PUT /latest/api/token`) is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenMode {
    /// With a token, following the TTL header rules.
    #[default]
    Answer,
    /// With this status (403, 404, 405: IMDSv2 unavailable, as on old setups).
    Refuse(u16),
    /// Never: the connection stays open without an answer (a container behind a hop limit
    /// of 1), until the client gives up or the emulator stops.
    Hang,
}

/// What the emulator answers.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind; port 0 picks a free one.
    pub addr: SocketAddr,
    /// The instance role (`None`: no instance profile attached: the role list is 404).
    pub role: Option<String>,
    /// `placement/region`.
    pub region: String,
    /// Seconds each issued set of credentials stays valid.
    pub lifetime_secs: u64,
    /// The IMDSv2 token call's behaviour.
    pub token_mode: TokenMode,
    /// IMDSv2 only: metadata GETs without a valid token get 401.
    pub require_token: bool,
    /// The `Authorization` value the container endpoint requires (`None`: none required).
    pub container_token: Option<String>,
    /// The web identity token STS accepts (`None`: any non-empty token).
    pub web_identity_token: Option<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            role: Some("s3up-test-role".to_owned()),
            region: crate::DEFAULT_REGION.to_owned(),
            lifetime_secs: 3600,
            token_mode: TokenMode::Answer,
            require_token: false,
            container_token: None,
            web_identity_token: None,
        }
    }
}

/// What the emulator saw and did, shared with its handlers.
#[derive(Debug, Default)]
struct Record {
    /// `METHOD PATH` plus ` (token)` when an IMDSv2 token came with it.
    requests: Vec<String>,
    /// Access key ids issued, in order.
    issued: Vec<String>,
    /// Secret keys, session tokens and IMDSv2 tokens handed out.
    secrets: Vec<String>,
}

/// A running emulator. Dropping it shuts it down.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    serving: Serving,
}

/// Starts the emulator; the credentials it issues are accepted by `s3`.
///
/// # Errors
/// The address cannot be bound or the runtime cannot start.
pub fn start(config: EmulatorConfig, s3: &Server) -> Result<Emulator, Error> {
    let (listener, addr) = serving::bind(config.addr, "credential emulator")?;
    let record = Arc::new(Mutex::new(Record::default()));
    let (tx, rx) = watch::channel(false);
    let state = Arc::new(routes::State::new(
        config,
        s3.keyring(),
        Arc::clone(&record),
        rx,
    ));
    // Unanswered requests (a hanging token call) are dropped at stop, not drained.
    let spec = Spec {
        name: "s3up-test-metadata",
        workers: 1,
        drain: None,
    };
    let serving = serving::start(listener, spec, tx, move |stream, _, stop| {
        let state = Arc::clone(&state);
        let svc = hyper::service::service_fn(move |req| {
            let state = Arc::clone(&state);
            async move { Ok::<_, std::convert::Infallible>(state.handle(req).await) }
        });
        serving::http1(TokioIo::new(stream), svc, stop, Duration::ZERO)
    })?;
    Ok(Emulator {
        addr,
        record,
        serving,
    })
}

impl Emulator {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the instance metadata endpoint
    /// (`AWS_EC2_METADATA_SERVICE_ENDPOINT`) and the STS endpoint (`AWS_ENDPOINT_URL_STS`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The container credentials URL (`AWS_CONTAINER_CREDENTIALS_FULL_URI`).
    pub fn container_url(&self) -> String {
        format!("http://{}{CONTAINER_PATH}", self.addr)
    }

    /// Access key ids issued so far, in order.
    pub fn issued_keys(&self) -> Vec<String> {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .issued
            .clone()
    }

    /// Every secret handed out so far (secret keys, session tokens, IMDSv2 tokens), for tests
    /// that check none of them reaches an output.
    pub fn secrets(&self) -> Vec<String> {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .secrets
            .clone()
    }

    /// Requests seen so far: `METHOD PATH`, with ` (token)` when an IMDSv2 token came along.
    pub fn requests(&self) -> Vec<String> {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .requests
            .clone()
    }

    /// Stops the emulator (unanswered requests are dropped), as dropping the handle does.
    pub fn shutdown(mut self) {
        self.serving.stop();
    }
}
