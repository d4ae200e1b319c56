//! What a request says about itself, read from its method, URI and headers only: the S3
//! operation name for the access log (`REST.PUT.PART`), bucket and key, signature version,
//! authentication type, payload mode, access key id and region. Pure parsing: it never
//! verifies a signature and never reads the body.

use crate::post_form::Form;

use http::{HeaderMap, Method, Uri};
use percent_encoding::percent_decode_str;

/// Which AWS signature scheme a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigVersion {
    /// No signature at all (anonymous).
    None,
    /// AWS Signature Version 2 (HMAC-SHA1).
    V2,
    /// AWS Signature Version 4 (HMAC-SHA256).
    V4,
}

impl SigVersion {
    /// Every version, for reading log names back.
    pub const ALL: [Self; 3] = [Self::None, Self::V2, Self::V4];

    /// The access log's "Signature Version" field.
    pub fn log_name(self) -> &'static str {
        match self {
            Self::None => "-",
            Self::V2 => "SigV2",
            Self::V4 => "SigV4",
        }
    }
}

/// Where the signature travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// Unsigned request.
    None,
    /// `Authorization` header.
    Header,
    /// Presigned URL (signature in the query string).
    Query,
    /// Browser-form POST upload (signature and policy in the form fields).
    Form,
}

impl AuthType {
    /// Every placement, for reading log names back.
    pub const ALL: [Self; 4] = [Self::None, Self::Header, Self::Query, Self::Form];

    /// The access log's "Authentication Type" field.
    pub fn log_name(self) -> &'static str {
        match self {
            Self::None => "-",
            Self::Header => "AuthHeader",
            Self::Query => "QueryString",
            // The S3 log documents only the two above; S3 names form uploads "POST" in its
            // `s3:authType` condition key.
            Self::Form => "POST",
        }
    }
}

/// How the payload is protected, from `x-amz-content-sha256`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadMode {
    /// No `x-amz-content-sha256` header.
    Absent,
    /// Hex SHA-256 of the whole body.
    Signed,
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    AwsChunked,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    AwsChunkedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    UnsignedTrailer,
    /// Anything else (refused by the signature check).
    Other,
}

impl PayloadMode {
    fn parse(value: Option<&str>) -> Self {
        match value {
            None => Self::Absent,
            Some("UNSIGNED-PAYLOAD") => Self::Unsigned,
            Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") => Self::AwsChunked,
            Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") => Self::AwsChunkedTrailer,
            Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER") => Self::UnsignedTrailer,
            Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => Self::Signed,
            Some(_) => Self::Other,
        }
    }

    /// Every mode, for reading log names back.
    pub const ALL: [Self; 7] = [
        Self::Absent,
        Self::Signed,
        Self::Unsigned,
        Self::AwsChunked,
        Self::AwsChunkedTrailer,
        Self::UnsignedTrailer,
        Self::Other,
    ];

    /// The JSON access log's `payload_mode` value.
    pub fn log_name(self) -> &'static str {
        match self {
            Self::Absent => "-",
            Self::Signed => "signed",
            Self::Unsigned => "unsigned",
            Self::AwsChunked => "aws-chunked",
            Self::AwsChunkedTrailer => "aws-chunked-trailer",
            Self::UnsignedTrailer => "unsigned-trailer",
            Self::Other => "other",
        }
    }
}

/// Which additional checksum a request carries, and how (a header, or a trailer).
fn checksum_carried(headers: &HeaderMap) -> Option<String> {
    const PREFIX: &str = "x-amz-checksum-";
    if let Some(trailer) = header(headers, "x-amz-trailer") {
        let name = trailer.trim().to_ascii_lowercase();
        if let Some(alg) = name.strip_prefix(PREFIX) {
            return Some(format!("{} trailer", alg.to_ascii_uppercase()));
        }
    }
    headers
        .keys()
        .filter_map(|k| k.as_str().strip_prefix(PREFIX))
        .find(|alg| !matches!(*alg, "mode" | "type" | "algorithm"))
        .map(str::to_ascii_uppercase)
}

/// Everything the access log and the gate need to know about a request before it runs.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    /// S3 access-log operation, e.g. `REST.PUT.OBJECT`.
    pub operation: String,
    /// Bucket addressed (from the path, or the Host header in virtual-hosted style).
    pub bucket: Option<String>,
    /// Object key, percent-decoded.
    pub key: Option<String>,
    /// Signature scheme.
    pub signature: SigVersion,
    /// Where the signature is.
    pub auth_type: AuthType,
    /// Payload protection.
    pub payload: PayloadMode,
    /// The additional checksum the request carries: `CRC64NVME` (a header), `CRC32 trailer`
    /// (announced in `x-amz-trailer`), or `None`.
    pub checksum: Option<String>,
    /// Access key id named by the request.
    pub access_key: Option<String>,
    /// Region of the SigV4 credential scope.
    pub region: Option<String>,
    /// `"PUT /bucket/key?partNumber=1 HTTP/1.1"`.
    pub request_uri: String,
    /// The Host header.
    pub host: Option<String>,
    /// The User-Agent header.
    pub user_agent: Option<String>,
    /// The Referer header.
    pub referer: Option<String>,
    /// Declared size of the object data sent (PUT), before any aws-chunked framing.
    pub object_size: Option<u64>,
}

/// Splits `bucket.DOMAIN[:port]` into the bucket; `None` when the host is not under `domain`.
pub fn bucket_from_host(host: &str, domain: &str) -> Option<String> {
    let name = strip_port(host).to_ascii_lowercase();
    let domain = strip_port(domain).to_ascii_lowercase();
    let bucket = name.strip_suffix(&domain)?.strip_suffix('.')?;
    (!bucket.is_empty()).then(|| bucket.to_owned())
}

/// `host:port` → `host`; IPv6 literals keep their brackets.
pub fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            if h.starts_with('[') || !h.contains(':') {
                h
            } else {
                host
            }
        }
        _ => host,
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The query's (name, value) pairs, percent-decoded.
pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    let Some(q) = uri.query() else {
        return Vec::new();
    };
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

fn query_get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// (bucket, key) of a request, path style unless the Host header names a bucket under `domain`.
pub fn bucket_and_key(
    uri: &Uri,
    headers: &HeaderMap,
    domain: Option<&str>,
) -> (Option<String>, Option<String>) {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let path = uri.path();
    let vh_bucket =
        domain.and_then(|d| header(headers, "host").and_then(|h| bucket_from_host(h, d)));
    let rest = path.strip_prefix('/').unwrap_or(path);
    if let Some(bucket) = vh_bucket {
        let key = (!rest.is_empty()).then(|| decode(rest));
        return (Some(bucket), key);
    }
    match rest.split_once('/') {
        None if rest.is_empty() => (None, None),
        None => (Some(decode(rest)), None),
        Some((b, k)) => (Some(decode(b)), (!k.is_empty()).then(|| decode(k))),
    }
}

/// Reads the signature facts: version, placement, access key id and region.
fn auth_facts(
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> (SigVersion, AuthType, Option<String>, Option<String>) {
    if let Some(auth) = header(headers, "authorization") {
        if let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256") {
            let cred = rest
                .split(',')
                .map(str::trim)
                .find_map(|p| p.strip_prefix("Credential="))
                .unwrap_or("");
            let (ak, region) = split_credential(cred);
            return (SigVersion::V4, AuthType::Header, ak, region);
        }
        if let Some(rest) = auth.strip_prefix("AWS ") {
            let ak = rest.split(':').next().map(|s| s.trim().to_owned());
            return (SigVersion::V2, AuthType::Header, ak, None);
        }
    }
    if query_get(pairs, "X-Amz-Signature").is_some()
        || query_get(pairs, "X-Amz-Algorithm").is_some()
    {
        let (ak, region) = split_credential(query_get(pairs, "X-Amz-Credential").unwrap_or(""));
        return (SigVersion::V4, AuthType::Query, ak, region);
    }
    if query_get(pairs, "Signature").is_some() && query_get(pairs, "AWSAccessKeyId").is_some() {
        let ak = query_get(pairs, "AWSAccessKeyId").map(str::to_owned);
        return (SigVersion::V2, AuthType::Query, ak, None);
    }
    (SigVersion::None, AuthType::None, None, None)
}

/// `AKID/20130524/us-east-1/s3/aws4_request` → (AKID, us-east-1).
fn split_credential(cred: &str) -> (Option<String>, Option<String>) {
    let mut it = cred.split('/');
    let ak = it.next().filter(|s| !s.is_empty()).map(str::to_owned);
    let region = it.nth(1).filter(|s| !s.is_empty()).map(str::to_owned);
    (ak, region)
}

/// Bucket sub-resources and their access-log names.
const BUCKET_SUBRESOURCES: &[(&str, &str)] = &[
    ("uploads", "UPLOADS"),
    ("location", "LOCATION"),
    ("delete", "MULTI_OBJECT_DELETE"),
    ("versions", "BUCKETVERSIONS"),
    ("versioning", "VERSIONING"),
    ("acl", "ACL"),
    ("policy", "BUCKETPOLICY"),
    ("tagging", "TAGGING"),
    ("cors", "CORS"),
    ("lifecycle", "LIFECYCLE"),
    ("encryption", "ENCRYPTION"),
    ("logging", "LOGGING_STATUS"),
    ("website", "WEBSITE"),
    ("notification", "NOTIFICATION"),
    ("replication", "REPLICATION"),
    ("object-lock", "OBJECT_LOCK_CONFIGURATION"),
    ("ownershipControls", "OWNERSHIP_CONTROLS"),
    ("publicAccessBlock", "PUBLIC_ACCESS_BLOCK"),
    ("accelerate", "ACCELERATE"),
    ("requestPayment", "REQUEST_PAYMENT"),
];

/// Object sub-resources and their access-log names.
const OBJECT_SUBRESOURCES: &[(&str, &str)] = &[
    ("acl", "ACL"),
    ("tagging", "OBJECT_TAGGING"),
    ("retention", "OBJECT_LOCK_RETENTION"),
    ("legal-hold", "OBJECT_LOCK_LEGAL_HOLD"),
    ("attributes", "OBJECT_ATTRIBUTES"),
    ("restore", "RESTORE"),
];

/// The S3 access log's operation name, e.g. `REST.PUT.PART`.
pub fn operation_name(
    method: &Method,
    has_bucket: bool,
    has_key: bool,
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> String {
    let m = method.as_str();
    let has = |name: &str| pairs.iter().any(|(k, _)| k == name);
    let copy = headers.contains_key("x-amz-copy-source");
    if !has_bucket {
        return format!("REST.{m}.SERVICE");
    }
    if !has_key {
        let sub = BUCKET_SUBRESOURCES
            .iter()
            .find(|(q, _)| has(q))
            .map(|(_, n)| *n);
        return format!("REST.{m}.{}", sub.unwrap_or("BUCKET"));
    }
    if has("uploadId") {
        return match *method {
            Method::PUT if copy => "REST.COPY.PART".to_owned(),
            Method::PUT => "REST.PUT.PART".to_owned(),
            _ => format!("REST.{m}.UPLOAD"),
        };
    }
    if has("uploads") {
        return format!("REST.{m}.UPLOADS");
    }
    if let Some((_, n)) = OBJECT_SUBRESOURCES.iter().find(|(q, _)| has(q)) {
        return format!("REST.{m}.{n}");
    }
    if *method == Method::PUT && copy {
        return "REST.COPY.OBJECT".to_owned();
    }
    format!("REST.{m}.OBJECT")
}

impl RequestFacts {
    /// Reads the facts of a request; `domain` enables virtual-hosted-style bucket names.
    pub fn read(
        method: &Method,
        uri: &Uri,
        version: http::Version,
        headers: &HeaderMap,
        domain: Option<&str>,
    ) -> Self {
        let pairs = query_pairs(uri);
        let (bucket, key) = bucket_and_key(uri, headers, domain);
        let (signature, auth_type, access_key, region) = auth_facts(headers, &pairs);
        let operation = operation_name(method, bucket.is_some(), key.is_some(), &pairs, headers);
        let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
        let object_size = if *method == Method::PUT {
            header(headers, "x-amz-decoded-content-length")
                .or_else(|| header(headers, "content-length"))
                .and_then(|v| v.parse().ok())
        } else {
            None
        };
        Self {
            operation,
            bucket,
            key,
            signature,
            auth_type,
            payload: PayloadMode::parse(header(headers, "x-amz-content-sha256")),
            checksum: checksum_carried(headers),
            access_key,
            region,
            request_uri: format!("{method} {path_and_query} {version:?}"),
            host: header(headers, "host").map(str::to_owned),
            user_agent: header(headers, "user-agent").map(str::to_owned),
            referer: header(headers, "referer").map(str::to_owned),
            object_size,
        }
    }

    /// The key as the access log shows it: URL-encoded, `-` when there is none.
    pub fn log_key(&self) -> String {
        match &self.key {
            Some(k) => crate::xml::url_encode(k),
            None => "-".to_owned(),
        }
    }

    /// Reads what a browser-form POST upload says about itself: it uploads an object (named by
    /// its `key` field), signed (or not) by its fields.
    pub fn apply_form(&mut self, form: Option<&Form>) {
        "REST.POST.OBJECT".clone_into(&mut self.operation);
        let Some(form) = form else {
            return;
        };
        self.key = form.key();
        if !form.is_signed() {
            return;
        }
        self.signature = form.signature();
        self.auth_type = AuthType::Form;
        let (access_key, region) = match self.signature {
            SigVersion::V2 => (form.get("awsaccesskeyid").map(str::to_owned), None),
            _ => split_credential(form.get("x-amz-credential").unwrap_or("")),
        };
        self.access_key = access_key;
        self.region = region;
    }

    /// Value of a query parameter.
    pub fn query_value(uri: &Uri, name: &str) -> Option<String> {
        query_get(&query_pairs(uri), name).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn facts(
        method: Method,
        uri: &str,
        hs: &[(&'static str, &str)],
        domain: Option<&str>,
    ) -> RequestFacts {
        let uri: Uri = uri.parse().expect("test uri");
        let mut headers = HeaderMap::new();
        for (k, v) in hs {
            headers.insert(*k, HeaderValue::from_str(v).expect("test header"));
        }
        RequestFacts::read(&method, &uri, http::Version::HTTP_11, &headers, domain)
    }

    const V4: &str = "AWS4-HMAC-SHA256 Credential=AKID/20130524/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=ab";

    #[test]
    fn multipart_operations() {
        let f = facts(
            Method::PUT,
            "/b/k/x?partNumber=2&uploadId=u",
            &[("authorization", V4)],
            None,
        );
        assert_eq!(f.operation, "REST.PUT.PART");
        assert_eq!(
            (f.bucket.as_deref(), f.key.as_deref()),
            (Some("b"), Some("k/x"))
        );
        assert_eq!(f.signature, SigVersion::V4);
        assert_eq!(f.auth_type, AuthType::Header);
        assert_eq!(f.access_key.as_deref(), Some("AKID"));
        assert_eq!(f.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            facts(Method::POST, "/b/k?uploads", &[], None).operation,
            "REST.POST.UPLOADS"
        );
        assert_eq!(
            facts(Method::POST, "/b/k?uploadId=u", &[], None).operation,
            "REST.POST.UPLOAD"
        );
        assert_eq!(
            facts(Method::DELETE, "/b/k?uploadId=u", &[], None).operation,
            "REST.DELETE.UPLOAD"
        );
        assert_eq!(
            facts(Method::GET, "/b/k?uploadId=u", &[], None).operation,
            "REST.GET.UPLOAD"
        );
        assert_eq!(
            facts(Method::GET, "/b?uploads", &[], None).operation,
            "REST.GET.UPLOADS"
        );
    }

    #[test]
    fn bucket_and_service_operations() {
        assert_eq!(
            facts(Method::GET, "/", &[], None).operation,
            "REST.GET.SERVICE"
        );
        assert_eq!(
            facts(Method::HEAD, "/b", &[], None).operation,
            "REST.HEAD.BUCKET"
        );
        assert_eq!(
            facts(Method::GET, "/b/?list-type=2", &[], None).operation,
            "REST.GET.BUCKET"
        );
        assert_eq!(
            facts(Method::GET, "/b?location", &[], None).operation,
            "REST.GET.LOCATION"
        );
        assert_eq!(
            facts(Method::GET, "/b/k", &[], None).operation,
            "REST.GET.OBJECT"
        );
        let copy = facts(Method::PUT, "/b/k", &[("x-amz-copy-source", "/a/b")], None);
        assert_eq!(copy.operation, "REST.COPY.OBJECT");
    }

    #[test]
    fn virtual_hosted_style() {
        let f = facts(
            Method::PUT,
            "/a%20b/c",
            &[("host", "bkt.localhost:9000")],
            Some("localhost"),
        );
        assert_eq!(
            (f.bucket.as_deref(), f.key.as_deref()),
            (Some("bkt"), Some("a b/c"))
        );
        assert_eq!(f.log_key(), "a%20b/c");
        let f = facts(
            Method::GET,
            "/",
            &[("host", "bkt.localhost")],
            Some("localhost"),
        );
        assert_eq!((f.bucket.as_deref(), f.key), (Some("bkt"), None));
        let f = facts(
            Method::GET,
            "/b/k",
            &[("host", "localhost:9000")],
            Some("localhost"),
        );
        assert_eq!(
            (f.bucket.as_deref(), f.key.as_deref()),
            (Some("b"), Some("k"))
        );
    }

    #[test]
    fn sigv2_and_presigned() {
        let f = facts(
            Method::GET,
            "/b/k",
            &[("authorization", "AWS AKID:c2ln")],
            None,
        );
        assert_eq!(
            (f.signature, f.auth_type),
            (SigVersion::V2, AuthType::Header)
        );
        assert_eq!(f.access_key.as_deref(), Some("AKID"));
        let f = facts(
            Method::GET,
            "/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=x",
            &[],
            None,
        );
        assert_eq!(
            (f.signature, f.auth_type),
            (SigVersion::V2, AuthType::Query)
        );
        let q = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x";
        let f = facts(Method::GET, q, &[], None);
        assert_eq!(
            (f.signature, f.auth_type),
            (SigVersion::V4, AuthType::Query)
        );
        assert_eq!(f.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            facts(Method::GET, "/b/k", &[], None).signature.log_name(),
            "-"
        );
    }

    #[test]
    fn payload_modes() {
        let mode = |v: &str| {
            facts(Method::PUT, "/b/k", &[("x-amz-content-sha256", v)], None)
                .payload
                .log_name()
        };
        assert_eq!(mode("UNSIGNED-PAYLOAD"), "unsigned");
        assert_eq!(mode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), "aws-chunked");
        assert_eq!(
            mode("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            "unsigned-trailer"
        );
        assert_eq!(mode(&"a".repeat(64)), "signed");
    }

    #[test]
    fn port_stripping() {
        assert_eq!(strip_port("localhost:9000"), "localhost");
        assert_eq!(strip_port("[::1]:9000"), "[::1]");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(
            bucket_from_host("b.localhost:1", "localhost"),
            Some("b".to_owned())
        );
        assert_eq!(bucket_from_host("localhost:1", "localhost"), None);
        assert_eq!(bucket_from_host("127.0.0.1:1", "localhost"), None);
    }
}
