//! EC2 instance metadata (IMDS): the instance role's credentials and the instance's region.
//!
//! IMDSv2 first (a session token from `PUT /latest/api/token`, short timeout); where the token
//! call is refused or gets no answer (old setups, or a container behind the default hop limit
//! of 1), IMDSv1. Honours `AWS_EC2_METADATA_DISABLED`, `AWS_EC2_METADATA_V1_DISABLED`,
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT`(`_MODE`), `AWS_METADATA_SERVICE_TIMEOUT` and
//! `AWS_METADATA_SERVICE_NUM_ATTEMPTS` as aws-cli does. Always through
//! [`Transport::direct`]: the metadata address never goes through a proxy. Never logs the
//! token or the credentials.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::expiring::{parse_json, Expiring, TokenField};
use super::refresh::Fetch;
use crate::body::Body;
use crate::context::Context;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

pub(crate) const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
pub(crate) const IPV6_ENDPOINT: &str = "http://[fd00:ec2::254]";
const TOKEN_TTL_SECS: u64 = 21_600;
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// The hint for a token call that got no answer.
pub(crate) const HOP_LIMIT_HINT: &str = "in a container on EC2 the likely cause is the instance's metadata hop limit (1 by default): raise it with `aws ec2 modify-instance-metadata-options --instance-id <ID> --http-put-response-hop-limit 2`; off EC2, set AWS_EC2_METADATA_DISABLED=true to skip instance metadata";

/// How to reach instance metadata.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub endpoint: String,
    /// Connect and answer timeout of each request (aws-cli: 1 s).
    pub timeout: Duration,
    /// Attempts per request on network errors (aws-cli: 1).
    pub attempts: u32,
    /// `AWS_EC2_METADATA_V1_DISABLED`: never fall back to IMDSv1.
    pub v1_disabled: bool,
}

fn is_true(v: Option<String>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

impl Settings {
    /// From the environment; `Err` says why instance metadata is not to be used.
    ///
    /// # Errors
    /// `AWS_EC2_METADATA_DISABLED=true`, or a bad timeout or attempts value.
    pub(crate) fn from_env(ctx: &Context) -> Result<Self, String> {
        if is_true(ctx.var("AWS_EC2_METADATA_DISABLED")) {
            return Err("disabled by AWS_EC2_METADATA_DISABLED=true".into());
        }
        let endpoint = match (
            ctx.var("AWS_EC2_METADATA_SERVICE_ENDPOINT"),
            ctx.var("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"),
        ) {
            (Some(e), _) => e.trim_end_matches('/').to_owned(),
            (None, Some(m)) if m.eq_ignore_ascii_case("ipv6") => IPV6_ENDPOINT.to_owned(),
            _ => DEFAULT_ENDPOINT.to_owned(),
        };
        let timeout = match ctx.var("AWS_METADATA_SERVICE_TIMEOUT") {
            Some(t) => t
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    format!("AWS_METADATA_SERVICE_TIMEOUT={t} is not a number of seconds")
                })?,
            None => Duration::from_secs(1),
        };
        let attempts = match ctx.var("AWS_METADATA_SERVICE_NUM_ATTEMPTS") {
            Some(n) => n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10).contains(n))
                .ok_or_else(|| {
                    format!("AWS_METADATA_SERVICE_NUM_ATTEMPTS={n} is not a number from 1 to 10")
                })?,
            None => 1,
        };
        Ok(Self {
            endpoint,
            timeout,
            attempts,
            v1_disabled: is_true(ctx.var("AWS_EC2_METADATA_V1_DISABLED")),
        })
    }
}

/// How metadata GETs are made: with an IMDSv2 token, or (after the token call was refused or
/// unanswered) with IMDSv1, for which `why` says why not v2.
#[derive(Clone)]
enum Session {
    V2(Zeroizing<String>),
    V1 { why: String, hop_limit_likely: bool },
}

/// How long to keep using IMDSv1 before trying the token call again.
const V1_RETRY: Duration = Duration::from_secs(300);

/// A client of one instance metadata service, caching its IMDSv2 token (or the IMDSv1 fallback).
pub(crate) struct Imds {
    settings: Settings,
    transport: Transport,
    session: Mutex<Option<(Session, Instant)>>,
    warned_v1: AtomicBool,
}

impl Imds {
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            transport: Transport::direct(settings.timeout),
            settings,
            session: Mutex::new(None),
            warned_v1: AtomicBool::new(false),
        }
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.settings.endpoint
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
    ) -> Result<HttpResponse, TransportError> {
        let url = format!("{}{path}", self.settings.endpoint);
        let req = HttpRequest {
            method,
            url: &url,
            headers,
            body: Body::EMPTY,
        };
        super::send_retrying(
            &self.transport,
            &req,
            self.settings.attempts,
            Duration::ZERO,
        )
    }

    /// The cached session, or a new one from the token call (`fresh`: always a new one).
    fn session(&self, fresh: bool) -> Result<Session, String> {
        let mut cached = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((s, _)) = cached
            .as_ref()
            .filter(|(_, until)| !fresh && Instant::now() < *until)
        {
            return Ok(s.clone());
        }
        let headers = [(
            "x-aws-ec2-metadata-token-ttl-seconds".to_owned(),
            TOKEN_TTL_SECS.to_string(),
        )];
        let (session, keep) = match self.send("PUT", "/latest/api/token", &headers) {
            Ok(r) if r.status == 200 => {
                let token = String::from_utf8(r.body)
                    .map_err(|_| "the IMDSv2 token is not text".to_owned())?;
                let token = Zeroizing::new(token.trim().to_owned());
                crate::redact::register(&token);
                (Session::V2(token), Duration::from_secs(TOKEN_TTL_SECS - 60))
            }
            Ok(r) if r.status == 400 => {
                return Err("the IMDSv2 token request was refused as invalid (400)".into())
            }
            Ok(r) => (
                Session::V1 {
                    why: format!("the IMDSv2 token request was refused ({})", r.status),
                    hop_limit_likely: false,
                },
                V1_RETRY,
            ),
            Err(e) if e.kind == TransportErrorKind::Timeout => (
                Session::V1 {
                    why: format!(
                        "the IMDSv2 token request got no answer within {} s",
                        self.settings.timeout.as_secs_f64()
                    ),
                    hop_limit_likely: true,
                },
                V1_RETRY,
            ),
            Err(e) => return Err(self.no_answer("/latest/api/token", &e)),
        };
        *cached = Some((session.clone(), Instant::now() + keep));
        Ok(session)
    }

    /// GETs a metadata path: with a token where IMDSv2 answers, else with IMDSv1.
    ///
    /// # Errors
    /// Why neither gave an answer, naming the hop limit when the token call timed out.
    pub(crate) fn get(&self, path: &str) -> Result<HttpResponse, String> {
        let mut session = self.session(false)?;
        for retry in [false, true] {
            let Session::V2(token) = &session else {
                break;
            };
            let headers = [(TOKEN_HEADER.to_owned(), token.to_string())];
            let r = self
                .send("GET", path, &headers)
                .map_err(|e| self.no_answer(path, &e))?;
            if r.status != 401 {
                return Ok(r);
            }
            if retry {
                return Err(format!("{path} refused a fresh IMDSv2 token (401)"));
            }
            // The token expired or was revoked: get a new one, once.
            session = self.session(true)?;
        }
        let Session::V1 {
            why,
            hop_limit_likely,
        } = session
        else {
            return Err(format!("{path} refused the IMDSv2 token (401)"));
        };
        let hint = if hop_limit_likely {
            format!("; {HOP_LIMIT_HINT}")
        } else {
            String::new()
        };
        if self.settings.v1_disabled {
            return Err(format!(
                "{why} and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED){hint}"
            ));
        }
        match self.send("GET", path, &[]) {
            Ok(r) if r.status == 401 => Err(format!(
                "{why} and IMDSv1 was refused (401: the instance requires IMDSv2){hint}"
            )),
            Ok(r) => {
                if !self.warned_v1.swap(true, Ordering::Relaxed) {
                    log::warn!("instance metadata: {why}; using IMDSv1{hint}");
                }
                Ok(r)
            }
            Err(e) => Err(format!("{why} and the IMDSv1 request failed: {e}{hint}")),
        }
    }

    fn no_answer(&self, path: &str, e: &TransportError) -> String {
        match e.kind {
            TransportErrorKind::Connect => format!(
                "nothing answers at {} ({e}): not an EC2 instance?",
                self.settings.endpoint
            ),
            TransportErrorKind::Timeout => format!(
                "{path} got no answer within {} s ({e}); {HOP_LIMIT_HINT}",
                self.settings.timeout.as_secs_f64()
            ),
            _ => format!("{path}: {e}"),
        }
    }

    /// The instance role's name.
    ///
    /// # Errors
    /// No role attached, or the service did not answer.
    pub(crate) fn role(&self) -> Result<String, String> {
        let r = self.get(CREDENTIALS_PATH)?;
        match r.status {
            200 => String::from_utf8_lossy(&r.body)
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    "no IAM role is attached to this instance (the role list is empty)".to_owned()
                }),
            404 => {
                Err("no IAM role is attached to this instance (attach an instance profile)".into())
            }
            s => Err(format!("{CREDENTIALS_PATH} answered {s}")),
        }
    }

    /// The instance role's current credentials.
    ///
    /// # Errors
    /// As [`role`](Self::role), or an unusable credentials document.
    pub(crate) fn credentials(&self) -> Result<Expiring, String> {
        let role = self.role()?;
        let r = self.get(&format!("{CREDENTIALS_PATH}{role}"))?;
        if r.status != 200 {
            return Err(format!(
                "the credentials of role {role} answered {}",
                r.status
            ));
        }
        parse_json(&r.body, TokenField::Token).map_err(|e| format!("role {role}: {e}"))
    }

    /// `placement/region`, if the service answers it.
    pub(crate) fn region(&self) -> Option<String> {
        let r = self.get("/latest/meta-data/placement/region").ok()?;
        let region = String::from_utf8(r.body).ok()?.trim().to_owned();
        (r.status == 200 && !region.is_empty()).then_some(region)
    }
}

/// The instance role as a [`Fetch`].
pub(crate) struct InstanceRole {
    pub imds: Imds,
}

impl Fetch for InstanceRole {
    fn fetch(&self) -> Result<Expiring, String> {
        self.imds.credentials()
    }

    fn source(&self) -> String {
        format!("EC2 instance metadata ({})", self.imds.endpoint())
    }

    fn region(&self) -> Option<String> {
        self.imds.region()
    }
}
