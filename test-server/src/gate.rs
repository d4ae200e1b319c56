//! Checks made before s3s sees a request, where s3s 0.14.1 is too lenient or uses the wrong
//! clock: one authentication mechanism per request; SigV2 refused (or, in accept mode, held to
//! the 15-minute skew rule); the credential scope's region; SigV4 request time (`X-Amz-Date`,
//! else `Date`) against the server's (possibly offset) clock; presigned expiry; S3's rule that
//! `host` and every `x-amz-*` header must be signed, in headers and presigned URLs alike; and
//! browser-form POST uploads (`post_policy`). It reads headers (and a form's fields) only;
//! signatures are verified by s3s afterwards. What it admits may need a small change before
//! s3s sees it (`Admission`), where s3s reads less than S3 accepts.

use crate::admission::Admission;
use crate::auth::Keyring;
use crate::clock::{self, Clock};
use crate::config::{SigV2Mode, WrongRegion};
use crate::facts::{AuthType, PayloadMode, RequestFacts, SigVersion};
use crate::post_form::Form;
use crate::xml::ErrorDoc;

use http::{HeaderMap, Method, Uri};
use std::sync::Arc;
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

/// A refusal without extra elements or headers.
pub(crate) fn reject(status: u16, code: &str, message: &str) -> Rejection {
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
    /// How requests signed for another region are refused (default: `Malformed`, as S3).
    pub wrong_region: Option<WrongRegion>,
    /// Known keys (form uploads' signatures are verified here; s3s cannot read them first).
    pub keyring: Arc<Keyring>,
    /// Refuse unsigned payloads (`Config::refuse_unsigned_payloads`).
    pub refuse_unsigned_payloads: bool,
}

/// Requests signed for another region than the server's, answered as S3 does.
fn check_region(facts: &RequestFacts, cfg: &GateConfig) -> Result<(), Rejection> {
    let Some(signed) = facts.region.as_deref() else {
        return Ok(());
    };
    // A region name S3 does not know (e.g. s3cmd's "US") is always malformed, as on S3.
    let known = s3s::region::Region::new(signed.into()).is_ok();
    let mode = match (cfg.wrong_region, known) {
        (Some(mode), true) => mode,
        _ => WrongRegion::Malformed,
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
        (WrongRegion::Malformed, AuthType::Query | AuthType::Form) => ErrorDoc::new(
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

fn refuse_sigv2() -> Rejection {
    reject(
        400,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
}

fn no_date() -> Rejection {
    reject(
        403,
        "AccessDenied",
        "AWS authentication requires a valid Date or x-amz-date header",
    )
}

/// SigV2 in accept mode: expiry or skew; a bucket request signed for `/BUCKET/` is admitted
/// with the slash.
fn check_sigv2(
    facts: &RequestFacts,
    method: &Method,
    uri: &Uri,
    hs: &HeaderMap,
    cfg: &GateConfig,
) -> Result<Admission, Rejection> {
    if cfg.sigv2 == SigV2Mode::Reject {
        return Err(refuse_sigv2());
    }
    let now = cfg.clock.now();
    if facts.auth_type == AuthType::Query {
        let expires = RequestFacts::query_value(uri, "Expires").and_then(|v| v.parse::<i64>().ok());
        match expires {
            Some(e) if e >= clock::unix_secs(now) => {}
            Some(_) => return Err(reject(403, "AccessDenied", "Request has expired")),
            None => return Err(reject(403, "AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")),
        }
    } else {
        let sent = header(hs, "x-amz-date").or_else(|| header(hs, "date"));
        let Some((sent, t)) = sent.and_then(|s| clock::parse_http_date(s).map(|t| (s, t))) else {
            return Err(no_date());
        };
        check_skew(sent, t, now)?;
    }
    let bucket_slash =
        crate::sigv2::signed_with_bucket_slash(facts, method.as_str(), uri, hs, &cfg.keyring);
    Ok(Admission {
        bucket_slash,
        ..Admission::default()
    })
}

/// Names in `SignedHeaders=` of a SigV4 Authorization header.
fn signed_headers(auth: &str) -> Vec<String> {
    let list = auth
        .split(',')
        .map(str::trim)
        .find_map(|p| {
            p.split_whitespace()
                .last()
                .and_then(|p| p.strip_prefix("SignedHeaders="))
        })
        .unwrap_or("");
    split_signed(list)
}

fn split_signed(list: &str) -> Vec<String> {
    list.split(';')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// S3's rule: `host` and every `x-amz-*` header present (but `exempt`) must be signed.
fn refuse_unsigned(hs: &HeaderMap, signed: &[String], exempt: &[&str]) -> Result<(), Rejection> {
    let mut unsigned: Vec<&str> = hs
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|n| *n == "host" || n.starts_with("x-amz-"))
        .filter(|n| !exempt.contains(n) && !signed.iter().any(|s| s == n))
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

/// SigV4 header auth: the request time (`X-Amz-Date`, else `Date`) and the signed headers.
fn check_v4_header(hs: &HeaderMap, cfg: &GateConfig) -> Result<Admission, Rejection> {
    let now = cfg.clock.now();
    let mut admission = Admission::default();
    match (header(hs, "x-amz-date"), header(hs, "date")) {
        (Some(sent), _) => {
            if let Some(t) = clock::parse_amz_date(sent) {
                check_skew(sent, t, now)?;
            }
        }
        (None, Some(sent)) => {
            let t = clock::parse_http_date(sent).ok_or_else(no_date)?;
            check_skew(sent, t, now)?;
            admission.amz_date = Some(clock::fmt_amz_date(t));
        }
        (None, None) => return Err(no_date()),
    }
    let signed = signed_headers(header(hs, "authorization").unwrap_or(""));
    refuse_unsigned(hs, &signed, &[])?;
    Ok(admission)
}

/// A presigned URL: expiry, request time, and the headers it signs. `x-amz-content-sha256`
/// may come unsigned (S3 lets it; it only protects the body, and s3s checks the body by it).
fn check_v4_query(uri: &Uri, hs: &HeaderMap, cfg: &GateConfig) -> Result<(), Rejection> {
    let now = cfg.clock.now();
    let signed =
        split_signed(&RequestFacts::query_value(uri, "X-Amz-SignedHeaders").unwrap_or_default());
    refuse_unsigned(hs, &signed, &["x-amz-content-sha256"])?;
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
    Ok(())
}

/// S3 allows one authentication mechanism per request: an `Authorization` header and
/// presigned query parameters together are refused, even when each is valid.
fn check_one_mechanism(uri: &Uri, hs: &HeaderMap) -> Result<(), Rejection> {
    let Some(auth) = header(hs, "authorization") else {
        return Ok(());
    };
    let presigned = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "Signature",
    ]
    .iter()
    .any(|p| RequestFacts::query_value(uri, p).is_some());
    if !presigned {
        return Ok(());
    }
    Err(Rejection {
        status: 400,
        doc: ErrorDoc::new(
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        )
        .with("ArgumentName", "Authorization")
        .with("ArgumentValue", auth),
        headers: Vec::new(),
    })
}

/// A browser-form POST upload: SigV2 refused unless accepted, the region, then the form.
fn check_form(facts: &RequestFacts, form: &Form, cfg: &GateConfig) -> Result<(), Rejection> {
    if facts.signature == SigVersion::V2 && cfg.sigv2 == SigV2Mode::Reject {
        return Err(refuse_sigv2());
    }
    check_region(facts, cfg)?;
    let bucket = facts.bucket.as_deref().unwrap_or_default();
    crate::post_policy::check(form, bucket, &cfg.keyring, cfg.clock.now())
}

/// A request as the gate sees it: what it says about itself, its line and headers, and the
/// fields of a form upload.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The request's facts.
    pub facts: &'a RequestFacts,
    /// Method.
    pub method: &'a Method,
    /// URI.
    pub uri: &'a Uri,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// The fields of a browser-form POST upload.
    pub form: Option<&'a Form>,
}

/// With `Config::refuse_unsigned_payloads`: unsigned payloads answered as a store that does not
/// support them.
fn check_payload(facts: &RequestFacts, cfg: &GateConfig) -> Result<(), Rejection> {
    let unsigned = matches!(
        facts.payload,
        PayloadMode::Unsigned | PayloadMode::UnsignedTrailer
    );
    if cfg.refuse_unsigned_payloads && unsigned {
        return Err(reject(
            501,
            "NotImplemented",
            "This server does not accept unsigned payloads: sign the payload's SHA-256",
        ));
    }
    Ok(())
}

/// A presigned URL's `x-amz-checksum-*` and `x-amz-sdk-checksum-algorithm` query parameters
/// (signed with the URL) stand for the headers, as on S3: the body must match them. Headers
/// sent as well win.
fn checksum_query_headers(uri: &Uri, hs: &HeaderMap) -> Vec<(String, String)> {
    crate::facts::query_pairs(uri)
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .filter(|(k, _)| {
            (k.starts_with("x-amz-checksum-") || k == "x-amz-sdk-checksum-algorithm")
                && !hs.contains_key(k.as_str())
        })
        .collect()
}

/// Checks a request before s3s runs it: what to change before s3s sees it, or the answer to
/// send instead.
///
/// # Errors
/// The rejection to send.
pub fn check(req: Seen<'_>, cfg: &GateConfig) -> Result<Admission, Rejection> {
    let Seen {
        facts,
        method,
        uri,
        headers: hs,
        form,
    } = req;
    check_one_mechanism(uri, hs)?;
    match (facts.signature, facts.auth_type, form) {
        (_, AuthType::Form, Some(form)) => {
            check_form(facts, form, cfg)?;
            Ok(Admission::default())
        }
        (SigVersion::V2, _, _) => check_sigv2(facts, method, uri, hs, cfg),
        (SigVersion::V4, AuthType::Header, _) => {
            check_region(facts, cfg)?;
            check_payload(facts, cfg)?;
            check_v4_header(hs, cfg)
        }
        (SigVersion::V4, AuthType::Query, _) => {
            check_region(facts, cfg)?;
            check_v4_query(uri, hs, cfg)?;
            Ok(Admission {
                query_headers: checksum_query_headers(uri, hs),
                ..Admission::default()
            })
        }
        _ => Ok(Admission::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, Method};

    fn run(
        uri: &str,
        hs: &[(&'static str, String)],
        cfg: GateConfig,
    ) -> Result<Admission, Rejection> {
        let uri: Uri = uri.parse().expect("uri");
        let mut headers = HeaderMap::new();
        for (k, v) in hs {
            headers.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        let facts = RequestFacts::read(&Method::GET, &uri, http::Version::HTTP_11, &headers, None);
        let seen = Seen {
            facts: &facts,
            method: &Method::GET,
            uri: &uri,
            headers: &headers,
            form: None,
        };
        check(seen, &cfg)
    }

    fn cfg(offset: i64, sigv2: SigV2Mode) -> GateConfig {
        GateConfig {
            sigv2,
            clock: Clock::with_offset(offset),
            region: "us-east-1".to_owned(),
            wrong_region: None,
            keyring: Keyring::new("A", "secret"),
            refuse_unsigned_payloads: false,
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
        let mut c = cfg(0, SigV2Mode::Reject);
        for style in [None, Some(WrongRegion::Malformed)] {
            c.wrong_region = style;
            let r = run("/b/k", &hs, c.clone()).expect_err("wrong region");
            assert_eq!(
                (r.status, r.doc.code.as_str()),
                (400, "AuthorizationHeaderMalformed"),
                "{style:?}"
            );
        }
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
    fn date_header_stands_in_for_x_amz_date() {
        let now = SystemTime::now();
        let mut hs = v4(now);
        hs.retain(|(k, _)| *k != "x-amz-date");
        let r = run("/b/k", &hs, cfg(0, SigV2Mode::Reject)).expect_err("no time at all");
        assert_eq!((r.status, r.doc.code.as_str()), (403, "AccessDenied"));
        hs.push(("date", clock::fmt_http_date(now)));
        let admitted = run("/b/k", &hs, cfg(0, SigV2Mode::Reject)).expect("Date is enough");
        assert_eq!(admitted.amz_date, Some(clock::fmt_amz_date(now)));
        let r = run("/b/k", &hs, cfg(1200, SigV2Mode::Reject)).expect_err("skewed");
        assert_eq!(r.doc.code, "RequestTimeTooSkewed");
    }

    #[test]
    fn one_mechanism_per_request() {
        let q = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&X-Amz-Signature=0";
        let r = run(q, &v4(SystemTime::now()), cfg(0, SigV2Mode::Reject)).expect_err("both");
        assert_eq!((r.status, r.doc.code.as_str()), (400, "InvalidArgument"));
        let hs = [("host", "h".to_owned())];
        assert!(run(q, &hs, cfg(0, SigV2Mode::Reject)).is_ok());
    }

    #[test]
    fn presigned_unsigned_amz_headers_refused() {
        let q = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&X-Amz-Signature=0";
        let hs = [
            ("host", "h".to_owned()),
            ("x-amz-copy-source", "/b/o".to_owned()),
        ];
        let r = run(q, &hs, cfg(0, SigV2Mode::Reject)).expect_err("unsigned");
        assert_eq!(
            r.doc.extra,
            vec![("HeadersNotSigned", "x-amz-copy-source".to_owned())]
        );
        let hs = [
            ("host", "h".to_owned()),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD".to_owned()),
        ];
        assert!(run(q, &hs, cfg(0, SigV2Mode::Reject)).is_ok());
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
