//! Checks made before s3s sees a request, where s3s 0.14.1 is too lenient or uses the wrong
//! clock: SigV2 refused (or, in accept mode, held to the 15-minute skew rule), SigV4 request
//! time against the server's (possibly offset) clock, presigned expiry, and S3's rule that
//! `host` and every `x-amz-*` header must be signed. It reads headers only; signatures
//! themselves are verified by s3s afterwards.

use crate::clock::{self, Clock};
use crate::config::{SigV2Mode, WrongRegion};
use crate::facts::{AuthType, RequestFacts, SigVersion};
use crate::xml::ErrorDoc;

use http::{HeaderMap, Uri};
use std::time::SystemTime;

/// S3's allowed difference between request time and server time.
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// Longest validity of a SigV4 presigned URL.
const MAX_PRESIGN_SECS: i64 = 7 * 24 * 3600;

/// An answer given instead of running the request.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// HTTP status.
    pub status: u16,
    /// The error document.
    pub doc: ErrorDoc,
    /// Extra response headers (e.g. `x-amz-bucket-region`).
    pub headers: Vec<(&'static str, String)>,
}

fn reject(status: u16, code: &str, message: &str) -> Rejection {
    Rejection {
        status,
        doc: ErrorDoc::new(code, message),
        headers: Vec::new(),
    }
}

/// What the gate needs to know about the server.
#[derive(Debug, Clone)]
pub struct GateConfig {
    /// SigV2 treatment.
    pub sigv2: SigV2Mode,
    /// Server clock.
    pub clock: Clock,
    /// The server's region.
    pub region: String,
    /// Whether (and how) requests signed for another region are refused.
    pub wrong_region: Option<WrongRegion>,
}

/// Requests signed for another region than the server's, answered as S3 does.
fn check_region(facts: &RequestFacts, cfg: &GateConfig) -> Result<(), Rejection> {
    let Some(signed) = facts.region.as_deref() else {
        return Ok(());
    };
    // A region name S3 does not know (e.g. s3cmd's "US") is always malformed, as on S3.
    let known = s3s::region::Region::new(signed.into()).is_ok();
    let mode = match (cfg.wrong_region, known) {
        (_, false) => WrongRegion::Malformed,
        (Some(mode), true) => mode,
        (None, true) => return Ok(()),
    };
    // S3 answers these from any region (the global endpoint).
    let global = matches!(
        facts.operation.as_str(),
        "REST.GET.LOCATION" | "REST.GET.SERVICE"
    );
    if signed == cfg.region || global {
        return Ok(());
    }
    let doc = match (mode, facts.auth_type) {
        (WrongRegion::Redirect, _) => ErrorDoc::new(
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified endpoint. \
             Please send all future requests to this endpoint.",
        )
        .with("Endpoint", facts.host.clone().unwrap_or_default())
        .with("Bucket", facts.bucket.clone().unwrap_or_default()),
        (WrongRegion::Malformed, AuthType::Query) => ErrorDoc::new(
            "AuthorizationQueryParametersError",
            &format!("Error parsing the X-Amz-Credential parameter; the region '{signed}' is wrong; expecting '{}'", cfg.region),
        )
        .with("Region", cfg.region.clone()),
        (WrongRegion::Malformed, _) => ErrorDoc::new(
            "AuthorizationHeaderMalformed",
            &format!("The authorization header is malformed; the region '{signed}' is wrong; expecting '{}'", cfg.region),
        )
        .with("Region", cfg.region.clone()),
    };
    Err(Rejection {
        status: if mode == WrongRegion::Redirect {
            301
        } else {
            400
        },
        doc,
        headers: vec![("x-amz-bucket-region", cfg.region.clone())],
    })
}

fn header<'a>(hs: &'a HeaderMap, name: &str) -> Option<&'a str> {
    hs.get(name).and_then(|v| v.to_str().ok())
}

fn too_skewed(request_time: &str, server: SystemTime) -> Rejection {
    Rejection {
        headers: Vec::new(),
        status: 403,
        doc: ErrorDoc::new(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", request_time)
        .with("ServerTime", clock::fmt_iso8601(server))
        .with(
            "MaxAllowedSkewMilliseconds",
            (MAX_SKEW_SECS * 1000).to_string(),
        ),
    }
}

fn check_skew(request_time: &str, t: SystemTime, now: SystemTime) -> Result<(), Rejection> {
    if (clock::unix_secs(t) - clock::unix_secs(now)).abs() > MAX_SKEW_SECS {
        return Err(too_skewed(request_time, now));
    }
    Ok(())
}

fn check_sigv2(
    facts: &RequestFacts,
    uri: &Uri,
    hs: &HeaderMap,
    cfg: &GateConfig,
) -> Result<(), Rejection> {
    if cfg.sigv2 == SigV2Mode::Reject {
        return Err(reject(
            400,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        ));
    }
    let now = cfg.clock.now();
    if facts.auth_type == AuthType::Query {
        let expires = RequestFacts::query_value(uri, "Expires").and_then(|v| v.parse::<i64>().ok());
        return match expires {
            Some(e) if e >= clock::unix_secs(now) => Ok(()),
            Some(_) => Err(reject(403, "AccessDenied", "Request has expired")),
            None => Err(reject(403, "AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")),
        };
    }
    let sent = header(hs, "x-amz-date").or_else(|| header(hs, "date"));
    let Some((sent, t)) = sent.and_then(|s| clock::parse_http_date(s).map(|t| (s, t))) else {
        return Err(reject(
            403,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
        ));
    };
    check_skew(sent, t, now)
}

/// Names in `SignedHeaders=` of a SigV4 Authorization header.
fn signed_headers(auth: &str) -> Vec<String> {
    auth.split(',')
        .map(str::trim)
        .find_map(|p| {
            p.split_whitespace()
                .last()
                .and_then(|p| p.strip_prefix("SignedHeaders="))
        })
        .map(|list| {
            list.split(';')
                .map(|s| s.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

fn check_v4_header(hs: &HeaderMap, cfg: &GateConfig) -> Result<(), Rejection> {
    let now = cfg.clock.now();
    if let Some(sent) = header(hs, "x-amz-date") {
        if let Some(t) = clock::parse_amz_date(sent) {
            check_skew(sent, t, now)?;
        }
    }
    let signed = signed_headers(header(hs, "authorization").unwrap_or(""));
    let mut unsigned: Vec<&str> = hs
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|n| *n == "host" || n.starts_with("x-amz-"))
        .filter(|n| !signed.iter().any(|s| s == n))
        .collect();
    if !signed.iter().any(|s| s == "host") && !unsigned.contains(&"host") {
        unsigned.push("host");
    }
    if unsigned.is_empty() {
        return Ok(());
    }
    unsigned.sort_unstable();
    unsigned.dedup();
    Err(Rejection {
        status: 403,
        doc: ErrorDoc::new(
            "AccessDenied",
            "There were headers present in the request which were not signed",
        )
        .with("HeadersNotSigned", unsigned.join(", ")),
        headers: Vec::new(),
    })
}

fn check_v4_query(uri: &Uri, cfg: &GateConfig) -> Result<(), Rejection> {
    let now = cfg.clock.now();
    let Some(sent) = RequestFacts::query_value(uri, "X-Amz-Date") else {
        return Ok(());
    };
    let Some(t) = clock::parse_amz_date(&sent) else {
        return Ok(());
    };
    let expires =
        RequestFacts::query_value(uri, "X-Amz-Expires").and_then(|v| v.parse::<i64>().ok());
    if expires.is_some_and(|e| !(0..=MAX_PRESIGN_SECS).contains(&e)) {
        return Err(reject(
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ));
    }
    let (t, n) = (clock::unix_secs(t), clock::unix_secs(now));
    if t - n > MAX_SKEW_SECS {
        return Err(too_skewed(&sent, now));
    }
    if expires.is_some_and(|e| n > t + e) {
        return Err(Rejection {
            status: 403,
            doc: ErrorDoc::new("AccessDenied", "Request has expired")
                .with(
                    "X-Amz-Expires",
                    expires.map(|e| e.to_string()).unwrap_or_default(),
                )
                .with("ServerTime", clock::fmt_iso8601(now)),
            headers: Vec::new(),
        });
    }
    let signed = RequestFacts::query_value(uri, "X-Amz-SignedHeaders").unwrap_or_default();
    if !signed.split(';').any(|h| h.eq_ignore_ascii_case("host")) {
        return Err(Rejection {
            status: 403,
            doc: ErrorDoc::new(
                "AccessDenied",
                "There were headers present in the request which were not signed",
            )
            .with("HeadersNotSigned", "host"),
            headers: Vec::new(),
        });
    }
    Ok(())
}

/// Checks a request before s3s runs it; `Err` is the answer to send instead.
///
/// # Errors
/// The rejection to send.
pub fn check(
    facts: &RequestFacts,
    uri: &Uri,
    hs: &HeaderMap,
    cfg: &GateConfig,
) -> Result<(), Rejection> {
    match (facts.signature, facts.auth_type) {
        (SigVersion::V2, _) => check_sigv2(facts, uri, hs, cfg),
        (SigVersion::V4, AuthType::Header) => {
            check_region(facts, cfg)?;
            check_v4_header(hs, cfg)
        }
        (SigVersion::V4, AuthType::Query) => {
            check_region(facts, cfg)?;
            check_v4_query(uri, cfg)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, Method};

    fn run(uri: &str, hs: &[(&'static str, String)], cfg: GateConfig) -> Result<(), Rejection> {
        let uri: Uri = uri.parse().expect("uri");
        let mut headers = HeaderMap::new();
        for (k, v) in hs {
            headers.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        let facts = RequestFacts::read(&Method::GET, &uri, http::Version::HTTP_11, &headers, None);
        check(&facts, &uri, &headers, &cfg)
    }

    fn cfg(offset: i64, sigv2: SigV2Mode) -> GateConfig {
        GateConfig {
            sigv2,
            clock: Clock::with_offset(offset),
            region: "us-east-1".to_owned(),
            wrong_region: None,
        }
    }

    #[test]
    fn wrong_region_answers() {
        let mut hs = v4(SystemTime::now());
        hs.retain(|(k, _)| *k != "authorization");
        hs.push((
            "authorization",
            "AWS4-HMAC-SHA256 Credential=A/20200101/us-west-2/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00".into(),
        ));
        assert!(
            run("/b/k", &hs, cfg(0, SigV2Mode::Reject)).is_ok(),
            "no check by default"
        );
        let mut c = cfg(0, SigV2Mode::Reject);
        c.wrong_region = Some(WrongRegion::Malformed);
        let r = run("/b/k", &hs, c.clone()).expect_err("wrong region");
        assert_eq!(
            (r.status, r.doc.code.as_str()),
            (400, "AuthorizationHeaderMalformed")
        );
        assert!(r
            .doc
            .message
            .contains("'us-west-2' is wrong; expecting 'us-east-1'"));
        assert_eq!(
            r.headers,
            vec![("x-amz-bucket-region", "us-east-1".to_owned())]
        );
        c.wrong_region = Some(WrongRegion::Redirect);
        let r = run("/b/k", &hs, c.clone()).expect_err("wrong region");
        assert_eq!((r.status, r.doc.code.as_str()), (301, "PermanentRedirect"));
        assert!(
            run("/b?location", &hs, c).is_ok(),
            "GetBucketLocation works from anywhere"
        );
    }

    fn v4(date: SystemTime) -> Vec<(&'static str, String)> {
        vec![
            ("host", "h".into()),
            ("x-amz-date", clock::fmt_amz_date(date)),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD".into()),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=A/20200101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00".into(),
            ),
        ]
    }

    #[test]
    fn skew_uses_server_clock() {
        let now = SystemTime::now();
        assert!(run("/b/k", &v4(now), cfg(0, SigV2Mode::Reject)).is_ok());
        let r = run("/b/k", &v4(now), cfg(3600, SigV2Mode::Reject)).expect_err("skewed");
        assert_eq!(
            (r.status, r.doc.code.as_str()),
            (403, "RequestTimeTooSkewed")
        );
        assert!(run(
            "/b/k",
            &v4(clock::shift(now, 3600)),
            cfg(3600, SigV2Mode::Reject)
        )
        .is_ok());
        assert!(run(
            "/b/k",
            &v4(clock::shift(now, 600)),
            cfg(0, SigV2Mode::Reject)
        )
        .is_ok());
        assert!(run(
            "/b/k",
            &v4(clock::shift(now, -1200)),
            cfg(0, SigV2Mode::Reject)
        )
        .is_err());
    }

    #[test]
    fn unsigned_amz_header_refused() {
        let mut hs = v4(SystemTime::now());
        hs.push(("x-amz-meta-a", "1".into()));
        let r = run("/b/k", &hs, cfg(0, SigV2Mode::Reject)).expect_err("unsigned");
        assert_eq!(r.doc.code, "AccessDenied");
        assert!(r
            .doc
            .extra
            .iter()
            .any(|(n, v)| *n == "HeadersNotSigned" && v == "x-amz-meta-a"));
    }

    #[test]
    fn sigv2_modes() {
        let hs = vec![
            ("authorization", "AWS A:c2ln".to_owned()),
            ("date", clock::fmt_http_date(SystemTime::now())),
        ];
        let r = run("/b/k", &hs, cfg(0, SigV2Mode::Reject)).expect_err("rejected");
        assert_eq!((r.status, r.doc.code.as_str()), (400, "InvalidRequest"));
        assert!(run("/b/k", &hs, cfg(0, SigV2Mode::Accept)).is_ok());
        assert!(run("/b/k", &hs, cfg(1200, SigV2Mode::Accept)).is_err());
        let q = "/b/k?AWSAccessKeyId=A&Expires=1&Signature=x";
        let r = run(q, &[], cfg(0, SigV2Mode::Accept)).expect_err("expired");
        assert_eq!(r.doc.message, "Request has expired");
    }

    #[test]
    fn presigned_expiry() {
        let old = clock::fmt_amz_date(clock::shift(SystemTime::now(), -7200));
        let q = format!("/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={old}&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=0");
        let r = run(&q, &[], cfg(0, SigV2Mode::Reject)).expect_err("expired");
        assert_eq!(r.doc.message, "Request has expired");
        let q = q.replace("X-Amz-Expires=60", "X-Amz-Expires=86400");
        assert!(run(&q, &[], cfg(0, SigV2Mode::Reject)).is_ok());
    }
}
