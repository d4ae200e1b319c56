//! The front door: the per-request hyper handler around the s3s service. It reads the
//! request's facts (for a browser-form upload, the form fields before its file), lets the gate
//! refuse what s3s would wrongly accept and make the small changes s3s needs to read what S3
//! accepts (`Admission`), runs s3s, stamps
//! S3's response headers (request id, host id, the server clock's `Date`), reads the error
//! code of error answers, and hands the access log record to the response body to write when
//! the answer is complete. It holds no storage logic.

use crate::access_log::{AccessLog, LogRecord};
use crate::answers::{error_response, injected, object_size, status_code_name};
use crate::auth::{canonical_id, Keyring};
use crate::clock::{self, Clock};
use crate::facts::RequestFacts;
use crate::fault_body;
use crate::faults::{FaultKind, FaultPlan};
use crate::gate::{self, GateConfig, Rejection};
use crate::log_body::{EndMark, LogBody, Pending, TimedBody};
use crate::post_form::{self, Form};
use crate::xml::{self, ErrorDoc};

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::BodyExt as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Largest response body read to find an error code (error documents are tiny).
const MAX_INSPECTED_BODY: usize = 1 << 20;

/// Facts about the connection a request came on.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// Client address.
    pub remote: SocketAddr,
    /// TLS cipher suite, when HTTPS.
    pub cipher_suite: Option<String>,
    /// TLS protocol version, when HTTPS.
    pub tls_version: Option<String>,
    /// Set by an injected fault: close the connection with a reset (RST).
    pub reset: Arc<AtomicBool>,
}

/// Everything the handler shares across requests.
pub struct Front {
    /// The s3s service (auth, access, the store).
    pub s3: s3s::service::S3Service,
    /// The access log.
    pub log: Arc<AccessLog>,
    /// Pre-s3s checks.
    pub gate: GateConfig,
    /// Virtual-hosted-style base domain.
    pub domain: Option<String>,
    /// Canonical id of the bucket owner.
    pub owner_id: String,
    /// Known keys (to name the requester).
    pub keyring: Arc<Keyring>,
    /// Request counter (for request ids).
    pub counter: AtomicU64,
    /// Random-ish per-server prefix of request ids.
    pub id_seed: u64,
    /// Faults to inject.
    pub faults: FaultPlan,
}

impl std::fmt::Debug for Front {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Front")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

fn host_id(request_id: &str) -> String {
    use s3s::crypto::Checksum as _;
    let digest = s3s::crypto::Sha256::checksum(request_id.as_bytes());
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest)
}

impl Front {
    fn clock(&self) -> Clock {
        self.gate.clock
    }

    fn new_request_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:016X}",
            self.id_seed
                .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        )
    }

    fn base_record(&self, facts: &RequestFacts, conn: &ConnInfo, request_id: &str) -> LogRecord {
        let requester = facts
            .access_key
            .as_deref()
            .filter(|ak| self.keyring.get(ak).is_some())
            .map(canonical_id);
        LogRecord {
            bucket_owner: self.owner_id.clone(),
            bucket: facts.bucket.clone(),
            time: self.clock().now(),
            remote_ip: conn.remote.ip(),
            requester,
            request_id: request_id.to_owned(),
            operation: facts.operation.clone(),
            key: facts.log_key(),
            request_uri: facts.request_uri.clone(),
            status: 0,
            error_code: None,
            bytes_sent: 0,
            object_size: facts.object_size,
            total_time_ms: 0,
            turn_around_ms: None,
            referer: facts.referer.clone(),
            user_agent: facts.user_agent.clone(),
            host_id: host_id(request_id),
            signature_version: facts.signature.log_name(),
            cipher_suite: conn.cipher_suite.clone(),
            auth_type: facts.auth_type.log_name(),
            host_header: facts.host.clone(),
            tls_version: conn.tls_version.clone(),
            payload_mode: facts.payload.log_name(),
            checksum: facts.checksum.clone(),
            access_key_id: facts.access_key.clone(),
            region: facts.region.clone(),
            verdict: "rejected",
            fault: None,
        }
    }

    /// Handles one request.
    ///
    /// # Errors
    /// Only [`FaultAbort`], when an injected fault resets the connection; every other failure
    /// becomes an S3 error answer.
    pub async fn handle(
        self: Arc<Self>,
        conn: Arc<ConnInfo>,
        req: Request<hyper::body::Incoming>,
    ) -> Result<Response<LogBody>, FaultAbort> {
        let started = Instant::now();
        let mut facts = RequestFacts::read(
            req.method(),
            req.uri(),
            req.version(),
            req.headers(),
            self.domain.as_deref(),
        );
        let request_id = self.new_request_id();
        let body_end: EndMark = Arc::new(Mutex::new(None));
        if !req.headers().contains_key(http::header::CONTENT_LENGTH)
            && !req.headers().contains_key(http::header::TRANSFER_ENCODING)
        {
            *body_end
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(started);
        }
        let req =
            req.map(|b| s3s::Body::http_body_unsync(TimedBody::new(b, Arc::clone(&body_end))));
        let (req, form) = post_form::read_request(req, &mut facts).await;
        let mut record = self.base_record(&facts, &conn, &request_id);
        let fault = self.faults.decide(&facts.operation);
        record.fault = fault.map(FaultKind::name);
        let produced = match fault {
            Some(FaultKind::ResetBody { after_bytes }) => {
                drain(req.into_body(), after_bytes).await;
                conn.reset.store(true, Ordering::SeqCst);
                record.total_time_ms =
                    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                self.log.write(&record);
                return Err(FaultAbort);
            }
            Some(
                kind @ (FaultKind::SlowDown | FaultKind::InternalError | FaultKind::CompleteError),
            ) => {
                drain(req.into_body(), u64::MAX).await;
                *body_end
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
                Produced::gate(injected(kind, &request_id, &record.host_id))
            }
            _ => {
                self.produce(&facts, req, form, &request_id, &record.host_id)
                    .await
            }
        };
        if let Some(FaultKind::Delay { millis }) = fault {
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
        }
        let response = self
            .finish(produced, &facts, &mut record, &request_id, &body_end)
            .await;
        let pending = Pending {
            log: Arc::clone(&self.log),
            record,
            started,
        };
        let (parts, body) = response.into_parts();
        let body = match fault {
            Some(kind) => fault_body::wrap(body, kind, &conn.reset),
            None => body,
        };
        Ok(Response::from_parts(parts, LogBody::new(body, pending)))
    }

    /// The answer: the gate's refusal, or what s3s makes of the request.
    async fn produce(
        &self,
        facts: &RequestFacts,
        req: Request<s3s::Body>,
        form: Option<Result<Form, Rejection>>,
        request_id: &str,
        host_id: &str,
    ) -> Produced {
        let refusal = |rejection: Rejection| {
            let mut resp = error_response(rejection.status, &rejection.doc, request_id, host_id);
            for (name, value) in rejection.headers {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    resp.headers_mut().insert(name, v);
                }
            }
            Produced::gate(resp)
        };
        let form = match form.transpose() {
            Ok(form) => form,
            Err(rejection) => return refusal(rejection),
        };
        let seen = gate::Seen {
            facts,
            method: req.method(),
            uri: req.uri(),
            headers: req.headers(),
            form: form.as_ref(),
        };
        let req = match gate::check(seen, &self.gate) {
            Ok(admission) => admission.apply(req, form.as_ref()),
            Err(rejection) => {
                drain_before_refusal(req).await;
                return refusal(rejection);
            }
        };
        match self.s3.call(req).await {
            Ok(response) => Produced {
                response,
                from_gate: false,
            },
            Err(e) => {
                let doc = ErrorDoc::new(
                    "InternalError",
                    &format!("We encountered an internal error. Please try again. ({e:?})"),
                );
                Produced::gate(error_response(500, &doc, request_id, host_id))
            }
        }
    }

    /// Stamps S3's headers, reads error codes into the record, re-renders s3s's error
    /// documents in S3's words, and completes the record.
    async fn finish(
        &self,
        produced: Produced,
        facts: &RequestFacts,
        record: &mut LogRecord,
        request_id: &str,
        body_end: &EndMark,
    ) -> Response<s3s::Body> {
        let (mut parts, body) = produced.response.into_parts();
        self.stamp_headers(&mut parts.headers, request_id, &record.host_id);
        let inspect = parts.status.as_u16() >= 300 || facts.operation == "REST.POST.UPLOAD";
        let body = if inspect {
            match read_limited(body).await {
                Ok(bytes) => {
                    record.error_code = xml::error_code(&bytes);
                    match (
                        &record.error_code,
                        parts.status.as_u16() >= 400 && !produced.from_gate,
                    ) {
                        (Some(code), true) => {
                            let message = xml::error_message(&bytes)
                                .unwrap_or_else(|| xml::default_message(code).to_owned());
                            parts.headers.remove(http::header::CONTENT_LENGTH);
                            s3s::Body::from(
                                ErrorDoc::new(code, &message).render(request_id, &record.host_id),
                            )
                        }
                        _ => s3s::Body::from(bytes),
                    }
                }
                Err(e) => {
                    record.error_code = Some("InternalError".to_owned());
                    s3s::Body::from(format!("body error: {e}"))
                }
            }
        } else {
            body
        };
        record.status = parts.status.as_u16();
        if record.error_code.is_none() && record.status >= 400 {
            record.error_code = Some(status_code_name(parts.status).to_owned());
        }
        if record.fault.is_none() {
            record.fault = self.configured_fault(facts, record.error_code.as_deref());
        }
        record.verdict = if record.status < 400 && record.error_code.is_none() {
            "accepted"
        } else {
            "rejected"
        };
        if facts.operation == "REST.GET.OBJECT" || facts.operation == "REST.HEAD.OBJECT" {
            record.object_size = object_size(&parts.headers);
        }
        let end = *body_end
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        record.turn_around_ms =
            end.map(|t| u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX));
        Response::from_parts(parts, body)
    }

    /// Names the configured fault (server clock offset, wrong region) behind a refusal.
    fn configured_fault(&self, facts: &RequestFacts, code: Option<&str>) -> Option<String> {
        let other_region = facts
            .region
            .as_deref()
            .is_some_and(|r| r != self.gate.region);
        match code? {
            "RequestTimeTooSkewed" if self.gate.clock.offset_secs() != 0 => {
                Some(format!("clock-offset-{}s", self.gate.clock.offset_secs()))
            }
            "PermanentRedirect"
            | "AuthorizationHeaderMalformed"
            | "AuthorizationQueryParametersError"
                if self.gate.wrong_region.is_some() && other_region =>
            {
                Some("wrong-region".to_owned())
            }
            _ => None,
        }
    }

    fn stamp_headers(&self, headers: &mut http::HeaderMap, request_id: &str, host_id: &str) {
        let mut set = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        };
        set("x-amz-request-id", request_id);
        set("x-amz-id-2", host_id);
        set("date", &clock::fmt_http_date(self.clock().now()));
        set("server", "AmazonS3 (s3up test-server)");
    }
}

/// An answer before post-processing.
struct Produced {
    response: Response<s3s::Body>,
    /// Made here (complete, with S3's wording), not by s3s.
    from_gate: bool,
}

impl Produced {
    fn gate(response: Response<s3s::Body>) -> Self {
        Self {
            response,
            from_gate: true,
        }
    }
}

/// The handler's only error: an injected fault resets the connection.
#[derive(Debug)]
pub struct FaultAbort;

impl std::fmt::Display for FaultAbort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by an injected fault")
    }
}

impl std::error::Error for FaultAbort {}

/// Reads and discards up to `limit` bytes of a request body (all of it with `u64::MAX`).
/// Most of a refused request's body read (and dropped) before the refusal is sent: a server
/// that answers and closes while the client is still sending makes the client's kernel see a
/// reset, which can destroy the answer in flight, so that the client sees a broken connection
/// instead of the error (and retries in vain). A client that asked `Expect: 100-continue` has
/// not sent its body: nothing is read then.
const REFUSAL_DRAIN: u64 = 8 << 20;

async fn drain_before_refusal(req: Request<s3s::Body>) {
    let expects = req
        .headers()
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if !expects {
        drain(req.into_body(), REFUSAL_DRAIN).await;
    }
}

async fn drain(mut body: s3s::Body, limit: u64) {
    let mut read = 0u64;
    while read < limit {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
}

/// Reads a whole response body (bounded).
async fn read_limited(body: s3s::Body) -> Result<Bytes, s3s::StdError> {
    let limited = http_body_util::Limited::new(body, MAX_INSPECTED_BODY);
    Ok(limited.collect().await?.to_bytes())
}
